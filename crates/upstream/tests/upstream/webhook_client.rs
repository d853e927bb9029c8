//! Miniapp webhooks against a fake receiver (wiremock).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hostpay_domain::delivery::AttemptOutcome;
use hostpay_domain::event::{DeliveryTarget, DomainEvent, EventData, EventKind, PaymentSnapshot};
use hostpay_domain::ids::{AppId, EventId, PaymentId};
use hostpay_domain::miniapp::WebhookUrl;
use hostpay_domain::money::{Currency, Money};
use hostpay_domain::payment::PaymentStatus;
use hostpay_domain::ports::{Clock, WebhookSender};
use hostpay_domain::validation::NonEmptyString;
use hostpay_upstream::signing::verify_webhook_signature;
use hostpay_upstream::WebhookClient;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct FixedClock(DateTime<Utc>);
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn event() -> DomainEvent {
    DomainEvent {
        id: EventId::for_transition("pay_01JD3Q", "payment.paid"),
        kind: EventKind::PaymentPaid,
        app_id: AppId::parse("app_demo").unwrap(),
        payment_id: "pay_01JD3Q".to_owned(),
        occurred_at: DateTime::from_timestamp(1767225600, 0).unwrap(),
        data: EventData::Payment(PaymentSnapshot {
            id: PaymentId::parse("pay_01JD3Q").unwrap(),
            status: PaymentStatus::Paid,
            amount: Money::parse("25").unwrap(),
            refunded_amount: Money::ZERO,
            currency: Currency::parse("USD").unwrap(),
            user_id: NonEmptyString::parse("u-1").unwrap(),
            miniapp_order_id: None,
            fail_reason: None,
            custom_attributes: Some(serde_json::json!({"table": "7"})),
        }),
        targets: vec![DeliveryTarget::MiniappWebhook],
    }
}

#[tokio::test]
async fn signed_verifiable_and_stable_across_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let now = 1767225600;
    let sender = WebhookClient::with_clock(
        Duration::from_secs(5),
        Arc::new(FixedClock(DateTime::from_timestamp(now, 0).unwrap())),
    )
    .unwrap();
    let url = WebhookUrl::parse(&format!("{}/hooks", server.uri())).unwrap();
    let first = sender.send(&url, "whsec_demo_secret", &event()).await;
    assert_eq!(first.status_code, Some(500));
    assert!(matches!(first.outcome, AttemptOutcome::Retryable(_)));
    let second = sender.send(&url, "whsec_demo_secret", &event()).await;
    assert_eq!(second.outcome, AttemptOutcome::Acknowledged);

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let mut ids = Vec::new();
    for request in &requests {
        let header = request
            .headers
            .get("X-Hostpay-Signature")
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(
            verify_webhook_signature("whsec_demo_secret", header, &request.body, now, 300),
            Ok(())
        );
        assert!(verify_webhook_signature("other", header, &request.body, now, 300).is_err());
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body["type"], "payment.paid");
        assert_eq!(body["created_at"], "2026-01-01T00:00:00Z");
        assert_eq!(body["data"]["status"], "paid");
        // The data document, byte for byte as hostpay has always sent it (sorted keys).
        let raw = String::from_utf8(request.body.clone()).unwrap();
        assert!(
            raw.contains(r#""data":{"amount":"25.00","currency":"USD","custom_attributes":{"table":"7"},"fail_reason":null,"id":"pay_01JD3Q","miniapp_order_id":null,"object":"payment","refunded_amount":"0.00","status":"paid","user_id":"u-1"}"#),
            "{raw}"
        );
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[0], event().id.as_str());
}

#[tokio::test]
async fn timeouts_are_retryable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let sender = WebhookClient::new(Duration::from_millis(200)).unwrap();
    let url = WebhookUrl::parse(&server.uri()).unwrap();
    let report = sender.send(&url, "s", &event()).await;
    assert_eq!(report.status_code, None);
    assert!(matches!(report.outcome, AttemptOutcome::Retryable(_)));
}

/// What an attempt stores as its error (and what the log shows).
fn error_text(outcome: &AttemptOutcome) -> &str {
    match outcome {
        AttemptOutcome::Acknowledged => "",
        AttemptOutcome::Retryable(why) | AttemptOutcome::Permanent(why) => why,
    }
}

#[tokio::test]
async fn an_unreachable_receiver_error_carries_no_credentials() {
    let sender = WebhookClient::new(Duration::from_secs(2)).unwrap();
    let url = WebhookUrl::parse("http://user:pass@127.0.0.1:1/hook?token=secret").unwrap();
    let report = sender.send(&url, "s", &event()).await;
    assert_eq!(report.status_code, None);
    assert!(matches!(report.outcome, AttemptOutcome::Retryable(_)));
    let text = error_text(&report.outcome);
    assert!(text.starts_with("connection failed"), "{text}");
    assert!(
        text.contains("127.0.0.1:1/hook"),
        "names the receiver: {text}"
    );
    assert!(!text.contains("pass"), "{text}");
    assert!(!text.contains("token=secret"), "{text}");
    assert!(!text.contains("secret"), "{text}");
}

#[tokio::test]
async fn a_timed_out_receiver_error_carries_no_credentials() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let sender = WebhookClient::new(Duration::from_millis(200)).unwrap();
    let with_secrets =
        server.uri().replacen("http://", "http://user:pass@", 1) + "/hook?token=secret";
    let url = WebhookUrl::parse(&with_secrets).unwrap();
    let report = sender.send(&url, "s", &event()).await;
    let text = error_text(&report.outcome);
    assert!(text.starts_with("timed out"), "{text}");
    assert!(
        !text.contains("pass") && !text.contains("token=secret"),
        "{text}"
    );
}
