//! How values land in each database, checked with raw SQL beside the store: money is
//! exact text on SQLite and NUMERIC(22,4) on PostgreSQL, times are fixed-width UTC text
//! on SQLite and TIMESTAMPTZ on PostgreSQL, items get their own rows.

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use hostpay_domain::access::PaymentSession;
use hostpay_domain::ids::{AppId, PaymentId};
use hostpay_domain::miniapp::{Miniapp, SecretKeyring, WebhookUrl};
use hostpay_domain::money::{Currency, Money, PositiveMoney};
use hostpay_domain::order::PaymentDetails;
use hostpay_domain::payment::{Channel, NewPayment, Payment, PaymentParts};
use hostpay_domain::ports::{NewPaymentWrite, StoreError};
use hostpay_domain::validation::NonEmptyString;
use hostpay_store::testing::{PgTestDb, SqliteTestDb};
use hostpay_store::{connect, Backend, Store, StoreOptions};
use hostpay_testkit::SequentialIds;

const MAX: &str = "999999999999999999.99";

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap() + Duration::microseconds(123_456)
}

fn app(ids: &SequentialIds) -> Miniapp {
    let keyring = SecretKeyring::new(b"k".to_vec());
    Miniapp {
        id: AppId::generate(ids),
        name: NonEmptyString::parse("Storage").unwrap(),
        secret_hash: keyring.hash("secret"),
        webhook_url: Some(WebhookUrl::parse("https://shop.example/hook").unwrap()),
        secret_generation: 1,
        created_at: at(),
        updated_at: at(),
    }
}

fn payment(app: &Miniapp, ids: &SequentialIds, amount: &str) -> NewPaymentWrite {
    let details: PaymentDetails = hostpay_testkit::orders::payment_details(
        serde_json::from_str(
            r#"{
            "items": [
                {"product_name": "Tea", "quantity": 3, "price": "0.10", "discount": "0.01"},
                {"product_name": "Cup", "product_sku": "CUP-1"}
            ],
            "custom_attributes": {"exact": 0.1000, "big": 12345678901234567890.123}
        }"#,
        )
        .unwrap(),
    );
    let request = NewPayment {
        app_id: app.id.clone(),
        channel: Channel::Platform,
        user_id: NonEmptyString::parse("user-1").unwrap(),
        amount: PositiveMoney::new(Money::parse(amount).unwrap()).unwrap(),
        currency: Currency::parse("SAR").unwrap(),
        miniapp_order_id: Some(NonEmptyString::parse("order-1").unwrap()),
        details,
    };
    let mut opened = Payment::open(
        request,
        PaymentId::generate(ids),
        at(),
        Duration::minutes(15),
    );
    opened.payment.route(&mut opened.events, true);
    let session = PaymentSession {
        token_hash: SecretKeyring::new(b"k".to_vec()).hash(&format!("s{}", opened.payment.id())),
        payment_id: opened.payment.id().clone(),
        created_at: at(),
        expires_at: opened.payment.expires_at(),
    };
    NewPaymentWrite {
        payment: opened.payment,
        session,
        events: opened.events,
        idempotent: None,
    }
}

/// Stores a maximum-amount Boxo payment and checks it reads back exactly.
async fn round_trip(store: &Store) -> PaymentId {
    let ids = SequentialIds::with_namespace("st");
    let app = app(&ids);
    store.apps().insert(&app).await.unwrap();
    let write = payment(&app, &ids, MAX);
    let id = write.payment.id().clone();
    store.payments().insert(write.clone()).await.unwrap();
    let stored = store.payments().get(&id).await.unwrap().unwrap();
    assert_eq!(stored, write.payment);
    assert_eq!(stored.amount().to_string(), MAX);
    assert_eq!(
        stored
            .details()
            .custom_attributes
            .as_ref()
            .unwrap()
            .to_string(),
        r#"{"big":12345678901234567890.123,"exact":0.1000}"#,
        "JSON numbers are kept as written"
    );
    let found = store
        .payments()
        .find_platform_order(&app.id, "order-1")
        .await
        .unwrap();
    assert_eq!(found.map(|p| p.id().clone()), Some(id.clone()));
    // Another Boxo payment of the app with the same order id is refused.
    let mut again = payment(&app, &ids, "1");
    again.payment = Payment::restore(PaymentParts {
        miniapp_order_id: write.payment.miniapp_order_id().cloned(),
        ..again.payment.into_parts()
    });
    assert_eq!(
        store.payments().insert(again).await,
        Err(StoreError::Duplicate("miniapp_order_id".into()))
    );
    let status = store.pool_status();
    assert!(
        status.size >= 1 && status.size <= status.max_size,
        "{status:?}"
    );
    id
}

#[derive(QueryableByName, Debug)]
struct Stored {
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_keeps_money_and_times_as_exact_text() {
    let db = SqliteTestDb::create();
    let store = connect(&db.url, StoreOptions::default()).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    let id = round_trip(&store).await;

    let mut conn = SqliteConnection::establish(&db.path().display().to_string()).unwrap();
    let mut query =
        |sql: String| -> Vec<Stored> { diesel::sql_query(sql).load(&mut conn).unwrap() };
    let rows = query(format!(
        "SELECT typeof(amount) AS kind, amount AS value FROM payments WHERE id = '{id}' \
         UNION ALL SELECT typeof(created_at), created_at FROM payments WHERE id = '{id}'"
    ));
    assert_eq!(rows[0].kind, "text");
    assert_eq!(rows[0].value, MAX);
    assert_eq!(rows[1].kind, "text");
    assert_eq!(rows[1].value, "2026-03-04T05:06:07.123456Z");
    let items = query(format!(
        "SELECT typeof(price) AS kind, price || '/' || discount || '/' || quantity AS value \
         FROM payment_items WHERE payment_id = '{id}' AND position = 0"
    ));
    assert_eq!(items[0].kind, "text");
    assert_eq!(items[0].value, "0.10/0.01/3");
    let pragmas = query(
        "SELECT 'journal_mode' AS kind, journal_mode AS value FROM pragma_journal_mode".into(),
    );
    assert_eq!(pragmas[0].value, "wal");
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_money_as_numeric_and_times_as_timestamptz() {
    let db = PgTestDb::migrated().await;
    let store = connect(&db.url, StoreOptions::default()).await.unwrap();
    assert_eq!(store.backend(), Backend::Postgres);
    let id = round_trip(&store).await;

    let output = std::process::Command::new("psql")
        .args([
            db.url.as_str(),
            "-Atc",
            &format!(
                "SET TIME ZONE 'UTC'; SELECT pg_typeof(amount), amount::text, \
                 pg_typeof(created_at), created_at::text FROM payments WHERE id = '{id}'; \
                 SELECT count(*) FROM payment_items WHERE payment_id = '{id}'"
            ),
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = text.lines().filter(|line| !line.is_empty()).collect();
    assert_eq!(
        lines,
        vec![
            "SET",
            "numeric|999999999999999999.9900|timestamp with time zone|2026-03-04 05:06:07.123456+00",
            "2"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_urls_and_unreachable_servers_are_errors_not_panics() {
    let error = connect("mysql://localhost/db", StoreOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    let options = StoreOptions {
        pool: hostpay_store::PoolSettings {
            max_connections: 1,
            acquire_timeout: std::time::Duration::from_secs(2),
        },
        migrate: false,
    };
    let error = connect("postgres://nobody:secret@127.0.0.1:1/none", options)
        .await
        .unwrap_err();
    match error {
        StoreError::Unavailable(reason) => assert!(!reason.contains("secret"), "{reason}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

/// A transition whose last write fails (an event id already stored) leaves nothing behind:
/// not the new status, not the version, not the delivery.
async fn failed_transition_writes_nothing(store: &Store) {
    use hostpay_domain::payment::CancelReason;
    use hostpay_domain::ports::PaymentWrite;

    let ids = SequentialIds::with_namespace("atom");
    let app = app(&ids);
    store.apps().insert(&app).await.unwrap();
    let write = payment(&app, &ids, "10.00");
    let created_event = write.events[0].id.clone();
    let payment = write.payment.clone();
    store.payments().insert(write).await.unwrap();
    let deliveries_before = store
        .outbox()
        .list(None, &hostpay_domain::page::PageRequest::first(100))
        .await
        .unwrap()
        .items
        .len();

    let mut cancelled = payment
        .cancel(CancelReason::ByHost, at() + Duration::seconds(1))
        .unwrap();
    cancelled.payment.route(&mut cancelled.events, true);
    assert_eq!(
        cancelled.events[0].targets.len(),
        1,
        "a Boxo cancel is delivered"
    );
    cancelled.events[0].id = created_event;
    let result = store
        .payments()
        .save(PaymentWrite {
            payment: cancelled.payment.clone(),
            events: cancelled.events.clone(),
            activity_events: Vec::new(),
            idempotent: None,
            reversal: None,
        })
        .await;
    assert!(
        matches!(result, Err(StoreError::Duplicate(_))),
        "{result:?}"
    );
    assert_eq!(
        store.payments().get(payment.id()).await.unwrap(),
        Some(payment.clone())
    );
    assert_eq!(
        store.payments().events(payment.id()).await.unwrap().len(),
        1
    );
    let deliveries_after = store
        .outbox()
        .list(None, &hostpay_domain::page::PageRequest::first(100))
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(deliveries_after, deliveries_before);

    // The same transition with its own event id goes through.
    let mut cancelled = payment
        .cancel(CancelReason::ByHost, at() + Duration::seconds(1))
        .unwrap();
    cancelled.payment.route(&mut cancelled.events, true);
    store
        .payments()
        .save(PaymentWrite {
            payment: cancelled.payment.clone(),
            events: cancelled.events,
            activity_events: Vec::new(),
            idempotent: None,
            reversal: None,
        })
        .await
        .unwrap();
    assert_eq!(
        store.payments().get(payment.id()).await.unwrap(),
        Some(cancelled.payment)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_failed_transition_writes_nothing() {
    let db = SqliteTestDb::create();
    failed_transition_writes_nothing(&connect(&db.url, StoreOptions::default()).await.unwrap())
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_failed_transition_writes_nothing() {
    let db = PgTestDb::migrated().await;
    failed_transition_writes_nothing(&connect(&db.url, StoreOptions::default()).await.unwrap())
        .await;
}
