//! SQLite reads run in place, on the thread that asks, with that thread's own read-only
//! connection: no hop to the blocking pool and back (two thread hand-offs, the bulk of a
//! point read's cost), no pool checkout, and a prepared-statement cache that stays warm.
//!
//! Why this cannot stall the worker thread it runs on:
//! - **WAL readers do not wait for the writer.** A reader reads a snapshot (the database
//!   file plus the WAL up to its last commit); the writer appends to the WAL and does not
//!   lock readers out. The reader connection is opened with `busy_timeout = 0`, so where
//!   SQLite would hand a reader to the busy handler it fails at once instead; any failure
//!   of an in-place read drops the connection and runs the read again the ordinary way
//!   (`detached!`: on a blocking thread, with the pool's waiting connection). Not a
//!   guarantee of zero waiting: SQLite's WAL read-lock retry loop sleeps a few
//!   microseconds on its own while a checkpoint resets the WAL, and the first connection
//!   after a crash runs WAL recovery (the server opens and migrates the database at start,
//!   so that recovery happens before it serves).
//! - **It is bounded CPU work.** Every read run this way is a lookup by primary or
//!   secondary key (a payment, a page of at most 101 payments, an order, a token): a
//!   few B-tree pages, from SQLite's page cache or the OS's. A page not cached costs one
//!   disk read, as it would on a blocking thread.
//! - **It cannot be cancelled halfway.** The connection's runtime ([`crate::sqlite_writer::Inline`])
//!   completes every query where it is polled, so the whole read completes within the
//!   one poll that starts it (`now_or_never`); a read that would not is abandoned before
//!   it starts anything and goes the `detached!` way.
//!
//! Only file databases read this way (an in-memory database is one connection: a thread's
//! own connection would be another, empty, database). The connection is `query_only`: it
//! can never write.

use std::cell::RefCell;

use diesel_async::{AsyncConnection, SimpleAsyncConnection};

use crate::database::{SqliteConnection, SqliteDatabase};

thread_local! {
    /// This thread's reader: the database it reads (its writer's id, unique in the
    /// process) and the connection. One per thread: a thread that reads
    /// another database (tests) replaces it.
    static READER: RefCell<Option<(u64, SqliteConnection)>> = const { RefCell::new(None) };
}

/// A reader connection taken out of its thread's slot for one read; put back with
/// [`Reader::give_back`] (dropped, it closes).
pub(crate) struct Reader {
    database: u64,
    connection: SqliteConnection,
}

impl Reader {
    /// This thread's reader of `database` (opened on first use), or `None` when
    /// `database` does not read in place (in memory) or the connection cannot be opened.
    pub(crate) fn take(database: &SqliteDatabase) -> Option<Reader> {
        let writer = database.writer.as_ref()?;
        let id = writer.id();
        let cached = READER
            .try_with(|slot| match slot.borrow_mut().take() {
                Some((owner, connection)) if owner == id => Some(connection),
                Some(_) | None => None,
            })
            .ok()
            .flatten();
        let connection = match cached {
            Some(connection) => connection,
            None => open(writer.path())?,
        };
        Some(Reader {
            database: id,
            connection,
        })
    }

    /// The connection.
    pub(crate) fn connection(&mut self) -> &mut SqliteConnection {
        &mut self.connection
    }

    /// Puts the connection back in its thread's slot, for the next read.
    pub(crate) fn give_back(self) {
        let Reader {
            database,
            connection,
        } = self;
        let _ = READER.try_with(|slot| *slot.borrow_mut() = Some((database, connection)));
    }
}

/// Runs `work` to its end within this one poll, or not at all (`None`: it would have
/// waited, which no read on a [`Reader`] does).
pub(crate) fn in_place<T>(
    work: impl std::future::Future<Output = crate::error::DbResult<T>>,
) -> Option<crate::error::DbResult<T>> {
    futures::FutureExt::now_or_never(work)
}

/// Opens a read-only connection that never waits for a lock, in place.
fn open(path: &str) -> Option<SqliteConnection> {
    let opening = async {
        let mut conn = SqliteConnection::establish(path).await.ok()?;
        conn.batch_execute("PRAGMA busy_timeout = 0; PRAGMA query_only = 1;")
            .await
            .ok()?;
        Some(conn)
    };
    futures::FutureExt::now_or_never(opening).flatten()
}

/// Runs `$read` (a block that awaits on `$conn`, a `&mut` SQLite connection, and evaluates
/// to `DbResult<T>`) in one read transaction, so that its statements all see the same
/// commit; commits after a success, rolls back after a failure.
macro_rules! in_snapshot {
    ($conn:ident, $read:block) => {{
        use diesel_async::SimpleAsyncConnection as _;
        $conn
            .batch_execute("BEGIN")
            .await
            .map_err(crate::error::DbError::from)?;
        let read: crate::error::DbResult<_> = async { $read }.await;
        match read {
            Ok(value) => match $conn.batch_execute("COMMIT").await {
                Ok(()) => Ok(value),
                Err(error) => {
                    let _ = $conn.batch_execute("ROLLBACK").await;
                    Err(crate::error::DbError::from(error))
                }
            },
            Err(error) => {
                let _ = $conn.batch_execute("ROLLBACK").await;
                Err(error)
            }
        }
    }};
}
pub(crate) use in_snapshot;

/// Runs a read-only `$body` (a block that may `.await` and `?`, evaluates to `DbResult<T>`
/// and sees `$conn`) in place on SQLite file databases (see the module doc), else, and
/// whenever the in-place read fails, as `detached!` does. The body runs at most once in
/// place and once detached: it must only read. Values it uses are borrowed in place and
/// moved into the detached run, so it must not consume them.
macro_rules! read_only {
    (pg, $database:expr, |$conn:ident| $body:block) => {
        crate::dialect::detached!($database, |$conn| $body)
    };
    (sqlite, $database:expr, |$conn:ident| $body:block) => {{
        let in_place = match crate::sqlite_reader::Reader::take($database) {
            Some(mut reader) => {
                let outcome = {
                    #[allow(unused_mut)]
                    let mut $conn = reader.connection();
                    crate::sqlite_reader::in_place(async { $body })
                };
                match outcome {
                    Some(Ok(value)) => {
                        reader.give_back();
                        Some(value)
                    }
                    // The reader is dropped (closed); the read runs again the ordinary way.
                    Some(Err(_)) | None => None,
                }
            }
            None => None,
        };
        match in_place {
            Some(value) => Ok(value),
            None => crate::dialect::detached!($database, |$conn| $body),
        }
    }};
}
pub(crate) use read_only;
