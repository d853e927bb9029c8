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
//!   guarantee of zero waiting: SQLite's WAL read-lock retry loop ignores the busy
//!   handler and sleeps on its own while a checkpoint resets the WAL or another connection
//!   holds the lock it needs: usually microseconds, but its bound is SQLite's (about 10 s
//!   in all before it gives up with `SQLITE_PROTOCOL`), during which this worker thread
//!   serves nothing else. That takes a checkpoint stuck mid-reset (a crashed process
//!   holding the lock, a stalled disk); the first connection after a crash also runs WAL
//!   recovery (the server opens and migrates the database at start, so that recovery
//!   happens before it serves).
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

/// Loads at most `limit` rows (all of them with `None`) of `query` on SQLite, stepping the
/// statement only as far as the rows it keeps, on the connection itself (diesel's
/// synchronous API: a statement of a static shape is found in the connection's cache by
/// its type, with no SQL text built per call and no copy of each row).
///
/// Why not `LIMIT`: SQLite (3.5x) marks a statement whose `LIMIT` is a bound parameter to
/// be prepared again whenever that parameter is bound again, so diesel's `.limit(n)` and
/// `.first()` (a bound `LIMIT`) parse and plan their statement on every call; a query
/// without `LIMIT`, stepped `limit` times, stays prepared (test
/// `a_statement_read_here_is_prepared_once`). The queries given here are ordered by an
/// index, so stepping stops where a `LIMIT` would have.
pub(crate) async fn load_rows<Q, U>(
    conn: &mut SqliteConnection,
    query: Q,
    limit: Option<usize>,
) -> crate::error::DbResult<Vec<U>>
where
    Q: diesel::query_dsl::methods::LoadQuery<'static, diesel::sqlite::SqliteConnection, U>
        + Send
        + 'static,
    U: Send + 'static,
{
    conn.spawn_blocking(move |inner| {
        let rows = diesel::RunQueryDsl::load_iter::<U, diesel::connection::DefaultLoadingMode>(
            query, inner,
        )?;
        match limit {
            Some(limit) => rows.take(limit).collect(),
            None => rows.collect(),
        }
    })
    .await
    .map_err(crate::error::DbError::from)
}

#[cfg(test)]
mod tests {
    use std::ffi::CString;

    use libsqlite3_sys as ffi;

    /// How many times SQLite prepared `sql` again over ten runs, each binding `?1` (and
    /// `?2`, a row count, when there is one) anew, as diesel does on every call.
    fn reprepares(db: *mut ffi::sqlite3, sql: &str) -> i32 {
        let text = CString::new(sql).unwrap();
        let mut statement = std::ptr::null_mut();
        // SAFETY: `db` is open, `text` is NUL-terminated, the statement is finalized below.
        unsafe {
            let prepared = ffi::sqlite3_prepare_v3(
                db,
                text.as_ptr(),
                -1,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut statement,
                std::ptr::null_mut(),
            );
            assert_eq!(prepared, ffi::SQLITE_OK, "{sql}");
            for run in 0..10 {
                ffi::sqlite3_reset(statement);
                ffi::sqlite3_clear_bindings(statement);
                let key = CString::new(format!("pay_{}", run % 2)).unwrap();
                ffi::sqlite3_bind_text(statement, 1, key.as_ptr(), -1, ffi::SQLITE_TRANSIENT());
                if ffi::sqlite3_bind_parameter_count(statement) > 1 {
                    ffi::sqlite3_bind_int64(statement, 2, 21);
                }
                while ffi::sqlite3_step(statement) == ffi::SQLITE_ROW {}
            }
            let count = ffi::sqlite3_stmt_status(statement, ffi::SQLITE_STMTSTATUS_REPREPARE, 0);
            ffi::sqlite3_finalize(statement);
            count
        }
    }

    /// Why [`super::load_rows`] steps a statement instead of binding a `LIMIT`: with the
    /// bundled SQLite, a bound `LIMIT` makes every call parse and plan the statement
    /// again; the one-statement reads (JSON aggregates, no `LIMIT`) stay prepared.
    #[test]
    fn a_statement_read_here_is_prepared_once() {
        let dir = std::env::temp_dir().join(format!("hostpay-prepared-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = CString::new(dir.join("t.db").to_str().unwrap()).unwrap();
        let mut db = std::ptr::null_mut();
        // SAFETY: a fresh database handle, closed below.
        unsafe {
            assert_eq!(ffi::sqlite3_open(path.as_ptr(), &mut db), ffi::SQLITE_OK);
            let schema = CString::new(
                "PRAGMA journal_mode = WAL; \
                 CREATE TABLE payments (id TEXT PRIMARY KEY, user_id TEXT, created_at TEXT); \
                 CREATE INDEX payments_user ON payments (user_id, created_at); \
                 CREATE TABLE refunds (payment_id TEXT, position INTEGER, amount TEXT, \
                   PRIMARY KEY (payment_id, position)); \
                 INSERT INTO payments VALUES ('pay_0', 'u', 'a'), ('pay_1', 'u', 'b'); \
                 INSERT INTO refunds VALUES ('pay_0', 0, '1.00'), ('pay_0', 1, '2.00');",
            )
            .unwrap();
            let created = ffi::sqlite3_exec(
                db,
                schema.as_ptr(),
                None,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            );
            assert_eq!(created, ffi::SQLITE_OK);
        }
        let with_refunds = "SELECT payments.*, (SELECT json_group_array(json_object(\
            'position', r.position, 'amount', r.amount) ORDER BY r.position) FROM refunds r \
            WHERE r.payment_id = payments.id) FROM payments";
        assert_eq!(
            reprepares(db, &format!("{with_refunds} WHERE payments.id = ?1")),
            0
        );
        assert_eq!(
            reprepares(
                db,
                &format!("{with_refunds} WHERE payments.user_id = ?1 ORDER BY created_at DESC")
            ),
            0
        );
        // What diesel's `.first()` and `.limit(n)` write.
        assert_eq!(
            reprepares(db, "SELECT * FROM payments WHERE id = ?1 LIMIT ?2"),
            10
        );
        // SAFETY: every statement was finalized.
        unsafe { ffi::sqlite3_close(db) };
        let _ = std::fs::remove_dir_all(dir);
    }
}
