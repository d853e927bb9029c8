//! A service is built from only the ports it uses: the create use case runs on an
//! in-memory payment store (its payments and idempotency keys), a clock and an id source,
//! with no processor, miniapp registry, order activities, outbox or upstream client.

use std::sync::Arc;

use hostpay_domain::idempotency::{IdempotencyClaim, IdempotencyKey, StoredReply};
use hostpay_domain::ids::AppId;
use hostpay_domain::miniapp::{Miniapp, SecretKeyring};
use hostpay_domain::money::{Currency, Money, PositiveMoney};
use hostpay_domain::order::PaymentDetails;
use hostpay_domain::payment::PaymentStatus;
use hostpay_domain::ports::PaymentRepository;
use hostpay_domain::services::{
    CreatePayment, CreatePaymentPorts, CreatePaymentService, Idempotent, PaymentSettings,
};
use hostpay_domain::validation::NonEmptyString;
use hostpay_testkit::{default_start, FixedClock, MemoryStore, SequentialIds};

fn shop(keyring: &SecretKeyring) -> Miniapp {
    Miniapp {
        id: AppId::parse("app_shop").unwrap(),
        name: NonEmptyString::parse("Shop").unwrap(),
        secret_hash: keyring.hash("sk_shop"),
        webhook_url: None,
        secret_generation: 1,
        created_at: default_start(),
        updated_at: default_start(),
    }
}

fn request() -> CreatePayment {
    CreatePayment {
        user_id: NonEmptyString::parse("user-1").unwrap(),
        amount: PositiveMoney::new(Money::parse("12.50").unwrap()).unwrap(),
        currency: Currency::parse("USD").unwrap(),
        miniapp_order_id: None,
        details: PaymentDetails::default(),
    }
}

#[tokio::test]
async fn the_create_use_case_runs_on_a_payment_store_alone() {
    let store = Arc::new(MemoryStore::new());
    let keyring = SecretKeyring::new(b"reuse-key".to_vec());
    let service = CreatePaymentService::new(
        CreatePaymentPorts {
            payments: store.clone(),
            idempotency: store.clone(),
            clock: Arc::new(FixedClock::default()),
            ids: Arc::new(SequentialIds::new()),
        },
        keyring.clone(),
        PaymentSettings {
            session_ttl: chrono::Duration::minutes(15),
            public_url: "https://pay.example".to_owned(),
        },
    );
    let app = shop(&keyring);

    let created = match service.create(&app, request(), None).await.unwrap() {
        Idempotent::Fresh(created) => created,
        Idempotent::NeedsReply(_) | Idempotent::Replayed(_) => panic!("no key: saved at once"),
    };
    let stored = store.get(created.payment.id()).await.unwrap().unwrap();
    assert_eq!(stored, created.payment);
    assert_eq!(stored.status(), PaymentStatus::InProcess);
    assert!(created.session.checkout_url.starts_with(&format!(
        "https://pay.example/checkout/{}?session=ps_",
        stored.id()
    )));

    // With an idempotency key: the reply is kept with the payment, then replayed.
    let claim = IdempotencyClaim {
        app_id: app.id.clone(),
        key: IdempotencyKey::parse("order-7").unwrap(),
        fingerprint: "f-order-7".to_owned(),
        owner: String::new(),
    };
    let pending = match service.create(&app, request(), Some(claim.clone())).await {
        Ok(Idempotent::NeedsReply(pending)) => pending,
        other => panic!("a keyed create waits for its reply: {other:?}"),
    };
    let reply = StoredReply {
        status: 201,
        body: format!("created {}", pending.created().payment.id()),
    };
    let saved = service.resume_create(pending, reply.clone()).await.unwrap();
    assert!(store.get(saved.payment.id()).await.unwrap().is_some());
    match service.create(&app, request(), Some(claim)).await {
        Ok(Idempotent::Replayed(replayed)) => assert_eq!(replayed, reply),
        other => panic!("the same key replays its reply: {other:?}"),
    }
}
