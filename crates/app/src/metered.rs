//! Decorators around the ports that count business events for `/metrics`, so the domain
//! stays pure: payment transitions and refunds as they are saved, delivery attempts as
//! they come back.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hostpay_domain::access::PaymentSession;
use hostpay_domain::delivery::AttemptOutcome;
use hostpay_domain::event::{DeliveryTarget, DomainEvent, EventKind};
use hostpay_domain::ids::{AppId, PaymentId, RefundId};
use hostpay_domain::miniapp::{SecretHash, WebhookUrl};
use hostpay_domain::page::{Page, PageRequest};
use hostpay_domain::payment::Payment;
use hostpay_domain::ports::{
    AttemptReport, BoxoPlatform, CompleteOrder, NewPaymentWrite, PaymentRepository, PaymentWrite,
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

    async fn find_boxo_order(
        &self,
        app_id: &AppId,
        miniapp_order_id: &str,
    ) -> Result<Option<Payment>, StoreError> {
        self.inner.find_boxo_order(app_id, miniapp_order_id).await
    }

    async fn list_for_user(
        &self,
        app_id: &AppId,
        user_id: &str,
        page: &PageRequest,
    ) -> Result<Page<Payment>, StoreError> {
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

    async fn events_of(&self, ids: &[PaymentId]) -> Result<Vec<DomainEvent>, StoreError> {
        self.inner.events_of(ids).await
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

    async fn stale_pending_refunds(
        &self,
        before: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(PaymentId, RefundId)>, StoreError> {
        self.inner.stale_pending_refunds(before, limit).await
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
        "target" => target.as_str(),
        "outcome" => outcome
    )
    .increment(1);
}

/// A [`BoxoPlatform`] that counts attempts by outcome.
pub struct MeteredBoxo {
    inner: Arc<dyn BoxoPlatform>,
}

impl MeteredBoxo {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn BoxoPlatform>) -> MeteredBoxo {
        MeteredBoxo { inner }
    }
}

#[async_trait]
impl BoxoPlatform for MeteredBoxo {
    async fn complete_order(&self, order: &CompleteOrder) -> AttemptReport {
        let report = self.inner.complete_order(order).await;
        count_attempt(DeliveryTarget::BoxoCompleteOrder, &report);
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
