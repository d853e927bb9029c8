//! Miniapp webhooks: `POST {app.webhook_url}` with `{id, type, created_at, data}` and
//! `X-Hostpay-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
//! The `id` is the event's stable id, the same on every attempt, so receivers can dedupe.
//! 2xx acknowledges; anything else, timeouts and connection errors are retryable.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hostpay_domain::delivery::AttemptOutcome;
use hostpay_domain::event::{DomainEvent, EventData};
use hostpay_domain::miniapp::WebhookUrl;
use hostpay_domain::ports::{AttemptReport, Clock, WebhookSender};
use serde::Serialize;

use crate::client::{self, ClientError};
use crate::clock::SystemClock;
use crate::signing::{webhook_signature, WEBHOOK_SIGNATURE_HEADER};

/// The body of a webhook.
#[derive(Debug, Serialize)]
pub struct WebhookBody<'a> {
    /// The event's stable id (`evt_...`).
    pub id: &'a str,
    /// `payment.paid`, `refund.succeeded`...
    #[serde(rename = "type")]
    pub kind: &'a str,
    /// When the transition happened (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// The subject after the transition (see [`webhook_data`]).
    pub data: serde_json::Value,
}

impl<'a> WebhookBody<'a> {
    /// The body of `event`.
    pub fn of(event: &'a DomainEvent) -> WebhookBody<'a> {
        WebhookBody {
            id: event.id.as_str(),
            kind: event.kind.as_str(),
            created_at: event.occurred_at,
            data: webhook_data(&event.data),
        }
    }
}

/// An event's `data` as webhooks carry it: the published document (`hostpay_events`),
/// byte for byte what the API shows in a payment's `events[]`.
pub fn webhook_data(data: &EventData) -> serde_json::Value {
    hostpay_events::data_json(data)
}

/// Sends miniapp webhooks.
pub struct WebhookClient {
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    require_https: bool,
}

impl WebhookClient {
    /// A sender with a whole-request `timeout` and the system clock.
    pub fn new(timeout: Duration) -> Result<WebhookClient, ClientError> {
        WebhookClient::with_clock(timeout, Arc::new(SystemClock))
    }

    /// A sender whose signature timestamps come from `clock`.
    pub fn with_clock(
        timeout: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<WebhookClient, ClientError> {
        Ok(WebhookClient {
            http: client::build(timeout)?,
            clock,
            require_https: false,
        })
    }

    /// Refuses (permanently) to send to a plain `http://` URL when `require` is set
    /// (`delivery.require_https`).
    pub fn require_https(mut self, require: bool) -> WebhookClient {
        self.require_https = require;
        self
    }
}

#[async_trait]
impl WebhookSender for WebhookClient {
    async fn send(&self, url: &WebhookUrl, secret: &str, event: &DomainEvent) -> AttemptReport {
        if self.require_https && !url.as_str().starts_with("https://") {
            return AttemptReport {
                status_code: None,
                outcome: AttemptOutcome::Permanent(
                    "webhook URL is not https (delivery.require_https)".to_owned(),
                ),
            };
        }
        // Serialising strings, a time and a JSON value cannot fail.
        let body = serde_json::to_vec(&WebhookBody::of(event)).unwrap_or_default();
        let signature = webhook_signature(secret, self.clock.now().timestamp(), &body);
        let result = self
            .http
            .post(url.as_str())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(WEBHOOK_SIGNATURE_HEADER, signature)
            .header("X-Hostpay-Event-Id", event.id.as_str())
            .header("X-Hostpay-Event-Type", event.kind.as_str())
            .body(body)
            .send()
            .await;
        match result {
            Ok(response) => {
                let status = response.status().as_u16();
                let outcome = if response.status().is_success() {
                    AttemptOutcome::Acknowledged
                } else {
                    AttemptOutcome::Retryable(format!("HTTP {status}"))
                };
                AttemptReport {
                    status_code: Some(status),
                    outcome,
                }
            }
            Err(error) => AttemptReport {
                status_code: None,
                outcome: AttemptOutcome::Retryable(crate::redact::describe(&error)),
            },
        }
    }
}
