//! End to end on PostgreSQL (a fresh database on `HOSTPAY_TEST_PG_URL`, dropped after; the
//! test fails when the server cannot be reached): register, mint, verify, create, confirm
//! through checkout, refund partly twice, read back.

use actix_web::test::TestRequest;
use hostpay_testkit::app::{Backend, Harness};
use serde_json::json;

#[actix_web::test]
async fn a_payment_from_registration_to_two_partial_refunds() {
    let h = Harness::start(Backend::Postgres).await;
    let app = h.register_app("Pizza Planet").await;
    let token = h.mint(&app, "user-7").await;
    let verified = h
        .as_app(
            &app,
            TestRequest::post()
                .uri("/api/v1/users/verify-token")
                .insert_header(("miniapp-user-token", token)),
        )
        .await;
    assert_eq!(
        verified.json,
        json!({"status_code": 200, "result": "Operation Completed Successfully", "success": true, "data": {"id": "user-7"}})
    );

    let created = h
        .as_app(
            &app,
            TestRequest::post()
                .uri("/api/v1/payments")
                .insert_header(("Idempotency-Key", "order-77"))
                .set_json(json!({
                    "user_id": "user-7", "amount": "40.00", "currency": "SAR",
                    "miniapp_order_id": "order-77",
                    "items": [{"product_name": "Family box", "quantity": 1, "price": "40.00"}],
                })),
        )
        .await;
    created.assert_ok(201);
    let id = created.data()["id"].as_str().unwrap_or_default().to_owned();
    let session = created.data()["session"]["token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let page = h
        .public(TestRequest::get().uri(&format!("/checkout/{id}?session={session}")))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("40.00 SAR"));
    // The miniapp's session cannot pay; the host mints a grant for its user, which can.
    h.confirm(&id, &session, None)
        .await
        .assert_error(403, "FORBIDDEN");
    let user = created.data()["user_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let grant = h.grant(&id, &user).await;
    grant.assert_ok(201);
    let grant = grant.data()["grant"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let paid = h.confirm(&id, &grant, None).await;
    paid.assert_ok(200);
    assert_eq!(paid.data()["status"], "paid");
    h.confirm(&id, &grant, None)
        .await
        .assert_error(409, "INVALID_STATE");

    let first = h
        .refund(
            &app,
            &id,
            json!({"amount": "15.00", "reason": "missing drink"}),
        )
        .await;
    first.assert_ok(201);
    assert_eq!(first.data()["status"], "succeeded");
    let second = h.refund(&app, &id, json!({"amount": 5})).await;
    second.assert_ok(201);
    h.refund(&app, &id, json!({"amount": "20.01"}))
        .await
        .assert_error(422, "REFUND_EXCEEDS_AMOUNT");

    let read = h.get_payment(&app, &id).await;
    read.assert_ok(200);
    let data = read.data();
    assert_eq!(data["status"], "paid");
    assert_eq!(data["amount"], "40.00");
    assert_eq!(data["refunded_amount"], "20.00");
    assert_eq!(data["currency"], "SAR");
    assert_eq!(data["refunds"].as_array().map(Vec::len), Some(2));
    assert_eq!(data["refunds"][0]["amount"], "15.00");
    assert_eq!(data["refunds"][1]["amount"], "5.00");
    let types: Vec<&str> = data["events"]
        .as_array()
        .map(|events| events.iter().filter_map(|e| e["type"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        types,
        vec![
            "payment.created",
            "payment.paid",
            "refund.created",
            "refund.succeeded",
            "refund.created",
            "refund.succeeded"
        ]
    );
    let listed = h
        .as_app(
            &app,
            TestRequest::get().uri("/api/v1/users/user-7/payments"),
        )
        .await;
    assert_eq!(listed.data()["items"][0]["id"], id.as_str());
}
