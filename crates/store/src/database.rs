//! Which database a URL names, and the connection pools: PostgreSQL through
//! `AsyncPgConnection`, SQLite through `SyncConnectionWrapper<SqliteConnection>` with WAL,
//! `busy_timeout`, `synchronous = FULL` and foreign keys set on every new connection.

use std::sync::Arc;
use std::time::Duration;

use deadpool::Runtime;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::AsyncPgConnection;
use hostpay_domain::ports::StoreError;

pub(crate) use crate::sqlite_writer::SqliteConnection;
use crate::sqlite_writer::{open_sqlite, GroupCommit};

/// What a database URL names. `Debug` and serialisation hide a PostgreSQL password;
/// deserialising parses (the `database.url` configuration key is one).
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://...` or `postgresql://...`, passed to the driver as is.
    Postgres(String),
    /// `sqlite://relative/path.db`, `sqlite:///absolute/path.db`: the file's path.
    SqliteFile(String),
    /// `sqlite::memory:`: a private in-memory database (one connection).
    SqliteMemory,
}

impl DatabaseUrl {
    /// Reads a URL. Errors: `Unavailable` naming the accepted forms.
    pub fn parse(url: &str) -> Result<DatabaseUrl, StoreError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(url.to_owned()));
        }
        if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            return Ok(DatabaseUrl::SqliteMemory);
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .map(|rest| rest.split('?').next().unwrap_or(rest));
        match path {
            Some(path) if !path.is_empty() => Ok(DatabaseUrl::SqliteFile(path.to_owned())),
            Some(_) | None => Err(StoreError::Unavailable(format!(
                "unsupported database URL {:?}: use postgres://..., sqlite://relative.db, \
                 sqlite:///absolute.db or sqlite::memory:",
                redact(url)
            ))),
        }
    }

    /// `"postgres"` or `"sqlite"`.
    pub fn backend(&self) -> &'static str {
        match self {
            DatabaseUrl::Postgres(_) => "postgres",
            DatabaseUrl::SqliteFile(_) | DatabaseUrl::SqliteMemory => "sqlite",
        }
    }

    /// Whether this is SQLite (file or memory).
    pub fn is_sqlite(&self) -> bool {
        match self {
            DatabaseUrl::SqliteFile(_) | DatabaseUrl::SqliteMemory => true,
            DatabaseUrl::Postgres(_) => false,
        }
    }

    /// The URL to connect with (it may carry a password: never log it; `Debug` masks it).
    pub fn expose(&self) -> String {
        match self {
            DatabaseUrl::Postgres(url) => url.clone(),
            DatabaseUrl::SqliteFile(path) => format!("sqlite://{path}"),
            DatabaseUrl::SqliteMemory => "sqlite::memory:".to_owned(),
        }
    }

    /// The URL with any password masked, for messages and `config check`.
    pub fn masked(&self) -> String {
        redact(&self.expose())
    }

    /// What SQLite's `establish` takes.
    pub(crate) fn sqlite_path(&self) -> &str {
        match self {
            DatabaseUrl::SqliteFile(path) => path,
            DatabaseUrl::SqliteMemory | DatabaseUrl::Postgres(_) => ":memory:",
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

impl serde::Serialize for DatabaseUrl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}

impl<'de> serde::Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        DatabaseUrl::parse(&text).map_err(|error| match error {
            StoreError::Unavailable(reason) => serde::de::Error::custom(reason),
            other => serde::de::Error::custom(other),
        })
    }
}

/// The URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:********{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Pool sizing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Most connections (SQLite in memory always uses 1).
    pub max_connections: usize,
    /// How long a caller waits for a free connection (and for a new one to open).
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// The PostgreSQL backend (a cheap handle to clone): its connections in lanes, one per
/// single-threaded runtime that uses it (each HTTP worker thread, up to `cores + 1` of
/// them) and one shared by everything else (the background workers' runtime, and any
/// thread beyond that).
///
/// Why lanes: a connection's I/O is driven by a task on the runtime that opened it. Shared
/// by all threads, a connection opened on worker A and used by worker B had every query
/// of B wait until A's thread polled that task (and woke both threads for it); in its
/// thread's lane, a connection is only ever used where its task runs.
///
/// `database.pool_size` stays the cap of the whole: each thread lane gets
/// `pool_size / (cores + 2)` connections, the shared lane the rest (at least as many);
/// with fewer than two connections per lane to give, there are no thread lanes at all. A
/// thread whose lane is busy (every connection in use) takes one of the shared lane (idle
/// or new) while that lane has one to give, rather than wait.
#[derive(Clone)]
pub(crate) struct PgDatabase {
    lanes: Arc<PgLanes>,
}

struct PgLanes {
    /// Unique in the process: tells this database's lanes in a thread's cache.
    id: u64,
    url: String,
    settings: PoolSettings,
    /// Connections per thread lane; 0: no thread lanes.
    lane_size: usize,
    /// How many thread lanes there may be.
    max_lanes: usize,
    /// The connections of everything without a lane.
    shared: Pool<AsyncPgConnection>,
    /// The thread lanes, by thread (a lane goes with its thread).
    by_thread: std::sync::Mutex<Vec<(std::thread::ThreadId, Pool<AsyncPgConnection>)>>,
}

/// A lane as a thread's cache holds it: not keeping its connections open once the
/// database is dropped (its `PgLanes` owns the lanes).
type WeakLane = deadpool::managed::WeakPool<AsyncDieselConnectionManager<AsyncPgConnection>>;

/// This thread's lanes, `(database id, its lanes, the lane)`; dropped with the thread,
/// which takes its lanes out of their databases.
struct ThreadLanes(Vec<(u64, std::sync::Weak<PgLanes>, WeakLane)>);

impl Drop for ThreadLanes {
    fn drop(&mut self) {
        let thread = std::thread::current().id();
        for (_, lanes, _) in &self.0 {
            if let Some(lanes) = lanes.upgrade() {
                if let Ok(mut all) = lanes.by_thread.lock() {
                    all.retain(|(owner, _)| *owner != thread);
                }
            }
        }
    }
}

thread_local! {
    static PG_LANES: std::cell::RefCell<ThreadLanes> =
        const { std::cell::RefCell::new(ThreadLanes(Vec::new())) };
}

/// `(connections per thread lane, how many thread lanes, connections of the shared lane)`
/// for a budget of `max_connections` on `cores` cores: the HTTP workers (one per core)
/// and the internal listener get a lane each of `max / (cores + 2)` connections when that
/// is at least 2, the shared lane the rest.
fn lane_sizes(max_connections: usize, cores: usize) -> (usize, usize, usize) {
    let max = max_connections.max(1);
    let lanes = cores + 1;
    let size = max / (lanes + 1);
    if size < 2 {
        (0, 0, max)
    } else {
        (size, lanes, max - size * lanes)
    }
}

fn pg_pool(
    url: &str,
    settings: PoolSettings,
    size: usize,
) -> Result<Pool<AsyncPgConnection>, StoreError> {
    // A pooled connection is handed out without a test query (`SELECT 1` would cost a
    // round trip per store call): one whose server side closed (a restart) reads as
    // closed and is replaced; one that breaks in use fails that call (`Unavailable`).
    let mut config = ManagerConfig::<AsyncPgConnection>::default();
    config.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(settings.acquire_timeout))
        .create_timeout(Some(settings.acquire_timeout))
        .runtime(Runtime::Tokio1)
        .build()
        .map_err(pool_error)
}

fn pool_error(error: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("database connection: {error}"))
}

impl PgDatabase {
    /// Opens the lanes (connections open lazily).
    pub(crate) fn open(url: &str, settings: PoolSettings) -> Result<PgDatabase, StoreError> {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let (lane_size, max_lanes, shared) = lane_sizes(settings.max_connections, cores);
        Ok(PgDatabase {
            lanes: Arc::new(PgLanes {
                id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                url: url.to_owned(),
                settings,
                lane_size,
                max_lanes,
                shared: pg_pool(url, settings, shared)?,
                by_thread: std::sync::Mutex::new(Vec::new()),
            }),
        })
    }

    /// Unique in the process among open databases: tells this database from another.
    pub(crate) fn id(&self) -> u64 {
        self.lanes.id
    }

    /// The calling thread's own lane, when it runs a single-threaded runtime and has (or
    /// may open) one.
    fn own_lane(&self) -> Option<Pool<AsyncPgConnection>> {
        let lanes = &self.lanes;
        if lanes.lane_size == 0 {
            return None;
        }
        let single_threaded = tokio::runtime::Handle::try_current()
            .map(|runtime| runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread)
            .unwrap_or(false);
        if !single_threaded {
            return None;
        }
        let cached = PG_LANES
            .try_with(|cache| {
                let mut cache = cache.borrow_mut();
                // Lanes of dropped databases go.
                cache.0.retain(|(_, _, lane)| lane.upgrade().is_some());
                cache
                    .0
                    .iter()
                    .find(|(owner, _, _)| *owner == lanes.id)
                    .and_then(|(_, _, lane)| lane.upgrade())
            })
            .ok()?;
        if cached.is_some() {
            return cached;
        }
        let thread = std::thread::current().id();
        let pool = {
            let mut all = lanes.by_thread.lock().ok()?;
            if let Some((_, pool)) = all.iter().find(|(owner, _)| *owner == thread) {
                pool.clone()
            } else if all.len() < lanes.max_lanes {
                let pool = pg_pool(&lanes.url, lanes.settings, lanes.lane_size).ok()?;
                all.push((thread, pool.clone()));
                pool
            } else {
                // Every lane is taken (more threads than expected): the shared lane.
                return None;
            }
        };
        PG_LANES
            .try_with(|cache| {
                cache
                    .borrow_mut()
                    .0
                    .push((lanes.id, Arc::downgrade(lanes), pool.weak()));
            })
            .ok()?;
        Some(pool)
    }

    /// A pooled connection: of the calling thread's lane, or of the shared lane when the
    /// thread has none, or all of its lane's connections are in use and the shared lane
    /// has one idle or room for one. Errors: `Unavailable`.
    pub(crate) async fn connection(&self) -> Result<Object<AsyncPgConnection>, StoreError> {
        let pool = match self.own_lane() {
            Some(lane) => {
                let busy = lane.status();
                let shared = self.lanes.shared.status();
                // A busy lane never makes its thread wait while the shared lane has an
                // idle connection or room for one (the budget is the whole pool's, as
                // before lanes); one opened here is driven by this thread's runtime, which
                // costs speed only under that saturation.
                let shared_free = shared.available > 0 || shared.size < shared.max_size;
                if busy.available == 0 && busy.size >= busy.max_size && shared_free {
                    self.lanes.shared.clone()
                } else {
                    lane
                }
            }
            None => self.lanes.shared.clone(),
        };
        pool.get().await.map_err(pool_error)
    }

    /// How many connections each thread lane may open (0: no thread lanes).
    #[cfg(test)]
    pub(crate) fn lane_size(&self) -> usize {
        self.lanes.lane_size
    }

    /// The lanes' pool status, added up; `max_size` is the whole budget
    /// (`database.pool_size`), whether or not every lane is open yet.
    pub(crate) fn status(&self) -> deadpool::Status {
        let lanes = &self.lanes;
        let mut total = lanes.shared.status();
        total.max_size += lanes.lane_size * lanes.max_lanes;
        if let Ok(all) = lanes.by_thread.lock() {
            for (_, pool) in all.iter() {
                let status = pool.status();
                total.size += status.size;
                total.available += status.available;
                total.waiting += status.waiting;
            }
        }
        total
    }
}

#[cfg(test)]
mod lane_tests {
    use super::lane_sizes;

    #[test]
    fn the_lanes_never_add_up_to_more_than_the_pool_size() {
        for cores in 1..=128 {
            for max in 1..=300 {
                let (size, lanes, shared) = lane_sizes(max, cores);
                assert_eq!(size * lanes + shared, max, "{max} on {cores} cores");
                assert!(shared >= size, "{max} on {cores} cores");
                assert!(size == 0 || size >= 2);
            }
        }
        assert_eq!(lane_sizes(10, 2), (2, 3, 4));
        assert_eq!(lane_sizes(10, 64), (0, 0, 10));
    }
}

/// The SQLite backend: a pool of wrapped `SqliteConnection`s (a cheap handle to clone).
#[derive(Clone)]
pub(crate) struct SqliteDatabase {
    pub(crate) pool: Pool<SqliteConnection>,
    /// The group committer of a file database (an in-memory one has a single connection).
    pub(crate) writer: Option<Arc<GroupCommit>>,
}

/// Process-wide SQLite settings, applied once before SQLite's first use in the process (they
/// can be set only then): no memory statistics, which SQLite otherwise keeps behind one
/// process-wide mutex taken on every allocation of every connection (a read that builds
/// JSON allocates a lot; with two worker threads reading, that mutex was contended); and
/// multi-thread mode: no mutex of its own around every call on a connection (each of
/// hostpay's connections is only ever used by one thread at a time: diesel's
/// `SqliteConnection` is not `Sync`, a pooled one sits behind the wrapper's mutex, a
/// reader is its thread's own, the group commit's behind its lock), while SQLite keeps
/// guarding what connections share.
pub(crate) fn sqlite_process_setup() {
    static SETUP: std::sync::Once = std::sync::Once::new();
    SETUP.call_once(|| {
        // SAFETY: `SQLITE_CONFIG_MULTITHREAD` takes no argument; the same conditions as
        // below (before SQLite is initialised, or `SQLITE_MISUSE` and nothing changes).
        let threading =
            unsafe { libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MULTITHREAD) };
        if threading != libsqlite3_sys::SQLITE_OK {
            tracing::debug!(
                outcome = threading,
                "SQLite was initialised already: it stays in serialized mode"
            );
        }
        // SAFETY: `sqlite3_config` with `SQLITE_CONFIG_MEMSTATUS` takes one `int`; called
        // before SQLite is initialised it only sets a flag, after it returns
        // `SQLITE_MISUSE` and changes nothing. SQLite asks that no other thread use it
        // meanwhile: the server calls this while it starts, before its first connection
        // (in a test binary, other tests may be opening SQLite then: at worst the flag is
        // not set and statistics stay on).
        let outcome = unsafe {
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0_i32)
        };
        if outcome != libsqlite3_sys::SQLITE_OK {
            tracing::debug!(
                outcome,
                "SQLite was initialised already: memory statistics stay on"
            );
        }
    });
}

impl SqliteDatabase {
    /// Opens the pool; every new connection gets the PRAGMAs.
    pub(crate) fn open(
        url: &DatabaseUrl,
        settings: PoolSettings,
    ) -> Result<SqliteDatabase, StoreError> {
        sqlite_process_setup();
        let mut config = ManagerConfig::<SqliteConnection>::default();
        config.custom_setup = Box::new(|path| Box::pin(open_sqlite(path.to_owned())));
        let manager = AsyncDieselConnectionManager::<SqliteConnection>::new_with_config(
            url.sqlite_path(),
            config,
        );
        let max = match url {
            DatabaseUrl::SqliteMemory => 1,
            DatabaseUrl::SqliteFile(_) | DatabaseUrl::Postgres(_) => {
                settings.max_connections.max(1)
            }
        };
        let pool = Pool::builder(manager)
            .max_size(max)
            .wait_timeout(Some(settings.acquire_timeout))
            .create_timeout(Some(settings.acquire_timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(pool_error)?;
        let writer = match url {
            DatabaseUrl::SqliteFile(path) => Some(Arc::new(GroupCommit::new(path))),
            DatabaseUrl::SqliteMemory | DatabaseUrl::Postgres(_) => None,
        };
        Ok(SqliteDatabase { pool, writer })
    }

    /// A pooled connection. Errors: `Unavailable`.
    pub(crate) async fn connection(&self) -> Result<Object<SqliteConnection>, StoreError> {
        self.pool.get().await.map_err(pool_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_url_form() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/hostpay.db").unwrap(),
            DatabaseUrl::SqliteFile("data/hostpay.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/hostpay.db").unwrap(),
            DatabaseUrl::SqliteFile("/var/lib/hostpay.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite::memory:").unwrap(),
            DatabaseUrl::SqliteMemory
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://u:p@h/db")
                .unwrap()
                .backend(),
            "postgres"
        );
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn hides_passwords() {
        assert_eq!(
            redact("postgres://app:secret@db:5432/hostpay"),
            "postgres://app:********@db:5432/hostpay"
        );
        assert_eq!(redact("postgres://db/hostpay"), "postgres://db/hostpay");
    }
}
