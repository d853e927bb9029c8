//! Opening a payment (the miniapp's own, or one the platform opens for an order) and
//! reading payments.

use std::collections::HashMap;

use super::{CreatePayment, Idempotent, PaymentService, Result};
use crate::access::{PaymentSession, SessionCredentials};
use crate::event::DomainEvent;
use crate::idempotency::{IdempotencyClaim, IdempotentResult, StoredResponse};
use crate::ids::{AppId, PaymentId};
use crate::miniapp::Miniapp;
use crate::money::AmountRule;
use crate::page::{Page, PageRequest};
use crate::payment::{Channel, NewPayment, Payment, PaymentStatus, Transition};
use crate::ports::NewPaymentWrite;

/// A new payment and the session that opens it.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatedPayment {
    /// The payment.
    pub payment: Payment,
    /// What the frontend needs to show the payment sheet (read-only) and cancel.
    pub session: SessionCredentials,
}

impl PaymentService {
    /// Opens a payment for a miniapp (`POST /api/v1/payments`). With an idempotency claim,
    /// `render` makes the response that is stored with the payment, in one transaction.
    pub async fn create(
        &self,
        app: &Miniapp,
        request: CreatePayment,
        claim: Option<IdempotencyClaim>,
        render: impl FnOnce(&CreatedPayment) -> StoredResponse + Send,
    ) -> Result<Idempotent<CreatedPayment>> {
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
}
