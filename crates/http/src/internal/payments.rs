//! Internal API: read any payment with a fresh session credential, settle a payment.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use hostpay_domain::services::SettleStatus;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::envelope::{self, ApiError};
use crate::internal::AdminAuth;
use crate::json::JsonBody;
use crate::miniapp::payments::{payment_id, payment_view};
use crate::miniapp::views::{PaymentWithSession, SessionView};
use crate::openapi::{ErrorEnvelope, PaymentEnvelope, PaymentWithSessionEnvelope};
use crate::state::AppState;

/// The outcome a host reports.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SettleOutcome {
    /// Charged on the host's side.
    Paid,
    /// The charge failed.
    Failed,
    /// Cancelled.
    Cancelled,
}

/// `POST /internal/v1/payments/{payment_id}/settle`
#[derive(Debug, Deserialize, ToSchema)]
pub struct SettleRequest {
    /// `paid`, `failed` or `cancelled`.
    pub status: SettleOutcome,
    /// Why it failed (for `failed`).
    #[serde(default)]
    pub fail_reason: Option<String>,
}

/// Any payment, with a fresh session credential while it can still be paid (for the host
/// app's native sheet); `session` is `null` once it is no longer `in_process`.
#[utoipa::path(
    tag = "internal",
    params(("payment_id" = String, Path, description = "`pay_...`")),
    responses(
        (status = 200, description = "The payment and a new session", body = PaymentWithSessionEnvelope),
        (status = 401, description = "UNAUTHENTICATED", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 500, description = "INTERNAL", body = ErrorEnvelope),
    ),
    security(("admin_token" = []))
)]
#[get("/internal/v1/payments/{payment_id}")]
pub async fn get(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = payment_id(&path)?;
    let (payment, session) = state.services.payments.issue_session(&id).await?;
    let view = PaymentWithSession {
        payment: payment_view(&state, &payment).await?,
        session: session.as_ref().map(SessionView::of),
    };
    Ok(envelope::success(StatusCode::OK, &view))
}

/// Report the outcome of a payment the host charged on its own side.
#[utoipa::path(
    tag = "internal",
    request_body = SettleRequest,
    params(("payment_id" = String, Path, description = "`pay_...`")),
    responses(
        (status = 200, description = "Settled", body = PaymentEnvelope),
        (status = 400, description = "INVALID_REQUEST naming the field", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHENTICATED", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 409, description = "INVALID_STATE (not `in_process`); `data` is the payment as it stands", body = ErrorEnvelope),
        (status = 500, description = "INTERNAL", body = ErrorEnvelope),
    ),
    security(("admin_token" = []))
)]
#[post("/internal/v1/payments/{payment_id}/settle")]
pub async fn settle(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<SettleRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = payment_id(&path)?;
    let request = body.into_inner();
    let status = match request.status {
        SettleOutcome::Paid => SettleStatus::Paid,
        SettleOutcome::Failed => SettleStatus::Failed(
            request
                .fail_reason
                .unwrap_or_else(|| "declined (reported by the host)".to_owned()),
        ),
        SettleOutcome::Cancelled => SettleStatus::Cancelled,
    };
    match state.services.payments.settle(&id, status).await {
        Ok(payment) => Ok(envelope::success(
            StatusCode::OK,
            &payment_view(&state, &payment).await?,
        )),
        Err(error) => Err(crate::checkout::refusal(&state, error).await),
    }
}
