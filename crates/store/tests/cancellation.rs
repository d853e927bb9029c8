//! A caller that gives up mid-write (a client disconnect drops the request's future) must
//! leave neither a half-written change nor a connection holding a transaction open: the
//! writes that follow go through on both backends.

mod common;

use std::time::Duration as StdDuration;

use chrono::{Duration, TimeZone, Utc};
use common::{PgTestDb, SqliteTestDb};
use hostpay_domain::access::PaymentSession;
use hostpay_domain::ids::{AppId, PaymentId};
use hostpay_domain::miniapp::{Miniapp, SecretKeyring, WebhookUrl};
use hostpay_domain::money::{Currency, Money, PositiveMoney};
use hostpay_domain::page::PageRequest;
use hostpay_domain::payment::{Channel, NewPayment, Payment};
use hostpay_domain::ports::NewPaymentWrite;
use hostpay_domain::validation::NonEmptyString;
use hostpay_store::{connect, PoolSettings, Store, StoreOptions};
use hostpay_testkit::SequentialIds;

fn write(app: &Miniapp, ids: &SequentialIds, n: u32) -> NewPaymentWrite {
    let at = Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap() + Duration::seconds(n.into());
    let request = NewPayment {
        app_id: app.id.clone(),
        channel: Channel::Miniapp,
        user_id: NonEmptyString::parse("u").unwrap(),
        amount: PositiveMoney::new(Money::parse("5.00").unwrap()).unwrap(),
        currency: Currency::parse("USD").unwrap(),
        miniapp_order_id: None,
        details: Default::default(),
    };
    let mut opened = Payment::open(request, PaymentId::generate(ids), at, Duration::hours(1));
    opened.payment.route(&mut opened.events, true);
    let session = PaymentSession {
        token_hash: SecretKeyring::new(b"k".to_vec()).hash(opened.payment.id.as_str()),
        payment_id: opened.payment.id.clone(),
        created_at: at,
        expires_at: opened.payment.expires_at,
    };
    NewPaymentWrite {
        payment: opened.payment,
        session,
        events: opened.events,
        idempotent: None,
    }
}

async fn abandon_writes_then_write(store: Store) {
    let ids = SequentialIds::with_namespace("cancel");
    let now = Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap();
    let app = Miniapp {
        id: AppId::generate(&ids),
        name: NonEmptyString::parse("Cancel").unwrap(),
        secret_hash: SecretKeyring::new(b"k".to_vec()).hash("s"),
        webhook_url: Some(WebhookUrl::parse("https://shop.example/hook").unwrap()),
        secret_generation: 1,
        created_at: now,
        updated_at: now,
    };
    store.apps().insert(&app).await.unwrap();
    let mut abandoned = Vec::new();
    for n in 0..40u32 {
        let payments = store.payments();
        let write = write(&app, &ids, n);
        abandoned.push(write.payment.id.clone());
        let task = tokio::spawn(async move { payments.insert(write).await });
        // Give up at different points of the transaction.
        tokio::time::sleep(StdDuration::from_micros(u64::from(n % 8) * 150)).await;
        task.abort();
    }
    // Each abandoned payment is there entirely (committed) or not at all.
    for id in &abandoned {
        if let Some(payment) = store.payments().get(id).await.unwrap() {
            let events = store.payments().events(&payment.id).await.unwrap();
            assert_eq!(events.len(), 1, "{id}: a payment without its event");
        }
    }
    // And the store still takes writes, from every pooled connection.
    for n in 100..120u32 {
        store.payments().insert(write(&app, &ids, n)).await.unwrap();
    }
    let page = store
        .payments()
        .list_for_user(&app.id, "u", &PageRequest::first(100))
        .await
        .unwrap();
    assert!(page.items.len() >= 20);
    let deliveries = store
        .outbox()
        .list(None, &PageRequest::first(100))
        .await
        .unwrap();
    assert_eq!(
        deliveries.items.len(),
        page.items.len(),
        "one delivery per payment"
    );
}

fn options() -> StoreOptions {
    StoreOptions {
        pool: PoolSettings {
            max_connections: 4,
            ..Default::default()
        },
        migrate: true,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_survives_abandoned_writes() {
    let db = SqliteTestDb::create();
    abandon_writes_then_write(connect(&db.url, options()).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_survives_abandoned_writes() {
    let db = PgTestDb::create().await;
    abandon_writes_then_write(connect(&db.url, options()).await.unwrap()).await;
}
