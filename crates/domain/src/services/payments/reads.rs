//! Reading payments: one (with its events, in one port call), a page of a user's (each
//! with its events, in one port call), the events and statuses a write's answer needs,
//! and a fresh session for a native sheet.

use std::collections::HashMap;

use super::errors::{PaymentServiceError, Result};
use super::service::PaymentService;
use crate::access::SessionCredentials;
use crate::event::DomainEvent;
use crate::ids::{AppId, PaymentId};
use crate::page::{Page, PageRequest};
use crate::payment::{Payment, PaymentStatus};
use crate::ports::PaymentRecord;

impl PaymentService {
    /// A miniapp's payment (another miniapp's reads as not found).
    pub async fn get_for_app(&self, app_id: &AppId, id: &PaymentId) -> Result<Payment> {
        match self.payments.get(id).await? {
            Some(payment) if payment.app_id() == app_id => Ok(payment),
            Some(_) | None => Err(PaymentServiceError::NotFound),
        }
    }

    /// A miniapp's payment with its events, in one port call (another miniapp's reads as
    /// not found).
    pub async fn read_for_app(&self, app_id: &AppId, id: &PaymentId) -> Result<PaymentRecord> {
        match self.payments.read(id).await? {
            Some(record) if record.payment.app_id() == app_id => Ok(record),
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
        let payable = !payment.status().is_settled() && !payment.is_expired(self.clock.now());
        if !payable {
            return Ok((payment, None));
        }
        let (session, credentials) = self.creation.new_session(&payment);
        self.payments.add_session(&session).await?;
        Ok((payment, Some(credentials)))
    }
}
