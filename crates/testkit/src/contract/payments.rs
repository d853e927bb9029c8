//! Payments: exact round trips, unique keys, conditional saves, events and deliveries
//! written with the change, sessions, the sweeps' queries, pagination.

use std::collections::BTreeSet;

use hostpay_domain::event::{DeliveryTarget, DomainEvent, EventKind};
use hostpay_domain::idempotency::{
    IdempotencyBegin, IdempotencyClaim, IdempotencyKey, IdempotentResult, StoredReply,
};
use hostpay_domain::ids::{PaymentId, RefundId};
use hostpay_domain::order::PaymentDetails;
use hostpay_domain::order_activity::{ActivityEvent, OrderActivityStatus};
use hostpay_domain::page::PageRequest;
use hostpay_domain::payment::{
    backoff, CancelReason, Channel, ChargeOutcome, Payment, PaymentParts, PaymentStatus,
    RefundStatus, REFUND_RETRY_AFTER,
};
use hostpay_domain::ports::StoreError;
use hostpay_domain::validation::BoundedString;

use super::fixture::{
    assert_newest_first, deliveries_of, money, next_page, positive, stored, utc, Fixture, Must,
};
use super::ports::StorePorts;

/// Details using every field, with Unicode, nested JSON and exact decimals.
pub(crate) fn rich_details() -> PaymentDetails {
    crate::orders::payment_details(serde_json::json!({
        "description": "Two coffees ☕ and a \"croissant\"\nfor table 7",
        "items": [
            {
                "product_name": "Flat white",
                "product_variant_name": "oat milk",
                "product_sku": "FW-OAT",
                "product_image_url": "https://cdn.example/fw.png",
                "quantity": 2,
                "price": "4.50",
                "discount": "0.25"
            },
            {"product_name": "Croissant", "quantity": 1, "price": "3.10"}
        ],
        "shipping_address": {
            "address1": "1 Rue de l'Été",
            "city": "Zürich",
            "country": "CH",
            "postal_code": "8001",
            "latitude": "47.376886987654321",
            "longitude": "-8.541694"
        },
        "custom_attributes": {
            "table": 7,
            "tags": ["vip", "ünïcode"],
            "nested": {"tip": "1.50", "flag": true, "none": null}
        },
        "subtotal_amount": "12.35",
        "shipping_amount": "0.00",
        "discount_amount": "0.50",
        "tax_title": "VAT",
        "tax_amount": "0.93",
        "taxes_included": true,
        "note": "leave at the door"
    }))
}

fn approved(payment: &Payment, fx: &Fixture) -> hostpay_domain::payment::Transition {
    payment
        .record_charge(&ChargeOutcome::Approved, fx.now())
        .must("record_charge on an in_process payment")
}

fn refund(
    payment: &Payment,
    fx: &Fixture,
    amount: &str,
    reason: Option<&str>,
) -> (hostpay_domain::payment::Transition, RefundId) {
    let (transition, refund) = payment
        .request_refund(
            RefundId::generate(fx.ids.as_ref()),
            Some(positive(amount)),
            reason.map(|text| BoundedString::parse(text).must("a valid reason")),
            fx.now(),
        )
        .must("request_refund on a paid payment");
    (transition, refund.id)
}

async fn assert_stored(ports: &StorePorts, expected: &Payment, what: &str) {
    let got = stored(ports, expected.id()).await;
    assert_eq!(
        &got, expected,
        "contract: {what}: PaymentRepository::get must return exactly what was written"
    );
}

/// A payment, its refunds and details round-trip exactly, at the largest amount too.
pub async fn payment_round_trip(ports: &StorePorts) {
    let fx = Fixture::new("prt", utc(2026, 2, 1));
    let app = fx.stored_app(ports, false).await;
    let order_id = fx.unique("order-ü-");
    let write = fx.open(
        &app,
        "user-ü-1",
        "999999999999999999.99",
        Channel::Platform,
        Some(&order_id),
        rich_details(),
    );
    ports
        .payments
        .insert(write.clone())
        .await
        .must("PaymentRepository::insert");
    assert_stored(ports, &write.payment, "insert of the largest amount").await;
    let found = ports
        .payments
        .find_platform_order(&app.id, &order_id)
        .await
        .must("find_platform_order");
    assert_eq!(
        found.as_ref(),
        Some(&write.payment),
        "contract: find_platform_order must find the Boxo payment of the app by its order id"
    );
    let unknown = PaymentId::generate(fx.ids.as_ref());
    assert_eq!(
        ports
            .payments
            .get(&unknown)
            .await
            .must("get of an unknown id"),
        None,
        "contract: get of an unknown payment must be None"
    );
    assert_eq!(
        ports
            .payments
            .find_platform_order(&app.id, "no-such-order")
            .await
            .must("find_platform_order of an unknown order"),
        None,
        "contract: find_platform_order of an unknown order must be None"
    );

    fx.tick(1);
    let (paid, _) = fx
        .save(ports, &app, approved(&write.payment, &fx), "save of paid")
        .await;
    assert_stored(ports, &paid, "save of paid").await;

    fx.tick(1);
    let (transition, first) = refund(&paid, &fx, "999999999999999999.98", None);
    let (reserved, _) = fx.save(ports, &app, transition, "save of a refund").await;
    fx.tick(1);
    let (transition, second) = refund(&reserved, &fx, "0.01", Some("changed my mind — ü"));
    let (reserved, _) = fx
        .save(ports, &app, transition, "save of a second refund")
        .await;
    assert_stored(ports, &reserved, "two pending refunds").await;

    fx.tick(1);
    let transition = reserved
        .record_refund(&first, Ok(()), fx.now())
        .must("record_refund");
    let (settled, _) = fx
        .save(ports, &app, transition, "save of a refund outcome")
        .await;
    fx.tick(1);
    let transition = settled
        .record_refund(&second, Err("card expired".to_owned()), fx.now())
        .must("record_refund");
    let (settled, _) = fx
        .save(ports, &app, transition, "save of a refund failure")
        .await;
    assert_stored(ports, &settled, "refunds succeeded and failed").await;
    assert_eq!(settled.status(), PaymentStatus::Paid);

    fx.tick(1);
    let (transition, third) = refund(&settled, &fx, "0.01", None);
    let (reserved, _) = fx
        .save(ports, &app, transition, "save of a third refund")
        .await;
    let transition = reserved
        .record_refund(&third, Ok(()), fx.now())
        .must("record_refund");
    let (refunded, _) = fx
        .save(ports, &app, transition, "save of the full refund")
        .await;
    assert_eq!(refunded.status(), PaymentStatus::Refunded);
    assert_eq!(refunded.refunded_amount(), money("999999999999999999.99"));
    assert_stored(ports, &refunded, "a fully refunded payment").await;
    let statuses: Vec<RefundStatus> = stored(ports, refunded.id())
        .await
        .refunds()
        .iter()
        .map(|refund| refund.status)
        .collect();
    assert_eq!(
        statuses,
        [
            RefundStatus::Succeeded,
            RefundStatus::Failed,
            RefundStatus::Succeeded
        ],
        "contract: refunds must come oldest first"
    );

    let plain = fx.open(
        &app,
        "user-2",
        "0.01",
        Channel::Miniapp,
        None,
        PaymentDetails::default(),
    );
    ports
        .payments
        .insert(plain.clone())
        .await
        .must("insert of a minimal payment");
    assert_stored(ports, &plain.payment, "a minimal payment").await;

    // A new payment has no refunds: an insert of one that has is refused, nothing written.
    let mut with_refunds = fx.open(
        &app,
        "user-3",
        "0.01",
        Channel::Miniapp,
        None,
        PaymentDetails::default(),
    );
    let mut parts = with_refunds.payment.clone().into_parts();
    parts.refunds = refunded.refunds().to_vec();
    with_refunds.payment = Payment::restore(parts);
    let refused = ports.payments.insert(with_refunds.clone()).await;
    assert!(
        matches!(refused, Err(StoreError::Unavailable(_))),
        "contract: insert of a new payment that has refunds must be refused, got {refused:?}"
    );
    assert_eq!(
        ports
            .payments
            .get(with_refunds.payment.id())
            .await
            .must("get after a refused insert"),
        None,
        "contract: a refused insert writes nothing"
    );
}

/// `Duplicate("id")`, `Duplicate("miniapp_order_id")` for Boxo payments of one app, and
/// nothing written by a refused insert.
pub async fn payment_unique_keys(ports: &StorePorts) {
    let fx = Fixture::new("puk", utc(2026, 2, 2));
    let app = fx.stored_app(ports, true).await;
    let other_app = fx.stored_app(ports, false).await;
    let first = fx.stored_payment(ports, &app, "user-1", "10.00").await;

    let mut again = fx.open(
        &app,
        "user-1",
        "10.00",
        Channel::Miniapp,
        None,
        PaymentDetails::default(),
    );
    again.payment = Payment::restore(PaymentParts {
        id: first.payment.id().clone(),
        ..again.payment.into_parts()
    });
    for event in &mut again.events {
        event.payment_id = first.payment.id().to_string();
    }
    again.session.payment_id = first.payment.id().clone();
    assert_eq!(
        ports.payments.insert(again.clone()).await,
        Err(StoreError::Duplicate("id".to_owned())),
        "contract: inserting a payment id twice must fail with Duplicate(\"id\")"
    );
    assert_eq!(
        ports
            .payments
            .find_session(&again.session.token_hash)
            .await
            .must("find_session"),
        None,
        "contract: a refused insert must write nothing (its session was stored)"
    );

    // A failure late in the transaction (the session's token is taken) rolls it all back.
    let mut late = fx.open(
        &app,
        "user-1",
        "3.00",
        Channel::Miniapp,
        None,
        PaymentDetails::default(),
    );
    late.session.token_hash = first.session.token_hash.clone();
    assert!(
        ports.payments.insert(late.clone()).await.is_err(),
        "contract: an insert whose session token hash is taken must fail"
    );
    assert_eq!(
        ports.payments.get(late.payment.id()).await.must("get"),
        None,
        "contract: an insert that failed on its session must not store the payment (one transaction)"
    );
    assert!(
        ports.payments.events(late.payment.id()).await.must("events").is_empty(),
        "contract: an insert that failed on its session must not store its events (one transaction)"
    );

    let order_id = fx.unique("boxo-order-");
    let boxo = fx.open(
        &app,
        "user-1",
        "5.00",
        Channel::Platform,
        Some(&order_id),
        PaymentDetails::default(),
    );
    ports
        .payments
        .insert(boxo.clone())
        .await
        .must("insert of a Boxo payment");
    let clash = fx.open(
        &app,
        "user-2",
        "6.00",
        Channel::Platform,
        Some(&order_id),
        PaymentDetails::default(),
    );
    let pending_before = ports.outbox.depth().await.must("depth").pending;
    assert_eq!(
        ports.payments.insert(clash.clone()).await,
        Err(StoreError::Duplicate("miniapp_order_id".to_owned())),
        "contract: a second Boxo payment of one app with the same miniapp_order_id must fail with Duplicate(\"miniapp_order_id\")"
    );
    assert_eq!(
        ports.payments.get(clash.payment.id()).await.must("get"),
        None,
        "contract: a refused insert must not store the payment"
    );
    assert!(
        ports
            .payments
            .events(clash.payment.id())
            .await
            .must("events")
            .is_empty(),
        "contract: a refused insert must not store its events"
    );
    assert_eq!(
        ports
            .payments
            .find_session(&clash.session.token_hash)
            .await
            .must("find_session"),
        None,
        "contract: a refused insert must not store its session"
    );
    assert_eq!(
        ports.outbox.depth().await.must("depth").pending,
        pending_before,
        "contract: a refused insert must not create deliveries"
    );
    assert_eq!(
        ports
            .payments
            .find_platform_order(&app.id, &order_id)
            .await
            .must("find_platform_order")
            .map(|payment| payment.id().clone()),
        Some(boxo.payment.id().clone()),
        "contract: the first Boxo payment keeps its order id"
    );

    let elsewhere = fx.open(
        &other_app,
        "user-1",
        "5.00",
        Channel::Platform,
        Some(&order_id),
        PaymentDetails::default(),
    );
    ports
        .payments
        .insert(elsewhere)
        .await
        .must("contract: another app may use the same miniapp_order_id");

    let shared = fx.unique("miniapp-order-");
    for user in ["user-1", "user-2"] {
        let write = fx.open(
            &app,
            user,
            "1.00",
            Channel::Miniapp,
            Some(&shared),
            PaymentDetails::default(),
        );
        ports.payments.insert(write).await.must(
            "contract: miniapp-channel payments are not unique by miniapp_order_id (only Boxo ones are)",
        );
    }
}

/// A save whose version moved fails with `Conflict` and writes nothing: not the payment,
/// its events, deliveries, activity history or idempotent response.
pub async fn payment_conditional_save(ports: &StorePorts) {
    let fx = Fixture::new("pcs", utc(2026, 2, 3));
    let app = fx.stored_app(ports, true).await;
    let opened = fx.stored_payment(ports, &app, "user-1", "20.00").await;
    let activity = super::order_activities::stored_activity(
        ports,
        &fx,
        &app,
        "user-1",
        Some(opened.payment.id()),
    )
    .await;

    fx.tick(5);
    let (paid, paid_events) = fx
        .save(ports, &app, approved(&opened.payment, &fx), "save of paid")
        .await;

    // A competitor that loaded version 0 tries to cancel.
    fx.tick(5);
    let stale = opened
        .payment
        .cancel(CancelReason::ByUser, fx.now())
        .must("cancel of the loaded version");
    let mut write = fx.write(&app, stale);
    let cancelled_event = write.events[0].clone();
    let claim = IdempotencyClaim {
        app_id: app.id.clone(),
        key: IdempotencyKey::parse(&fx.unique("key-")).must("a key"),
        fingerprint: "f".repeat(64),
        owner: "test-owner".to_owned(),
    };
    write.idempotent = Some(IdempotentResult {
        claim: claim.clone(),
        response: StoredReply {
            status: 200,
            body: "{}".to_owned(),
        },
    });
    let history_event = ActivityEvent {
        id: hostpay_domain::ids::EventId::generate(fx.ids.as_ref()),
        kind: "payment.cancelled".to_owned(),
        status: OrderActivityStatus::Created,
        created_at: fx.now(),
        changes: None,
    };
    write.activity_events = vec![(activity.id.clone(), history_event)];
    let pending_before = ports.outbox.depth().await.must("depth").pending;
    assert_eq!(
        ports.payments.save(write).await,
        Err(StoreError::Conflict),
        "contract: saving over a version that moved must fail with Conflict"
    );
    assert_stored(
        ports,
        &paid,
        "after a lost race the stored payment is unchanged",
    )
    .await;
    let mut expected_events = opened.events.clone();
    expected_events.extend(paid_events);
    assert_eq!(
        ports.payments.events(paid.id()).await.must("events"),
        expected_events,
        "contract: a save that failed with Conflict must not write its events"
    );
    assert!(
        deliveries_of(ports, &cancelled_event).await.is_empty(),
        "contract: a save that failed with Conflict must not create deliveries"
    );
    assert_eq!(
        ports.outbox.depth().await.must("depth").pending,
        pending_before,
        "contract: a save that failed with Conflict must not create deliveries"
    );
    let history = ports
        .order_activities
        .get_by_order(&app.id, activity.order_id.as_str())
        .await
        .must("get_by_order")
        .must("the linked activity");
    assert_eq!(
        history.events, activity.events,
        "contract: a save that failed with Conflict must not append activity history"
    );
    assert_eq!(
        ports
            .idempotency
            .begin(&claim, fx.now())
            .await
            .must("begin"),
        IdempotencyBegin::Proceed,
        "contract: a save that failed with Conflict must not keep its idempotent response"
    );

    // Skipping a version is refused too.
    fx.tick(1);
    let mut skipping = fx.write(
        &app,
        paid.request_refund(RefundId::generate(fx.ids.as_ref()), None, None, fx.now())
            .must("refund")
            .0,
    );
    skipping.payment = Payment::restore(PaymentParts {
        version: skipping.payment.version() + 1,
        ..skipping.payment.into_parts()
    });
    assert_eq!(
        ports.payments.save(skipping).await,
        Err(StoreError::Conflict),
        "contract: a save must only apply on top of version - 1"
    );
    assert_stored(ports, &paid, "after a refused version jump").await;

    // An unknown payment cannot be saved.
    let ghost = fx.open(
        &app,
        "user-1",
        "1.00",
        Channel::Miniapp,
        None,
        PaymentDetails::default(),
    );
    let transition = approved(&ghost.payment, &fx);
    assert_eq!(
        ports.payments.save(fx.write(&app, transition)).await,
        Err(StoreError::Conflict),
        "contract: saving a payment that was never inserted must fail with Conflict"
    );
}

/// A charge marker (`charging_since`, set by a confirm before it asks the processor)
/// round-trips to the microsecond through a save, and recording the outcome clears it.
pub async fn payment_charge_marker(ports: &StorePorts) {
    let fx = Fixture::new("pcm", utc(2026, 2, 4));
    let app = fx.stored_app(ports, false).await;
    let opened = fx.stored_payment(ports, &app, "user-1", "30.00").await;
    fx.tick(3);
    let marked = opened
        .payment
        .begin_charge(fx.now())
        .must("begin_charge on an in_process payment");
    assert!(marked.events.is_empty());
    let (charging, _) = fx
        .save(ports, &app, marked, "save of a charge marker")
        .await;
    assert_eq!(charging.charging_since(), Some(fx.now()));
    assert_stored(ports, &charging, "a charge marker is stored").await;
    fx.tick(3);
    let (paid, _) = fx
        .save(
            ports,
            &app,
            approved(&charging, &fx),
            "save of the charge's outcome",
        )
        .await;
    assert_eq!(paid.charging_since(), None);
    assert_stored(ports, &paid, "the outcome clears the charge marker").await;
}

/// Events and one delivery per target are written with the change; `events()` is
/// oldest first; the idempotent response is written with the change.
pub async fn payment_events_and_deliveries(ports: &StorePorts) {
    let fx = Fixture::new("ped", utc(2026, 2, 4));
    let app = fx.stored_app(ports, true).await;
    let depth_before = ports.outbox.depth().await.must("depth");
    let opened = fx.stored_payment(ports, &app, "user-1", "30.00").await;
    let created = &opened.events[0];
    assert_eq!(created.targets, [DeliveryTarget::MiniappWebhook]);
    let deliveries = deliveries_of(ports, created).await;
    assert_eq!(
        deliveries.len(),
        1,
        "contract: insert must create one delivery per event target"
    );
    let delivery = &deliveries[0];
    assert_eq!(delivery.target, DeliveryTarget::MiniappWebhook);
    assert_eq!(
        &delivery.event, created,
        "contract: a delivery carries its event exactly"
    );
    assert_eq!(
        delivery.state,
        hostpay_domain::delivery::DeliveryState::Pending
    );
    assert_eq!(delivery.attempts, 0);
    assert_eq!(delivery.last_error, None);
    assert_eq!(delivery.last_status, None);
    assert_eq!(
        delivery.next_attempt_at, created.occurred_at,
        "contract: a new delivery is due when its event occurred"
    );
    assert_eq!(
        delivery.created_at, created.occurred_at,
        "contract: a new delivery is created when its event occurred"
    );
    assert_eq!(
        ports
            .outbox
            .get(&delivery.id)
            .await
            .must("Outbox::get")
            .as_ref(),
        Some(delivery),
        "contract: Outbox::get returns the delivery"
    );

    // An event with two targets gets two deliveries; one with none gets none.
    fx.tick(1);
    let mut write = fx.write(&app, approved(&opened.payment, &fx));
    write.events[0].targets = vec![
        DeliveryTarget::PlatformCompleteOrder,
        DeliveryTarget::MiniappWebhook,
    ];
    let paid_event = write.events[0].clone();
    let paid = write.payment.clone();
    let claim = IdempotencyClaim {
        app_id: app.id.clone(),
        key: IdempotencyKey::parse(&fx.unique("key-")).must("a key"),
        fingerprint: "a".repeat(64),
        owner: "test-owner".to_owned(),
    };
    assert_eq!(
        ports
            .idempotency
            .begin(&claim, fx.now())
            .await
            .must("begin"),
        IdempotencyBegin::Proceed
    );
    let response = StoredReply {
        status: 201,
        body: "{\"amount\":\"30.00\",\"note\":\"ü\"}".to_owned(),
    };
    write.idempotent = Some(IdempotentResult {
        claim: claim.clone(),
        response: response.clone(),
    });
    ports.payments.save(write).await.must("save of paid");
    let mut targets: Vec<DeliveryTarget> = deliveries_of(ports, &paid_event)
        .await
        .iter()
        .map(|delivery| delivery.target)
        .collect();
    targets.sort_by_key(|target| *target != DeliveryTarget::PlatformCompleteOrder);
    assert_eq!(
        targets,
        [
            DeliveryTarget::PlatformCompleteOrder,
            DeliveryTarget::MiniappWebhook
        ],
        "contract: save must create exactly one delivery per event target"
    );
    assert_eq!(
        ports
            .idempotency
            .begin(&claim, fx.now())
            .await
            .must("begin"),
        IdempotencyBegin::Replay(response),
        "contract: the idempotent response is written with the change"
    );

    fx.tick(1);
    let (transition, refund_id) = refund(&paid, &fx, "30.00", None);
    let mut write = fx.write(&app, transition);
    write.events[0].targets.clear();
    let silent = write.events[0].clone();
    let reserved = write.payment.clone();
    ports.payments.save(write).await.must("save of a refund");
    assert!(
        deliveries_of(ports, &silent).await.is_empty(),
        "contract: an event without targets gets no delivery"
    );

    // A full refund emits two events at one instant: their order is kept.
    fx.tick(1);
    let transition = reserved
        .record_refund(&refund_id, Ok(()), fx.now())
        .must("record_refund");
    let (_, last_events) = fx
        .save(ports, &app, transition, "save of the refund outcome")
        .await;
    let kinds: Vec<EventKind> = last_events.iter().map(|event| event.kind).collect();
    assert_eq!(
        kinds,
        [EventKind::RefundSucceeded, EventKind::PaymentRefunded]
    );

    let mut expected: Vec<DomainEvent> = opened.events.clone();
    expected.push(paid_event);
    expected.push(silent);
    expected.extend(last_events);
    assert_eq!(
        ports.payments.events(paid.id()).await.must("events"),
        expected,
        "contract: events() returns every event of the payment exactly, oldest first"
    );
    let depth_after = ports.outbox.depth().await.must("depth");
    assert_eq!(
        depth_after.pending - depth_before.pending,
        1 + 2 + 2,
        "contract: depth counts the pending deliveries (created: 1, paid: 2, refund.succeeded and payment.refunded: 1 each)"
    );
}

/// Sessions: the first one is stored with the payment; more can be added; token hashes
/// are unique.
pub async fn payment_sessions(ports: &StorePorts) {
    let fx = Fixture::new("pse", utc(2026, 2, 5));
    let app = fx.stored_app(ports, false).await;
    let opened = fx.stored_payment(ports, &app, "user-1", "1.00").await;
    assert_eq!(
        ports
            .payments
            .find_session(&opened.session.token_hash)
            .await
            .must("find_session"),
        Some(opened.session.clone()),
        "contract: insert stores the payment's first session"
    );
    fx.tick(30);
    let mut second = opened.session.clone();
    second.token_hash = fx.hash();
    second.created_at = fx.now();
    ports
        .payments
        .add_session(&second)
        .await
        .must("add_session");
    assert_eq!(
        ports
            .payments
            .find_session(&second.token_hash)
            .await
            .must("find_session"),
        Some(second.clone()),
        "contract: add_session round-trips"
    );
    assert_eq!(
        ports.payments.add_session(&second).await,
        Err(StoreError::Duplicate("token".to_owned())),
        "contract: a session token hash is unique: Duplicate(\"token\")"
    );
    assert_eq!(
        ports
            .payments
            .find_session(&fx.hash())
            .await
            .must("find_session"),
        None,
        "contract: find_session of an unknown token is None"
    );
}

fn mine(ids: Vec<PaymentId>, expected: &BTreeSet<PaymentId>) -> Vec<PaymentId> {
    ids.into_iter().filter(|id| expected.contains(id)).collect()
}

/// `expired_in_process`: in_process payments whose session ended at or before `now`,
/// oldest first, at most `limit`.
pub async fn expired_in_process(ports: &StorePorts) {
    let fx = Fixture::new("exp", utc(1920, 1, 1));
    let t0 = fx.now();
    let app = fx.stored_app(ports, false).await;
    let a = fx
        .stored_payment(ports, &app, "user-1", "1.00")
        .await
        .payment;
    fx.tick(10);
    let b = fx
        .stored_payment(ports, &app, "user-1", "1.00")
        .await
        .payment;
    fx.tick(10);
    let c = fx
        .stored_payment(ports, &app, "user-1", "1.00")
        .await
        .payment;
    fx.tick(10);
    let d = fx
        .stored_payment(ports, &app, "user-1", "1.00")
        .await
        .payment;
    let (c_paid, _) = fx
        .save(ports, &app, approved(&c, &fx), "save of paid")
        .await;
    let all: BTreeSet<PaymentId> = [&a, &b, &c, &d].iter().map(|p| p.id().clone()).collect();
    let expired = |now, limit| {
        let ports = ports.clone();
        async move {
            ports
                .payments
                .expired_in_process(now, limit)
                .await
                .must("expired_in_process")
        }
    };
    let ttl = fx.ttl;
    assert!(
        mine(expired(t0 + ttl - super::fixture::secs(1), 100).await, &all).is_empty(),
        "contract: no payment is expired before its session ends"
    );
    assert_eq!(
        mine(expired(t0 + ttl + super::fixture::secs(10), 100).await, &all),
        [a.id().clone(), b.id().clone()],
        "contract: expired_in_process includes sessions that ended exactly at now, oldest first, and never settled payments"
    );
    assert_eq!(
        mine(
            expired(t0 + ttl + super::fixture::secs(100), 100).await,
            &all
        ),
        [a.id().clone(), b.id().clone(), d.id().clone()],
        "contract: expired_in_process lists every expired in_process payment, oldest first"
    );
    assert_eq!(
        mine(expired(t0 + ttl + super::fixture::secs(100), 2).await, &all),
        [a.id().clone(), b.id().clone()],
        "contract: expired_in_process returns at most limit ids"
    );
    // Leave nothing expired behind for other checks.
    fx.set(t0 + ttl + super::fixture::secs(200));
    for payment in [&a, &b, &d] {
        let transition = payment
            .cancel(CancelReason::Expired, fx.now())
            .must("expire");
        fx.save(ports, &app, transition, "save of an expiry").await;
    }
    assert!(
        mine(expired(fx.now(), 100).await, &all).is_empty(),
        "contract: cancelled payments are no longer listed as expired"
    );
    assert_eq!(
        stored(ports, c_paid.id()).await.status(),
        PaymentStatus::Paid
    );
}

/// `due_refunds`: pending refunds whose next attempt is due at `now`, soonest first, at
/// most `limit`; a deferred refund waits its backoff; settled refunds are never due.
pub async fn due_refunds(ports: &StorePorts) {
    let fx = Fixture::new("spr", utc(1921, 1, 1));
    let app = fx.stored_app(ports, false).await;
    let opened = fx.stored_payment(ports, &app, "user-1", "100.00").await;
    fx.tick(1);
    let (paid, _) = fx
        .save(ports, &app, approved(&opened.payment, &fx), "save of paid")
        .await;
    let t1 = fx.tick(10);
    let (transition, r1) = refund(&paid, &fx, "10.00", None);
    let (payment, _) = fx.save(ports, &app, transition, "save of refund 1").await;
    fx.tick(10);
    let (transition, r2) = refund(&payment, &fx, "10.00", None);
    let (payment, _) = fx.save(ports, &app, transition, "save of refund 2").await;
    fx.tick(10);
    let (transition, r3) = refund(&payment, &fx, "10.00", None);
    let (payment, _) = fx.save(ports, &app, transition, "save of refund 3").await;
    let transition = payment
        .record_refund(&r3, Ok(()), fx.now())
        .must("record_refund");
    let (payment, _) = fx
        .save(ports, &app, transition, "save of refund 3's outcome")
        .await;

    let id = paid.id().clone();
    let due = |now, limit| {
        let ports = ports.clone();
        let id = id.clone();
        async move {
            ports
                .payments
                .due_refunds(now, limit)
                .await
                .must("due_refunds")
                .into_iter()
                .filter(|(payment, _)| *payment == id)
                .collect::<Vec<_>>()
        }
    };
    let s = super::fixture::secs;
    let first_retry = REFUND_RETRY_AFTER.num_seconds();
    assert!(
        due(t1 + s(first_retry - 1), 100).await.is_empty(),
        "contract: a new pending refund is first due REFUND_RETRY_AFTER after it was asked"
    );
    assert_eq!(
        due(t1 + s(first_retry + 5), 100).await,
        [(id.clone(), r1.clone())],
        "contract: due_refunds includes refunds due at or before `now`"
    );
    assert_eq!(
        due(t1 + s(first_retry + 100), 100).await,
        [(id.clone(), r1.clone()), (id.clone(), r2.clone())],
        "contract: due_refunds lists pending refunds only, soonest due first"
    );
    assert_eq!(
        due(t1 + s(first_retry + 100), 1).await,
        [(id.clone(), r1.clone())],
        "contract: due_refunds returns at most limit pairs"
    );
    // No answer again for r1: deferred by the backoff, it now comes after r2.
    fx.set(t1 + s(first_retry + 100));
    let transition = payment.defer_refund(&r1, fx.now()).must("defer_refund");
    let (payment, _) = fx.save(ports, &app, transition, "save of a deferral").await;
    assert_eq!(
        due(fx.now(), 100).await,
        [(id.clone(), r2.clone())],
        "contract: a deferred refund is not due until its backoff has passed"
    );
    assert_eq!(
        due(fx.now() + backoff(1), 1).await,
        [(id.clone(), r2.clone())],
        "contract: the refund that waited longest is due first"
    );
    // An outcome recorded later takes r1 out; r2 stays due.
    let transition = payment
        .record_refund(&r1, Err("declined".to_owned()), fx.now())
        .must("record_refund");
    let (payment, _) = fx
        .save(ports, &app, transition, "save of refund 1's outcome")
        .await;
    assert_eq!(
        due(t1 + s(3600 * 2), 100).await,
        [(id.clone(), r2.clone())],
        "contract: settled refunds are not due"
    );
    let transition = payment
        .record_refund(&r2, Ok(()), fx.now())
        .must("record_refund");
    fx.save(ports, &app, transition, "save of refund 2's outcome")
        .await;
    assert!(due(t1 + s(3600 * 2), 100).await.is_empty());
}

async fn list_records(
    ports: &StorePorts,
    app: &hostpay_domain::ids::AppId,
    user: &str,
    request: &PageRequest,
) -> hostpay_domain::page::Page<hostpay_domain::ports::PaymentRecord> {
    ports
        .payments
        .list_for_user(app, user, request)
        .await
        .must("PaymentRepository::list_for_user")
}

async fn list_page(
    ports: &StorePorts,
    app: &hostpay_domain::ids::AppId,
    user: &str,
    request: &PageRequest,
) -> hostpay_domain::page::Page<Payment> {
    let page = list_records(ports, app, user, request).await;
    hostpay_domain::page::Page {
        items: page
            .items
            .into_iter()
            .map(|record| record.payment)
            .collect(),
        next_cursor: page.next_cursor,
        has_more: page.has_more,
    }
}

/// `list_for_user`: the app's payments of one user, newest first by `(created_at, id)`,
/// every page once, stable while payments are added between pages.
pub async fn payment_pagination(ports: &StorePorts) {
    let fx = Fixture::new("ppg", utc(2026, 3, 1));
    let app = fx.stored_app(ports, false).await;
    let other_app = fx.stored_app(ports, false).await;
    let mut expected = Vec::new();
    for index in 0..23 {
        // Every three share one instant: the id breaks the tie.
        if index % 3 == 0 {
            fx.tick(1);
        }
        let written = fx.stored_payment(ports, &app, "user-1", "1.00").await;
        expected.push(written.payment);
        fx.stored_payment(ports, &app, "user-2", "1.00").await;
        if index % 5 == 0 {
            fx.stored_payment(ports, &other_app, "user-1", "1.00").await;
        }
    }
    // One of them has a refund: lists carry whole payments.
    fx.tick(1);
    let first = expected[0].clone();
    let (paid, _) = fx
        .save(ports, &app, approved(&first, &fx), "save of paid")
        .await;
    let (transition, _) = refund(&paid, &fx, "0.50", None);
    let (with_refund, _) = fx.save(ports, &app, transition, "save of a refund").await;
    expected[0] = with_refund;
    expected.sort_by(|a, b| (b.created_at(), b.id()).cmp(&(a.created_at(), a.id())));

    let limit = 5;
    let mut seen: Vec<Payment> = Vec::new();
    let mut request = PageRequest::first(limit);
    let mut pages = 0;
    loop {
        let page = list_page(ports, &app.id, "user-1", &request).await;
        pages += 1;
        let next = next_page("payments list_for_user", &page, limit);
        seen.extend(page.items);
        let Some(next) = next else { break };
        request = next;
        // Newer payments arriving meanwhile must not shift the pages.
        fx.tick(1);
        fx.stored_payment(ports, &app, "user-1", "2.00").await;
    }
    assert_eq!(pages, 5, "contract: 23 payments at 5 a page make 5 pages");
    let seen_ids: Vec<&PaymentId> = seen.iter().map(|p| p.id()).collect();
    let expected_ids: Vec<&PaymentId> = expected.iter().map(|p| p.id()).collect();
    assert_eq!(
        seen_ids, expected_ids,
        "contract: walking every page yields each payment of the app's user exactly once, newest first by (created_at, id), unaffected by inserts between pages"
    );
    assert_eq!(
        seen, expected,
        "contract: listed payments are whole (refunds included) and exact"
    );

    // A fresh walk sees the new ones first; an exact multiple ends without a cursor.
    let total = 23 + 4;
    let whole = list_page(ports, &app.id, "user-1", &PageRequest::first(total)).await;
    assert_eq!(whole.items.len(), total as usize);
    assert!(
        !whole.has_more && whole.next_cursor.is_none(),
        "contract: a page holding the last item has has_more false and no cursor"
    );
    let positions: Vec<_> = whole
        .items
        .iter()
        .map(|p| (p.created_at(), p.id().to_string()))
        .collect();
    assert_newest_first("payments list_for_user", &positions);
    assert!(
        whole
            .items
            .iter()
            .all(|p| *p.app_id() == app.id && p.user_id().as_str() == "user-1"),
        "contract: list_for_user lists only the app's payments of that user"
    );
    let empty = list_page(ports, &app.id, "nobody", &PageRequest::first(10)).await;
    assert!(empty.items.is_empty() && !empty.has_more && empty.next_cursor.is_none());
}

/// The reads that show payments: `read` returns a payment whole with its events (oldest
/// first), `list_for_user` each payment of the page with its own events; `get_many`
/// returns those payments whole (with refunds); unknown ids add nothing, no ids read nothing.
pub async fn payment_batch_reads(ports: &StorePorts) {
    let fx = Fixture::new("pbr", utc(2026, 2, 6));
    let app = fx.stored_app(ports, true).await;
    let first = fx.stored_payment(ports, &app, "user-1", "20.00").await;
    fx.tick(1);
    let second = fx.stored_payment(ports, &app, "user-1", "5.00").await;
    fx.tick(1);
    let other = fx.stored_payment(ports, &app, "user-2", "7.00").await;
    fx.tick(1);
    let (paid, _) = fx
        .save(ports, &app, approved(&first.payment, &fx), "save of paid")
        .await;
    fx.tick(1);
    let (transition, _) = refund(&paid, &fx, "2.00", Some("one cup"));
    fx.save(ports, &app, transition, "save of a refund").await;
    fx.tick(1);
    let (other_paid, _) = fx
        .save(ports, &app, approved(&other.payment, &fx), "save of paid")
        .await;
    let unknown = PaymentId::generate(Fixture::new("pbu", utc(2026, 2, 6)).ids.as_ref());

    let mut wanted = vec![first.payment.id().clone(), second.payment.id().clone()];
    wanted.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    let mut expected: Vec<Vec<DomainEvent>> = Vec::new();
    for id in &wanted {
        expected.push(ports.payments.events(id).await.must("events"));
    }
    assert_eq!(
        expected.iter().map(Vec::len).collect::<Vec<_>>(),
        wanted
            .iter()
            .map(|id| if id == first.payment.id() {
                first.events.len() + 2
            } else {
                second.events.len()
            })
            .collect::<Vec<_>>(),
        "contract: the payments under test have the events they were saved with"
    );
    // `read`: the payment whole (as `get`) with its events (as `events`), in one call.
    for (id, events) in wanted.iter().zip(&expected) {
        let record = ports
            .payments
            .read(id)
            .await
            .must("read")
            .must("read of a stored payment");
        assert_eq!(
            record.payment,
            stored(ports, id).await,
            "contract: read returns the payment whole (with its refunds), as get does"
        );
        assert_eq!(
            &record.events, events,
            "contract: read returns the payment's events, oldest first, as events does"
        );
    }
    assert!(
        ports.payments.read(&unknown).await.must("read").is_none(),
        "contract: read of an unknown id is none"
    );
    // `list_for_user`: each listed payment with its own events, none of another's.
    let listed = list_records(ports, &app.id, "user-1", &PageRequest::first(10)).await;
    assert_eq!(listed.items.len(), 2, "contract: user-1 has two payments");
    for record in &listed.items {
        let position = wanted
            .iter()
            .position(|id| id == record.payment.id())
            .must("a listed payment of user-1");
        assert_eq!(
            record.events, expected[position],
            "contract: list_for_user returns each payment with its events, oldest first, as events does"
        );
        assert!(
            record
                .events
                .iter()
                .all(|event| event.payment_id == record.payment.id().as_str()),
            "contract: list_for_user never gives a payment another payment's events"
        );
    }
    let others = list_records(ports, &app.id, "user-2", &PageRequest::first(10)).await;
    assert_eq!(
        others
            .items
            .iter()
            .map(|record| (&record.payment, record.events.clone()))
            .collect::<Vec<_>>(),
        vec![(
            &other_paid,
            ports.payments.events(other_paid.id()).await.must("events")
        )],
        "contract: list_for_user of user-2 is its one payment with its events"
    );

    let mut expected_payments = Vec::new();
    for id in &wanted {
        expected_payments.push(stored(ports, id).await);
    }
    assert_eq!(
        expected_payments
            .iter()
            .map(|payment| payment.refunds().len())
            .sum::<usize>(),
        1,
        "contract: the refund under test is stored"
    );
    let mut got = ports
        .payments
        .get_many(&[
            first.payment.id().clone(),
            unknown.clone(),
            second.payment.id().clone(),
            first.payment.id().clone(),
        ])
        .await
        .must("get_many");
    got.sort_by(|a, b| a.id().as_str().cmp(b.id().as_str()));
    assert_eq!(
        got, expected_payments,
        "contract: get_many returns each known payment once, whole (with its refunds), as get does"
    );
    assert!(
        ports
            .payments
            .get_many(&[])
            .await
            .must("get_many of nothing")
            .is_empty(),
        "contract: get_many of no ids is empty"
    );
    assert!(
        ports
            .payments
            .get_many(&[unknown])
            .await
            .must("get_many of an unknown id")
            .is_empty(),
        "contract: get_many leaves unknown ids out"
    );
}
