//! The store behind `database.url`: `hostpay-store` on SQLite or PostgreSQL.

use std::sync::Arc;
use std::time::Duration;

use hostpay_domain::ports::{
    AppRepository, ConnectRepository, IdempotencyStore, NonceStore, OrderActivityRepository,
    Outbox, PaymentRepository, StoreHealth, UserTokenRepository,
};
use hostpay_http::observability::names;
use hostpay_store::{PoolSettings, Store, StoreOptions};

use crate::config::DatabaseConfig;
use crate::credential_cache::CachedApps;
use crate::startup::StartupError;

/// The store's side of the ports.
#[derive(Clone)]
pub struct StorePorts {
    /// Payments.
    pub payments: Arc<dyn PaymentRepository>,
    /// Order activities.
    pub order_activities: Arc<dyn OrderActivityRepository>,
    /// Miniapps.
    pub apps: Arc<dyn AppRepository>,
    /// User tokens.
    pub user_tokens: Arc<dyn UserTokenRepository>,
    /// Idempotency keys.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// The outbox.
    pub outbox: Arc<dyn Outbox>,
    /// Boxo nonces.
    pub nonces: Arc<dyn NonceStore>,
    /// Readiness.
    pub health: Arc<dyn StoreHealth>,
    /// Boxo Connect's auth codes and access tokens.
    pub connect: Arc<dyn ConnectRepository>,
    /// The SQL store itself (pool metrics), when there is one.
    pub store: Option<Arc<hostpay_store::Store>>,
}

fn database_error(error: impl std::fmt::Display) -> StartupError {
    StartupError::Database {
        key: "database.url",
        reason: error.to_string(),
    }
}

/// Opens the store of `database.url`, applying pending migrations first when `migrate`.
pub async fn open(database: &DatabaseConfig, migrate: bool) -> Result<StorePorts, StartupError> {
    let options = StoreOptions {
        pool: PoolSettings {
            max_connections: usize::try_from(database.pool_size.get()).unwrap_or(usize::MAX),
            acquire_timeout: Duration::from_secs(10),
        },
        migrate,
    };
    let store = hostpay_store::connect(&database.url.expose(), options)
        .await
        .map_err(database_error)?;
    if let Some(report) = store.migrations() {
        for version in &report.versions {
            tracing::info!(migration = %version, "applied migration");
        }
    }
    let store = Arc::new(store);
    Ok(StorePorts {
        payments: store.payments(),
        order_activities: store.order_activities(),
        apps: Arc::new(CachedApps::new(store.apps())),
        user_tokens: store.user_tokens(),
        idempotency: store.idempotency(),
        outbox: store.outbox(),
        nonces: store.nonces(),
        health: store.health(),
        connect: store.connect(),
        store: Some(store),
    })
}

/// Applies pending migrations; returns the versions applied.
pub async fn migrate(database: &DatabaseConfig) -> Result<Vec<String>, StartupError> {
    let report = hostpay_store::migrate(&database.url.expose())
        .await
        .map_err(database_error)?;
    Ok(report.versions)
}

/// Publishes the pool's state as `hostpay_db_pool_connections{state}`.
pub fn record_pool(store: &Store) {
    let status = store.pool_status();
    let in_use = status.size.saturating_sub(status.available);
    let gauges = [
        ("in_use", in_use),
        ("idle", status.available),
        ("max", status.max_size),
        ("waiting", status.waiting),
    ];
    for (state, value) in gauges {
        metrics::gauge!(names::DB_POOL, "state" => state).set(value as f64);
    }
}
