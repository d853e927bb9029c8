//! Every difference between the two backends that the repositories see, in one place.
//! Each repository is written once as a `macro_rules!` body and expanded per backend with a
//! backend token (`pg` or `sqlite`); the body calls these macros where the SQL differs:
//!
//! | need                         | PostgreSQL                         | SQLite                                   |
//! |------------------------------|------------------------------------|------------------------------------------|
//! | a read-modify-write transaction | `BEGIN` + row locks             | `BEGIN IMMEDIATE` (takes the write lock at once, so `busy_timeout` applies) |
//! | serialise writers of one row | `SELECT ... FOR UPDATE`            | nothing more (one writer at a time)       |
//! | claim outbox rows            | `FOR UPDATE SKIP LOCKED`           | nothing more (one writer at a time)       |
//!
//! The DDL differences (`NUMERIC`/`TIMESTAMPTZ`/identity vs `TEXT`/`AUTOINCREMENT`) are in
//! `migrations/postgres` and `migrations/sqlite`; the value encodings in `sql_types`.

/// Runs `$body` (an `async |conn| -> DbResult<T>` closure) as a write transaction.
macro_rules! write_transaction {
    (pg, $conn:expr, $body:expr) => {
        diesel_async::AsyncConnection::transaction($conn, $body).await
    };
    (sqlite, $conn:expr, $body:expr) => {
        $conn.immediate_transaction($body).await
    };
}
pub(crate) use write_transaction;

/// Locks the selected rows until the transaction ends (PostgreSQL); SQLite's immediate
/// transaction already excludes every other writer.
macro_rules! for_update {
    (pg, $query:expr) => {
        $query.for_update()
    };
    (sqlite, $query:expr) => {
        $query
    };
}
pub(crate) use for_update;

/// Locks the selected rows, skipping rows another transaction holds (PostgreSQL), so
/// concurrent claimers never get the same rows.
macro_rules! for_update_skip_locked {
    (pg, $query:expr) => {
        $query.for_update().skip_locked()
    };
    (sqlite, $query:expr) => {
        $query
    };
}
pub(crate) use for_update_skip_locked;

/// Expands `$implementation!(pg, PgDatabase, AsyncPgConnection)` and the same for SQLite:
/// the one place that lists the backends.
macro_rules! for_each_backend {
    ($implementation:ident) => {
        $implementation!(
            pg,
            crate::database::PgDatabase,
            diesel_async::AsyncPgConnection
        );
        $implementation!(
            sqlite,
            crate::database::SqliteDatabase,
            crate::database::SqliteConnection
        );
    };
}
pub(crate) use for_each_backend;

/// Runs a write (a transaction) as its own task, so a caller that gives up (a dropped
/// request future) never cancels it halfway: it commits or rolls back, and its connection
/// goes back to the pool clean. Without this, an abandoned SQLite transaction would keep
/// the database's write lock on an idle pooled connection and every other writer would
/// fail with "database is locked".
pub(crate) async fn detached<T: Send + 'static>(
    work: impl std::future::Future<Output = crate::error::DbResult<T>> + Send + 'static,
) -> Result<T, hostpay_domain::ports::StoreError> {
    match tokio::spawn(work).await {
        Ok(result) => result.map_err(hostpay_domain::ports::StoreError::from),
        Err(error) => Err(hostpay_domain::ports::StoreError::Unavailable(format!(
            "write task failed: {error}"
        ))),
    }
}
