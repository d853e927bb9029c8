//! Background work over payments, each safe on several instances at once and none able to
//! starve another: every item keeps its own next-attempt time with backoff, a sweep takes
//! only what is due (soonest first), and asks the processor about several items at once,
//! so one item the processor cannot answer delays only itself.

use futures::stream::{self, StreamExt};

use super::checkout::charge_request;
use super::errors::{PaymentServiceError, Result};
use super::service::PaymentService;
use crate::ids::PaymentId;
use crate::payment::{CancelReason, ReversalStatus};

/// How many items a sweep asks the processor about at once: a slow processor answer
/// delays only its own item.
const SWEEP_CONCURRENCY: usize = 16;

impl PaymentService {
    /// Cancels up to `limit` `in_process` payments whose session has ended and that have
    /// no charge in flight (those are the charge check's); returns how many it cancelled.
    pub async fn expire_due(&self, limit: u32) -> Result<usize> {
        let now = self.clock.now();
        let due = self.payments.expired_in_process(now, limit).await?;
        // Each payment on its own: one that cannot be written holds back no other.
        self.each_concurrently(due, |id| async move {
            let result = self
                .transition_payment(&id, |payment| payment.cancel(CancelReason::Expired, now))
                .await;
            match result {
                Ok(_) => Ok(true),
                // Lost to a concurrent outcome, or a charge started meanwhile.
                Err(PaymentServiceError::Rejected { .. }) => Ok(false),
                Err(error) => Err(error),
            }
        })
        .await
    }

    /// Asks the processor again about up to `limit` charges in flight that are due a
    /// check (from 2 minutes after they started, then with backoff, whatever the session's
    /// lifetime), with the same idempotency key, and records the answers; a charge still
    /// without an answer is deferred. Returns how many got an outcome.
    pub async fn check_charges(&self, limit: u32) -> Result<usize> {
        let due = self
            .payments
            .due_charge_checks(self.clock.now(), limit)
            .await?;
        self.each_concurrently(due, |id| async move { self.check_charge(&id).await })
            .await
    }

    async fn check_charge(&self, id: &PaymentId) -> Result<bool> {
        let payment = self.get(id).await?;
        if !payment.charge_is_stale(self.clock.now(), chrono::Duration::zero()) {
            return Ok(false);
        }
        // Move the next check on first: whatever happens next (no answer, an answer that
        // cannot be written, a crash), this charge is not asked again before its backoff.
        let deferred = self
            .transition_payment(id, |payment| payment.defer_charge_check(self.clock.now()))
            .await;
        let payment = match deferred {
            Ok(payment) => payment,
            // Recorded meanwhile by the confirm itself.
            Err(PaymentServiceError::Rejected { .. }) => return Ok(false),
            Err(error) => return Err(error),
        };
        let result = match self
            .processor
            .charge(&charge_request(&payment, false))
            .await
        {
            Ok(outcome) => self.record_outcome(id, &outcome).await.map(|_| true),
            Err(_) => Ok(false),
        };
        match result {
            // Recorded meanwhile by the confirm itself.
            Err(PaymentServiceError::Rejected { .. }) => Ok(false),
            other => other,
        }
    }

    /// Asks the processor again about up to `limit` refunds left `pending` that are due;
    /// a refund still without an answer is deferred with backoff. Returns how many got an
    /// outcome.
    pub async fn retry_pending_refunds(&self, limit: u32) -> Result<usize> {
        let due = self.payments.due_refunds(self.clock.now(), limit).await?;
        self.each_concurrently(due, |(payment_id, refund_id)| async move {
            self.retry_refund(&payment_id, &refund_id).await
        })
        .await
    }

    /// Asks the processor again to refund up to `limit` due charge reversals (until it
    /// accepts each). Returns how many it accepted.
    pub async fn retry_reversals(&self, limit: u32) -> Result<usize> {
        let due = self.payments.due_reversals(self.clock.now(), limit).await?;
        self.each_concurrently(due, |reversal| async move {
            let next = self.attempt_reversal(&reversal).await?;
            Ok(match next.status {
                ReversalStatus::Succeeded => true,
                ReversalStatus::Pending => false,
            })
        })
        .await
    }

    /// Runs `work` over `items`, [`SWEEP_CONCURRENCY`] at a time, every item to its end
    /// whatever the others do; counts the `true`s, or returns the first error.
    async fn each_concurrently<I, F, Fut>(&self, items: Vec<I>, work: F) -> Result<usize>
    where
        F: Fn(I) -> Fut,
        Fut: std::future::Future<Output = Result<bool>>,
    {
        let results: Vec<Result<bool>> = stream::iter(items)
            .map(work)
            .buffer_unordered(SWEEP_CONCURRENCY)
            .collect()
            .await;
        let mut done = 0;
        let mut first_error = None;
        for result in results {
            match result {
                Ok(true) => done += 1,
                Ok(false) => {}
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(done),
        }
    }
}
