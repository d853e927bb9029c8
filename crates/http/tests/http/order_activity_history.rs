//! Audit: order-activity history: exactly one event per changing upsert, none for an
//! upsert that only restates the stored values (in another spelling), and one event per
//! linked order whenever the linked payment's status changes (refunds included).

use actix_web::test::TestRequest;
use hostpay_testkit::app::{Backend, Harness, Resp, TestApp};
use serde_json::{json, Value};

async fn upsert(h: &Harness, app: &TestApp, body: Value) -> Resp {
    h.as_app(
        app,
        TestRequest::post()
            .uri("/api/v1/order-activities")
            .set_json(body),
    )
    .await
}

async fn read(h: &Harness, app: &TestApp, order_id: &str) -> Resp {
    h.as_app(
        app,
        TestRequest::get().uri(&format!("/api/v1/order-activities/{order_id}")),
    )
    .await
}

fn types(resp: &Resp) -> Vec<String> {
    resp.data()["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .map(|event| event["type"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn restated_values_append_nothing(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    let first = json!({
        "order_id": "o-1", "user_id": "u", "status": "confirmed", "title": "Pizza",
        "items": [{"product_name": "Margherita", "quantity": 1, "price": "12.50", "discount": 1}],
        "total": "25.00", "currency": "USD",
        "delivery": {"method": "delivery",
                     "address": {"city": "Riyadh", "latitude": "24.7136", "longitude": 46.6753},
                     "eta": "2026-11-21T20:00:00Z", "tracking_url": "https://t.example/1",
                     "courier": {"name": "Sam", "phone": "+966"}},
        "note": "ring twice",
    });
    upsert(&h, &a, first).await.assert_ok(201);
    // The same values, spelled otherwise: numbers for strings, fewer decimals, the
    // default quantity left out, another offset for the same instant.
    let restated = json!({
        "order_id": "o-1", "user_id": "u", "status": "confirmed", "title": "Pizza",
        "items": [{"product_name": "Margherita", "price": 12.5, "discount": "1.00"}],
        "total": 25, "currency": "USD",
        "delivery": {"method": "delivery",
                     "address": {"city": "Riyadh", "latitude": 24.7136, "longitude": "46.6753"},
                     "eta": "2026-11-21T23:00:00+03:00", "tracking_url": "https://t.example/1",
                     "courier": {"name": "Sam", "phone": "+966"}},
        "note": "ring twice",
    });
    let again = upsert(&h, &a, restated).await;
    again.assert_ok(200);
    assert_eq!(
        types(&again),
        vec!["order_activity.created"],
        "{}",
        again.text
    );
    assert_eq!(again.data()["total"], "25.00");
    assert_eq!(again.data()["items"][0]["price"], "12.50");
    assert_eq!(again.data()["items"][0]["discount"], "1.00");

    // One change, one event, naming the field.
    let noted = upsert(
        &h,
        &a,
        json!({"order_id": "o-1", "user_id": "u", "status": "confirmed", "note": "leave at door"}),
    )
    .await;
    noted.assert_ok(200);
    assert_eq!(
        types(&noted),
        vec!["order_activity.created", "order_activity.updated"]
    );
    assert_eq!(noted.data()["events"][1]["changes"], json!(["note"]));
    // A status move and a field change together: still exactly one event.
    let both = upsert(
        &h,
        &a,
        json!({"order_id": "o-1", "user_id": "u", "status": "ready", "title": "Two pizzas"}),
    )
    .await;
    both.assert_ok(200);
    assert_eq!(both.data()["events"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        read(&h, &a, "o-1").await.data()["events"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
}

#[actix_web::test]
async fn restated_values_append_nothing_memory() {
    restated_values_append_nothing(Backend::Memory).await;
}

#[actix_web::test]
async fn restated_values_append_nothing_sqlite() {
    restated_values_append_nothing(Backend::Sqlite).await;
}

async fn linked_payment_changes_reach_every_linked_order(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    let (payment, token) = h.new_payment(&a, "u", "25.00").await;
    for order in ["o-1", "o-2"] {
        upsert(
            &h,
            &a,
            json!({"order_id": order, "user_id": "u", "status": "created", "payment_id": payment}),
        )
        .await
        .assert_ok(201);
    }
    h.confirm(&payment, &token, None).await.assert_ok(200);
    h.refund(&a, &payment, json!({"amount": "5.00"}))
        .await
        .assert_ok(201);
    // A partial refund leaves the payment paid: no history entry.
    for order in ["o-1", "o-2"] {
        let resp = read(&h, &a, order).await;
        assert_eq!(resp.data()["payment_status"], "paid");
        assert_eq!(
            types(&resp),
            vec!["order_activity.created", "payment.paid"],
            "{order}"
        );
    }
    h.refund(&a, &payment, json!({})).await.assert_ok(201);
    for order in ["o-1", "o-2"] {
        let resp = read(&h, &a, order).await;
        assert_eq!(resp.data()["payment_status"], "refunded");
        assert_eq!(
            types(&resp),
            vec!["order_activity.created", "payment.paid", "payment.refunded"],
            "{order}"
        );
        let last = &resp.data()["events"][2];
        assert_eq!(last["changes"]["payment_status"], "refunded");
        assert_eq!(last["status"], "created");
    }
    // Another upsert that changes nothing still appends nothing.
    let same = upsert(
        &h,
        &a,
        json!({"order_id": "o-1", "user_id": "u", "status": "created", "payment_id": payment}),
    )
    .await;
    same.assert_ok(200);
    assert_eq!(same.data()["events"].as_array().map(Vec::len), Some(3));
}

#[actix_web::test]
async fn linked_payment_changes_reach_every_linked_order_memory() {
    linked_payment_changes_reach_every_linked_order(Backend::Memory).await;
}

#[actix_web::test]
async fn linked_payment_changes_reach_every_linked_order_sqlite() {
    linked_payment_changes_reach_every_linked_order(Backend::Sqlite).await;
}

#[actix_web::test]
async fn restated_values_append_nothing_postgres() {
    restated_values_append_nothing(Backend::Postgres).await;
}

#[actix_web::test]
async fn linked_payment_changes_reach_every_linked_order_postgres() {
    linked_payment_changes_reach_every_linked_order(Backend::Postgres).await;
}
