//! Idempotency keys per miniapp.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hostpay_domain::idempotency::{IdempotencyBegin, IdempotencyClaim, IdempotencyRecord};
use hostpay_domain::ports::{IdempotencyStore, StoreError};

use super::MemoryStore;

fn held(claim: &IdempotencyClaim, now: DateTime<Utc>) -> IdempotencyRecord {
    IdempotencyRecord {
        fingerprint: claim.fingerprint.clone(),
        response: None,
        created_at: now,
        owner: claim.owner.clone(),
    }
}

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn begin(
        &self,
        claim: &IdempotencyClaim,
        now: DateTime<Utc>,
    ) -> Result<IdempotencyBegin, StoreError> {
        let mut state = self.state()?;
        let key = (claim.app_id.clone(), claim.key.as_str().to_owned());
        let decision = match state.idempotency.get(&key) {
            None => IdempotencyBegin::Proceed,
            Some(record) => record.decide(&claim.fingerprint, now),
        };
        match &decision {
            // New, expired or abandoned: the key is now held by this request.
            IdempotencyBegin::Proceed => {
                state.idempotency.insert(key, held(claim, now));
            }
            IdempotencyBegin::Replay(_)
            | IdempotencyBegin::KeyReused
            | IdempotencyBegin::InProgress => {}
        }
        Ok(decision)
    }

    async fn release(&self, claim: &IdempotencyClaim) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let key = (claim.app_id.clone(), claim.key.as_str().to_owned());
        let held_by_claim = state
            .idempotency
            .get(&key)
            .is_some_and(|record| record.response.is_none() && record.owner == claim.owner);
        if held_by_claim {
            state.idempotency.remove(&key);
        }
        Ok(())
    }

    async fn prune(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut state = self.state()?;
        let count = state.idempotency.len();
        state
            .idempotency
            .retain(|_, record| record.created_at >= before);
        Ok(u64::try_from(count - state.idempotency.len()).unwrap_or(u64::MAX))
    }
}
