//! Background work that cannot starve: every pending refund and every charge in flight
//! keeps its own next-attempt time with backoff; a sweep takes only what is due, so items
//! the processor cannot answer never hold back others.

use std::sync::Arc;

use chrono::Duration;
use hostpay_domain::ids::PaymentId;
use hostpay_domain::payment::{PaymentStatus, RefundStatus, CHARGE_RECONCILE_AFTER};
use hostpay_testkit::app::{Backend, Harness};
use hostpay_testkit::faults::{ChargeMode, ScriptedProcessor};
use serde_json::json;

async fn harness(processor: Arc<ScriptedProcessor>) -> Harness {
    Harness::start_custom(
        Backend::Memory,
        Some(hostpay_testkit::app::ADMIN_TOKEN),
        move |ports| {
            ports.processor = processor;
        },
    )
    .await
}

fn pid(id: &str) -> PaymentId {
    PaymentId::parse(id).unwrap()
}

#[actix_web::test]
async fn the_101st_pending_refund_is_retried_although_the_first_100_keep_failing() {
    let processor = Arc::new(ScriptedProcessor::new());
    let h = harness(processor.clone()).await;
    let a = h.register_app("Pizza").await;
    // 101 refunds the wallet does not answer: all stay pending, oldest first.
    processor.leave_all_refunds_unanswered(true);
    let mut payments = Vec::new();
    for index in 0..101 {
        let (id, _) = h.paid_payment(&a, "user-1", "5.00").await;
        let refund = h.refund(&a, &id, json!({})).await;
        refund.assert_ok(201);
        assert_eq!(refund.data()["status"], "pending", "refund {index}");
        payments.push(id);
        h.handles.clock.advance(Duration::milliseconds(10));
    }
    let refund_of = |payment: &str| {
        let payment = payment.to_owned();
        let services = h.services.clone();
        async move {
            services
                .payments
                .get(&pid(&payment))
                .await
                .unwrap()
                .refunds()[0]
                .clone()
        }
    };
    // From now on the wallet answers every refund but the first 100.
    let mut stuck = Vec::new();
    for payment in &payments[..100] {
        stuck.push(refund_of(payment).await.id);
    }
    processor.leave_all_refunds_unanswered(false);
    processor.leave_refunds_unanswered(stuck);

    // Cycle 1 takes the 100 oldest due (all fail, each deferred by its backoff).
    h.handles.clock.advance(Duration::seconds(61));
    assert_eq!(
        h.services
            .payments
            .retry_pending_refunds(100)
            .await
            .unwrap(),
        0
    );
    // Cycle 2 (one worker period later) reaches the 101st.
    h.handles.clock.advance(Duration::seconds(10));
    assert_eq!(
        h.services
            .payments
            .retry_pending_refunds(100)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        refund_of(&payments[100]).await.status,
        RefundStatus::Succeeded
    );
    for payment in &payments[..100] {
        let refund = refund_of(payment).await;
        assert_eq!(refund.status, RefundStatus::Pending);
        assert_eq!(refund.attempts, 1, "each stuck refund was asked again once");
    }
}

#[actix_web::test]
async fn unanswerable_charges_do_not_delay_an_unrelated_expiry() {
    let processor = Arc::new(ScriptedProcessor::new());
    let h = harness(processor.clone()).await;
    let a = h.register_app("Pizza").await;
    // 100 charges the processor never answers: each stays marked `in_process`.
    processor.set_charges(ChargeMode::NoAnswer);
    let mut stale = Vec::new();
    for _ in 0..100 {
        let (id, grant) = h.new_payment(&a, "user-1", "5.00").await;
        h.confirm(&id, &grant, None)
            .await
            .assert_error(502, "PROCESSOR_UNAVAILABLE");
        stale.push(id);
    }
    let (unrelated, _) = h.new_session(&a, "user-2", "7.00").await;
    let charges_before = processor.charges().len();
    assert_eq!(charges_before, 100);

    // Every session is over: the expiry sweep cancels the unrelated payment at once and
    // never waits on the processor for the stale charges.
    h.handles.clock.advance(Duration::minutes(16));
    assert_eq!(h.services.payments.expire_due(100).await.unwrap(), 1);
    assert_eq!(processor.charges().len(), charges_before);
    let status = h
        .services
        .payments
        .get(&pid(&unrelated))
        .await
        .unwrap()
        .status();
    assert_eq!(status, PaymentStatus::Cancelled);
    for id in &stale {
        let payment = h.services.payments.get(&pid(id)).await.unwrap();
        assert_eq!(payment.status(), PaymentStatus::InProcess);
        assert!(payment.charging_since().is_some());
    }

    // The charge check asks each once (with the same idempotency key) and defers it; the
    // next cycle asks none of them again before their backoff.
    assert_eq!(h.services.payments.check_charges(100).await.unwrap(), 0);
    assert_eq!(processor.charges().len(), 200);
    assert_eq!(h.services.payments.check_charges(100).await.unwrap(), 0);
    assert_eq!(processor.charges().len(), 200);
    // Once the processor answers, the next due check records every charge.
    processor.set_charges(ChargeMode::Approve);
    h.handles.clock.advance(Duration::hours(1));
    assert_eq!(h.services.payments.check_charges(100).await.unwrap(), 100);
    for id in &stale {
        let payment = h.services.payments.get(&pid(id)).await.unwrap();
        assert_eq!(
            payment.status(),
            PaymentStatus::Paid,
            "charge of {id} recorded"
        );
    }
}

#[actix_web::test]
async fn a_charge_without_an_answer_is_checked_two_minutes_after_it_started_whatever_the_session() {
    let processor = Arc::new(ScriptedProcessor::new());
    let h = harness(processor.clone()).await;
    let a = h.register_app("Pizza").await;
    processor.set_charges(ChargeMode::NoAnswer);
    let (id, grant) = h.new_payment(&a, "user-1", "5.00").await;
    h.confirm(&id, &grant, None)
        .await
        .assert_error(502, "PROCESSOR_UNAVAILABLE");
    processor.set_charges(ChargeMode::Approve);
    h.handles
        .clock
        .advance(CHARGE_RECONCILE_AFTER - Duration::seconds(1));
    assert_eq!(h.services.payments.check_charges(10).await.unwrap(), 0);
    assert_eq!(processor.charges().len(), 1, "not asked before two minutes");
    // The session (15 min) is far from over, yet the charge is reconciled.
    h.handles.clock.advance(Duration::seconds(1));
    assert_eq!(h.services.payments.check_charges(10).await.unwrap(), 1);
    let charges = processor.charges();
    assert_eq!(charges.len(), 2);
    assert_eq!(charges[1].payment_id, charges[0].payment_id, "same key");
    let payment = h.services.payments.get(&pid(&id)).await.unwrap();
    assert_eq!(payment.status(), PaymentStatus::Paid);
}
