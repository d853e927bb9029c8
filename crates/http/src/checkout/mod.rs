//! Checkout (api.md sections 5 and 9): the hosted payment sheet and its confirm and
//! cancel calls. A pay grant (minted by the host for its user) may pay; the
//! payment-session token a miniapp holds may only view and cancel. Its routes are
//! registered by [`crate::routes`].

pub mod actions;
pub mod page;

use actix_web::http::header::AUTHORIZATION;
use actix_web::HttpRequest;
use hostpay_domain::services::PaymentServiceError;

use crate::envelope::ApiError;
use crate::miniapp::payments::payment_view;
use crate::state::AppState;

/// The grant or session token of `Authorization: Bearer <token>`.
pub fn session_token(req: &HttpRequest) -> Result<String, ApiError> {
    req.headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        })
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            ApiError::unauthenticated(
                "missing Authorization: Bearer <pay grant or payment session token>",
            )
        })
}

/// The error of a refused payment action; a refused transition carries the payment as
/// it stands in `data`.
pub async fn refusal(state: &AppState, error: PaymentServiceError) -> ApiError {
    match error {
        PaymentServiceError::Rejected { error, current } => {
            let refused = ApiError::from(error);
            match payment_view(state, &current).await {
                Ok(view) => match serde_json::to_value(view) {
                    Ok(data) => refused.with_data(data),
                    Err(error) => ApiError::internal(error),
                },
                Err(error) => error,
            }
        }
        other => other.into(),
    }
}
