//! `POST /api/v1/users/verify-token`: who the user behind a `miniapp-user-token` is.

use actix_web::http::StatusCode;
use actix_web::{post, web, HttpRequest, HttpResponse};

use crate::edge::auth::Authenticated;
use crate::edge::envelope::{self, ApiError, ErrorEnvelope};
use crate::state::AppState;
use crate::views::app::VerifiedUser;
use crate::views::envelopes::VerifiedUserEnvelope;

/// Verify a user token handed to the miniapp's frontend by the host app.
#[utoipa::path(
    tag = "users",
    operation_id = "verify_user_token",
    params(("miniapp-user-token" = String, Header, description = "The token from `ft.getUserToken()`")),
    responses(
        (status = 200, description = "Valid and minted for this miniapp", body = VerifiedUserEnvelope,
            example = json!({"status_code": 200, "result": "Operation Completed Successfully", "success": true, "data": {"id": "user-42"}})),
        (status = 401, description = "UNAUTHENTICATED: missing, invalid, expired, or minted for another miniapp (or bad app credentials)", body = ErrorEnvelope),
    ),
    security(("miniapp_token" = []))
)]
#[post("/api/v1/users/verify-token")]
pub async fn verify_token(
    state: web::Data<AppState>,
    Authenticated(app): Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let token = req
        .headers()
        .get("miniapp-user-token")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::unauthenticated("missing miniapp-user-token header"))?;
    let user = state
        .services
        .apps
        .verify_user_token(&app, token)
        .await
        .map_err(|error| match error {
            hostpay_domain::services::AuthError::Unauthenticated => {
                ApiError::unauthenticated("invalid or expired user token")
            }
            other => other.into(),
        })?;
    Ok(envelope::success(
        StatusCode::OK,
        &VerifiedUser {
            id: user.to_string(),
        },
    ))
}
