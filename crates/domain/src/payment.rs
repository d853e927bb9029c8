//! The [`Payment`] aggregate, its refunds, and the state machine of api.md section 2:
//!
//! ```text
//! in_process --confirm ok--> paid --refund (full)--> refunded
//! in_process --confirm declined--> failed
//! in_process --cancel / session expired--> cancelled
//! paid --refund (partial)--> paid (refunded_amount grows)
//! ```
//!
//! Every method returns the new state and the events it emits, or an error naming the
//! current status. Nothing here does I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{
    ChargeReversalSnapshot, DeliveryTarget, DomainEvent, EventData, EventKind, PaymentSnapshot,
    RefundSnapshot,
};
use crate::ids::{AppId, EventId, PaymentId, RefundId};
use crate::money::{Currency, Money, PositiveMoney};
use crate::order::{PaymentDetails, UserRef};
use crate::validation::{BoundedString, NonEmptyString};

pub use crate::status::{PaymentStatus, RefundStatus};

/// Who opened a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// The miniapp itself, through hostpay's miniapp API.
    Miniapp,
    /// The miniapp platform, on the miniapp's behalf (its order-payment surface); such a
    /// payment's end is reported back to the platform.
    Platform,
}

/// A refund of (part of) a paid payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// `ref_...`
    pub id: RefundId,
    /// The payment refunded.
    pub payment_id: PaymentId,
    /// How much.
    pub amount: Money,
    /// Why, String(500).
    pub reason: Option<BoundedString<500>>,
    /// Where it stands.
    pub status: RefundStatus,
    /// Why it failed, when it did.
    pub fail_reason: Option<String>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// While `pending`: when the processor is asked again (no answer so far).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// While `pending`: how many times the processor has been asked again.
    pub attempts: u32,
}

/// When a refund left `pending` (the processor did not answer) is first asked again.
pub const REFUND_RETRY_AFTER: chrono::Duration = chrono::Duration::seconds(60);

/// How long a charge may go without a recorded outcome before the processor is asked
/// again with the same idempotency key (longer than any processor timeout).
pub const CHARGE_RECONCILE_AFTER: chrono::Duration = chrono::Duration::seconds(120);

/// The wait before the `attempt`-th renewed question to the processor (a charge check, a
/// refund, a reversal): 30 s doubling each time, at most 1 h, so that one item the
/// processor cannot answer is asked rarely and never holds back the others.
pub fn backoff(attempt: u32) -> chrono::Duration {
    let seconds = 30_i64.saturating_mul(1_i64 << attempt.min(10));
    chrono::Duration::seconds(seconds.min(3600))
}

/// The longest text kept from a processor (a decline or refusal reason, an error).
pub const PROCESSOR_TEXT_LIMIT: usize = 500;

/// A processor's text as it is kept: control characters become spaces and it is cut to
/// [`PROCESSOR_TEXT_LIMIT`] characters, so no answer of a processor is ever unstorable.
pub fn processor_text(text: &str) -> String {
    text.chars()
        .map(|c| if c < ' ' { ' ' } else { c })
        .take(PROCESSOR_TEXT_LIMIT)
        .collect()
}

/// A reversal's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReversalStatus {
    /// Not yet accepted by the processor; asked again with backoff.
    Pending,
    /// The processor refunded the charge.
    Succeeded,
}

impl ReversalStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReversalStatus::Pending => "pending",
            ReversalStatus::Succeeded => "succeeded",
        }
    }
    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<ReversalStatus> {
        match text {
            "pending" => Some(ReversalStatus::Pending),
            "succeeded" => Some(ReversalStatus::Succeeded),
            _ => None,
        }
    }
}

/// The refund of a charge the processor approved but that could not be recorded on its
/// payment (the payment had already ended otherwise): the money goes back to the user,
/// retried until the processor accepts it, under its own idempotency key (`id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeReversal {
    /// The processor refund's idempotency key (`ref_...`).
    pub id: RefundId,
    /// The payment whose charge is reversed.
    pub payment_id: PaymentId,
    /// The charged amount, all of it.
    pub amount: Money,
    /// In which currency.
    pub currency: Currency,
    /// Where it stands.
    pub status: ReversalStatus,
    /// How many times the processor was asked.
    pub attempts: u32,
    /// When it is asked next (while `pending`).
    pub next_attempt_at: DateTime<Utc>,
    /// The processor's last refusal or failure.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl ChargeReversal {
    /// Records one attempt: `Ok` accepted, `Err(reason)` refused or unanswered (asked
    /// again after [`backoff`]).
    pub fn record_attempt(
        &self,
        outcome: Result<(), String>,
        now: DateTime<Utc>,
    ) -> ChargeReversal {
        let mut next = self.clone();
        next.attempts = self.attempts.saturating_add(1);
        next.updated_at = now;
        match outcome {
            Ok(()) => {
                next.status = ReversalStatus::Succeeded;
                next.last_error = None;
            }
            Err(reason) => {
                next.last_error = Some(processor_text(&reason));
                next.next_attempt_at = now + backoff(next.attempts);
            }
        }
        next
    }
}

/// A payment: one amount, charged at most once, refunded at most up to that amount.
///
/// Its fields are private: it changes only through its state-machine methods (each
/// returns the new state in a [`Transition`], or an error naming the current status), and
/// is read through its accessors. It is made by [`Payment::open`], or rebuilt from a
/// store's rows by [`Payment::restore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    id: PaymentId,
    app_id: AppId,
    channel: Channel,
    user_id: UserRef,
    amount: Money,
    currency: Currency,
    status: PaymentStatus,
    fail_reason: Option<String>,
    miniapp_order_id: Option<NonEmptyString<255>>,
    details: PaymentDetails,
    refunds: Vec<Refund>,
    expires_at: DateTime<Utc>,
    charging_since: Option<DateTime<Utc>>,
    charge_check_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

/// Every field of a stored payment, for adapters rehydrating one ([`Payment::restore`])
/// or writing its rows ([`Payment::into_parts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentParts {
    /// `pay_...`
    pub id: PaymentId,
    /// The owning miniapp.
    pub app_id: AppId,
    /// Which surface created it.
    pub channel: Channel,
    /// The paying user.
    pub user_id: UserRef,
    /// What to charge.
    pub amount: Money,
    /// In which currency.
    pub currency: Currency,
    /// Where it stands.
    pub status: PaymentStatus,
    /// Why it failed or was cancelled.
    pub fail_reason: Option<String>,
    /// The miniapp's own order id, unique per miniapp when given.
    pub miniapp_order_id: Option<NonEmptyString<255>>,
    /// Items, address, attributes, description, the platform's extras.
    pub details: PaymentDetails,
    /// Refunds, oldest first.
    pub refunds: Vec<Refund>,
    /// When the payment session ends; an `in_process` payment is cancelled after it.
    pub expires_at: DateTime<Utc>,
    /// Since when a confirm has been asking the processor to charge (no outcome recorded
    /// yet). While set, neither the user nor the expiry sweep may cancel the payment: the
    /// charge may already have gone through. The sweep reconciles a stale one by asking
    /// the processor again with the same idempotency key.
    pub charging_since: Option<DateTime<Utc>>,
    /// While a charge is in flight: when the processor is next asked about it (from
    /// [`CHARGE_RECONCILE_AFTER`] after it started, then with exponential backoff: each
    /// wait as long as the charge has been in flight, 30 s to 1 h).
    pub charge_check_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version: +1 on every change.
    pub version: i64,
}

/// What a caller asks for when opening a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    /// The owning miniapp.
    pub app_id: AppId,
    /// Which surface.
    pub channel: Channel,
    /// The paying user.
    pub user_id: UserRef,
    /// What to charge (> 0).
    pub amount: PositiveMoney,
    /// In which currency.
    pub currency: Currency,
    /// The miniapp's order id.
    pub miniapp_order_id: Option<NonEmptyString<255>>,
    /// Everything else.
    pub details: PaymentDetails,
}

/// The processor's answer to a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    /// Charged.
    Approved,
    /// Declined, with the reason to show.
    Declined {
        /// Why.
        reason: String,
    },
}

/// Why a payment was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    /// The user pressed Cancel in the payment sheet.
    ByUser,
    /// The host reported it cancelled (settlement).
    ByHost,
    /// Its session expired before it was paid.
    Expired,
}

impl CancelReason {
    fn text(self) -> &'static str {
        match self {
            CancelReason::ByUser => "cancelled by the user",
            CancelReason::ByHost => "cancelled by the host",
            CancelReason::Expired => "payment session expired",
        }
    }
}

/// A refused transition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The action needs `in_process` (confirm, cancel, expire, settle).
    #[error("payment {id} is {status}; only in_process payments can be {action}")]
    InvalidState {
        /// The payment.
        id: PaymentId,
        /// Its current status.
        status: &'static str,
        /// What was tried, in the past participle ("confirmed").
        action: &'static str,
    },
    /// Refunds need `paid`.
    #[error("payment {id} is {status}; only paid payments can be refunded")]
    NotRefundable {
        /// The payment.
        id: PaymentId,
        /// Its current status.
        status: &'static str,
    },
    /// A charge is in flight: the payment cannot be cancelled or settled until its
    /// outcome is known.
    #[error(
        "payment {id} is being charged; it can be cancelled or settled only once the charge has an outcome"
    )]
    ChargeInProgress {
        /// The payment.
        id: PaymentId,
    },
    /// The refund is larger than what remains.
    #[error(
        "refund of {requested} exceeds the {remaining} that remains refundable on payment {id}"
    )]
    RefundExceedsAmount {
        /// The payment.
        id: PaymentId,
        /// Asked for.
        requested: Money,
        /// Still refundable.
        remaining: Money,
    },
    /// No refund with that id on this payment.
    #[error("refund {0} not found")]
    RefundNotFound(RefundId),
    /// The refund already has an outcome.
    #[error("refund {id} is already {status}")]
    RefundSettled {
        /// The refund.
        id: RefundId,
        /// Its status.
        status: &'static str,
    },
}

/// A payment after a transition, with the events the transition emitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The new state (version + 1).
    pub payment: Payment,
    /// The events, in order.
    pub events: Vec<DomainEvent>,
}

/// Rebuilding and reading a payment.
impl Payment {
    /// For adapters rehydrating a stored payment: the payment exactly as these parts say,
    /// unchecked (they were a payment's when it was written). Never a way to change one:
    /// the state-machine methods do that.
    pub fn restore(parts: PaymentParts) -> Payment {
        Payment {
            id: parts.id,
            app_id: parts.app_id,
            channel: parts.channel,
            user_id: parts.user_id,
            amount: parts.amount,
            currency: parts.currency,
            status: parts.status,
            fail_reason: parts.fail_reason,
            miniapp_order_id: parts.miniapp_order_id,
            details: parts.details,
            refunds: parts.refunds,
            expires_at: parts.expires_at,
            charging_since: parts.charging_since,
            charge_check_at: parts.charge_check_at,
            created_at: parts.created_at,
            updated_at: parts.updated_at,
            version: parts.version,
        }
    }

    /// Every field, by value, for adapters writing a payment's rows.
    pub fn into_parts(self) -> PaymentParts {
        PaymentParts {
            id: self.id,
            app_id: self.app_id,
            channel: self.channel,
            user_id: self.user_id,
            amount: self.amount,
            currency: self.currency,
            status: self.status,
            fail_reason: self.fail_reason,
            miniapp_order_id: self.miniapp_order_id,
            details: self.details,
            refunds: self.refunds,
            expires_at: self.expires_at,
            charging_since: self.charging_since,
            charge_check_at: self.charge_check_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }

    /// `pay_...`
    pub fn id(&self) -> &PaymentId {
        &self.id
    }

    /// The owning miniapp.
    pub fn app_id(&self) -> &AppId {
        &self.app_id
    }

    /// Which surface created it.
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The paying user.
    pub fn user_id(&self) -> &UserRef {
        &self.user_id
    }

    /// What to charge.
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// In which currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Where it stands.
    pub fn status(&self) -> PaymentStatus {
        self.status
    }

    /// Why it failed or was cancelled.
    pub fn fail_reason(&self) -> Option<&str> {
        self.fail_reason.as_deref()
    }

    /// The miniapp's own order id, unique per miniapp when given.
    pub fn miniapp_order_id(&self) -> Option<&NonEmptyString<255>> {
        self.miniapp_order_id.as_ref()
    }

    /// Items, address, attributes, description, the platform's extras.
    pub fn details(&self) -> &PaymentDetails {
        &self.details
    }

    /// Refunds, oldest first.
    pub fn refunds(&self) -> &[Refund] {
        &self.refunds
    }

    /// When the payment session ends; an `in_process` payment is cancelled after it.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// Since when a confirm has been asking the processor to charge (no outcome recorded
    /// yet). While set, neither the user nor the expiry sweep may cancel the payment: the
    /// charge may already have gone through. The sweep reconciles a stale one by asking
    /// the processor again with the same idempotency key.
    pub fn charging_since(&self) -> Option<DateTime<Utc>> {
        self.charging_since
    }

    /// While a charge is in flight: when the processor is next asked about it (from
    /// [`CHARGE_RECONCILE_AFTER`] after it started, then with exponential backoff: each
    /// wait as long as the charge has been in flight, 30 s to 1 h).
    pub fn charge_check_at(&self) -> Option<DateTime<Utc>> {
        self.charge_check_at
    }

    /// Created.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// Last changed.
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.updated_at
    }

    /// Optimistic-concurrency version: +1 on every change.
    pub fn version(&self) -> i64 {
        self.version
    }
}

impl Payment {
    /// Opens a payment `in_process` whose session ends after `session_ttl`; emits
    /// `payment.created`.
    pub fn open(
        request: NewPayment,
        id: PaymentId,
        now: DateTime<Utc>,
        session_ttl: chrono::Duration,
    ) -> Transition {
        let payment = Payment {
            id,
            app_id: request.app_id,
            channel: request.channel,
            user_id: request.user_id,
            amount: request.amount.get(),
            currency: request.currency,
            status: PaymentStatus::InProcess,
            fail_reason: None,
            miniapp_order_id: request.miniapp_order_id,
            details: request.details,
            refunds: Vec::new(),
            expires_at: now + session_ttl,
            charging_since: None,
            charge_check_at: None,
            created_at: now,
            updated_at: now,
            version: 0,
        };
        let event = payment.event(EventKind::PaymentCreated, payment.id.as_str(), now);
        Transition {
            payment,
            events: vec![event],
        }
    }

    /// Marks a charge as started (a confirm is about to ask the processor), so that a
    /// concurrent cancel or expiry cannot drop a charge that goes through. Emits nothing.
    pub fn begin_charge(&self, now: DateTime<Utc>) -> Result<Transition, PaymentError> {
        self.require_in_process("confirmed")?;
        let mut next = self.next_version(now);
        next.charging_since = Some(now);
        next.charge_check_at = Some(now + CHARGE_RECONCILE_AFTER);
        Ok(Transition {
            payment: next,
            events: Vec::new(),
        })
    }

    /// Whether a charge started at least `after` ago still has no recorded outcome.
    pub fn charge_is_stale(&self, now: DateTime<Utc>, after: chrono::Duration) -> bool {
        self.status == PaymentStatus::InProcess
            && self
                .charging_since
                .is_some_and(|since| now - since >= after)
    }

    /// The processor still has no answer about the charge in flight: ask again after as
    /// long as the charge has been in flight (so the waits double), 30 s to 1 h. Emits
    /// nothing.
    pub fn defer_charge_check(&self, now: DateTime<Utc>) -> Result<Transition, PaymentError> {
        self.require_in_process("confirmed")?;
        let in_flight = self
            .charging_since
            .map_or(chrono::Duration::zero(), |since| now - since);
        let wait = in_flight.clamp(backoff(0), chrono::Duration::hours(1));
        let mut next = self.next_version(now);
        next.charge_check_at = Some(now + wait);
        Ok(Transition {
            payment: next,
            events: Vec::new(),
        })
    }

    /// Records an outcome the host reports for a charge it made on its own side
    /// (settlement). Refused while a confirm's charge is in flight: that charge's outcome
    /// decides.
    pub fn settle_by_host(
        &self,
        outcome: &ChargeOutcome,
        now: DateTime<Utc>,
    ) -> Result<Transition, PaymentError> {
        self.require_in_process("settled")?;
        self.require_no_charge_in_flight()?;
        self.record_charge(outcome, now)
    }

    /// Records the processor's answer: `paid` or `failed`.
    pub fn record_charge(
        &self,
        outcome: &ChargeOutcome,
        now: DateTime<Utc>,
    ) -> Result<Transition, PaymentError> {
        self.require_in_process("confirmed")?;
        let mut next = self.next_version(now);
        next.charging_since = None;
        next.charge_check_at = None;
        let kind = match outcome {
            ChargeOutcome::Approved => {
                next.status = PaymentStatus::Paid;
                EventKind::PaymentPaid
            }
            ChargeOutcome::Declined { reason } => {
                next.status = PaymentStatus::Failed;
                next.fail_reason = Some(processor_text(reason));
                EventKind::PaymentFailed
            }
        };
        let event = next.event(kind, next.id.as_str(), now);
        Ok(Transition {
            payment: next,
            events: vec![event],
        })
    }

    /// Cancels an `in_process` payment (by the user, the host, or expiry).
    pub fn cancel(
        &self,
        reason: CancelReason,
        now: DateTime<Utc>,
    ) -> Result<Transition, PaymentError> {
        let action = match reason {
            CancelReason::Expired => "expired",
            CancelReason::ByUser | CancelReason::ByHost => "cancelled",
        };
        self.require_in_process(action)?;
        // Whoever cancels, a charge in flight may already have gone through: its outcome
        // decides.
        self.require_no_charge_in_flight()?;
        let mut next = self.next_version(now);
        next.charging_since = None;
        next.charge_check_at = None;
        next.status = PaymentStatus::Cancelled;
        next.fail_reason = Some(reason.text().to_owned());
        let event = next.event(EventKind::PaymentCancelled, next.id.as_str(), now);
        Ok(Transition {
            payment: next,
            events: vec![event],
        })
    }

    /// Whether the payment session has ended while the payment is still `in_process`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.status == PaymentStatus::InProcess && now >= self.expires_at
    }

    /// What succeeded refunds add up to.
    pub fn refunded_amount(&self) -> Money {
        self.sum_refunds(|status| match status {
            RefundStatus::Succeeded => true,
            RefundStatus::Pending | RefundStatus::Failed => false,
        })
    }

    /// What may still be refunded: the amount less every non-failed refund.
    pub fn refundable_amount(&self) -> Money {
        let reserved = self.sum_refunds(RefundStatus::counts_against_amount);
        self.amount.checked_sub(reserved).unwrap_or(Money::ZERO)
    }

    fn sum_refunds(&self, counts: impl Fn(RefundStatus) -> bool) -> Money {
        // Refunds never exceed the amount, so the sum always fits.
        Money::sum(
            self.refunds
                .iter()
                .filter(|refund| counts(refund.status))
                .map(|refund| refund.amount),
        )
        .unwrap_or(self.amount)
    }

    /// Asks for a refund of `amount` (default: all that remains); it starts `pending` and
    /// its amount is reserved at once, so refunds can never add up beyond the amount.
    pub fn request_refund(
        &self,
        refund_id: RefundId,
        amount: Option<PositiveMoney>,
        reason: Option<BoundedString<500>>,
        now: DateTime<Utc>,
    ) -> Result<(Transition, Refund), PaymentError> {
        match self.status {
            PaymentStatus::Paid => {}
            PaymentStatus::InProcess
            | PaymentStatus::Refunded
            | PaymentStatus::Failed
            | PaymentStatus::Cancelled => {
                return Err(PaymentError::NotRefundable {
                    id: self.id.clone(),
                    status: self.status.as_str(),
                })
            }
        }
        let remaining = self.refundable_amount();
        let requested = amount.map(PositiveMoney::get).unwrap_or(remaining);
        if requested.is_zero() || requested > remaining {
            return Err(PaymentError::RefundExceedsAmount {
                id: self.id.clone(),
                requested,
                remaining,
            });
        }
        let refund = Refund {
            id: refund_id,
            payment_id: self.id.clone(),
            amount: requested,
            reason,
            status: RefundStatus::Pending,
            fail_reason: None,
            created_at: now,
            updated_at: now,
            next_attempt_at: Some(now + REFUND_RETRY_AFTER),
            attempts: 0,
        };
        let mut next = self.next_version(now);
        next.refunds.push(refund.clone());
        let event = next.refund_event(EventKind::RefundCreated, &refund, now);
        Ok((
            Transition {
                payment: next,
                events: vec![event],
            },
            refund,
        ))
    }

    /// Records a refund's outcome. A success that makes refunds cover the whole amount
    /// moves the payment to `refunded` (and emits `payment.refunded` too).
    pub fn record_refund(
        &self,
        refund_id: &RefundId,
        outcome: Result<(), String>,
        now: DateTime<Utc>,
    ) -> Result<Transition, PaymentError> {
        let index = self.pending_refund(refund_id)?;
        let mut next = self.next_version(now);
        let refund = &mut next.refunds[index];
        refund.updated_at = now;
        refund.next_attempt_at = None;
        let kind = match outcome {
            Ok(()) => {
                refund.status = RefundStatus::Succeeded;
                EventKind::RefundSucceeded
            }
            Err(reason) => {
                refund.status = RefundStatus::Failed;
                refund.fail_reason = Some(processor_text(&reason));
                EventKind::RefundFailed
            }
        };
        let refund = refund.clone();
        let mut events = vec![next.refund_event(kind, &refund, now)];
        if kind == EventKind::RefundSucceeded && next.refunded_amount() == next.amount {
            next.status = PaymentStatus::Refunded;
            events.push(next.event(EventKind::PaymentRefunded, next.id.as_str(), now));
        }
        Ok(Transition {
            payment: next,
            events,
        })
    }

    /// Which receivers an event of this payment goes to, given whether its miniapp has a
    /// webhook URL.
    pub fn targets_for(&self, kind: EventKind, app_has_webhook: bool) -> Vec<DeliveryTarget> {
        match self.channel {
            Channel::Platform if kind.ends_payment() => vec![DeliveryTarget::PlatformCompleteOrder],
            Channel::Platform => Vec::new(),
            Channel::Miniapp if app_has_webhook => vec![DeliveryTarget::MiniappWebhook],
            Channel::Miniapp => Vec::new(),
        }
    }

    /// Sets each event's receivers (see [`Payment::targets_for`]).
    pub fn route(&self, events: &mut [DomainEvent], app_has_webhook: bool) {
        for event in events {
            event.targets = self.targets_for(event.kind, app_has_webhook);
        }
    }

    /// The summary that payment events carry as `data`.
    pub fn snapshot(&self) -> PaymentSnapshot {
        PaymentSnapshot {
            id: self.id.clone(),
            status: self.status,
            amount: self.amount,
            refunded_amount: self.refunded_amount(),
            currency: self.currency,
            user_id: self.user_id.clone(),
            miniapp_order_id: self.miniapp_order_id.clone(),
            fail_reason: self.fail_reason.clone(),
            custom_attributes: self.details.custom_attributes.clone(),
        }
    }

    /// Reverses a charge the processor approved that cannot be recorded on this payment
    /// (it has ended otherwise): a [`ChargeReversal`] of the whole amount to send to the
    /// processor, and `payment.charge_reversed`. A payment still `in_process` becomes
    /// `failed` (its charge is being given back, so it must never be charged again).
    /// Refused for a paid payment: its charge is recorded.
    pub fn reverse_charge(
        &self,
        reversal_id: RefundId,
        now: DateTime<Utc>,
    ) -> Result<(Transition, ChargeReversal), PaymentError> {
        let mut next = self.next_version(now);
        next.charging_since = None;
        next.charge_check_at = None;
        let mut follow_up = None;
        match self.status {
            PaymentStatus::InProcess => {
                next.status = PaymentStatus::Failed;
                next.fail_reason =
                    Some("the approved charge could not be recorded and was reversed".to_owned());
                follow_up = Some(EventKind::PaymentFailed);
            }
            PaymentStatus::Failed | PaymentStatus::Cancelled => {}
            PaymentStatus::Paid | PaymentStatus::Refunded => {
                return Err(PaymentError::InvalidState {
                    id: self.id.clone(),
                    status: self.status.as_str(),
                    action: "reversed",
                })
            }
        }
        let reversal = ChargeReversal {
            id: reversal_id,
            payment_id: self.id.clone(),
            amount: self.amount,
            currency: self.currency,
            status: ReversalStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            updated_at: now,
        };
        let mut reversed = next.event(EventKind::PaymentChargeReversed, reversal.id.as_str(), now);
        reversed.data = EventData::ChargeReversal(ChargeReversalSnapshot {
            id: reversal.id.clone(),
            payment_id: reversal.payment_id.clone(),
            amount: reversal.amount,
            currency: reversal.currency,
            payment_status: next.status,
        });
        let mut events = vec![reversed];
        if let Some(kind) = follow_up {
            events.push(next.event(kind, next.id.as_str(), now));
        }
        Ok((
            Transition {
                payment: next,
                events,
            },
            reversal,
        ))
    }

    /// A pending refund the processor did not answer: ask again after [`backoff`].
    /// Emits nothing.
    pub fn defer_refund(
        &self,
        refund_id: &RefundId,
        now: DateTime<Utc>,
    ) -> Result<Transition, PaymentError> {
        let index = self.pending_refund(refund_id)?;
        let mut next = self.next_version(now);
        let refund = &mut next.refunds[index];
        refund.attempts = refund.attempts.saturating_add(1);
        refund.next_attempt_at = Some(now + backoff(refund.attempts));
        Ok(Transition {
            payment: next,
            events: Vec::new(),
        })
    }

    fn pending_refund(&self, refund_id: &RefundId) -> Result<usize, PaymentError> {
        let index = self
            .refunds
            .iter()
            .position(|refund| &refund.id == refund_id)
            .ok_or_else(|| PaymentError::RefundNotFound(refund_id.clone()))?;
        let current = &self.refunds[index];
        match current.status {
            RefundStatus::Pending => Ok(index),
            RefundStatus::Succeeded | RefundStatus::Failed => Err(PaymentError::RefundSettled {
                id: current.id.clone(),
                status: current.status.as_str(),
            }),
        }
    }

    fn require_no_charge_in_flight(&self) -> Result<(), PaymentError> {
        match self.charging_since {
            Some(_) => Err(PaymentError::ChargeInProgress {
                id: self.id.clone(),
            }),
            None => Ok(()),
        }
    }

    fn require_in_process(&self, action: &'static str) -> Result<(), PaymentError> {
        match self.status {
            PaymentStatus::InProcess => Ok(()),
            PaymentStatus::Paid
            | PaymentStatus::Refunded
            | PaymentStatus::Failed
            | PaymentStatus::Cancelled => Err(PaymentError::InvalidState {
                id: self.id.clone(),
                status: self.status.as_str(),
                action,
            }),
        }
    }

    fn next_version(&self, now: DateTime<Utc>) -> Payment {
        let mut next = self.clone();
        next.version += 1;
        next.updated_at = now;
        next
    }

    fn event(&self, kind: EventKind, subject: &str, now: DateTime<Utc>) -> DomainEvent {
        DomainEvent {
            id: EventId::for_transition(subject, kind.as_str()),
            kind,
            app_id: self.app_id.clone(),
            payment_id: self.id.as_str().to_owned(),
            occurred_at: now,
            data: EventData::Payment(self.snapshot()),
            targets: Vec::new(),
        }
    }

    fn refund_event(&self, kind: EventKind, refund: &Refund, now: DateTime<Utc>) -> DomainEvent {
        let mut event = self.event(kind, refund.id.as_str(), now);
        event.data = EventData::Refund(RefundSnapshot {
            id: refund.id.clone(),
            payment_id: refund.payment_id.clone(),
            amount: refund.amount,
            currency: self.currency,
            status: refund.status,
            reason: refund.reason.clone(),
            fail_reason: refund.fail_reason.clone(),
        });
        event
    }
}
