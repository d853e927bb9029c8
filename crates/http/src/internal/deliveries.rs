//! Internal API: outbox deliveries (list, show with attempts, retry by hand).
//!
//! - `GET /internal/v1/deliveries?state=pending|dead|delivered&limit=&cursor=`
//! - `GET /internal/v1/deliveries/{delivery_id}`
//! - `POST /internal/v1/deliveries/{delivery_id}/retry` (202; dead letters only, otherwise
//!   409 `INVALID_STATE`)

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use hostpay_domain::delivery::{AttemptOutcome, Delivery, DeliveryAttempt, DeliveryState};
use hostpay_domain::event::DeliveryTarget;
use hostpay_domain::ids::DeliveryId;
use hostpay_domain::page::PageRequest;
use hostpay_domain::services::DeliveryRetryError;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::envelope::{self, ApiError, ErrorCode};
use crate::internal::AdminAuth;
use crate::state::AppState;

/// Registers the delivery routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/internal/v1/deliveries", web::get().to(list))
        .route("/internal/v1/deliveries/{delivery_id}", web::get().to(show))
        .route(
            "/internal/v1/deliveries/{delivery_id}/retry",
            web::post().to(retry),
        );
}

/// Query of the list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// `pending`, `dead` or `delivered`; all when absent.
    pub state: Option<String>,
    /// 1..=100, default 20.
    pub limit: Option<u32>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

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
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last attempt's HTTP status.
    pub last_status: Option<u16>,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One attempt as shown.
#[derive(Debug, Serialize)]
pub struct AttemptView {
    /// When it started.
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

fn delivery_id(text: &str) -> Result<DeliveryId, ApiError> {
    DeliveryId::parse(text).map_err(|_| ApiError::not_found(format!("delivery {text}")))
}

/// `GET /internal/v1/deliveries`: newest first, optionally of one state.
pub async fn list(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let wanted = query
        .state
        .as_deref()
        .map(|text| {
            DeliveryState::parse(text)
                .ok_or_else(|| ApiError::invalid("state", "must be pending, dead or delivered"))
        })
        .transpose()?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())
        .map_err(|(field, error)| ApiError::invalid(field, error.message))?;
    let page = state.services.deliveries.list(wanted, &page).await?;
    Ok(envelope::success(
        StatusCode::OK,
        &page.map(|delivery| DeliveryView::of(&delivery)),
    ))
}

/// `GET /internal/v1/deliveries/{delivery_id}`: with its event data and attempts.
pub async fn show(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = delivery_id(&path)?;
    let (delivery, attempts) = state
        .services
        .deliveries
        .get(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("delivery {id}")))?;
    Ok(envelope::success(
        StatusCode::OK,
        &DeliveryDetail {
            delivery: DeliveryView::of(&delivery),
            data: crate::miniapp::views::event_data(&delivery.event.data),
            attempt_log: attempts.iter().map(AttemptView::of).collect(),
        },
    ))
}

/// A refused manual retry: unknown 404, not a dead letter 409 `INVALID_STATE` naming the
/// delivery's state.
impl From<DeliveryRetryError> for ApiError {
    fn from(error: DeliveryRetryError) -> ApiError {
        match error {
            DeliveryRetryError::NotFound(id) => ApiError::not_found(format!("delivery {id}")),
            DeliveryRetryError::NotDead { ref id, state } => {
                ApiError::new(ErrorCode::InvalidState, error.to_string())
                    .with_details(json!({ "delivery_id": id.as_str(), "state": state.as_str() }))
            }
            DeliveryRetryError::Store(error) => error.into(),
        }
    }
}

/// `POST /internal/v1/deliveries/{delivery_id}/retry`: a dead letter due now (202); a
/// pending or delivered delivery is 409 `INVALID_STATE`.
pub async fn retry(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = delivery_id(&path)?;
    let delivery = state.services.deliveries.retry(&id).await?;
    Ok(envelope::success(
        StatusCode::ACCEPTED,
        &DeliveryView::of(&delivery),
    ))
}

/// A delivery's `target` on the wire.
fn target_name(target: DeliveryTarget) -> &'static str {
    match target {
        DeliveryTarget::PlatformCompleteOrder => "boxo_complete_order",
        DeliveryTarget::MiniappWebhook => "miniapp_webhook",
    }
}
