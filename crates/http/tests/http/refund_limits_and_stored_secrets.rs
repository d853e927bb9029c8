//! Audit: secrets kept out of the store's idempotency rows, and refunds that never exceed
//! the paid amount (pending refunds reserve, failed refunds release, the default is what
//! remains).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use actix_web::test::TestRequest;
use async_trait::async_trait;
use chrono::Duration;
use hostpay_domain::idempotency::{
    fingerprint, IdempotencyBegin, IdempotencyClaim, IdempotencyKey,
};
use hostpay_domain::ids::AppId;
use hostpay_domain::payment::ChargeOutcome;
use hostpay_domain::ports::{
    ChargeRequest, Clock, PaymentProcessor, ProcessorError, RefundRequest,
};
use hostpay_testkit::app::{Backend, Harness};
use serde_json::json;

async fn stored_response_keeps_no_session_token(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    let body = br#"{"user_id":"u","amount":"10.00","currency":"USD"}"#;
    let post = || {
        h.as_app(
            &a,
            TestRequest::post()
                .uri("/api/v1/payments")
                .insert_header(("Content-Type", "application/json"))
                .insert_header(("Idempotency-Key", "secret-check"))
                .set_payload(body.to_vec()),
        )
    };
    let first = post().await;
    first.assert_ok(201);
    let token = first.data()["session"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(token.starts_with("ps_"), "{}", first.text);

    // What the store keeps for the key.
    let claim = IdempotencyClaim {
        app_id: AppId::parse(&a.id).unwrap_or_else(|error| panic!("{error}")),
        key: IdempotencyKey::parse("secret-check").unwrap_or_else(|error| panic!("{error:?}")),
        fingerprint: fingerprint("POST /api/v1/payments", body),
        owner: "test-owner".to_owned(),
    };
    let stored = match h
        .ports
        .idempotency
        .begin(&claim, h.handles.clock.now())
        .await
        .unwrap_or_else(|error| panic!("{error}"))
    {
        IdempotencyBegin::Replay(response) => response,
        other => panic!("expected the kept response, got {other:?}"),
    };
    assert!(
        !stored.body.contains(&token),
        "the payment-session token is stored in plain text: {}",
        stored.body
    );

    // The replay is still the first response, byte for byte, token included.
    let replay = post().await;
    assert_eq!(replay.status, 201);
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(replay.text, first.text);
    // The token it carries still opens the checkout (read-only: it cannot pay).
    let id = first.data()["id"].as_str().unwrap_or_default().to_owned();
    let sheet = h
        .public(TestRequest::get().uri(&format!("/checkout/{id}?session={token}")))
        .await;
    assert_eq!(sheet.status, 200, "{}", sheet.text);
    h.confirm(&id, &token, None)
        .await
        .assert_error(403, "FORBIDDEN");
}

#[actix_web::test]
async fn idempotency_rows_keep_no_session_token_memory() {
    stored_response_keeps_no_session_token(Backend::Memory).await;
}

#[actix_web::test]
async fn idempotency_rows_keep_no_session_token_sqlite() {
    stored_response_keeps_no_session_token(Backend::Sqlite).await;
}

#[actix_web::test]
async fn idempotency_rows_keep_no_session_token_postgres() {
    stored_response_keeps_no_session_token(Backend::Postgres).await;
}

/// Approves charges; answers refunds as `mode` says: 0 no answer, 1 refused, 2 done.
struct RefundSwitch(Arc<AtomicU8>);

#[async_trait]
impl PaymentProcessor for RefundSwitch {
    fn can_simulate(&self) -> bool {
        false
    }
    async fn charge(&self, _request: &ChargeRequest) -> Result<ChargeOutcome, ProcessorError> {
        Ok(ChargeOutcome::Approved)
    }
    async fn refund(&self, _request: &RefundRequest) -> Result<Result<(), String>, ProcessorError> {
        match self.0.load(Ordering::SeqCst) {
            0 => Err(ProcessorError::Timeout),
            1 => Ok(Err("refused by the wallet".to_owned())),
            _ => Ok(Ok(())),
        }
    }
}

const NO_ANSWER: u8 = 0;
const REFUSE: u8 = 1;
const APPROVE: u8 = 2;

async fn pending_refunds_reserve_and_failed_ones_release(backend: Backend) {
    let mode = Arc::new(AtomicU8::new(APPROVE));
    let switch = mode.clone();
    let h = Harness::start_custom(
        backend,
        Some(hostpay_testkit::app::ADMIN_TOKEN),
        move |ports| {
            ports.processor = Arc::new(RefundSwitch(switch));
        },
    )
    .await;
    let a = h.register_app("Pizza").await;
    let (id, _) = h.paid_payment(&a, "u", "25.00").await;

    // No answer: the refund stays pending and its amount is reserved.
    mode.store(NO_ANSWER, Ordering::SeqCst);
    let pending = h.refund(&a, &id, json!({"amount": 10})).await;
    pending.assert_ok(201);
    assert_eq!(pending.data()["status"], "pending");
    assert_eq!(pending.data()["amount"], "10.00");
    let read = h.get_payment(&a, &id).await;
    assert_eq!(read.data()["status"], "paid");
    assert_eq!(read.data()["refunded_amount"], "0.00");

    // The default is all that remains beside the pending one.
    mode.store(APPROVE, Ordering::SeqCst);
    let rest = h.refund(&a, &id, json!({})).await;
    rest.assert_ok(201);
    assert_eq!(rest.data()["amount"], "15.00");
    assert_eq!(rest.data()["status"], "succeeded");
    let over = h.refund(&a, &id, json!({"amount": "0.01"})).await;
    over.assert_error(422, "REFUND_EXCEEDS_AMOUNT");
    assert_eq!(over.json["error"]["details"]["remaining"], "0.00");
    h.refund(&a, &id, json!({}))
        .await
        .assert_error(422, "REFUND_EXCEEDS_AMOUNT");
    let read = h.get_payment(&a, &id).await;
    assert_eq!(
        read.data()["status"],
        "paid",
        "the pending 10.00 is not refunded yet"
    );
    assert_eq!(read.data()["refunded_amount"], "15.00");

    // The wallet refuses the pending one later: its amount is free again.
    mode.store(REFUSE, Ordering::SeqCst);
    h.handles.clock.advance(Duration::minutes(10));
    let settled = h
        .services
        .payments
        .retry_pending_refunds(10)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(settled, 1);
    let read = h.get_payment(&a, &id).await;
    assert_eq!(read.data()["refunds"][0]["status"], "failed");
    assert_eq!(read.data()["refunded_amount"], "15.00");

    mode.store(APPROVE, Ordering::SeqCst);
    h.refund(&a, &id, json!({"amount": "10.01"}))
        .await
        .assert_error(422, "REFUND_EXCEEDS_AMOUNT");
    let last = h.refund(&a, &id, json!({})).await;
    last.assert_ok(201);
    assert_eq!(last.data()["amount"], "10.00");
    let read = h.get_payment(&a, &id).await;
    assert_eq!(read.data()["status"], "refunded");
    assert_eq!(read.data()["refunded_amount"], "25.00");
    h.refund(&a, &id, json!({}))
        .await
        .assert_error(409, "PAYMENT_NOT_REFUNDABLE");
}

#[actix_web::test]
async fn pending_refunds_reserve_and_failed_ones_release_memory() {
    pending_refunds_reserve_and_failed_ones_release(Backend::Memory).await;
}

#[actix_web::test]
async fn pending_refunds_reserve_and_failed_ones_release_sqlite() {
    pending_refunds_reserve_and_failed_ones_release(Backend::Sqlite).await;
}

#[actix_web::test]
async fn pending_refunds_reserve_and_failed_ones_release_postgres() {
    pending_refunds_reserve_and_failed_ones_release(Backend::Postgres).await;
}
