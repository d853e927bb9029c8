//! `POST /checkout/{payment_id}/confirm` (bearer: a pay grant) and `/cancel` (bearer: a
//! pay grant or the payment-session token).

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::edge::auth::session_token;
use crate::edge::envelope::{self, ApiError, ErrorEnvelope};
use crate::edge::ids::payment_id;
use crate::edge::json::JsonBody;
use crate::edge::strict_json::Strict;
use crate::reads::{payment_view, refusal};
use crate::state::AppState;
use crate::views::envelopes::PaymentEnvelope;

/// Optional body of confirm.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ConfirmRequest {
    /// `decline` asks the sandbox processor to decline (sandbox only; elsewhere 400).
    #[serde(default)]
    #[schema(example = "decline")]
    pub simulate: Option<String>,
}

impl ConfirmRequest {
    fn simulate_decline(&self) -> Result<bool, ApiError> {
        match self.simulate.as_deref() {
            None => Ok(false),
            Some("decline") => Ok(true),
            Some(_) => Err(ApiError::invalid("simulate", "must be \"decline\"")),
        }
    }
}

/// Confirm with a pay grant: ask the processor to charge; the payment becomes `paid` or
/// `failed`. Never charges twice. A payment-session token is 403 and charges nothing.
#[utoipa::path(
    tag = "checkout",
    operation_id = "confirm_payment",
    request_body(content = Option<ConfirmRequest>, description = "Optional; `{\"simulate\": \"decline\"}` in sandbox mode"),
    params(("payment_id" = String, Path, description = "`pay_...`")),
    responses(
        (status = 200, description = "The payment after the charge (`paid` or `failed`)", body = PaymentEnvelope),
        (status = 400, description = "INVALID_REQUEST (`simulate`, a body that is not a JSON object)", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHENTICATED (missing, unknown or expired grant, or another payment's)", body = ErrorEnvelope),
        (status = 403, description = "FORBIDDEN: a payment-session token cannot pay; only a pay grant can", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 409, description = "INVALID_STATE naming the current status; `data` is the payment as it stands", body = ErrorEnvelope),
        (status = 502, description = "PROCESSOR_UNAVAILABLE: no answer; still `in_process`, retry", body = ErrorEnvelope),
    ),
    security(("pay_grant" = []))
)]
#[post("/checkout/{payment_id}/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: JsonBody<Strict<ConfirmRequest>>,
) -> Result<HttpResponse, ApiError> {
    let token = session_token(&req)?;
    let id = payment_id(&path)?;
    let decline = body.simulate_decline()?;
    match state.services.payments.confirm(&id, &token, decline).await {
        Ok(payment) => Ok(envelope::success(
            StatusCode::OK,
            &payment_view(&state, &payment).await?,
        )),
        Err(error) => Err(refusal(&state, error).await),
    }
}

/// Cancel the payment (the sheet's Cancel button).
#[utoipa::path(
    tag = "checkout",
    operation_id = "cancel_payment",
    params(("payment_id" = String, Path, description = "`pay_...`")),
    responses(
        (status = 200, description = "The payment, `cancelled`", body = PaymentEnvelope),
        (status = 401, description = "UNAUTHENTICATED", body = ErrorEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
        (status = 409, description = "INVALID_STATE naming the current status, or CHARGE_IN_PROGRESS; `data` is the payment as it stands", body = ErrorEnvelope),
    ),
    security(("pay_grant" = []), ("payment_session" = []))
)]
#[post("/checkout/{payment_id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = session_token(&req)?;
    let id = payment_id(&path)?;
    match state.services.payments.cancel(&id, &token).await {
        Ok(payment) => Ok(envelope::success(
            StatusCode::OK,
            &payment_view(&state, &payment).await?,
        )),
        Err(error) => Err(refusal(&state, error).await),
    }
}
