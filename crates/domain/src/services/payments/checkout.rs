//! The payment sheet and who may move money (api.md section 5): a payment session (what
//! the miniapp receives) shows the sheet read-only and cancels; only a pay grant, which
//! the host mints for its logged-in user when that user is the payment's user, can confirm
//! (charge). Also host settlement, and the recording of a charge's outcome: an approved
//! charge that cannot be recorded is reversed through the processor, never dropped.

use super::errors::{rejected, PaymentServiceError, Result};
use super::service::{Change, PaymentService};
use crate::access::{GrantCredentials, PayGrant, PAY_GRANT_LIFETIME};
use crate::ids::{PaymentId, RefundId};
use crate::miniapp::Miniapp;
use crate::order::UserRef;
use crate::payment::{
    CancelReason, ChargeOutcome, ChargeReversal, Payment, PaymentError, PaymentStatus,
};
use crate::ports::{ChargeRequest, RefundRequest, StoreError};
use crate::validation::InvalidField;

/// Every pay grant starts with this (payment sessions start with `ps_`).
pub const GRANT_PREFIX: &str = "pg_";

/// A payment opened through a valid session or grant, with its miniapp (for the sheet).
#[derive(Debug, Clone, PartialEq)]
pub struct Checkout {
    /// The payment.
    pub payment: Payment,
    /// The merchant.
    pub app: Miniapp,
    /// Whether the credential may pay (a pay grant); a session shows the sheet read-only.
    pub can_pay: bool,
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

/// What a checkout credential allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// A payment session: view and cancel.
    View,
    /// A pay grant: view, cancel and pay.
    Pay,
}

impl PaymentService {
    /// Mints a pay grant for the host's logged-in `user_id` (internal API): the payment
    /// must be that user's (else not found) and `in_process` with its session not over
    /// (else rejected). The grant lives [`PAY_GRANT_LIFETIME`], never past the session.
    pub async fn grant(&self, id: &PaymentId, user_id: &UserRef) -> Result<GrantCredentials> {
        let payment = self.get(id).await?;
        if payment.user_id() != user_id {
            return Err(PaymentServiceError::NotFound);
        }
        let now = self.clock.now();
        let payable = payment.status() == PaymentStatus::InProcess && !payment.is_expired(now);
        if !payable {
            let status = match payment.status() {
                PaymentStatus::InProcess => "expired",
                other => other.as_str(),
            };
            return Err(rejected(
                PaymentError::InvalidState {
                    id: payment.id().clone(),
                    status,
                    action: "granted",
                },
                &payment,
            ));
        }
        let token = self.ids.new_secret(GRANT_PREFIX);
        let grant = PayGrant {
            token_hash: self.keyring.hash(&token),
            payment_id: payment.id().clone(),
            user_id: payment.user_id().clone(),
            created_at: now,
            expires_at: (now + PAY_GRANT_LIFETIME).min(payment.expires_at()),
        };
        self.payments.add_grant(&grant).await?;
        Ok(GrantCredentials {
            checkout_url: self.settings.checkout_url(payment.id(), "grant", &token),
            grant: token,
            expires_at: grant.expires_at,
        })
    }

    /// Opens the payment sheet with a session (read-only) or a grant (payable).
    pub async fn checkout(&self, id: &PaymentId, token: &str) -> Result<Checkout> {
        let (payment, access) = self.authorize(id, token).await?;
        let app = self
            .apps
            .get(payment.app_id())
            .await?
            .ok_or(PaymentServiceError::NotFound)?;
        Ok(Checkout {
            payment,
            app,
            can_pay: access == Access::Pay,
            can_simulate: self.processor.can_simulate(),
        })
    }

    /// The payment a checkout credential opens, and what it may do there. A grant opens
    /// its payment only while it lives and names the payment's user; a session only its
    /// payment while it lives.
    async fn authorize(&self, id: &PaymentId, token: &str) -> Result<(Payment, Access)> {
        let hash = self.keyring.hash(token);
        let now = self.clock.now();
        if token.starts_with(GRANT_PREFIX) {
            let grant = self
                .payments
                .find_grant(&hash)
                .await?
                .ok_or(PaymentServiceError::InvalidSession)?;
            if grant.payment_id != *id {
                return Err(PaymentServiceError::InvalidSession);
            }
            let payment = self.get(id).await?;
            if !grant.authorizes(id, payment.user_id(), now) {
                return Err(PaymentServiceError::InvalidSession);
            }
            return Ok((payment, Access::Pay));
        }
        let session = self
            .payments
            .find_session(&hash)
            .await?
            .ok_or(PaymentServiceError::InvalidSession)?;
        if !session.opens(id, now) {
            return Err(PaymentServiceError::InvalidSession);
        }
        Ok((self.get(id).await?, Access::View))
    }

    /// Confirms a payment with a pay grant: asks the processor to charge (idempotency key:
    /// the payment id) and records `paid` or `failed`. A payment session is refused
    /// (forbidden) and charges nothing. A payment no longer `in_process` is refused with
    /// its current state and never charged again.
    pub async fn confirm(
        &self,
        id: &PaymentId,
        grant: &str,
        simulate_decline: bool,
    ) -> Result<Payment> {
        let (_, access) = self.authorize(id, grant).await?;
        match access {
            Access::Pay => {}
            Access::View => {
                return Err(PaymentServiceError::Forbidden(
                    "a payment session cannot confirm a payment: only a pay grant the host app mints for the paying user can",
                ))
            }
        }
        if simulate_decline && !self.processor.can_simulate() {
            return Err(InvalidField::new(
                "simulate",
                "is only available with the sandbox processor",
            )
            .into());
        }
        // Mark the charge as started before asking the processor: from here on a cancel,
        // a settle or the expiry sweep cannot drop a charge that goes through.
        let payment = self
            .transition_payment(id, |payment| payment.begin_charge(self.clock.now()))
            .await?;
        let outcome = self
            .processor
            .charge(&charge_request(&payment, simulate_decline))
            .await?;
        self.record_outcome(id, &outcome).await
    }

    /// Records the processor's answer to the charge in flight. An approved charge that
    /// cannot be recorded (the payment ended otherwise, or the store refuses the write for
    /// good) is reversed at once; while the store is merely unreachable the charge stays
    /// marked and the charge check records it later.
    pub(super) async fn record_outcome(
        &self,
        id: &PaymentId,
        outcome: &ChargeOutcome,
    ) -> Result<Payment> {
        let recorded = self
            .transition_payment(id, |payment| {
                payment.record_charge(outcome, self.clock.now())
            })
            .await;
        let approved = match outcome {
            ChargeOutcome::Approved => true,
            ChargeOutcome::Declined { .. } => false,
        };
        let unrecordable = match &recorded {
            Ok(_) => false,
            // Recorded already, by a concurrent check of the same charge.
            Err(PaymentServiceError::Rejected { current, .. })
                if matches!(
                    current.status(),
                    PaymentStatus::Paid | PaymentStatus::Refunded
                ) =>
            {
                false
            }
            // Nothing was written: the marker stays and the charge check asks again.
            Err(PaymentServiceError::Store(StoreError::Unavailable(_))) => false,
            Err(_) => true,
        };
        if approved && unrecordable {
            // The money goes back (once per charge); the caller learns where the payment
            // stands now.
            match self.reverse_charge(id).await {
                Ok(_) => {}
                // Recorded meanwhile by another answer to the same charge: it is paid.
                Err(PaymentServiceError::Rejected { current, .. })
                    if matches!(
                        current.status(),
                        PaymentStatus::Paid | PaymentStatus::Refunded
                    ) =>
                {
                    return Ok(*current);
                }
                Err(error) => return Err(error),
            }
            let current = self.get(id).await?;
            return Err(rejected(
                PaymentError::InvalidState {
                    id: current.id().clone(),
                    status: current.status().as_str(),
                    action: "confirmed",
                },
                &current,
            ));
        }
        recorded
    }

    /// Reverses the approved charge of a payment that cannot record it: writes the
    /// reversal and `payment.charge_reversed` (the payment fails if it was still
    /// `in_process`), then asks the processor to refund at once; a refusal or no answer is
    /// asked again by the reversal sweep until accepted.
    async fn reverse_charge(&self, id: &PaymentId) -> Result<Option<ChargeReversal>> {
        // A payment has one charge, so at most one reversal: a second answer to the same
        // charge (a double click, a concurrent check) finds it and reverses nothing more.
        if !self.payments.reversals(id).await?.is_empty() {
            return Ok(None);
        }
        let reversal_id = reversal_id(id);
        let written = self
            .transition(id, |payment| {
                let (transition, reversal) =
                    payment.reverse_charge(reversal_id.clone(), self.clock.now())?;
                Ok(Change {
                    reversal: Some(reversal.clone()),
                    ..Change::of(transition, reversal)
                })
            })
            .await;
        let reversal = match written {
            Ok((_, reversal)) => reversal,
            // Written concurrently by the other answer (same id): nothing more to do.
            Err(PaymentServiceError::Store(StoreError::Duplicate(_))) => return Ok(None),
            Err(error) => return Err(error),
        };
        self.attempt_reversal(&reversal).await.map(Some)
    }

    /// Asks the processor to refund a reversal (its id is the idempotency key) and saves
    /// the attempt.
    pub(super) async fn attempt_reversal(
        &self,
        reversal: &ChargeReversal,
    ) -> Result<ChargeReversal> {
        let request = RefundRequest {
            refund_id: reversal.id.clone(),
            payment_id: reversal.payment_id.clone(),
            amount: reversal.amount,
            currency: reversal.currency,
        };
        let outcome = match self.processor.refund(&request).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(format!("the processor refused the refund: {reason}")),
            Err(error) => Err(error.to_string()),
        };
        let next = reversal.record_attempt(outcome, self.clock.now());
        self.payments.save_reversal(&next).await?;
        Ok(next)
    }

    /// Cancels a payment with its session or a grant (the sheet's Cancel button). Refused
    /// while a charge is in flight.
    pub async fn cancel(&self, id: &PaymentId, token: &str) -> Result<Payment> {
        self.authorize(id, token).await?;
        self.transition_payment(id, |payment| {
            payment.cancel(CancelReason::ByUser, self.clock.now())
        })
        .await
    }

    /// Records an outcome the host charged on its own side (internal settle). Refused
    /// while a confirm's charge is in flight.
    pub async fn settle(&self, id: &PaymentId, status: SettleStatus) -> Result<Payment> {
        self.transition_payment(id, |payment| {
            let now = self.clock.now();
            match &status {
                SettleStatus::Paid => payment.settle_by_host(&ChargeOutcome::Approved, now),
                SettleStatus::Failed(reason) => payment.settle_by_host(
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
}

/// The one reversal id of a payment's charge (the processor's idempotency key of its
/// refund): derived from the payment id, so it can never be issued twice.
fn reversal_id(payment: &PaymentId) -> RefundId {
    let suffix = payment
        .as_str()
        .strip_prefix("pay_")
        .unwrap_or(payment.as_str());
    RefundId::from_trusted(format!("ref_rev_{suffix}"))
}

/// The charge of a payment; its id is the processor's idempotency key, so asking again
/// returns the first outcome.
pub(super) fn charge_request(payment: &Payment, simulate_decline: bool) -> ChargeRequest {
    ChargeRequest {
        payment_id: payment.id().clone(),
        amount: payment.amount(),
        currency: payment.currency(),
        user_id: payment.user_id().to_string(),
        simulate_decline,
    }
}
