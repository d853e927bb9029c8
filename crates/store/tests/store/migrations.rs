//! Migrations: up, down, up again on a fresh database leaves the same schema, and down
//! leaves nothing but diesel's own bookkeeping.

use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};
use hostpay_store::testing::{PgTestDb, SqliteTestDb};

fn pg_schema(url: &str) -> String {
    let output = std::process::Command::new("pg_dump")
        .args(["--schema-only", "--no-owner", "--no-privileges", "-d", url])
        .output()
        .unwrap_or_else(|error| panic!("pg_dump must be installed: {error}"));
    assert!(
        output.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        // pg_dump 15.14+/17.6+ brackets its output with random `\restrict` keys.
        .filter(|line| !line.starts_with("\\restrict") && !line.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn pg_tables(url: &str) -> Vec<String> {
    let output = std::process::Command::new("psql")
        .args([
            url,
            "-Atc",
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
        ])
        .output()
        .unwrap_or_else(|error| panic!("psql must be installed: {error}"));
    assert!(output.status.success(), "psql failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

const TABLES: &[&str] = &[
    "boxo_nonces",
    "charge_reversals",
    "connect_access_tokens",
    "connect_auth_codes",
    "deliveries",
    "delivery_attempts",
    "idempotency_keys",
    "miniapps",
    "order_activities",
    "order_activity_events",
    "outbox_events",
    "pay_grants",
    "payment_items",
    "payment_sessions",
    "payments",
    "refunds",
    "user_tokens",
];

fn with_bookkeeping(tables: &[&str], extra: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = tables
        .iter()
        .chain(extra)
        .map(|name| (*name).to_owned())
        .collect();
    all.sort();
    all
}

/// How many migrations each backend has (the two folders hold the same versions).
fn migrations() -> usize {
    let versions = |backend: &str| -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(backend);
        let mut versions: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
            .filter_map(Result::ok)
            .filter(|entry| entry.path().join("up.sql").is_file())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        versions.sort();
        versions
    };
    let postgres = versions("postgres");
    assert_eq!(
        postgres,
        versions("sqlite"),
        "both backends hold the same versions"
    );
    postgres.len()
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_up_down_up_leaves_the_same_schema() {
    let db = PgTestDb::create().await;
    let first = hostpay_store::migrate(&db.url).await.unwrap();
    assert_eq!(first.versions.len(), migrations(), "{first:?}");
    assert_eq!(
        pg_tables(&db.url),
        with_bookkeeping(TABLES, &["__diesel_schema_migrations"])
    );
    let before = pg_schema(&db.url);
    // Money keeps up to 4 decimals (ISO 4217 minor units), 18 digits before the point.
    assert!(before.contains("numeric(22,4)"), "{before}");
    assert!(!before.contains("numeric(20,2)"), "{before}");

    let reverted = hostpay_store::revert_all(&db.url).await.unwrap();
    assert_eq!(reverted.versions.len(), migrations());
    assert_eq!(pg_tables(&db.url), vec!["__diesel_schema_migrations"]);

    let again = hostpay_store::migrate(&db.url).await.unwrap();
    assert_eq!(again.versions, first.versions);
    assert_eq!(pg_schema(&db.url), before);
    // Nothing left to apply.
    assert!(hostpay_store::migrate(&db.url)
        .await
        .unwrap()
        .versions
        .is_empty());
}

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct SchemaObject {
    #[diesel(sql_type = diesel::sql_types::Text)]
    kind: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    sql: Option<String>,
}

fn sqlite_schema(path: &std::path::Path) -> Vec<SchemaObject> {
    let mut conn = SqliteConnection::establish(&path.display().to_string()).unwrap();
    diesel::sql_query("SELECT type AS kind, name, sql FROM sqlite_master ORDER BY type, name")
        .load(&mut conn)
        .unwrap()
}

fn table_names(schema: &[SchemaObject]) -> Vec<String> {
    schema
        .iter()
        .filter(|object| object.kind == "table")
        .map(|object| object.name.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_up_down_up_leaves_the_same_schema() {
    let db = SqliteTestDb::create();
    let first = hostpay_store::migrate(&db.url).await.unwrap();
    assert_eq!(first.versions.len(), migrations(), "{first:?}");
    let before = sqlite_schema(db.path());
    assert_eq!(
        table_names(&before),
        with_bookkeeping(TABLES, &["__diesel_schema_migrations", "sqlite_sequence"])
    );

    let reverted = hostpay_store::revert_all(&db.url).await.unwrap();
    assert_eq!(reverted.versions.len(), migrations());
    assert_eq!(
        table_names(&sqlite_schema(db.path())),
        vec!["__diesel_schema_migrations", "sqlite_sequence"]
    );

    let again = hostpay_store::migrate(&db.url).await.unwrap();
    assert_eq!(again.versions, first.versions);
    assert_eq!(sqlite_schema(db.path()), before);
}

#[tokio::test(flavor = "current_thread")]
async fn migrations_run_on_a_current_thread_runtime_like_actix() {
    // AsyncMigrationHarness would panic here (block_in_place); ours must not.
    let sqlite = SqliteTestDb::create();
    hostpay_store::migrate(&sqlite.url).await.unwrap();
    let pg = PgTestDb::create().await;
    hostpay_store::migrate(&pg.url).await.unwrap();
    let store = hostpay_store::connect(&pg.url, Default::default())
        .await
        .unwrap();
    store.health().check().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn health_reports_pending_migrations() {
    let db = SqliteTestDb::create();
    let options = hostpay_store::StoreOptions {
        migrate: false,
        ..Default::default()
    };
    let store = hostpay_store::connect(&db.url, options).await.unwrap();
    assert!(store.health().check().await.is_err());
    hostpay_store::migrate(&db.url).await.unwrap();
    store.health().check().await.unwrap();

    let pg = PgTestDb::create().await;
    let store = hostpay_store::connect(&pg.url, options).await.unwrap();
    let error = store.health().check().await.unwrap_err();
    assert!(error.to_string().contains("migrat"), "{error}");
    hostpay_store::migrate(&pg.url).await.unwrap();
    store.health().check().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_starting_together_migrate_once() {
    let db = PgTestDb::create().await;
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            tokio::spawn(async move { hostpay_store::migrate(&url).await })
        })
        .collect();
    let mut applied = Vec::new();
    for run in runs {
        applied.extend(run.await.unwrap().unwrap().versions);
    }
    assert_eq!(
        applied.len(),
        migrations(),
        "each migration applied once: {applied:?}"
    );
}
