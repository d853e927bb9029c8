//! Reading payments: one, a page of a user's, their events and statuses, and a fresh
//! session for a native sheet.

use std::collections::HashMap;

use super::errors::{PaymentServiceError, Result};
use super::service::PaymentService;
use crate::access::SessionCredentials;
use crate::event::DomainEvent;
use crate::ids::{AppId, PaymentId};
use crate::page::{Page, PageRequest};
use crate::payment::{Payment, PaymentStatus};

impl PaymentService {
    /// A miniapp's payment (another miniapp's reads as not found).
    pub async fn get_for_app(&self, app_id: &AppId, id: &PaymentId) -> Result<Payment> {
        match self.payments.get(id).await? {
            Some(payment) if payment.app_id() == app_id => Ok(payment),
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
            .filter(|payment| payment.app_id() == app_id)
            .map(|payment| (payment.id().clone(), payment.status()))
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
        let payable = !payment.status().is_settled() && !payment.is_expired(self.clock.now());
        if !payable {
            return Ok((payment, None));
        }
        let (session, credentials) = self.creation.new_session(&payment);
        self.payments.add_session(&session).await?;
        Ok((payment, Some(credentials)))
    }
}
