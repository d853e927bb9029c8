//! The outbox's delivery side. Each row keeps the number of the claim that holds it (as
//! the SQL stores do): a claim moves it on, and so does every recorded outcome, which is
//! written only with the holding claim's number.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hostpay_domain::delivery::{
    AttemptOutcome, ClaimToken, ClaimedDelivery, Delivery, DeliveryAttempt, DeliveryState, NextStep,
};
use hostpay_domain::ids::DeliveryId;
use hostpay_domain::page::{Page, PageRequest};
use hostpay_domain::ports::{ManualRetry, Outbox, OutboxDepth, Recorded, StoreError};

use super::{limit, newest_first, MemoryStore};

#[async_trait]
impl Outbox for MemoryStore {
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        max: u32,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let mut state = self.state()?;
        let mut due: Vec<(DateTime<Utc>, DateTime<Utc>, DeliveryId)> = state
            .deliveries
            .values()
            .map(|row| &row.delivery)
            .filter(|delivery| delivery.state == DeliveryState::Pending)
            .filter(|delivery| delivery.next_attempt_at <= now)
            .map(|delivery| {
                (
                    delivery.next_attempt_at,
                    delivery.created_at,
                    delivery.id.clone(),
                )
            })
            .collect();
        due.sort();
        let mut claimed = Vec::new();
        for (_, _, id) in due.into_iter().take(limit(max)) {
            if let Some(row) = state.deliveries.get_mut(&id) {
                row.delivery.next_attempt_at = lease_until;
                row.claim += 1;
                claimed.push(ClaimedDelivery {
                    delivery: row.delivery.clone(),
                    token: ClaimToken::from_number(row.claim),
                });
            }
        }
        Ok(claimed)
    }

    async fn record_attempt(
        &self,
        id: &DeliveryId,
        token: ClaimToken,
        attempt: &DeliveryAttempt,
        next: NextStep,
    ) -> Result<Recorded, StoreError> {
        let mut state = self.state()?;
        let Some(row) = state.deliveries.get_mut(id) else {
            return Ok(Recorded::LostClaim);
        };
        if row.claim != token.number() || row.delivery.state != DeliveryState::Pending {
            return Ok(Recorded::LostClaim);
        }
        row.claim += 1;
        let delivery = &mut row.delivery;
        delivery.attempts += 1;
        delivery.last_status = attempt.status_code;
        delivery.last_error = match &attempt.outcome {
            AttemptOutcome::Acknowledged => None,
            AttemptOutcome::Retryable(error) | AttemptOutcome::Permanent(error) => {
                Some(error.clone())
            }
        };
        match next {
            NextStep::Delivered => delivery.state = DeliveryState::Delivered,
            NextStep::RetryAt(at) => {
                delivery.state = DeliveryState::Pending;
                delivery.next_attempt_at = at;
            }
            NextStep::Dead => delivery.state = DeliveryState::Dead,
        }
        delivery.updated_at = attempt.at;
        row.attempts.push(attempt.clone());
        Ok(Recorded::Written)
    }

    async fn list(
        &self,
        wanted: Option<DeliveryState>,
        page: &PageRequest,
    ) -> Result<Page<Delivery>, StoreError> {
        let state = self.state()?;
        let deliveries = state
            .deliveries
            .values()
            .map(|row| &row.delivery)
            .filter(|delivery| wanted.is_none_or(|wanted| delivery.state == wanted))
            .cloned();
        Ok(newest_first(deliveries, page, |delivery| {
            (delivery.created_at, delivery.id.as_str().to_owned())
        }))
    }

    async fn get(&self, id: &DeliveryId) -> Result<Option<Delivery>, StoreError> {
        Ok(self
            .state()?
            .deliveries
            .get(id)
            .map(|row| row.delivery.clone()))
    }

    async fn attempts(&self, id: &DeliveryId) -> Result<Vec<DeliveryAttempt>, StoreError> {
        Ok(self
            .state()?
            .deliveries
            .get(id)
            .map(|row| row.attempts.clone())
            .unwrap_or_default())
    }

    async fn retry_now(
        &self,
        id: &DeliveryId,
        now: DateTime<Utc>,
    ) -> Result<ManualRetry, StoreError> {
        let mut state = self.state()?;
        let Some(row) = state.deliveries.get_mut(id) else {
            return Ok(ManualRetry::Unknown);
        };
        match row.delivery.state {
            DeliveryState::Dead => {
                row.claim += 1;
                row.delivery.state = DeliveryState::Pending;
                row.delivery.next_attempt_at = now;
                row.delivery.updated_at = now;
                Ok(ManualRetry::Retried(row.delivery.clone()))
            }
            DeliveryState::Pending | DeliveryState::Delivered => {
                Ok(ManualRetry::NotDead(row.delivery.clone()))
            }
        }
    }

    async fn depth(&self) -> Result<OutboxDepth, StoreError> {
        let state = self.state()?;
        let mut depth = OutboxDepth::default();
        for row in state.deliveries.values() {
            match row.delivery.state {
                DeliveryState::Pending => depth.pending += 1,
                DeliveryState::Dead => depth.dead += 1,
                DeliveryState::Delivered => {}
            }
        }
        Ok(depth)
    }
}
