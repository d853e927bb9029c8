//! Order activities and their history.

use async_trait::async_trait;
use hostpay_domain::ids::{AppId, PaymentId};
use hostpay_domain::order_activity::{ActivityEvent, OrderActivity};
use hostpay_domain::page::{Page, PageRequest};
use hostpay_domain::ports::{OrderActivityRecord, OrderActivityRepository, StoreError};

use super::{newest_first, MemoryStore};

#[async_trait]
impl OrderActivityRepository for MemoryStore {
    async fn get_by_order(
        &self,
        app_id: &AppId,
        order_id: &str,
    ) -> Result<Option<OrderActivity>, StoreError> {
        Ok(self
            .state()?
            .activities
            .values()
            .find(|activity| activity.app_id == *app_id && activity.order_id.as_str() == order_id)
            .cloned())
    }

    async fn read_by_order(
        &self,
        app_id: &AppId,
        order_id: &str,
    ) -> Result<Option<OrderActivityRecord>, StoreError> {
        let state = self.state()?;
        Ok(state
            .activities
            .values()
            .find(|activity| activity.app_id == *app_id && activity.order_id.as_str() == order_id)
            .map(|activity| OrderActivityRecord {
                payment_status: activity
                    .payment_id
                    .as_ref()
                    .and_then(|payment_id| state.payments.get(payment_id))
                    .filter(|payment| *payment.app_id() == activity.app_id)
                    .map(|payment| payment.status()),
                activity: activity.clone(),
            }))
    }

    async fn get_state_by_order(
        &self,
        app_id: &AppId,
        order_id: &str,
    ) -> Result<Option<OrderActivity>, StoreError> {
        Ok(self
            .get_by_order(app_id, order_id)
            .await?
            .map(without_history))
    }

    async fn insert(&self, activity: &OrderActivity) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let taken = state
            .activities
            .values()
            .any(|stored| stored.app_id == activity.app_id && stored.order_id == activity.order_id);
        if taken {
            return Err(StoreError::Duplicate("order_id".to_owned()));
        }
        if state.activities.contains_key(&activity.id) {
            return Err(StoreError::Duplicate("id".to_owned()));
        }
        state
            .activities
            .insert(activity.id.clone(), activity.clone());
        Ok(())
    }

    async fn save(
        &self,
        activity: &OrderActivity,
        new_events: &[ActivityEvent],
    ) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let stored = state
            .activities
            .get_mut(&activity.id)
            .ok_or(StoreError::Conflict)?;
        if stored.version != activity.version - 1 {
            return Err(StoreError::Conflict);
        }
        // The stored history is kept (it may have entries the caller never saw, such as
        // a linked payment's); the new events are appended to it.
        let mut events = std::mem::take(&mut stored.events);
        events.extend_from_slice(new_events);
        *stored = OrderActivity {
            events,
            ..activity.clone()
        };
        Ok(())
    }

    async fn list_for_user(
        &self,
        app_id: &AppId,
        user_id: &str,
        page: &PageRequest,
    ) -> Result<Page<OrderActivity>, StoreError> {
        let state = self.state()?;
        let mine = state
            .activities
            .values()
            .filter(|activity| activity.app_id == *app_id && activity.user_id.as_str() == user_id)
            .cloned();
        Ok(newest_first(mine, page, |activity| {
            (activity.created_at, activity.id.as_str().to_owned())
        }))
    }

    async fn linked_to_payment(
        &self,
        app_id: &AppId,
        payment_id: &PaymentId,
    ) -> Result<Vec<OrderActivity>, StoreError> {
        Ok(self
            .state()?
            .activities
            .values()
            .filter(|activity| {
                activity.app_id == *app_id && activity.payment_id.as_ref() == Some(payment_id)
            })
            .cloned()
            .map(without_history)
            .collect())
    }
}

/// An activity as a write sees it: its state, not its history.
fn without_history(mut activity: OrderActivity) -> OrderActivity {
    activity.events.clear();
    activity
}
