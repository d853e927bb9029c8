//! A database that cannot be reached is `503 UNAVAILABLE` with `Retry-After` on the
//! miniapp API (never 500), `UNKNOWN_ERROR` with HTTP 200 on the Boxo surface, a 503 page
//! on the checkout sheet; and a request that failed that way leaves its
//! `Idempotency-Key` free, so the client's retry goes through at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use actix_web::test::TestRequest;
use hostpay_domain::ports::StoreError;
use hostpay_testkit::app::{Backend, Harness};
use hostpay_testkit::faults::FaultyPayments;
use hostpay_testkit::MemoryStore;
use serde_json::json;

fn create(key: &str) -> TestRequest {
    TestRequest::post()
        .uri("/api/v1/payments")
        .insert_header(("Idempotency-Key", key.to_owned()))
        .set_json(json!({"user_id": "user-1", "amount": "12.00", "currency": "USD"}))
}

#[actix_web::test]
async fn an_unreachable_database_is_503_with_retry_after_and_the_key_stays_free() {
    // Set once the harness exists: the store the insert fault switches off.
    let store_slot: Arc<OnceLock<Arc<MemoryStore>>> = Arc::default();
    let failing = Arc::new(AtomicBool::new(false));
    let (slot, flag) = (store_slot.clone(), failing.clone());
    let h = Harness::start_custom(
        Backend::Memory,
        Some(hostpay_testkit::app::ADMIN_TOKEN),
        move |ports| {
            ports.payments = Arc::new(
                FaultyPayments::new(ports.payments.clone(), |_| None).with_insert_fault(
                    move |_| {
                        if !flag.load(Ordering::SeqCst) {
                            return None;
                        }
                        // The database goes away in the middle of the request: the insert
                        // fails, and so will the release of the key.
                        if let Some(store) = slot.get() {
                            store.set_unavailable(true);
                        }
                        Some(StoreError::Unavailable(
                            "the database system is shutting down".to_owned(),
                        ))
                    },
                ),
            );
        },
    )
    .await;
    let _ = store_slot.set(h.handles.store.clone());
    let a = h.register_app("Pizza").await;
    let (id, _) = h.new_session(&a, "user-1", "5.00").await;

    // The whole store goes away: every surface says "retry", none says 500.
    h.handles.store.set_unavailable(true);
    let read = h.get_payment(&a, &id).await;
    read.assert_error(503, "UNAVAILABLE");
    assert_eq!(read.header("retry-after").as_deref(), Some("1"));
    h.as_app(&a, create("key-down"))
        .await
        .assert_error(503, "UNAVAILABLE");
    let sheet = h
        .public(TestRequest::get().uri(&format!("/checkout/{id}?session=ps_x")))
        .await;
    assert_eq!(sheet.status, 503, "{}", sheet.text);
    h.handles.store.set_unavailable(false);
    h.as_app(&a, create("key-down")).await.assert_ok(201);

    // The store fails after the key was held and cannot even free it: the client's
    // retry after recovery still goes through at once, exactly once.
    failing.store(true, Ordering::SeqCst);
    h.as_app(&a, create("key-mid"))
        .await
        .assert_error(503, "UNAVAILABLE");
    failing.store(false, Ordering::SeqCst);
    h.handles.store.set_unavailable(false);
    let retried = h.as_app(&a, create("key-mid")).await;
    retried.assert_ok(201);
    let replay = h.as_app(&a, create("key-mid")).await;
    replay.assert_ok(201);
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(replay.data()["id"], retried.data()["id"]);
}
