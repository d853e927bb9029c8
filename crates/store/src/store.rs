//! [`Store`]: the open database and every port on it, chosen from the URL at runtime.

use std::sync::Arc;

use hostpay_domain::ports::{
    AppRepository, ConnectRepository, IdempotencyStore, NonceStore, OrderActivityRepository,
    Outbox, PaymentRepository, StoreError, StoreHealth, StorePorts, UserTokenRepository,
};

use crate::database::{DatabaseUrl, PgDatabase, PoolSettings, SqliteDatabase};
use crate::migrations::{self, MigrationReport};

/// How to open the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// Pool sizing.
    pub pool: PoolSettings,
    /// Apply pending migrations before serving (`database.migrate_on_start`).
    pub migrate: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            pool: PoolSettings::default(),
            migrate: true,
        }
    }
}

/// Which backend serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

impl Backend {
    /// `"postgres"` or `"sqlite"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// The pool's state, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Most connections.
    pub max_size: usize,
    /// Connections open now.
    pub size: usize,
    /// Open connections idle now.
    pub available: usize,
    /// Callers waiting for a connection.
    pub waiting: usize,
}

#[derive(Clone)]
enum Pools {
    Postgres(Arc<PgDatabase>),
    Sqlite(Arc<SqliteDatabase>),
}

/// The open database with every store port on it (each `Arc<dyn ...>` shares one pool);
/// cheap to clone.
#[derive(Clone)]
pub struct Store {
    pools: Pools,
    migrations: Option<MigrationReport>,
    payments: Arc<dyn PaymentRepository>,
    order_activities: Arc<dyn OrderActivityRepository>,
    apps: Arc<dyn AppRepository>,
    user_tokens: Arc<dyn UserTokenRepository>,
    idempotency: Arc<dyn IdempotencyStore>,
    outbox: Arc<dyn Outbox>,
    nonces: Arc<dyn NonceStore>,
    health: Arc<dyn StoreHealth>,
    connect: Arc<dyn ConnectRepository>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

macro_rules! store_over {
    ($pools:expr, $database:expr, $migrations:expr) => {{
        let database = $database;
        Store {
            pools: $pools(database.clone()),
            migrations: $migrations,
            payments: database.clone(),
            order_activities: database.clone(),
            apps: database.clone(),
            user_tokens: database.clone(),
            idempotency: database.clone(),
            outbox: database.clone(),
            nonces: database.clone(),
            connect: database.clone(),
            health: database,
        }
    }};
}

/// Opens the database `url` names (`postgres://...`, `postgresql://...`,
/// `sqlite://relative.db`, `sqlite:///absolute.db`, `sqlite::memory:`), applying pending
/// migrations first when `options.migrate` is set. Errors: `Unavailable` with the reason
/// (bad URL, unreachable database, failed migration).
pub async fn connect(url: &str, options: StoreOptions) -> Result<Store, StoreError> {
    match DatabaseUrl::parse(url)? {
        DatabaseUrl::Postgres(url) => {
            let report = if options.migrate {
                Some(migrations::migrate(&url).await?)
            } else {
                None
            };
            let database = Arc::new(PgDatabase::open(&url, options.pool)?);
            // Fail now, not on the first request, when the server cannot be reached.
            drop(database.connection().await?);
            Ok(store_over!(Pools::Postgres, database, report))
        }
        sqlite @ (DatabaseUrl::SqliteFile(_) | DatabaseUrl::SqliteMemory) => {
            let database = Arc::new(SqliteDatabase::open(&sqlite, options.pool)?);
            let report = if options.migrate {
                Some(migrations::migrate_sqlite(&database).await?)
            } else {
                drop(database.connection().await?);
                None
            };
            Ok(store_over!(Pools::Sqlite, database, report))
        }
    }
}

impl Store {
    /// Which backend serves.
    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Postgres(_) => Backend::Postgres,
            Pools::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// What `connect` migrated (`None` when it was asked not to).
    pub fn migrations(&self) -> Option<&MigrationReport> {
        self.migrations.as_ref()
    }

    /// The pool's state.
    pub fn pool_status(&self) -> PoolStatus {
        let status = match &self.pools {
            Pools::Postgres(database) => database.status(),
            Pools::Sqlite(database) => database.pool.status(),
        };
        PoolStatus {
            max_size: status.max_size,
            size: status.size,
            available: status.available,
            waiting: status.waiting,
        }
    }

    /// Every port of this store, as the domain's one bundle.
    pub fn ports(&self) -> StorePorts {
        StorePorts {
            payments: self.payments(),
            order_activities: self.order_activities(),
            apps: self.apps(),
            user_tokens: self.user_tokens(),
            idempotency: self.idempotency(),
            outbox: self.outbox(),
            nonces: self.nonces(),
            health: self.health(),
            connect: self.connect(),
        }
    }

    /// Payments, refunds, sessions and their events.
    pub fn payments(&self) -> Arc<dyn PaymentRepository> {
        self.payments.clone()
    }
    /// Order activities.
    pub fn order_activities(&self) -> Arc<dyn OrderActivityRepository> {
        self.order_activities.clone()
    }
    /// Miniapps.
    pub fn apps(&self) -> Arc<dyn AppRepository> {
        self.apps.clone()
    }
    /// User tokens.
    pub fn user_tokens(&self) -> Arc<dyn UserTokenRepository> {
        self.user_tokens.clone()
    }
    /// Idempotency keys.
    pub fn idempotency(&self) -> Arc<dyn IdempotencyStore> {
        self.idempotency.clone()
    }
    /// The outbox's deliveries.
    pub fn outbox(&self) -> Arc<dyn Outbox> {
        self.outbox.clone()
    }
    /// Boxo nonces.
    pub fn nonces(&self) -> Arc<dyn NonceStore> {
        self.nonces.clone()
    }
    /// Readiness.
    pub fn health(&self) -> Arc<dyn StoreHealth> {
        self.health.clone()
    }
    /// Boxo Connect's auth codes and access tokens.
    pub fn connect(&self) -> Arc<dyn ConnectRepository> {
        self.connect.clone()
    }
}
