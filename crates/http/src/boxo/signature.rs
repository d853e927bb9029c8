//! Verifying Boxo request signatures (api.md section 6): `base64(HMAC-SHA256(secret, P))`
//! where `P` is the payload template filled in with the timestamp, nonce, upper-cased
//! method, path with query and the raw body. The signer lives in `hostpay-upstream`;
//! both are checked against `signing-vectors.md`.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// What a Boxo signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// `{timestamp}` as sent.
    pub timestamp: &'a str,
    /// `{nonce}` as sent.
    pub nonce: &'a str,
    /// `{request_method}` (upper-cased here).
    pub method: &'a str,
    /// `{url}`: path and query.
    pub url: &'a str,
    /// `{client_id}` as sent (empty when none).
    pub client_id: &'a str,
    /// `{payload}`: the raw body.
    pub body: &'a [u8],
}

/// `template` with its placeholders filled in, in one pass; unknown braces stay.
pub fn payload(template: &str, request: &SignedRequest<'_>) -> Vec<u8> {
    let method = request.method.to_ascii_uppercase();
    let mut out = Vec::with_capacity(template.len() + request.body.len() + 64);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.extend_from_slice(&rest.as_bytes()[..start]);
        let after = &rest[start..];
        let Some(end) = after.find('}') else {
            rest = after;
            break;
        };
        let value: Option<&[u8]> = match &after[1..end] {
            "timestamp" => Some(request.timestamp.as_bytes()),
            "nonce" => Some(request.nonce.as_bytes()),
            "request_method" => Some(method.as_bytes()),
            "url" => Some(request.url.as_bytes()),
            "client_id" => Some(request.client_id.as_bytes()),
            "payload" => Some(request.body),
            _ => None,
        };
        match value {
            Some(value) => {
                out.extend_from_slice(value);
                rest = &after[end + 1..];
            }
            None => {
                out.push(b'{');
                rest = &after[1..];
            }
        }
    }
    out.extend_from_slice(rest.as_bytes());
    out
}

/// Whether `signature` (base64) signs `request`; compared in constant time.
pub fn verify(secret: &str, template: &str, request: &SignedRequest<'_>, signature: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(&payload(template, request));
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "{timestamp}.{nonce}.{request_method}.{url}.{payload}";

    #[test]
    fn vector_2_incoming_create_order_payment() {
        let body = br#"{"app_id":"app_demo","order":{"currency":"SAR","amount":"25.00","hostapp_user_id":"u-42"}}"#;
        let request = SignedRequest {
            timestamp: "1767225900",
            nonce: "Zx9Yw8Vu7Ts6Rq5Po4Nm",
            method: "post",
            url: "/boxo/v1/order-payments?trace=1",
            client_id: "",
            body,
        };
        assert!(verify(
            "boxo-signing-secret",
            TEMPLATE,
            &request,
            "POERrtZcM0VTJ8Jx0bBbt3h43nLKDo5COrF2EBo7FH8="
        ));
        let tampered = SignedRequest {
            body: b"{}",
            ..request
        };
        assert!(!verify(
            "boxo-signing-secret",
            TEMPLATE,
            &tampered,
            "POERrtZcM0VTJ8Jx0bBbt3h43nLKDo5COrF2EBo7FH8="
        ));
    }

    #[test]
    fn vector_1_outgoing_complete_order() {
        let body = br#"{"order_payment_id":"pay_01JD3Q","app_id":"app_demo","client_id":"host_demo","payment_status":"paid","payment_fail_reason":null,"custom_attributes":{"table":"7"}}"#;
        let request = SignedRequest {
            timestamp: "1767225600",
            nonce: "n0nce0123456789abcdef",
            method: "POST",
            url: "/api/v1/orders/complete-order/",
            client_id: "",
            body,
        };
        assert!(verify(
            "boxo-signing-secret",
            TEMPLATE,
            &request,
            "mHotJXx563q2uNVkg6hYi8jckaGdv8618Dhj8HA0rNA="
        ));
    }
}
