//! How SQLite runs: one hop to a blocking thread per store operation, and one writer that
//! commits concurrent write transactions together.
//!
//! - **One hop per operation.** diesel's SQLite calls block. The wrapper's
//!   [`Inline`] runtime runs each of them right where it is polled, and [`detach`] polls a
//!   whole store operation (pool checkout, every statement, commit) on one thread of tokio's
//!   blocking pool, so an operation costs one thread hand-off, not one per statement.
//! - **Group commit.** SQLite has one writer at a time, and with `synchronous = FULL` every
//!   commit waits for the disk. All write transactions of a file database go through one
//!   [`GroupCommit`]: its dedicated connection holds one `BEGIN IMMEDIATE` transaction open
//!   while writers are queued, runs each writer's body inside its own savepoint (a body that
//!   fails rolls back to its savepoint and leaves the others intact), and the last writer
//!   of the queue (or the 64th) commits for everyone. No writer returns before the commit
//!   that holds its writes succeeded: an answer still means "durable on disk". If that
//!   commit fails, every writer of the batch gets the error and none of their writes stay.
//!   Writers queue on a fair async lock instead of spinning on `busy_timeout`.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::ConnectionError;
use diesel_async::sync_connection_wrapper::{SpawnBlocking, SyncConnectionWrapper};
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use hostpay_domain::ports::StoreError;
use tokio::sync::{watch, Mutex, MutexGuard};

use crate::error::{DbError, DbResult};

/// SQLite as diesel-async drives it: each query runs in place, on the blocking thread the
/// whole store operation runs on ([`detach`]).
pub(crate) type SqliteConnection = SyncConnectionWrapper<diesel::sqlite::SqliteConnection, Inline>;

/// How long an SQLite writer waits for the write lock before failing.
const SQLITE_BUSY_TIMEOUT_MS: u64 = 10_000;

/// Opens one SQLite connection and sets it up: wait for locks instead of failing, WAL (readers
/// never block the writer), full sync (a commit survives power loss), foreign keys enforced.
pub(crate) async fn open_sqlite(path: String) -> diesel::ConnectionResult<SqliteConnection> {
    let mut conn = SqliteConnection::establish(&path).await?;
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
         PRAGMA journal_mode = WAL; \
         PRAGMA synchronous = FULL; \
         PRAGMA foreign_keys = ON;"
    ))
    .await
    .map_err(|error| ConnectionError::BadConnection(format!("SQLite set-up: {error}")))?;
    Ok(conn)
}

/// Most writers one commit covers (bounds how long the first of them waits).
const MAX_BATCH: usize = 64;

/// How long a queued writer waits for its batch's commit before checking that someone is
/// still there to make it.
const STALLED_BATCH: std::time::Duration = std::time::Duration::from_millis(250);

/// The runtime of [`SqliteConnection`]: runs diesel's blocking call in place. Only ever
/// polled on a blocking thread (see [`detach`]).
pub(crate) struct Inline;

impl SpawnBlocking for Inline {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> futures::future::BoxFuture<'a, Result<R, Box<dyn std::error::Error + Send + Sync + 'static>>>
    where
        R: Send + 'static,
    {
        Box::pin(std::future::ready(Ok(task())))
    }

    fn get_runtime() -> Self {
        Inline
    }
}

tokio::task_local! {
    /// The group committer of the database the current operation runs on (none for an
    /// in-memory database: its one connection is its own writer).
    static WRITER: Option<Arc<GroupCommit>>;
}

/// Runs `work` to its end on a thread of the blocking pool, with `writer` as the group
/// committer its write transactions use.
pub(crate) async fn detach<T: Send + 'static>(
    writer: Option<Arc<GroupCommit>>,
    work: impl Future<Output = DbResult<T>> + Send + 'static,
) -> Result<DbResult<T>, tokio::task::JoinError> {
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(WRITER.scope(writer, work))).await
}

/// The group committer of the current operation, if any.
pub(crate) fn current_writer() -> Option<Arc<GroupCommit>> {
    WRITER.try_with(Clone::clone).ok().flatten()
}

/// Starts `BEGIN IMMEDIATE` on `conn` (takes SQLite's write lock at once).
pub(crate) async fn begin_immediate(conn: &mut SqliteConnection) -> DbResult<()> {
    conn.spawn_blocking(|inner| {
        AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")
    })
    .await
    .map_err(DbError::from)
}

/// Commits the transaction `begin_immediate` opened.
pub(crate) async fn commit(conn: &mut SqliteConnection) -> DbResult<()> {
    conn.spawn_blocking(|inner| {
        <AnsiTransactionManager as TransactionManager<diesel::SqliteConnection>>::commit_transaction(
            inner,
        )
    })
    .await
    .map_err(DbError::from)
}

/// Rolls back the transaction `begin_immediate` opened.
pub(crate) async fn rollback(conn: &mut SqliteConnection) -> DbResult<()> {
    conn.spawn_blocking(|inner| {
        <AnsiTransactionManager as TransactionManager<diesel::SqliteConnection>>::rollback_transaction(
            inner,
        )
    })
    .await
    .map_err(DbError::from)
}

/// Whether `conn` is exactly inside the batch transaction (depth 1): false once SQLite
/// rolled the whole transaction back on its own (disk full, I/O error) or a body left a
/// savepoint open, when nothing more may run in, or be acknowledged from, this batch.
async fn in_batch(conn: &mut SqliteConnection) -> bool {
    conn.spawn_blocking(|inner| {
        let depth = <AnsiTransactionManager as TransactionManager<diesel::SqliteConnection>>::transaction_manager_status_mut(inner)
            .transaction_depth();
        Ok(matches!(depth, Ok(Some(depth)) if depth.get() == 1))
    })
    .await
    .unwrap_or(false)
}

/// Ends the open batch as failed: closing the connection rolls back whatever SQLite still
/// holds, and every writer waiting on the batch is told it failed.
fn abandon_batch(state: &mut WriterState, reason: &str) {
    state.connection = None;
    if let Some(batch) = state.batch.take() {
        batch.outcome.send_replace(Some(Err(reason.to_owned())));
    }
}

/// The writer of one SQLite file database (see the module doc).
pub(crate) struct GroupCommit {
    /// Unique in the process (names the database to its readers, `sqlite_reader`).
    id: u64,
    path: String,
    state: Mutex<WriterState>,
    /// Writers that asked for the lock and have not finished their body yet.
    wanting: AtomicUsize,
}

#[derive(Default)]
struct WriterState {
    connection: Option<SqliteConnection>,
    batch: Option<Batch>,
    batches: u64,
}

/// The open transaction and the writers whose bodies it holds.
struct Batch {
    id: u64,
    writers: usize,
    outcome: watch::Sender<Option<Result<(), String>>>,
}

/// Decrements `wanting` however the body ends.
struct Wanting<'a>(&'a AtomicUsize);

impl Drop for Wanting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl GroupCommit {
    /// The committer of the database file at `path` (its connection opens on first use).
    pub(crate) fn new(path: &str) -> GroupCommit {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        GroupCommit {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            path: path.to_owned(),
            state: Mutex::new(WriterState::default()),
            wanting: AtomicUsize::new(0),
        }
    }

    /// Unique in the process: which database this is.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The database file.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// Waits for the writer's turn (fair: in the order asked).
    pub(crate) async fn turn(&self) -> WriterTurn<'_> {
        self.wanting.fetch_add(1, Ordering::SeqCst);
        let wanting = Wanting(&self.wanting);
        let state = self.state.lock().await;
        WriterTurn {
            committer: self,
            state,
            wanting: Some(wanting),
            finished: false,
        }
    }
}

/// One writer's turn: the writer connection inside the batch transaction, for one body
/// run in a savepoint, then [`WriterTurn::finish`]. A turn dropped unfinished (a panic)
/// closes the connection, which rolls the whole batch back, and fails its writers.
pub(crate) struct WriterTurn<'a> {
    committer: &'a GroupCommit,
    state: MutexGuard<'a, WriterState>,
    wanting: Option<Wanting<'a>>,
    finished: bool,
}

impl WriterTurn<'_> {
    /// The writer connection inside an open batch transaction (both opened when needed).
    pub(crate) async fn connection(&mut self) -> DbResult<&mut SqliteConnection> {
        let state = &mut *self.state;
        if state.connection.is_none() {
            let opened = open_sqlite(self.committer.path.clone())
                .await
                .map_err(|error| DbError::from(StoreError::Unavailable(error.to_string())))?;
            state.connection = Some(opened);
        }
        let Some(conn) = state.connection.as_mut() else {
            return Err(unavailable("no writer connection"));
        };
        if state.batch.is_some() && !in_batch(conn).await {
            abandon_batch(
                state,
                "the batch transaction was lost; its writes were rolled back",
            );
            return Err(unavailable("the batch transaction was lost"));
        }
        let Some(conn) = state.connection.as_mut() else {
            return Err(unavailable("no writer connection"));
        };
        if state.batch.is_none() {
            if let Err(error) = begin_immediate(conn).await {
                // A connection that cannot begin is not trusted again.
                state.connection = None;
                return Err(error);
            }
            let (outcome, _) = watch::channel(None);
            state.batches += 1;
            state.batch = Some(Batch {
                id: state.batches,
                writers: 0,
                outcome,
            });
        }
        if let Some(batch) = state.batch.as_mut() {
            batch.writers += 1;
        }
        state
            .connection
            .as_mut()
            .ok_or_else(|| unavailable("no writer connection"))
    }

    /// Ends the turn with the body's `outcome`: the last writer queued (or the
    /// [`MAX_BATCH`]th) commits the batch; the others wait for that commit. `Ok` only once
    /// the commit holding this writer's writes succeeded.
    pub(crate) async fn finish<R>(mut self, outcome: DbResult<R>) -> DbResult<R> {
        self.finished = true;
        drop(self.wanting.take());
        if self.state.batch.is_none() {
            return outcome;
        }
        let intact = match self.state.connection.as_mut() {
            Some(conn) => in_batch(conn).await,
            None => false,
        };
        if !intact {
            abandon_batch(
                &mut self.state,
                "the batch transaction was lost; its writes were rolled back",
            );
            return Err(outcome
                .err()
                .unwrap_or_else(|| unavailable("the batch transaction was lost")));
        }
        let Some(batch) = self.state.batch.as_ref() else {
            return outcome;
        };
        let last = self.committer.wanting.load(Ordering::SeqCst) == 0 || batch.writers >= MAX_BATCH;
        if last {
            let committed = commit_batch(&mut self.state).await;
            return match (outcome, committed) {
                (Ok(value), Ok(())) => Ok(value),
                (Err(error), _) | (Ok(_), Err(error)) => Err(error),
            };
        }
        let (id, mut done) = (batch.id, batch.outcome.subscribe());
        let committer = self.committer;
        drop(self);
        let committed = loop {
            let waited = tokio::time::timeout(STALLED_BATCH, done.wait_for(Option::is_some))
                .await
                .map(|seen| match seen {
                    Ok(result) => result
                        .clone()
                        .unwrap_or_else(|| Err("no outcome".to_owned())),
                    Err(_) => Err("the batch ended without an outcome".to_owned()),
                });
            match waited {
                Ok(result) => break result,
                Err(_) => {
                    // The writer expected to commit is gone (its operation was dropped while
                    // queued): commit the batch ourselves if it is still the open one.
                    let mut state = committer.state.lock().await;
                    if state.batch.as_ref().map(|open| open.id) == Some(id)
                        && committer.wanting.load(Ordering::SeqCst) == 0
                    {
                        let _ = commit_batch(&mut state).await;
                    }
                }
            }
        };
        match (outcome, committed) {
            (Ok(value), Ok(())) => Ok(value),
            (Err(error), _) => Err(error),
            (Ok(_), Err(reason)) => Err(unavailable(&reason)),
        }
    }
}

impl Drop for WriterTurn<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // Closing the connection rolls the open transaction back.
        abandon_batch(
            &mut self.state,
            "a writer of the batch failed; the batch was rolled back",
        );
    }
}

/// Commits the open batch and tells its writers how it went.
async fn commit_batch(state: &mut WriterState) -> DbResult<()> {
    let Some(batch) = state.batch.take() else {
        return Ok(());
    };
    let intact = match state.connection.as_mut() {
        Some(conn) => in_batch(conn).await,
        None => false,
    };
    if !intact {
        state.connection = None;
    }
    let result = match state.connection.as_mut() {
        Some(conn) => match commit(conn).await {
            Ok(()) => Ok(()),
            Err(error) => {
                // Closing the connection rolls back whatever is left open.
                state.connection = None;
                Err(error)
            }
        },
        None => Err(unavailable("no writer connection")),
    };
    let told = result
        .as_ref()
        .map(|_| ())
        .map_err(|error| format!("the group commit failed: {error:?}"));
    batch.outcome.send_replace(Some(told));
    result
}

fn unavailable(reason: &str) -> DbError {
    DbError::from(StoreError::Unavailable(reason.to_owned()))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};

    use super::*;

    fn temp_db(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "hostpay-group-commit-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("test.db")
    }

    async fn setup(path: &str) {
        let handle = tokio::runtime::Handle::current();
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            handle.block_on(async move {
                let mut conn = open_sqlite(path).await.unwrap();
                conn.batch_execute(
                    "CREATE TABLE parent (id INTEGER PRIMARY KEY); \
                     CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER \
                       REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);",
                )
                .await
                .unwrap();
            })
        })
        .await
        .unwrap();
    }

    /// Inserts `parent(id)` (or a child of a missing parent, which only COMMIT refuses),
    /// failing its own body after the insert when `fail`.
    async fn write(writer: Arc<GroupCommit>, id: i64, fail: bool, orphan: bool) -> DbResult<()> {
        write_or_abort(writer, id, fail, orphan, false).await
    }

    /// [`write`], or with `abort` a body that rolls SQLite's whole transaction back behind
    /// diesel's back (what a disk-full or I/O error does) and then claims success.
    async fn write_or_abort(
        writer: Arc<GroupCommit>,
        id: i64,
        fail: bool,
        orphan: bool,
        abort: bool,
    ) -> DbResult<()> {
        let work = async move {
            let mut turn = writer.turn().await;
            let outcome = match turn.connection().await {
                Ok(c) => {
                    AsyncConnection::transaction(c, async |c: &mut SqliteConnection| {
                        let sql = if orphan {
                            format!("INSERT INTO child (id, parent) VALUES ({id}, 999999)")
                        } else {
                            format!("INSERT INTO parent (id) VALUES ({id})")
                        };
                        diesel::sql_query(sql).execute(c).await?;
                        if abort {
                            diesel::sql_query("ROLLBACK").execute(c).await?;
                        }
                        if fail {
                            return Err(unavailable("the body refused"));
                        }
                        Ok(())
                    })
                    .await
                }
                Err(error) => Err(error),
            };
            turn.finish(outcome).await
        };
        match detach(None, work).await {
            Ok(result) => result,
            Err(error) => Err(unavailable(&error.to_string())),
        }
    }

    async fn count(path: &str, table: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let handle = tokio::runtime::Handle::current();
        let (path, table) = (path.to_owned(), table.to_owned());
        tokio::task::spawn_blocking(move || {
            handle.block_on(async move {
                let mut conn = open_sqlite(path).await.unwrap();
                let rows: Vec<Count> =
                    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
                        .load(&mut conn)
                        .await
                        .unwrap();
                rows[0].n
            })
        })
        .await
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_share_commits_and_every_acknowledged_write_is_on_disk() {
        let path = temp_db("shared");
        let path = path.to_string_lossy().into_owned();
        setup(&path).await;
        let writer = Arc::new(GroupCommit::new(&path));
        let writes: Vec<_> = (0..200)
            .map(|id| tokio::spawn(write(writer.clone(), id, false, false)))
            .collect();
        for handle in writes {
            handle.await.unwrap().unwrap();
        }
        // A fresh connection (another process would see the same) finds all 200.
        assert_eq!(count(&path, "parent").await, 200);
        let batches = writer.state.lock().await.batches;
        assert!(
            batches < 200,
            "200 concurrent writers took {batches} commits: no grouping"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_body_rolls_back_alone() {
        let path = temp_db("alone");
        let path = path.to_string_lossy().into_owned();
        setup(&path).await;
        let writer = Arc::new(GroupCommit::new(&path));
        let writes: Vec<_> = (0..60)
            .map(|id| tokio::spawn(write(writer.clone(), id, id % 3 == 0, false)))
            .collect();
        let mut refused = 0;
        for handle in writes {
            if handle.await.unwrap().is_err() {
                refused += 1;
            }
        }
        assert_eq!(refused, 20);
        assert_eq!(count(&path, "parent").await, 40);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn when_the_commit_fails_no_writer_of_the_batch_is_acknowledged() {
        let path = temp_db("commit-fails");
        let path = path.to_string_lossy().into_owned();
        setup(&path).await;
        let writer = Arc::new(GroupCommit::new(&path));
        // Hold the writer's turn so the next writers queue into one batch, with an orphan
        // child among them: its deferred foreign key fails the batch's COMMIT.
        let mut outcomes = Vec::new();
        for round in 0..5 {
            let first = round * 100;
            let writes: Vec<_> = (first..first + 30)
                .map(|id| tokio::spawn(write(writer.clone(), id, false, id == first + 15)))
                .collect();
            for handle in writes {
                outcomes.push(handle.await.unwrap().is_ok());
            }
        }
        let acknowledged = outcomes.iter().filter(|ok| **ok).count() as i64;
        // Every acknowledged parent is on disk, and nothing else is.
        assert_eq!(count(&path, "parent").await, acknowledged);
        assert_eq!(count(&path, "child").await, 0);
        assert!(acknowledged < 150, "the failed commits acknowledged nobody");
        // And the writer keeps working afterwards.
        write(writer.clone(), 10_000, false, false).await.unwrap();
        assert_eq!(count(&path, "parent").await, acknowledged + 1);
    }

    async fn present(path: &str, id: i64) -> bool {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let handle = tokio::runtime::Handle::current();
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            handle.block_on(async move {
                let mut conn = crate::sqlite_writer::open_sqlite(path).await.unwrap();
                let rows: Vec<Count> =
                    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM parent WHERE id = {id}"))
                        .load(&mut conn)
                        .await
                        .unwrap();
                rows[0].n == 1
            })
        })
        .await
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transaction_lost_mid_batch_acknowledges_exactly_what_is_on_disk() {
        let path = temp_db("lost");
        let path = path.to_string_lossy().into_owned();
        setup(&path).await;
        let writer = Arc::new(GroupCommit::new(&path));
        let mut outcomes = Vec::new();
        for round in 0..4 {
            let first = round * 100;
            let writes: Vec<_> = (first..first + 30)
                .map(|id| {
                    let abort = id == first + 15;
                    (
                        id,
                        tokio::spawn(write_or_abort(writer.clone(), id, false, false, abort)),
                    )
                })
                .collect();
            for (id, handle) in writes {
                outcomes.push((id, handle.await.unwrap().is_ok()));
            }
        }
        for (id, acknowledged) in outcomes {
            assert_eq!(
                acknowledged,
                present(&path, id).await,
                "writer {id}: acknowledged {acknowledged} but its row is {}on disk",
                if acknowledged { "not " } else { "" }
            );
        }
        write(writer.clone(), 10_000, false, false).await.unwrap();
        assert!(present(&path, 10_000).await);
    }
}
