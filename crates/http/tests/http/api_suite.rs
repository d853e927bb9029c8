//! The HTTP suite: every case on the in-memory store, and a smoke set on SQLite and
//! PostgreSQL (create, pay, refund, idempotent replay, order activities, lists read in
//! batches, tenant isolation, and the confirm/refund races a real database must
//! serialise; cursor pages and the rest of each port's rules are the contract suite's,
//! per backend). Each case
//! starts its own app (on a fresh database).

use std::collections::HashSet;
use std::sync::Arc;

use actix_web::test::TestRequest;
use async_trait::async_trait;
use chrono::Duration;
use hostpay_domain::idempotency::{
    fingerprint, IdempotencyBegin, IdempotencyClaim, IdempotencyKey,
};
use hostpay_domain::ids::AppId;
use hostpay_domain::miniapp::Miniapp;
use hostpay_domain::payment::ChargeOutcome;
use hostpay_domain::ports::{
    AppRepository, ChargeRequest, Clock, PaymentProcessor, ProcessorError, RefundRequest,
    StoreError,
};
use serde_json::{json, Value};

use hostpay_testkit::app::{token_header, Backend, Harness, Resp, TestApp};

fn ids(items: &Value) -> Vec<String> {
    items
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| item["id"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn event_types(payment: &Value) -> Vec<String> {
    payment["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .map(|event| event["type"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn post_payment_raw(h: &Harness, app: &TestApp, body: &[u8], key: Option<&str>) -> Resp {
    let mut request = TestRequest::post()
        .uri("/api/v1/payments")
        .insert_header(("Content-Type", "application/json"))
        .set_payload(body.to_vec());
    if let Some(key) = key {
        request = request.insert_header(("Idempotency-Key", key));
    }
    h.as_app(app, request).await
}

fn assert_invalid(resp: &Resp, field: &str) {
    resp.assert_error(400, "INVALID_REQUEST");
    assert_eq!(
        resp.json["error"]["details"]["field"], field,
        "{}",
        resp.text
    );
    assert_eq!(resp.json["data"], Value::Null);
}

async fn verify(h: &Harness, app: &TestApp, token: Option<&str>) -> Resp {
    let mut request = TestRequest::post().uri("/api/v1/users/verify-token");
    if let Some(token) = token {
        request = request.insert_header(("miniapp-user-token", token.to_owned()));
    }
    h.as_app(app, request).await
}

async fn upsert_as(h: &Harness, app: &TestApp, body: Value) -> Resp {
    h.as_app(
        app,
        TestRequest::post()
            .uri("/api/v1/order-activities")
            .set_json(body),
    )
    .await
}

/// verify-token: exact success body; 401 for missing, unknown, expired, other app's.
pub async fn verify_token(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    let b = h.register_app("Books").await;
    let token = h.mint(&a, "user-1").await;
    let ok = verify(&h, &a, Some(&token)).await;
    assert_eq!(ok.status, 200);
    assert_eq!(
        ok.text,
        r#"{"status_code":200,"result":"Operation Completed Successfully","success":true,"data":{"id":"user-1"}}"#
    );
    assert_eq!(
        ok.json,
        json!({"status_code": 200, "result": "Operation Completed Successfully", "success": true, "data": {"id": "user-1"}})
    );
    for resp in [
        verify(&h, &b, Some(&token)).await,
        verify(&h, &a, None).await,
        verify(&h, &a, Some("ut_unknown")).await,
    ] {
        resp.assert_error(401, "UNAUTHENTICATED");
        assert_eq!(resp.json["data"], Value::Null);
    }
    h.handles.clock.advance(Duration::seconds(3601));
    verify(&h, &a, Some(&token))
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

/// Miniapp credentials: missing, malformed, wrong, rotated.
pub async fn miniapp_auth(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    let list = |auth: Option<String>| {
        let mut request = TestRequest::get().uri("/api/v1/users/u/payments");
        if let Some(auth) = auth {
            request = request.insert_header(("Authorization", auth));
        }
        h.public(request)
    };
    list(Some(a.auth())).await.assert_ok(200);
    for auth in [
        None,
        Some("Token !!!".to_owned()),
        Some(format!("Bearer {}", a.secret)),
        Some(token_header(&a.id, "sk_wrong")),
        Some(token_header("app_unknown", &a.secret)),
        Some(token_header("nonsense", &a.secret)),
    ] {
        list(auth).await.assert_error(401, "UNAUTHENTICATED");
    }
    let rotated = h
        .admin(TestRequest::post().uri(&format!("/internal/v1/apps/{}/rotate-secret", a.id)))
        .await;
    rotated.assert_ok(200);
    let new_secret = rotated.data()["secret_key"].as_str().unwrap_or_default();
    assert_ne!(new_secret, a.secret);
    assert_ne!(rotated.data()["webhook_secret"], a.webhook_secret.as_str());
    list(Some(a.auth()))
        .await
        .assert_error(401, "UNAUTHENTICATED");
    list(Some(token_header(&a.id, new_secret)))
        .await
        .assert_ok(200);
}

/// Create and read: the documented shape, the session, events oldest first.
pub async fn create_and_read_payment(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    let created = h
        .as_app(
            &a,
            TestRequest::post().uri("/api/v1/payments").set_json(json!({
                "user_id": "user-1",
                "amount": 25.5,
                "currency": "USD",
                "miniapp_order_id": "order-1",
                "description": "Two pizzas",
                "items": [{"product_name": "Margherita", "product_sku": "M-1", "quantity": 2, "price": 12.75}],
                "shipping_address": {"city": "Riyadh", "latitude": "24.7136", "longitude": 46.6753},
                "custom_attributes": {"table": 7},
                "unknown_field": "ignored",
            })),
        )
        .await;
    created.assert_ok(201);
    let data = created.data();
    let id = data["id"].as_str().unwrap_or_default().to_owned();
    assert!(id.starts_with("pay_"), "{id}");
    assert_eq!(data["object"], "payment");
    assert_eq!(data["status"], "in_process");
    assert_eq!(data["amount"], "25.50");
    assert_eq!(data["refunded_amount"], "0.00");
    assert_eq!(data["currency"], "USD");
    assert_eq!(data["user_id"], "user-1");
    assert_eq!(data["miniapp_order_id"], "order-1");
    assert_eq!(data["description"], "Two pizzas");
    assert_eq!(data["items"][0]["price"], "12.75");
    assert_eq!(data["items"][0]["quantity"], 2);
    assert_eq!(data["shipping_address"]["city"], "Riyadh");
    assert_eq!(data["custom_attributes"], json!({"table": 7}));
    assert_eq!(data["fail_reason"], Value::Null);
    assert_eq!(data["refunds"], json!([]));
    assert_eq!(data["channel"], "miniapp");
    for key in ["created_at", "updated_at", "expires_at"] {
        assert!(data[key].is_string(), "{key} in {}", created.text);
    }
    assert_eq!(event_types(data), vec!["payment.created"]);
    let session = &data["session"];
    let token = session["token"].as_str().unwrap_or_default();
    assert!(!token.is_empty());
    assert_eq!(
        session["checkout_url"],
        format!("http://127.0.0.1:8080/checkout/{id}?session={token}")
    );
    assert!(session["expires_at"].is_string());

    let read = h.get_payment(&a, &id).await;
    read.assert_ok(200);
    assert!(read.data().get("session").is_none());
    let mut without_session = data.clone();
    if let Some(object) = without_session.as_object_mut() {
        object.remove("session");
    }
    assert_eq!(read.data(), &without_session, "read equals created");

    // The miniapp's session token cannot pay; the grant the host mints for the user can.
    h.confirm(&id, token, None)
        .await
        .assert_error(403, "FORBIDDEN");
    let grant = h.grant(&id, "user-1").await;
    grant.assert_ok(201);
    let grant = grant.data()["grant"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    h.confirm(&id, &grant, None).await.assert_ok(200);
    let read = h.get_payment(&a, &id).await;
    assert_eq!(read.data()["status"], "paid");
    assert_eq!(
        event_types(read.data()),
        vec!["payment.created", "payment.paid"]
    );
    let events = read.data()["events"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(events.iter().all(|event| event["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("evt_"))
        && event["created_at"].is_string()
        && event["data"].is_object()));
}

/// Every kind of bad input is a 400 naming the field, as JSON, never actix's plain text.
pub async fn invalid_requests_name_the_field(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    let base = json!({"user_id": "u", "amount": "10", "currency": "USD"});
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (json!({"amount": "10", "currency": "USD"}), "user_id"),
        (json!({"user_id": "u", "currency": "USD"}), "amount"),
        (with("user_id", json!(5)), "user_id"),
        (with("user_id", json!("")), "user_id"),
        (with("user_id", json!("x".repeat(256))), "user_id"),
        (with("amount", json!("0")), "amount"),
        (with("amount", json!(-1)), "amount"),
        (with("amount", json!("10.001")), "amount"),
        (with("amount", json!("abc")), "amount"),
        (with("amount", json!("123456789012345678901")), "amount"),
        (with("currency", json!("usd")), "currency"),
        (with("currency", json!("ABC")), "currency"),
        (with("description", json!("d".repeat(1001))), "description"),
        (
            with("items", json!([{"product_name": "A", "price": "1.001"}])),
            "items[0].price",
        ),
        (
            with("items", json!([{"product_name": "A"}, {"price": "1"}])),
            "items[1].product_name",
        ),
        (
            with("items", json!([{"product_name": "A", "quantity": 0}])),
            "items[0].quantity",
        ),
        (
            with(
                "items",
                json!([{"product_name": "A", "product_image_url": "u".repeat(501)}]),
            ),
            "items[0].product_image_url",
        ),
        (
            with("shipping_address", json!({"latitude": 90.5})),
            "shipping_address.latitude",
        ),
        (
            with(
                "shipping_address",
                json!({"longitude": "1.1234567890123456"}),
            ),
            "shipping_address.longitude",
        ),
        (with("items", json!("nope")), "items"),
    ];
    for (body, field) in cases {
        let resp = h
            .as_app(
                &a,
                TestRequest::post().uri("/api/v1/payments").set_json(&body),
            )
            .await;
        assert_invalid(&resp, field);
    }
    // Accepted edges: 20 digits with 2 decimals, a JSON number, 250-character names.
    let edge = with("amount", json!("999999999999999999.99"));
    let resp = h
        .as_app(
            &a,
            TestRequest::post().uri("/api/v1/payments").set_json(&edge),
        )
        .await;
    resp.assert_ok(201);
    assert_eq!(resp.data()["amount"], "999999999999999999.99");

    for raw in [
        &b"{\"user_id\": "[..],
        b"[1,2]",
        b"not json",
        br#"{"user_id":"u","amount":"1","currency":"USD"} trailing"#,
    ] {
        let resp = post_payment_raw(&h, &a, raw, None).await;
        assert_invalid(&resp, "body");
    }
    // An empty body reads as {}: the first required field is named.
    assert_invalid(&post_payment_raw(&h, &a, b"", None).await, "user_id");

    // Bodies over 64 KiB: 413 with the envelope.
    let mut big = base.clone();
    big["description"] = json!("x".repeat(70 * 1024));
    let resp = h
        .as_app(
            &a,
            TestRequest::post().uri("/api/v1/payments").set_json(&big),
        )
        .await;
    resp.assert_error(413, "PAYLOAD_TOO_LARGE");
    // Without a Content-Length too (streamed).
    let resp = h
        .as_app(
            &a,
            TestRequest::post()
                .uri("/api/v1/payments")
                .set_payload(vec![b' '; 65 * 1024]),
        )
        .await;
    resp.assert_error(413, "PAYLOAD_TOO_LARGE");

    // Other bodies and query strings.
    let resp = h
        .as_app(
            &a,
            TestRequest::post()
                .uri("/api/v1/order-activities")
                .set_json(json!({"order_id": "o", "user_id": "u", "status": "teleported"})),
        )
        .await;
    assert_invalid(&resp, "status");
    let resp = h
        .as_app(
            &a,
            TestRequest::post()
                .uri("/api/v1/order-activities")
                .set_json(json!({
                    "order_id": "o", "user_id": "u", "status": "created",
                    "delivery": {"method": "drone"},
                })),
        )
        .await;
    assert_invalid(&resp, "delivery.method");
    let resp = h
        .as_app(
            &a,
            TestRequest::post()
                .uri("/api/v1/order-activities")
                .set_json(json!({
                    "order_id": "o", "user_id": "u", "status": "created",
                    "delivery": {"method": "delivery", "eta": "tomorrow"},
                })),
        )
        .await;
    assert_invalid(&resp, "delivery.eta");
    let resp = h
        .as_app(
            &a,
            TestRequest::post()
                .uri("/api/v1/order-activities")
                .set_json(json!({
                    "order_id": "o", "user_id": "u", "status": "created", "note": "n".repeat(2001),
                })),
        )
        .await;
    assert_invalid(&resp, "note");
    let resp = h
        .as_app(
            &a,
            TestRequest::post()
                .uri("/api/v1/payments")
                .insert_header(("Idempotency-Key", ""))
                .set_json(&base),
        )
        .await;
    assert_invalid(&resp, "Idempotency-Key");
}

/// Idempotency on payment creation: replay, reuse with another body, in progress.
pub async fn payment_idempotency(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    let b = h.register_app("Books").await;
    let body = br#"{"user_id":"u","amount":"10.00","currency":"USD"}"#;
    let first = post_payment_raw(&h, &a, body, Some("key-1")).await;
    first.assert_ok(201);
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = post_payment_raw(&h, &a, body, Some("key-1")).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(again.text, first.text, "the replay is the first response");
    let list = h
        .as_app(&a, TestRequest::get().uri("/api/v1/users/u/payments"))
        .await;
    assert_eq!(list.data()["items"].as_array().map(Vec::len), Some(1));

    let other = br#"{"user_id":"u","amount":"11.00","currency":"USD"}"#;
    post_payment_raw(&h, &a, other, Some("key-1"))
        .await
        .assert_error(422, "IDEMPOTENCY_KEY_REUSED");
    // Keys are per miniapp.
    post_payment_raw(&h, &b, body, Some("key-1"))
        .await
        .assert_ok(201);
    // Without a key, every request creates.
    let x = post_payment_raw(&h, &a, body, None).await;
    let y = post_payment_raw(&h, &a, body, None).await;
    assert_ne!(x.data()["id"], y.data()["id"]);

    // A first request still running: 409; another body meanwhile: 422.
    let claim = IdempotencyClaim {
        app_id: AppId::parse(&a.id).unwrap_or_else(|error| panic!("{error}")),
        key: IdempotencyKey::parse("key-2").unwrap_or_else(|error| panic!("{error:?}")),
        fingerprint: fingerprint("POST /api/v1/payments", body),
        owner: "test-owner".to_owned(),
    };
    let began = h
        .ports
        .idempotency
        .begin(&claim, h.handles.clock.now())
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(began, IdempotencyBegin::Proceed);
    post_payment_raw(&h, &a, body, Some("key-2"))
        .await
        .assert_error(409, "IDEMPOTENCY_IN_PROGRESS");
    post_payment_raw(&h, &a, other, Some("key-2"))
        .await
        .assert_error(422, "IDEMPOTENCY_KEY_REUSED");
    // Keys expire after 24 h.
    h.handles.clock.advance(Duration::hours(25));
    let fresh = post_payment_raw(&h, &a, body, Some("key-1")).await;
    fresh.assert_ok(201);
    assert_eq!(fresh.header("idempotent-replayed"), None);
    assert_ne!(fresh.data()["id"], first.data()["id"]);
}

/// Refunds: not paid, partial, over the remainder, the rest, idempotency.
pub async fn refunds(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    let (unpaid, _) = h.new_payment(&a, "u", "25.00").await;
    let resp = h.refund(&a, &unpaid, json!({"amount": "1"})).await;
    resp.assert_error(409, "PAYMENT_NOT_REFUNDABLE");
    assert!(resp.json["result"]
        .as_str()
        .is_some_and(|text| text.contains("in_process")));

    let (id, _) = h.paid_payment(&a, "u", "25.00").await;
    let first = h
        .as_app(
            &a,
            TestRequest::post()
                .uri(&format!("/api/v1/payments/{id}/refunds"))
                .insert_header(("Idempotency-Key", "r-1"))
                .set_json(json!({"amount": 10, "reason": "cold pizza"})),
        )
        .await;
    first.assert_ok(201);
    assert!(first.data()["id"]
        .as_str()
        .is_some_and(|id| id.starts_with("ref_")));
    assert_eq!(first.data()["object"], "refund");
    assert_eq!(first.data()["amount"], "10.00");
    assert_eq!(first.data()["status"], "succeeded");
    assert_eq!(first.data()["reason"], "cold pizza");
    assert_eq!(first.data()["payment_id"], id.as_str());
    let replay = h
        .as_app(
            &a,
            TestRequest::post()
                .uri(&format!("/api/v1/payments/{id}/refunds"))
                .insert_header(("Idempotency-Key", "r-1"))
                .set_json(json!({"amount": 10, "reason": "cold pizza"})),
        )
        .await;
    assert_eq!(replay.status, 201);
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(replay.text, first.text);
    h.as_app(
        &a,
        TestRequest::post()
            .uri(&format!("/api/v1/payments/{id}/refunds"))
            .insert_header(("Idempotency-Key", "r-1"))
            .set_json(json!({"amount": 11})),
    )
    .await
    .assert_error(422, "IDEMPOTENCY_KEY_REUSED");

    let over = h.refund(&a, &id, json!({"amount": "15.01"})).await;
    over.assert_error(422, "REFUND_EXCEEDS_AMOUNT");
    assert_eq!(over.json["error"]["details"]["remaining"], "15.00");
    assert_invalid(&h.refund(&a, &id, json!({"amount": "0"})).await, "amount");
    assert_invalid(
        &h.refund(&a, &id, json!({"reason": "r".repeat(501)})).await,
        "reason",
    );

    let read = h.get_payment(&a, &id).await;
    assert_eq!(read.data()["status"], "paid");
    assert_eq!(read.data()["refunded_amount"], "10.00");

    let rest = h
        .as_app(
            &a,
            TestRequest::post().uri(&format!("/api/v1/payments/{id}/refunds")),
        )
        .await;
    rest.assert_ok(201);
    assert_eq!(rest.data()["amount"], "15.00");
    let read = h.get_payment(&a, &id).await;
    assert_eq!(read.data()["status"], "refunded");
    assert_eq!(read.data()["refunded_amount"], "25.00");
    assert_eq!(read.data()["refunds"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        event_types(read.data()),
        vec![
            "payment.created",
            "payment.paid",
            "refund.created",
            "refund.succeeded",
            "refund.created",
            "refund.succeeded",
            "payment.refunded"
        ]
    );
    h.refund(&a, &id, json!({}))
        .await
        .assert_error(409, "PAYMENT_NOT_REFUNDABLE");
    h.refund(&a, "pay_unknown", json!({}))
        .await
        .assert_error(404, "NOT_FOUND");
}

/// Checkout confirm, decline, cancel, and their refusals.
pub async fn checkout_actions(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    let (id, token) = h.new_payment(&a, "u", "25.00").await;

    // Credentials first.
    let no_auth = h
        .public(TestRequest::post().uri(&format!("/checkout/{id}/confirm")))
        .await;
    no_auth.assert_error(401, "UNAUTHENTICATED");
    h.confirm(&id, "ps_wrong", None)
        .await
        .assert_error(401, "UNAUTHENTICATED");
    let (other, other_token) = h.new_payment(&a, "u", "5.00").await;
    h.confirm(&id, &other_token, None)
        .await
        .assert_error(401, "UNAUTHENTICATED");
    assert_invalid(
        &h.confirm(&id, &token, Some(json!({"simulate": "explode"})))
            .await,
        "simulate",
    );

    let paid = h.confirm(&id, &token, Some(json!({}))).await;
    paid.assert_ok(200);
    assert_eq!(paid.data()["status"], "paid");
    assert_eq!(paid.data()["id"], id.as_str());
    // Repeating confirm: 409 naming the status, with the payment; never charged twice.
    let again = h.confirm(&id, &token, None).await;
    again.assert_error(409, "INVALID_STATE");
    assert_eq!(again.data()["status"], "paid");
    assert!(again.json["result"]
        .as_str()
        .is_some_and(|text| text.contains("paid")));
    assert_eq!(again.json["error"]["details"]["status"], "paid");
    assert_eq!(h.handles.processor.charge_count(), 1);
    let cancel = h
        .public(
            TestRequest::post()
                .uri(&format!("/checkout/{id}/cancel"))
                .insert_header(("Authorization", format!("Bearer {token}"))),
        )
        .await;
    cancel.assert_error(409, "INVALID_STATE");
    assert_eq!(cancel.data()["status"], "paid");

    let declined = h
        .confirm(&other, &other_token, Some(json!({"simulate": "decline"})))
        .await;
    declined.assert_ok(200);
    assert_eq!(declined.data()["status"], "failed");
    assert!(declined.data()["fail_reason"].is_string());

    let (third, third_token) = h.new_payment(&a, "u", "7.00").await;
    let cancelled = h
        .public(
            TestRequest::post()
                .uri(&format!("/checkout/{third}/cancel"))
                .insert_header(("Authorization", format!("Bearer {third_token}"))),
        )
        .await;
    cancelled.assert_ok(200);
    assert_eq!(cancelled.data()["status"], "cancelled");
    h.confirm(&third, &third_token, None)
        .await
        .assert_error(409, "INVALID_STATE");

    // Sessions expire; the sweep cancels the payment.
    let (late, late_token) = h.new_payment(&a, "u", "3.00").await;
    h.handles.clock.advance(Duration::seconds(901));
    h.confirm(&late, &late_token, None)
        .await
        .assert_error(401, "UNAUTHENTICATED");
    let swept = h
        .services
        .payments
        .expire_due(100)
        .await
        .unwrap_or_else(|error| panic!("{error}"));
    assert!(swept >= 1);
    let read = h.get_payment(&a, &late).await;
    assert_eq!(read.data()["status"], "cancelled");
    assert_eq!(
        event_types(read.data()),
        vec!["payment.created", "payment.cancelled"]
    );
}

/// The hosted payment sheet, and its no-JavaScript form.
pub async fn checkout_page(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza <Planet>").await;
    let (id, token) = h.new_payment(&a, "u", "25.00").await;
    let page = h
        .public(TestRequest::get().uri(&format!("/checkout/{id}?grant={token}")))
        .await;
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .is_some_and(|value| value.starts_with("text/html")));
    for needle in [
        "<html lang=\"en\"",
        "Pizza &#60;Planet&#62;",
        "Margherita",
        "25.00 USD",
        "id=\"pay\"",
        "id=\"cancel\"",
        "Simulate decline",
        "role=\"status\"",
        "data-status=\"in_process\"",
    ] {
        assert!(page.text.contains(needle), "{needle} in {}", page.text);
    }
    assert!(!page.text.contains("Pizza <Planet>"), "escaped");

    let bad = h
        .public(TestRequest::get().uri(&format!("/checkout/{id}?session=ps_nope")))
        .await;
    assert_eq!(bad.status, 401);
    assert!(bad.text.contains("expired"));
    let unknown = h
        .public(TestRequest::get().uri(&format!("/checkout/pay_unknown?grant={token}")))
        .await;
    assert_eq!(unknown.status, 401);

    let submitted = h
        .public(
            TestRequest::post()
                .uri(&format!("/checkout/{id}?grant={token}"))
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .set_payload("action=pay"),
        )
        .await;
    assert_eq!(submitted.status, 200);
    assert!(submitted.text.contains("data-status=\"paid\""));
    assert!(submitted.text.contains("Payment successful"));
    assert!(!submitted.text.contains("id=\"pay\""), "no more buttons");
    assert_eq!(h.get_payment(&a, &id).await.data()["status"], "paid");

    let (declined, declined_token) = h.new_payment(&a, "u", "4.00").await;
    let submitted = h
        .public(
            TestRequest::post()
                .uri(&format!("/checkout/{declined}?grant={declined_token}"))
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .set_payload("action=decline"),
        )
        .await;
    assert!(submitted.text.contains("data-status=\"failed\""));
    assert_eq!(
        h.get_payment(&a, &declined).await.data()["status"],
        "failed"
    );
}

/// Another miniapp's objects read as not found; keys, lists and orders are per miniapp.
pub async fn tenant_isolation(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    let b = h.register_app("Books").await;
    let (id, _) = h.paid_payment(&a, "shared-user", "10.00").await;
    h.get_payment(&b, &id).await.assert_error(404, "NOT_FOUND");
    h.refund(&b, &id, json!({}))
        .await
        .assert_error(404, "NOT_FOUND");
    let list = h
        .as_app(
            &b,
            TestRequest::get().uri("/api/v1/users/shared-user/payments"),
        )
        .await;
    list.assert_ok(200);
    assert_eq!(list.data()["items"], json!([]));
    upsert_as(
        &h,
        &a,
        json!({"order_id": "o-1", "user_id": "shared-user", "status": "created"}),
    )
    .await
    .assert_ok(201);
    h.as_app(&b, TestRequest::get().uri("/api/v1/order-activities/o-1"))
        .await
        .assert_error(404, "NOT_FOUND");
    assert_invalid(
        &upsert_as(
            &h,
            &b,
            json!({"order_id": "o-2", "user_id": "shared-user", "status": "created", "payment_id": id}),
        )
        .await,
        "payment_id",
    );
    // The same order id in another miniapp is another order.
    let theirs = upsert_as(
        &h,
        &b,
        json!({"order_id": "o-1", "user_id": "shared-user", "status": "confirmed"}),
    )
    .await;
    theirs.assert_ok(201);
    let ours = h
        .as_app(&a, TestRequest::get().uri("/api/v1/order-activities/o-1"))
        .await;
    assert_eq!(ours.data()["status"], "created");
    let orders = h
        .as_app(
            &b,
            TestRequest::get().uri("/api/v1/users/shared-user/order-activities"),
        )
        .await;
    assert_eq!(orders.data()["items"].as_array().map(Vec::len), Some(1));
}

async fn walk(h: &Harness, app: &TestApp, path: &str, limit: u32) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut cursor: Option<String> = None;
    loop {
        let uri = match &cursor {
            Some(cursor) => format!("{path}?limit={limit}&cursor={cursor}"),
            None => format!("{path}?limit={limit}"),
        };
        let page = h.as_app(app, TestRequest::get().uri(&uri)).await;
        page.assert_ok(200);
        pages += 1;
        let items = ids(&page.data()["items"]);
        assert!(items.len() <= limit as usize);
        seen.extend(items);
        if page.data()["has_more"] == true {
            cursor = page.data()["next_cursor"].as_str().map(str::to_owned);
            assert!(cursor.is_some(), "has_more with a cursor");
        } else {
            assert_eq!(page.data()["next_cursor"], Value::Null);
            return (seen, pages);
        }
    }
}

/// Pagination walks all pages exactly once, newest first; bad limits and cursors are 400.
pub async fn pagination(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    let mut created = Vec::new();
    for n in 0..23 {
        let (id, _) = h.new_payment(&a, "walker", &format!("{}.00", n + 1)).await;
        created.push(id);
        if n % 3 == 0 {
            h.handles.clock.advance(Duration::seconds(1));
        }
        // Another user's payments stay out of the list.
        if n % 5 == 0 {
            h.new_payment(&a, "someone-else", "1.00").await;
        }
    }
    let (seen, pages) = walk(&h, &a, "/api/v1/users/walker/payments", 5).await;
    assert_eq!(pages, 5);
    let mut newest_first = created.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first, "every payment once, newest first");
    let (seen, pages) = walk(&h, &a, "/api/v1/users/walker/payments", 23).await;
    assert_eq!((seen.len(), pages), (23, 1));
    let default = h
        .as_app(&a, TestRequest::get().uri("/api/v1/users/walker/payments"))
        .await;
    assert_eq!(default.data()["items"].as_array().map(Vec::len), Some(20));
    assert_eq!(default.data()["has_more"], true);

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("cursor=!!!", "cursor"),
        ("cursor=bm90LWEtY3Vyc29y", "cursor"),
    ] {
        for path in [
            "/api/v1/users/walker/payments",
            "/api/v1/users/walker/order-activities",
        ] {
            let resp = h
                .as_app(&a, TestRequest::get().uri(&format!("{path}?{query}")))
                .await;
            assert_invalid(&resp, field);
        }
    }
    h.as_app(
        &a,
        TestRequest::get().uri("/api/v1/users/walker/payments?limit=100"),
    )
    .await
    .assert_ok(200);

    let mut orders = Vec::new();
    for n in 0..11 {
        let resp = h
            .as_app(
                &a,
                TestRequest::post()
                    .uri("/api/v1/order-activities")
                    .set_json(json!({
                        "order_id": format!("order-{n}"), "user_id": "walker", "status": "created",
                    })),
            )
            .await;
        resp.assert_ok(201);
        orders.push(resp.data()["id"].as_str().unwrap_or_default().to_owned());
        if n % 2 == 0 {
            h.handles.clock.advance(Duration::seconds(1));
        }
    }
    let (seen, pages) = walk(&h, &a, "/api/v1/users/walker/order-activities", 4).await;
    assert_eq!(pages, 3);
    orders.reverse();
    assert_eq!(seen, orders);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 11);
}

/// Order activities: create, unchanged, forward, backward, linked payment, terminal.
pub async fn order_activities(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    let (payment, token) = h.new_payment(&a, "u", "25.00").await;
    let upsert = |body: Value| {
        h.as_app(
            &a,
            TestRequest::post()
                .uri("/api/v1/order-activities")
                .set_json(body),
        )
    };
    let body = json!({
        "order_id": "order-9", "user_id": "u", "status": "created", "title": "Two pizzas",
        "items": [{"product_name": "Margherita", "quantity": 2, "price": "12.50"}],
        "total": 25, "currency": "USD", "payment_id": payment,
        "delivery": {"method": "delivery", "address": {"city": "Riyadh"}, "eta": "2026-11-21T20:00:00Z",
                     "tracking_url": "https://track.example/1", "courier": {"name": "Sam", "phone": "+966"}},
        "note": "ring twice",
    });
    let created = upsert(body.clone()).await;
    created.assert_ok(201);
    let data = created.data();
    assert!(data["id"].as_str().is_some_and(|id| id.starts_with("oa_")));
    assert_eq!(data["order_id"], "order-9");
    assert_eq!(data["status"], "created");
    assert_eq!(data["total"], "25.00");
    assert_eq!(data["payment_id"], payment.as_str());
    assert_eq!(data["payment_status"], "in_process");
    assert_eq!(data["delivery"]["courier"]["name"], "Sam");
    assert_eq!(data["delivery"]["method"], "delivery");
    assert_eq!(event_types(data), vec!["order_activity.created"]);

    let unchanged = upsert(body.clone()).await;
    unchanged.assert_ok(200);
    assert_eq!(unchanged.data()["events"].as_array().map(Vec::len), Some(1));

    let moved = upsert(json!({"order_id": "order-9", "user_id": "u", "status": "preparing"})).await;
    moved.assert_ok(200);
    assert_eq!(moved.data()["status"], "preparing");
    assert_eq!(
        moved.data()["title"],
        "Two pizzas",
        "absent fields are kept"
    );
    assert_eq!(moved.data()["events"].as_array().map(Vec::len), Some(2));

    let back = upsert(json!({"order_id": "order-9", "user_id": "u", "status": "confirmed"})).await;
    back.assert_error(409, "INVALID_STATE");
    assert_invalid(
        &upsert(json!({"order_id": "order-9", "user_id": "someone", "status": "ready"})).await,
        "user_id",
    );

    h.confirm(&payment, &token, None).await.assert_ok(200);
    let read = h
        .as_app(
            &a,
            TestRequest::get().uri("/api/v1/order-activities/order-9"),
        )
        .await;
    read.assert_ok(200);
    assert_eq!(read.data()["payment_status"], "paid");
    let types = event_types(read.data());
    assert_eq!(
        types,
        vec![
            "order_activity.created",
            "order_activity.status_changed",
            "payment.paid"
        ]
    );

    upsert(json!({"order_id": "order-9", "user_id": "u", "status": "delivered"}))
        .await
        .assert_ok(200);
    upsert(json!({"order_id": "order-9", "user_id": "u", "status": "cancelled"}))
        .await
        .assert_error(409, "INVALID_STATE");
    h.as_app(&a, TestRequest::get().uri("/api/v1/order-activities/nope"))
        .await
        .assert_error(404, "NOT_FOUND");
}

/// The internal API: auth, registration, rotation, tokens, payments, settlement.
pub async fn internal_api(backend: Backend) {
    let h = Harness::start(backend).await;
    let register = || {
        TestRequest::post()
            .uri("/internal/v1/apps")
            .set_json(json!({"name": "Pizza", "webhook_url": "https://pizza.example/hook"}))
    };
    h.internal(register())
        .await
        .assert_error(401, "UNAUTHENTICATED");
    h.internal(register().insert_header(("Authorization", "Bearer wrong")))
        .await
        .assert_error(401, "UNAUTHENTICATED");
    h.internal(register().insert_header(("Authorization", hostpay_testkit::app::ADMIN_TOKEN)))
        .await
        .assert_error(401, "UNAUTHENTICATED");
    let registered = h.admin(register()).await;
    registered.assert_ok(201);
    let data = registered.data();
    assert!(data["app_id"]
        .as_str()
        .is_some_and(|id| id.starts_with("app_")));
    assert!(data["secret_key"]
        .as_str()
        .is_some_and(|key| !key.is_empty()));
    assert!(data["webhook_secret"]
        .as_str()
        .is_some_and(|key| key.starts_with("whsec_")));
    assert_eq!(data["webhook_url"], "https://pizza.example/hook");
    assert_invalid(
        &h.admin(
            TestRequest::post()
                .uri("/internal/v1/apps")
                .set_json(json!({"name": "x", "webhook_url": "ftp://nope"})),
        )
        .await,
        "webhook_url",
    );
    assert_invalid(
        &h.admin(
            TestRequest::post()
                .uri("/internal/v1/apps")
                .set_json(json!({})),
        )
        .await,
        "name",
    );
    let listed = h.admin(TestRequest::get().uri("/internal/v1/apps")).await;
    listed.assert_ok(200);
    assert_eq!(listed.data().as_array().map(Vec::len), Some(1));
    assert!(!listed.text.contains("secret"), "{}", listed.text);

    h.admin(TestRequest::post().uri("/internal/v1/apps/app_unknown/rotate-secret"))
        .await
        .assert_error(404, "NOT_FOUND");
    let app = TestApp {
        id: data["app_id"].as_str().unwrap_or_default().to_owned(),
        secret: data["secret_key"].as_str().unwrap_or_default().to_owned(),
        webhook_secret: String::new(),
    };
    let mint = |body: Value| {
        h.admin(
            TestRequest::post()
                .uri("/internal/v1/user-tokens")
                .set_json(body),
        )
    };
    let minted = mint(json!({"user_id": "u", "app_id": app.id, "ttl_seconds": 60})).await;
    minted.assert_ok(201);
    assert!(minted.data()["expires_at"].is_string());
    mint(json!({"user_id": "u", "app_id": "app_unknown"}))
        .await
        .assert_error(404, "NOT_FOUND");
    assert_invalid(
        &mint(json!({"user_id": "u", "app_id": app.id, "ttl_seconds": 0})).await,
        "ttl_seconds",
    );
    assert_invalid(&mint(json!({"app_id": app.id})).await, "user_id");

    let (id, _) = h.new_payment(&app, "u", "9.99").await;
    let read = h
        .admin(TestRequest::get().uri(&format!("/internal/v1/payments/{id}")))
        .await;
    read.assert_ok(200);
    assert_eq!(read.data()["id"], id.as_str());
    let fresh_token = read.data()["session"]["token"].as_str().unwrap_or_default();
    assert!(read.data()["session"]["checkout_url"]
        .as_str()
        .is_some_and(|url| url.contains(fresh_token)));
    h.admin(TestRequest::get().uri("/internal/v1/payments/pay_unknown"))
        .await
        .assert_error(404, "NOT_FOUND");

    let settle = |payment: &str, body: Value| {
        h.admin(
            TestRequest::post()
                .uri(&format!("/internal/v1/payments/{payment}/settle"))
                .set_json(body),
        )
    };
    assert_invalid(&settle(&id, json!({"status": "refunded"})).await, "status");
    let settled = settle(&id, json!({"status": "paid"})).await;
    settled.assert_ok(200);
    assert_eq!(settled.data()["status"], "paid");
    let again = settle(&id, json!({"status": "failed", "fail_reason": "late"})).await;
    again.assert_error(409, "INVALID_STATE");
    assert_eq!(again.data()["status"], "paid");
    // A payment that can no longer be paid gets no new payment-sheet session.
    let reread = h
        .admin(TestRequest::get().uri(&format!("/internal/v1/payments/{id}")))
        .await;
    reread.assert_ok(200);
    assert_eq!(reread.data()["status"], "paid");
    assert!(reread.data()["session"].is_null(), "{:?}", reread.data());
    let (other, _) = h.new_payment(&app, "u", "1.00").await;
    let failed = settle(
        &other,
        json!({"status": "failed", "fail_reason": "insufficient funds"}),
    )
    .await;
    assert_eq!(failed.data()["status"], "failed");
    assert_eq!(failed.data()["fail_reason"], "insufficient funds");
    settle("pay_unknown", json!({"status": "paid"}))
        .await
        .assert_error(404, "NOT_FOUND");

    // A session issued by the internal API views and cancels like the first one; it
    // cannot pay (only a pay grant can).
    let (third, _) = h.new_payment(&app, "u", "2.00").await;
    let read = h
        .admin(TestRequest::get().uri(&format!("/internal/v1/payments/{third}")))
        .await;
    let token = read.data()["session"]["token"].as_str().unwrap_or_default();
    h.confirm(&third, token, None)
        .await
        .assert_error(403, "FORBIDDEN");
    let cancelled = h
        .public(
            TestRequest::post()
                .uri(&format!("/checkout/{third}/cancel"))
                .insert_header(("Authorization", format!("Bearer {token}"))),
        )
        .await;
    cancelled.assert_ok(200);
    assert_eq!(cancelled.data()["status"], "cancelled");

    // With no admin token configured, the internal API refuses everything.
    let closed = Harness::start_with(backend, None).await;
    closed
        .internal(register().insert_header(("Authorization", "Bearer ")))
        .await
        .assert_error(401, "UNAUTHENTICATED");
    closed
        .internal(register().insert_header((
            "Authorization",
            format!("Bearer {}", hostpay_testkit::app::ADMIN_TOKEN),
        )))
        .await
        .assert_error(401, "UNAUTHENTICATED");
}

/// Unknown objects are 404 in the envelope.
pub async fn unknown_objects(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    for path in [
        "/api/v1/payments/pay_doesnotexist",
        "/api/v1/payments/not-an-id",
        "/api/v1/order-activities/none",
    ] {
        h.as_app(&a, TestRequest::get().uri(path))
            .await
            .assert_error(404, "NOT_FOUND");
    }
}

struct SilentProcessor;

#[async_trait]
impl PaymentProcessor for SilentProcessor {
    fn can_simulate(&self) -> bool {
        false
    }
    async fn charge(&self, _request: &ChargeRequest) -> Result<ChargeOutcome, ProcessorError> {
        Err(ProcessorError::Timeout)
    }
    async fn refund(&self, _request: &RefundRequest) -> Result<Result<(), String>, ProcessorError> {
        Err(ProcessorError::Timeout)
    }
}

/// A processor without an answer: 502, the payment stays `in_process`; decline
/// simulation outside the sandbox is a 400.
pub async fn processor_unavailable(backend: Backend) {
    let h = Harness::start_custom(backend, Some(hostpay_testkit::app::ADMIN_TOKEN), |ports| {
        ports.processor = Arc::new(SilentProcessor);
    })
    .await;
    let a = h.register_app("Pizza").await;
    let (id, token) = h.new_payment(&a, "u", "25.00").await;
    let resp = h.confirm(&id, &token, None).await;
    resp.assert_error(502, "PROCESSOR_UNAVAILABLE");
    assert_eq!(h.get_payment(&a, &id).await.data()["status"], "in_process");
    assert_invalid(
        &h.confirm(&id, &token, Some(json!({"simulate": "decline"})))
            .await,
        "simulate",
    );
    let page = h
        .public(TestRequest::get().uri(&format!("/checkout/{id}?grant={token}")))
        .await;
    assert!(!page.text.contains("Simulate decline"));
}

struct BrokenApps;

#[async_trait]
impl AppRepository for BrokenApps {
    async fn insert(&self, _app: &Miniapp) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("db password=hunter2".to_owned()))
    }
    async fn get(&self, _id: &AppId) -> Result<Option<Miniapp>, StoreError> {
        Err(StoreError::Unavailable("db password=hunter2".to_owned()))
    }
    async fn list(&self, _limit: u32) -> Result<Vec<Miniapp>, StoreError> {
        Err(StoreError::Unavailable("db password=hunter2".to_owned()))
    }
    async fn save(&self, _app: &Miniapp) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("db password=hunter2".to_owned()))
    }
}

/// A broken store: 500 INTERNAL, nothing leaked.
pub async fn internal_errors(backend: Backend) {
    let h = Harness::start_custom(backend, Some(hostpay_testkit::app::ADMIN_TOKEN), |ports| {
        ports.apps = Arc::new(BrokenApps);
    })
    .await;
    let app = TestApp {
        id: "app_x".to_owned(),
        secret: "sk_x".to_owned(),
        webhook_secret: String::new(),
    };
    let resp = h
        .as_app(&app, TestRequest::get().uri("/api/v1/users/u/payments"))
        .await;
    // A store that fails is "retry shortly", never a 500, and leaks nothing.
    resp.assert_error(503, "UNAVAILABLE");
    assert!(!resp.text.contains("hunter2"));
    let resp = h
        .admin(
            TestRequest::post()
                .uri("/internal/v1/apps")
                .set_json(json!({"name": "x"})),
        )
        .await;
    resp.assert_error(503, "UNAVAILABLE");
    assert!(!resp.text.contains("hunter2"));
}

/// The per-miniapp rate limit: 429 `RATE_LIMITED` with `Retry-After`, per miniapp.
pub async fn rate_limited(backend: Backend) {
    let h = Harness::start_limited(backend, 1, 3).await;
    let a = h.register_app("Pizza").await;
    let b = h.register_app("Books").await;
    let list = |app: &TestApp| {
        TestRequest::get()
            .uri("/api/v1/users/u/payments")
            .insert_header(("Authorization", app.auth()))
    };
    for _ in 0..3 {
        h.public(list(&a)).await.assert_ok(200);
    }
    let limited = h.public(list(&a)).await;
    limited.assert_error(429, "RATE_LIMITED");
    assert!(limited.header("retry-after").is_some());
    // The bucket is the authenticated app's, however the header is spelled.
    for scheme in ["token", "TOKEN", "Token  "] {
        let respelled = a.auth().replacen("Token ", &format!("{scheme} "), 1);
        let again = h
            .public(
                TestRequest::get()
                    .uri("/api/v1/users/u/payments")
                    .insert_header(("Authorization", respelled)),
            )
            .await;
        again.assert_error(429, "RATE_LIMITED");
    }
    // Someone with a's id and a wrong secret neither drains b nor gets through.
    let wrong = hostpay_testkit::app::token_header(&a.id, "sk_wrong");
    let guessed = h
        .public(
            TestRequest::get()
                .uri("/api/v1/users/u/payments")
                .insert_header(("Authorization", wrong)),
        )
        .await;
    assert!(matches!(guessed.status, 401 | 429), "{}", guessed.text);
    h.public(list(&b)).await.assert_ok(200);
}

/// Concurrent confirms charge once; concurrent refunds never exceed the amount.
pub async fn concurrent_confirms_and_refunds(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    let (id, token) = h.new_payment(&a, "u", "25.00").await;
    let confirms = futures::future::join_all((0..5).map(|_| h.confirm(&id, &token, None))).await;
    let statuses: Vec<u16> = confirms.iter().map(|resp| resp.status).collect();
    assert_eq!(
        statuses.iter().filter(|status| **status == 200).count(),
        1,
        "{statuses:?}"
    );
    for resp in confirms.iter().filter(|resp| resp.status != 200) {
        resp.assert_error(409, "INVALID_STATE");
        assert_eq!(resp.data()["status"], "paid");
    }
    assert_eq!(h.handles.processor.charge_count(), 1);
    let refunds =
        futures::future::join_all((0..5).map(|_| h.refund(&a, &id, json!({"amount": "10.00"}))))
            .await;
    let created = refunds.iter().filter(|resp| resp.status == 201).count();
    assert_eq!(
        created,
        2,
        "{:?}",
        refunds.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for resp in refunds.iter().filter(|resp| resp.status != 201) {
        resp.assert_error(422, "REFUND_EXCEEDS_AMOUNT");
    }
    let read = h.get_payment(&a, &id).await;
    assert_eq!(read.data()["refunded_amount"], "20.00");
}

/// A list page shows each payment and activity exactly as its single read does (events,
/// refunds and linked payment statuses included), only read in batches.
pub async fn list_pages_match_single_reads(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Pizza").await;
    let b = h.register_app("Books").await;
    let (refunded, _) = h.paid_payment(&a, "lister", "30.00").await;
    let refund = h.refund(&a, &refunded, json!({"amount": "5.00"})).await;
    assert!(refund.status < 300, "the refund is accepted");
    let (open, _) = h.new_payment(&a, "lister", "12.00").await;
    let (paid, _) = h.paid_payment(&a, "lister", "7.00").await;
    h.paid_payment(&b, "lister", "9.00").await;

    let list = h
        .as_app(&a, TestRequest::get().uri("/api/v1/users/lister/payments"))
        .await;
    list.assert_ok(200);
    let items = list.data()["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        ids(&list.data()["items"]),
        vec![paid.clone(), open.clone(), refunded.clone()]
    );
    for item in &items {
        let id = item["id"].as_str().unwrap_or_default();
        let single = h.get_payment(&a, id).await;
        assert_eq!(
            item,
            single.data(),
            "the list shows payment {id} as its read does"
        );
        assert!(
            !event_types(item).is_empty(),
            "payment {id} lists its events"
        );
    }
    assert_eq!(
        event_types(&items[2]).len(),
        4,
        "created, paid, refund created and succeeded"
    );

    for (order, payment) in [
        ("l-1", Some(&refunded)),
        ("l-2", Some(&open)),
        ("l-3", None),
    ] {
        let mut body = json!({"order_id": order, "user_id": "lister", "status": "created"});
        if let Some(payment) = payment {
            body["payment_id"] = json!(payment);
        }
        upsert_as(&h, &a, body).await.assert_ok(201);
    }
    let orders = h
        .as_app(
            &a,
            TestRequest::get().uri("/api/v1/users/lister/order-activities"),
        )
        .await;
    orders.assert_ok(200);
    let items = orders.data()["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 3);
    for item in &items {
        let order = item["order_id"].as_str().unwrap_or_default();
        let single = h
            .as_app(
                &a,
                TestRequest::get().uri(&format!("/api/v1/order-activities/{order}")),
            )
            .await;
        assert_eq!(
            item,
            single.data(),
            "the list shows activity {order} as its read does"
        );
        let expected = match order {
            "l-1" => h.get_payment(&a, &refunded).await.data()["status"].clone(),
            "l-2" => json!("in_process"),
            _ => Value::Null,
        };
        assert!(order == "l-3" || expected.is_string());
        assert_eq!(
            item["payment_status"], expected,
            "activity {order}'s payment status"
        );
    }
}

/// One test per case for a backend.
macro_rules! cases {
    ($backend:expr; $($case:ident),* $(,)?) => {
        $(
            #[actix_web::test]
            async fn $case() {
                super::$case($backend).await;
            }
        )*
    };
}

/// Every case over the testkit's in-memory store.
mod memory {
    use hostpay_testkit::app::Backend;

    cases!(Backend::Memory;
        verify_token, miniapp_auth, create_and_read_payment,
        invalid_requests_name_the_field, payment_idempotency, refunds, checkout_actions,
        checkout_page, tenant_isolation, pagination, order_activities, internal_api,
        unknown_objects, processor_unavailable, internal_errors, rate_limited,
        concurrent_confirms_and_refunds, list_pages_match_single_reads);
}

/// The smoke set over the SQLite store (a temporary file per test).
mod sqlite {
    use hostpay_testkit::app::Backend;

    cases!(Backend::Sqlite;
        create_and_read_payment, checkout_actions, refunds, payment_idempotency,
        order_activities, list_pages_match_single_reads, tenant_isolation,
        concurrent_confirms_and_refunds);
}

/// The smoke set over the PostgreSQL store (a database cloned from the migrated template
/// per test on `HOSTPAY_TEST_PG_URL`; fails when the server cannot be reached).
mod postgres {
    use hostpay_testkit::app::Backend;

    cases!(Backend::Postgres;
        create_and_read_payment, checkout_actions, refunds, payment_idempotency,
        order_activities, list_pages_match_single_reads, tenant_isolation,
        concurrent_confirms_and_refunds);
}
