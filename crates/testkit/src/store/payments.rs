//! Payments, refunds, sessions and payment events.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hostpay_domain::access::{PayGrant, PaymentSession};
use hostpay_domain::event::DomainEvent;
use hostpay_domain::ids::{AppId, PaymentId, RefundId};
use hostpay_domain::miniapp::SecretHash;
use hostpay_domain::page::{Page, PageRequest};
use hostpay_domain::payment::{
    Channel, ChargeReversal, Payment, PaymentStatus, RefundStatus, ReversalStatus,
};
use hostpay_domain::ports::{
    NewPaymentWrite, PaymentRecord, PaymentRepository, PaymentWrite, StoreError,
};

use super::{limit, newest_first, MemoryStore, State};

fn duplicate(key: &str) -> StoreError {
    StoreError::Duplicate(key.to_owned())
}

fn is_boxo(payment: &Payment) -> bool {
    match payment.channel() {
        Channel::Platform => true,
        Channel::Miniapp => false,
    }
}

impl State {
    /// A payment with its events, oldest first (events of one instant in the order they
    /// were written).
    fn record_of(&self, payment: Payment) -> PaymentRecord {
        let mut events: Vec<DomainEvent> = self
            .events
            .iter()
            .filter(|event| event.payment_id == payment.id().as_str())
            .cloned()
            .collect();
        events.sort_by_key(|event| event.occurred_at);
        PaymentRecord { payment, events }
    }

    fn boxo_order(&self, app_id: &AppId, miniapp_order_id: &str) -> Option<&Payment> {
        self.payments.values().find(|payment| {
            is_boxo(payment)
                && payment.app_id() == app_id
                && payment
                    .miniapp_order_id()
                    .as_ref()
                    .is_some_and(|order| order.as_str() == miniapp_order_id)
        })
    }
}

#[async_trait]
impl PaymentRepository for MemoryStore {
    async fn insert(&self, write: NewPaymentWrite) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let payment = &write.payment;
        if !payment.refunds().is_empty() {
            return Err(StoreError::Unavailable(format!(
                "payment {} is new but has refunds: refused",
                payment.id()
            )));
        }
        if state.payments.contains_key(payment.id()) {
            return Err(duplicate("id"));
        }
        if let Some(order) = &payment.miniapp_order_id() {
            if is_boxo(payment) && state.boxo_order(payment.app_id(), order.as_str()).is_some() {
                return Err(duplicate("miniapp_order_id"));
            }
        }
        if state.sessions.contains_key(&write.session.token_hash) {
            return Err(duplicate("token"));
        }
        state.may_keep(write.idempotent.as_ref())?;
        state.payments.insert(payment.id().clone(), payment.clone());
        state
            .sessions
            .insert(write.session.token_hash.clone(), write.session.clone());
        state.write_events(&write.events);
        if let Some(result) = &write.idempotent {
            state.keep_response(result, payment.created_at());
        }
        Ok(())
    }

    async fn get(&self, id: &PaymentId) -> Result<Option<Payment>, StoreError> {
        Ok(self.state()?.payments.get(id).cloned())
    }

    async fn read(&self, id: &PaymentId) -> Result<Option<PaymentRecord>, StoreError> {
        let state = self.state()?;
        Ok(state
            .payments
            .get(id)
            .map(|payment| state.record_of(payment.clone())))
    }

    async fn find_platform_order(
        &self,
        app_id: &AppId,
        miniapp_order_id: &str,
    ) -> Result<Option<Payment>, StoreError> {
        Ok(self.state()?.boxo_order(app_id, miniapp_order_id).cloned())
    }

    async fn list_for_user(
        &self,
        app_id: &AppId,
        user_id: &str,
        page: &PageRequest,
    ) -> Result<Page<PaymentRecord>, StoreError> {
        let state = self.state()?;
        let mine = state
            .payments
            .values()
            .filter(|payment| payment.app_id() == app_id && payment.user_id().as_str() == user_id)
            .cloned();
        let found = newest_first(mine, page, |payment| {
            (payment.created_at(), payment.id().as_str().to_owned())
        });
        Ok(Page {
            items: found
                .items
                .into_iter()
                .map(|payment| state.record_of(payment))
                .collect(),
            next_cursor: found.next_cursor,
            has_more: found.has_more,
        })
    }

    async fn save(&self, write: PaymentWrite) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let payment = &write.payment;
        let stored_version = state
            .payments
            .get(payment.id())
            .map(|stored| stored.version())
            .ok_or(StoreError::Conflict)?;
        if stored_version != payment.version() - 1 {
            return Err(StoreError::Conflict);
        }
        state.may_keep(write.idempotent.as_ref())?;
        if let Some(reversal) = &write.reversal {
            if state.reversals.contains_key(&reversal.id) {
                return Err(duplicate("id"));
            }
            state
                .reversals
                .insert(reversal.id.clone(), reversal.clone());
        }
        state.payments.insert(payment.id().clone(), payment.clone());
        state.write_events(&write.events);
        for (activity_id, event) in &write.activity_events {
            if let Some(activity) = state.activities.get_mut(activity_id) {
                activity.events.push(event.clone());
            }
        }
        if let Some(result) = &write.idempotent {
            state.keep_response(result, payment.updated_at());
        }
        Ok(())
    }

    async fn events(&self, id: &PaymentId) -> Result<Vec<DomainEvent>, StoreError> {
        let state = self.state()?;
        let mut events: Vec<DomainEvent> = state
            .events
            .iter()
            .filter(|event| event.payment_id == id.as_str())
            .cloned()
            .collect();
        // Stable: events of one instant stay in the order they were written.
        events.sort_by_key(|event| event.occurred_at);
        Ok(events)
    }

    async fn get_many(&self, ids: &[PaymentId]) -> Result<Vec<Payment>, StoreError> {
        let state = self.state()?;
        let mut seen = std::collections::HashSet::new();
        Ok(ids
            .iter()
            .filter(|id| seen.insert(*id))
            .filter_map(|id| state.payments.get(id).cloned())
            .collect())
    }

    async fn add_session(&self, session: &PaymentSession) -> Result<(), StoreError> {
        let mut state = self.state()?;
        if state.sessions.contains_key(&session.token_hash) {
            return Err(duplicate("token"));
        }
        state
            .sessions
            .insert(session.token_hash.clone(), session.clone());
        Ok(())
    }

    async fn find_session(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<PaymentSession>, StoreError> {
        Ok(self.state()?.sessions.get(token_hash).cloned())
    }

    async fn expired_in_process(
        &self,
        now: DateTime<Utc>,
        max: u32,
    ) -> Result<Vec<PaymentId>, StoreError> {
        let state = self.state()?;
        let mut due: Vec<&Payment> = state
            .payments
            .values()
            .filter(|payment| {
                payment.status() == PaymentStatus::InProcess
                    && payment.expires_at() <= now
                    && payment.charging_since().is_none()
            })
            .collect();
        due.sort_by(|a, b| (a.expires_at(), a.id()).cmp(&(b.expires_at(), b.id())));
        Ok(due
            .into_iter()
            .take(limit(max))
            .map(|payment| payment.id().clone())
            .collect())
    }

    async fn due_refunds(
        &self,
        now: DateTime<Utc>,
        max: u32,
    ) -> Result<Vec<(PaymentId, RefundId)>, StoreError> {
        let state = self.state()?;
        let mut due: Vec<(DateTime<Utc>, PaymentId, RefundId)> = state
            .payments
            .values()
            .flat_map(|payment| payment.refunds().iter())
            .filter(|refund| refund.status == RefundStatus::Pending)
            .filter_map(|refund| {
                let at = refund.next_attempt_at.filter(|at| *at <= now)?;
                Some((at, refund.payment_id.clone(), refund.id.clone()))
            })
            .collect();
        due.sort_by(|a, b| (a.0, &a.2).cmp(&(b.0, &b.2)));
        Ok(due
            .into_iter()
            .take(limit(max))
            .map(|(_, payment, refund)| (payment, refund))
            .collect())
    }

    async fn due_charge_checks(
        &self,
        now: DateTime<Utc>,
        max: u32,
    ) -> Result<Vec<PaymentId>, StoreError> {
        let state = self.state()?;
        let mut due: Vec<(DateTime<Utc>, PaymentId)> = state
            .payments
            .values()
            .filter(|payment| payment.status() == PaymentStatus::InProcess)
            .filter_map(|payment| {
                let at = payment.charge_check_at().filter(|at| *at <= now)?;
                Some((at, payment.id().clone()))
            })
            .collect();
        due.sort();
        Ok(due.into_iter().take(limit(max)).map(|(_, id)| id).collect())
    }

    async fn due_reversals(
        &self,
        now: DateTime<Utc>,
        max: u32,
    ) -> Result<Vec<ChargeReversal>, StoreError> {
        let state = self.state()?;
        let mut due: Vec<&ChargeReversal> = state
            .reversals
            .values()
            .filter(|reversal| {
                reversal.status == ReversalStatus::Pending && reversal.next_attempt_at <= now
            })
            .collect();
        due.sort_by(|a, b| (a.next_attempt_at, &a.id).cmp(&(b.next_attempt_at, &b.id)));
        Ok(due.into_iter().take(limit(max)).cloned().collect())
    }

    async fn reversals(&self, payment_id: &PaymentId) -> Result<Vec<ChargeReversal>, StoreError> {
        let state = self.state()?;
        let mut mine: Vec<ChargeReversal> = state
            .reversals
            .values()
            .filter(|reversal| reversal.payment_id == *payment_id)
            .cloned()
            .collect();
        mine.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(mine)
    }

    async fn save_reversal(&self, reversal: &ChargeReversal) -> Result<(), StoreError> {
        let mut state = self.state()?;
        // Never back from succeeded (a late refusal of another attempt changes nothing).
        if let Some(stored) = state.reversals.get_mut(&reversal.id) {
            if stored.status == ReversalStatus::Pending {
                *stored = reversal.clone();
            }
        }
        Ok(())
    }

    async fn add_grant(&self, grant: &PayGrant) -> Result<(), StoreError> {
        let mut state = self.state()?;
        if state.grants.contains_key(&grant.token_hash) {
            return Err(duplicate("token"));
        }
        state.grants.insert(grant.token_hash.clone(), grant.clone());
        Ok(())
    }

    async fn find_grant(&self, token_hash: &SecretHash) -> Result<Option<PayGrant>, StoreError> {
        Ok(self.state()?.grants.get(token_hash).cloned())
    }
}
