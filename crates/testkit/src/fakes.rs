//! Fakes of the upstreams: they record every call and answer from a scripted queue
//! (acknowledged once the queue is empty).

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;
use hostpay_domain::delivery::AttemptOutcome;
use hostpay_domain::event::DomainEvent;
use hostpay_domain::miniapp::WebhookUrl;
use hostpay_domain::ports::{AttemptReport, MiniappPlatform, OrderOutcome, WebhookSender};

/// The report of an acknowledged call (HTTP 200).
pub fn acknowledged() -> AttemptReport {
    AttemptReport {
        status_code: Some(200),
        outcome: AttemptOutcome::Acknowledged,
    }
}

/// A retryable failure with this HTTP status.
pub fn retryable(status: u16) -> AttemptReport {
    AttemptReport {
        status_code: Some(status),
        outcome: AttemptOutcome::Retryable(format!("HTTP {status}")),
    }
}

/// A permanent failure with this HTTP status and reason.
pub fn permanent(status: u16, reason: &str) -> AttemptReport {
    AttemptReport {
        status_code: Some(status),
        outcome: AttemptOutcome::Permanent(reason.to_owned()),
    }
}

#[derive(Debug)]
struct Script<C> {
    calls: Mutex<Vec<C>>,
    replies: Mutex<VecDeque<AttemptReport>>,
}

impl<C: Clone> Script<C> {
    fn new() -> Script<C> {
        Script {
            calls: Mutex::new(Vec::new()),
            replies: Mutex::new(VecDeque::new()),
        }
    }

    fn answer(&self, call: C) -> AttemptReport {
        self.calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(call);
        self.replies
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop_front()
            .unwrap_or_else(acknowledged)
    }

    fn push(&self, report: AttemptReport) {
        self.replies
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push_back(report);
    }

    fn calls(&self) -> Vec<C> {
        self.calls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// A fake Boxo platform that records complete-order calls.
#[derive(Debug)]
pub struct RecordingBoxo {
    script: Script<OrderOutcome>,
}

impl Default for RecordingBoxo {
    fn default() -> RecordingBoxo {
        RecordingBoxo::new()
    }
}

impl RecordingBoxo {
    /// No calls yet; every call acknowledged until replies are queued.
    pub fn new() -> RecordingBoxo {
        RecordingBoxo {
            script: Script::new(),
        }
    }
    /// Queues the report for the next unanswered call.
    pub fn push_reply(&self, report: AttemptReport) {
        self.script.push(report);
    }
    /// Every complete-order sent, in order.
    pub fn calls(&self) -> Vec<OrderOutcome> {
        self.script.calls()
    }
}

#[async_trait]
impl MiniappPlatform for RecordingBoxo {
    async fn complete_order(&self, order: &OrderOutcome) -> AttemptReport {
        self.script.answer(order.clone())
    }
}

/// One webhook the fake was asked to send.
#[derive(Debug, Clone, PartialEq)]
pub struct SentWebhook {
    /// Where to.
    pub url: WebhookUrl,
    /// The signing secret it was given.
    pub secret: String,
    /// The event.
    pub event: DomainEvent,
}

/// A fake webhook sender that records every webhook.
#[derive(Debug)]
pub struct RecordingWebhooks {
    script: Script<SentWebhook>,
}

impl Default for RecordingWebhooks {
    fn default() -> RecordingWebhooks {
        RecordingWebhooks::new()
    }
}

impl RecordingWebhooks {
    /// No calls yet; every call acknowledged until replies are queued.
    pub fn new() -> RecordingWebhooks {
        RecordingWebhooks {
            script: Script::new(),
        }
    }
    /// Queues the report for the next unanswered call.
    pub fn push_reply(&self, report: AttemptReport) {
        self.script.push(report);
    }
    /// Every webhook sent, in order.
    pub fn calls(&self) -> Vec<SentWebhook> {
        self.script.calls()
    }
}

#[async_trait]
impl WebhookSender for RecordingWebhooks {
    async fn send(&self, url: &WebhookUrl, secret: &str, event: &DomainEvent) -> AttemptReport {
        self.script.answer(SentWebhook {
            url: url.clone(),
            secret: secret.to_owned(),
            event: event.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hostpay_domain::event::EventKind;
    use hostpay_domain::ids::{AppId, EventId, PaymentId};
    use hostpay_domain::payment::PaymentStatus;

    fn order() -> OrderOutcome {
        OrderOutcome {
            payment_id: PaymentId::from_trusted("pay_1".to_owned()),
            app_id: AppId::from_trusted("app_1".to_owned()),
            status: PaymentStatus::Paid,
            fail_reason: None,
            custom_attributes: None,
        }
    }

    #[tokio::test]
    async fn boxo_answers_from_its_script_then_acknowledges() {
        let boxo = RecordingBoxo::new();
        boxo.push_reply(retryable(503));
        boxo.push_reply(permanent(400, "ORDER_NOT_FOUND"));
        assert_eq!(boxo.complete_order(&order()).await, retryable(503));
        assert_eq!(
            boxo.complete_order(&order()).await,
            permanent(400, "ORDER_NOT_FOUND")
        );
        assert_eq!(boxo.complete_order(&order()).await, acknowledged());
        assert_eq!(boxo.calls(), vec![order(), order(), order()]);
    }

    #[tokio::test]
    async fn webhooks_record_url_secret_and_event() {
        let webhooks = RecordingWebhooks::new();
        let url = WebhookUrl::parse("https://merchant.example/hooks").unwrap();
        let event = DomainEvent {
            id: EventId::for_transition("pay_1", "payment.paid"),
            kind: EventKind::PaymentPaid,
            app_id: AppId::parse("app_1").unwrap(),
            payment_id: "pay_1".to_owned(),
            occurred_at: crate::clock::default_start(),
            data: hostpay_domain::event::EventData::Refund(hostpay_domain::event::RefundSnapshot {
                id: hostpay_domain::ids::RefundId::from_trusted("ref_1".to_owned()),
                payment_id: PaymentId::from_trusted("pay_1".to_owned()),
                amount: hostpay_domain::money::Money::ZERO,
                currency: hostpay_domain::money::Currency::parse("USD").unwrap(),
                status: hostpay_domain::payment::RefundStatus::Pending,
                reason: None,
                fail_reason: None,
            }),
            targets: Vec::new(),
        };
        webhooks.push_reply(retryable(500));
        assert_eq!(webhooks.send(&url, "whsec_x", &event).await, retryable(500));
        assert_eq!(webhooks.send(&url, "whsec_x", &event).await, acknowledged());
        let calls = webhooks.calls();
        assert_eq!(calls.len(), 2);
        assert_eq!(
            calls[0],
            SentWebhook {
                url,
                secret: "whsec_x".to_owned(),
                event
            }
        );
    }
}
