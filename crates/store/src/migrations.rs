//! The embedded migrations, one folder per backend (`migrations/postgres`,
//! `migrations/sqlite`), and running them.
//!
//! diesel_migrations is synchronous and diesel-async's `AsyncMigrationHarness` calls
//! `block_in_place`, which panics on actix's current-thread runtime; so migrations run on
//! tokio's blocking pool: PostgreSQL through an `AsyncConnectionWrapper`, SQLite on the
//! pooled connection's own thread (which also works for `sqlite::memory:`).

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::sqlite::Sqlite;
use diesel::{Connection, ExpressionMethods, QueryDsl};
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use hostpay_domain::ports::StoreError;

use crate::database::{redact, DatabaseUrl, PgDatabase, SqliteDatabase};
use crate::dialect::detached;

/// PostgreSQL's migrations.
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// SQLite's migrations.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

diesel::table! {
    /// diesel_migrations' record of applied migrations.
    __diesel_schema_migrations (version) {
        /// The migration's version (its folder's date prefix, digits only).
        version -> Text,
    }
}

/// The PostgreSQL advisory lock key that serialises migration runs ("hostpay" in ASCII,
/// as a number).
const MIGRATION_LOCK: i64 = 0x0068_6f73_7470_6179;

/// What migrating did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// The versions applied (or reverted), in order.
    pub versions: Vec<String>,
}

/// The direction to run.
#[derive(Debug, Clone, Copy)]
enum Direction {
    Up,
    DownAll,
}

fn migration_error(error: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("migration failed: {error}"))
}

fn run<C, DB>(
    conn: &mut C,
    source: EmbeddedMigrations,
    direction: Direction,
) -> Result<Vec<String>, String>
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
    EmbeddedMigrations: MigrationSource<DB>,
{
    let versions = match direction {
        Direction::Up => conn.run_pending_migrations(source),
        Direction::DownAll => conn.revert_all_migrations(source),
    }
    .map_err(|error| error.to_string())?;
    Ok(versions.iter().map(ToString::to_string).collect())
}

/// Applies every pending migration to the database at `url`.
/// Errors: `Unavailable` with the reason.
pub async fn migrate(url: &str) -> Result<MigrationReport, StoreError> {
    run_url(url, Direction::Up).await
}

/// Reverts every applied migration (tests; every `down.sql`, newest first).
/// Errors: `Unavailable` with the reason.
pub async fn revert_all(url: &str) -> Result<MigrationReport, StoreError> {
    run_url(url, Direction::DownAll).await
}

async fn run_url(url: &str, direction: Direction) -> Result<MigrationReport, StoreError> {
    crate::database::sqlite_process_setup();
    match DatabaseUrl::parse(url)? {
        DatabaseUrl::Postgres(url) => run_postgres(url, direction).await,
        sqlite @ (DatabaseUrl::SqliteFile(_) | DatabaseUrl::SqliteMemory) => {
            let database = SqliteDatabase::open(&sqlite, Default::default())?;
            run_sqlite(&database, direction).await
        }
    }
}

async fn run_postgres(url: String, direction: Direction) -> Result<MigrationReport, StoreError> {
    let versions = tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)
            .map_err(|error| format!("cannot connect to {}: {error}", redact(&url)))?;
        // Instances starting together migrate one after the other (the lock ends with the
        // session at the latest).
        conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            .map_err(|error| error.to_string())?;
        let result = run::<_, Pg>(&mut conn, POSTGRES_MIGRATIONS, direction);
        let _ = conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
        result
    })
    .await
    .map_err(migration_error)?
    .map_err(migration_error)?;
    Ok(MigrationReport { versions })
}

async fn run_sqlite(
    database: &SqliteDatabase,
    direction: Direction,
) -> Result<MigrationReport, StoreError> {
    let mut conn = database.connection().await?;
    let versions = conn
        .spawn_blocking(move |conn| {
            run::<_, Sqlite>(conn, SQLITE_MIGRATIONS, direction)
                .map_err(|error| diesel::result::Error::QueryBuilderError(error.into()))
        })
        .await
        .map_err(migration_error)?;
    Ok(MigrationReport { versions })
}

/// Applies pending migrations through an open SQLite pool (start-up with
/// `migrate_on_start`; the only way for `sqlite::memory:`).
pub(crate) async fn migrate_sqlite(
    database: &SqliteDatabase,
) -> Result<MigrationReport, StoreError> {
    run_sqlite(database, Direction::Up).await
}

/// The versions every database of this backend must have applied.
fn embedded_versions<DB: diesel::backend::Backend>(
    source: &EmbeddedMigrations,
) -> Result<Vec<String>, StoreError>
where
    EmbeddedMigrations: MigrationSource<DB>,
{
    let migrations = MigrationSource::<DB>::migrations(source).map_err(migration_error)?;
    Ok(migrations
        .iter()
        .map(|migration| migration.name().version().to_string())
        .collect())
}

fn missing(expected: Vec<String>, applied: &[String]) -> Result<(), StoreError> {
    let pending: Vec<String> = expected
        .into_iter()
        .filter(|version| !applied.contains(version))
        .collect();
    if pending.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Unavailable(format!(
            "pending migrations: {} (run `hostpay migrate`)",
            pending.join(", ")
        )))
    }
}

macro_rules! pending_check {
    ($backend:ident, $database:ty, $conn:ty, $db:ty, $source:expr) => {
        impl $database {
            /// `Ok` when the database answers and every embedded migration is applied.
            pub(crate) async fn check_migrations(&self) -> Result<(), StoreError> {
                detached!(self, |conn| {
                    let applied: Vec<String> = __diesel_schema_migrations::table
                        .select(__diesel_schema_migrations::version)
                        .order(__diesel_schema_migrations::version.asc())
                        .load(&mut conn)
                        .await
                        .map_err(|error| {
                            StoreError::Unavailable(format!("database not migrated: {error}"))
                        })?;
                    Ok(missing(embedded_versions::<$db>(&$source)?, &applied)?)
                })
            }
        }
    };
}

pending_check!(pg, PgDatabase, AsyncPgConnection, Pg, POSTGRES_MIGRATIONS);
pending_check!(
    sqlite,
    SqliteDatabase,
    crate::database::SqliteConnection,
    Sqlite,
    SQLITE_MIGRATIONS
);
