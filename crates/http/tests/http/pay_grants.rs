//! Who can move money (api.md section 5): only a pay grant the host mints for the
//! payment's own user can confirm; the session token a miniapp holds can view and cancel,
//! never pay. And no approved charge is ever dropped: a settle while a charge is in
//! flight is refused, and a charge that cannot be recorded is reversed.

use std::sync::Arc;

use actix_web::test::TestRequest;
use chrono::Duration;
use hostpay_domain::payment::PaymentStatus;
use hostpay_domain::ports::StoreError;
use hostpay_testkit::app::{Backend, Harness};
use hostpay_testkit::faults::{ChargeMode, FaultyPayments, ScriptedProcessor};
use serde_json::json;

async fn harness_with(processor: Arc<ScriptedProcessor>, backend: Backend) -> Harness {
    Harness::start_custom(
        backend,
        Some(hostpay_testkit::app::ADMIN_TOKEN),
        move |ports| {
            ports.processor = processor;
        },
    )
    .await
}

async fn status_of(h: &Harness, id: &str) -> PaymentStatus {
    let id = hostpay_domain::ids::PaymentId::parse(id).unwrap();
    h.services.payments.get(&id).await.unwrap().status()
}

async fn page(h: &Harness, id: &str, query: &str) -> hostpay_testkit::app::Resp {
    h.public(TestRequest::get().uri(&format!("/checkout/{id}?{query}")))
        .await
}

async fn a_session_token_can_view_and_cancel_but_never_pay(backend: Backend) {
    let processor = Arc::new(ScriptedProcessor::new());
    let h = harness_with(processor.clone(), backend).await;
    let a = h.register_app("Pizza").await;
    let (id, session) = h.new_session(&a, "victim-user-7", "499.00").await;

    let refused = h.confirm(&id, &session, None).await;
    refused.assert_error(403, "FORBIDDEN");
    assert_eq!(status_of(&h, &id).await, PaymentStatus::InProcess);
    assert!(
        processor.charges().is_empty(),
        "a session token must never reach the processor"
    );
    // Nor through the sheet's no-JavaScript form.
    let form = h
        .public(
            TestRequest::post()
                .uri(&format!("/checkout/{id}?session={session}"))
                .set_form([("action", "pay")]),
        )
        .await;
    assert_eq!(form.status, 403, "{}", form.text);
    assert!(processor.charges().is_empty());

    // The sheet a session opens is read-only: no Pay button.
    let read_only = page(&h, &id, &format!("session={session}")).await;
    assert_eq!(read_only.status, 200);
    assert!(read_only.text.contains("499.00"));
    assert!(
        !read_only.text.contains(r#"id="pay""#),
        "{}",
        read_only.text
    );
    assert!(read_only.text.contains(r#"id="read-only""#));

    // It can cancel.
    let cancelled = h
        .public(
            TestRequest::post()
                .uri(&format!("/checkout/{id}/cancel"))
                .insert_header(("Authorization", format!("Bearer {session}"))),
        )
        .await;
    cancelled.assert_ok(200);
    assert_eq!(cancelled.data()["status"], "cancelled");
    assert!(processor.charges().is_empty());
}

#[actix_web::test]
async fn a_session_token_can_view_and_cancel_but_never_pay_memory() {
    a_session_token_can_view_and_cancel_but_never_pay(Backend::Memory).await;
}

#[actix_web::test]
async fn a_session_token_can_view_and_cancel_but_never_pay_sqlite() {
    a_session_token_can_view_and_cancel_but_never_pay(Backend::Sqlite).await;
}

#[actix_web::test]
async fn a_session_token_can_view_and_cancel_but_never_pay_postgres() {
    a_session_token_can_view_and_cancel_but_never_pay(Backend::Postgres).await;
}

async fn a_grant_pays_its_own_payment_only(backend: Backend) {
    let processor = Arc::new(ScriptedProcessor::new());
    let h = harness_with(processor.clone(), backend).await;
    let a = h.register_app("Pizza").await;
    let (first, _) = h.new_session(&a, "user-1", "10.00").await;
    let (second, _) = h.new_session(&a, "user-1", "20.00").await;

    // Another user's payment: not found (never reveal it).
    h.grant(&first, "user-2")
        .await
        .assert_error(404, "NOT_FOUND");
    h.grant("pay_unknown", "user-1")
        .await
        .assert_error(404, "NOT_FOUND");
    h.grant(&first, "")
        .await
        .assert_error(400, "INVALID_REQUEST");

    let minted = h.grant(&first, "user-1").await;
    minted.assert_ok(201);
    let grant = minted.data()["grant"].as_str().unwrap().to_owned();
    assert!(grant.starts_with("pg_"));
    assert!(minted.data()["checkout_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/checkout/{first}?grant={grant}")));

    // The full sheet, with Pay.
    let sheet = page(&h, &first, &format!("grant={grant}")).await;
    assert_eq!(sheet.status, 200);
    assert!(sheet.text.contains(r#"id="pay""#), "{}", sheet.text);
    assert!(sheet.text.contains(r#"id="cancel""#));

    // Payment A's grant cannot pay B.
    h.confirm(&second, &grant, None)
        .await
        .assert_error(401, "UNAUTHENTICATED");
    assert_eq!(status_of(&h, &second).await, PaymentStatus::InProcess);
    assert!(processor.charges().is_empty());

    let paid = h.confirm(&first, &grant, None).await;
    paid.assert_ok(200);
    assert_eq!(paid.data()["status"], "paid");
    let charges = processor.charges();
    assert_eq!(charges.len(), 1);
    assert_eq!(charges[0].user_id, "user-1");
    assert_eq!(charges[0].amount.to_string(), "10.00");

    // No grant for a payment that is no longer in_process.
    h.grant(&first, "user-1")
        .await
        .assert_error(409, "INVALID_STATE");
    // Confirming again never charges twice.
    h.confirm(&first, &grant, None)
        .await
        .assert_error(409, "INVALID_STATE");
    assert_eq!(processor.charges().len(), 1);
}

#[actix_web::test]
async fn a_grant_pays_its_own_payment_only_memory() {
    a_grant_pays_its_own_payment_only(Backend::Memory).await;
}

#[actix_web::test]
async fn a_grant_pays_its_own_payment_only_sqlite() {
    a_grant_pays_its_own_payment_only(Backend::Sqlite).await;
}

#[actix_web::test]
async fn a_grant_pays_its_own_payment_only_postgres() {
    a_grant_pays_its_own_payment_only(Backend::Postgres).await;
}

#[actix_web::test]
async fn a_grant_expires_after_five_minutes_and_never_outlives_the_session() {
    let processor = Arc::new(ScriptedProcessor::new());
    let h = harness_with(processor.clone(), Backend::Memory).await;
    let a = h.register_app("Pizza").await;
    let (id, grant) = h.new_payment(&a, "user-1", "10.00").await;
    h.handles.clock.advance(Duration::seconds(301));
    h.confirm(&id, &grant, None)
        .await
        .assert_error(401, "UNAUTHENTICATED");
    assert!(processor.charges().is_empty());
    assert_eq!(status_of(&h, &id).await, PaymentStatus::InProcess);

    // 12 minutes into a 15-minute session: the grant ends with the session.
    h.handles.clock.advance(Duration::seconds(12 * 60 - 301));
    let minted = h.grant(&id, "user-1").await;
    minted.assert_ok(201);
    let expires: chrono::DateTime<chrono::Utc> = minted.data()["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let created = h.get_payment(&a, &id).await;
    let session_end: chrono::DateTime<chrono::Utc> = created.data()["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(expires, session_end);

    // After the session: no grant at all.
    h.handles.clock.advance(Duration::minutes(4));
    h.grant(&id, "user-1")
        .await
        .assert_error(409, "INVALID_STATE");
}

/// A wallet that takes its time: a host settle while the charge is in flight is 409
/// CHARGE_IN_PROGRESS, and the charge, once approved, is recorded.
#[actix_web::test]
async fn a_settle_during_a_slow_charge_is_refused_and_the_charge_recorded() {
    let processor = Arc::new(ScriptedProcessor::new());
    processor.set_charges(ChargeMode::Held);
    let h = harness_with(processor.clone(), Backend::Memory).await;
    let a = h.register_app("Pizza").await;
    let (id, grant) = h.new_payment(&a, "user-1", "80.00").await;
    let settle = |status: &'static str| {
        h.admin(
            TestRequest::post()
                .uri(&format!("/internal/v1/payments/{id}/settle"))
                .set_json(json!({ "status": status })),
        )
    };
    let interfere = async {
        processor.charge_started().await;
        for status in ["cancelled", "paid", "failed"] {
            let refused = settle(status).await;
            refused.assert_error(409, "CHARGE_IN_PROGRESS");
            assert_eq!(refused.data()["status"], "in_process");
        }
        processor.release_charge();
    };
    let (confirmed, ()) = futures::join!(h.confirm(&id, &grant, None), interfere);
    confirmed.assert_ok(200);
    assert_eq!(confirmed.data()["status"], "paid");
    // The money is refundable: it was recorded.
    h.refund(&a, &id, json!({})).await.assert_ok(201);
    // After the charge, settle answers the ordinary 409.
    settle("cancelled").await.assert_error(409, "INVALID_STATE");
}

/// The store refuses to record an approved charge for good: the charge is refunded
/// through the processor at once under its own idempotency key, the payment fails with
/// `payment.charge_reversed`, and the client gets a 409 with the payment, not a 5xx.
async fn an_approved_charge_that_cannot_be_recorded_is_reversed(backend: Backend) {
    let processor = Arc::new(ScriptedProcessor::new());
    processor.leave_all_refunds_unanswered(true);
    let p = processor.clone();
    let h = Harness::start_custom(
        backend,
        Some(hostpay_testkit::app::ADMIN_TOKEN),
        move |ports| {
            ports.processor = p;
            ports.payments = Arc::new(FaultyPayments::new(ports.payments.clone(), |write| {
                (write.payment.status() == PaymentStatus::Paid).then_some(StoreError::Conflict)
            }));
        },
    )
    .await;
    let a = h.register_app("Pizza").await;
    let (id, grant) = h.new_payment(&a, "user-1", "80.00").await;
    let answer = h.confirm(&id, &grant, None).await;
    answer.assert_error(409, "INVALID_STATE");
    assert_eq!(answer.data()["status"], "failed");
    assert_eq!(processor.charges().len(), 1);

    // The reversal was asked at once (the wallet did not answer), with its own key.
    let refunds = processor.refunds();
    assert_eq!(refunds.len(), 1, "the reversal is asked at once");
    assert_eq!(refunds[0].payment_id.as_str(), id);
    assert_eq!(refunds[0].amount.to_string(), "80.00");
    assert_ne!(refunds[0].refund_id.as_str(), id);
    let payment_id = hostpay_domain::ids::PaymentId::parse(&id).unwrap();
    let reversals = h.ports.payments.reversals(&payment_id).await.unwrap();
    assert_eq!(reversals.len(), 1);
    assert_eq!(reversals[0].id, refunds[0].refund_id);

    let read = h.get_payment(&a, &id).await;
    let kinds: Vec<&str> = read.data()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"payment.charge_reversed"), "{kinds:?}");
    assert_eq!(read.data()["status"], "failed");

    // Retried until the processor accepts, with the same key.
    processor.leave_all_refunds_unanswered(false);
    h.handles.clock.advance(Duration::minutes(2));
    assert_eq!(h.services.payments.retry_reversals(10).await.unwrap(), 1);
    let refunds = processor.refunds();
    assert_eq!(refunds.len(), 2);
    assert_eq!(refunds[1].refund_id, refunds[0].refund_id);
    h.handles.clock.advance(Duration::hours(2));
    assert_eq!(h.services.payments.retry_reversals(10).await.unwrap(), 0);
    assert_eq!(processor.refunds().len(), 2, "an accepted reversal is done");
    // And the payment never becomes paid later by a charge check.
    assert_eq!(h.services.payments.check_charges(10).await.unwrap(), 0);
    assert_eq!(status_of(&h, &id).await, PaymentStatus::Failed);
}

#[actix_web::test]
async fn an_approved_charge_that_cannot_be_recorded_is_reversed_memory() {
    an_approved_charge_that_cannot_be_recorded_is_reversed(Backend::Memory).await;
}

#[actix_web::test]
async fn an_approved_charge_that_cannot_be_recorded_is_reversed_sqlite() {
    an_approved_charge_that_cannot_be_recorded_is_reversed(Backend::Sqlite).await;
}

#[actix_web::test]
async fn an_approved_charge_that_cannot_be_recorded_is_reversed_postgres() {
    an_approved_charge_that_cannot_be_recorded_is_reversed(Backend::Postgres).await;
}
