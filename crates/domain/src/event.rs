//! Domain events: what the aggregates emit on each transition, written to the outbox in
//! the same transaction as the change, and where each must be delivered.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AppId, EventId};

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
    pub data: serde_json::Value,
    /// Where it must be delivered; empty when nobody needs it.
    pub targets: Vec<DeliveryTarget>,
}
