//! A caller that gives up mid-call (a client disconnect, a failed sibling extractor or the
//! request timeout drops the request's future) must leave neither a half-written change, nor
//! a connection holding a transaction open, nor a panic (diesel-async waits for an abandoned
//! SQLite query with `block_in_place`, which panics on a current-thread runtime such as an
//! actix worker's): the reads and writes that follow go through on both backends.

use std::time::Duration as StdDuration;

use chrono::{Duration, TimeZone, Utc};
use hostpay_domain::access::PaymentSession;
use hostpay_domain::ids::{AppId, PaymentId};
use hostpay_domain::miniapp::{Miniapp, SecretHash, SecretKeyring, WebhookUrl};
use hostpay_domain::money::{Currency, Money, PositiveMoney};
use hostpay_domain::page::PageRequest;
use hostpay_domain::payment::{Channel, NewPayment, Payment};
use hostpay_domain::ports::NewPaymentWrite;
use hostpay_domain::validation::NonEmptyString;
use hostpay_store::testing::{PgTestDb, SqliteTestDb};
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
        token_hash: SecretKeyring::new(b"k".to_vec()).hash(opened.payment.id().as_str()),
        payment_id: opened.payment.id().clone(),
        created_at: at,
        expires_at: opened.payment.expires_at(),
    };
    NewPaymentWrite {
        payment: opened.payment,
        session,
        events: opened.events,
        idempotent: None,
    }
}

/// Waits until no store call holds or waits for a connection: the abandoned calls that had
/// started (they run to their end on their own tasks) are done.
async fn settle(store: &Store) {
    loop {
        let pool = store.pool_status();
        if pool.available == pool.size && pool.waiting == 0 {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(1)).await;
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
        abandoned.push(write.payment.id().clone());
        let task = tokio::spawn(async move { payments.insert(write).await });
        // Give up at different points of the transaction.
        tokio::time::sleep(StdDuration::from_micros(u64::from(n % 8) * 150)).await;
        task.abort();
    }
    settle(&store).await;
    // Each abandoned payment is there entirely (committed) or not at all.
    for id in &abandoned {
        if let Some(payment) = store.payments().get(id).await.unwrap() {
            let events = store.payments().events(payment.id()).await.unwrap();
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

/// Where an abandoned read is given up.
#[derive(Clone, Copy)]
enum GiveUp {
    /// `tokio::time::timeout` (millisecond ticks) inside the caller's task.
    Timeout(StdDuration),
    /// The caller's task is aborted after a pause measured to the microsecond.
    Abort(StdDuration),
}

/// Yields to the runtime until `pause` has passed (finer than the timer's ticks).
async fn pass(pause: StdDuration) {
    let started = std::time::Instant::now();
    while started.elapsed() < pause {
        tokio::task::yield_now().await;
    }
}

/// How many rounds of abandoned reads.
const ROUNDS: u32 = 300;

/// One read port call, chosen by `n`.
async fn some_read(store: Store, app: AppId, session: SecretHash, payment: PaymentId, n: u32) {
    // The outcome does not matter: only that nothing is left behind when it is dropped.
    match n % 6 {
        0 => drop(store.payments().get(&payment).await),
        1 => drop(
            store
                .payments()
                .list_for_user(&app, "u", &PageRequest::first(100))
                .await,
        ),
        2 => drop(store.apps().get(&app).await),
        3 => drop(store.payments().find_session(&session).await),
        4 => drop(store.payments().events(&payment).await),
        _ => drop(store.outbox().list(None, &PageRequest::first(100)).await),
    }
}

async fn abandon_reads_then_work(store: Store) {
    let ids = SequentialIds::with_namespace("abandon-reads");
    let now = Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap();
    let app = Miniapp {
        id: AppId::generate(&ids),
        name: NonEmptyString::parse("Abandon").unwrap(),
        secret_hash: SecretKeyring::new(b"k".to_vec()).hash("s"),
        webhook_url: Some(WebhookUrl::parse("https://shop.example/hook").unwrap()),
        secret_generation: 1,
        created_at: now,
        updated_at: now,
    };
    store.apps().insert(&app).await.unwrap();
    // Enough rows that a page takes a while to read and decode.
    let mut first = None;
    for n in 0..100u32 {
        let write = write(&app, &ids, n);
        first.get_or_insert((write.payment.id().clone(), write.session.token_hash.clone()));
        store.payments().insert(write).await.unwrap();
    }
    let (payment, session) = first.unwrap();

    // Rounds of reads: some given up at different points (through the pool's recycle
    // check, the query, the decoding), the others waiting for a connection meanwhile (more
    // callers than the pool holds), so a connection given back is reused at once.
    let mut panics = Vec::new();
    for round in 0..ROUNDS {
        let mut callers = Vec::new();
        for k in 0..5u32 {
            let n = round * 5 + k;
            let read = some_read(
                store.clone(),
                app.id.clone(),
                session.clone(),
                payment.clone(),
                n,
            );
            let give_up = match k {
                0 => Some(GiveUp::Timeout(StdDuration::from_millis(u64::from(
                    round % 4,
                )))),
                1 => Some(GiveUp::Abort(StdDuration::from_micros(u64::from(
                    round * 37 % 3000,
                )))),
                _ => None,
            };
            callers.push(match give_up {
                Some(GiveUp::Timeout(after)) => tokio::spawn(async move {
                    drop(tokio::time::timeout(after, read).await);
                }),
                Some(GiveUp::Abort(after)) => {
                    let caller = tokio::spawn(read);
                    tokio::spawn(async move {
                        pass(after).await;
                        caller.abort();
                        if let Err(error) = caller.await {
                            if error.is_panic() {
                                std::panic::resume_unwind(error.into_panic());
                            }
                        }
                    })
                }
                None => tokio::spawn(read),
            });
        }
        for caller in callers {
            if let Err(error) = caller.await {
                if error.is_panic() {
                    panics.push(panic_message(error.into_panic()));
                }
            }
        }
    }
    assert!(
        panics.is_empty(),
        "{} abandoned or following reads panicked, e.g. {:?}",
        panics.len(),
        panics.first()
    );

    // Then reads and writes on every pooled connection succeed, without a panic.
    let follow_up = {
        let store = store.clone();
        let app = app.clone();
        tokio::spawn(async move {
            for n in 1000..1020u32 {
                let write = write(&app, &ids, n);
                let id = write.payment.id().clone();
                store.payments().insert(write).await.unwrap();
                assert!(store.payments().get(&id).await.unwrap().is_some());
                assert_eq!(store.payments().events(&id).await.unwrap().len(), 1);
                assert!(store.apps().get(&app.id).await.unwrap().is_some());
            }
            let mut renamed = app.clone();
            renamed.secret_generation += 1;
            store.apps().save(&renamed).await.unwrap();
            store
                .payments()
                .list_for_user(&app.id, "u", &PageRequest::first(200))
                .await
                .unwrap()
                .items
                .len()
        })
    };
    match follow_up.await {
        Ok(listed) => assert_eq!(listed, 120),
        Err(error) if error.is_panic() => panic!(
            "work after abandoned reads panicked: {}",
            panic_message(error.into_panic())
        ),
        Err(error) => panic!("work after abandoned reads failed: {error}"),
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(message) => (*message).to_owned(),
            Err(_) => "(non-text panic)".to_owned(),
        },
    }
}

/// A small pool, so connections are reused at once.
fn small_pool() -> StoreOptions {
    StoreOptions {
        pool: PoolSettings {
            max_connections: 2,
            ..Default::default()
        },
        migrate: true,
    }
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
    let db = PgTestDb::migrated().await;
    abandon_writes_then_write(connect(&db.url, options()).await.unwrap()).await;
}

// actix-web runs each worker on a current-thread runtime: the one request handlers see.
#[tokio::test]
async fn sqlite_survives_abandoned_reads_on_a_current_thread_runtime() {
    let db = SqliteTestDb::create();
    abandon_reads_then_work(connect(&db.url, small_pool()).await.unwrap()).await;
}

#[tokio::test]
async fn postgres_survives_abandoned_reads_on_a_current_thread_runtime() {
    let db = PgTestDb::migrated().await;
    abandon_reads_then_work(connect(&db.url, small_pool()).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_survives_abandoned_reads_on_a_multi_thread_runtime() {
    let db = SqliteTestDb::create();
    abandon_reads_then_work(connect(&db.url, small_pool()).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_survives_abandoned_reads_on_a_multi_thread_runtime() {
    let db = PgTestDb::migrated().await;
    abandon_reads_then_work(connect(&db.url, small_pool()).await.unwrap()).await;
}
