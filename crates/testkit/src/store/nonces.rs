//! Nonces of signed incoming Boxo calls.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hostpay_domain::ports::{NonceStore, StoreError};

use super::MemoryStore;

#[async_trait]
impl NonceStore for MemoryStore {
    async fn remember(&self, nonce: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        if state.nonces.contains_key(nonce) {
            return Ok(false);
        }
        state.nonces.insert(nonce.to_owned(), now);
        Ok(true)
    }

    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut state = self.state()?;
        let count = state.nonces.len();
        state.nonces.retain(|_, seen| *seen >= before);
        Ok(u64::try_from(count - state.nonces.len()).unwrap_or(u64::MAX))
    }
}
