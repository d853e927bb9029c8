//! Several hostpay instances on one PostgreSQL database (separate stores, separate pools)
//! claim the outbox at the same time: every due delivery is handed out exactly once.

use std::collections::BTreeSet;

use chrono::{Duration, TimeZone, Utc};
use hostpay_domain::access::PaymentSession;
use hostpay_domain::ids::{AppId, PaymentId};
use hostpay_domain::miniapp::{Miniapp, SecretKeyring, WebhookUrl};
use hostpay_domain::money::{Currency, Money, PositiveMoney};
use hostpay_domain::payment::{Channel, NewPayment, Payment};
use hostpay_domain::ports::NewPaymentWrite;
use hostpay_domain::validation::NonEmptyString;
use hostpay_store::testing::PgTestDb;
use hostpay_store::{connect, Store, StoreOptions};
use hostpay_testkit::SequentialIds;

const PAYMENTS: usize = 120;
const INSTANCES: usize = 3;

async fn seed(store: &Store) {
    let ids = SequentialIds::with_namespace("inst");
    let keyring = SecretKeyring::new(b"k".to_vec());
    let now = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    let app = Miniapp {
        id: AppId::generate(&ids),
        name: NonEmptyString::parse("Instances").unwrap(),
        secret_hash: keyring.hash("secret"),
        webhook_url: Some(WebhookUrl::parse("https://shop.example/hook").unwrap()),
        secret_generation: 1,
        created_at: now,
        updated_at: now,
    };
    store.apps().insert(&app).await.unwrap();
    for n in 0..PAYMENTS {
        let request = NewPayment {
            app_id: app.id.clone(),
            channel: Channel::Miniapp,
            user_id: NonEmptyString::parse("user").unwrap(),
            amount: PositiveMoney::new(Money::parse("1.00").unwrap()).unwrap(),
            currency: Currency::parse("USD").unwrap(),
            miniapp_order_id: None,
            details: Default::default(),
        };
        let at = now + Duration::seconds(n as i64);
        let mut opened = Payment::open(request, PaymentId::generate(&ids), at, Duration::hours(1));
        opened.payment.route(&mut opened.events, true);
        let session = PaymentSession {
            token_hash: keyring.hash(&format!("session-{n}")),
            payment_id: opened.payment.id().clone(),
            created_at: at,
            expires_at: opened.payment.expires_at(),
        };
        store
            .payments()
            .insert(NewPaymentWrite {
                payment: opened.payment,
                session,
                events: opened.events,
                idempotent: None,
            })
            .await
            .unwrap();
    }
    let all = store
        .outbox()
        .list(None, &hostpay_domain::page::PageRequest::first(100))
        .await
        .unwrap();
    assert!(all.has_more, "one delivery per payment was queued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_instances_never_claim_the_same_delivery() {
    let db = PgTestDb::migrated().await;
    let first = connect(&db.url, StoreOptions::default()).await.unwrap();
    seed(&first).await;
    let mut stores = vec![first];
    for _ in 1..INSTANCES {
        let options = StoreOptions {
            migrate: false,
            ..Default::default()
        };
        stores.push(connect(&db.url, options).await.unwrap());
    }
    let now = Utc.with_ymd_and_hms(2026, 5, 2, 0, 0, 0).unwrap();
    let lease = now + Duration::minutes(5);
    let claimers: Vec<_> = stores
        .iter()
        .flat_map(|store| [store.outbox(), store.outbox()])
        .map(|outbox| {
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = outbox.claim_due(now, lease, 3).await.unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(
                        batch
                            .into_iter()
                            .map(|claimed| claimed.delivery.id.as_str().to_owned()),
                    );
                }
            })
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut total = 0;
    let mut busy_claimers = 0;
    for claimer in claimers {
        let claimed = claimer.await.unwrap();
        busy_claimers += usize::from(!claimed.is_empty());
        total += claimed.len();
        for id in claimed {
            assert!(seen.insert(id.clone()), "{id} was handed to two claimers");
        }
    }
    assert_eq!(total, PAYMENTS, "every due delivery is claimed once");
    assert!(busy_claimers >= 2, "the claimers really overlapped");
    // Leased: nobody gets them again before the lease ends; after it, they are due again.
    assert!(stores[1]
        .outbox()
        .claim_due(now, lease, 10)
        .await
        .unwrap()
        .is_empty());
    let again = stores[2]
        .outbox()
        .claim_due(lease, lease + Duration::minutes(5), 1000)
        .await
        .unwrap();
    assert_eq!(again.len(), PAYMENTS);
}
