//! The store behind `database.url`.
//!
//! Interim: until `hostpay-store` exposes its connection API, every URL is served by the
//! in-memory store of `hostpay-testkit` (nothing survives a restart) and a warning says so.

use std::sync::Arc;

use hostpay_testkit::MemoryStore;

use crate::config::DatabaseConfig;
use crate::wiring::{StartupError, StorePorts};

/// Opens the store of `database.url`.
pub async fn open(database: &DatabaseConfig) -> Result<StorePorts, StartupError> {
    tracing::warn!(
        database = ?database.url,
        "the SQL store is not wired yet: using an in-memory store (data is lost on exit)"
    );
    let store = Arc::new(MemoryStore::new());
    Ok(StorePorts {
        payments: store.clone(),
        order_activities: store.clone(),
        apps: store.clone(),
        user_tokens: store.clone(),
        idempotency: store.clone(),
        outbox: store.clone(),
        nonces: store.clone(),
        health: store,
    })
}

/// Applies pending migrations.
pub async fn migrate(_database: &DatabaseConfig) -> Result<Vec<String>, StartupError> {
    Ok(Vec::new())
}
