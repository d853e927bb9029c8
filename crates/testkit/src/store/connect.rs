//! Boxo Connect's auth codes and access tokens (hashes only).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hostpay_domain::connect::{AccessToken, AuthCode};
use hostpay_domain::ids::AppId;
use hostpay_domain::miniapp::SecretHash;
use hostpay_domain::ports::{ConnectRepository, Redemption, StoreError};

use super::MemoryStore;

#[async_trait]
impl ConnectRepository for MemoryStore {
    async fn insert_code(&self, code: &AuthCode) -> Result<(), StoreError> {
        let mut state = self.state()?;
        if state.auth_codes.contains_key(&code.code_hash) {
            return Err(StoreError::Duplicate("auth_code".to_owned()));
        }
        state
            .auth_codes
            .insert(code.code_hash.clone(), code.clone());
        Ok(())
    }

    async fn redeem_code(
        &self,
        code_hash: &SecretHash,
        app_id: &AppId,
        now: DateTime<Utc>,
    ) -> Result<Redemption, StoreError> {
        let mut state = self.state()?;
        let Some(code) = state.auth_codes.get_mut(code_hash) else {
            return Ok(Redemption::Unknown);
        };
        if !code.redeemable_by(app_id, now) {
            return Ok(Redemption::Refused(code.clone()));
        }
        code.used_at = Some(now);
        Ok(Redemption::Redeemed(code.clone()))
    }

    async fn insert_token(&self, token: &AccessToken) -> Result<(), StoreError> {
        let mut state = self.state()?;
        if state.access_tokens.contains_key(&token.token_hash) {
            return Err(StoreError::Duplicate("access_token".to_owned()));
        }
        state
            .access_tokens
            .insert(token.token_hash.clone(), token.clone());
        Ok(())
    }

    async fn find_token(&self, token_hash: &SecretHash) -> Result<Option<AccessToken>, StoreError> {
        Ok(self.state()?.access_tokens.get(token_hash).cloned())
    }

    async fn prune(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut state = self.state()?;
        let before = state.auth_codes.len() + state.access_tokens.len();
        state.auth_codes.retain(|_, code| code.expires_at >= now);
        state
            .access_tokens
            .retain(|_, token| token.expires_at >= now);
        let after = state.auth_codes.len() + state.access_tokens.len();
        Ok(u64::try_from(before - after).unwrap_or(u64::MAX))
    }
}
