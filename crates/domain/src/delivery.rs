//! Delivering outbox events: a [`Delivery`] per event and receiver, attempts recorded,
//! retried with capped exponential backoff and jitter, then dead-lettered.
//!
//! Each attempt is made under its own claim ([`ClaimedDelivery`]): a lease sized from the
//! attempt's timeout ([`claim_lease`]) hides the delivery from other claimers, and the
//! claim's [`ClaimToken`] is what lets the attempt's outcome be recorded. A claim holds
//! until its outcome is recorded or another claimer takes the delivery over (possible once
//! the lease has ended); an outcome brought by a claim that no longer holds is dropped.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::event::{DeliveryTarget, DomainEvent};
use crate::ids::DeliveryId;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its next attempt.
    Pending,
    /// Acknowledged by the receiver.
    Delivered,
    /// Gave up; can be retried by hand.
    Dead,
}

impl DeliveryState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Dead => "dead",
        }
    }
    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<DeliveryState> {
        match text {
            "pending" => Some(DeliveryState::Pending),
            "delivered" => Some(DeliveryState::Delivered),
            "dead" => Some(DeliveryState::Dead),
            _ => None,
        }
    }
}

/// One event to one receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// `dlv_...`
    pub id: DeliveryId,
    /// The receiver.
    pub target: DeliveryTarget,
    /// The event.
    pub event: DomainEvent,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: DateTime<Utc>,
    /// The last attempt's error.
    pub last_error: Option<String>,
    /// The last attempt's answer code (the receiver's status), when it answered.
    pub last_status: Option<u16>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Proof of one claim on one delivery: the claim's number on that delivery. Every claim
/// and every recorded outcome moves the number on, so an outcome is recorded only by the
/// claim that still holds the delivery, and at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClaimToken(i64);

impl ClaimToken {
    /// The token with this number (as a store keeps it).
    pub fn from_number(number: i64) -> ClaimToken {
        ClaimToken(number)
    }

    /// The number (as a store keeps it).
    pub fn number(self) -> i64 {
        self.0
    }
}

/// A delivery claimed for one attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedDelivery {
    /// The delivery as it was claimed.
    pub delivery: Delivery,
    /// What records the attempt's outcome.
    pub token: ClaimToken,
}

/// What a claim's lease adds to the attempt timeout: looking the receiver up before the
/// call and recording the outcome after it.
pub const CLAIM_MARGIN: Duration = Duration::seconds(30);

/// How long a claim on one delivery hides it from other claimers: the attempt's timeout
/// (`delivery.timeout_seconds`) plus [`CLAIM_MARGIN`], so an attempt that runs its full
/// time is still recorded before anyone else may try.
pub fn claim_lease(attempt_timeout: Duration) -> Duration {
    attempt_timeout.max(Duration::zero()) + CLAIM_MARGIN
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// 2xx: done.
    Acknowledged,
    /// Worth trying again (5xx, timeout, connection error, unexpected answer).
    Retryable(String),
    /// Trying again cannot help (a do-not-retry error code, no URL).
    Permanent(String),
}

/// One recorded attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// When it started.
    pub at: DateTime<Utc>,
    /// The receiver's status code, when it answered.
    pub status_code: Option<u16>,
    /// What it came to.
    pub outcome: AttemptOutcome,
    /// How long it took.
    pub latency_ms: i64,
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Mark delivered.
    Delivered,
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// Dead letter.
    Dead,
}

/// The retry schedule: `min(base * 2^(n-1), 6 h)` +-20 % jitter for retry n, at most
/// `max_attempts` attempts in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first retry's delay (`delivery.retry_base_seconds`).
    pub base: Duration,
    /// Attempts before dead letter (`delivery.max_attempts`).
    pub max_attempts: i32,
}

/// The longest wait between two attempts.
pub const MAX_RETRY_DELAY: Duration = Duration::hours(6);

impl RetryPolicy {
    /// The delay before retry `n` (1-based) with `jitter` in -1.0..=1.0 scaling +-20 %.
    pub fn delay(&self, retry: i32, jitter: f64) -> Duration {
        let exponent = u32::try_from(retry.saturating_sub(1)).unwrap_or(0).min(30);
        let base_ms = self.base.num_milliseconds().max(1);
        let raw = base_ms.saturating_mul(1i64 << exponent);
        let capped = raw.min(MAX_RETRY_DELAY.num_milliseconds());
        let factor = 1.0 + 0.2 * jitter.clamp(-1.0, 1.0);
        // Milliseconds of at most 6 h fit an f64 exactly.
        Duration::milliseconds((capped as f64 * factor).round() as i64)
    }

    /// What follows attempt number `attempts` (1-based) that came to `outcome`.
    pub fn next_step(
        &self,
        attempts: i32,
        outcome: &AttemptOutcome,
        now: DateTime<Utc>,
        jitter: f64,
    ) -> NextStep {
        match outcome {
            AttemptOutcome::Acknowledged => NextStep::Delivered,
            AttemptOutcome::Permanent(_) => NextStep::Dead,
            AttemptOutcome::Retryable(_) if attempts >= self.max_attempts => NextStep::Dead,
            AttemptOutcome::Retryable(_) => NextStep::RetryAt(now + self.delay(attempts, jitter)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_outlasts_the_attempt_timeout() {
        for seconds in [1, 10, 40, 100] {
            let timeout = Duration::seconds(seconds);
            assert_eq!(claim_lease(timeout), timeout + CLAIM_MARGIN);
        }
        assert_eq!(claim_lease(Duration::seconds(-5)), CLAIM_MARGIN);
    }

    #[test]
    fn delays_grow_and_cap() {
        let policy = RetryPolicy {
            base: Duration::seconds(60),
            max_attempts: 16,
        };
        assert_eq!(policy.delay(1, 0.0), Duration::seconds(60));
        assert_eq!(policy.delay(2, 0.0), Duration::seconds(120));
        assert_eq!(policy.delay(20, 0.0), MAX_RETRY_DELAY);
        assert_eq!(policy.delay(1, 1.0), Duration::seconds(72));
        assert_eq!(policy.delay(1, -1.0), Duration::seconds(48));
        let now = Utc::now();
        let retry = AttemptOutcome::Retryable("503".into());
        assert_eq!(policy.next_step(16, &retry, now, 0.0), NextStep::Dead);
        assert_eq!(
            policy.next_step(1, &retry, now, 0.0),
            NextStep::RetryAt(now + Duration::seconds(60))
        );
    }
}
