//! The store behind `database.url`: `hostpay-store` on SQLite or PostgreSQL.

use std::sync::Arc;
use std::time::Duration;

use hostpay_domain::ports::StorePorts;
use hostpay_http::observability::names;
use hostpay_store::{PoolSettings, Store, StoreOptions};

use crate::config::DatabaseConfig;
use crate::credential_cache::CachedApps;
use crate::startup::StartupError;

/// The opened store: its ports (the miniapp records behind the credential cache) and the
/// SQL store itself, for pool metrics.
#[derive(Clone)]
pub struct OpenedStore {
    /// The store's ports.
    pub ports: StorePorts,
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
pub async fn open(database: &DatabaseConfig, migrate: bool) -> Result<OpenedStore, StartupError> {
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
    let mut ports = store.ports();
    ports.apps = Arc::new(CachedApps::new(ports.apps));
    Ok(OpenedStore {
        ports,
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
