//! Boxo request signing and miniapp webhook signatures (api.md section 6).
//!
//! - Boxo: `base64(HMAC-SHA256(secret, P))` where `P` is the payload template with its
//!   placeholders filled in (default [`DEFAULT_PAYLOAD_TEMPLATE`]).
//! - Miniapp webhooks: `X-Hostpay-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
//!
//! Keys are the UTF-8 bytes of the secret strings. Known answers: `docs/signing-vectors.md`.
//!
//! Pure computation, so both adapters share it: `hostpay-upstream` signs outgoing calls and
//! webhooks, `hostpay-http` verifies incoming Boxo calls.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Boxo's default payload template.
pub const DEFAULT_PAYLOAD_TEMPLATE: &str = "{timestamp}.{nonce}.{request_method}.{url}.{payload}";

/// The header carrying a miniapp webhook's signature.
pub const WEBHOOK_SIGNATURE_HEADER: &str = "X-Hostpay-Signature";

/// What a Boxo signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// `{timestamp}`: unix seconds, as sent in the timestamp header.
    pub timestamp: &'a str,
    /// `{nonce}`: as sent in the nonce header.
    pub nonce: &'a str,
    /// `{request_method}`: upper-cased before signing.
    pub method: &'a str,
    /// `{url}`: the request path with its query (`/api/v1/orders/complete-order/`).
    pub url: &'a str,
    /// `{client_id}`: as sent in the client id header (empty when none).
    pub client_id: &'a str,
    /// `{payload}`: the raw body bytes.
    pub body: &'a [u8],
}

/// The bytes a Boxo signature is computed over: `template` with `{timestamp}`, `{nonce}`,
/// `{request_method}`, `{url}`, `{client_id}` and `{payload}` filled in, in one pass (text
/// inside the filled-in values is never substituted again). Other braces stay as written.
pub fn boxo_payload(template: &str, request: &SignedRequest<'_>) -> Vec<u8> {
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

/// The Boxo signature (base64 of HMAC-SHA256) of `request` under `template`.
pub fn boxo_signature(secret: &str, template: &str, request: &SignedRequest<'_>) -> String {
    let mac = hmac_sha256(secret, &boxo_payload(template, request));
    base64::engine::general_purpose::STANDARD.encode(mac)
}

/// Whether `signature` (base64) is the Boxo signature of `request`; compared in constant
/// time.
pub fn verify_boxo_signature(
    secret: &str,
    template: &str,
    request: &SignedRequest<'_>,
    signature: &str,
) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(&boxo_payload(template, request));
    mac.verify_slice(&expected).is_ok()
}

/// The hex HMAC-SHA256 of `"<t>.<raw body>"`: the `v1` of a webhook signature.
pub fn webhook_v1(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    hex::encode(hmac_sha256(secret, &message))
}

/// The `X-Hostpay-Signature` value: `t=<unix>,v1=<hex>`.
pub fn webhook_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", webhook_v1(secret, timestamp, body))
}

/// Why a webhook signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookSignatureError {
    /// The header is not `t=<unix>,v1=<hex>`.
    #[error("malformed signature header")]
    Malformed,
    /// `t` is further than the tolerance from now.
    #[error("timestamp outside the tolerance")]
    Stale,
    /// No `v1` matches.
    #[error("signature mismatch")]
    Mismatch,
}

/// Verifies an `X-Hostpay-Signature` header (what a receiver does): `t` within
/// `tolerance_seconds` of `now_unix`, and one of its `v1` values matching (constant time).
pub fn verify_webhook_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now_unix: i64,
    tolerance_seconds: i64,
) -> Result<(), WebhookSignatureError> {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => {
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| WebhookSignatureError::Malformed)?,
                )
            }
            Some(("v1", value)) => candidates.push(value.to_owned()),
            Some(_) | None => {}
        }
    }
    let timestamp = timestamp.ok_or(WebhookSignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(WebhookSignatureError::Malformed);
    }
    if (now_unix - timestamp).abs() > tolerance_seconds {
        return Err(WebhookSignatureError::Stale);
    }
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    for candidate in candidates {
        let Ok(expected) = hex::decode(candidate) else {
            continue;
        };
        let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
            return Err(WebhookSignatureError::Mismatch);
        };
        mac.update(&message);
        if mac.verify_slice(&expected).is_ok() {
            return Ok(());
        }
    }
    Err(WebhookSignatureError::Mismatch)
}

fn hmac_sha256(secret: &str, message: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail; an empty MAC would never verify.
    match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR_1_BODY: &str = r#"{"order_payment_id":"pay_01JD3Q","app_id":"app_demo","client_id":"host_demo","payment_status":"paid","payment_fail_reason":null,"custom_attributes":{"table":"7"}}"#;
    const VECTOR_2_BODY: &str = r#"{"app_id":"app_demo","order":{"currency":"SAR","amount":"25.00","hostapp_user_id":"u-42"}}"#;
    const WEBHOOK_BODY: &str = r#"{"id":"evt_01JD3R","type":"payment.paid","created_at":"2026-01-01T00:00:00Z","data":{"id":"pay_01JD3Q","status":"paid"}}"#;

    fn vector_1() -> SignedRequest<'static> {
        SignedRequest {
            timestamp: "1767225600",
            nonce: "n0nce0123456789abcdef",
            method: "POST",
            url: "/api/v1/orders/complete-order/",
            client_id: "",
            body: VECTOR_1_BODY.as_bytes(),
        }
    }

    fn vector_2() -> SignedRequest<'static> {
        SignedRequest {
            timestamp: "1767225900",
            nonce: "Zx9Yw8Vu7Ts6Rq5Po4Nm",
            method: "post",
            url: "/boxo/v1/order-payments?trace=1",
            client_id: "",
            body: VECTOR_2_BODY.as_bytes(),
        }
    }

    #[test]
    fn vector_1_outgoing_complete_order() {
        let signature =
            boxo_signature("boxo-signing-secret", DEFAULT_PAYLOAD_TEMPLATE, &vector_1());
        assert_eq!(signature, "mHotJXx563q2uNVkg6hYi8jckaGdv8618Dhj8HA0rNA=");
        assert!(verify_boxo_signature(
            "boxo-signing-secret",
            DEFAULT_PAYLOAD_TEMPLATE,
            &vector_1(),
            &signature
        ));
    }

    #[test]
    fn vector_2_incoming_lower_case_method_and_query() {
        let request = vector_2();
        let payload = boxo_payload(DEFAULT_PAYLOAD_TEMPLATE, &request);
        assert_eq!(
            String::from_utf8(payload).unwrap(),
            format!("1767225900.Zx9Yw8Vu7Ts6Rq5Po4Nm.POST./boxo/v1/order-payments?trace=1.{VECTOR_2_BODY}")
        );
        assert_eq!(
            boxo_signature("boxo-signing-secret", DEFAULT_PAYLOAD_TEMPLATE, &request),
            "POERrtZcM0VTJ8Jx0bBbt3h43nLKDo5COrF2EBo7FH8="
        );
    }

    #[test]
    fn tampering_breaks_the_boxo_signature() {
        let signature = "POERrtZcM0VTJ8Jx0bBbt3h43nLKDo5COrF2EBo7FH8=";
        let mut request = vector_2();
        let tampered = VECTOR_2_BODY.replace("25.00", "2.50");
        request.body = tampered.as_bytes();
        assert!(!verify_boxo_signature(
            "boxo-signing-secret",
            DEFAULT_PAYLOAD_TEMPLATE,
            &request,
            signature
        ));
        assert!(!verify_boxo_signature(
            "another-secret",
            DEFAULT_PAYLOAD_TEMPLATE,
            &vector_2(),
            signature
        ));
        assert!(!verify_boxo_signature(
            "boxo-signing-secret",
            DEFAULT_PAYLOAD_TEMPLATE,
            &vector_2(),
            "not base64!"
        ));
    }

    #[test]
    fn templates_are_filled_once_and_keep_unknown_braces() {
        let request = SignedRequest {
            timestamp: "1",
            nonce: "n",
            method: "get",
            url: "/x",
            client_id: "c",
            body: b"{payload}{nonce}",
        };
        assert_eq!(
            boxo_payload(
                "{client_id}|{identity}|{payload}|{request_method}|{",
                &request
            ),
            b"c|{identity}|{payload}{nonce}|GET|{".to_vec()
        );
    }

    #[test]
    fn webhook_vector() {
        let header = webhook_signature("whsec_demo_secret", 1767225600, WEBHOOK_BODY.as_bytes());
        assert_eq!(
            header,
            "t=1767225600,v1=d4106b949b3016bfcc8c3777e3c7baacfe186fde05d910f68a051498c6d1026f"
        );
        assert_eq!(
            verify_webhook_signature(
                "whsec_demo_secret",
                &header,
                WEBHOOK_BODY.as_bytes(),
                1767225700,
                300
            ),
            Ok(())
        );
    }

    #[test]
    fn webhook_verification_refuses_tampering_staleness_and_garbage() {
        let header = webhook_signature("whsec_demo_secret", 1767225600, WEBHOOK_BODY.as_bytes());
        let body = WEBHOOK_BODY.as_bytes();
        assert_eq!(
            verify_webhook_signature("whsec_demo_secret", &header, b"{}", 1767225600, 300),
            Err(WebhookSignatureError::Mismatch)
        );
        assert_eq!(
            verify_webhook_signature("whsec_demo_secret", &header, body, 1767226000, 300),
            Err(WebhookSignatureError::Stale)
        );
        assert_eq!(
            verify_webhook_signature("whsec_demo_secret", "v1=abc", body, 1767225600, 300),
            Err(WebhookSignatureError::Malformed)
        );
        assert_eq!(
            verify_webhook_signature("wrong", &header, body, 1767225600, 300),
            Err(WebhookSignatureError::Mismatch)
        );
    }
}
