//! No input may carry C0 control characters (U+0000 to U+001F; api.md section 1): they
//! are refused at the edge with the field named, before any of it reaches a store (a NUL
//! in PostgreSQL text is an error, not data). Tab, CR and LF are allowed only in free
//! text (`description`, `note`, `reason`).
//!
//! - [`body_field_with_control`]: the path of the first JSON string (or key) that holds a
//!   forbidden character, with a fast path that never parses a body without escapes;
//! - [`refuse_control_characters`]: middleware refusing them in the path, the query
//!   string and header values (the JSON envelope's 400, or Boxo's `INVALID_ORDER_DATA`
//!   with HTTP 200 on `/boxo/`).

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};
use serde_json::Value;

use crate::edge::boxo::{misfit_code, BoxoFailure};
use crate::edge::envelope::ApiError;

/// The JSON keys whose text may hold tab, CR and LF.
const FREE_TEXT: [&str; 3] = ["description", "note", "reason"];

/// Whether `text` holds a C0 control character that is not allowed (tab, CR and LF are
/// allowed when `free_text`).
pub fn has_forbidden_control(text: &str, free_text: bool) -> bool {
    text.chars()
        .any(|c| c < ' ' && !(free_text && matches!(c, '\t' | '\n' | '\r')))
}

/// The path (`items[0].product_name`, `custom_attributes.note`) of the first string or key
/// of a JSON body that holds a forbidden control character; `None` when there is none or
/// the body is not JSON (its parser reports that). Raw control characters cannot appear
/// inside JSON strings, so a body without a backslash escape of one is never parsed here.
pub fn body_field_with_control(raw: &[u8]) -> Option<String> {
    if !has_control_escape(raw) {
        return None;
    }
    let value: Value = serde_json::from_slice(raw).ok()?;
    let mut path = String::new();
    find(&value, &mut path, false)
}

/// Whether the raw JSON holds `\b`, `\f`, `\n`, `\r`, `\t` or `\u000X`/`\u001X`.
fn has_control_escape(raw: &[u8]) -> bool {
    let mut index = 0;
    while index < raw.len() {
        if raw[index] == b'\\' {
            match raw.get(index + 1) {
                Some(b'b' | b'f' | b'n' | b'r' | b't') => return true,
                Some(b'u') => {
                    let hex = raw.get(index + 2..index + 6).unwrap_or_default();
                    if hex.len() == 4
                        && hex[0] == b'0'
                        && hex[1] == b'0'
                        && matches!(hex[2], b'0' | b'1')
                    {
                        return true;
                    }
                }
                Some(_) | None => {}
            }
            index += 2;
        } else {
            index += 1;
        }
    }
    false
}

fn find(value: &Value, path: &mut String, free_text: bool) -> Option<String> {
    match value {
        Value::String(text) => has_forbidden_control(text, free_text).then(|| shown(path)),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let length = path.len();
                path.push_str(&format!("[{index}]"));
                let found = find(item, path, false);
                path.truncate(length);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        Value::Object(fields) => {
            for (key, item) in fields {
                let length = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                if has_forbidden_control(key, false) {
                    let found = shown(path);
                    path.truncate(length);
                    return Some(found);
                }
                let found = find(item, path, FREE_TEXT.contains(&key.as_str()));
                path.truncate(length);
                if found.is_some() {
                    return found;
                }
            }
            None
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => None,
    }
}

fn shown(path: &str) -> String {
    if path.is_empty() {
        "body".to_owned()
    } else {
        path.to_owned()
    }
}

/// The message of every refusal.
pub const MESSAGE: &str = "must not contain control characters (U+0000 to U+001F)";

/// Whether a percent-encoded path or query holds a control character, raw or encoded.
fn encoded_has_control(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            byte if byte < 0x20 => return true,
            b'%' => {
                let decoded = bytes
                    .get(index + 1..index + 3)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok());
                if decoded.is_some_and(|byte| byte < 0x20) {
                    return true;
                }
                index += 1;
            }
            _ => {}
        }
        index += 1;
    }
    false
}

/// Which part of the request holds a forbidden control character: `path`, `query` or the
/// header's name. Header values may hold tabs (HTTP allows them); nothing else below
/// U+0020.
pub fn request_part_with_control(req: &ServiceRequest) -> Option<String> {
    if encoded_has_control(req.path()) {
        return Some("path".to_owned());
    }
    if encoded_has_control(req.query_string()) {
        return Some("query".to_owned());
    }
    req.headers().iter().find_map(|(name, value)| {
        value
            .as_bytes()
            .iter()
            .any(|byte| *byte < 0x20 && *byte != b'\t')
            .then(|| name.as_str().to_owned())
    })
}

/// Refuses requests whose path, query or headers hold control characters.
pub async fn refuse_control_characters(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(part) = request_part_with_control(&req) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let response = if req.path().starts_with("/boxo/") {
        BoxoFailure::new(misfit_code(req.path()), format!("{part}: {MESSAGE}")).response()
    } else {
        ApiError::invalid(part, MESSAGE).error_response()
    };
    Ok(req.into_response(response.map_into_boxed_body()))
}

/// The 400 for a body field, for callers that answer with the envelope.
pub fn body_error(field: String) -> ApiError {
    ApiError::invalid(field, MESSAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_escaped_controls_and_names_the_field() {
        assert_eq!(
            body_field_with_control(br#"{"user_id":"a\u0000b"}"#).as_deref(),
            Some("user_id")
        );
        assert_eq!(
            body_field_with_control(br#"{"items":[{"product_name":"x"},{"product_name":"a\tb"}]}"#)
                .as_deref(),
            Some("items[1].product_name")
        );
        assert_eq!(
            body_field_with_control(br#"{"description":"two\nlines\tok"}"#),
            None
        );
        assert_eq!(
            body_field_with_control(br#"{"description":"bell\u0007"}"#).as_deref(),
            Some("description")
        );
        assert_eq!(
            body_field_with_control(br#"{"custom_attributes":{"a\u0001":1}}"#).as_deref(),
            Some("custom_attributes.a\u{1}")
        );
        assert_eq!(
            body_field_with_control(br#"{"user_id":"plain \\n text"}"#),
            None
        );
        assert_eq!(
            body_field_with_control(br#"{"user_id":"\u0020 space"}"#),
            None
        );
        assert_eq!(body_field_with_control(b"not json \\u0000"), None);
    }

    #[test]
    fn finds_encoded_controls_in_paths_and_queries() {
        assert!(encoded_has_control("/api/v1/users/a%00b/payments"));
        assert!(encoded_has_control("cursor=%1F"));
        assert!(!encoded_has_control("/api/v1/users/a%20b/payments"));
        assert!(!encoded_has_control("x=%7"));
    }
}
