//! The in-memory wiring runs a whole payment through the services.

use hostpay_domain::event::EventKind;
use hostpay_domain::miniapp::{MiniappRegistration, WebhookUrl};
use hostpay_domain::money::{Currency, Money, PositiveMoney};
use hostpay_domain::order::PaymentDetails;
use hostpay_domain::payment::PaymentStatus;
use hostpay_domain::services::{CreatePayment, Idempotent};
use hostpay_domain::validation::NonEmptyString;
use hostpay_testkit::in_memory_services;

#[tokio::test]
async fn a_payment_is_created_confirmed_and_its_webhooks_delivered() {
    let (services, handles) = in_memory_services();
    let (app, credentials) = services
        .apps
        .register(MiniappRegistration {
            name: NonEmptyString::parse("Shop").unwrap(),
            webhook_url: Some(WebhookUrl::parse("http://127.0.0.1:9/hooks").unwrap()),
        })
        .await
        .unwrap();
    assert!(credentials.secret_key.starts_with("sk_test_0001_"));
    let request = CreatePayment {
        user_id: NonEmptyString::parse("user-1").unwrap(),
        amount: PositiveMoney::new(Money::parse("12.50").unwrap()).unwrap(),
        currency: Currency::parse("USD").unwrap(),
        miniapp_order_id: None,
        details: PaymentDetails::default(),
    };
    let created = match services.payments.create(&app, request, None).await.unwrap() {
        Idempotent::Fresh(created) => created,
        Idempotent::Replayed(_) => panic!("nothing to replay"),
        Idempotent::NeedsReply(_) => panic!("no key, no reply to render"),
    };
    let grant = services
        .payments
        .grant(created.payment.id(), created.payment.user_id())
        .await
        .unwrap()
        .grant;
    let paid = services
        .payments
        .confirm(created.payment.id(), &grant, false)
        .await
        .unwrap();
    assert_eq!(paid.status(), PaymentStatus::Paid);
    assert_eq!(handles.processor.charge_count(), 1);

    let report = services
        .deliveries
        .dispatch_due(10, &|| false)
        .await
        .unwrap();
    assert_eq!(report.delivered, 2);
    let kinds: Vec<EventKind> = handles
        .webhooks
        .calls()
        .iter()
        .map(|sent| sent.event.kind)
        .collect();
    assert_eq!(kinds, [EventKind::PaymentCreated, EventKind::PaymentPaid]);
    assert_eq!(services.deliveries.depth().await.unwrap().pending, 0);
}
