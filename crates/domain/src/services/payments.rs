//! Payments: create (idempotent), read, list, refund (idempotent), checkout confirm and
//! cancel, expiry, settlement.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::Duration;

use crate::access::{PaymentSession, SessionCredentials};
use crate::event::{DomainEvent, EventKind};
use crate::idempotency::{IdempotencyBegin, IdempotencyClaim, IdempotentResult, StoredResponse};
use crate::ids::{AppId, IdGenerator, PaymentId, RefundId};
use crate::miniapp::{Miniapp, SecretKeyring};
use crate::money::{Currency, PositiveMoney};
use crate::order::{PaymentDetails, UserRef};
use crate::order_activity::ActivityEvent;
use crate::page::{Page, PageRequest};
use crate::payment::{
    CancelReason, Channel, ChargeOutcome, NewPayment, Payment, PaymentError, PaymentStatus, Refund,
    Transition,
};
use crate::ports::{
    AppRepository, ChargeRequest, Clock, IdempotencyStore, NewPaymentWrite,
    OrderActivityRepository, PaymentProcessor, PaymentRepository, PaymentWrite, ProcessorError,
    RefundRequest, StoreError,
};
use crate::services::{Ports, Settings, MAX_CONFLICT_RETRIES};
use crate::validation::{BoundedString, InvalidField, NonEmptyString};

/// How long a charge may go without a recorded outcome before the expiry sweep asks the
/// processor again (longer than any processor timeout).
pub const CHARGE_RECONCILE_AFTER: Duration = Duration::seconds(120);

/// Payment settings.
#[derive(Debug, Clone)]
pub struct PaymentSettings {
    /// Payment-session lifetime (`checkout.session_ttl_seconds`).
    pub session_ttl: Duration,
    /// Base of `checkout_url` (`server.public_url`).
    pub public_url: String,
}

/// A miniapp's request to open a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePayment {
    /// The paying user.
    pub user_id: UserRef,
    /// What to charge.
    pub amount: PositiveMoney,
    /// In which currency.
    pub currency: Currency,
    /// The miniapp's order id.
    pub miniapp_order_id: Option<NonEmptyString<255>>,
    /// Items, address, attributes, description.
    pub details: PaymentDetails,
}

/// A new payment and the session that opens it.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedPayment {
    /// The payment.
    pub payment: Payment,
    /// What the frontend needs to show the payment sheet.
    pub session: SessionCredentials,
}

/// The first execution's result, or the stored response of an earlier one.
#[derive(Debug, Clone, PartialEq)]
pub enum Idempotent<T> {
    /// Executed now.
    Fresh(T),
    /// Replayed from the key's first response.
    Replayed(StoredResponse),
}

/// A payment opened through a valid session, with its miniapp (for the payment sheet).
#[derive(Debug, Clone, PartialEq)]
pub struct Checkout {
    /// The payment.
    pub payment: Payment,
    /// The merchant.
    pub app: Miniapp,
    /// Whether "Simulate decline" may be offered.
    pub can_simulate: bool,
}

/// The outcome a host reports through settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettleStatus {
    /// Charged on the host's side.
    Paid,
    /// Failed, with the reason.
    Failed(String),
    /// Cancelled.
    Cancelled,
}

/// Why a payment use case was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PaymentServiceError {
    /// Unknown payment, or another miniapp's.
    #[error("payment not found")]
    NotFound,
    /// The transition is not allowed from the current state; carries the payment as it is.
    #[error("{error}")]
    Rejected {
        /// Why.
        error: PaymentError,
        /// The payment as it stands.
        current: Box<Payment>,
    },
    /// The payment session is missing, unknown, expired or for another payment.
    #[error("invalid or expired payment session")]
    InvalidSession,
    /// Bad input.
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    /// The same idempotency key was used for another request.
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    /// The first request with this idempotency key is still running.
    #[error("a request with this Idempotency-Key is still being processed")]
    IdempotencyInProgress,
    /// The processor gave no answer; nothing changed and the call can be retried.
    #[error(transparent)]
    Processor(#[from] ProcessorError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

type Result<T> = std::result::Result<T, PaymentServiceError>;

/// Payments.
#[derive(Clone)]
pub struct PaymentService {
    payments: Arc<dyn PaymentRepository>,
    apps: Arc<dyn AppRepository>,
    activities: Arc<dyn OrderActivityRepository>,
    idempotency: Arc<dyn IdempotencyStore>,
    processor: Arc<dyn PaymentProcessor>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    keyring: SecretKeyring,
    settings: PaymentSettings,
}

impl PaymentService {
    /// Over the ports.
    pub fn new(ports: &Ports, settings: &Settings) -> PaymentService {
        PaymentService {
            payments: ports.payments.clone(),
            apps: ports.apps.clone(),
            activities: ports.order_activities.clone(),
            idempotency: ports.idempotency.clone(),
            processor: ports.processor.clone(),
            clock: ports.clock.clone(),
            ids: ports.ids.clone(),
            keyring: settings.keyring.clone(),
            settings: settings.payments.clone(),
        }
    }

    /// Opens a payment for a miniapp (`POST /api/v1/payments`). With an idempotency claim,
    /// `render` makes the response that is stored with the payment, in one transaction.
    pub async fn create(
        &self,
        app: &Miniapp,
        request: CreatePayment,
        claim: Option<IdempotencyClaim>,
        render: impl FnOnce(&CreatedPayment) -> StoredResponse + Send,
    ) -> Result<Idempotent<CreatedPayment>> {
        if let Some(replay) = self.begin(claim.as_ref()).await? {
            return Ok(Idempotent::Replayed(replay));
        }
        let new = NewPayment {
            app_id: app.id.clone(),
            channel: Channel::Miniapp,
            user_id: request.user_id,
            amount: request.amount,
            currency: request.currency,
            miniapp_order_id: request.miniapp_order_id,
            details: request.details,
        };
        let result = self
            .open(new, app.webhook_url.is_some(), |created| {
                claim.clone().map(|claim| IdempotentResult {
                    claim,
                    response: self.seal(render(created)),
                })
            })
            .await;
        self.finish(claim.as_ref(), result)
            .await
            .map(Idempotent::Fresh)
    }

    /// Opens a payment (any channel) with its first session; `idempotent` makes the
    /// response to store with it.
    pub(crate) async fn open(
        &self,
        request: NewPayment,
        app_has_webhook: bool,
        idempotent: impl FnOnce(&CreatedPayment) -> Option<IdempotentResult>,
    ) -> Result<CreatedPayment> {
        let now = self.clock.now();
        let Transition {
            payment,
            mut events,
        } = Payment::open(
            request,
            PaymentId::generate(self.ids.as_ref()),
            now,
            self.settings.session_ttl,
        );
        payment.route(&mut events, app_has_webhook);
        let (session, credentials) = self.new_session(&payment);
        let created = CreatedPayment {
            payment,
            session: credentials,
        };
        let idempotent = idempotent(&created);
        self.payments
            .insert(NewPaymentWrite {
                payment: created.payment.clone(),
                session,
                events,
                idempotent,
            })
            .await?;
        Ok(created)
    }

    fn new_session(&self, payment: &Payment) -> (PaymentSession, SessionCredentials) {
        let token = self.ids.new_secret("ps_");
        let session = PaymentSession {
            token_hash: self.keyring.hash(&token),
            payment_id: payment.id.clone(),
            created_at: self.clock.now(),
            expires_at: payment.expires_at,
        };
        let credentials = SessionCredentials {
            checkout_url: format!(
                "{}/checkout/{}?session={}",
                self.settings.public_url.trim_end_matches('/'),
                payment.id,
                token
            ),
            token,
            expires_at: payment.expires_at,
        };
        (session, credentials)
    }

    /// A miniapp's payment (another miniapp's reads as not found).
    pub async fn get_for_app(&self, app_id: &AppId, id: &PaymentId) -> Result<Payment> {
        match self.payments.get(id).await? {
            Some(payment) if payment.app_id == *app_id => Ok(payment),
            Some(_) | None => Err(PaymentServiceError::NotFound),
        }
    }

    /// Any payment (internal API).
    pub async fn get(&self, id: &PaymentId) -> Result<Payment> {
        self.payments
            .get(id)
            .await?
            .ok_or(PaymentServiceError::NotFound)
    }

    /// A payment's events, oldest first.
    pub async fn events(&self, id: &PaymentId) -> Result<Vec<DomainEvent>> {
        Ok(self.payments.events(id).await?)
    }

    /// The events of several payments in one read, grouped by payment, each payment's
    /// oldest first (for a page of payments).
    pub async fn events_of(&self, ids: &[PaymentId]) -> Result<Vec<DomainEvent>> {
        Ok(self.payments.events_of(ids).await?)
    }

    /// The statuses of those of `ids` that are payments of `app_id`, in one read (other
    /// miniapps' payments and unknown ids are left out, as [`Self::get_for_app`] hides them).
    pub async fn statuses_for_app(
        &self,
        app_id: &AppId,
        ids: &[PaymentId],
    ) -> Result<HashMap<PaymentId, PaymentStatus>> {
        Ok(self
            .payments
            .get_many(ids)
            .await?
            .into_iter()
            .filter(|payment| payment.app_id == *app_id)
            .map(|payment| (payment.id, payment.status))
            .collect())
    }

    /// A miniapp's payments of one user, newest first.
    pub async fn list_for_user(
        &self,
        app_id: &AppId,
        user_id: &str,
        page: &PageRequest,
    ) -> Result<Page<Payment>> {
        Ok(self.payments.list_for_user(app_id, user_id, page).await?)
    }

    /// Any payment (internal API, for a native sheet), with a fresh session while it can
    /// still be paid; `None` once it is no longer `in_process` or its session time is over.
    pub async fn issue_session(
        &self,
        id: &PaymentId,
    ) -> Result<(Payment, Option<SessionCredentials>)> {
        let payment = self.get(id).await?;
        let payable = !payment.status.is_settled() && !payment.is_expired(self.clock.now());
        if !payable {
            return Ok((payment, None));
        }
        let (session, credentials) = self.new_session(&payment);
        self.payments.add_session(&session).await?;
        Ok((payment, Some(credentials)))
    }

    /// Refunds (part of) a miniapp's paid payment (`POST .../refunds`). The refund is
    /// reserved first (so concurrent refunds cannot exceed the amount), then asked of the
    /// processor; a processor without an answer leaves it `pending` for the sweep.
    pub async fn refund(
        &self,
        app: &Miniapp,
        id: &PaymentId,
        amount: Option<PositiveMoney>,
        reason: Option<BoundedString<500>>,
        claim: Option<IdempotencyClaim>,
        render: impl Fn(&Refund) -> StoredResponse + Send + Sync,
    ) -> Result<Idempotent<Refund>> {
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
        self.get_for_app(&app.id, id).await?;
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
                Ok((transition, refund, idempotent))
            })
            .await?;
        let request = RefundRequest {
            refund_id: refund.id.clone(),
            payment_id: payment.id.clone(),
            amount: refund.amount,
            currency: payment.currency,
        };
        match self.processor.refund(&request).await {
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

    async fn record_refund(
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
                Ok((transition, refund, idempotent))
            })
            .await?;
        Ok(refund)
    }

    /// Asks the processor again about refunds left `pending` (no answer earlier) that were
    /// last changed before `older_than` ago; returns how many got an outcome.
    pub async fn retry_pending_refunds(&self, older_than: Duration, limit: u32) -> Result<usize> {
        let before = self.clock.now() - older_than;
        let mut settled = 0;
        for (payment_id, refund_id) in self.payments.stale_pending_refunds(before, limit).await? {
            let payment = self.get(&payment_id).await?;
            let Some(refund) = payment.refunds.iter().find(|r| r.id == refund_id) else {
                continue;
            };
            let request = RefundRequest {
                refund_id: refund.id.clone(),
                payment_id: payment.id.clone(),
                amount: refund.amount,
                currency: payment.currency,
            };
            if let Ok(outcome) = self.processor.refund(&request).await {
                match self
                    .record_refund(&payment_id, &refund_id, outcome, |_| None)
                    .await
                {
                    Ok(_) => settled += 1,
                    Err(PaymentServiceError::Rejected { .. }) => {}
                    Err(error) => return Err(error),
                }
            }
        }
        Ok(settled)
    }

    /// Opens a payment through its session token (the payment sheet).
    pub async fn checkout(&self, id: &PaymentId, session_token: &str) -> Result<Checkout> {
        let payment = self.authorize_session(id, session_token).await?;
        let app = self
            .apps
            .get(&payment.app_id)
            .await?
            .ok_or(PaymentServiceError::NotFound)?;
        Ok(Checkout {
            payment,
            app,
            can_simulate: self.processor.can_simulate(),
        })
    }

    async fn authorize_session(&self, id: &PaymentId, session_token: &str) -> Result<Payment> {
        let session = self
            .payments
            .find_session(&self.keyring.hash(session_token))
            .await?
            .ok_or(PaymentServiceError::InvalidSession)?;
        if !session.opens(id, self.clock.now()) {
            return Err(PaymentServiceError::InvalidSession);
        }
        self.get(id).await
    }

    /// Confirms a payment through its session: asks the processor to charge (idempotency
    /// key: the payment id) and records `paid` or `failed`. A payment no longer
    /// `in_process` is refused with its current state and never charged again.
    pub async fn confirm(
        &self,
        id: &PaymentId,
        session_token: &str,
        simulate_decline: bool,
    ) -> Result<Payment> {
        self.authorize_session(id, session_token).await?;
        if simulate_decline && !self.processor.can_simulate() {
            return Err(InvalidField::new(
                "simulate",
                "is only available with the sandbox processor",
            )
            .into());
        }
        // Mark the charge as started before asking the processor: from here on a cancel
        // or the expiry sweep cannot drop a charge that goes through.
        let payment = self
            .transition_payment(id, |payment| payment.begin_charge(self.clock.now()))
            .await?;
        self.charge_and_record(&payment, simulate_decline).await
    }

    /// Asks the processor to charge (idempotency key: the payment id, so asking again
    /// returns the first outcome) and records it. No answer leaves the charge marked.
    async fn charge_and_record(
        &self,
        payment: &Payment,
        simulate_decline: bool,
    ) -> Result<Payment> {
        let outcome = self
            .processor
            .charge(&ChargeRequest {
                payment_id: payment.id.clone(),
                amount: payment.amount,
                currency: payment.currency,
                user_id: payment.user_id.to_string(),
                simulate_decline,
            })
            .await?;
        self.transition_payment(&payment.id, |payment| {
            payment.record_charge(&outcome, self.clock.now())
        })
        .await
    }

    /// Cancels a payment through its session (the sheet's Cancel button).
    pub async fn cancel(&self, id: &PaymentId, session_token: &str) -> Result<Payment> {
        self.authorize_session(id, session_token).await?;
        self.transition_payment(id, |payment| {
            payment.cancel(CancelReason::ByUser, self.clock.now())
        })
        .await
    }

    /// Records an outcome the host charged on its own side (internal settle).
    pub async fn settle(&self, id: &PaymentId, status: SettleStatus) -> Result<Payment> {
        self.transition_payment(id, |payment| {
            let now = self.clock.now();
            match &status {
                SettleStatus::Paid => payment.record_charge(&ChargeOutcome::Approved, now),
                SettleStatus::Failed(reason) => payment.record_charge(
                    &ChargeOutcome::Declined {
                        reason: reason.clone(),
                    },
                    now,
                ),
                SettleStatus::Cancelled => payment.cancel(CancelReason::ByHost, now),
            }
        })
        .await
    }

    /// Cancels up to `limit` `in_process` payments whose session has ended; returns how
    /// many it settled. Safe to run on several instances at once.
    ///
    /// A payment whose charge is in flight is not cancelled: once its charge has gone
    /// [`CHARGE_RECONCILE_AFTER`] without an outcome (a timeout, a crash), the sweep asks
    /// the processor again with the same idempotency key and records what it answers.
    pub async fn expire_due(&self, limit: u32) -> Result<usize> {
        let now = self.clock.now();
        let mut settled = 0;
        for id in self.payments.expired_in_process(now, limit).await? {
            let payment = self.get(&id).await?;
            let result = match payment.charging_since {
                Some(_) if !payment.charge_is_stale(now, CHARGE_RECONCILE_AFTER) => continue,
                Some(_) => self.charge_and_record(&payment, false).await,
                None => {
                    self.transition_payment(&id, |payment| {
                        payment.cancel(CancelReason::Expired, now)
                    })
                    .await
                }
            };
            match result {
                Ok(_) => settled += 1,
                // Lost to a concurrent outcome, or the processor still has no answer.
                Err(PaymentServiceError::Rejected { .. } | PaymentServiceError::Processor(_)) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(settled)
    }

    async fn transition_payment(
        &self,
        id: &PaymentId,
        step: impl Fn(&Payment) -> std::result::Result<Transition, PaymentError> + Send + Sync,
    ) -> Result<Payment> {
        let (payment, ()) = self
            .transition(id, |payment| Ok((step(payment)?, (), None)))
            .await?;
        Ok(payment)
    }

    /// Loads the payment, applies `step`, routes its events, adds the history entries of
    /// linked order activities, and saves it all in one port call; a lost race reloads and
    /// applies `step` again.
    async fn transition<T: Send>(
        &self,
        id: &PaymentId,
        step: impl Fn(
                &Payment,
            )
                -> std::result::Result<(Transition, T, Option<IdempotentResult>), PaymentError>
            + Send
            + Sync,
    ) -> Result<(Payment, T)> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let current = self.get(id).await?;
            let (mut transition, extra, idempotent) =
                step(&current).map_err(|error| rejected(error, &current))?;
            // Routing needs the miniapp only when there is something to route (a charge
            // marker, say, emits nothing).
            if !transition.events.is_empty() {
                let has_webhook = self.app_has_webhook(&current.app_id).await?;
                transition
                    .payment
                    .route(&mut transition.events, has_webhook);
            }
            let activity_events = self.activity_events(&transition).await?;
            let write = PaymentWrite {
                payment: transition.payment.clone(),
                events: transition.events,
                activity_events,
                idempotent,
            };
            match self.payments.save(write).await {
                Ok(()) => return Ok((transition.payment, extra)),
                Err(StoreError::Conflict) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }

    async fn app_has_webhook(&self, app_id: &AppId) -> Result<bool> {
        Ok(self
            .apps
            .get(app_id)
            .await?
            .is_some_and(|app| app.webhook_url.is_some()))
    }

    /// History entries for the order activities linked to the payment, one per event
    /// that changed the payment's status.
    async fn activity_events(
        &self,
        transition: &Transition,
    ) -> Result<Vec<(crate::ids::OrderActivityId, ActivityEvent)>> {
        let status_events: Vec<&DomainEvent> = transition
            .events
            .iter()
            .filter(|event| changes_status(event.kind))
            .collect();
        if status_events.is_empty() {
            return Ok(Vec::new());
        }
        let payment = &transition.payment;
        let linked = self
            .activities
            .linked_to_payment(&payment.app_id, &payment.id)
            .await?;
        Ok(linked
            .iter()
            .flat_map(|activity| {
                status_events.iter().map(move |event| {
                    (
                        activity.id.clone(),
                        activity.payment_changed_event(
                            &event.id,
                            event.kind.as_str(),
                            payment.status,
                            event.occurred_at,
                        ),
                    )
                })
            })
            .collect())
    }

    /// Holds the idempotency key, or answers with the replay or the refusal.
    async fn begin(&self, claim: Option<&IdempotencyClaim>) -> Result<Option<StoredResponse>> {
        let Some(claim) = claim else {
            return Ok(None);
        };
        match self.idempotency.begin(claim, self.clock.now()).await? {
            IdempotencyBegin::Proceed => Ok(None),
            IdempotencyBegin::Replay(response) => Ok(Some(self.unseal(response)?)),
            IdempotencyBegin::KeyReused => Err(PaymentServiceError::IdempotencyKeyReused),
            IdempotencyBegin::InProgress => Err(PaymentServiceError::IdempotencyInProgress),
        }
    }

    /// A response to keep for an idempotency key, sealed: it may carry the payment
    /// session's token, which is never stored in plain text.
    fn seal(&self, response: StoredResponse) -> StoredResponse {
        StoredResponse {
            status: response.status,
            body: self.keyring.seal(&response.body),
        }
    }

    /// A kept response as it was first sent.
    fn unseal(&self, response: StoredResponse) -> Result<StoredResponse> {
        let body = self.keyring.unseal(&response.body).ok_or_else(|| {
            StoreError::Unavailable(
                "a stored idempotent response does not open under security.hash_key".to_owned(),
            )
        })?;
        Ok(StoredResponse {
            status: response.status,
            body,
        })
    }

    /// A request that failed changed nothing: free its key so it can be retried.
    async fn finish<T>(&self, claim: Option<&IdempotencyClaim>, result: Result<T>) -> Result<T> {
        if let (Some(claim), Err(_)) = (claim, &result) {
            self.idempotency.release(claim).await?;
        }
        result
    }
}

fn rejected(error: PaymentError, current: &Payment) -> PaymentServiceError {
    PaymentServiceError::Rejected {
        error,
        current: Box::new(current.clone()),
    }
}

/// Whether an event changes the payment's status (what order histories record).
fn changes_status(kind: EventKind) -> bool {
    match kind {
        EventKind::PaymentPaid
        | EventKind::PaymentFailed
        | EventKind::PaymentCancelled
        | EventKind::PaymentRefunded => true,
        EventKind::PaymentCreated
        | EventKind::RefundCreated
        | EventKind::RefundSucceeded
        | EventKind::RefundFailed => false,
    }
}
