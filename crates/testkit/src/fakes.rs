//! Fakes of the upstreams: they record every call and answer from a scripted queue
//! (acknowledged once the queue is empty).

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;
use hostpay_domain::delivery::AttemptOutcome;
use hostpay_domain::event::DomainEvent;
use hostpay_domain::miniapp::WebhookUrl;
use hostpay_domain::ports::{AttemptReport, BoxoPlatform, CompleteOrder, WebhookSender};

/// The report of an acknowledged call (HTTP 200).
pub fn acknowledged() -> AttemptReport {
    AttemptReport {
        http_status: Some(200),
        outcome: AttemptOutcome::Acknowledged,
    }
}

/// A retryable failure with this HTTP status.
pub fn retryable(status: u16) -> AttemptReport {
    AttemptReport {
        http_status: Some(status),
        outcome: AttemptOutcome::Retryable(format!("HTTP {status}")),
    }
}

/// A permanent failure with this HTTP status and reason.
pub fn permanent(status: u16, reason: &str) -> AttemptReport {
    AttemptReport {
        http_status: Some(status),
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
    script: Script<CompleteOrder>,
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
    pub fn calls(&self) -> Vec<CompleteOrder> {
        self.script.calls()
    }
}

#[async_trait]
impl BoxoPlatform for RecordingBoxo {
    async fn complete_order(&self, order: &CompleteOrder) -> AttemptReport {
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
