//! The success and error envelopes of the miniapp and internal APIs (api.md section 3), and
//! the one mapping of every domain error to its code and HTTP status.
//!
//! Success: `{"status_code": 200, "result": "Operation Completed Successfully",
//! "success": true, "data": {...}}`. Error: the same keys with `success: false`, the message
//! in `result`, and `error: {code, details}`. The HTTP status always equals `status_code`.
//!
//! [`ErrorEnvelope`] is both what is sent and what the OpenAPI documents show; the
//! mapping of domain errors to codes is in [`crate::edge::errors`].

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use hostpay_domain::idempotency::StoredReply;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

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

    /// The error envelope of this error, as sent.
    pub fn envelope(&self) -> ErrorEnvelope<'_> {
        ErrorEnvelope {
            status_code: self.code.status().as_u16(),
            result: &self.message,
            success: false,
            data: &self.data,
            error: ErrorBody {
                code: self.code.as_str(),
                details: &self.details,
            },
        }
    }

    /// The envelope body, as a JSON value.
    pub fn body(&self) -> Value {
        serde_json::to_value(self.envelope()).unwrap_or_else(|error| {
            tracing::error!(error = %error, "error envelope failed to serialize");
            Value::Null
        })
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let body = serde_json::to_string(&self.envelope()).unwrap_or_else(|error| {
            tracing::error!(error = %error, "error envelope failed to serialize");
            INTERNAL_FALLBACK.to_owned()
        });
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

/// The error envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope<'a> {
    /// Equals the HTTP status.
    #[schema(example = 409)]
    pub status_code: u16,
    /// What went wrong, for people.
    #[schema(example = "payment pay_x is failed; only paid payments can be refunded")]
    pub result: &'a str,
    /// `false`.
    #[schema(example = false)]
    pub success: bool,
    /// `null`, or (checkout and settle refusals) the payment as it stands.
    #[schema(value_type = Option<Object>)]
    pub data: &'a Value,
    /// The code and details.
    pub error: ErrorBody<'a>,
}

/// `error` of the error envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody<'a> {
    /// The stable code: INVALID_REQUEST (400), UNAUTHENTICATED (401), FORBIDDEN (403),
    /// NOT_FOUND (404), METHOD_NOT_ALLOWED (405), INVALID_STATE, CHARGE_IN_PROGRESS,
    /// PAYMENT_NOT_REFUNDABLE, IDEMPOTENCY_IN_PROGRESS (409), PAYLOAD_TOO_LARGE (413),
    /// REFUND_EXCEEDS_AMOUNT, IDEMPOTENCY_KEY_REUSED (422), RATE_LIMITED (429), INTERNAL
    /// (500), PROCESSOR_UNAVAILABLE (502), UNAVAILABLE and TIMEOUT (503).
    #[schema(example = "PAYMENT_NOT_REFUNDABLE")]
    pub code: &'static str,
    /// For INVALID_REQUEST: `{"field": "items[0].price", "reason": "..."}`; for state
    /// errors the object's id and current `status`; for METHOD_NOT_ALLOWED the allowed
    /// methods; `null` for TIMEOUT.
    #[schema(value_type = Option<Object>)]
    pub details: &'a Value,
}

/// What is sent when an envelope cannot be serialized (never expected).
const INTERNAL_FALLBACK: &str = r#"{"status_code":500,"result":"internal error","success":false,"data":null,"error":{"code":"INTERNAL","details":{}}}"#;

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
        INTERNAL_FALLBACK.to_owned()
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

/// What `Retry-After` says when the database cannot be reached.
pub const RETRY_AFTER_SECONDS: u32 = 1;

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
}
