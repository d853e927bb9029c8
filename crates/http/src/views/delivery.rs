//! Outbox deliveries as shown on the internal API (api.md section 7): the delivery, its
//! event's data and its attempts.

use chrono::{DateTime, Utc};
use hostpay_domain::delivery::{AttemptOutcome, Delivery, DeliveryAttempt, DeliveryState};
use hostpay_domain::event::DeliveryTarget;
use serde::Serialize;

/// A delivery as shown.
#[derive(Debug, Serialize)]
pub struct DeliveryView {
    /// `dlv_...`
    pub id: String,
    /// `boxo_complete_order` or `miniapp_webhook`.
    pub target: &'static str,
    /// `pending`, `delivered` or `dead`.
    pub state: &'static str,
    /// The event's id (`evt_...`).
    pub event_id: String,
    /// The event's type (`payment.paid`).
    pub event_type: &'static str,
    /// The miniapp.
    pub app_id: String,
    /// The payment the event is about.
    pub payment_id: String,
    /// Attempts so far.
    pub attempts: i32,
    /// When the next attempt is due (pending only).
    #[serde(serialize_with = "super::instant::write_optional")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last attempt's HTTP status.
    pub last_status: Option<u16>,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// Created.
    #[serde(serialize_with = "super::instant::write")]
    pub created_at: DateTime<Utc>,
    /// Last changed.
    #[serde(serialize_with = "super::instant::write")]
    pub updated_at: DateTime<Utc>,
}

/// One attempt as shown.
#[derive(Debug, Serialize)]
pub struct AttemptView {
    /// When it started.
    #[serde(serialize_with = "super::instant::write")]
    pub at: DateTime<Utc>,
    /// The HTTP status, when there was an answer.
    pub http_status: Option<u16>,
    /// `acknowledged`, `retryable` or `permanent`.
    pub outcome: &'static str,
    /// What went wrong.
    pub error: Option<String>,
    /// How long it took.
    pub latency_ms: i64,
}

/// A delivery with its event and attempts.
#[derive(Debug, Serialize)]
pub struct DeliveryDetail {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: DeliveryView,
    /// The event's `data`.
    pub data: serde_json::Value,
    /// Every attempt, oldest first.
    pub attempt_log: Vec<AttemptView>,
}

impl DeliveryView {
    /// The view of a delivery.
    pub fn of(delivery: &Delivery) -> DeliveryView {
        DeliveryView {
            id: delivery.id.to_string(),
            target: target_name(delivery.target),
            state: delivery.state.as_str(),
            event_id: delivery.event.id.to_string(),
            event_type: delivery.event.kind.as_str(),
            app_id: delivery.event.app_id.to_string(),
            payment_id: delivery.event.payment_id.clone(),
            attempts: delivery.attempts,
            next_attempt_at: match delivery.state {
                DeliveryState::Pending => Some(delivery.next_attempt_at),
                DeliveryState::Delivered | DeliveryState::Dead => None,
            },
            last_status: delivery.last_status,
            last_error: delivery.last_error.clone(),
            created_at: delivery.created_at,
            updated_at: delivery.updated_at,
        }
    }
}

impl AttemptView {
    /// The view of an attempt.
    pub fn of(attempt: &DeliveryAttempt) -> AttemptView {
        let (outcome, error) = match &attempt.outcome {
            AttemptOutcome::Acknowledged => ("acknowledged", None),
            AttemptOutcome::Retryable(why) => ("retryable", Some(why.clone())),
            AttemptOutcome::Permanent(why) => ("permanent", Some(why.clone())),
        };
        AttemptView {
            at: attempt.at,
            http_status: attempt.status_code,
            outcome,
            error,
            latency_ms: attempt.latency_ms,
        }
    }
}

/// A delivery's `target` on the wire.
fn target_name(target: DeliveryTarget) -> &'static str {
    match target {
        DeliveryTarget::PlatformCompleteOrder => "boxo_complete_order",
        DeliveryTarget::MiniappWebhook => "miniapp_webhook",
    }
}
