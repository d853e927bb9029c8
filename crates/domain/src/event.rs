//! Domain events: what the aggregates emit on each transition, written to the outbox in
//! the same transaction as the change, and where each must be delivered.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AppId, EventId, PaymentId, RefundId};
use crate::money::{Currency, Money};
use crate::order::UserRef;
use crate::payment::{PaymentStatus, RefundStatus};
use crate::validation::{BoundedString, NonEmptyString};

/// The kinds of event a payment (and its refunds) emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventKind {
    /// A payment was created (`in_process`).
    #[serde(rename = "payment.created")]
    PaymentCreated,
    /// The charge was approved.
    #[serde(rename = "payment.paid")]
    PaymentPaid,
    /// The charge was declined or failed.
    #[serde(rename = "payment.failed")]
    PaymentFailed,
    /// Cancelled by the user, the host, or because its session expired.
    #[serde(rename = "payment.cancelled")]
    PaymentCancelled,
    /// Refunds now cover the whole amount.
    #[serde(rename = "payment.refunded")]
    PaymentRefunded,
    /// A charge the processor approved could not be recorded on its payment and is being
    /// refunded through the processor.
    #[serde(rename = "payment.charge_reversed")]
    PaymentChargeReversed,
    /// A refund was requested (`pending`).
    #[serde(rename = "refund.created")]
    RefundCreated,
    /// A refund went through.
    #[serde(rename = "refund.succeeded")]
    RefundSucceeded,
    /// A refund failed; its amount is free again.
    #[serde(rename = "refund.failed")]
    RefundFailed,
}

impl EventKind {
    /// The wire name (`payment.paid`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::PaymentCreated => "payment.created",
            EventKind::PaymentPaid => "payment.paid",
            EventKind::PaymentFailed => "payment.failed",
            EventKind::PaymentCancelled => "payment.cancelled",
            EventKind::PaymentRefunded => "payment.refunded",
            EventKind::PaymentChargeReversed => "payment.charge_reversed",
            EventKind::RefundCreated => "refund.created",
            EventKind::RefundSucceeded => "refund.succeeded",
            EventKind::RefundFailed => "refund.failed",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<EventKind> {
        [
            EventKind::PaymentCreated,
            EventKind::PaymentPaid,
            EventKind::PaymentFailed,
            EventKind::PaymentCancelled,
            EventKind::PaymentRefunded,
            EventKind::PaymentChargeReversed,
            EventKind::RefundCreated,
            EventKind::RefundSucceeded,
            EventKind::RefundFailed,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }

    /// Whether this event ends a payment's `in_process` life (what the platform's
    /// complete-order reports).
    pub fn ends_payment(self) -> bool {
        match self {
            EventKind::PaymentPaid | EventKind::PaymentFailed | EventKind::PaymentCancelled => true,
            EventKind::PaymentCreated
            | EventKind::PaymentRefunded
            | EventKind::PaymentChargeReversed
            | EventKind::RefundCreated
            | EventKind::RefundSucceeded
            | EventKind::RefundFailed => false,
        }
    }
}

/// Who must receive an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryTarget {
    /// The miniapp platform, told that an order's payment ended ("complete order").
    PlatformCompleteOrder,
    /// The miniapp's webhook URL.
    MiniappWebhook,
}

/// One event, as stored in the outbox and shown in a payment's `events`.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainEvent {
    /// Stable id (see [`EventId::for_transition`]).
    pub id: EventId,
    /// What happened.
    pub kind: EventKind,
    /// The miniapp the subject belongs to.
    pub app_id: AppId,
    /// The payment the event is about (for refund events, the refund's payment).
    pub payment_id: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The subject's state after the transition (what webhooks carry as `data`).
    pub data: EventData,
    /// Where it must be delivered; empty when nobody needs it.
    pub targets: Vec<DeliveryTarget>,
}

/// What an event carries: its subject's state after the transition. Each edge writes it
/// in its own format (the webhook body, the outbox row, the API's views).
#[derive(Debug, Clone, PartialEq)]
pub enum EventData {
    /// A payment (the `payment.*` events but `payment.charge_reversed`).
    Payment(PaymentSnapshot),
    /// A refund (the `refund.*` events).
    Refund(RefundSnapshot),
    /// A reversed charge (`payment.charge_reversed`).
    ChargeReversal(ChargeReversalSnapshot),
}

/// A payment's summary, as its events carry it.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentSnapshot {
    /// The payment.
    pub id: PaymentId,
    /// Its status after the transition.
    pub status: PaymentStatus,
    /// Its amount.
    pub amount: Money,
    /// What succeeded refunds gave back.
    pub refunded_amount: Money,
    /// In which currency.
    pub currency: Currency,
    /// The paying user.
    pub user_id: UserRef,
    /// The miniapp's order id.
    pub miniapp_order_id: Option<NonEmptyString<255>>,
    /// Why it failed or was cancelled.
    pub fail_reason: Option<String>,
    /// The order's custom attributes.
    pub custom_attributes: Option<serde_json::Value>,
}

/// A refund's summary, as its events carry it.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundSnapshot {
    /// The refund.
    pub id: RefundId,
    /// The refunded payment.
    pub payment_id: PaymentId,
    /// How much.
    pub amount: Money,
    /// The payment's currency.
    pub currency: Currency,
    /// Its status after the transition.
    pub status: RefundStatus,
    /// The miniapp's reason.
    pub reason: Option<BoundedString<500>>,
    /// Why the processor refused it.
    pub fail_reason: Option<String>,
}

/// A reversed charge's summary, as `payment.charge_reversed` carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChargeReversalSnapshot {
    /// The reversal (the processor refund's id).
    pub id: RefundId,
    /// The payment whose charge is reversed.
    pub payment_id: PaymentId,
    /// The charged amount, all of it.
    pub amount: Money,
    /// In which currency.
    pub currency: Currency,
    /// The payment's status after the transition.
    pub payment_status: PaymentStatus,
}
