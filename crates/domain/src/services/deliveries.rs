//! Delivering the outbox: claim due deliveries, call the receiver, record the attempt,
//! schedule the retry or dead-letter it; list and retry by hand.

use std::sync::Arc;
use std::time::Instant;

use chrono::Duration;
use sha2::{Digest, Sha256};

use crate::delivery::{
    AttemptOutcome, Delivery, DeliveryAttempt, DeliveryState, NextStep, RetryPolicy,
};
use crate::event::{DeliveryTarget, EventKind};
use crate::ids::DeliveryId;
use crate::miniapp::SecretKeyring;
use crate::page::{Page, PageRequest};
use crate::ports::{
    AppRepository, AttemptReport, BoxoPlatform, Clock, CompleteOrder, Outbox, StoreError,
    WebhookSender,
};
use crate::services::{Ports, Settings};

/// How long a claimed delivery is reserved for one attempt before others may take it.
pub const CLAIM_LEASE: Duration = Duration::seconds(120);

/// What one dispatch round did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DispatchReport {
    /// Attempts made.
    pub attempted: usize,
    /// Acknowledged.
    pub delivered: usize,
    /// Scheduled again.
    pub retried: usize,
    /// Dead-lettered.
    pub dead: usize,
    /// Each attempt's target and outcome, for metrics.
    pub outcomes: Vec<(DeliveryTarget, AttemptOutcome)>,
}

/// Outbox delivery.
#[derive(Clone)]
pub struct DeliveryService {
    outbox: Arc<dyn Outbox>,
    apps: Arc<dyn AppRepository>,
    boxo: Arc<dyn BoxoPlatform>,
    webhooks: Arc<dyn WebhookSender>,
    clock: Arc<dyn Clock>,
    keyring: SecretKeyring,
    policy: RetryPolicy,
    require_https: bool,
}

impl DeliveryService {
    /// Over the ports.
    pub fn new(ports: &Ports, settings: &Settings) -> DeliveryService {
        DeliveryService {
            outbox: ports.outbox.clone(),
            apps: ports.apps.clone(),
            boxo: ports.boxo.clone(),
            webhooks: ports.webhooks.clone(),
            clock: ports.clock.clone(),
            keyring: settings.keyring.clone(),
            policy: settings.retry,
            require_https: settings.require_https,
        }
    }

    /// Claims up to `limit` due deliveries and attempts each once. When `stop` turns true
    /// between attempts, the unattempted ones are released at once (never lost).
    pub async fn dispatch_due(
        &self,
        limit: u32,
        stop: &(dyn Fn() -> bool + Send + Sync),
    ) -> Result<DispatchReport, StoreError> {
        let now = self.clock.now();
        let claimed = self.outbox.claim_due(now, now + CLAIM_LEASE, limit).await?;
        let mut report = DispatchReport::default();
        for (index, delivery) in claimed.iter().enumerate() {
            if stop() {
                let rest: Vec<DeliveryId> = claimed[index..].iter().map(|d| d.id.clone()).collect();
                self.outbox.release(&rest, self.clock.now()).await?;
                break;
            }
            let started = self.clock.now();
            let timer = Instant::now();
            let attempt_report = self.attempt(delivery).await;
            let attempt = DeliveryAttempt {
                at: started,
                http_status: attempt_report.http_status,
                outcome: attempt_report.outcome.clone(),
                latency_ms: i64::try_from(timer.elapsed().as_millis()).unwrap_or(i64::MAX),
            };
            let attempts = delivery.attempts + 1;
            let next = self.policy.next_step(
                attempts,
                &attempt.outcome,
                self.clock.now(),
                jitter(&delivery.id, attempts),
            );
            self.outbox
                .record_attempt(&delivery.id, &attempt, next)
                .await?;
            report.attempted += 1;
            match next {
                NextStep::Delivered => report.delivered += 1,
                NextStep::RetryAt(_) => report.retried += 1,
                NextStep::Dead => report.dead += 1,
            }
            report.outcomes.push((delivery.target, attempt.outcome));
        }
        Ok(report)
    }

    async fn attempt(&self, delivery: &Delivery) -> AttemptReport {
        let event = &delivery.event;
        match delivery.target {
            DeliveryTarget::BoxoCompleteOrder => {
                let status = match event.kind {
                    EventKind::PaymentPaid => "paid",
                    EventKind::PaymentFailed => "failed",
                    EventKind::PaymentCancelled => "cancelled",
                    EventKind::PaymentCreated
                    | EventKind::PaymentRefunded
                    | EventKind::PaymentChargeReversed
                    | EventKind::RefundCreated
                    | EventKind::RefundSucceeded
                    | EventKind::RefundFailed => {
                        return permanent(format!(
                            "{} is not a complete-order event",
                            event.kind.as_str()
                        ))
                    }
                };
                let order = CompleteOrder {
                    order_payment_id: event.payment_id.clone(),
                    app_id: event.app_id.to_string(),
                    payment_status: status.to_owned(),
                    payment_fail_reason: event.data["fail_reason"].as_str().map(str::to_owned),
                    custom_attributes: match &event.data["custom_attributes"] {
                        serde_json::Value::Null => None,
                        value => Some(value.clone()),
                    },
                };
                self.boxo.complete_order(&order).await
            }
            DeliveryTarget::MiniappWebhook => {
                let app = match self.apps.get(&event.app_id).await {
                    Ok(Some(app)) => app,
                    Ok(None) => return permanent("the miniapp no longer exists".to_owned()),
                    Err(error) => {
                        return AttemptReport {
                            http_status: None,
                            outcome: AttemptOutcome::Retryable(error.to_string()),
                        }
                    }
                };
                let Some(url) = &app.webhook_url else {
                    return permanent("the miniapp has no webhook URL".to_owned());
                };
                if self.require_https && !url.is_https() {
                    return permanent(
                        "webhook URL is not https (delivery.require_https)".to_owned(),
                    );
                }
                let secret = app.webhook_secret(&self.keyring);
                self.webhooks.send(url, &secret, event).await
            }
        }
    }

    /// Deliveries, newest first, optionally of one state.
    pub async fn list(
        &self,
        state: Option<DeliveryState>,
        page: &PageRequest,
    ) -> Result<Page<Delivery>, StoreError> {
        self.outbox.list(state, page).await
    }

    /// One delivery with its attempts.
    pub async fn get(
        &self,
        id: &DeliveryId,
    ) -> Result<Option<(Delivery, Vec<DeliveryAttempt>)>, StoreError> {
        let Some(delivery) = self.outbox.get(id).await? else {
            return Ok(None);
        };
        let attempts = self.outbox.attempts(id).await?;
        Ok(Some((delivery, attempts)))
    }

    /// Makes a delivery due now (a dead letter gets one more attempt).
    pub async fn retry(&self, id: &DeliveryId) -> Result<Option<Delivery>, StoreError> {
        self.outbox.retry_now(id, self.clock.now()).await
    }

    /// Pending and dead counts.
    pub async fn depth(&self) -> Result<crate::ports::OutboxDepth, StoreError> {
        self.outbox.depth().await
    }
}

fn permanent(reason: String) -> AttemptReport {
    AttemptReport {
        http_status: None,
        outcome: AttemptOutcome::Permanent(reason),
    }
}

/// A jitter in -1.0..=1.0 that differs per delivery and attempt (spreads retries of
/// deliveries that failed together) yet needs no random source.
fn jitter(id: &DeliveryId, attempt: i32) -> f64 {
    let digest = Sha256::digest(format!("{id}:{attempt}").as_bytes());
    let value = u16::from_be_bytes([digest[0], digest[1]]);
    f64::from(value) / f64::from(u16::MAX) * 2.0 - 1.0
}
