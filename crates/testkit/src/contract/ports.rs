//! The store ports a contract check runs against.

use std::sync::Arc;

use hostpay_domain::ports::{
    AppRepository, ConnectRepository, IdempotencyStore, NonceStore, OrderActivityRepository,
    Outbox, PaymentRepository, StoreHealth, UserTokenRepository,
};

use crate::store::MemoryStore;

/// The store ports under test.
#[derive(Clone)]
pub struct StorePorts {
    /// Payments, refunds, sessions, events.
    pub payments: Arc<dyn PaymentRepository>,
    /// Order activities.
    pub order_activities: Arc<dyn OrderActivityRepository>,
    /// Miniapps.
    pub apps: Arc<dyn AppRepository>,
    /// User tokens.
    pub user_tokens: Arc<dyn UserTokenRepository>,
    /// Idempotency keys.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// The outbox's delivery side.
    pub outbox: Arc<dyn Outbox>,
    /// Boxo nonces.
    pub nonces: Arc<dyn NonceStore>,
    /// Readiness.
    pub health: Arc<dyn StoreHealth>,
    /// Boxo Connect's auth codes and access tokens.
    pub connect: Arc<dyn ConnectRepository>,
}

impl StorePorts {
    /// Every port from one store that implements them all.
    pub fn from_store<S>(store: Arc<S>) -> StorePorts
    where
        S: PaymentRepository
            + OrderActivityRepository
            + AppRepository
            + UserTokenRepository
            + IdempotencyStore
            + Outbox
            + NonceStore
            + StoreHealth
            + ConnectRepository
            + 'static,
    {
        StorePorts {
            payments: store.clone(),
            order_activities: store.clone(),
            apps: store.clone(),
            user_tokens: store.clone(),
            idempotency: store.clone(),
            outbox: store.clone(),
            nonces: store.clone(),
            connect: store.clone(),
            health: store,
        }
    }

    /// A fresh in-memory store.
    pub fn in_memory() -> StorePorts {
        StorePorts::from_store(Arc::new(MemoryStore::new()))
    }
}
