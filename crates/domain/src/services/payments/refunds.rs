//! Refunds of a paid payment: reserved first (so
//! concurrent refunds cannot exceed the amount), then asked of the processor; a refund the
//! processor did not answer stays `pending` and is asked again by the sweep.

use super::errors::{PaymentServiceError, Result};
use super::idempotency::Idempotent;
use super::service::{Change, PaymentService, Prepared};
use crate::idempotency::{IdempotencyClaim, IdempotentResult, StoredReply};
use crate::ids::{PaymentId, RefundId};
use crate::miniapp::Miniapp;
use crate::money::{AmountRule, PositiveMoney};
use crate::payment::{Payment, PaymentError, Refund};
use crate::ports::{RefundRequest, StoreError};
use crate::services::races::MAX_CONFLICT_RETRIES;
use crate::validation::BoundedString;

/// What a refund request asks for.
#[derive(Debug, Clone, PartialEq)]
struct RefundAsk {
    payment_id: PaymentId,
    refund_id: RefundId,
    amount: Option<PositiveMoney>,
    reason: Option<BoundedString<500>>,
}

/// A refund with an idempotency key, waiting for the reply to keep with its next write:
/// the edge renders the reply from [`PendingRefund::refund`] and hands it to
/// [`PaymentService::resume_refund`]. A refund asks twice: once with its reservation
/// (`pending`), once with the processor's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingRefund {
    claim: IdempotencyClaim,
    ask: RefundAsk,
    stage: Stage,
    prepared: Prepared<Refund>,
    /// Lost races so far (bounded like [`PaymentService::transition`]).
    races: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Stage {
    /// The reservation: nothing is written yet.
    Reserve,
    /// The processor's outcome, for a refund already reserved (the reply kept with the
    /// reservation stands if this write does not happen).
    Record {
        reserved: Refund,
        outcome: std::result::Result<(), String>,
    },
}

impl PendingRefund {
    /// The refund as the next write will save it (what the reply describes).
    pub fn refund(&self) -> &Refund {
        &self.prepared.extra
    }
}

impl PaymentService {
    /// Refunds (part of) a miniapp's paid payment. The refund is reserved first, then
    /// asked of the processor; a processor without an answer leaves it `pending` for the
    /// sweep. Without an idempotency claim it runs through ([`Idempotent::Fresh`]); with
    /// one, each write waits for its reply ([`Idempotent::NeedsReply`], then
    /// [`Self::resume_refund`]), or the key's reply is replayed.
    pub async fn refund(
        &self,
        app: &Miniapp,
        id: &PaymentId,
        amount: Option<PositiveMoney>,
        reason: Option<BoundedString<500>>,
        claim: Option<IdempotencyClaim>,
    ) -> Result<Idempotent<Refund, PendingRefund>> {
        let claim = claim.map(|claim| self.keys.held(claim));
        if let Some(replay) = self.keys.begin(claim.as_ref()).await? {
            return Ok(Idempotent::Replayed(replay));
        }
        let ask = match self.refund_ask(app, id, amount, reason).await {
            Ok(ask) => ask,
            Err(error) => return self.keys.finish(claim.as_ref(), Err(error)).await,
        };
        let Some(claim) = claim else {
            let (payment, refund) = self
                .transition(id, |payment| self.reserve(payment, &ask))
                .await?;
            return self.ask_processor(&payment, refund, None).await;
        };
        match self
            .prepare(id, &|payment: &Payment| self.reserve(payment, &ask))
            .await
        {
            Ok(prepared) => Ok(Idempotent::NeedsReply(PendingRefund {
                claim,
                ask,
                stage: Stage::Reserve,
                prepared,
                races: 0,
            })),
            Err(error) => self.keys.finish(Some(&claim), Err(error)).await,
        }
    }

    /// Writes a pending refund's change with `reply`, the reply to keep for its key, in
    /// one transaction, and goes on: to the processor after the reservation (the outcome
    /// asks for its own reply), or to the end. A lost race asks again for the reply of the
    /// change prepared anew. A reservation that fails frees the key; once reserved, the
    /// refund exists and a failure to record its outcome leaves it `pending` (the reply
    /// kept with the reservation says so).
    pub async fn resume_refund(
        &self,
        pending: PendingRefund,
        reply: StoredReply,
    ) -> Result<Idempotent<Refund, PendingRefund>> {
        let PendingRefund {
            claim,
            ask,
            stage,
            mut prepared,
            races,
        } = pending;
        prepared.write.idempotent = Some(IdempotentResult {
            claim: claim.clone(),
            response: self.keys.seal(reply),
        });
        match stage {
            Stage::Reserve => {
                let saved = match self.save_prepared(prepared).await {
                    Ok(saved) => saved,
                    Err(error) => return self.keys.finish(Some(&claim), Err(error)).await,
                };
                let Some((payment, refund)) = saved else {
                    let again = self
                        .again(
                            races,
                            &|payment: &Payment| self.reserve(payment, &ask),
                            &ask,
                        )
                        .await;
                    return match again {
                        Ok(prepared) => Ok(Idempotent::NeedsReply(PendingRefund {
                            claim,
                            ask,
                            stage: Stage::Reserve,
                            prepared,
                            races: races + 1,
                        })),
                        Err(error) => self.keys.finish(Some(&claim), Err(error)).await,
                    };
                };
                self.ask_processor(&payment, refund, Some((claim, ask)))
                    .await
            }
            Stage::Record { reserved, outcome } => match self.save_prepared(prepared).await {
                Ok(Some((_, refund))) => Ok(Idempotent::Fresh(refund)),
                Ok(None) => {
                    let again = self
                        .again(
                            races,
                            &|payment: &Payment| {
                                self.record(payment, &ask.refund_id, outcome.clone())
                            },
                            &ask,
                        )
                        .await;
                    Ok(match again {
                        Ok(prepared) => Idempotent::NeedsReply(PendingRefund {
                            claim,
                            ask,
                            stage: Stage::Record { reserved, outcome },
                            prepared,
                            races: races + 1,
                        }),
                        Err(_) => Idempotent::Fresh(reserved),
                    })
                }
                Err(_) => Ok(Idempotent::Fresh(reserved)),
            },
        }
    }

    /// The change prepared anew after a lost race, while races are left.
    async fn again(
        &self,
        races: usize,
        step: &(impl Fn(&Payment) -> std::result::Result<Change<Refund>, PaymentError> + Send + Sync),
        ask: &RefundAsk,
    ) -> Result<Prepared<Refund>> {
        if races + 1 >= MAX_CONFLICT_RETRIES {
            return Err(StoreError::Conflict.into());
        }
        self.prepare(&ask.payment_id, step).await
    }

    /// Checks the request against the miniapp's payment.
    async fn refund_ask(
        &self,
        app: &Miniapp,
        id: &PaymentId,
        amount: Option<PositiveMoney>,
        reason: Option<BoundedString<500>>,
    ) -> Result<RefundAsk> {
        let current = self.get_for_app(&app.id, id).await?;
        crate::order::check_amount(
            "amount",
            amount.map(PositiveMoney::get),
            AmountRule::Currency(current.currency()),
        )?;
        Ok(RefundAsk {
            payment_id: id.clone(),
            refund_id: RefundId::generate(self.ids.as_ref()),
            amount,
            reason,
        })
    }

    /// The reservation of the asked refund on `payment`.
    fn reserve(
        &self,
        payment: &Payment,
        ask: &RefundAsk,
    ) -> std::result::Result<Change<Refund>, PaymentError> {
        let (transition, refund) = payment.request_refund(
            ask.refund_id.clone(),
            ask.amount,
            ask.reason.clone(),
            self.clock.now(),
        )?;
        Ok(Change::of(transition, refund))
    }

    /// The record of a processor's outcome for a refund of `payment`.
    fn record(
        &self,
        payment: &Payment,
        refund_id: &RefundId,
        outcome: std::result::Result<(), String>,
    ) -> std::result::Result<Change<Refund>, PaymentError> {
        let transition = payment.record_refund(refund_id, outcome, self.clock.now())?;
        let refund = transition
            .payment
            .refunds()
            .iter()
            .find(|refund| &refund.id == refund_id)
            .cloned()
            .ok_or_else(|| PaymentError::RefundNotFound(refund_id.clone()))?;
        Ok(Change::of(transition, refund))
    }

    /// Asks the processor about a reserved refund and records its outcome: with a claim,
    /// the record waits for its reply. Once reserved, the refund exists: a failure to
    /// record the outcome leaves it pending rather than failing the request.
    async fn ask_processor(
        &self,
        payment: &Payment,
        reserved: Refund,
        keyed: Option<(IdempotencyClaim, RefundAsk)>,
    ) -> Result<Idempotent<Refund, PendingRefund>> {
        let outcome = match self
            .processor
            .refund(&refund_request(payment, &reserved))
            .await
        {
            Ok(outcome) => outcome,
            // No answer: the refund stays pending (its amount reserved) and the sweep asks
            // again with the same idempotency key.
            Err(_) => return Ok(Idempotent::Fresh(reserved)),
        };
        let Some((claim, ask)) = keyed else {
            return Ok(Idempotent::Fresh(
                self.record_refund(payment.id(), &reserved.id, outcome)
                    .await
                    .unwrap_or(reserved),
            ));
        };
        let step = |payment: &Payment| self.record(payment, &reserved.id, outcome.clone());
        Ok(match self.prepare(payment.id(), &step).await {
            Ok(prepared) => Idempotent::NeedsReply(PendingRefund {
                claim,
                ask,
                stage: Stage::Record { reserved, outcome },
                prepared,
                races: 0,
            }),
            Err(_) => Idempotent::Fresh(reserved),
        })
    }

    pub(super) async fn record_refund(
        &self,
        id: &PaymentId,
        refund_id: &RefundId,
        outcome: std::result::Result<(), String>,
    ) -> Result<Refund> {
        let (_, refund) = self
            .transition(id, |payment| {
                self.record(payment, refund_id, outcome.clone())
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
        let Some(refund) = payment.refunds().iter().find(|r| &r.id == refund_id) else {
            return Ok(false);
        };
        let result = match self
            .processor
            .refund(&refund_request(&payment, refund))
            .await
        {
            Ok(outcome) => self
                .record_refund(payment_id, refund_id, outcome)
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
        payment_id: payment.id().clone(),
        amount: refund.amount,
        currency: payment.currency(),
    }
}
