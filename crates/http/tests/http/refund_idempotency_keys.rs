//! Audit: a refund that failed leaves its `Idempotency-Key` free (on every store), and
//! refund keys are per payment and per miniapp.

use actix_web::test::TestRequest;
use hostpay_testkit::app::{Backend, Harness, Resp, TestApp};
use serde_json::{json, Value};

async fn post(h: &Harness, app: &TestApp, uri: &str, key: &str, body: Value) -> Resp {
    h.as_app(
        app,
        TestRequest::post()
            .uri(uri)
            .insert_header(("Idempotency-Key", key.to_owned()))
            .set_json(body),
    )
    .await
}

async fn failed_requests_free_their_key(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    let b = h.register_app("Books").await;
    // A refused refund frees its key; a later success is then kept and replayed.
    let (id, _) = h.paid_payment(&a, "u", "25.00").await;
    let refunds = format!("/api/v1/payments/{id}/refunds");
    post(&h, &a, &refunds, "k-refund", json!({"amount": "30.00"}))
        .await
        .assert_error(422, "REFUND_EXCEEDS_AMOUNT");
    let first = post(&h, &a, &refunds, "k-refund", json!({"amount": "5.00"})).await;
    first.assert_ok(201);
    let replay = post(&h, &a, &refunds, "k-refund", json!({"amount": "5.00"})).await;
    assert_eq!(replay.status, 201);
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(replay.text, first.text);
    assert_eq!(
        h.get_payment(&a, &id).await.data()["refunded_amount"],
        "5.00"
    );

    // The same key on another payment is another request.
    let (other_id, _) = h.paid_payment(&a, "u", "25.00").await;
    post(
        &h,
        &a,
        &format!("/api/v1/payments/{other_id}/refunds"),
        "k-refund",
        json!({"amount": "5.00"}),
    )
    .await
    .assert_error(422, "IDEMPOTENCY_KEY_REUSED");
    // Another miniapp never sees this payment, key or not.
    post(&h, &b, &refunds, "k-refund", json!({"amount": "5.00"}))
        .await
        .assert_error(404, "NOT_FOUND");
}

#[actix_web::test]
async fn failed_requests_free_their_key_memory() {
    failed_requests_free_their_key(Backend::Memory).await;
}

#[actix_web::test]
async fn failed_requests_free_their_key_sqlite() {
    failed_requests_free_their_key(Backend::Sqlite).await;
}

#[actix_web::test]
async fn failed_requests_free_their_key_postgres() {
    failed_requests_free_their_key(Backend::Postgres).await;
}
