//! Every lookup the store makes is served by an index on both backends: the plans of the
//! store's queries (as the store writes them, with literal values for the parameters)
//! contain no full-table scan. PostgreSQL plans with `enable_seqscan = off`, so a
//! sequential scan in the plan means no index can serve the query.

use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use hostpay_store::testing::{PgTestDb, SqliteTestDb};

const T: &str = "'2026-01-01T00:00:00.000000Z'";

/// A page of a user's payments after a cursor, as the store writes it (the `created_at <=`
/// bound lets the index seek to the cursor).
fn payments_after_cursor() -> String {
    format!(
        "SELECT * FROM payments WHERE app_id = 'app_1' AND user_id = 'u' AND created_at <= {T} \
         AND (created_at < {T} OR (created_at = {T} AND id < 'pay_1')) \
         ORDER BY created_at DESC, id DESC LIMIT 21"
    )
}

/// `(what, query)`: the store's lookups.
fn lookups() -> Vec<(&'static str, String)> {
    vec![
        (
            "payment by id",
            "SELECT * FROM payments WHERE id = 'pay_1'".into(),
        ),
        (
            "payments of a user, newest first, after a cursor",
            payments_after_cursor(),
        ),
        (
            "Boxo payment by order id",
            "SELECT * FROM payments WHERE app_id = 'app_1' AND miniapp_order_id = 'o' \
             AND channel = 'boxo'"
                .into(),
        ),
        (
            "expired in-process payments",
            format!(
                "SELECT id FROM payments WHERE status = 'in_process' AND expires_at <= {T} \
                 ORDER BY expires_at, id LIMIT 100"
            ),
        ),
        (
            "refunds of payments",
            "SELECT * FROM refunds WHERE payment_id IN ('pay_1', 'pay_2') \
             ORDER BY payment_id, position"
                .into(),
        ),
        (
            "stale pending refunds",
            format!(
                "SELECT payment_id, id FROM refunds WHERE status = 'pending' AND updated_at <= {T} \
                 ORDER BY updated_at, id LIMIT 100"
            ),
        ),
        (
            "session by token hash",
            "SELECT * FROM payment_sessions WHERE token_hash = 'h'".into(),
        ),
        (
            "user token by hash",
            "SELECT * FROM user_tokens WHERE token_hash = 'h'".into(),
        ),
        (
            "expired user tokens",
            format!("DELETE FROM user_tokens WHERE expires_at < {T}"),
        ),
        (
            "Connect auth code redeemed",
            format!(
                "UPDATE connect_auth_codes SET used_at = {T} WHERE code_hash = 'h' AND \
                 app_id = 'app_1' AND used_at IS NULL AND expires_at > {T}"
            ),
        ),
        (
            "Connect auth code by hash",
            "SELECT * FROM connect_auth_codes WHERE code_hash = 'h'".into(),
        ),
        (
            "Connect access token by hash",
            "SELECT * FROM connect_access_tokens WHERE token_hash = 'h'".into(),
        ),
        (
            "expired Connect auth codes",
            format!("DELETE FROM connect_auth_codes WHERE expires_at < {T}"),
        ),
        (
            "expired Connect access tokens",
            format!("DELETE FROM connect_access_tokens WHERE expires_at < {T}"),
        ),
        (
            "miniapp by id",
            "SELECT * FROM miniapps WHERE id = 'app_1'".into(),
        ),
        (
            "miniapps oldest first",
            "SELECT * FROM miniapps ORDER BY created_at, id LIMIT 100".into(),
        ),
        (
            "order activity by order id",
            "SELECT * FROM order_activities WHERE app_id = 'app_1' AND order_id = 'o'".into(),
        ),
        (
            "order activities of a user",
            format!(
                "SELECT * FROM order_activities WHERE app_id = 'app_1' AND user_id = 'u' AND \
                 (created_at < {T} OR (created_at = {T} AND id < 'oa_1')) \
                 ORDER BY created_at DESC, id DESC LIMIT 21"
            ),
        ),
        (
            "order activities of a payment",
            "SELECT * FROM order_activities WHERE app_id = 'app_1' AND payment_id = 'pay_1'".into(),
        ),
        (
            "history of activities",
            "SELECT * FROM order_activity_events WHERE activity_id IN ('oa_1') ORDER BY seq".into(),
        ),
        (
            "events of a payment",
            "SELECT * FROM outbox_events WHERE payment_id = 'pay_1' ORDER BY seq".into(),
        ),
        (
            "events by id",
            "SELECT * FROM outbox_events WHERE id IN ('evt_1', 'evt_2')".into(),
        ),
        (
            "due deliveries",
            format!(
                "SELECT id FROM deliveries WHERE state = 'pending' AND next_attempt_at <= {T} \
                 ORDER BY next_attempt_at, id LIMIT 10"
            ),
        ),
        (
            "deliveries newest first",
            "SELECT * FROM deliveries ORDER BY created_at DESC, id DESC LIMIT 21".into(),
        ),
        (
            "deliveries of a state newest first",
            "SELECT * FROM deliveries WHERE state = 'dead' ORDER BY created_at DESC, id DESC \
             LIMIT 21"
                .into(),
        ),
        (
            "attempts of a delivery",
            "SELECT * FROM delivery_attempts WHERE delivery_id = 'dlv_1' ORDER BY seq".into(),
        ),
        (
            "idempotency key",
            "SELECT * FROM idempotency_keys WHERE app_id = 'app_1' AND \"key\" = 'k'".into(),
        ),
        (
            "old idempotency keys",
            format!("DELETE FROM idempotency_keys WHERE created_at < {T}"),
        ),
        (
            "old nonces",
            format!("DELETE FROM boxo_nonces WHERE seen_at < {T}"),
        ),
    ]
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_serves_every_lookup_from_an_index() {
    let db = SqliteTestDb::create();
    hostpay_store::migrate(&db.url).await.unwrap();
    let mut conn = SqliteConnection::establish(&db.path().display().to_string()).unwrap();
    for (what, query) in lookups() {
        for line in sqlite_plan(&mut conn, what, &query) {
            let full_scan = line.detail.starts_with("SCAN ") && !line.detail.contains(" USING ");
            assert!(!full_scan, "{what}: full scan in {:?}", line.detail);
        }
    }
}

/// SQLite's plan of `query`, one line a step.
fn sqlite_plan(conn: &mut SqliteConnection, what: &str, query: &str) -> Vec<PlanLine> {
    diesel::sql_query(format!("EXPLAIN QUERY PLAN {query}"))
        .load(conn)
        .unwrap_or_else(|error| panic!("{what}: {error}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_serves_every_lookup_from_an_index() {
    let db = PgTestDb::migrated().await;
    hostpay_store::migrate(&db.url).await.unwrap();
    for (what, query) in lookups() {
        let query = query.replace(T, "'2026-01-01 00:00:00+00'");
        let output = std::process::Command::new("psql")
            .args([
                db.url.as_str(),
                "-Atc",
                &format!("SET enable_seqscan = off; EXPLAIN {query}"),
            ])
            .output()
            .unwrap();
        let plan = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!plan.contains("Seq Scan"), "{what}: full scan in\n{plan}");
    }
}

/// A deep page costs what the first does: the index seeks to the cursor (a range on
/// `created_at`) instead of walking every newer payment of the user (a miniapp with many
/// payments for one user could otherwise make each page cost more than the last).
#[tokio::test(flavor = "multi_thread")]
async fn sqlite_seeks_a_page_of_payments_to_its_cursor() {
    let db = SqliteTestDb::create();
    hostpay_store::migrate(&db.url).await.unwrap();
    let mut conn = SqliteConnection::establish(&db.path().display().to_string()).unwrap();
    let plan: Vec<PlanLine> =
        diesel::sql_query(format!("EXPLAIN QUERY PLAN {}", payments_after_cursor()))
            .load(&mut conn)
            .unwrap();
    assert!(
        plan.iter()
            .any(|line| line.detail.contains("payments_by_user")
                && line.detail.contains("created_at<?")),
        "no seek on created_at: {:?}",
        plan.iter().map(|line| &line.detail).collect::<Vec<_>>()
    );
}

/// The JSON columns SQLite reads with a payment (as the store writes them).
const SQLITE_PAYMENT_JSON: &str = "(SELECT json_group_array(json_object('id', r.id, \
    'position', r.position, 'amount', r.amount)) FROM refunds r WHERE r.payment_id = payments.id), \
    (SELECT json_group_array(json_object('id', e.id, 'seq', e.seq, 'data', e.data)) \
    FROM outbox_events e WHERE e.payment_id = payments.id)";

/// The reads SQLite runs in place on an HTTP worker thread are index lookups from end to
/// end: no full scan and no temporary b-tree (a sort or an ordered aggregate would read
/// and build every row before the first came back), the page of a user's payments
/// included, which is stepped without a `LIMIT` (`sqlite_reader::load_rows`).
#[tokio::test(flavor = "multi_thread")]
async fn sqlite_in_place_reads_need_no_temporary_btree() {
    let db = SqliteTestDb::create();
    hostpay_store::migrate(&db.url).await.unwrap();
    let mut conn = SqliteConnection::establish(&db.path().display().to_string()).unwrap();
    let reads = [
        (
            "payment with refunds and events",
            format!("SELECT payments.*, {SQLITE_PAYMENT_JSON} FROM payments WHERE payments.id = 'pay_1'"),
        ),
        (
            "a page of a user's payments",
            format!(
                "SELECT payments.*, {SQLITE_PAYMENT_JSON} FROM payments WHERE app_id = 'app_1' \
                 AND user_id = 'u' AND created_at <= {T} \
                 AND (created_at < {T} OR (created_at = {T} AND id < 'pay_1')) \
                 ORDER BY created_at DESC, id DESC"
            ),
        ),
        (
            "order activity with history and its payment's status",
            "SELECT order_activities.*, (SELECT json_group_array(json_object('id', e.id, \
             'seq', e.seq)) FROM order_activity_events e \
             WHERE e.activity_id = order_activities.id), (SELECT p.status FROM payments p \
             WHERE p.id = order_activities.payment_id AND p.app_id = order_activities.app_id) \
             FROM order_activities WHERE app_id = 'app_1' AND order_id = 'o'"
                .to_owned(),
        ),
    ];
    for (what, query) in reads {
        for line in sqlite_plan(&mut conn, what, &query) {
            let full_scan = line.detail.starts_with("SCAN ") && !line.detail.contains(" USING ");
            assert!(!full_scan, "{what}: full scan in {:?}", line.detail);
            assert!(
                !line.detail.contains("TEMP B-TREE"),
                "{what}: {:?}",
                line.detail
            );
        }
    }
}
