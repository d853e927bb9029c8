//! The store ports a contract check runs against: the domain's one `StorePorts`.

use std::sync::Arc;

pub use hostpay_domain::ports::StorePorts;

use crate::store::MemoryStore;

/// A fresh in-memory store's ports.
pub fn in_memory() -> StorePorts {
    StorePorts::from_store(Arc::new(MemoryStore::new()))
}
