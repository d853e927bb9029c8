//! Delivering the outbox: claim a due delivery for one attempt, call the receiver, record
//! the attempt under that claim, schedule the retry or dead-letter it; list, and retry dead
//! letters by hand.

use std::sync::Arc;
use std::time::Instant;

use chrono::Duration;
use sha2::{Digest, Sha256};

use crate::delivery::{
    claim_lease, AttemptOutcome, ClaimedDelivery, Delivery, DeliveryAttempt, DeliveryState,
    NextStep, RetryPolicy,
};
use crate::event::{DeliveryTarget, EventData, EventKind};
use crate::ids::{DeliveryId, PaymentId};
use crate::miniapp::SecretKeyring;
use crate::page::{Page, PageRequest};
use crate::payment::PaymentStatus;
use crate::ports::{
    AppRepository, AttemptReport, Clock, ManualRetry, MiniappPlatform, OrderOutcome, Outbox,
    Recorded, StoreError, WebhookSender,
};

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
    /// Attempts whose claim was taken over before their outcome could be recorded (the
    /// outcome was dropped; the claimer that took over records its own).
    pub lost_claims: Vec<DeliveryId>,
    /// Each attempt's target and outcome, for metrics.
    pub outcomes: Vec<(DeliveryTarget, AttemptOutcome)>,
}

/// Why a manual retry was refused.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryRetryError {
    /// No such delivery.
    #[error("delivery {0} not found")]
    NotFound(DeliveryId),
    /// Only dead letters are retried by hand (a pending one is retried anyway, a
    /// delivered one must not be sent again).
    #[error("delivery {id} is {}: only dead deliveries can be retried", state.as_str())]
    NotDead {
        /// The delivery.
        id: DeliveryId,
        /// Where it stands.
        state: DeliveryState,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The ports [`DeliveryService`] uses.
#[derive(Clone)]
pub struct DeliveryPorts {
    /// The outbox's delivery side.
    pub outbox: Arc<dyn Outbox>,
    /// Miniapps (their webhook URLs and secrets).
    pub apps: Arc<dyn AppRepository>,
    /// The miniapp platform (complete-order).
    pub platform: Arc<dyn MiniappPlatform>,
    /// Miniapp webhooks.
    pub webhooks: Arc<dyn WebhookSender>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

/// Outbox delivery.
#[derive(Clone)]
pub struct DeliveryService {
    outbox: Arc<dyn Outbox>,
    apps: Arc<dyn AppRepository>,
    platform: Arc<dyn MiniappPlatform>,
    webhooks: Arc<dyn WebhookSender>,
    clock: Arc<dyn Clock>,
    keyring: SecretKeyring,
    policy: RetryPolicy,
    lease: Duration,
}

impl DeliveryService {
    /// Over its ports, with the keyring that derives each miniapp's webhook secret, the
    /// retry schedule, and the longest one attempt may take (each attempt's claim lasts
    /// [`claim_lease`] of it).
    pub fn new(
        ports: DeliveryPorts,
        keyring: SecretKeyring,
        policy: RetryPolicy,
        timeout: Duration,
    ) -> DeliveryService {
        DeliveryService {
            outbox: ports.outbox,
            apps: ports.apps,
            platform: ports.platform,
            webhooks: ports.webhooks,
            clock: ports.clock,
            keyring,
            policy,
            lease: claim_lease(timeout),
        }
    }

    /// Attempts up to `limit` due deliveries one after the other, each under its own claim,
    /// taken just before its attempt and leased for [`claim_lease`] of the delivery
    /// timeout: however slow the receiver, an attempt ends before its claim does, and no
    /// delivery waits claimed behind another's attempt. Stops early when nothing is due or
    /// `stop` turns true (checked before each claim: nothing is left claimed but
    /// unattempted).
    pub async fn dispatch_due(
        &self,
        limit: u32,
        stop: &(dyn Fn() -> bool + Send + Sync),
    ) -> Result<DispatchReport, StoreError> {
        let mut report = DispatchReport::default();
        for _ in 0..limit {
            if stop() {
                break;
            }
            let now = self.clock.now();
            let claimed = self.outbox.claim_due(now, now + self.lease, 1).await?;
            let Some(claimed) = claimed.into_iter().next() else {
                break;
            };
            self.attempt_claimed(claimed, &mut report).await?;
        }
        Ok(report)
    }

    /// One attempt under `claimed`'s claim, recorded only if the claim still holds.
    async fn attempt_claimed(
        &self,
        claimed: ClaimedDelivery,
        report: &mut DispatchReport,
    ) -> Result<(), StoreError> {
        let ClaimedDelivery { delivery, token } = claimed;
        let started = self.clock.now();
        let timer = Instant::now();
        let attempt_report = self.attempt(&delivery).await;
        let attempt = DeliveryAttempt {
            at: started,
            status_code: attempt_report.status_code,
            outcome: attempt_report.outcome,
            latency_ms: i64::try_from(timer.elapsed().as_millis()).unwrap_or(i64::MAX),
        };
        let attempts = delivery.attempts + 1;
        let next = self.policy.next_step(
            attempts,
            &attempt.outcome,
            self.clock.now(),
            jitter(&delivery.id, attempts),
        );
        let recorded = self
            .outbox
            .record_attempt(&delivery.id, token, &attempt, next)
            .await?;
        report.attempted += 1;
        match recorded {
            Recorded::Written => match next {
                NextStep::Delivered => report.delivered += 1,
                NextStep::RetryAt(_) => report.retried += 1,
                NextStep::Dead => report.dead += 1,
            },
            Recorded::LostClaim => report.lost_claims.push(delivery.id.clone()),
        }
        report.outcomes.push((delivery.target, attempt.outcome));
        Ok(())
    }

    async fn attempt(&self, delivery: &Delivery) -> AttemptReport {
        let event = &delivery.event;
        match delivery.target {
            DeliveryTarget::PlatformCompleteOrder => {
                let status = match event.kind {
                    EventKind::PaymentPaid => PaymentStatus::Paid,
                    EventKind::PaymentFailed => PaymentStatus::Failed,
                    EventKind::PaymentCancelled => PaymentStatus::Cancelled,
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
                let (fail_reason, custom_attributes) = match &event.data {
                    EventData::Payment(payment) => (
                        payment.fail_reason.clone(),
                        payment.custom_attributes.clone(),
                    ),
                    EventData::Refund(_) | EventData::ChargeReversal(_) => (None, None),
                };
                let order = OrderOutcome {
                    payment_id: PaymentId::from_trusted(event.payment_id.clone()),
                    app_id: event.app_id.clone(),
                    status,
                    fail_reason,
                    custom_attributes,
                };
                self.platform.complete_order(&order).await
            }
            DeliveryTarget::MiniappWebhook => {
                let app = match self.apps.get(&event.app_id).await {
                    Ok(Some(app)) => app,
                    Ok(None) => return permanent("the miniapp no longer exists".to_owned()),
                    Err(error) => {
                        return AttemptReport {
                            status_code: None,
                            outcome: AttemptOutcome::Retryable(error.to_string()),
                        }
                    }
                };
                let Some(url) = &app.webhook_url else {
                    return permanent("the miniapp has no webhook URL".to_owned());
                };
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

    /// Makes a dead letter due now (one more attempt, its history kept). A pending or
    /// delivered delivery is refused and left as it is.
    pub async fn retry(&self, id: &DeliveryId) -> Result<Delivery, DeliveryRetryError> {
        match self.outbox.retry_now(id, self.clock.now()).await? {
            ManualRetry::Retried(delivery) => Ok(delivery),
            ManualRetry::NotDead(delivery) => Err(DeliveryRetryError::NotDead {
                id: delivery.id,
                state: delivery.state,
            }),
            ManualRetry::Unknown => Err(DeliveryRetryError::NotFound(id.clone())),
        }
    }

    /// Pending and dead counts.
    pub async fn depth(&self) -> Result<crate::ports::OutboxDepth, StoreError> {
        self.outbox.depth().await
    }
}

fn permanent(reason: String) -> AttemptReport {
    AttemptReport {
        status_code: None,
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
