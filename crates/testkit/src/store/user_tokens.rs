//! Minted user tokens (hashes only).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hostpay_domain::access::UserToken;
use hostpay_domain::miniapp::SecretHash;
use hostpay_domain::ports::{StoreError, UserTokenRepository};

use super::MemoryStore;

#[async_trait]
impl UserTokenRepository for MemoryStore {
    async fn insert(&self, token: &UserToken) -> Result<(), StoreError> {
        let mut state = self.state()?;
        if state.user_tokens.contains_key(&token.token_hash) {
            return Err(StoreError::Duplicate("token".to_owned()));
        }
        state
            .user_tokens
            .insert(token.token_hash.clone(), token.clone());
        Ok(())
    }

    async fn find(&self, token_hash: &SecretHash) -> Result<Option<UserToken>, StoreError> {
        Ok(self.state()?.user_tokens.get(token_hash).cloned())
    }

    async fn prune(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut state = self.state()?;
        let before = state.user_tokens.len();
        state.user_tokens.retain(|_, token| token.expires_at >= now);
        Ok(u64::try_from(before - state.user_tokens.len()).unwrap_or(u64::MAX))
    }
}
