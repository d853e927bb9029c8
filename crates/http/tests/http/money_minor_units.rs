//! ISO 4217 minor units on the wire (api.md section 1), on every store: an amount may not
//! have more decimals than its currency (`"10.50"` JPY is 400 naming `amount`), and is
//! written back with exactly the currency's decimals (`"1000"` JPY, `"12.50"` USD,
//! `"10.500"` KWD); exponent forms are read exactly, never rounded. The Boxo surface stays
//! at most 2 decimals and fits the currency too (`INVALID_ORDER_DATA`).

use actix_web::test::TestRequest;
use hostpay_testkit::app::{Backend, Harness, Resp, TestApp};
use serde_json::{json, Value};

fn assert_invalid(resp: &Resp, field: &str) {
    resp.assert_error(400, "INVALID_REQUEST");
    assert_eq!(
        resp.json["error"]["details"]["field"], field,
        "{}",
        resp.text
    );
}

async fn create(h: &Harness, app: &TestApp, body: Value) -> Resp {
    h.as_app(
        app,
        TestRequest::post().uri("/api/v1/payments").set_json(body),
    )
    .await
}

async fn pay(h: &Harness, app: &TestApp, currency: &str, amount: Value) -> Resp {
    create(
        h,
        app,
        json!({"user_id": "u-1", "amount": amount, "currency": currency}),
    )
    .await
}

/// Creates a payment, reads it back, and checks both show `written`.
async fn round_trip(h: &Harness, app: &TestApp, currency: &str, amount: Value, written: &str) {
    let resp = pay(h, app, currency, amount.clone()).await;
    resp.assert_ok(201);
    assert_eq!(resp.data()["amount"], written, "{amount} {currency}");
    assert_eq!(resp.data()["currency"], currency);
    let id = resp.data()["id"].as_str().unwrap_or_default().to_owned();
    let read = h.get_payment(app, &id).await;
    read.assert_ok(200);
    assert_eq!(
        read.data()["amount"],
        written,
        "{amount} {currency} read back"
    );
}

/// Settles a payment as paid through the internal API.
async fn settle_paid(h: &Harness, id: &str) {
    h.admin(
        TestRequest::post()
            .uri(&format!("/internal/v1/payments/{id}/settle"))
            .set_json(json!({"status": "paid"})),
    )
    .await
    .assert_ok(200);
}

async fn upsert(h: &Harness, app: &TestApp, body: Value) -> Resp {
    h.as_app(
        app,
        TestRequest::post()
            .uri("/api/v1/order-activities")
            .set_json(body),
    )
    .await
}

async fn payments_keep_their_currency_decimals(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Minor units").await;

    // JPY: no minor unit.
    let refused = pay(&h, &a, "JPY", json!("10.50")).await;
    assert_invalid(&refused, "amount");
    assert!(refused.text.contains("JPY"), "{}", refused.text);
    assert_invalid(&pay(&h, &a, "JPY", json!(10.5)).await, "amount");
    assert_invalid(&pay(&h, &a, "JPY", json!("1.05e1")).await, "amount");
    round_trip(&h, &a, "JPY", json!("1000"), "1000").await;
    round_trip(&h, &a, "JPY", json!(1000), "1000").await;
    round_trip(&h, &a, "JPY", json!("1000.00"), "1000").await;
    round_trip(&h, &a, "JPY", json!("1e3"), "1000").await;
    round_trip(
        &h,
        &a,
        "JPY",
        json!("999999999999999999"),
        "999999999999999999",
    )
    .await;

    // USD: two.
    round_trip(&h, &a, "USD", json!("12.50"), "12.50").await;
    round_trip(&h, &a, "USD", json!(12.5), "12.50").await;
    round_trip(&h, &a, "USD", json!("1.25e1"), "12.50").await;
    assert_invalid(&pay(&h, &a, "USD", json!("12.505")).await, "amount");
    assert_invalid(&pay(&h, &a, "USD", json!("10.001")).await, "amount");
    // The same digits with or without `e0`: refused alike, never rounded to 12.34.
    assert_invalid(
        &pay(&h, &a, "USD", json!("12.3400000000000000000000000001")).await,
        "amount",
    );
    assert_invalid(
        &pay(&h, &a, "USD", json!("12.3400000000000000000000000001e0")).await,
        "amount",
    );
    let raw = br#"{"user_id":"u-1","currency":"USD","amount":12.3400000000000000000000000001e0}"#;
    let resp = h
        .as_app(
            &a,
            TestRequest::post()
                .uri("/api/v1/payments")
                .insert_header(("Content-Type", "application/json"))
                .set_payload(raw.to_vec()),
        )
        .await;
    assert_invalid(&resp, "amount");

    // KWD: three.
    round_trip(&h, &a, "KWD", json!("10.500"), "10.500").await;
    round_trip(&h, &a, "KWD", json!("10.5"), "10.500").await;
    round_trip(&h, &a, "KWD", json!("10.505"), "10.505").await;
    round_trip(&h, &a, "KWD", json!(10.505), "10.505").await;
    round_trip(
        &h,
        &a,
        "KWD",
        json!("99999999999999999.999"),
        "99999999999999999.999",
    )
    .await;
    assert_invalid(&pay(&h, &a, "KWD", json!("10.5051")).await, "amount");
    assert_invalid(
        &pay(&h, &a, "KWD", json!("999999999999999999.9")).await,
        "amount",
    );

    // Items: their payment's currency.
    let with_items = |currency: &str, price: &str| {
        json!({
            "user_id": "u-1", "amount": "1000", "currency": currency,
            "items": [{"product_name": "Dates", "quantity": 2, "price": price, "discount": "0"}],
        })
    };
    assert_invalid(
        &create(&h, &a, with_items("JPY", "250.5")).await,
        "items[0].price",
    );
    assert_invalid(
        &create(&h, &a, with_items("USD", "1.255")).await,
        "items[0].price",
    );
    let resp = create(&h, &a, with_items("JPY", "250")).await;
    resp.assert_ok(201);
    assert_eq!(resp.data()["items"][0]["price"], "250");
    assert_eq!(resp.data()["items"][0]["discount"], "0");
    assert_eq!(resp.data()["refunded_amount"], "0");
    let resp = create(&h, &a, with_items("KWD", "1.255")).await;
    resp.assert_ok(201);
    assert_eq!(resp.data()["amount"], "1000.000");
    assert_eq!(resp.data()["items"][0]["price"], "1.255");
    assert_eq!(resp.data()["items"][0]["discount"], "0.000");
    let id = resp.data()["id"].as_str().unwrap_or_default().to_owned();
    let read = h.get_payment(&a, &id).await;
    assert_eq!(read.data()["items"][0]["price"], "1.255");
    assert_eq!(read.data()["refunded_amount"], "0.000");
}

async fn refunds_keep_their_currency_decimals(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Minor-unit refunds").await;
    for (currency, amount, refused, refund, written, total) in [
        ("JPY", "1000", "0.5", "300", "300", "1000"),
        ("KWD", "10.5", "0.0001", "0.125", "0.125", "10.500"),
        ("USD", "12.50", "0.125", "2.5", "2.50", "12.50"),
    ] {
        let created = pay(&h, &a, currency, json!(amount)).await;
        created.assert_ok(201);
        let id = created.data()["id"].as_str().unwrap_or_default().to_owned();
        settle_paid(&h, &id).await;
        assert_invalid(
            &h.refund(&a, &id, json!({"amount": refused})).await,
            "amount",
        );
        let resp = h.refund(&a, &id, json!({"amount": refund})).await;
        resp.assert_ok(201);
        assert_eq!(resp.data()["amount"], written, "{currency}");
        assert_eq!(resp.data()["currency"], currency);
        let read = h.get_payment(&a, &id).await;
        read.assert_ok(200);
        assert_eq!(read.data()["amount"], total, "{currency}");
        assert_eq!(read.data()["refunds"][0]["amount"], written, "{currency}");
        if resp.data()["status"] == "succeeded" {
            assert_eq!(read.data()["refunded_amount"], written, "{currency}");
        }
    }
}

async fn order_activities_keep_their_currency_decimals(backend: Backend) {
    let h = Harness::start(backend).await;
    let a = h.register_app("Minor-unit orders").await;
    let order = |id: &str, total: Value, currency: Value| {
        json!({
            "order_id": id, "user_id": "u-1", "status": "created",
            "total": total, "currency": currency,
            "items": [{"product_name": "Dates", "price": total}],
        })
    };
    assert_invalid(
        &upsert(&h, &a, order("o-jpy", json!("10.50"), json!("JPY"))).await,
        "total",
    );
    let resp = upsert(&h, &a, order("o-jpy", json!("1000"), json!("JPY"))).await;
    resp.assert_ok(201);
    assert_eq!(resp.data()["total"], "1000");
    assert_eq!(resp.data()["items"][0]["price"], "1000");
    // The stored currency holds for a later update that does not repeat it.
    let later = json!({
        "order_id": "o-jpy", "user_id": "u-1", "status": "confirmed",
        "items": [{"product_name": "Dates", "price": "1.5"}],
    });
    assert_invalid(&upsert(&h, &a, later).await, "items[0].price");

    let resp = upsert(&h, &a, order("o-kwd", json!("10.500"), json!("KWD"))).await;
    resp.assert_ok(201);
    assert_eq!(resp.data()["total"], "10.500");
    let resp = upsert(&h, &a, order("o-kwd-2", json!(10.505), json!("KWD"))).await;
    resp.assert_ok(201);
    assert_eq!(resp.data()["total"], "10.505");
    let read = h
        .as_app(
            &a,
            TestRequest::get().uri("/api/v1/order-activities/o-kwd-2"),
        )
        .await;
    read.assert_ok(200);
    assert_eq!(read.data()["total"], "10.505");
    assert_eq!(read.data()["items"][0]["price"], "10.505");

    let resp = upsert(&h, &a, order("o-usd", json!("12.5"), json!("USD"))).await;
    resp.assert_ok(201);
    assert_eq!(resp.data()["total"], "12.50");
    // Without a currency: at most 2 decimals, written with two.
    assert_invalid(
        &upsert(&h, &a, order("o-none", json!("10.505"), Value::Null)).await,
        "total",
    );
    let resp = upsert(&h, &a, order("o-none", json!("10.5"), Value::Null)).await;
    resp.assert_ok(201);
    assert_eq!(resp.data()["total"], "10.50");
}

macro_rules! on_every_store {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(
                #[actix_web::test]
                async fn $case() {
                    super::$case(super::Backend::Memory).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $case() {
                    super::$case(super::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $case() {
                    super::$case(super::Backend::Postgres).await;
                }
            )*
        }
    };
}

on_every_store!(
    payments_keep_their_currency_decimals,
    refunds_keep_their_currency_decimals,
    order_activities_keep_their_currency_decimals,
);

/// The Boxo surface: at most 2 decimals, and no more than the order's currency has.
#[actix_web::test]
async fn boxo_orders_fit_their_currency_and_two_decimals() {
    use hostpay_testkit::boxo::*;
    use hostpay_testkit::{boxo_app, boxo_call};

    let world = world(boxo_settings()).await;
    let app = boxo_app!(world.state);
    let order = |id: &str, currency: &str, amount: Value, price: Value| {
        let mut body = order_body(&world.app_id, id);
        body["order"]["currency"] = json!(currency);
        body["order"]["amount"] = amount;
        body["order"]["subtotal_amount"] = Value::Null;
        body["order"]["shipping_amount"] = Value::Null;
        body["order"]["tax_amount"] = Value::Null;
        body["order"]["items"][0]["price"] = price;
        body
    };
    let refused = |answer: &Value, field: &str| {
        assert_eq!(error_code(answer), "INVALID_ORDER_DATA", "{answer}");
        let message = answer["error_message"].as_str().unwrap_or_default();
        assert!(message.starts_with(field), "{field}: {answer}");
    };
    let answer = boxo_call!(
        app,
        post(
            "/boxo/v1/order-payments",
            &order("b-1", "JPY", json!("10.50"), json!("10"))
        )
    );
    refused(&answer, "order.amount");
    let answer = boxo_call!(
        app,
        post(
            "/boxo/v1/order-payments",
            &order("b-2", "KWD", json!("10.505"), json!("10"))
        )
    );
    refused(&answer, "order.amount");
    let answer = boxo_call!(
        app,
        post(
            "/boxo/v1/order-payments",
            &order("b-3", "KWD", json!("10.50"), json!("1.255"))
        )
    );
    refused(&answer, "order.items[0].price");
    let answer = boxo_call!(
        app,
        post(
            "/boxo/v1/order-payments",
            &order("b-4", "JPY", json!("1000"), json!("1.5"))
        )
    );
    refused(&answer, "order.items[0].price");
    for (id, currency, amount) in [("b-5", "JPY", "1000"), ("b-6", "KWD", "10.50")] {
        let answer = boxo_call!(
            app,
            post(
                "/boxo/v1/order-payments",
                &order(id, currency, json!(amount), json!("10"))
            )
        );
        assert!(
            answer["order_payment_id"].as_str().is_some(),
            "{currency} {amount}: {answer}"
        );
    }
}
