//! Money keeps its currency's decimals in both databases (migration
//! `2026-12-02-000006_money_minor_units`): a KWD amount's third decimal lands exactly
//! (`NUMERIC(22,4)` on PostgreSQL, text on SQLite) and reads back, and going back to the
//! two-decimal schema is refused while such an amount is stored.

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use hostpay_domain::access::PaymentSession;
use hostpay_domain::ids::{AppId, PaymentId};
use hostpay_domain::miniapp::{Miniapp, SecretKeyring};
use hostpay_domain::money::{Currency, Money, PositiveMoney};
use hostpay_domain::order::PaymentDetails;
use hostpay_domain::payment::{Channel, NewPayment, Payment};
use hostpay_domain::ports::NewPaymentWrite;
use hostpay_domain::validation::NonEmptyString;
use hostpay_store::testing::{PgTestDb, SqliteTestDb};
use hostpay_store::{connect, Store, StoreOptions};
use hostpay_testkit::SequentialIds;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 5, 6, 7, 8).unwrap()
}

fn kwd() -> Currency {
    Currency::parse("KWD").unwrap()
}

/// Stores a KWD payment of `amount` whose item costs `price` (ids in `namespace`);
/// returns its id.
async fn store_kwd_payment(store: &Store, namespace: &str, amount: &str, price: &str) -> PaymentId {
    let ids = SequentialIds::with_namespace(namespace);
    let keyring = SecretKeyring::new(b"k".to_vec());
    let app = Miniapp {
        id: AppId::generate(&ids),
        name: NonEmptyString::parse("Dinars").unwrap(),
        secret_hash: keyring.hash("secret"),
        webhook_url: None,
        secret_generation: 1,
        created_at: at(),
        updated_at: at(),
    };
    store.apps().insert(&app).await.unwrap();
    let details: PaymentDetails = hostpay_testkit::orders::payment_details(serde_json::json!({
        "items": [{"product_name": "Dates", "price": price}]
    }));
    let request = NewPayment {
        app_id: app.id.clone(),
        channel: Channel::Miniapp,
        user_id: NonEmptyString::parse("user-1").unwrap(),
        amount: PositiveMoney::new(Money::parse_in(amount, kwd()).unwrap()).unwrap(),
        currency: kwd(),
        miniapp_order_id: None,
        details,
    };
    let opened = Payment::open(
        request,
        PaymentId::generate(&ids),
        at(),
        Duration::minutes(15),
    );
    let session = PaymentSession {
        token_hash: keyring.hash(&format!("s{}", opened.payment.id())),
        payment_id: opened.payment.id().clone(),
        created_at: at(),
        expires_at: opened.payment.expires_at(),
    };
    let write = NewPaymentWrite {
        payment: opened.payment,
        session,
        events: opened.events,
        idempotent: None,
    };
    let id = write.payment.id().clone();
    store.payments().insert(write.clone()).await.unwrap();
    let stored = store.payments().get(&id).await.unwrap().unwrap();
    assert_eq!(stored, write.payment);
    id
}

async fn written_amount(store: &Store, id: &PaymentId) -> (String, Option<String>) {
    let stored = store.payments().get(id).await.unwrap().unwrap();
    (
        stored.amount().to_currency_string(kwd()),
        stored.details().items[0]
            .price
            .map(|price| price.to_currency_string(kwd())),
    )
}

#[derive(QueryableByName, Debug)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_keeps_a_third_decimal_and_refuses_to_go_back_over_it() {
    let db = SqliteTestDb::create();
    let store = connect(&db.url, StoreOptions::default()).await.unwrap();
    let round = store_kwd_payment(&store, "round", "10.500", "1.5").await;
    let exact = store_kwd_payment(&store, "exact", "10.505", "0.125").await;
    assert_eq!(
        written_amount(&store, &round).await,
        ("10.500".to_owned(), Some("1.500".to_owned()))
    );
    assert_eq!(
        written_amount(&store, &exact).await,
        ("10.505".to_owned(), Some("0.125".to_owned()))
    );

    let mut conn = SqliteConnection::establish(&db.path().display().to_string()).unwrap();
    let mut query = |sql: String| -> Vec<String> {
        diesel::sql_query(sql)
            .load::<Text>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|row| row.value)
            .collect()
    };
    // Exact text: at least two decimals, never fewer than the value has.
    let amount = |id: &PaymentId| format!("SELECT amount AS value FROM payments WHERE id = '{id}'");
    assert_eq!(query(amount(&round)), vec!["10.50"]);
    assert_eq!(query(amount(&exact)), vec!["10.505"]);
    assert_eq!(
        query(format!(
            "SELECT price AS value FROM payment_items WHERE payment_id = '{exact}'"
        )),
        vec!["0.125"]
    );

    // The two-decimal schema would lose the third decimal: going back is refused.
    let refused = hostpay_store::revert_all(&db.url).await;
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(written_amount(&store, &exact).await.0, "10.505");
    query(format!(
        "UPDATE payments SET amount = '10.50' WHERE id = '{exact}' RETURNING amount AS value"
    ));
    query(format!(
        "UPDATE payment_items SET price = '0.12' WHERE payment_id = '{exact}' \
         RETURNING price AS value"
    ));
    hostpay_store::revert_all(&db.url).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_a_third_decimal_and_refuses_to_go_back_over_it() {
    let db = PgTestDb::migrated().await;
    let store = connect(&db.url, StoreOptions::default()).await.unwrap();
    let exact = store_kwd_payment(&store, "exact", "10.505", "0.125").await;
    assert_eq!(
        written_amount(&store, &exact).await,
        ("10.505".to_owned(), Some("0.125".to_owned()))
    );
    let psql = |sql: &str| -> String {
        let output = std::process::Command::new("psql")
            .args([db.url.as_str(), "-Atc", sql])
            .output()
            .unwrap_or_else(|error| panic!("psql must be installed: {error}"));
        assert!(
            output.status.success(),
            "{sql}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    assert_eq!(
        psql(&format!(
            "SELECT pg_typeof(amount) || '|' || amount::text FROM payments WHERE id = '{exact}'"
        )),
        "numeric|10.5050"
    );
    assert_eq!(
        psql(&format!(
            "SELECT price::text FROM payment_items WHERE payment_id = '{exact}'"
        )),
        "0.1250"
    );

    let refused = hostpay_store::revert_all(&db.url).await;
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(written_amount(&store, &exact).await.0, "10.505");
    psql(&format!(
        "UPDATE payments SET amount = 10.5 WHERE id = '{exact}'; \
         UPDATE payment_items SET price = 0.12 WHERE payment_id = '{exact}'"
    ));
    hostpay_store::revert_all(&db.url).await.unwrap();
}
