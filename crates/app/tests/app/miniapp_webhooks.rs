//! Miniapp webhooks end to end: a miniapp-API payment's events reach the miniapp's
//! webhook URL through the dispatcher, signed with its webhook secret, with the event ids
//! the payment shows; a failed attempt is retried with the same id; an unreachable
//! receiver's error is stored without the URL's user-info and query.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use crate::dispatcher_harness::*;
use hostpay_domain::delivery::DeliveryState;
use hostpay_domain::miniapp::{MiniappRegistration, WebhookUrl};
use hostpay_domain::money::{Currency, Money, PositiveMoney};
use hostpay_domain::order::{PaymentDetails, UserRef};
use hostpay_domain::ports::Clock;
use hostpay_domain::services::{CreatePayment, Idempotent, Services};
use hostpay_domain::validation::NonEmptyString;
use hostpay_testkit::deliveries::*;
use hostpay_upstream::signing::verify_webhook_signature;
use hostpay_upstream::WebhookClient;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn payment_events_arrive_signed_with_stable_ids() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/hooks"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let (mut ports, handles) = hostpay_testkit::in_memory_ports();
    ports.webhooks =
        Arc::new(WebhookClient::with_clock(Duration::from_secs(5), ports.clock.clone()).unwrap());
    let services = Services::new(ports, settings());
    let (app, credentials) = services
        .apps
        .register(MiniappRegistration {
            name: NonEmptyString::parse("Coffee Corner").unwrap(),
            webhook_url: Some(WebhookUrl::parse(&format!("{}/hooks", server.uri())).unwrap()),
        })
        .await
        .unwrap();
    let created = services
        .payments
        .create(
            &app,
            CreatePayment {
                user_id: UserRef::parse("u-42").unwrap(),
                amount: PositiveMoney::new(Money::parse("10").unwrap()).unwrap(),
                currency: Currency::parse("SAR").unwrap(),
                miniapp_order_id: None,
                details: PaymentDetails::default(),
            },
            None,
        )
        .await
        .unwrap();
    let Idempotent::Fresh(created) = created else {
        panic!("no idempotency key was given");
    };
    let id = created.payment.id().clone();
    let grant = services
        .payments
        .grant(&id, created.payment.user_id())
        .await
        .unwrap()
        .grant;
    services.payments.confirm(&id, &grant, false).await.unwrap();

    let dispatcher = start(&services);
    eventually("both events delivered", || async {
        to_next_retry(&services, &handles).await;
        let all = deliveries(&services).await;
        all.len() == 2 && all.iter().all(|d| d.state == DeliveryState::Delivered)
    })
    .await;
    dispatcher.stop().await;

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 3, "one failed attempt, then both events");
    let now = handles.clock.now().timestamp();
    let mut ids = Vec::new();
    for request in &requests {
        let header = request
            .headers
            .get("X-Hostpay-Signature")
            .unwrap()
            .to_str()
            .unwrap();
        assert_eq!(
            verify_webhook_signature(&credentials.webhook_secret, header, &request.body, now, 300),
            Ok(())
        );
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body["data"]["id"], id.as_str());
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let distinct: HashSet<_> = ids.iter().cloned().collect();
    assert_eq!(
        distinct.len(),
        2,
        "the retry carries the same event id: {ids:?}"
    );
    let event_ids: HashSet<String> = services
        .payments
        .events(&id)
        .await
        .unwrap()
        .iter()
        .map(|event| event.id.to_string())
        .collect();
    assert_eq!(distinct, event_ids);
}

#[tokio::test]
async fn an_unreachable_webhook_stores_no_url_credentials() {
    let (mut ports, _handles) = hostpay_testkit::in_memory_ports();
    ports.webhooks =
        Arc::new(WebhookClient::with_clock(Duration::from_secs(2), ports.clock.clone()).unwrap());
    let services = Services::new(ports, settings());
    let (app, _) = services
        .apps
        .register(MiniappRegistration {
            name: NonEmptyString::parse("Secret Shop").unwrap(),
            webhook_url: Some(
                WebhookUrl::parse("http://user:pass@127.0.0.1:1/hook?token=secret").unwrap(),
            ),
        })
        .await
        .unwrap();
    services
        .payments
        .create(
            &app,
            CreatePayment {
                user_id: UserRef::parse("u-42").unwrap(),
                amount: PositiveMoney::new(Money::parse("10").unwrap()).unwrap(),
                currency: Currency::parse("SAR").unwrap(),
                miniapp_order_id: None,
                details: PaymentDetails::default(),
            },
            None,
        )
        .await
        .unwrap();
    let report = services
        .deliveries
        .dispatch_due(10, &|| false)
        .await
        .unwrap();
    assert_eq!(report.retried, 1, "{report:?}");

    let (delivery, attempts) = only_delivery(&services).await;
    let stored = delivery.last_error.clone().unwrap();
    let logged: Vec<String> = attempts
        .iter()
        .filter_map(|attempt| match &attempt.outcome {
            hostpay_domain::delivery::AttemptOutcome::Acknowledged => None,
            hostpay_domain::delivery::AttemptOutcome::Retryable(why)
            | hostpay_domain::delivery::AttemptOutcome::Permanent(why) => Some(why.clone()),
        })
        .chain(
            report
                .outcomes
                .iter()
                .filter_map(|(_, outcome)| match outcome {
                    hostpay_domain::delivery::AttemptOutcome::Acknowledged => None,
                    hostpay_domain::delivery::AttemptOutcome::Retryable(why)
                    | hostpay_domain::delivery::AttemptOutcome::Permanent(why) => Some(why.clone()),
                }),
        )
        .collect();
    assert_eq!(logged.len(), 2, "{logged:?}");
    for text in std::iter::once(&stored).chain(&logged) {
        assert!(
            text.contains("127.0.0.1:1/hook"),
            "names the receiver: {text}"
        );
        assert!(!text.contains("pass"), "{text}");
        assert!(!text.contains("token=secret"), "{text}");
    }
}
