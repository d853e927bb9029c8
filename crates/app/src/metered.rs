//! Decorators around the ports that count business events for `/metrics`, so the domain
//! stays pure: payment transitions and refunds as they are saved, delivery attempts as
//! they come back.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hostpay_domain::access::{PayGrant, PaymentSession};
use hostpay_domain::delivery::AttemptOutcome;
use hostpay_domain::event::{DeliveryTarget, DomainEvent, EventKind};
use hostpay_domain::ids::{AppId, PaymentId, RefundId};
use hostpay_domain::miniapp::{SecretHash, WebhookUrl};
use hostpay_domain::page::{Page, PageRequest};
use hostpay_domain::payment::{ChargeReversal, Payment, ReversalStatus};
use hostpay_domain::ports::{
    AttemptReport, MiniappPlatform, NewPaymentWrite, OrderOutcome, PaymentRepository, PaymentWrite,
    StoreError, WebhookSender,
};
use hostpay_http::observability::names;

/// Counts each saved event: payment transitions by event, refunds by what they reached.
fn count_events(events: &[DomainEvent]) {
    for event in events {
        let kind = event.kind.as_str();
        match event.kind {
            EventKind::PaymentCreated
            | EventKind::PaymentPaid
            | EventKind::PaymentFailed
            | EventKind::PaymentCancelled
            | EventKind::PaymentRefunded => {
                metrics::counter!(names::PAYMENT_TRANSITIONS, "event" => kind).increment(1);
            }
            EventKind::RefundCreated | EventKind::RefundSucceeded | EventKind::RefundFailed => {
                metrics::counter!(names::REFUNDS, "event" => kind).increment(1);
            }
            EventKind::PaymentChargeReversed => {
                metrics::counter!(names::CHARGE_REVERSALS).increment(1);
                tracing::error!(
                    payment_id = %event.payment_id,
                    app_id = %event.app_id,
                    event_id = %event.id,
                    "an approved charge could not be recorded on its payment; it is being refunded through the processor"
                );
            }
        }
    }
}

/// A [`PaymentRepository`] that counts what it saves.
pub struct MeteredPayments {
    inner: Arc<dyn PaymentRepository>,
}

impl MeteredPayments {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn PaymentRepository>) -> MeteredPayments {
        MeteredPayments { inner }
    }
}

#[async_trait]
impl PaymentRepository for MeteredPayments {
    async fn insert(&self, write: NewPaymentWrite) -> Result<(), StoreError> {
        let events = write.events.clone();
        self.inner.insert(write).await?;
        count_events(&events);
        Ok(())
    }

    async fn get(&self, id: &PaymentId) -> Result<Option<Payment>, StoreError> {
        self.inner.get(id).await
    }

    async fn read(
        &self,
        id: &PaymentId,
    ) -> Result<Option<hostpay_domain::ports::PaymentRecord>, StoreError> {
        self.inner.read(id).await
    }

    async fn find_platform_order(
        &self,
        app_id: &AppId,
        miniapp_order_id: &str,
    ) -> Result<Option<Payment>, StoreError> {
        self.inner
            .find_platform_order(app_id, miniapp_order_id)
            .await
    }

    async fn list_for_user(
        &self,
        app_id: &AppId,
        user_id: &str,
        page: &PageRequest,
    ) -> Result<Page<hostpay_domain::ports::PaymentRecord>, StoreError> {
        self.inner.list_for_user(app_id, user_id, page).await
    }

    async fn save(&self, write: PaymentWrite) -> Result<(), StoreError> {
        let events = write.events.clone();
        self.inner.save(write).await?;
        count_events(&events);
        Ok(())
    }

    async fn events(&self, id: &PaymentId) -> Result<Vec<DomainEvent>, StoreError> {
        self.inner.events(id).await
    }

    async fn get_many(&self, ids: &[PaymentId]) -> Result<Vec<Payment>, StoreError> {
        self.inner.get_many(ids).await
    }

    async fn add_session(&self, session: &PaymentSession) -> Result<(), StoreError> {
        self.inner.add_session(session).await
    }

    async fn find_session(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<PaymentSession>, StoreError> {
        self.inner.find_session(token_hash).await
    }

    async fn expired_in_process(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PaymentId>, StoreError> {
        self.inner.expired_in_process(now, limit).await
    }

    async fn due_refunds(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(PaymentId, RefundId)>, StoreError> {
        self.inner.due_refunds(now, limit).await
    }
    async fn due_charge_checks(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PaymentId>, StoreError> {
        self.inner.due_charge_checks(now, limit).await
    }
    async fn due_reversals(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ChargeReversal>, StoreError> {
        self.inner.due_reversals(now, limit).await
    }
    async fn reversals(&self, payment_id: &PaymentId) -> Result<Vec<ChargeReversal>, StoreError> {
        self.inner.reversals(payment_id).await
    }
    async fn save_reversal(&self, reversal: &ChargeReversal) -> Result<(), StoreError> {
        self.inner.save_reversal(reversal).await?;
        match reversal.status {
            ReversalStatus::Succeeded => {
                metrics::counter!(names::REVERSAL_ATTEMPTS, "outcome" => "accepted").increment(1);
                tracing::warn!(
                    payment_id = %reversal.payment_id,
                    reversal_id = %reversal.id,
                    amount = %reversal.amount,
                    "reversed charge refunded by the processor"
                );
            }
            ReversalStatus::Pending => {
                metrics::counter!(names::REVERSAL_ATTEMPTS, "outcome" => "refused").increment(1);
                tracing::error!(
                    payment_id = %reversal.payment_id,
                    reversal_id = %reversal.id,
                    attempts = reversal.attempts,
                    next_attempt_at = %reversal.next_attempt_at,
                    error = reversal.last_error.as_deref().unwrap_or(""),
                    "the processor has not accepted the refund of a reversed charge yet; retrying"
                );
            }
        }
        Ok(())
    }
    async fn add_grant(&self, grant: &PayGrant) -> Result<(), StoreError> {
        self.inner.add_grant(grant).await
    }
    async fn find_grant(&self, token_hash: &SecretHash) -> Result<Option<PayGrant>, StoreError> {
        self.inner.find_grant(token_hash).await
    }
}

fn count_attempt(target: DeliveryTarget, report: &AttemptReport) {
    let outcome = match report.outcome {
        AttemptOutcome::Acknowledged => "acknowledged",
        AttemptOutcome::Retryable(_) => "retryable",
        AttemptOutcome::Permanent(_) => "permanent",
    };
    metrics::counter!(
        names::DELIVERY_ATTEMPTS,
        "target" => hostpay_store::names::target_name(target),
        "outcome" => outcome
    )
    .increment(1);
}

/// A [`MiniappPlatform`] that counts attempts by outcome.
pub struct MeteredBoxo {
    inner: Arc<dyn MiniappPlatform>,
}

impl MeteredBoxo {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn MiniappPlatform>) -> MeteredBoxo {
        MeteredBoxo { inner }
    }
}

#[async_trait]
impl MiniappPlatform for MeteredBoxo {
    async fn complete_order(&self, order: &OrderOutcome) -> AttemptReport {
        let report = self.inner.complete_order(order).await;
        count_attempt(DeliveryTarget::PlatformCompleteOrder, &report);
        report
    }
}

/// A [`WebhookSender`] that counts attempts by outcome.
pub struct MeteredWebhooks {
    inner: Arc<dyn WebhookSender>,
}

impl MeteredWebhooks {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn WebhookSender>) -> MeteredWebhooks {
        MeteredWebhooks { inner }
    }
}

#[async_trait]
impl WebhookSender for MeteredWebhooks {
    async fn send(&self, url: &WebhookUrl, secret: &str, event: &DomainEvent) -> AttemptReport {
        let report = self.inner.send(url, secret, event).await;
        count_attempt(DeliveryTarget::MiniappWebhook, &report);
        report
    }
}
