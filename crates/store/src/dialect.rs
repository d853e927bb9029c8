//! Every difference between the two backends that the repositories see, in one place.
//! Each repository is written once as a `macro_rules!` body and expanded per backend with a
//! backend token (`pg` or `sqlite`); the body calls these macros where the SQL differs:
//!
//! | need                         | PostgreSQL                         | SQLite                                   |
//! |------------------------------|------------------------------------|------------------------------------------|
//! | a read-modify-write transaction | `BEGIN` + row locks             | a savepoint in the group commit's `BEGIN IMMEDIATE` (`sqlite_writer`) |
//! | serialise writers of one row | `SELECT ... FOR UPDATE`            | nothing more (one writer at a time)       |
//! | claim outbox rows            | `FOR UPDATE SKIP LOCKED`           | nothing more (one writer at a time)       |
//! | a one-statement write        | the statement alone, autocommit (`pg_autocommit!`) | `write_transaction!` (the group commit) |
//!
//! The DDL differences (`NUMERIC`/`TIMESTAMPTZ`/identity vs `TEXT`/`AUTOINCREMENT`) are in
//! `migrations/postgres` and `migrations/sqlite`; the value encodings in `sql_types`.

/// Runs `$body` (an `async |conn| -> DbResult<T>` closure) as a write transaction.
macro_rules! write_transaction {
    (pg, $conn:expr, $body:expr) => {
        diesel_async::AsyncConnection::transaction($conn, $body).await
    };
    (sqlite, $conn:expr, $body:expr) => {{
        match crate::sqlite_writer::current_writer() {
            // A file database: the body joins the group commit (see `sqlite_writer`).
            Some(writer) => {
                let mut turn = writer.turn().await;
                let outcome = match turn.connection().await {
                    Ok(c) => diesel_async::AsyncConnection::transaction(c, $body).await,
                    Err(error) => Err(error),
                };
                turn.finish(outcome).await
            }
            // In memory: its one connection is the writer.
            None => {
                let c = $conn;
                match crate::sqlite_writer::begin_immediate(c).await {
                    Err(error) => Err(error),
                    Ok(()) => match ($body)(&mut *c).await {
                        Ok(value) => match crate::sqlite_writer::commit(c).await {
                            Ok(()) => Ok(value),
                            Err(error) => {
                                let _ = crate::sqlite_writer::rollback(c).await;
                                Err(error)
                            }
                        },
                        Err(error) => {
                            let _ = crate::sqlite_writer::rollback(c).await;
                            Err(error)
                        }
                    },
                }
            }
        }
    }};
}
pub(crate) use write_transaction;

/// Runs `$body` (an `async |conn| -> DbResult<T>` closure making exactly one statement) on
/// PostgreSQL as that statement's own transaction (autocommit: one round trip instead of
/// `BEGIN`, the statement and `COMMIT`; committed, and flushed with `synchronous_commit`
/// on, before its reply), evaluating to `Some(result)`. `None` on SQLite, whose writes all
/// go through `write_transaction!` (the group commit): the caller then takes its general
/// path.
macro_rules! pg_autocommit {
    (pg, $conn:expr, $body:expr) => {
        Some(($body)($conn).await)
    };
    (sqlite, $conn:expr, $body:expr) => {
        None
    };
}
pub(crate) use pg_autocommit;

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

/// The guard every versioned save starts with, inside its write transaction: locks the
/// row `$id` of `$table` (`FOR UPDATE` on PostgreSQL; SQLite's immediate transaction
/// already excludes other writers) and returns `Conflict` from the enclosing transaction
/// unless its stored `version` is `$expected`.
macro_rules! lock_at_version {
    ($backend:ident, $conn:expr, $table:ident, $id:expr, $expected:expr) => {{
        let stored: Option<i64> = $crate::dialect::for_update!(
            $backend,
            $table::table
                .filter($table::id.eq($id))
                .select($table::version)
        )
        .get_result($conn)
        .await
        .optional()?;
        if stored != Some($expected) {
            return Err(hostpay_domain::ports::StoreError::Conflict.into());
        }
    }};
}
pub(crate) use lock_at_version;

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

/// Runs one port operation, from taking its pooled connection to giving it back, as its own
/// task, so a caller that gives up (a dropped request future: client disconnect, failed
/// sibling extractor, request timeout) never cancels it halfway. An operation whose caller
/// left before it got a connection does nothing; once it has one, it runs to its end: a
/// write commits or rolls back, a read finishes its queries, and the connection goes back
/// to the pool clean, with no query of it still running.
///
/// Why: diesel-async runs each SQLite query (the pool's recycle check included) on tokio's
/// blocking pool, and dropping a query future makes it wait for that query
/// (`block_in_place`), which panics on a current-thread runtime (actix-web's workers) and
/// blocks a worker thread on a multi-thread one; an abandoned SQLite transaction would also
/// keep the write lock on an idle pooled connection ("database is locked" for every other
/// writer). PostgreSQL goes the same way: one code path, one task spawn per call.
///
/// `$database` is the backend (`self`, cloned: it is a pool handle); `$body` is a block that
/// may `.await` and `?`, evaluates to `DbResult<T>` and sees `$conn`, the pooled connection.
/// The body is moved into the task: borrowed arguments must be cloned into owned values
/// before.
macro_rules! detached {
    ($database:expr, |$conn:ident| $body:block) => {{
        let database = $database.clone();
        let spawner = crate::dialect::Detach::spawner(&database);
        let (caller, call) = crate::dialect::call();
        crate::dialect::run_to_completion(caller, spawner, async move {
            #[allow(unused_mut)]
            let mut $conn = database.connection().await?;
            call.still_wanted()?;
            $body
        })
        .await
    }};
}
pub(crate) use detached;

/// Held by the caller's future while it waits for its task: dropped with it.
pub(crate) struct Caller {
    /// Never sent on: only its drop counts (the call then sees the channel closed).
    _alive: tokio::sync::oneshot::Sender<()>,
}

/// The task's side of [`Caller`]: tells whether anyone still waits for the result.
pub(crate) struct Call(tokio::sync::oneshot::Receiver<()>);

/// A caller and its call, for one [`detached!`] operation.
pub(crate) fn call() -> (Caller, Call) {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    (Caller { _alive: sender }, Call(receiver))
}

impl Call {
    /// `Err` when the caller has gone (nothing done yet, so nothing to finish).
    pub(crate) fn still_wanted(mut self) -> Result<(), hostpay_domain::ports::StoreError> {
        match self.0.try_recv() {
            Err(tokio::sync::oneshot::error::TryRecvError::Closed) => Err(
                hostpay_domain::ports::StoreError::Unavailable("the caller gave up".to_owned()),
            ),
            Ok(()) | Err(tokio::sync::oneshot::error::TryRecvError::Empty) => Ok(()),
        }
    }
}

/// The task behind [`detached!`]: spawned, so dropping the returned future (and `caller`
/// with it) leaves `work` running to its end.
pub(crate) async fn run_to_completion<T: Send + 'static>(
    caller: Caller,
    spawner: Spawner,
    work: impl std::future::Future<Output = crate::error::DbResult<T>> + Send + 'static,
) -> Result<T, hostpay_domain::ports::StoreError> {
    let outcome = match spawner {
        Spawner::Task => tokio::spawn(work).await,
        Spawner::BlockingThread(writer) => crate::sqlite_writer::detach(writer, work).await,
    };
    drop(caller);
    match outcome {
        Ok(result) => result.map_err(hostpay_domain::ports::StoreError::from),
        Err(error) => Err(hostpay_domain::ports::StoreError::Unavailable(format!(
            "store task failed: {error}"
        ))),
    }
}

/// Where a [`detached!`] operation runs.
pub(crate) enum Spawner {
    /// A tokio task (PostgreSQL: the driver is async).
    Task,
    /// One thread of the blocking pool for the whole operation (SQLite), with the
    /// database's group committer for its write transactions.
    BlockingThread(Option<std::sync::Arc<crate::sqlite_writer::GroupCommit>>),
}

/// How a backend's operations are detached.
pub(crate) trait Detach {
    /// Where this backend's operations run.
    fn spawner(&self) -> Spawner;
}

impl Detach for crate::database::PgDatabase {
    fn spawner(&self) -> Spawner {
        Spawner::Task
    }
}

impl Detach for crate::database::SqliteDatabase {
    fn spawner(&self) -> Spawner {
        Spawner::BlockingThread(self.writer.clone())
    }
}
