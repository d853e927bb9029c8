//! The Boxo host API's answers (api.md section 4): always HTTP 200, with either the result
//! or `{"error_code", "error_message"}`, and the one mapping of the Boxo use cases' errors
//! to Boxo's codes.

use actix_web::HttpResponse;
use hostpay_domain::services::PlatformOrderError;
use serde_json::json;

/// Boxo's error codes this surface answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoxoErrorCode {
    /// `boxo.client_id` or `boxo.secret_key` is not configured.
    NoIntegration,
    /// The caller's IP is not in `boxo.allowed_ips`.
    NotAWhitelistedIp,
    /// A signature header is missing.
    MissingHeader,
    /// The signature, its timestamp or its nonce is refused.
    InvalidSignature,
    /// `verify_incoming` is on but no signing secret is configured.
    MissingRequestSignatureSettings,
    /// Missing or wrong credentials.
    AccessDenied,
    /// The body is empty or not JSON.
    ParsingErrorInvalidRequestBody,
    /// A field is missing, of the wrong type or out of its limits.
    InvalidOrderData,
    /// `app_id` is not a registered miniapp.
    MiniappNotFound,
    /// Neither `order.hostapp_user_id` nor `X-User-ID`.
    HostappUserIdRequired,
    /// Unknown order payment (or another miniapp's).
    OrderNotFound,
    /// Something failed on our side; retry later.
    UnknownError,
    /// Boxo Connect: not an auth code hostpay minted.
    InvalidAuthCode,
    /// Boxo Connect: an auth code expired, used already, or minted for another miniapp.
    ExpiredAuthCode,
    /// Boxo Connect: not an access token hostpay issued (or another miniapp's).
    InvalidAccessToken,
    /// Boxo Connect: an access token past its lifetime.
    ExpiredAccessToken,
}

impl BoxoErrorCode {
    /// The wire code.
    pub fn as_str(self) -> &'static str {
        match self {
            BoxoErrorCode::NoIntegration => "NO_INTEGRATION",
            BoxoErrorCode::NotAWhitelistedIp => "NOT_A_WHITELISTED_IP",
            BoxoErrorCode::MissingHeader => "MISSING_HEADER",
            BoxoErrorCode::InvalidSignature => "INVALID_SIGNATURE",
            BoxoErrorCode::MissingRequestSignatureSettings => "MISSING_REQUEST_SIGNATURE_SETTINGS",
            BoxoErrorCode::AccessDenied => "ACCESS_DENIED",
            BoxoErrorCode::ParsingErrorInvalidRequestBody => "PARSING_ERROR_INVALID_REQUEST_BODY",
            BoxoErrorCode::InvalidOrderData => "INVALID_ORDER_DATA",
            BoxoErrorCode::MiniappNotFound => "MINIAPP_NOT_FOUND",
            BoxoErrorCode::HostappUserIdRequired => "HOSTAPP_USER_ID_REQUIRED",
            BoxoErrorCode::OrderNotFound => "ORDER_NOT_FOUND",
            BoxoErrorCode::UnknownError => "UNKNOWN_ERROR",
            BoxoErrorCode::InvalidAuthCode => "INVALID_AUTH_CODE",
            BoxoErrorCode::ExpiredAuthCode => "EXPIRED_AUTH_CODE",
            BoxoErrorCode::InvalidAccessToken => "INVALID_ACCESS_TOKEN",
            BoxoErrorCode::ExpiredAccessToken => "EXPIRED_ACCESS_TOKEN",
        }
    }
}

/// A refusal: the code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxoFailure {
    /// The code.
    pub code: BoxoErrorCode,
    /// `error_message`.
    pub message: String,
}

impl BoxoFailure {
    /// A refusal with this code and message.
    pub fn new(code: BoxoErrorCode, message: impl Into<String>) -> BoxoFailure {
        BoxoFailure {
            code,
            message: message.into(),
        }
    }

    /// The HTTP 200 answer carrying it.
    pub fn response(&self) -> HttpResponse {
        HttpResponse::Ok().json(json!({
            "error_code": self.code.as_str(),
            "error_message": self.message,
        }))
    }
}

impl From<PlatformOrderError> for BoxoFailure {
    fn from(error: PlatformOrderError) -> BoxoFailure {
        let code = match &error {
            PlatformOrderError::MiniappNotFound(_) => BoxoErrorCode::MiniappNotFound,
            PlatformOrderError::UserRequired => BoxoErrorCode::HostappUserIdRequired,
            PlatformOrderError::InvalidOrder(_) => BoxoErrorCode::InvalidOrderData,
            PlatformOrderError::OrderNotFound(_) => BoxoErrorCode::OrderNotFound,
            PlatformOrderError::Store(store) => {
                tracing::error!(error = %store, "Boxo call failed in the store");
                return BoxoFailure::new(
                    BoxoErrorCode::UnknownError,
                    "temporary failure; try again later",
                );
            }
        };
        BoxoFailure::new(code, error.to_string())
    }
}

/// The path prefix of the Boxo Connect calls (api.md section 4a).
pub const CONNECT_PATH_PREFIX: &str = "/boxo/v1/connect/";

/// The code for a request (body, path, query or header) that does not fit, on the Boxo
/// path `path`: `INVALID_ORDER_DATA` on the order-payment calls, but
/// `PARSING_ERROR_INVALID_REQUEST_BODY` on the Connect calls, which carry no order.
pub fn misfit_code(path: &str) -> BoxoErrorCode {
    if path.starts_with(CONNECT_PATH_PREFIX) {
        BoxoErrorCode::ParsingErrorInvalidRequestBody
    } else {
        BoxoErrorCode::InvalidOrderData
    }
}

/// The HTTP 200 answer of a call: the result, or the refusal.
pub fn respond(outcome: Result<serde_json::Value, BoxoFailure>) -> HttpResponse {
    match outcome {
        Ok(result) => HttpResponse::Ok().json(result),
        Err(failure) => failure.response(),
    }
}
