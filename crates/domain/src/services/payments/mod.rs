//! Payments, one file per group of use cases:
//! - [`create`]: open a payment (idempotent) and read payments;
//! - [`refunds`]: refund a paid payment (idempotent);
//! - [`checkout`]: the payment sheet, pay grants, confirm, cancel, host settlement, and the
//!   recording (or reversal) of a charge's outcome;
//! - [`sweeps`]: background work (expiry, charge checks, refund and reversal retries);
//! - [`idempotency`]: the `Idempotency-Key` plumbing shared by create and refund.
//!
//! This file holds the service, its errors and the one way a payment changes:
//! [`PaymentService::transition`].

mod checkout;
mod create;
mod idempotency;
mod refunds;
mod sweeps;

use std::sync::{Arc, Mutex};

use chrono::Duration;

use crate::event::{DomainEvent, EventKind};
use crate::idempotency::{IdempotencyClaim, IdempotentResult, StoredReply};
use crate::ids::{AppId, IdGenerator, PaymentId};
use crate::miniapp::SecretKeyring;
use crate::money::{Currency, PositiveMoney};
use crate::order::{PaymentDetails, UserRef};
use crate::order_activity::ActivityEvent;
use crate::payment::{ChargeReversal, Payment, PaymentError, Transition};
use crate::ports::{
    AppRepository, Clock, IdempotencyStore, OrderActivityRepository, PaymentProcessor,
    PaymentRecord, PaymentRepository, PaymentWrite, ProcessorError, StoreError,
};
use crate::services::{Ports, Settings, MAX_CONFLICT_RETRIES};
use crate::validation::{InvalidField, NonEmptyString};

pub use checkout::{Checkout, SettleStatus, GRANT_PREFIX};
pub use create::{CreatedPayment, PendingPayment};
pub use refunds::PendingRefund;

/// How many items a sweep asks the processor about at once: a slow processor answer
/// delays only its own item.
const SWEEP_CONCURRENCY: usize = 16;

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

/// Why a payment use case was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PaymentServiceError {
    /// Unknown payment, or another miniapp's (or, for a pay grant, another user's).
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
    /// The payment session or pay grant is missing, unknown, expired or for another
    /// payment.
    #[error("invalid or expired payment session")]
    InvalidSession,
    /// The credential is valid but may not do this (a payment session cannot pay: only a
    /// pay grant the host minted for the payment's user can).
    #[error("{0}")]
    Forbidden(&'static str),
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

/// What one step of [`PaymentService::transition`] produces: the transition, what the
/// caller wants back, and what is written with it.
struct Change<T> {
    transition: Transition,
    extra: T,
    idempotent: Option<IdempotentResult>,
    reversal: Option<ChargeReversal>,
}

impl<T> Change<T> {
    fn of(transition: Transition, extra: T) -> Change<T> {
        Change {
            transition,
            extra,
            idempotent: None,
            reversal: None,
        }
    }
}

/// A change computed by [`PaymentService::prepare`], not written yet.
#[derive(Debug, Clone, PartialEq)]
struct Prepared<T> {
    write: PaymentWrite,
    extra: T,
}

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
    /// Holds of failed requests that could not be freed (the database was unreachable):
    /// freed before the next key is taken, so a client's retry goes through at once.
    unreleased: Arc<Mutex<Vec<IdempotencyClaim>>>,
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
            unreleased: Arc::default(),
        }
    }

    /// A miniapp's payment (another miniapp's reads as not found).
    pub async fn get_for_app(&self, app_id: &AppId, id: &PaymentId) -> Result<Payment> {
        match self.payments.get(id).await? {
            Some(payment) if payment.app_id == *app_id => Ok(payment),
            Some(_) | None => Err(PaymentServiceError::NotFound),
        }
    }

    /// A miniapp's payment with its events, in one port call (another miniapp's reads as
    /// not found).
    pub async fn read_for_app(&self, app_id: &AppId, id: &PaymentId) -> Result<PaymentRecord> {
        match self.payments.read(id).await? {
            Some(record) if record.payment.app_id == *app_id => Ok(record),
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

    async fn transition_payment(
        &self,
        id: &PaymentId,
        step: impl Fn(&Payment) -> std::result::Result<Transition, PaymentError> + Send + Sync,
    ) -> Result<Payment> {
        let (payment, ()) = self
            .transition(id, |payment| Ok(Change::of(step(payment)?, ())))
            .await?;
        Ok(payment)
    }

    /// Loads the payment, applies `step`, routes its events, adds the history entries of
    /// linked order activities, and saves it all in one port call; a lost race reloads and
    /// applies `step` again.
    async fn transition<T: Send>(
        &self,
        id: &PaymentId,
        step: impl Fn(&Payment) -> std::result::Result<Change<T>, PaymentError> + Send + Sync,
    ) -> Result<(Payment, T)> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let prepared = self.prepare(id, &step).await?;
            if let Some(saved) = self.save_prepared(prepared).await? {
                return Ok(saved);
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// The first half of [`Self::transition`]: loads the payment, applies `step`, routes
    /// its events and adds the history entries of linked order activities, writing
    /// nothing.
    async fn prepare<T: Send>(
        &self,
        id: &PaymentId,
        step: &(impl Fn(&Payment) -> std::result::Result<Change<T>, PaymentError> + Send + Sync),
    ) -> Result<Prepared<T>> {
        let current = self.get(id).await?;
        let Change {
            mut transition,
            extra,
            idempotent,
            reversal,
        } = step(&current).map_err(|error| rejected(error, &current))?;
        // Routing needs the miniapp only when there is something to route (a charge
        // marker, say, emits nothing).
        if !transition.events.is_empty() {
            let has_webhook = self.app_has_webhook(&current.app_id).await?;
            transition
                .payment
                .route(&mut transition.events, has_webhook);
        }
        let activity_events = self.activity_events(&transition).await?;
        Ok(Prepared {
            write: PaymentWrite {
                payment: transition.payment,
                events: transition.events,
                activity_events,
                idempotent,
                reversal,
            },
            extra,
        })
    }

    /// The second half of [`Self::transition`]: saves a prepared change in one port
    /// call; `None` when it lost a race (nothing written: prepare it again).
    async fn save_prepared<T>(&self, prepared: Prepared<T>) -> Result<Option<(Payment, T)>> {
        let payment = prepared.write.payment.clone();
        match self.payments.save(prepared.write).await {
            Ok(()) => Ok(Some((payment, prepared.extra))),
            Err(StoreError::Conflict) => Ok(None),
            Err(error) => Err(error.into()),
        }
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
        | EventKind::PaymentChargeReversed
        | EventKind::RefundCreated
        | EventKind::RefundSucceeded
        | EventKind::RefundFailed => false,
    }
}
