//! Opening a payment (the miniapp's own, or one the platform opens for an order) and
//! reading payments.

use std::collections::HashMap;

use super::{CreatePayment, Idempotent, PaymentService, Result};
use crate::access::{PaymentSession, SessionCredentials};
use crate::event::DomainEvent;
use crate::idempotency::{IdempotencyClaim, IdempotentResult, StoredReply};
use crate::ids::{AppId, PaymentId};
use crate::miniapp::Miniapp;
use crate::money::AmountRule;
use crate::page::{Page, PageRequest};
use crate::payment::{Channel, NewPayment, Payment, PaymentStatus, Transition};
use crate::ports::{NewPaymentWrite, PaymentRecord};

/// A new payment and the session that opens it.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedPayment {
    /// The payment.
    pub payment: Payment,
    /// What the frontend needs to show the payment sheet (read-only) and cancel.
    pub session: SessionCredentials,
}

/// A miniapp's payment opened with an idempotency key, not saved yet: the edge renders the
/// reply to keep from [`PendingPayment::created`], and [`PaymentService::resume_create`]
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

impl PaymentService {
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
        let claim = claim.map(|claim| self.held(claim));
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
            response: self.seal(reply),
        });
        let result = match self.payments.insert(write).await {
            Ok(()) => Ok(created),
            Err(error) => Err(error.into()),
        };
        self.finish(Some(&claim), result).await
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

    pub(super) fn new_session(&self, payment: &Payment) -> (PaymentSession, SessionCredentials) {
        let token = self.ids.new_secret("ps_");
        let session = PaymentSession {
            token_hash: self.keyring.hash(&token),
            payment_id: payment.id.clone(),
            created_at: self.clock.now(),
            expires_at: payment.expires_at,
        };
        let credentials = SessionCredentials {
            checkout_url: self.checkout_url(&payment.id, "session", &token),
            token,
            expires_at: payment.expires_at,
        };
        (session, credentials)
    }

    /// The hosted sheet's address for a credential (`session` or `grant`).
    pub(super) fn checkout_url(&self, id: &PaymentId, kind: &str, token: &str) -> String {
        format!(
            "{}/checkout/{}?{}={}",
            self.settings.public_url.trim_end_matches('/'),
            id,
            kind,
            token
        )
    }

    /// A payment's events, oldest first.
    pub async fn events(&self, id: &PaymentId) -> Result<Vec<DomainEvent>> {
        Ok(self.payments.events(id).await?)
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

    /// A miniapp's payments of one user, newest first, each with its events: one port
    /// call for the whole page.
    pub async fn list_for_user(
        &self,
        app_id: &AppId,
        user_id: &str,
        page: &PageRequest,
    ) -> Result<Page<PaymentRecord>> {
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
}
