//! Races the stores must win: concurrent refunds never exceed the amount, concurrent
//! confirm/cancel end in one terminal state, concurrent claimers never share a delivery,
//! one of several concurrent first uses of an idempotency key or a nonce wins.
//!
//! Run these on a multi-threaded runtime so the tasks really overlap.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hostpay_domain::access::{PayGrant, PaymentSession};
use hostpay_domain::event::DomainEvent;
use hostpay_domain::ids::{AppId, PaymentId, RefundId};
use hostpay_domain::miniapp::SecretHash;
use hostpay_domain::page::{Page, PageRequest};
use hostpay_domain::payment::{ChargeReversal, Payment};
use hostpay_domain::ports::{
    NewPaymentWrite, OrderActivityRepository, PaymentRepository, PaymentWrite, StoreError,
};
use tokio::sync::Barrier;

use hostpay_domain::event::EventKind;
use hostpay_domain::idempotency::{IdempotencyBegin, IdempotencyClaim, IdempotencyKey};
use hostpay_domain::ids::DeliveryId;
use hostpay_domain::miniapp::{Miniapp, MiniappRegistration};
use hostpay_domain::money::Currency;
use hostpay_domain::order::{OrderDetails, PaymentDetails};
use hostpay_domain::order_activity::{
    ActivityEvent, OrderActivity, OrderActivityUpsert, UpsertOutcome,
};
use hostpay_domain::payment::{PaymentStatus, RefundStatus};
use hostpay_domain::services::{
    CreatePayment, CreatedPayment, Idempotent, PaymentServiceError, Ports, Services, SettleStatus,
};
use hostpay_domain::validation::NonEmptyString;
use hostpay_upstream::SandboxProcessor;

use super::fixture::{
    all_deliveries, deliveries_of, money, positive, secs, text255, utc, Fixture, Must,
};
use super::ports::StorePorts;
use crate::{test_settings, RecordingBoxo, RecordingWebhooks};

/// The payment repository under test, yielding to other tasks before every call, so
/// that the racing use cases really interleave between their reads and their writes
/// (even on a store whose calls never wait).
struct Interleaved(Arc<dyn PaymentRepository>);

#[async_trait]
impl PaymentRepository for Interleaved {
    async fn insert(&self, write: NewPaymentWrite) -> Result<(), StoreError> {
        tokio::task::yield_now().await;
        self.0.insert(write).await
    }
    async fn get(&self, id: &PaymentId) -> Result<Option<Payment>, StoreError> {
        tokio::task::yield_now().await;
        self.0.get(id).await
    }
    async fn read(
        &self,
        id: &PaymentId,
    ) -> Result<Option<hostpay_domain::ports::PaymentRecord>, StoreError> {
        tokio::task::yield_now().await;
        self.0.read(id).await
    }
    async fn find_platform_order(
        &self,
        app_id: &AppId,
        miniapp_order_id: &str,
    ) -> Result<Option<Payment>, StoreError> {
        tokio::task::yield_now().await;
        self.0.find_platform_order(app_id, miniapp_order_id).await
    }
    async fn list_for_user(
        &self,
        app_id: &AppId,
        user_id: &str,
        page: &PageRequest,
    ) -> Result<Page<hostpay_domain::ports::PaymentRecord>, StoreError> {
        tokio::task::yield_now().await;
        self.0.list_for_user(app_id, user_id, page).await
    }
    async fn save(&self, write: PaymentWrite) -> Result<(), StoreError> {
        tokio::task::yield_now().await;
        self.0.save(write).await
    }
    async fn events(&self, id: &PaymentId) -> Result<Vec<DomainEvent>, StoreError> {
        tokio::task::yield_now().await;
        self.0.events(id).await
    }
    async fn get_many(&self, ids: &[PaymentId]) -> Result<Vec<Payment>, StoreError> {
        tokio::task::yield_now().await;
        self.0.get_many(ids).await
    }
    async fn add_session(&self, session: &PaymentSession) -> Result<(), StoreError> {
        tokio::task::yield_now().await;
        self.0.add_session(session).await
    }
    async fn find_session(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<PaymentSession>, StoreError> {
        tokio::task::yield_now().await;
        self.0.find_session(token_hash).await
    }
    async fn expired_in_process(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PaymentId>, StoreError> {
        tokio::task::yield_now().await;
        self.0.expired_in_process(now, limit).await
    }
    async fn due_refunds(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(PaymentId, RefundId)>, StoreError> {
        tokio::task::yield_now().await;
        self.0.due_refunds(now, limit).await
    }
    async fn due_charge_checks(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<PaymentId>, StoreError> {
        tokio::task::yield_now().await;
        self.0.due_charge_checks(now, limit).await
    }
    async fn due_reversals(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<ChargeReversal>, StoreError> {
        tokio::task::yield_now().await;
        self.0.due_reversals(now, limit).await
    }
    async fn reversals(&self, payment_id: &PaymentId) -> Result<Vec<ChargeReversal>, StoreError> {
        tokio::task::yield_now().await;
        self.0.reversals(payment_id).await
    }
    async fn save_reversal(&self, reversal: &ChargeReversal) -> Result<(), StoreError> {
        tokio::task::yield_now().await;
        self.0.save_reversal(reversal).await
    }
    async fn add_grant(&self, grant: &PayGrant) -> Result<(), StoreError> {
        tokio::task::yield_now().await;
        self.0.add_grant(grant).await
    }
    async fn find_grant(&self, token_hash: &SecretHash) -> Result<Option<PayGrant>, StoreError> {
        tokio::task::yield_now().await;
        self.0.find_grant(token_hash).await
    }
}

/// The order-activity repository under test, yielding before every call (see
/// [`Interleaved`]).
struct InterleavedActivities(Arc<dyn OrderActivityRepository>);

#[async_trait]
impl OrderActivityRepository for InterleavedActivities {
    async fn get_by_order(
        &self,
        app_id: &AppId,
        order_id: &str,
    ) -> Result<Option<OrderActivity>, StoreError> {
        tokio::task::yield_now().await;
        self.0.get_by_order(app_id, order_id).await
    }
    async fn read_by_order(
        &self,
        app_id: &AppId,
        order_id: &str,
    ) -> Result<Option<hostpay_domain::ports::OrderActivityRecord>, StoreError> {
        tokio::task::yield_now().await;
        self.0.read_by_order(app_id, order_id).await
    }
    async fn get_state_by_order(
        &self,
        app_id: &AppId,
        order_id: &str,
    ) -> Result<Option<OrderActivity>, StoreError> {
        tokio::task::yield_now().await;
        self.0.get_state_by_order(app_id, order_id).await
    }
    async fn insert(&self, activity: &OrderActivity) -> Result<(), StoreError> {
        tokio::task::yield_now().await;
        self.0.insert(activity).await
    }
    async fn save(
        &self,
        activity: &OrderActivity,
        new_events: &[ActivityEvent],
    ) -> Result<(), StoreError> {
        tokio::task::yield_now().await;
        self.0.save(activity, new_events).await
    }
    async fn list_for_user(
        &self,
        app_id: &AppId,
        user_id: &str,
        page: &PageRequest,
    ) -> Result<Page<OrderActivity>, StoreError> {
        tokio::task::yield_now().await;
        self.0.list_for_user(app_id, user_id, page).await
    }
    async fn linked_to_payment(
        &self,
        app_id: &AppId,
        payment_id: &PaymentId,
    ) -> Result<Vec<OrderActivity>, StoreError> {
        tokio::task::yield_now().await;
        self.0.linked_to_payment(app_id, payment_id).await
    }
}

/// The services over the store under test, with the fixture's clock and ids.
fn services(ports: &StorePorts, fx: &Fixture) -> Services {
    let wired = Ports {
        payments: Arc::new(Interleaved(ports.payments.clone())),
        order_activities: Arc::new(InterleavedActivities(ports.order_activities.clone())),
        apps: ports.apps.clone(),
        user_tokens: ports.user_tokens.clone(),
        idempotency: ports.idempotency.clone(),
        outbox: ports.outbox.clone(),
        processor: Arc::new(SandboxProcessor::new()),
        platform: Arc::new(RecordingBoxo::new()),
        webhooks: Arc::new(RecordingWebhooks::new()),
        clock: fx.clock.clone(),
        ids: fx.ids.clone(),
        nonces: ports.nonces.clone(),
        health: ports.health.clone(),
        connect: ports.connect.clone(),
    };
    Services::new(wired, test_settings())
}

async fn app_and_payment(services: &Services, amount: &str) -> (Miniapp, CreatedPayment) {
    let (app, _) = services
        .apps
        .register(MiniappRegistration {
            name: NonEmptyString::parse("Race Shop").must("a name"),
            webhook_url: None,
        })
        .await
        .must("AppService::register");
    let request = CreatePayment {
        user_id: text255("racer"),
        amount: positive(amount),
        currency: Currency::parse("USD").must("a currency"),
        miniapp_order_id: None,
        details: PaymentDetails::default(),
    };
    let created = services
        .payments
        .create(&app, request, None)
        .await
        .must("PaymentService::create");
    match created {
        Idempotent::Fresh(created) => (app, created),
        Idempotent::Replayed(_) => panic!("contract: a payment without a key was replayed"),
        Idempotent::NeedsReply(_) => panic!("contract: a payment without a key waits for a reply"),
    }
}

fn count_kinds(events: &[hostpay_domain::event::DomainEvent]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for event in events {
        *counts.entry(event.kind.as_str()).or_insert(0) += 1;
    }
    counts
}

/// 50 concurrent refunds of 10.00 on a paid 100.00 payment: exactly 10 succeed and the
/// refunded amount is exactly 100.00.
pub async fn concurrent_refunds(ports: &StorePorts) {
    let fx = Fixture::new("crf", utc(2026, 6, 1));
    let services = services(ports, &fx);
    let (app, created) = app_and_payment(&services, "100.00").await;
    let id = created.payment.id().clone();
    services
        .payments
        .settle(&id, SettleStatus::Paid)
        .await
        .must("settle as paid");
    let start = Arc::new(Barrier::new(50));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let services = services.clone();
            let app = app.clone();
            let id = id.clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                services
                    .payments
                    .refund(&app, &id, Some(positive("10.00")), None, None)
                    .await
            })
        })
        .collect();
    let mut succeeded = 0;
    for task in tasks {
        match task.await.must("a refund task") {
            Ok(Idempotent::Fresh(refund)) => {
                assert_eq!(refund.amount, money("10.00"));
                succeeded += 1;
            }
            Ok(Idempotent::Replayed(_)) => panic!("contract: a refund without a key was replayed"),
            Ok(Idempotent::NeedsReply(_)) => panic!("contract: a refund without a key waits for a reply"),
            Err(PaymentServiceError::Rejected { .. }) => {}
            Err(other) => panic!("contract: a concurrent refund failed with {other:?}; it must either succeed or be refused"),
        }
    }
    assert_eq!(
        succeeded, 10,
        "contract: exactly 10 of 50 concurrent 10.00 refunds of 100.00 succeed"
    );
    let payment = services.payments.get(&id).await.must("get");
    assert_eq!(
        payment.refunded_amount(),
        money("100.00"),
        "contract: concurrent refunds add up to exactly the paid amount"
    );
    assert_eq!(payment.status(), PaymentStatus::Refunded);
    assert_eq!(
        payment.refunds().len(),
        10,
        "contract: exactly 10 refunds stored"
    );
    assert!(payment
        .refunds()
        .iter()
        .all(|r| r.status == RefundStatus::Succeeded));
    let events = services.payments.events(&id).await.must("events");
    let counts = count_kinds(&events);
    assert_eq!(counts.get(EventKind::RefundCreated.as_str()), Some(&10));
    assert_eq!(counts.get(EventKind::RefundSucceeded.as_str()), Some(&10));
    assert_eq!(
        counts.get(EventKind::PaymentRefunded.as_str()),
        Some(&1),
        "contract: exactly one payment.refunded event"
    );
}

/// 20 concurrent confirms and cancels of one payment: one wins, one terminal state, one
/// terminal event.
pub async fn concurrent_confirm_and_cancel(ports: &StorePorts) {
    let fx = Fixture::new("ccc", utc(2026, 7, 1));
    let services = services(ports, &fx);
    let (_, created) = app_and_payment(&services, "25.00").await;
    let id = created.payment.id().clone();
    let token = created.session.token.clone();
    let grant = services
        .payments
        .grant(&id, created.payment.user_id())
        .await
        .must("a pay grant")
        .grant;
    let start = Arc::new(Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|index| {
            let services = services.clone();
            let id = id.clone();
            let token = token.clone();
            let grant = grant.clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                if index % 2 == 0 {
                    services.payments.confirm(&id, &grant, false).await
                } else {
                    services.payments.cancel(&id, &token).await
                }
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.must("a confirm/cancel task") {
            Ok(payment) => winners.push(payment.status()),
            Err(PaymentServiceError::Rejected { .. }) => {}
            Err(other) => panic!("contract: a concurrent confirm/cancel failed with {other:?}; it must either win or be refused"),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "contract: exactly one of 20 concurrent confirm/cancel wins"
    );
    let payment = services.payments.get(&id).await.must("get");
    assert_eq!(
        payment.status(),
        winners[0],
        "contract: the winner's state is the stored one"
    );
    let terminal: Vec<EventKind> = services
        .payments
        .events(&id)
        .await
        .must("events")
        .iter()
        .map(|event| event.kind)
        .filter(|kind| kind.ends_payment())
        .collect();
    assert_eq!(
        terminal.len(),
        1,
        "contract: exactly one terminal event after concurrent confirm/cancel, got {terminal:?}"
    );
}

/// Two concurrent claimers drain the due deliveries without ever receiving the same one.
pub async fn concurrent_outbox_claimers(ports: &StorePorts) {
    // Its own window: nothing else is due then.
    let fx = Fixture::new("ccl", utc(1971, 1, 1));
    let app = fx.stored_app(ports, true).await;
    let mut event_ids = BTreeSet::new();
    for _ in 0..40 {
        let written = fx.stored_payment(ports, &app, "user-1", "1.00").await;
        event_ids.extend(written.events.iter().map(|event| event.id.clone()));
    }
    let mine: BTreeSet<DeliveryId> = all_deliveries(ports)
        .await
        .into_iter()
        .filter(|delivery| event_ids.contains(&delivery.event.id))
        .map(|delivery| delivery.id)
        .collect();
    assert_eq!(mine.len(), 40, "contract: one delivery per event target");
    let now = fx.tick(1);
    let start = Arc::new(Barrier::new(2));
    let claimers: Vec<_> = (0..2)
        .map(|_| {
            let ports = ports.clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                let mut claimed = Vec::new();
                loop {
                    let batch = ports
                        .outbox
                        .claim_due(now, now + secs(3600), 3)
                        .await
                        .must("Outbox::claim_due");
                    if batch.is_empty() {
                        break claimed;
                    }
                    claimed.extend(
                        batch
                            .into_iter()
                            .map(|claimed| (claimed.delivery.id, claimed.token)),
                    );
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let mut times_claimed: BTreeMap<DeliveryId, usize> = BTreeMap::new();
    let mut tokens = BTreeMap::new();
    for claimer in claimers {
        for (id, token) in claimer.await.must("a claimer task") {
            *times_claimed.entry(id.clone()).or_insert(0) += 1;
            tokens.insert(id, token);
        }
    }
    let twice: Vec<&DeliveryId> = times_claimed
        .iter()
        .filter(|(_, count)| **count > 1)
        .map(|(id, _)| id)
        .collect();
    assert!(
        twice.is_empty(),
        "contract: concurrent claimers received the same deliveries: {twice:?}"
    );
    let missed: Vec<&DeliveryId> = mine
        .iter()
        .filter(|id| !times_claimed.contains_key(*id))
        .collect();
    assert!(
        missed.is_empty(),
        "contract: due deliveries were never claimed: {missed:?}"
    );
    // Leave nothing due behind.
    for (id, token) in &tokens {
        let attempt = hostpay_domain::delivery::DeliveryAttempt {
            at: now,
            status_code: Some(200),
            outcome: hostpay_domain::delivery::AttemptOutcome::Acknowledged,
            latency_ms: 1,
        };
        let recorded = ports
            .outbox
            .record_attempt(
                id,
                *token,
                &attempt,
                hostpay_domain::delivery::NextStep::Delivered,
            )
            .await
            .must("record_attempt");
        assert_eq!(
            recorded,
            hostpay_domain::ports::Recorded::Written,
            "contract: each claimer records its own claim"
        );
    }
}

/// Of 20 concurrent first requests with one idempotency key, exactly one proceeds.
pub async fn concurrent_idempotency_begin(ports: &StorePorts) {
    let fx = Fixture::new("cib", utc(2026, 8, 1));
    let app = fx.stored_app(ports, false).await;
    let claim = IdempotencyClaim {
        app_id: app.id.clone(),
        key: IdempotencyKey::parse(&fx.unique("key-")).must("a key"),
        fingerprint: "c".repeat(64),
        owner: "test-owner".to_owned(),
    };
    let now = fx.now();
    let start = Arc::new(Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let ports = ports.clone();
            let claim = claim.clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                ports.idempotency.begin(&claim, now).await
            })
        })
        .collect();
    let mut proceeded = 0;
    for task in tasks {
        match task
            .await
            .must("a begin task")
            .must("IdempotencyStore::begin")
        {
            IdempotencyBegin::Proceed => proceeded += 1,
            IdempotencyBegin::InProgress => {}
            other => panic!(
                "contract: a concurrent first use got {other:?}; expected Proceed or InProgress"
            ),
        }
    }
    assert_eq!(
        proceeded, 1,
        "contract: exactly one of 20 concurrent first uses of a key proceeds"
    );
}

/// Of 20 concurrent callers with one nonce, exactly one is told it is new.
pub async fn concurrent_nonces(ports: &StorePorts) {
    let fx = Fixture::new("cno", utc(1931, 1, 1));
    let nonce = fx.unique("nonce-");
    let now = fx.now();
    let start = Arc::new(Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let ports = ports.clone();
            let nonce = nonce.clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                ports.nonces.remember(&nonce, now).await
            })
        })
        .collect();
    let mut fresh = 0;
    for task in tasks {
        if task
            .await
            .must("a remember task")
            .must("NonceStore::remember")
        {
            fresh += 1;
        }
    }
    assert_eq!(
        fresh, 1,
        "contract: exactly one of 20 concurrent callers with one nonce gets true"
    );
}

/// 10 concurrent Boxo "create order payment" calls for one order all answer with the
/// same single payment (the `(app, miniapp_order_id)` key holds under the race).
pub async fn concurrent_boxo_orders(ports: &StorePorts) {
    let fx = Fixture::new("cbo", utc(2026, 9, 1));
    let services = services(ports, &fx);
    let (app, _) = app_and_payment(&services, "1.00").await;
    let order: OrderDetails = crate::orders::order_details(serde_json::json!({
        "currency": "USD",
        "amount": "42.00",
        "miniapp_order_id": fx.unique("order-"),
        "hostapp_user_id": "racer",
        "custom_attributes": {"table": 3}
    }));
    let start = Arc::new(Barrier::new(10));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let services = services.clone();
            let app_id = app.id.to_string();
            let order = order.clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                services
                    .platform_orders
                    .create_order_payment(&app_id, order, None)
                    .await
            })
        })
        .collect();
    let mut ids = BTreeSet::new();
    for task in tasks {
        let id = task
            .await
            .must("a create task")
            .must("contract: a concurrent create of one Boxo order must answer with its payment");
        ids.insert(id);
    }
    assert_eq!(
        ids.len(),
        1,
        "contract: concurrent creates of one Boxo order must all get the same payment, got {ids:?}"
    );
}

/// 10 concurrent upserts of one new order: one creates it, every other one that changed
/// something appended exactly one event, and nothing was lost.
pub async fn concurrent_activity_upserts(ports: &StorePorts) {
    let fx = Fixture::new("cau", utc(2026, 10, 1));
    let services = services(ports, &fx);
    let (app, _) = app_and_payment(&services, "1.00").await;
    let order_id = fx.unique("order-");
    let start = Arc::new(Barrier::new(10));
    let tasks: Vec<_> = (0..10)
        .map(|index| {
            let services = services.clone();
            let app_id = app.id.clone();
            let start = start.clone();
            let upsert: OrderActivityUpsert = crate::orders::upsert(serde_json::json!({
                "order_id": order_id,
                "user_id": "racer",
                "status": "created",
                "note": format!("note {index}")
            }));
            tokio::spawn(async move {
                start.wait().await;
                services.order_activities.upsert(&app_id, upsert).await
            })
        })
        .collect();
    let (mut created, mut updated) = (0, 0);
    for task in tasks {
        match task
            .await
            .must("an upsert task")
            .must("contract: a concurrent upsert must succeed")
        {
            UpsertOutcome::Created(_) => created += 1,
            UpsertOutcome::Updated(_) => updated += 1,
            UpsertOutcome::Unchanged(_) => {}
        }
    }
    assert_eq!(
        created, 1,
        "contract: exactly one concurrent upsert creates the order"
    );
    let stored = services
        .order_activities
        .get(&app.id, &order_id)
        .await
        .must("the upserted order");
    assert_eq!(
        stored.activity.events.len(),
        1 + updated,
        "contract: every successful update appended exactly one event, none lost"
    );
    assert_eq!(
        stored.activity.version,
        i64::try_from(updated).unwrap_or(i64::MAX),
        "contract: the version counts the updates"
    );
}

/// 40 creations at once (some of an app with a webhook, so with deliveries; one of them
/// twice): each is stored whole (its line, its session, its event, its deliveries), the
/// one sent twice is stored once and its second insert answers `Duplicate("id")`, and no
/// other creation is disturbed by it.
pub async fn concurrent_creations(ports: &StorePorts) {
    creations_at_once(ports, true).await;
}

/// 40 creations at once, checked as [`concurrent_creations`] does (with `repeat_one`, one
/// of them sent twice): returns the ids stored, for a backend's own checks (how many
/// transactions wrote them).
pub async fn creations_at_once(ports: &StorePorts, repeat_one: bool) -> Vec<PaymentId> {
    let fx = Fixture::new("ccr", utc(2026, 9, 2));
    let quiet = fx.stored_app(ports, false).await;
    let hooked = fx.stored_app(ports, true).await;
    let mut writes: Vec<NewPaymentWrite> = (0..40)
        .map(|n| {
            let app = if n % 3 == 0 { &hooked } else { &quiet };
            fx.open(
                app,
                &format!("racer-{n}"),
                "3.50",
                hostpay_domain::payment::Channel::Miniapp,
                None,
                PaymentDetails::default(),
            )
        })
        .collect();
    // The same creation sent twice (as a retry would): whichever lands first, the other
    // is refused.
    if repeat_one {
        writes.push(writes[7].clone());
    }
    let start = Arc::new(Barrier::new(writes.len()));
    let tasks: Vec<_> = writes
        .iter()
        .cloned()
        .map(|write| {
            let payments = ports.payments.clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                payments.insert(write).await
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.must("a create task"));
    }
    let refused: Vec<&StoreError> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    let expected: &[&StoreError] = if repeat_one {
        &[&StoreError::Duplicate("id".to_owned())]
    } else {
        &[]
    };
    assert_eq!(
        refused, expected,
        "contract: of concurrent creations only the second of one payment is refused"
    );
    let mut ids = Vec::new();
    for write in &writes[..40] {
        let record = ports
            .payments
            .read(write.payment.id())
            .await
            .must("read of a created payment")
            .unwrap_or_else(|| panic!("contract: {} was not stored", write.payment.id()));
        assert_eq!(
            record.payment, write.payment,
            "contract: a payment created concurrently is stored as written"
        );
        assert_eq!(
            record.events, write.events,
            "contract: its events (with their targets) are stored with it"
        );
        let session = ports
            .payments
            .find_session(&write.session.token_hash)
            .await
            .must("find_session");
        assert_eq!(
            session.as_ref(),
            Some(&write.session),
            "contract: its session too"
        );
        ids.push(write.payment.id().clone());
    }
    for write in writes[..40].iter() {
        let hooked_app = write.payment.app_id() == &hooked.id;
        for event in &write.events {
            let deliveries = deliveries_of(ports, event).await;
            assert_eq!(
                deliveries.len(),
                usize::from(hooked_app),
                "contract: an event of a created payment has its delivery exactly when its \
                 app has a webhook"
            );
        }
    }
    ids
}

/// 20 Boxo orders, each created twice at once by two groups that send them in opposite
/// orders (as two batches holding the same keys would): each order is stored once, and
/// exactly one of its two creations is refused with `Duplicate("miniapp_order_id")`.
pub async fn concurrent_crossed_orders(ports: &StorePorts) {
    let fx = Fixture::new("cxo", utc(2026, 9, 3));
    let app = fx.stored_app(ports, false).await;
    let orders: Vec<String> = (0..20).map(|_| fx.unique("crossed-")).collect();
    let open = |order: &String| {
        fx.open(
            &app,
            "crosser",
            "9.00",
            hostpay_domain::payment::Channel::Platform,
            Some(order),
            PaymentDetails::default(),
        )
    };
    let forward: Vec<NewPaymentWrite> = orders.iter().map(open).collect();
    let backward: Vec<NewPaymentWrite> = orders.iter().rev().map(open).collect();
    let start = Arc::new(Barrier::new(forward.len() + backward.len()));
    let tasks: Vec<_> = forward
        .into_iter()
        .chain(backward)
        .map(|write| {
            let payments = ports.payments.clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                let order = write.payment.miniapp_order_id().map(|id| id.to_string());
                (order, payments.insert(write).await)
            })
        })
        .collect();
    let mut stored: BTreeMap<String, usize> = BTreeMap::new();
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    for task in tasks {
        let (order, outcome) = task.await.must("a create task");
        let order = order.unwrap_or_default();
        match outcome {
            Ok(()) => *stored.entry(order).or_default() += 1,
            Err(StoreError::Duplicate(key)) if key == "miniapp_order_id" => {
                *refused.entry(order).or_default() += 1;
            }
            Err(error) => panic!("contract: a crossed creation failed otherwise: {error:?}"),
        }
    }
    for order in &orders {
        assert_eq!(stored.get(order), Some(&1), "contract: {order} stored once");
        assert_eq!(
            refused.get(order),
            Some(&1),
            "contract: {order} refused once"
        );
    }
}
