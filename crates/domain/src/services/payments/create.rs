//! Opening a payment: the miniapp's own (idempotent), or one the platform opens for an
//! order. Needs only the payment store, the idempotency keys, the clock and the ids.

use std::sync::Arc;

use chrono::Duration;

use super::errors::Result;
use super::idempotency::{Idempotent, IdempotentRequests};
use crate::access::{PaymentSession, SessionCredentials};
use crate::idempotency::{IdempotencyClaim, IdempotentResult, StoredReply};
use crate::ids::{IdGenerator, PaymentId};
use crate::miniapp::{Miniapp, SecretKeyring};
use crate::money::{AmountRule, Currency, PositiveMoney};
use crate::order::{PaymentDetails, UserRef};
use crate::payment::{Channel, NewPayment, Payment, Transition};
use crate::ports::{Clock, IdempotencyStore, NewPaymentWrite, PaymentRepository};
use crate::validation::NonEmptyString;

/// Payment settings.
#[derive(Debug, Clone)]
pub struct PaymentSettings {
    /// Payment-session lifetime (`checkout.session_ttl_seconds`).
    pub session_ttl: Duration,
    /// Base of `checkout_url` (`server.public_url`).
    pub public_url: String,
}

impl PaymentSettings {
    /// The hosted sheet's address for a credential (`session` or `grant`).
    pub(super) fn checkout_url(&self, id: &PaymentId, kind: &str, token: &str) -> String {
        format!(
            "{}/checkout/{}?{}={}",
            self.public_url.trim_end_matches('/'),
            id,
            kind,
            token
        )
    }
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
    /// What the frontend needs to show the payment sheet (read-only) and cancel.
    pub session: SessionCredentials,
}

/// A miniapp's payment opened with an idempotency key, not saved yet: the edge renders the
/// reply to keep from [`PendingPayment::created`], and [`CreatePaymentService::resume_create`]
/// saves the payment and the reply in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingPayment {
    created: CreatedPayment,
    write: NewPaymentWrite,
    claim: IdempotencyClaim,
}

impl PendingPayment {
    /// The payment and its session, as they will be saved (what the reply describes).
    pub fn created(&self) -> &CreatedPayment {
        &self.created
    }
}

/// The ports [`CreatePaymentService`] uses.
#[derive(Clone)]
pub struct CreatePaymentPorts {
    /// Payments and their sessions.
    pub payments: Arc<dyn PaymentRepository>,
    /// Idempotency keys (used only by requests that carry one).
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Ids and secrets.
    pub ids: Arc<dyn IdGenerator>,
}

/// Opening payments: the create use case on its own, reusable without the rest of the
/// payment ports (processor, miniapps, order activities).
#[derive(Clone)]
pub struct CreatePaymentService {
    payments: Arc<dyn PaymentRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    keyring: SecretKeyring,
    settings: PaymentSettings,
    keys: IdempotentRequests,
}

impl CreatePaymentService {
    /// Over its ports, with the keyring that hashes session tokens and seals kept
    /// replies, and the payment settings.
    pub fn new(
        ports: CreatePaymentPorts,
        keyring: SecretKeyring,
        settings: PaymentSettings,
    ) -> CreatePaymentService {
        CreatePaymentService {
            keys: IdempotentRequests::new(
                ports.idempotency,
                ports.ids.clone(),
                ports.clock.clone(),
                keyring.clone(),
            ),
            payments: ports.payments,
            clock: ports.clock,
            ids: ports.ids,
            keyring,
            settings,
        }
    }

    /// The idempotency keys this service holds, for the other use cases that take keys.
    pub(super) fn keys(&self) -> &IdempotentRequests {
        &self.keys
    }

    /// Opens a payment for a miniapp. Without an idempotency claim it is saved at once
    /// ([`Idempotent::Fresh`]); with one, it waits for its reply
    /// ([`Idempotent::NeedsReply`], then [`Self::resume_create`]) or replays the key's.
    pub async fn create(
        &self,
        app: &Miniapp,
        request: CreatePayment,
        claim: Option<IdempotencyClaim>,
    ) -> Result<Idempotent<CreatedPayment, PendingPayment>> {
        // The edge checks these already; the core never trusts that it did.
        let rule = AmountRule::Currency(request.currency);
        crate::order::check_amount("amount", Some(request.amount.get()), rule)?;
        request.details.check_amounts(rule)?;
        let claim = claim.map(|claim| self.keys.held(claim));
        if let Some(replay) = self.keys.begin(claim.as_ref()).await? {
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
        let (created, write) = self.prepare_open(new, app.webhook_url.is_some());
        match claim {
            None => {
                self.payments.insert(write).await?;
                Ok(Idempotent::Fresh(created))
            }
            Some(claim) => Ok(Idempotent::NeedsReply(PendingPayment {
                created,
                write,
                claim,
            })),
        }
    }

    /// Saves a pending payment with `reply`, the reply to keep for its key, in one
    /// transaction. A failure frees the key (the request changed nothing).
    pub async fn resume_create(
        &self,
        pending: PendingPayment,
        reply: StoredReply,
    ) -> Result<CreatedPayment> {
        let PendingPayment {
            created,
            mut write,
            claim,
        } = pending;
        write.idempotent = Some(IdempotentResult {
            claim: claim.clone(),
            response: self.keys.seal(reply),
        });
        let result = match self.payments.insert(write).await {
            Ok(()) => Ok(created),
            Err(error) => Err(error.into()),
        };
        self.keys.finish(Some(&claim), result).await
    }

    /// Opens a payment (any channel) with its first session.
    pub(crate) async fn open(
        &self,
        request: NewPayment,
        app_has_webhook: bool,
    ) -> Result<CreatedPayment> {
        let (created, write) = self.prepare_open(request, app_has_webhook);
        self.payments.insert(write).await?;
        Ok(created)
    }

    /// A new payment with its first session and everything written with it, not saved.
    fn prepare_open(
        &self,
        request: NewPayment,
        app_has_webhook: bool,
    ) -> (CreatedPayment, NewPaymentWrite) {
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
        let write = NewPaymentWrite {
            payment: payment.clone(),
            session,
            events,
            idempotent: None,
        };
        let created = CreatedPayment {
            payment,
            session: credentials,
        };
        (created, write)
    }

    /// A new payment session for `payment` (stored as a keyed hash) and what its holder
    /// gets.
    pub(super) fn new_session(&self, payment: &Payment) -> (PaymentSession, SessionCredentials) {
        let token = self.ids.new_secret("ps_");
        let session = PaymentSession {
            token_hash: self.keyring.hash(&token),
            payment_id: payment.id().clone(),
            created_at: self.clock.now(),
            expires_at: payment.expires_at(),
        };
        let credentials = SessionCredentials {
            checkout_url: self.settings.checkout_url(payment.id(), "session", &token),
            token,
            expires_at: payment.expires_at(),
        };
        (session, credentials)
    }
}
