//! The one mapping of every domain error to the envelope's code, HTTP status and details
//! (api.md section 3). Internal detail is logged, never sent.

use hostpay_domain::order_activity::OrderActivityError as ActivityRule;
use hostpay_domain::payment::PaymentError;
use hostpay_domain::ports::{ProcessorError, StoreError};
use hostpay_domain::services::{
    ActivityServiceError, AuthError, DeliveryRetryError, PaymentServiceError,
};
use hostpay_domain::validation::InvalidField;
use serde_json::json;

use crate::edge::envelope::{ApiError, ErrorCode};

impl From<InvalidField> for ApiError {
    fn from(error: InvalidField) -> ApiError {
        ApiError::invalid(error.field, error.message)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::Duplicate(key) => ApiError::invalid(key, "is already taken"),
            // Unreachable, restarting, or too busy to settle a race: nothing was written;
            // the same request (and Idempotency-Key) may be sent again.
            StoreError::Conflict | StoreError::Unavailable(_) => {
                tracing::warn!(error = %error, "the database cannot serve; answering 503");
                ApiError::new(
                    ErrorCode::Unavailable,
                    "the service is briefly unavailable; retry shortly (with the same Idempotency-Key)",
                )
            }
        }
    }
}

impl From<ProcessorError> for ApiError {
    fn from(error: ProcessorError) -> ApiError {
        tracing::warn!(error = %error, "payment processor gave no answer");
        ApiError::new(
            ErrorCode::ProcessorUnavailable,
            "the payment processor did not answer; a charge stays in_process and its outcome is recorded when known",
        )
    }
}

impl From<PaymentError> for ApiError {
    fn from(error: PaymentError) -> ApiError {
        let message = error.to_string();
        match &error {
            PaymentError::InvalidState { id, status, .. } => {
                ApiError::new(ErrorCode::InvalidState, message)
                    .with_details(json!({ "payment_id": id, "status": status }))
            }
            PaymentError::NotRefundable { id, status } => {
                ApiError::new(ErrorCode::PaymentNotRefundable, message)
                    .with_details(json!({ "payment_id": id, "status": status }))
            }
            PaymentError::RefundExceedsAmount {
                id,
                requested,
                remaining,
            } => ApiError::new(ErrorCode::RefundExceedsAmount, message).with_details(json!({
                "payment_id": id,
                "field": "amount",
                "requested": requested,
                "remaining": remaining,
            })),
            PaymentError::ChargeInProgress { id } => {
                ApiError::new(ErrorCode::ChargeInProgress, message)
                    .with_details(json!({ "payment_id": id, "status": "in_process" }))
            }
            PaymentError::RefundNotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            PaymentError::RefundSettled { id, status } => {
                ApiError::new(ErrorCode::InvalidState, message)
                    .with_details(json!({ "refund_id": id, "status": status }))
            }
        }
    }
}

impl From<PaymentServiceError> for ApiError {
    fn from(error: PaymentServiceError) -> ApiError {
        match error {
            PaymentServiceError::NotFound => ApiError::not_found("payment"),
            PaymentServiceError::Rejected { error, .. } => error.into(),
            PaymentServiceError::InvalidSession => {
                ApiError::unauthenticated("invalid or expired payment session")
            }
            PaymentServiceError::Forbidden(message) => ApiError::new(ErrorCode::Forbidden, message),
            PaymentServiceError::Invalid(field) => field.into(),
            PaymentServiceError::IdempotencyKeyReused => ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used for a different request",
            ),
            PaymentServiceError::IdempotencyInProgress => ApiError::new(
                ErrorCode::IdempotencyInProgress,
                "a request with this Idempotency-Key is still being processed; retry later",
            ),
            PaymentServiceError::Processor(error) => error.into(),
            PaymentServiceError::Store(error) => error.into(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> ApiError {
        match error {
            AuthError::Unauthenticated => ApiError::unauthenticated("invalid credentials"),
            AuthError::AppNotFound(id) => ApiError::not_found(format!("app {id}")),
            AuthError::Invalid(field) => field.into(),
            AuthError::Store(error) => error.into(),
        }
    }
}

impl From<ActivityServiceError> for ApiError {
    fn from(error: ActivityServiceError) -> ApiError {
        match error {
            ActivityServiceError::NotFound => ApiError::not_found("order activity"),
            ActivityServiceError::Rejected(rule) => {
                let message = rule.to_string();
                match rule {
                    ActivityRule::InvalidTransition { order_id, from, to } => {
                        ApiError::new(ErrorCode::InvalidState, message).with_details(
                            json!({ "order_id": order_id, "status": from, "requested": to }),
                        )
                    }
                    ActivityRule::UserMismatch { .. } => ApiError::invalid("user_id", message),
                }
            }
            ActivityServiceError::Invalid(field) => field.into(),
            ActivityServiceError::Store(error) => error.into(),
        }
    }
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

#[cfg(test)]
mod tests {
    use actix_web::ResponseError;

    use super::*;

    #[test]
    fn store_errors_are_503_and_leak_nothing() {
        let error: ApiError = StoreError::Unavailable("password=hunter2".to_owned()).into();
        assert!(!error.body().to_string().contains("hunter2"));
        assert_eq!(error.code, ErrorCode::Unavailable);
        let response = error.error_response();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers().get("retry-after").unwrap(), "1");
        let internal = ApiError::internal("password=hunter2");
        assert!(!internal.body().to_string().contains("hunter2"));
        assert_eq!(internal.code, ErrorCode::Internal);
    }
}
