//! The payment service: every payment use case over the ports they use, and the one way
//! a payment changes ([`PaymentService::transition`]). The use cases are in their own
//! files (`reads`, `refunds`, `checkout`, `sweeps`); opening a payment is a service of its
//! own ([`CreatePaymentService`]) that this one holds.

use std::sync::Arc;

use super::create::{
    CreatePayment, CreatePaymentPorts, CreatePaymentService, CreatedPayment, PaymentSettings,
    PendingPayment,
};
use super::errors::{rejected, Result};
use super::idempotency::{Idempotent, IdempotentRequests};
use crate::event::{DomainEvent, EventKind};
use crate::idempotency::{IdempotencyClaim, IdempotentResult, StoredReply};
use crate::ids::{AppId, IdGenerator, PaymentId};
use crate::miniapp::{Miniapp, SecretKeyring};
use crate::order_activity::ActivityEvent;
use crate::payment::{ChargeReversal, Payment, PaymentError, Transition};
use crate::ports::{
    AppRepository, Clock, IdempotencyStore, OrderActivityRepository, PaymentProcessor,
    PaymentRepository, PaymentWrite, StoreError,
};
use crate::services::races::MAX_CONFLICT_RETRIES;

/// The ports [`PaymentService`] uses.
#[derive(Clone)]
pub struct PaymentPorts {
    /// Payments, refunds, sessions, grants, reversals, events.
    pub payments: Arc<dyn PaymentRepository>,
    /// Miniapps (whether one has a webhook, the checkout sheet's merchant).
    pub apps: Arc<dyn AppRepository>,
    /// Order activities (the history of those linked to a payment).
    pub order_activities: Arc<dyn OrderActivityRepository>,
    /// Idempotency keys (create and refund).
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// The payment processor.
    pub processor: Arc<dyn PaymentProcessor>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Ids and secrets.
    pub ids: Arc<dyn IdGenerator>,
}

/// Payments: open, read, refund, check out, settle, and the background sweeps.
#[derive(Clone)]
pub struct PaymentService {
    pub(super) payments: Arc<dyn PaymentRepository>,
    pub(super) apps: Arc<dyn AppRepository>,
    activities: Arc<dyn OrderActivityRepository>,
    pub(super) processor: Arc<dyn PaymentProcessor>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) ids: Arc<dyn IdGenerator>,
    pub(super) keyring: SecretKeyring,
    pub(super) settings: PaymentSettings,
    /// Opening payments.
    pub(super) creation: CreatePaymentService,
    /// The idempotency keys, shared with `creation`.
    pub(super) keys: IdempotentRequests,
}

impl PaymentService {
    /// Over its ports, with the keyring that hashes credentials and seals kept replies,
    /// and the payment settings.
    pub fn new(
        ports: PaymentPorts,
        keyring: SecretKeyring,
        settings: PaymentSettings,
    ) -> PaymentService {
        let creation = CreatePaymentService::new(
            CreatePaymentPorts {
                payments: ports.payments.clone(),
                idempotency: ports.idempotency,
                clock: ports.clock.clone(),
                ids: ports.ids.clone(),
            },
            keyring.clone(),
            settings.clone(),
        );
        PaymentService {
            keys: creation.keys().clone(),
            creation,
            payments: ports.payments,
            apps: ports.apps,
            activities: ports.order_activities,
            processor: ports.processor,
            clock: ports.clock,
            ids: ports.ids,
            keyring,
            settings,
        }
    }

    /// The create use case on its own (what the platform's orders open payments with).
    pub fn creation(&self) -> &CreatePaymentService {
        &self.creation
    }

    /// Opens a payment for a miniapp ([`CreatePaymentService::create`]).
    pub async fn create(
        &self,
        app: &Miniapp,
        request: CreatePayment,
        claim: Option<IdempotencyClaim>,
    ) -> Result<Idempotent<CreatedPayment, PendingPayment>> {
        self.creation.create(app, request, claim).await
    }

    /// Saves a pending payment with the reply to keep for its key
    /// ([`CreatePaymentService::resume_create`]).
    pub async fn resume_create(
        &self,
        pending: PendingPayment,
        reply: StoredReply,
    ) -> Result<CreatedPayment> {
        self.creation.resume_create(pending, reply).await
    }

    /// Applies `step` to the payment and saves it ([`Self::transition`]), for steps that
    /// want nothing back but the payment.
    pub(super) async fn transition_payment(
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
    pub(super) async fn transition<T: Send>(
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
    pub(super) async fn prepare<T: Send>(
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
            let has_webhook = self.app_has_webhook(current.app_id()).await?;
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
    pub(super) async fn save_prepared<T>(
        &self,
        prepared: Prepared<T>,
    ) -> Result<Option<(Payment, T)>> {
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
            .linked_to_payment(payment.app_id(), payment.id())
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
                            payment.status(),
                            event.occurred_at,
                        ),
                    )
                })
            })
            .collect())
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

/// What one step of [`PaymentService::transition`] produces: the transition, what the
/// caller wants back, and what is written with it.
pub(super) struct Change<T> {
    pub(super) transition: Transition,
    pub(super) extra: T,
    pub(super) idempotent: Option<IdempotentResult>,
    pub(super) reversal: Option<ChargeReversal>,
}

impl<T> Change<T> {
    /// The transition alone, nothing more written with it.
    pub(super) fn of(transition: Transition, extra: T) -> Change<T> {
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
pub(super) struct Prepared<T> {
    pub(super) write: PaymentWrite,
    pub(super) extra: T,
}
