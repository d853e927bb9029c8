//! The success and error envelopes of the miniapp and internal APIs (api.md section 3), and
//! the one mapping of every domain error to its code and HTTP status.
//!
//! Success: `{"status_code": 200, "result": "Operation Completed Successfully",
//! "success": true, "data": {...}}`. Error: the same keys with `success: false`, the message
//! in `result`, and `error: {code, details}`. The HTTP status always equals `status_code`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use hostpay_domain::idempotency::StoredReply;
use hostpay_domain::order_activity::OrderActivityError as ActivityRule;
use hostpay_domain::payment::PaymentError;
use hostpay_domain::ports::{ProcessorError, StoreError};
use hostpay_domain::services::{ActivityServiceError, AuthError, PaymentServiceError};
use hostpay_domain::validation::InvalidField;
use serde::Serialize;
use serde_json::{json, Value};

/// The `result` of every successful call.
pub const SUCCESS_RESULT: &str = "Operation Completed Successfully";

/// The stable error codes of the envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 400: a field is missing, of the wrong type or out of its limits.
    InvalidRequest,
    /// 401: missing or wrong credentials.
    Unauthenticated,
    /// 403: the credential is valid but may not do this (a payment session cannot pay).
    Forbidden,
    /// 404: unknown object (or another miniapp's).
    NotFound,
    /// 405: the path exists but does not serve this method (the answer carries `Allow`).
    MethodNotAllowed,
    /// 409: the object's state does not allow the action.
    InvalidState,
    /// 409: a charge is in flight; its outcome decides.
    ChargeInProgress,
    /// 409: refunds need a `paid` payment.
    PaymentNotRefundable,
    /// 409: the first request with this `Idempotency-Key` is still running.
    IdempotencyInProgress,
    /// 413: the body is over 64 KiB.
    PayloadTooLarge,
    /// 422: the refund is larger than what remains.
    RefundExceedsAmount,
    /// 422: the `Idempotency-Key` was used for another request.
    IdempotencyKeyReused,
    /// 429: too many requests.
    RateLimited,
    /// 500: something broke on our side (details only in the log).
    Internal,
    /// 502: the payment processor gave no answer; a charge it was asked for stays in
    /// flight (`in_process`) and its outcome is recorded when known.
    ProcessorUnavailable,
    /// 503: the database cannot be reached; retry after `Retry-After`
    /// (with the same `Idempotency-Key`).
    Unavailable,
}

impl ErrorCode {
    /// The wire code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "INVALID_REQUEST",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::InvalidState => "INVALID_STATE",
            ErrorCode::ChargeInProgress => "CHARGE_IN_PROGRESS",
            ErrorCode::PaymentNotRefundable => "PAYMENT_NOT_REFUNDABLE",
            ErrorCode::IdempotencyInProgress => "IDEMPOTENCY_IN_PROGRESS",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::RefundExceedsAmount => "REFUND_EXCEEDS_AMOUNT",
            ErrorCode::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::ProcessorUnavailable => "PROCESSOR_UNAVAILABLE",
            ErrorCode::Unavailable => "UNAVAILABLE",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::InvalidState
            | ErrorCode::ChargeInProgress
            | ErrorCode::PaymentNotRefundable
            | ErrorCode::IdempotencyInProgress => StatusCode::CONFLICT,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::RefundExceedsAmount | ErrorCode::IdempotencyKeyReused => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ProcessorUnavailable => StatusCode::BAD_GATEWAY,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Every code (for the OpenAPI document and tests).
    pub const ALL: [ErrorCode; 16] = [
        ErrorCode::InvalidRequest,
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::InvalidState,
        ErrorCode::ChargeInProgress,
        ErrorCode::PaymentNotRefundable,
        ErrorCode::IdempotencyInProgress,
        ErrorCode::PayloadTooLarge,
        ErrorCode::RefundExceedsAmount,
        ErrorCode::IdempotencyKeyReused,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::ProcessorUnavailable,
        ErrorCode::Unavailable,
    ];
}

/// An error answer: the code, a sentence for people, optional details, and (for checkout
/// refusals) the object as it stands.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The code (and with it the HTTP status).
    pub code: ErrorCode,
    /// The sentence shown in `result`.
    pub message: String,
    /// `error.details`.
    pub details: Value,
    /// `data` (usually null).
    pub data: Value,
    /// Seconds for a `Retry-After` header (429; a 503 always says [`RETRY_AFTER_SECONDS`]).
    pub retry_after: Option<u64>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl ApiError {
    /// An error with empty details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            details: json!({}),
            data: Value::Null,
            retry_after: None,
        }
    }

    /// The same error with these details.
    pub fn with_details(mut self, details: Value) -> ApiError {
        self.details = details;
        self
    }

    /// The same error carrying `data` (the object as it stands).
    pub fn with_data(mut self, data: Value) -> ApiError {
        self.data = data;
        self
    }

    /// 400 naming the field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        let field = field.into();
        let message = message.into();
        let sentence = if field.is_empty() {
            message.clone()
        } else {
            format!("{field}: {message}")
        };
        ApiError::new(ErrorCode::InvalidRequest, sentence)
            .with_details(json!({ "field": field, "reason": message }))
    }

    /// 401.
    pub fn unauthenticated(message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::Unauthenticated, message)
    }

    /// 404.
    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::NotFound, format!("{} not found", what.into()))
    }

    /// 413.
    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the request body is over the {limit}-byte limit"),
        )
        .with_details(json!({ "field": "body", "limit_bytes": limit }))
    }

    /// 500: logs `cause` and answers without it.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(ErrorCode::Internal, "internal error")
    }

    /// The envelope body.
    pub fn body(&self) -> Value {
        json!({
            "status_code": self.code.status().as_u16(),
            "result": self.message,
            "success": false,
            "data": self.data,
            "error": { "code": self.code.as_str(), "details": self.details },
        })
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let envelope = Failure {
            status_code: self.code.status().as_u16(),
            result: &self.message,
            success: false,
            data: &self.data,
            error: FailureBody {
                code: self.code.as_str(),
                details: &self.details,
            },
        };
        let body = serde_json::to_string(&envelope).unwrap_or_else(|_| self.body().to_string());
        let mut response = HttpResponse::build(self.code.status());
        response.content_type("application/json");
        let retry_after = if self.code == ErrorCode::Unavailable {
            Some(u64::from(RETRY_AFTER_SECONDS))
        } else {
            self.retry_after
        };
        if let Some(seconds) = retry_after {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        response.body(body)
    }
}

/// The success envelope, in its documented key order.
#[derive(Serialize)]
struct Success<'a, T: Serialize> {
    status_code: u16,
    result: &'static str,
    success: bool,
    data: &'a T,
}

/// The error envelope, in its documented key order.
#[derive(Serialize)]
struct Failure<'a> {
    status_code: u16,
    result: &'a str,
    success: bool,
    data: &'a Value,
    error: FailureBody<'a>,
}

#[derive(Serialize)]
struct FailureBody<'a> {
    code: &'static str,
    details: &'a Value,
}

/// The answer for a path or method no route serves, on the envelope surfaces
/// (`/api/v1/...`, `/internal/v1/...`): 404 `NOT_FOUND` with `details.unrouted: true`.
pub async fn unrouted(req: actix_web::HttpRequest) -> HttpResponse {
    ApiError::new(
        ErrorCode::NotFound,
        format!("no route for {} {}", req.method(), req.path()),
    )
    .with_details(json!({ "unrouted": true, "method": req.method().as_str(), "path": req.path() }))
    .error_response()
}

/// The success envelope around `data`, as text.
pub fn success_body(status: StatusCode, data: &impl Serialize) -> String {
    let envelope = Success {
        status_code: status.as_u16(),
        result: SUCCESS_RESULT,
        success: true,
        data,
    };
    serde_json::to_string(&envelope).unwrap_or_else(|error| {
        tracing::error!(error = %error, "response failed to serialize");
        r#"{"status_code":500,"result":"internal error","success":false,"data":null,"error":{"code":"INTERNAL","details":{}}}"#.to_owned()
    })
}

/// A success response.
pub fn success(status: StatusCode, data: &impl Serialize) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .body(success_body(status, data))
}

/// The stored first response of an idempotency key, as the response to store.
pub fn stored(status: StatusCode, data: &impl Serialize) -> StoredReply {
    StoredReply {
        status: status.as_u16(),
        body: success_body(status, data),
    }
}

/// Replays a stored first response with `Idempotent-Replayed: true`.
pub fn replay(response: &StoredReply) -> HttpResponse {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    HttpResponse::build(status)
        .content_type("application/json")
        .insert_header((
            header::HeaderName::from_static("idempotent-replayed"),
            HeaderValue::from_static("true"),
        ))
        .body(response.body.clone())
}

impl From<InvalidField> for ApiError {
    fn from(error: InvalidField) -> ApiError {
        ApiError::invalid(error.field, error.message)
    }
}

/// What `Retry-After` says when the database cannot be reached.
pub const RETRY_AFTER_SECONDS: u32 = 1;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_code_of_the_body_matches_the_http_status() {
        for code in ErrorCode::ALL {
            let error = ApiError::new(code, "x");
            assert_eq!(
                error.body()["status_code"].as_u64(),
                Some(u64::from(code.status().as_u16()))
            );
            assert_eq!(error.body()["error"]["code"], code.as_str());
        }
    }

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
