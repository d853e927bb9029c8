//! Stripe's idempotency rules: the first response to a key (per miniapp) is kept with a
//! fingerprint of the request and replayed for retries; the same key with another request
//! is refused; a retry while the first is running is refused; keys expire after 24 h.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::AppId;
use crate::validation::FieldError;

/// How long a key is remembered.
pub const KEY_LIFETIME: Duration = Duration::hours(24);
/// How long a first request may stay unfinished before its key is taken over (it crashed).
pub const ABANDONED_AFTER: Duration = Duration::seconds(60);

/// An `Idempotency-Key` header value: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Checks the key.
    pub fn parse(text: &str) -> Result<IdempotencyKey, FieldError> {
        if text.is_empty() || text.len() > 255 || !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(FieldError::new("must be 1 to 255 visible ASCII characters"));
        }
        Ok(IdempotencyKey(text.to_owned()))
    }
    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which miniapp used which key for which request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    /// The miniapp (keys are per miniapp).
    pub app_id: AppId,
    /// The key.
    pub key: IdempotencyKey,
    /// SHA-256 of the operation's scope and the request (see [`fingerprint`]).
    pub fingerprint: String,
    /// Who holds the key: a random token the service gives each request before `begin`;
    /// only the holder may complete or release the key.
    pub owner: String,
}

/// The fingerprint of a request: the operation's scope plus the request's bytes. The
/// scope is an opaque name the edge chooses, one per operation and subject, so the same
/// bytes sent to two operations never read as the same request.
pub fn fingerprint(scope: &str, request: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(scope.as_bytes());
    hasher.update([0u8]);
    hasher.update(request);
    hex::encode(hasher.finalize())
}

/// The first reply to a key, kept and given back as it was: opaque to the domain. The edge
/// renders it and reads it back; the domain only stores it with the change it describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReply {
    /// A number the edge chose (opaque here).
    pub status: u16,
    /// The reply's exact bytes, as text (opaque here).
    pub body: String,
}

/// What a key's first use looks like, for the request now arriving.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// First use (or expired, or abandoned): go ahead; the key is now held.
    Proceed,
    /// Same request done before: replay this.
    Replay(StoredReply),
    /// Same key, another request.
    KeyReused,
    /// The first request with this key is still running.
    InProgress,
}

/// A stored key, as the store returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// The request's fingerprint.
    pub fingerprint: String,
    /// The response, once finished.
    pub response: Option<StoredReply>,
    /// When the key was first used.
    pub created_at: DateTime<Utc>,
    /// The request holding it (see [`IdempotencyClaim::owner`]).
    pub owner: String,
}

impl IdempotencyRecord {
    /// Decides what a new request with this key and `fingerprint` gets at `now`. Expired
    /// and abandoned keys are taken over (`Proceed`).
    pub fn decide(&self, fingerprint: &str, now: DateTime<Utc>) -> IdempotencyBegin {
        if now - self.created_at >= KEY_LIFETIME {
            return IdempotencyBegin::Proceed;
        }
        match &self.response {
            Some(_) if self.fingerprint != fingerprint => IdempotencyBegin::KeyReused,
            Some(response) => IdempotencyBegin::Replay(response.clone()),
            None if now - self.created_at >= ABANDONED_AFTER => IdempotencyBegin::Proceed,
            None if self.fingerprint != fingerprint => IdempotencyBegin::KeyReused,
            None => IdempotencyBegin::InProgress,
        }
    }
}

/// The reply to store for a claim, written in the same transaction as the business
/// change it describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResult {
    /// Whose key.
    pub claim: IdempotencyClaim,
    /// The reply.
    pub response: StoredReply,
}
