//! The JSON body extractor: reads the raw bytes (at most 64 KiB), parses them with
//! `serde_path_to_error`, and refuses with an `INVALID_REQUEST` envelope naming the field's
//! path (`items[0].price`). The raw bytes are kept: the idempotency fingerprint hashes them.
//!
//! [`configure`] also installs JSON error handlers for actix's own path, query, JSON and
//! form extractors, so actix's plain-text 400 never reaches a caller.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError, UrlencodedError};
use actix_web::web::{self, Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures::future::LocalBoxFuture;
use futures::StreamExt;
use serde::de::DeserializeOwned;

use crate::edge::envelope::ApiError;

/// The largest accepted body: 64 KiB.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A parsed JSON body and the exact bytes it came from. An empty body reads as `{}`.
#[derive(Debug)]
pub struct JsonBody<T> {
    /// The parsed value.
    pub value: T,
    /// The raw body.
    pub raw: Bytes,
}

impl<T> JsonBody<T> {
    /// The parsed value.
    pub fn into_inner(self) -> T {
        self.value
    }
}

impl<T> Deref for JsonBody<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|length| length > BODY_LIMIT) {
                return Err(ApiError::too_large(BODY_LIMIT));
            }
            let raw = read_limited(&mut payload).await?;
            let value = parse(&raw)?;
            Ok(JsonBody { value, raw })
        })
    }
}

async fn read_limited(payload: &mut Payload) -> Result<Bytes, ApiError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|error| ApiError::invalid("body", error.to_string()))?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(ApiError::too_large(BODY_LIMIT));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Parses `raw` (empty reads as `{}`), naming the offending field on error.
pub fn parse<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    let text: &[u8] = match raw.iter().find(|byte| !byte.is_ascii_whitespace()) {
        None => b"{}",
        Some(b'{') => raw,
        Some(_) => return Err(ApiError::invalid("body", "must be a JSON object")),
    };
    if let Some(field) = crate::edge::control_chars::body_field_with_control(text) {
        return Err(crate::edge::control_chars::body_error(field));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        field_error(&path, &inner)
    })?;
    deserializer
        .end()
        .map_err(|error| field_error(".", &error))?;
    Ok(value)
}

/// The error for a serde_json failure at `path` (`.` is the root).
fn field_error(path: &str, error: &serde_json::Error) -> ApiError {
    let message = strip_position(&error.to_string());
    if error.is_syntax() || error.is_eof() || error.is_io() {
        return ApiError::invalid("body", format!("is not valid JSON ({message})"));
    }
    let parent = if path == "." { "" } else { path };
    // serde reports a missing field at its parent's path, naming it in the message.
    if let Some(name) = missing_field(&message) {
        let field = if parent.is_empty() {
            name.to_owned()
        } else {
            format!("{parent}.{name}")
        };
        return ApiError::invalid(field, "is required");
    }
    let field = if parent.is_empty() { "body" } else { parent };
    ApiError::invalid(field, message)
}

fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
}

/// serde_json appends " at line 1 column 12"; callers see the field instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// Installs the JSON error handlers of actix's own extractors on the app being
/// configured.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PathConfig::default().error_handler(path_error))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(
            web::JsonConfig::default()
                .limit(BODY_LIMIT)
                .error_handler(json_error),
        )
        .app_data(
            web::FormConfig::default()
                .limit(BODY_LIMIT)
                .error_handler(form_error),
        )
        .app_data(web::PayloadConfig::new(BODY_LIMIT));
}

fn path_error(error: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::invalid("path", error.to_string()).into()
}

fn query_error(error: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::invalid("query", error.to_string()).into()
}

fn json_error(error: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    match error {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::too_large(BODY_LIMIT).into()
        }
        other => ApiError::invalid("body", other.to_string()).into(),
    }
}

fn form_error(error: UrlencodedError, _req: &HttpRequest) -> actix_web::Error {
    match error {
        UrlencodedError::Overflow { .. } => ApiError::too_large(BODY_LIMIT).into(),
        other => ApiError::invalid("body", other.to_string()).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hostpay_domain::money::Money;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        price: Money,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        user_id: String,
        #[serde(default)]
        items: Vec<Item>,
    }

    fn field(raw: &str) -> String {
        match parse::<Body>(raw.as_bytes()) {
            Ok(_) => "ok".to_owned(),
            Err(error) => error.details["field"].as_str().unwrap_or("").to_owned(),
        }
    }

    #[test]
    fn names_the_path_of_the_offending_field() {
        assert_eq!(
            field(r#"{"user_id":"u","items":[{"price":"1.00001"}]}"#),
            "items[0].price"
        );
        assert_eq!(field(r#"{"items":[]}"#), "user_id");
        assert_eq!(field(r#"{"user_id":"u","items":[{}]}"#), "items[0].price");
        assert_eq!(field(r#"{"user_id":5}"#), "user_id");
        assert_eq!(field(r#"{"user_id":"u""#), "body");
        assert_eq!(field(r#"[1]"#), "body");
        assert_eq!(field(r#"{"user_id":"u","x":1}"#), "ok");
        assert_eq!(field(""), "user_id");
        assert_eq!(field(r#"{"user_id":"u"} x"#), "body");
    }
}
