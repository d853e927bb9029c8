//! No input yields a 5xx (api.md section 1): thousands of arbitrary bodies, bytes,
//! headers, path segments and cursors thrown at every request parser of both listeners.
//! Every answer must be below 500 (the Boxo surface: always HTTP 200), and control
//! characters are refused naming the field. Runs on the in-memory store with many cases
//! and on PostgreSQL (where a NUL used to be a 500) with fewer.

use actix_web::test::TestRequest;
use base64::Engine;
use hostpay_testkit::app::{Backend, Harness, TestApp, BOXO_CLIENT_ID, BOXO_SECRET_KEY};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Map, Value};

/// Strings that reach the corners: control characters, NULs, long runs, unicode,
/// numbers in text, exponents, ids.
fn hostile_string() -> BoxedStrategy<String> {
    prop_oneof![
        "\\PC{0,12}",
        "[\\x00-\\x1f]{1,3}",
        "[a-z]{0,3}\\x00[a-z]{0,3}",
        "[0-9]{0,25}(\\.[0-9]{0,8})?([eE][-+]?[0-9]{1,4})?",
        "(pay|ref|oa|app|evt|dlv|pg|ps)_[A-Za-z0-9%\\x00]{0,30}",
        "[A-Z]{2,4}",
        Just("x".repeat(300)),
        Just(String::new()),
        Just("\u{0}".to_owned()),
        Just("9".repeat(40)),
        Just("1e400".to_owned()),
        Just("-0.00".to_owned()),
    ]
    .boxed()
}

fn leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        hostile_string().prop_map(Value::String),
    ]
    .boxed()
}

fn arbitrary_json() -> BoxedStrategy<Value> {
    leaf()
        .prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(hostile_string(), inner, 0..4)
                    .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>())),
            ]
        })
        .boxed()
}

/// A valid body with some fields replaced (or removed, or added) by arbitrary values:
/// it gets past the envelope of the parser into the field checks and the use case.
fn mutated(template: Value) -> BoxedStrategy<Value> {
    let keys: Vec<String> = template
        .as_object()
        .map(|object| object.keys().cloned().collect())
        .unwrap_or_default();
    let count = keys.len().max(1);
    (
        prop::collection::vec((0..count, arbitrary_json(), any::<u8>()), 0..4),
        hostile_string(),
    )
        .prop_map(move |(changes, extra_key)| {
            let mut body = template.clone();
            if let Some(object) = body.as_object_mut() {
                for (index, value, how) in changes {
                    let Some(key) = keys.get(index) else { continue };
                    match how % 4 {
                        0 => {
                            object.remove(key);
                        }
                        1 => {
                            object.insert(extra_key.clone(), value);
                        }
                        _ => {
                            object.insert(key.clone(), value);
                        }
                    }
                }
            }
            body
        })
        .boxed()
}

/// What goes in a body: raw bytes, arbitrary JSON, or a mutated valid body.
fn body(template: Value) -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..64),
        2 => arbitrary_json().prop_map(|value| value.to_string().into_bytes()),
        5 => mutated(template).prop_map(|value| value.to_string().into_bytes()),
    ]
    .boxed()
}

struct Target {
    name: &'static str,
    method: &'static str,
    path: String,
    internal: bool,
    auth: Option<String>,
    template: Value,
}

fn boxo_auth() -> String {
    format!(
        "Token {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{BOXO_CLIENT_ID}:{BOXO_SECRET_KEY}"))
    )
}

async fn targets(h: &Harness, app: &TestApp) -> Vec<Target> {
    let (paid, _) = h.paid_payment(app, "user-1", "50.00").await;
    let (open, session) = h.new_session(app, "user-1", "20.00").await;
    let grant = h.grant(&open, "user-1").await;
    let grant = grant.data()["grant"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let bearer = |token: &str| Some(format!("Bearer {token}"));
    vec![
        Target {
            name: "create payment",
            method: "POST",
            path: "/api/v1/payments".to_owned(),
            internal: false,
            auth: Some(app.auth()),
            template: json!({"user_id": "user-1", "amount": "12.50", "currency": "USD",
                "miniapp_order_id": "o-1", "description": "two\nlines",
                "items": [{"product_name": "Pizza", "quantity": 2, "price": "6.25", "discount": "0"}],
                "shipping_address": {"address_line1": "1 Main St", "city": "Riyadh", "country": "SA"},
                "custom_attributes": {"table": "7"}}),
        },
        Target {
            name: "refund",
            method: "POST",
            path: format!("/api/v1/payments/{paid}/refunds"),
            internal: false,
            auth: Some(app.auth()),
            template: json!({"amount": "1.00", "reason": "late"}),
        },
        Target {
            name: "order activity",
            method: "POST",
            path: "/api/v1/order-activities".to_owned(),
            internal: false,
            auth: Some(app.auth()),
            template: json!({"order_id": "o-1", "user_id": "user-1", "status": "confirmed",
                "title": "Dinner", "items": [{"product_name": "Pizza", "quantity": 1, "price": "5"}],
                "total": "5.00", "currency": "USD", "payment_id": paid,
                "delivery": {"method": "delivery", "eta": "2026-12-01T12:00:00Z",
                    "tracking_url": "https://t.example/1", "courier": {"name": "Ali", "phone": "+966500000000"}},
                "note": "ring"}),
        },
        Target {
            name: "verify token",
            method: "POST",
            path: "/api/v1/users/verify-token".to_owned(),
            internal: false,
            auth: Some(app.auth()),
            template: json!({}),
        },
        Target {
            name: "confirm",
            method: "POST",
            path: format!("/checkout/{open}/confirm"),
            internal: false,
            auth: bearer(&grant),
            template: json!({"simulate": "decline"}),
        },
        Target {
            name: "cancel",
            method: "POST",
            path: format!("/checkout/{open}/cancel"),
            internal: false,
            auth: bearer(&session),
            template: json!({}),
        },
        Target {
            name: "boxo create",
            method: "POST",
            path: "/boxo/v1/order-payments".to_owned(),
            internal: false,
            auth: Some(boxo_auth()),
            template: json!({"app_id": app.id, "order": {"amount": "10.00", "currency": "SAR",
                "miniapp_order_id": "b-1", "hostapp_user_id": "user-1",
                "items": [{"product_name": "Tea", "quantity": 1, "price": "10.00"}],
                "custom_attributes": {"a": 1}}}),
        },
        Target {
            name: "boxo status",
            method: "POST",
            path: "/boxo/v1/order-payments/status".to_owned(),
            internal: false,
            auth: Some(boxo_auth()),
            template: json!({"app_id": app.id, "client_id": BOXO_CLIENT_ID, "order_payment_id": paid}),
        },
        Target {
            name: "register app",
            method: "POST",
            path: "/internal/v1/apps".to_owned(),
            internal: true,
            auth: bearer(hostpay_testkit::app::ADMIN_TOKEN),
            template: json!({"name": "Shop", "webhook_url": "http://127.0.0.1:9/hook"}),
        },
        Target {
            name: "user token",
            method: "POST",
            path: "/internal/v1/user-tokens".to_owned(),
            internal: true,
            auth: bearer(hostpay_testkit::app::ADMIN_TOKEN),
            template: json!({"user_id": "user-1", "app_id": app.id, "ttl_seconds": 60}),
        },
        Target {
            name: "grant",
            method: "POST",
            path: format!("/internal/v1/payments/{open}/grants"),
            internal: true,
            auth: bearer(hostpay_testkit::app::ADMIN_TOKEN),
            template: json!({"user_id": "user-1"}),
        },
        Target {
            name: "settle",
            method: "POST",
            path: format!("/internal/v1/payments/{open}/settle"),
            internal: true,
            auth: bearer(hostpay_testkit::app::ADMIN_TOKEN),
            template: json!({"status": "failed", "fail_reason": "no"}),
        },
    ]
}

fn request(target: &Target, body: Vec<u8>) -> TestRequest {
    let request = match target.method {
        "POST" => TestRequest::post(),
        _ => TestRequest::get(),
    }
    .uri(&target.path)
    .insert_header(("Content-Type", "application/json"))
    .set_payload(body);
    match &target.auth {
        Some(auth) => request.insert_header(("Authorization", auth.clone())),
        None => request,
    }
}

fn assert_no_5xx(name: &str, status: u16, boxo: bool, input: &str, text: &str) {
    assert!(status < 500, "{name}: {status} for input {input:?}: {text}");
    if boxo {
        assert_eq!(
            status, 200,
            "{name}: Boxo answers HTTP 200, got {status} for {input:?}"
        );
    }
}

/// Every POST route of both listeners with `cases` arbitrary bodies each.
async fn bodies_never_yield_a_5xx(backend: Backend, cases: u32) {
    let h = Harness::start_limited(backend, 1_000_000, 1_000_000).await;
    let app = h.register_app("Pizza").await;
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    for target in targets(&h, &app).await {
        let strategy = body(target.template.clone());
        for _ in 0..cases {
            let Ok(tree) = strategy.new_tree(&mut runner) else {
                continue;
            };
            let raw = tree.current();
            let request = request(&target, raw.clone());
            let response = if target.internal {
                h.internal(request).await
            } else {
                h.public(request).await
            };
            assert_no_5xx(
                target.name,
                response.status,
                target.path.starts_with("/boxo/"),
                &String::from_utf8_lossy(&raw),
                &response.text,
            );
        }
    }
}

/// Path segments, query strings (cursors, limits, states) and header values.
async fn paths_queries_and_headers_never_yield_a_5xx(backend: Backend, cases: u32) {
    let h = Harness::start_limited(backend, 1_000_000, 1_000_000).await;
    let app = h.register_app("Pizza").await;
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    let segment = hostile_string();
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|byte| {
                if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                    (byte as char).to_string()
                } else {
                    format!("%{byte:02X}")
                }
            })
            .collect()
    };
    let header_value = "[\\x20-\\x7e]{0,40}";
    for _ in 0..cases {
        let text = segment
            .new_tree(&mut runner)
            .map(|t| t.current())
            .unwrap_or_default();
        let cursor_raw = segment
            .new_tree(&mut runner)
            .map(|t| t.current())
            .unwrap_or_default();
        let cursor = if cursor_raw.len().is_multiple_of(2) {
            // A cursor-shaped value: base64 of "micros|id" with hostile parts.
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{cursor_raw}|{text}"))
        } else {
            cursor_raw.clone()
        };
        let value = header_value
            .new_tree(&mut runner)
            .map(|t| t.current())
            .unwrap_or_default();
        let seg = encode(&text);
        let q = encode(&cursor);
        let miniapp = [
            format!("/api/v1/payments/{seg}"),
            format!(
                "/api/v1/users/{seg}/payments?limit={}&cursor={q}",
                encode(&cursor_raw)
            ),
            format!("/api/v1/users/{seg}/order-activities?cursor={q}"),
            format!("/api/v1/order-activities/{seg}"),
        ];
        for uri in miniapp {
            let response = h
                .public(
                    TestRequest::get()
                        .uri(&uri)
                        .insert_header(("Authorization", app.auth())),
                )
                .await;
            assert_no_5xx("miniapp GET", response.status, false, &uri, &response.text);
        }
        let sheet = format!("/checkout/{seg}?grant={q}&session={q}");
        let response = h.public(TestRequest::get().uri(&sheet)).await;
        assert_no_5xx(
            "checkout page",
            response.status,
            false,
            &sheet,
            &response.text,
        );
        let internal = [
            format!("/internal/v1/payments/{seg}"),
            format!(
                "/internal/v1/deliveries?state={q}&limit={}&cursor={q}",
                encode(&text)
            ),
            format!("/internal/v1/deliveries/{seg}"),
        ];
        for uri in internal {
            let response = h
                .internal(TestRequest::get().uri(&uri).insert_header((
                    "Authorization",
                    format!("Bearer {}", hostpay_testkit::app::ADMIN_TOKEN),
                )))
                .await;
            assert_no_5xx("internal GET", response.status, false, &uri, &response.text);
        }
        // Header values we read: credentials, idempotency keys, user tokens, Boxo's.
        let headers = [
            ("Authorization", value.clone()),
            ("Idempotency-Key", value.clone()),
            ("miniapp-user-token", value.clone()),
        ];
        for (name, value) in headers {
            let response = h
                .public(
                    TestRequest::post()
                        .uri("/api/v1/users/verify-token")
                        .insert_header(("Authorization", app.auth()))
                        .insert_header((name, value.clone())),
                )
                .await;
            assert_no_5xx(name, response.status, false, &value, &response.text);
        }
        for name in [
            "Authorization",
            "X-User-ID",
            "X-Signature",
            "X-Timestamp",
            "X-Nonce",
        ] {
            let response = h
                .public(
                    TestRequest::post()
                        .uri("/boxo/v1/order-payments")
                        .insert_header(("Authorization", boxo_auth()))
                        .insert_header((name, value.clone()))
                        .set_json(json!({"app_id": app.id, "order": {"amount": "1.00",
                            "currency": "SAR", "miniapp_order_id": text}})),
                )
                .await;
            assert_no_5xx(name, response.status, true, &value, &response.text);
        }
    }
}

#[actix_web::test]
async fn arbitrary_bodies_never_yield_a_5xx_memory() {
    bodies_never_yield_a_5xx(Backend::Memory, 2000).await;
}

#[actix_web::test]
async fn arbitrary_bodies_never_yield_a_5xx_postgres() {
    bodies_never_yield_a_5xx(Backend::Postgres, 150).await;
}

#[actix_web::test]
async fn arbitrary_paths_queries_and_headers_never_yield_a_5xx_memory() {
    paths_queries_and_headers_never_yield_a_5xx(Backend::Memory, 1000).await;
}

#[actix_web::test]
async fn arbitrary_paths_queries_and_headers_never_yield_a_5xx_postgres() {
    paths_queries_and_headers_never_yield_a_5xx(Backend::Postgres, 100).await;
}

/// The reproductions of the issue, each a 400 naming the field on PostgreSQL.
#[actix_web::test]
async fn control_characters_are_refused_naming_the_field() {
    let h = Harness::start(Backend::Postgres).await;
    let app = h.register_app("Pizza").await;
    let create = h
        .as_app(
            &app,
            TestRequest::post()
                .uri("/api/v1/payments")
                .set_json(json!({"user_id": "a\u{0}b", "amount": "1.00", "currency": "USD"})),
        )
        .await;
    create.assert_error(400, "INVALID_REQUEST");
    assert_eq!(create.json["error"]["details"]["field"], "user_id");
    let activity = h
        .as_app(
            &app,
            TestRequest::post()
                .uri("/api/v1/order-activities")
                .set_json(json!({"order_id": "o\u{0}1", "user_id": "u", "status": "created"})),
        )
        .await;
    activity.assert_error(400, "INVALID_REQUEST");
    assert_eq!(activity.json["error"]["details"]["field"], "order_id");
    let path = h
        .as_app(&app, TestRequest::get().uri("/api/v1/users/a%00b/payments"))
        .await;
    path.assert_error(400, "INVALID_REQUEST");
    assert_eq!(path.json["error"]["details"]["field"], "path");
    let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("1|pay\u{0}x");
    let listed = h
        .as_app(
            &app,
            TestRequest::get().uri(&format!("/api/v1/users/u/payments?cursor={cursor}")),
        )
        .await;
    listed.assert_error(400, "INVALID_REQUEST");
    assert_eq!(listed.json["error"]["details"]["field"], "cursor");
    let far = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("9223372036854775807|pay_1");
    h.as_app(
        &app,
        TestRequest::get().uri(&format!("/api/v1/users/u/payments?cursor={far}")),
    )
    .await
    .assert_error(400, "INVALID_REQUEST");
    // Free text keeps its line breaks and tabs.
    let text = h
        .as_app(
            &app,
            TestRequest::post().uri("/api/v1/payments").set_json(json!({
                "user_id": "u", "amount": "1.00", "currency": "USD",
                "description": "two\nlines\tand a tab"})),
        )
        .await;
    text.assert_ok(201);
    assert_eq!(text.data()["description"], "two\nlines\tand a tab");
}
