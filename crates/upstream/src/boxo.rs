//! The Boxo platform's complete-order client: `POST {platform_url}/api/v1/orders/complete-order/`
//! with `client_id` added to the body, signed when a signing secret is set.
//!
//! 2xx acknowledges; a 400 whose `error_code` is in [`DO_NOT_RETRY`] is permanent;
//! everything else (5xx, other statuses, timeouts, connection errors) is retryable.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hostpay_boxo::order::{CompleteOrderBody, DO_NOT_RETRY};
use hostpay_domain::delivery::AttemptOutcome;
use hostpay_domain::ports::{AttemptReport, Clock, MiniappPlatform, OrderOutcome};
use rand::RngExt;

use crate::client::{self, ClientError};
use crate::clock::SystemClock;
use crate::redact::{describe, redact_urls};
use crate::signing::{boxo_signature, SignedRequest, DEFAULT_PAYLOAD_TEMPLATE};

/// The complete-order path under `boxo.platform_url`.
pub const COMPLETE_ORDER_PATH: &str = "/api/v1/orders/complete-order/";

/// Outgoing request signing (`boxo.signing.*`).
#[derive(Clone)]
pub struct OutgoingSigning {
    /// `boxo.signing.secret`.
    pub secret: String,
    /// `boxo.signing.payload_template`.
    pub payload_template: String,
    /// Header carrying the signature.
    pub signature_header: String,
    /// Header carrying the timestamp.
    pub timestamp_header: String,
    /// Header carrying the nonce.
    pub nonce_header: String,
    /// Header carrying the client id.
    pub client_id_header: String,
}

impl OutgoingSigning {
    /// Signing with `secret` and the default template and header names.
    pub fn with_secret(secret: impl Into<String>) -> OutgoingSigning {
        OutgoingSigning {
            secret: secret.into(),
            payload_template: DEFAULT_PAYLOAD_TEMPLATE.to_owned(),
            signature_header: "X-Signature".to_owned(),
            timestamp_header: "X-Timestamp".to_owned(),
            nonce_header: "X-Nonce".to_owned(),
            client_id_header: "X-Client-Id".to_owned(),
        }
    }
}

impl std::fmt::Debug for OutgoingSigning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingSigning")
            .field("secret", &"<redacted>")
            .field("payload_template", &self.payload_template)
            .finish_non_exhaustive()
    }
}

/// The complete-order client's settings.
#[derive(Debug, Clone)]
pub struct BoxoClientConfig {
    /// `boxo.platform_url`; `None` makes every attempt a permanent failure.
    pub platform_url: Option<String>,
    /// `boxo.client_id`, sent in the body (and the client id header when signing).
    pub client_id: Option<String>,
    /// Signing, when `boxo.signing.secret` is set.
    pub signing: Option<OutgoingSigning>,
    /// Whole-request timeout.
    pub timeout: Duration,
}

/// The Boxo platform over HTTP.
pub struct BoxoClient {
    http: reqwest::Client,
    endpoint: Option<reqwest::Url>,
    client_id: Option<String>,
    signing: Option<OutgoingSigning>,
    clock: Arc<dyn Clock>,
}

impl BoxoClient {
    /// A client with the system clock. Errors: an invalid `boxo.platform_url`.
    pub fn new(config: BoxoClientConfig) -> Result<BoxoClient, ClientError> {
        BoxoClient::with_clock(config, Arc::new(SystemClock))
    }

    /// A client whose signature timestamps come from `clock`.
    pub fn with_clock(
        config: BoxoClientConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<BoxoClient, ClientError> {
        let endpoint = config
            .platform_url
            .as_deref()
            .map(|url| client::base_url("boxo.platform_url", url))
            .transpose()?
            .map(|base| client::join(&base, COMPLETE_ORDER_PATH));
        Ok(BoxoClient {
            http: client::build(config.timeout)?,
            endpoint,
            client_id: config.client_id,
            signing: config.signing,
            clock,
        })
    }

    fn body(&self, order: &OrderOutcome) -> Vec<u8> {
        CompleteOrderBody::new(order, self.client_id.as_deref()).to_bytes()
    }
}

/// A random nonce of 32 hex characters.
pub fn new_nonce() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}

/// What a complete-order answer means (see the module doc).
pub fn classify(status: u16, body: &[u8]) -> AttemptOutcome {
    if (200..300).contains(&status) {
        return AttemptOutcome::Acknowledged;
    }
    let error: Option<(String, String)> = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| {
            let code = value.get("error_code")?.as_str()?.to_owned();
            let message = value
                .get("error_message")
                .and_then(|message| message.as_str())
                .unwrap_or("")
                .to_owned();
            Some((code, message))
        });
    match error {
        Some((code, message)) if status == 400 && DO_NOT_RETRY.contains(&code.as_str()) => {
            AttemptOutcome::Permanent(redact_urls(&format!("HTTP 400 {code}: {message}")))
        }
        Some((code, _)) => AttemptOutcome::Retryable(redact_urls(&format!("HTTP {status} {code}"))),
        None => AttemptOutcome::Retryable(format!("HTTP {status}")),
    }
}

#[async_trait]
impl MiniappPlatform for BoxoClient {
    async fn complete_order(&self, order: &OrderOutcome) -> AttemptReport {
        let Some(endpoint) = &self.endpoint else {
            return AttemptReport {
                status_code: None,
                outcome: AttemptOutcome::Permanent("boxo.platform_url is not set".to_owned()),
            };
        };
        let body = self.body(order);
        let mut request = self
            .http
            .post(endpoint.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if let Some(signing) = &self.signing {
            let timestamp = self.clock.now().timestamp().to_string();
            let nonce = new_nonce();
            let url = match endpoint.query() {
                Some(query) => format!("{}?{query}", endpoint.path()),
                None => endpoint.path().to_owned(),
            };
            let client_id = self.client_id.as_deref().unwrap_or("");
            let signature = boxo_signature(
                &signing.secret,
                &signing.payload_template,
                &SignedRequest {
                    timestamp: &timestamp,
                    nonce: &nonce,
                    method: "POST",
                    url: &url,
                    client_id,
                    body: &body,
                },
            );
            request = request
                .header(signing.signature_header.as_str(), signature)
                .header(signing.timestamp_header.as_str(), timestamp)
                .header(signing.nonce_header.as_str(), nonce)
                .header(signing.client_id_header.as_str(), client_id);
        }
        let response = match request.body(body).send().await {
            Ok(response) => response,
            Err(error) => {
                return AttemptReport {
                    status_code: None,
                    outcome: AttemptOutcome::Retryable(describe(&error)),
                }
            }
        };
        let status = response.status().as_u16();
        let outcome = match response.bytes().await {
            Ok(bytes) => classify(status, &bytes),
            Err(error) if (200..300).contains(&status) => {
                tracing::debug!(
                    error = %describe(&error),
                    "complete-order body unreadable after a 2xx"
                );
                AttemptOutcome::Acknowledged
            }
            Err(error) => AttemptOutcome::Retryable(format!(
                "HTTP {status}, body unreadable: {}",
                describe(&error)
            )),
        };
        AttemptReport {
            status_code: Some(status),
            outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_answers() {
        assert_eq!(classify(200, b""), AttemptOutcome::Acknowledged);
        assert_eq!(classify(204, b"garbage"), AttemptOutcome::Acknowledged);
        assert!(matches!(
            classify(
                400,
                br#"{"error_code":"PROCESS_FAIL","error_message":"no"}"#
            ),
            AttemptOutcome::Permanent(_)
        ));
        assert!(matches!(
            classify(400, br#"{"error_code":"UNKNOWN_ERROR"}"#),
            AttemptOutcome::Retryable(_)
        ));
        assert!(matches!(
            classify(400, b"not json"),
            AttemptOutcome::Retryable(_)
        ));
        assert!(matches!(
            classify(503, br#"{"error_code":"PROCESS_FAIL"}"#),
            AttemptOutcome::Retryable(_)
        ));
        assert!(matches!(classify(404, b""), AttemptOutcome::Retryable(_)));
    }

    #[test]
    fn nonces_are_long_and_fresh() {
        let first = new_nonce();
        assert_eq!(first.len(), 32);
        assert_ne!(first, new_nonce());
    }
}
