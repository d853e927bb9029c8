//! Internal API: read any payment with a fresh session credential, mint a pay grant for
//! the host's logged-in user, settle a payment.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use hostpay_domain::order::UserRef;
use hostpay_domain::services::SettleStatus;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::edge::auth::AdminAuth;
use crate::edge::envelope::{self, ApiError, ErrorEnvelope};
use crate::edge::ids::payment_id;
use crate::edge::json::JsonBody;
use crate::edge::strict_json::Strict;
use crate::reads::{payment_view, refusal};
use crate::state::AppState;
use crate::views::envelopes::{GrantEnvelope, PaymentEnvelope, PaymentWithSessionEnvelope};
use crate::views::payment::{GrantView, PaymentWithSession, SessionView};

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

/// `POST /internal/v1/payments/{payment_id}/grants`
#[derive(Debug, Deserialize, ToSchema)]
pub struct GrantRequest {
    /// The host app's logged-in user; must be the payment's user. String(255).
    #[schema(value_type = String, example = "user-42")]
    pub user_id: UserRef,
}

/// Mint a pay grant for the host's logged-in user (api.md section 5): the one credential
/// that can confirm the payment. Only the host's backend, which knows who is logged in,
/// calls this; a miniapp never holds a grant.
#[utoipa::path(
    tag = "internal",
    operation_id = "grant_payment",
    request_body = GrantRequest,
    params(("payment_id" = String, Path, description = "`pay_...`")),
    responses(
        (status = 201, description = "The grant", body = GrantEnvelope),
        (status = 400, description = "INVALID_REQUEST naming the field", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND (also another user's payment)", body = ErrorEnvelope),
        (status = 409, description = "INVALID_STATE: the payment is no longer `in_process` or its session is over; `data` is the payment as it stands", body = ErrorEnvelope),
    ),
    security(("admin_token" = []))
)]
#[post("/internal/v1/payments/{payment_id}/grants")]
pub async fn grant(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<Strict<GrantRequest>>,
) -> Result<HttpResponse, ApiError> {
    let id = payment_id(&path)?;
    let user_id = body.into_inner().into_inner().user_id;
    match state.services.payments.grant(&id, &user_id).await {
        Ok(grant) => Ok(envelope::success(
            StatusCode::CREATED,
            &GrantView::of(grant),
        )),
        Err(error) => Err(refusal(&state, error).await),
    }
}

/// Any payment, with a fresh session credential while it can still be paid (for the host
/// app's native sheet); `session` is `null` once it is no longer `in_process`.
#[utoipa::path(
    tag = "internal",
    operation_id = "get_internal_payment",
    params(("payment_id" = String, Path, description = "`pay_...`")),
    responses(
        (status = 200, description = "The payment and a new session", body = PaymentWithSessionEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
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
    operation_id = "settle_payment",
    request_body = SettleRequest,
    params(("payment_id" = String, Path, description = "`pay_...`")),
    responses(
        (status = 200, description = "Settled", body = PaymentEnvelope),
        (status = 400, description = "INVALID_REQUEST naming the field", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 409, description = "INVALID_STATE (not `in_process`), or CHARGE_IN_PROGRESS (a confirm's charge is in flight: its outcome decides); `data` is the payment as it stands", body = ErrorEnvelope),
    ),
    security(("admin_token" = []))
)]
#[post("/internal/v1/payments/{payment_id}/settle")]
pub async fn settle(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: JsonBody<Strict<SettleRequest>>,
) -> Result<HttpResponse, ApiError> {
    let id = payment_id(&path)?;
    let request = body.into_inner().into_inner();
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
        Err(error) => Err(refusal(&state, error).await),
    }
}
