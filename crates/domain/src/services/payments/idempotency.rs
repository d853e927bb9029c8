//! `Idempotency-Key` plumbing for create and refund: hold the key (with an owner token
//! only this request knows), replay or refuse, and free the key when the request changed
//! nothing.

use std::sync::{Arc, Mutex};

use super::errors::{PaymentServiceError, Result};
use crate::idempotency::{IdempotencyBegin, IdempotencyClaim, StoredReply};
use crate::ids::IdGenerator;
use crate::miniapp::SecretKeyring;
use crate::ports::{Clock, IdempotencyStore, StoreError};

/// What an idempotent use case came to: done now, waiting for the reply to keep with its
/// key, or the reply kept for an earlier request with the same key.
///
/// With a key, the change and its reply are written in one transaction, and the reply is
/// the edge's (the domain never renders one): the use case stops at [`NeedsReply`] with
/// the value the reply describes, the edge renders the reply from it, and the use case's
/// `resume_*` function writes both (and may ask again, after a lost race changed the
/// value). A pending value dropped without resuming changed nothing; its key is taken
/// over once abandoned.
///
/// [`NeedsReply`]: Idempotent::NeedsReply
#[derive(Debug, Clone, PartialEq)]
pub enum Idempotent<T, P> {
    /// Done now (with a key, its reply is kept).
    Fresh(T),
    /// Render the reply for this pending change, then resume the use case with it.
    NeedsReply(P),
    /// Replayed from the key's first reply.
    Replayed(StoredReply),
}

/// The idempotency keys of payment requests: one per service instance, shared by the use
/// cases that take keys (create and refund), so a hold one of them could not free is
/// freed by the next request with the same key, whichever use case it is for.
#[derive(Clone)]
pub(super) struct IdempotentRequests {
    store: Arc<dyn IdempotencyStore>,
    ids: Arc<dyn IdGenerator>,
    clock: Arc<dyn Clock>,
    keyring: SecretKeyring,
    /// Holds of failed requests that could not be freed (the database was unreachable):
    /// freed before the next key is taken, so a client's retry goes through at once.
    unreleased: Arc<Mutex<Vec<IdempotencyClaim>>>,
}

impl IdempotentRequests {
    /// Over the key store; `ids` makes owner tokens, `keyring` seals kept replies.
    pub(super) fn new(
        store: Arc<dyn IdempotencyStore>,
        ids: Arc<dyn IdGenerator>,
        clock: Arc<dyn Clock>,
        keyring: SecretKeyring,
    ) -> IdempotentRequests {
        IdempotentRequests {
            store,
            ids,
            clock,
            keyring,
            unreleased: Arc::default(),
        }
    }

    /// The claim with a fresh owner token: only this request may complete or release it.
    pub(super) fn held(&self, claim: IdempotencyClaim) -> IdempotencyClaim {
        IdempotencyClaim {
            owner: self.ids.new_secret("hold_"),
            ..claim
        }
    }

    /// Holds the idempotency key, or answers with the replay or the refusal.
    pub(super) async fn begin(
        &self,
        claim: Option<&IdempotencyClaim>,
    ) -> Result<Option<StoredReply>> {
        let Some(claim) = claim else {
            return Ok(None);
        };
        self.free_unreleased(claim).await;
        let begun = match self.store.begin(claim, self.clock.now()).await {
            Ok(begun) => begun,
            Err(error) => {
                // The claim may have been written before the database became unreachable
                // (its answer lost): free it as soon as the database is back, so that a
                // retry after this 503 is not told the key is in progress.
                if matches!(error, StoreError::Unavailable(_)) {
                    self.remember_unreleased(claim.clone());
                }
                return Err(error.into());
            }
        };
        match begun {
            IdempotencyBegin::Proceed => Ok(None),
            IdempotencyBegin::Replay(response) => Ok(Some(self.unseal(response)?)),
            IdempotencyBegin::KeyReused => Err(PaymentServiceError::IdempotencyKeyReused),
            IdempotencyBegin::InProgress => Err(PaymentServiceError::IdempotencyInProgress),
        }
    }

    /// A response to keep for an idempotency key, sealed: it may carry the payment
    /// session's token, which is never stored in plain text.
    pub(super) fn seal(&self, response: StoredReply) -> StoredReply {
        StoredReply {
            status: response.status,
            body: self.keyring.seal(&response.body),
        }
    }

    /// A kept response as it was first sent.
    fn unseal(&self, response: StoredReply) -> Result<StoredReply> {
        let body = self.keyring.unseal(&response.body).ok_or_else(|| {
            StoreError::Unavailable(
                "a stored idempotent response does not open under security.hash_key".to_owned(),
            )
        })?;
        Ok(StoredReply {
            status: response.status,
            body,
        })
    }

    /// A request that failed changed nothing: free its key (if it still holds it) so it
    /// can be retried. A request whose key was taken over meanwhile (it ran past the
    /// abandonment time) wrote nothing and reads as still in progress.
    pub(super) async fn finish<T>(
        &self,
        claim: Option<&IdempotencyClaim>,
        result: Result<T>,
    ) -> Result<T> {
        let Some(claim) = claim else {
            return result;
        };
        match result {
            Ok(value) => Ok(value),
            Err(PaymentServiceError::Store(StoreError::Duplicate(key)))
                if key == IDEMPOTENCY_KEY =>
            {
                Err(PaymentServiceError::IdempotencyInProgress)
            }
            Err(error) => {
                if self.store.release(claim).await.is_err() {
                    // The database is unreachable: free it as soon as it is back.
                    self.remember_unreleased(claim.clone());
                }
                Err(error)
            }
        }
    }

    /// Remembers a hold to free once the database answers again (a hold not freed is
    /// taken over once abandoned anyway, so the list is bounded).
    fn remember_unreleased(&self, claim: IdempotencyClaim) {
        let mut holds = self.unreleased_holds();
        if holds.len() >= MAX_UNRELEASED {
            holds.remove(0);
        }
        holds.push(claim);
    }

    fn unreleased_holds(&self) -> std::sync::MutexGuard<'_, Vec<IdempotencyClaim>> {
        self.unreleased
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Frees the holds of this key's failed requests that could not be freed when they
    /// failed (one store call at most, and only when there is such a hold).
    async fn free_unreleased(&self, claim: &IdempotencyClaim) {
        let same_key =
            |held: &IdempotencyClaim| held.app_id == claim.app_id && held.key == claim.key;
        let mine: Vec<IdempotencyClaim> = {
            let mut holds = self.unreleased_holds();
            let (mine, others) = holds.drain(..).partition(|held| same_key(held));
            *holds = others;
            mine
        };
        for held in mine {
            if self.store.release(&held).await.is_err() {
                self.unreleased_holds().push(held);
            }
        }
    }
}

/// Holds of failed requests remembered for release at most (the oldest go first).
const MAX_UNRELEASED: usize = 10_000;

/// What [`StoreError::Duplicate`] names when another request holds the key.
pub(crate) const IDEMPOTENCY_KEY: &str = "idempotency_key";
