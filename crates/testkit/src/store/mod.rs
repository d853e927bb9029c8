//! The in-memory store: every store port over one state behind one mutex, so each port
//! call is one atomic "transaction" and the rules a database enforces (conditional
//! writes, unique keys, events written with the change) hold here too. The lock is never
//! held across an await.

mod apps;
mod connect;
mod idempotency;
mod nonces;
mod order_activities;
mod outbox;
mod payments;
mod user_tokens;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hostpay_domain::access::{PayGrant, PaymentSession, UserToken};
use hostpay_domain::connect::{AccessToken, AuthCode};
use hostpay_domain::delivery::{Delivery, DeliveryAttempt, DeliveryState};
use hostpay_domain::event::DomainEvent;
use hostpay_domain::idempotency::{IdempotencyRecord, IdempotentResult};
use hostpay_domain::ids::{AppId, DeliveryId, OrderActivityId, PaymentId, RefundId};
use hostpay_domain::miniapp::{Miniapp, SecretHash};
use hostpay_domain::order_activity::OrderActivity;
use hostpay_domain::page::{Cursor, Page, PageRequest};
use hostpay_domain::payment::{ChargeReversal, Payment};
use hostpay_domain::ports::{StoreError, StoreHealth};

/// Every store port in memory. Share it as `Arc<MemoryStore>`; it coerces to each
/// `Arc<dyn ...>` port.
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    unavailable: AtomicBool,
}

/// One delivery with its attempts and the number of the claim that holds it.
#[derive(Debug, Clone)]
struct DeliveryRow {
    delivery: Delivery,
    attempts: Vec<DeliveryAttempt>,
    claim: i64,
}

#[derive(Debug, Default)]
struct State {
    payments: BTreeMap<PaymentId, Payment>,
    /// Every payment event, in the order written.
    events: Vec<DomainEvent>,
    sessions: HashMap<SecretHash, PaymentSession>,
    grants: HashMap<SecretHash, PayGrant>,
    reversals: BTreeMap<RefundId, ChargeReversal>,
    activities: BTreeMap<OrderActivityId, OrderActivity>,
    apps: BTreeMap<AppId, Miniapp>,
    user_tokens: HashMap<SecretHash, UserToken>,
    idempotency: HashMap<(AppId, String), IdempotencyRecord>,
    deliveries: BTreeMap<DeliveryId, DeliveryRow>,
    delivery_sequence: u64,
    nonces: HashMap<String, DateTime<Utc>>,
    auth_codes: HashMap<SecretHash, AuthCode>,
    access_tokens: HashMap<SecretHash, AccessToken>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Makes every call fail with `Unavailable` (a database that went away) until
    /// turned off again.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    fn state(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable(
                "the in-memory store was switched off".to_owned(),
            ));
        }
        self.state
            .lock()
            .map_err(|_| StoreError::Unavailable("the in-memory store is poisoned".to_owned()))
    }
}

impl State {
    /// Appends events and one pending delivery per target, due when the event happened.
    fn write_events(&mut self, events: &[DomainEvent]) {
        for event in events {
            self.events.push(event.clone());
            for target in &event.targets {
                self.delivery_sequence += 1;
                let id = DeliveryId::from_trusted(format!("dlv_{:012}", self.delivery_sequence));
                let delivery = Delivery {
                    id: id.clone(),
                    target: *target,
                    event: event.clone(),
                    state: DeliveryState::Pending,
                    attempts: 0,
                    next_attempt_at: event.occurred_at,
                    last_error: None,
                    last_status: None,
                    created_at: event.occurred_at,
                    updated_at: event.occurred_at,
                };
                self.deliveries.insert(
                    id,
                    DeliveryRow {
                        delivery,
                        attempts: Vec::new(),
                        claim: 0,
                    },
                );
            }
        }
    }

    /// Inserts or replaces the idempotent response of a claim.
    /// Whether the claim may keep its response: it holds the key, or nobody does.
    /// Another holder is `Duplicate("idempotency_key")` (check before writing anything).
    fn may_keep(&self, result: Option<&IdempotentResult>) -> Result<(), StoreError> {
        let Some(result) = result else {
            return Ok(());
        };
        let key = (
            result.claim.app_id.clone(),
            result.claim.key.as_str().to_owned(),
        );
        match self.idempotency.get(&key) {
            Some(record) if record.owner != result.claim.owner => {
                Err(StoreError::Duplicate("idempotency_key".to_owned()))
            }
            Some(_) | None => Ok(()),
        }
    }

    fn keep_response(&mut self, result: &IdempotentResult, at: DateTime<Utc>) {
        let key = (
            result.claim.app_id.clone(),
            result.claim.key.as_str().to_owned(),
        );
        let created_at = self
            .idempotency
            .get(&key)
            .map_or(at, |record| record.created_at);
        self.idempotency.insert(
            key,
            IdempotencyRecord {
                fingerprint: result.claim.fingerprint.clone(),
                response: Some(result.response.clone()),
                created_at,
                owner: result.claim.owner.clone(),
            },
        );
    }
}

/// Whether an item at `position` comes strictly after (is older than) the cursor.
fn after_cursor(created_at: DateTime<Utc>, id: &str, page: &PageRequest) -> bool {
    match &page.after {
        None => true,
        Some(cursor) => (created_at, id) < (cursor.created_at, cursor.id.as_str()),
    }
}

/// A page of `items` (any order), newest first by `(created_at, id)`, after the cursor.
fn newest_first<T>(
    items: impl Iterator<Item = T>,
    page: &PageRequest,
    position: impl Fn(&T) -> (DateTime<Utc>, String),
) -> Page<T> {
    let mut items: Vec<(DateTime<Utc>, String, T)> = items
        .filter_map(|item| {
            let (created_at, id) = position(&item);
            after_cursor(created_at, &id, page).then_some((created_at, id, item))
        })
        .collect();
    items.sort_by(|a, b| (b.0, &b.1).cmp(&(a.0, &a.1)));
    let overfetch = usize::try_from(page.limit)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    items.truncate(overfetch);
    Page::from_overfetch(
        items.into_iter().map(|(_, _, item)| item).collect(),
        page.limit,
        |item| {
            let (created_at, id) = position(item);
            Cursor { created_at, id }
        },
    )
}

fn limit(limit: u32) -> usize {
    usize::try_from(limit).unwrap_or(usize::MAX)
}

#[async_trait]
impl StoreHealth for MemoryStore {
    async fn check(&self) -> Result<(), StoreError> {
        self.state().map(|_| ())
    }
}
