//! Order activities: upsert, read, list.

use std::sync::Arc;

use crate::ids::{AppId, IdGenerator};
use crate::order_activity::{OrderActivity, OrderActivityUpsert, UpsertOutcome};
use crate::page::{Page, PageRequest};
use crate::ports::{
    Clock, OrderActivityRecord, OrderActivityRepository, PaymentRepository, StoreError,
};
use crate::services::races::MAX_CONFLICT_RETRIES;
use crate::validation::InvalidField;

/// Why an order-activity use case was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderActivityError {
    /// Unknown order (or another miniapp's).
    #[error("order activity not found")]
    NotFound,
    /// The move is not allowed.
    #[error(transparent)]
    Rejected(#[from] crate::order_activity::OrderActivityError),
    /// Bad input (such as a payment id that is not this miniapp's).
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The ports [`OrderActivityService`] uses.
#[derive(Clone)]
pub struct OrderActivityPorts {
    /// Order activities.
    pub order_activities: Arc<dyn OrderActivityRepository>,
    /// Payments (a linked payment must be the miniapp's).
    pub payments: Arc<dyn PaymentRepository>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Ids.
    pub ids: Arc<dyn IdGenerator>,
}

/// Order activities.
#[derive(Clone)]
pub struct OrderActivityService {
    activities: Arc<dyn OrderActivityRepository>,
    payments: Arc<dyn PaymentRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl OrderActivityService {
    /// Over its ports.
    pub fn new(ports: OrderActivityPorts) -> OrderActivityService {
        OrderActivityService {
            activities: ports.order_activities,
            payments: ports.payments,
            clock: ports.clock,
            ids: ports.ids,
        }
    }

    /// Creates or updates the app's order `upsert.order_id`.
    pub async fn upsert(
        &self,
        app_id: &AppId,
        upsert: OrderActivityUpsert,
    ) -> Result<UpsertOutcome, OrderActivityError> {
        if let Some(payment_id) = &upsert.payment_id {
            let owned = self
                .payments
                .get(payment_id)
                .await?
                .is_some_and(|payment| payment.app_id() == app_id);
            if !owned {
                return Err(InvalidField::new("payment_id", "no such payment").into());
            }
        }
        for _ in 0..MAX_CONFLICT_RETRIES {
            // The state only: the history is appended to, never read back.
            let existing = self
                .activities
                .get_state_by_order(app_id, upsert.order_id.as_str())
                .await?;
            let now = self.clock.now();
            let Some(existing) = existing else {
                let created =
                    OrderActivity::create(upsert.clone(), app_id.clone(), self.ids.as_ref(), now);
                created.check_amounts()?;
                match self.activities.insert(&created).await {
                    Ok(()) => return Ok(UpsertOutcome::Created(created)),
                    Err(StoreError::Duplicate(_)) => continue,
                    Err(error) => return Err(error.into()),
                }
            };
            let outcome = existing.apply(upsert.clone(), self.ids.as_ref(), now)?;
            let UpsertOutcome::Updated(updated) = &outcome else {
                return self.with_history(outcome).await;
            };
            updated.check_amounts()?;
            let new_events = &updated.events[existing.events.len()..];
            match self.activities.save(updated, new_events).await {
                Ok(()) => return self.with_history(outcome).await,
                Err(StoreError::Conflict) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// The outcome of a write on an existing order, with the whole history for the answer
    /// (read once the write is done: the write itself never reads the history).
    async fn with_history(
        &self,
        outcome: UpsertOutcome,
    ) -> Result<UpsertOutcome, OrderActivityError> {
        let (written, rewrap): (&OrderActivity, fn(OrderActivity) -> UpsertOutcome) = match &outcome
        {
            UpsertOutcome::Created(activity) => (activity, UpsertOutcome::Created),
            UpsertOutcome::Updated(activity) => (activity, UpsertOutcome::Updated),
            UpsertOutcome::Unchanged(activity) => (activity, UpsertOutcome::Unchanged),
        };
        match self
            .activities
            .get_by_order(&written.app_id, written.order_id.as_str())
            .await?
        {
            Some(full) => Ok(rewrap(full)),
            None => Ok(outcome),
        }
    }

    /// The app's order with its linked payment's status, in one port call.
    pub async fn get(
        &self,
        app_id: &AppId,
        order_id: &str,
    ) -> Result<OrderActivityRecord, OrderActivityError> {
        self.activities
            .read_by_order(app_id, order_id)
            .await?
            .ok_or(OrderActivityError::NotFound)
    }

    /// The app's orders of a user, newest first.
    pub async fn list_for_user(
        &self,
        app_id: &AppId,
        user_id: &str,
        page: &PageRequest,
    ) -> Result<Page<OrderActivity>, OrderActivityError> {
        Ok(self.activities.list_for_user(app_id, user_id, page).await?)
    }
}
