//! Miniapp webhook signatures (api.md section 6):
//! `X-Hostpay-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
//!
//! Keys are the UTF-8 bytes of the secret strings. Known answers: `docs/signing-vectors.md`.
//! The miniapp platform's request signing lives with that platform's wire adapter, with
//! its vectors.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header carrying a miniapp webhook's signature.
pub const WEBHOOK_SIGNATURE_HEADER: &str = "X-Hostpay-Signature";

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

    const WEBHOOK_BODY: &str = r#"{"id":"evt_01JD3R","type":"payment.paid","created_at":"2026-01-01T00:00:00Z","data":{"id":"pay_01JD3Q","status":"paid"}}"#;

    // The platform request vectors (1, 2), tampering, wrong keys and template filling
    // are tested with the platform's wire adapter now (its crate's tests/vectors.rs,
    // tests/incoming.rs and src/signing/template.rs).

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
