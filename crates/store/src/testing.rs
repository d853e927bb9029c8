//! Test databases for hostpay's own tests (behind the `testing` feature): a fresh
//! PostgreSQL database per test, created on `HOSTPAY_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and dropped afterwards, failing loudly
//! when the server cannot be reached (PostgreSQL tests never skip); and a temporary SQLite
//! file per test, deleted afterwards. Used by the store's, the HTTP adapter's and the
//! app's tests.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// Where PostgreSQL tests create their databases.
pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A name no other test (or run) uses.
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("{prefix}_{}_{nanos}_{n}", std::process::id())
}

/// The server URL tests use.
pub fn admin_url() -> String {
    std::env::var("HOSTPAY_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map(|at| at + 3).unwrap_or(0);
    let server = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

async fn admin(url: &str) -> AsyncPgConnection {
    match AsyncPgConnection::establish(url).await {
        Ok(conn) => conn,
        Err(error) => panic!(
            "PostgreSQL tests need a server: cannot connect to HOSTPAY_TEST_PG_URL ({url}): \
             {error}. Run scripts/test.sh, which starts a throwaway one."
        ),
    }
}

/// A fresh PostgreSQL database, dropped when this goes out of scope.
pub struct PgTestDb {
    admin_url: String,
    name: String,
    /// The database's URL.
    pub url: String,
}

impl PgTestDb {
    /// Creates the database (empty: no migrations).
    pub async fn create() -> PgTestDb {
        let admin_url = admin_url();
        let name = unique_name("hostpay_test");
        let mut conn = admin(&admin_url).await;
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|error| panic!("CREATE DATABASE {name}: {error}"));
        let url = with_database(&admin_url, &name);
        PgTestDb {
            admin_url,
            name,
            url,
        }
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Dropping runs inside the test's runtime: use a thread with its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| error.to_string())?;
            runtime.block_on(async {
                let mut conn = AsyncPgConnection::establish(&admin_url)
                    .await
                    .map_err(|error| error.to_string())?;
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .map_err(|error| error.to_string())
            })
        })
        .join();
        match dropped {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => eprintln!("could not drop test database {}: {error}", self.name),
            Err(_) => eprintln!("could not drop test database {}", self.name),
        }
    }
}

/// A temporary SQLite database file, deleted (with its WAL files) when this goes out of
/// scope.
pub struct SqliteTestDb {
    path: PathBuf,
    /// `sqlite:///...` for the file.
    pub url: String,
}

impl SqliteTestDb {
    /// A path for a new file (created on first connection).
    pub fn create() -> SqliteTestDb {
        let path = std::env::temp_dir().join(format!("{}.db", unique_name("hostpay-store")));
        let url = format!("sqlite://{}", path.display());
        SqliteTestDb { path, url }
    }

    /// The file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }
}

impl Drop for SqliteTestDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.path.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_name() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t2"),
            "postgres://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "t3"), "postgres://h/t3");
    }
}
