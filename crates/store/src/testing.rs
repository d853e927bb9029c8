//! Test databases for hostpay's own tests (behind the `testing` feature): a fresh
//! PostgreSQL database per test, created on `HOSTPAY_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) and dropped afterwards, failing loudly
//! when the server cannot be reached (PostgreSQL tests never skip); and a temporary SQLite
//! file per test, deleted afterwards. Used by the store's, the HTTP adapter's and the
//! app's tests.
//!
//! A migrated PostgreSQL database ([`PgTestDb::migrated`]) is a copy of a template
//! (`CREATE DATABASE ... TEMPLATE`), migrated once per set of migrations: the template's
//! name carries a hash of the migrations' files, so it is built by the first test that
//! needs it (under an advisory lock, so concurrent test processes build it once) and
//! reused by every later test and run until a migration changes. Tests of the migrations
//! themselves use [`PgTestDb::create`] (an empty database) and migrate it.

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
        PgTestDb::create_from(None).await
    }

    /// Creates the database with every migration applied: a copy of the migrated
    /// template (see the module's docs).
    pub async fn migrated() -> PgTestDb {
        let template = migrated_template().await;
        PgTestDb::create_from(Some(&template)).await
    }

    async fn create_from(template: Option<&str>) -> PgTestDb {
        let admin_url = admin_url();
        let name = unique_name("hostpay_test");
        let mut conn = admin(&admin_url).await;
        let statement = match template {
            Some(template) => format!("CREATE DATABASE {name} TEMPLATE {template}"),
            None => format!("CREATE DATABASE {name}"),
        };
        diesel::sql_query(&statement)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|error| panic!("{statement}: {error}"));
        let url = with_database(&admin_url, &name);
        PgTestDb {
            admin_url,
            name,
            url,
        }
    }
}

/// The advisory lock (on the server's admin database) that serialises building templates
/// across test processes ("hp-tmpl" in ASCII).
const TEMPLATE_LOCK: i64 = 0x0068_702d_746d_706c;

/// The name of the template for the current migrations: `hostpay_tpl_<hash>`, the hash
/// of every PostgreSQL migration file's path and content.
fn template_name() -> String {
    use sha2::{Digest, Sha256};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut files = Vec::new();
    let mut folders = vec![root.clone()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", folder.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut hash = Sha256::new();
    for file in files {
        let relative = file.strip_prefix(&root).unwrap_or(&file);
        hash.update(relative.to_string_lossy().as_bytes());
        hash.update([0]);
        let content = std::fs::read(&file)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", file.display()));
        hash.update(&content);
        hash.update([0]);
    }
    let digest = hex::encode(hash.finalize());
    format!("hostpay_tpl_{}", &digest[..16])
}

/// The migrated template's name, built on first use (once per process; across processes
/// the advisory lock and the existence check make it once per set of migrations).
async fn migrated_template() -> String {
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            // Built on a thread with its own runtime: the cell is awaited from many tests'
            // runtimes, and the build must not depend on the one that happens to start it.
            std::thread::spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap_or_else(|error| panic!("a runtime for the template: {error}"));
                runtime.block_on(build_template())
            })
            .join()
            .unwrap_or_else(|_| panic!("building the migrated template database panicked"))
        })
        .await
        .clone()
}

async fn build_template() -> String {
    let name = template_name();
    let admin_url = admin_url();
    let mut conn = admin(&admin_url).await;
    execute(
        &mut conn,
        format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"),
    )
    .await;
    if !database_exists(&mut conn, &name).await {
        // Migrated under a scratch name and renamed when complete: a run that dies
        // half-way never leaves a half-migrated template behind.
        let scratch = format!("{name}_wip");
        execute(
            &mut conn,
            format!("DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"),
        )
        .await;
        execute(&mut conn, format!("CREATE DATABASE {scratch}")).await;
        crate::migrate(&with_database(&admin_url, &scratch))
            .await
            .unwrap_or_else(|error| panic!("migrating the template {scratch}: {error}"));
        execute(
            &mut conn,
            format!("ALTER DATABASE {scratch} RENAME TO {name}"),
        )
        .await;
    }
    execute(
        &mut conn,
        format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"),
    )
    .await;
    name
}

async fn execute(conn: &mut AsyncPgConnection, statement: String) {
    diesel::sql_query(&statement)
        .execute(conn)
        .await
        .unwrap_or_else(|error| panic!("{statement}: {error}"));
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> bool {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        count: i64,
    }
    let found: Found =
        diesel::sql_query("SELECT count(*) AS count FROM pg_database WHERE datname = $1")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result(conn)
            .await
            .unwrap_or_else(|error| panic!("looking {name} up in pg_database: {error}"));
    found.count > 0
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
