//! Refunds of a paid payment (`POST /api/v1/payments/{id}/refunds`): reserved first (so
//! concurrent refunds cannot exceed the amount), then asked of the processor; a refund the
//! processor did not answer stays `pending` and is asked again by the sweep.

use super::{Change, Idempotent, PaymentService, PaymentServiceError, Result};
use crate::idempotency::{IdempotencyClaim, IdempotentResult, StoredResponse};
use crate::ids::{PaymentId, RefundId};
use crate::miniapp::Miniapp;
use crate::money::{AmountRule, PositiveMoney};
use crate::payment::{Payment, PaymentError, Refund};
use crate::ports::RefundRequest;
use crate::validation::BoundedString;

impl PaymentService {
    /// Refunds (part of) a miniapp's paid payment. The refund is reserved first, then
    /// asked of the processor; a processor without an answer leaves it `pending` for the
    /// sweep.
    pub async fn refund(
        &self,
        app: &Miniapp,
        id: &PaymentId,
        amount: Option<PositiveMoney>,
        reason: Option<BoundedString<500>>,
        claim: Option<IdempotencyClaim>,
        render: impl Fn(&Refund) -> StoredResponse + Send + Sync,
    ) -> Result<Idempotent<Refund>> {
        let claim = claim.map(|claim| self.held(claim));
        if let Some(replay) = self.begin(claim.as_ref()).await? {
            return Ok(Idempotent::Replayed(replay));
        }
        let result = self
            .refund_inner(app, id, amount, reason, claim.as_ref(), &render)
            .await;
        self.finish(claim.as_ref(), result)
            .await
            .map(Idempotent::Fresh)
    }

    async fn refund_inner(
        &self,
        app: &Miniapp,
        id: &PaymentId,
        amount: Option<PositiveMoney>,
        reason: Option<BoundedString<500>>,
        claim: Option<&IdempotencyClaim>,
        render: &(impl Fn(&Refund) -> StoredResponse + Send + Sync),
    ) -> Result<Refund> {
        let current = self.get_for_app(&app.id, id).await?;
        crate::order::check_amount(
            "amount",
            amount.map(PositiveMoney::get),
            AmountRule::Currency(current.currency),
        )?;
        let refund_id = RefundId::generate(self.ids.as_ref());
        let keep = |refund: &Refund| {
            claim.map(|claim| IdempotentResult {
                claim: claim.clone(),
                response: self.seal(render(refund)),
            })
        };
        let (payment, refund) = self
            .transition(id, |payment| {
                let (transition, refund) = payment.request_refund(
                    refund_id.clone(),
                    amount,
                    reason.clone(),
                    self.clock.now(),
                )?;
                let idempotent = keep(&refund);
                Ok(Change {
                    idempotent,
                    ..Change::of(transition, refund)
                })
            })
            .await?;
        match self
            .processor
            .refund(&refund_request(&payment, &refund))
            .await
        {
            // Once reserved, the refund exists: a failure to record the outcome leaves it
            // pending (the stored response says so) rather than freeing the key.
            Ok(outcome) => Ok(self
                .record_refund(id, &refund.id, outcome, keep)
                .await
                .unwrap_or(refund)),
            // No answer: the refund stays pending (its amount reserved) and the sweep asks
            // again with the same idempotency key.
            Err(_) => Ok(refund),
        }
    }

    pub(super) async fn record_refund(
        &self,
        id: &PaymentId,
        refund_id: &RefundId,
        outcome: std::result::Result<(), String>,
        keep: impl Fn(&Refund) -> Option<IdempotentResult> + Send + Sync,
    ) -> Result<Refund> {
        let (_, refund) = self
            .transition(id, |payment| {
                let transition =
                    payment.record_refund(refund_id, outcome.clone(), self.clock.now())?;
                let refund = transition
                    .payment
                    .refunds
                    .iter()
                    .find(|refund| &refund.id == refund_id)
                    .cloned()
                    .ok_or_else(|| PaymentError::RefundNotFound(refund_id.clone()))?;
                let idempotent = keep(&refund);
                Ok(Change {
                    idempotent,
                    ..Change::of(transition, refund)
                })
            })
            .await?;
        Ok(refund)
    }

    /// Asks the processor again about one pending refund: records its outcome, or, with
    /// no answer, defers it by the backoff. `true` when it got an outcome.
    pub(super) async fn retry_refund(
        &self,
        payment_id: &PaymentId,
        refund_id: &RefundId,
    ) -> Result<bool> {
        let payment = self.get(payment_id).await?;
        let Some(refund) = payment.refunds.iter().find(|r| &r.id == refund_id) else {
            return Ok(false);
        };
        let result = match self
            .processor
            .refund(&refund_request(&payment, refund))
            .await
        {
            Ok(outcome) => self
                .record_refund(payment_id, refund_id, outcome, |_| None)
                .await
                .map(|_| true),
            Err(_) => self
                .transition_payment(payment_id, |payment| {
                    payment.defer_refund(refund_id, self.clock.now())
                })
                .await
                .map(|_| false),
        };
        match result {
            // Settled meanwhile by someone else.
            Err(PaymentServiceError::Rejected { .. }) => Ok(false),
            other => other,
        }
    }
}

fn refund_request(payment: &Payment, refund: &Refund) -> RefundRequest {
    RefundRequest {
        refund_id: refund.id.clone(),
        payment_id: payment.id.clone(),
        amount: refund.amount,
        currency: payment.currency,
    }
}
