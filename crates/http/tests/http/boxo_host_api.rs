//! The Boxo host API: every documented error code (each with HTTP 200), the order of the
//! checks, field limits one past the edge, idempotent creation and status.

use std::net::{IpAddr, SocketAddr};

use actix_web::test::TestRequest;
use hostpay_domain::ids::PaymentId;
use hostpay_domain::services::SettleStatus;
use hostpay_testkit::boxo::*;
use hostpay_testkit::{boxo_app, boxo_call};
use serde_json::{json, Value};

const CREATE: &str = "/boxo/v1/order-payments";
const STATUS: &str = "/boxo/v1/order-payments/status";

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn peer(text: &str) -> SocketAddr {
    SocketAddr::new(ip(text), 40000)
}

#[actix_web::test]
async fn creates_an_order_payment_and_reads_its_status() {
    let world = world(boxo_settings()).await;
    let app = boxo_app!(world.state);
    let created = boxo_call!(app, post(CREATE, &order_body(&world.app_id, "order-1")));
    let id = created["order_payment_id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("pay_"), "{created}");
    assert_eq!(created.as_object().unwrap().len(), 1);

    let payment = world
        .state
        .services
        .payments
        .get(&PaymentId::parse(&id).unwrap())
        .await
        .unwrap();
    assert_eq!(
        payment.channel(),
        hostpay_domain::payment::Channel::Platform
    );
    assert_eq!(payment.user_id().as_str(), "u-42");
    assert_eq!(payment.amount().to_canonical_string(), "25.00");
    assert_eq!(payment.details().items.len(), 1);
    assert_eq!(
        payment.details().custom_attributes,
        Some(json!({"table": "7"}))
    );

    let status = boxo_call!(
        app,
        post(
            STATUS,
            &json!({"app_id": world.app_id, "client_id": CLIENT_ID, "order_payment_id": id})
        )
    );
    assert_eq!(
        status,
        json!({
            "app_id": world.app_id,
            "client_id": CLIENT_ID,
            "order_payment_id": id,
            "payment_status": "in_process",
            "payment_fail_reason": null
        })
    );
}

#[actix_web::test]
async fn creation_is_idempotent_per_app_and_miniapp_order_id() {
    let world = world(boxo_settings()).await;
    let app = boxo_app!(world.state);
    let body = order_body(&world.app_id, "order-7");
    let first = boxo_call!(app, post(CREATE, &body));
    let again = boxo_call!(app, post(CREATE, &body));
    assert_eq!(first["order_payment_id"], again["order_payment_id"]);

    let mut changed = body.clone();
    changed["order"]["amount"] = json!("26.00");
    let refused = boxo_call!(app, post(CREATE, &changed));
    assert_eq!(error_code(&refused), "INVALID_ORDER_DATA");

    // The same order id under another miniapp is another order.
    let other = boxo_call!(
        app,
        post(CREATE, &order_body(&world.other_app_id, "order-7"))
    );
    assert_ne!(other["order_payment_id"], first["order_payment_id"]);
}

#[actix_web::test]
async fn no_integration_comes_before_everything() {
    let mut settings = signed_settings();
    settings.client_id = None;
    settings.allowed_ips = vec![ip("10.9.9.9")];
    let world = hostpay_testkit::boxo::world(settings).await;
    let app = boxo_app!(world.state);
    let request = TestRequest::post()
        .uri(CREATE)
        .peer_addr(peer("203.0.113.9"))
        .set_payload("not json");
    assert_eq!(error_code(&boxo_call!(app, request)), "NO_INTEGRATION");

    let mut settings = boxo_settings();
    settings.secret_key = None;
    let world = hostpay_testkit::boxo::world(settings).await;
    let app = boxo_app!(world.state);
    let answer = boxo_call!(app, post(STATUS, &json!({})));
    assert_eq!(error_code(&answer), "NO_INTEGRATION");
    assert!(answer["error_message"].is_string());
}

#[actix_web::test]
async fn ip_allow_list_honours_forwarded_for_only_from_trusted_proxies() {
    let mut settings = signed_settings();
    settings.allowed_ips = vec![ip("198.51.100.7")];
    settings.trusted_proxies = vec![ip("10.0.0.1")];
    let world = hostpay_testkit::boxo::world(settings).await;
    let app = boxo_app!(world.state);
    let body = order_body(&world.app_id, "order-ip");

    // A stranger is refused before its (missing) signature and credentials are looked at.
    let stranger = TestRequest::post()
        .uri(CREATE)
        .peer_addr(peer("203.0.113.9"))
        .set_payload("{}");
    assert_eq!(
        error_code(&boxo_call!(app, stranger)),
        "NOT_A_WHITELISTED_IP"
    );

    // A stranger cannot claim an allowed address itself.
    let spoofed = post(CREATE, &body)
        .peer_addr(peer("203.0.113.9"))
        .insert_header(("X-Forwarded-For", "198.51.100.7"));
    assert_eq!(
        error_code(&boxo_call!(app, spoofed)),
        "NOT_A_WHITELISTED_IP"
    );

    // Through the trusted proxy, the forwarded address counts (then the signature is next).
    let proxied = post(CREATE, &body)
        .peer_addr(peer("10.0.0.1"))
        .insert_header(("X-Forwarded-For", "203.0.113.9, 198.51.100.7"));
    assert_eq!(error_code(&boxo_call!(app, proxied)), "MISSING_HEADER");

    let proxied_stranger = post(CREATE, &body)
        .peer_addr(peer("10.0.0.1"))
        .insert_header(("X-Forwarded-For", "198.51.100.7, 203.0.113.9"));
    assert_eq!(
        error_code(&boxo_call!(app, proxied_stranger)),
        "NOT_A_WHITELISTED_IP"
    );

    // The allowed address itself, signed: created.
    let raw = serde_json::to_vec(&body).unwrap();
    let now = world.handles.clock_now();
    let mut direct = post(CREATE, &body).peer_addr(peer("198.51.100.7"));
    for header in signature_headers(CREATE, &raw, now, "nonce-direct-0000001") {
        direct = direct.insert_header(header);
    }
    let answer = boxo_call!(app, direct);
    assert!(answer["order_payment_id"].is_string(), "{answer}");
}

trait ClockNow {
    fn clock_now(&self) -> i64;
}

impl ClockNow for hostpay_testkit::Handles {
    fn clock_now(&self) -> i64 {
        use hostpay_domain::ports::Clock;
        self.clock.now().timestamp()
    }
}

fn signed(body: &Value, path: &str, timestamp: i64, nonce: &str) -> TestRequest {
    let raw = serde_json::to_vec(body).unwrap();
    let mut request = post(path, body);
    for header in signature_headers(path, &raw, timestamp, nonce) {
        request = request.insert_header(header);
    }
    request
}

#[actix_web::test]
async fn signatures_valid_tampered_stale_replayed_and_missing() {
    let world = world(signed_settings()).await;
    let app = boxo_app!(world.state);
    let now = world.handles.clock_now();
    let body = order_body(&world.app_id, "order-signed");

    let valid = boxo_call!(app, signed(&body, CREATE, now, "nonce-valid-00000001"));
    assert!(valid["order_payment_id"].is_string(), "{valid}");

    // Reused nonce: refused even though everything else is right.
    let replay = boxo_call!(app, signed(&body, CREATE, now, "nonce-valid-00000001"));
    assert_eq!(error_code(&replay), "INVALID_SIGNATURE");

    // Tampered body: the signature covers the raw bytes.
    let raw = serde_json::to_vec(&body).unwrap();
    let mut tampered = post(CREATE, &body).set_payload(
        String::from_utf8(raw.clone())
            .unwrap()
            .replace("25.00", "2.50"),
    );
    for header in signature_headers(CREATE, &raw, now, "nonce-tamper-0000001") {
        tampered = tampered.insert_header(header);
    }
    assert_eq!(error_code(&boxo_call!(app, tampered)), "INVALID_SIGNATURE");

    // Signed for another path (the query is part of {url}).
    let mut other_url = post(CREATE, &body);
    for header in signature_headers(
        "/boxo/v1/order-payments?x=1",
        &raw,
        now,
        "nonce-url-000000001",
    ) {
        other_url = other_url.insert_header(header);
    }
    assert_eq!(error_code(&boxo_call!(app, other_url)), "INVALID_SIGNATURE");

    // Stale or future timestamps: 300 s either way is the limit.
    let stale = boxo_call!(app, signed(&body, CREATE, now - 301, "nonce-stale-0000001"));
    assert_eq!(error_code(&stale), "INVALID_SIGNATURE");
    let future = boxo_call!(app, signed(&body, CREATE, now + 301, "nonce-future-000001"));
    assert_eq!(error_code(&future), "INVALID_SIGNATURE");
    let edge = boxo_call!(app, signed(&body, CREATE, now - 300, "nonce-edge-00000001"));
    assert!(edge["order_payment_id"].is_string(), "{edge}");

    // A nonce shorter than 16 characters is refused, even correctly signed.
    let short = boxo_call!(app, signed(&body, CREATE, now, "n0nce-15-chars."));
    assert_eq!(error_code(&short), "INVALID_SIGNATURE");
    assert!(short["error_message"].as_str().unwrap().contains("16"));

    // Missing headers, one at a time.
    for missing in ["X-Signature", "X-Timestamp", "X-Nonce"] {
        let mut request = post(CREATE, &body);
        for (name, value) in signature_headers(CREATE, &raw, now, "nonce-missing-00001") {
            if name != missing {
                request = request.insert_header((name, value));
            }
        }
        let answer = boxo_call!(app, request);
        assert_eq!(error_code(&answer), "MISSING_HEADER", "without {missing}");
        assert!(answer["error_message"].as_str().unwrap().contains(missing));
    }

    // The signature is checked before the credentials.
    let unauthenticated = TestRequest::post().uri(CREATE).set_payload(raw.clone());
    assert_eq!(
        error_code(&boxo_call!(app, unauthenticated)),
        "MISSING_HEADER"
    );
    let mut wrong_credentials = TestRequest::post()
        .uri(CREATE)
        .insert_header(("Authorization", "Token d3Jvbmc6d3Jvbmc="))
        .set_payload(raw.clone());
    for header in signature_headers(CREATE, &raw, now, "nonce-creds-0000001") {
        wrong_credentials = wrong_credentials.insert_header(header);
    }
    assert_eq!(
        error_code(&boxo_call!(app, wrong_credentials)),
        "ACCESS_DENIED"
    );

    // Status calls are verified the same way.
    let status_body =
        json!({"app_id": world.app_id, "order_payment_id": valid["order_payment_id"]});
    let status = boxo_call!(
        app,
        signed(&status_body, STATUS, now, "nonce-status-000001")
    );
    assert_eq!(status["payment_status"], "in_process");
    let unsigned_status = boxo_call!(app, post(STATUS, &status_body));
    assert_eq!(error_code(&unsigned_status), "MISSING_HEADER");
}

#[actix_web::test]
async fn verification_without_a_secret_is_a_configuration_error() {
    let mut settings = boxo_settings();
    settings.verify_incoming = true;
    let world = hostpay_testkit::boxo::world(settings).await;
    let app = boxo_app!(world.state);
    let answer = boxo_call!(app, post(CREATE, &order_body(&world.app_id, "o")));
    assert_eq!(error_code(&answer), "MISSING_REQUEST_SIGNATURE_SETTINGS");
}

#[actix_web::test]
async fn credentials_are_checked_with_the_configured_prefix() {
    let world = world(boxo_settings()).await;
    let app = boxo_app!(world.state);
    let body = order_body(&world.app_id, "order-auth");
    let raw = serde_json::to_vec(&body).unwrap();
    let encode = |text: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(text)
    };
    let cases = [
        None,
        Some(format!("Basic {}", encode("host_demo:host_secret_key"))),
        Some(format!("Token {}", encode("host_demo:wrong"))),
        Some(format!("Token {}", encode("other:host_secret_key"))),
        Some(format!("Token {}", encode("host_demo:host_secret_key2"))),
        Some("Token not-base64!".to_owned()),
        Some("Token".to_owned()),
    ];
    for authorization in cases {
        let mut request = TestRequest::post().uri(CREATE).set_payload(raw.clone());
        if let Some(value) = &authorization {
            request = request.insert_header(("Authorization", value.as_str()));
        }
        let answer = boxo_call!(app, request);
        assert_eq!(error_code(&answer), "ACCESS_DENIED", "{authorization:?}");
    }
    // Credentials come before the body.
    let not_json = TestRequest::post().uri(CREATE).set_payload("{");
    assert_eq!(error_code(&boxo_call!(app, not_json)), "ACCESS_DENIED");

    let mut settings = boxo_settings();
    settings.auth_prefix = "Bearer".to_owned();
    let world = hostpay_testkit::boxo::world(settings).await;
    let app = boxo_app!(world.state);
    let token = TestRequest::post()
        .uri(CREATE)
        .insert_header(("Authorization", authorization()))
        .set_payload(raw.clone());
    assert_eq!(error_code(&boxo_call!(app, token)), "ACCESS_DENIED");
    let body = order_body(&world.app_id, "order-auth");
    let bearer = TestRequest::post()
        .uri(CREATE)
        .insert_header((
            "Authorization",
            format!("Bearer {}", encode("host_demo:host_secret_key")),
        ))
        .set_payload(serde_json::to_vec(&body).unwrap());
    assert!(boxo_call!(app, bearer)["order_payment_id"].is_string());
}

#[actix_web::test]
async fn bodies_that_are_not_json_or_do_not_fit() {
    let world = world(boxo_settings()).await;
    let app = boxo_app!(world.state);
    let raw = |payload: &str| {
        TestRequest::post()
            .uri(CREATE)
            .insert_header(("Authorization", authorization()))
            .set_payload(payload.to_owned())
    };
    for payload in ["", "   ", "not json", "{\"app_id\":", "{'a':1}"] {
        let answer = boxo_call!(app, raw(payload));
        assert_eq!(
            error_code(&answer),
            "PARSING_ERROR_INVALID_REQUEST_BODY",
            "{payload:?}"
        );
    }
    for payload in [
        "[]",
        "{}",
        "42",
        "{\"app_id\": 5, \"order\": {}}",
        &format!("{{\"app_id\": \"{}\"}}", world.app_id),
        &format!(
            "{{\"app_id\": \"{}\", \"order\": {{\"currency\": \"SAR\"}}}}",
            world.app_id
        ),
    ] {
        let answer = boxo_call!(app, raw(payload));
        assert_eq!(error_code(&answer), "INVALID_ORDER_DATA", "{payload:?}");
    }
    let status = boxo_call!(app, raw("nope").uri(STATUS));
    assert_eq!(error_code(&status), "PARSING_ERROR_INVALID_REQUEST_BODY");
    let status = boxo_call!(app, raw("{\"app_id\": \"x\"}").uri(STATUS));
    assert_eq!(error_code(&status), "INVALID_ORDER_DATA");
}

fn json_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

#[actix_web::test]
async fn field_limits_one_past_the_edge() {
    let world = world(boxo_settings()).await;
    let app = boxo_app!(world.state);
    let text = |length: usize| Value::String("x".repeat(length));
    // (JSON pointer, value at the limit, value one past it)
    let cases: Vec<(&str, Value, Value)> = vec![
        ("/order/items/0/product_name", text(250), text(251)),
        ("/order/items/0/product_variant_name", text(250), text(251)),
        ("/order/items/0/product_sku", text(250), text(251)),
        ("/order/items/0/product_image_url", text(500), text(501)),
        ("/order/tax_title", text(250), text(251)),
        ("/order/miniapp_order_id", text(255), text(256)),
        ("/order/hostapp_user_id", text(255), text(256)),
        ("/order/shipping_address/first_name", text(250), text(251)),
        ("/order/shipping_address/last_name", text(250), text(251)),
        ("/order/shipping_address/phone", text(250), text(251)),
        ("/order/shipping_address/address1", text(1000), text(1001)),
        ("/order/shipping_address/address2", text(1000), text(1001)),
        ("/order/shipping_address/region_name", text(100), text(101)),
        ("/order/shipping_address/region_code", text(100), text(101)),
        ("/order/amount", json!("25.01"), json!("25.001")),
        ("/order/amount", json_value("25.01"), json_value("25.001")),
        (
            "/order/amount",
            json!("123456789012345678.99"),
            json!("1234567890123456789.99"),
        ),
        (
            "/order/amount",
            json!("123456789012345678"),
            json!("123456789012345678901"),
        ),
        ("/order/amount", json!("0.01"), json!("0")),
        ("/order/amount", json!("1"), json!("-1")),
        ("/order/subtotal_amount", json!("1.10"), json!("1.101")),
        ("/order/shipping_amount", json!("1.10"), json!("1.101")),
        ("/order/discount_amount", json!("1.10"), json!("1.101")),
        ("/order/tax_amount", json!("1.10"), json!("1.101")),
        ("/order/items/0/price", json!("12.50"), json!("12.501")),
        ("/order/items/0/discount", json!("1"), json!("1.001")),
        ("/order/items/0/quantity", json!(1), json!(0)),
        (
            "/order/shipping_address/latitude",
            json_value("90"),
            json_value("90.000000000000001"),
        ),
        (
            "/order/shipping_address/latitude",
            json_value("-90"),
            json_value("-90.000000000000001"),
        ),
        (
            "/order/shipping_address/latitude",
            json_value("1.123456789012345"),
            json_value("1.1234567890123456"),
        ),
        (
            "/order/shipping_address/longitude",
            json_value("180"),
            json_value("180.000000000000001"),
        ),
        (
            "/order/shipping_address/longitude",
            json!("-180"),
            json!("-180.000000000000001"),
        ),
        ("/order/currency", json!("USD"), json!("usd")),
        ("/order/taxes_included", json!(false), json!("yes")),
    ];
    for (index, (pointer, at_limit, past_limit)) in cases.into_iter().enumerate() {
        for (value, accepted) in [(at_limit, true), (past_limit, false)] {
            let mut body = order_body(&world.app_id, &format!("order-limit-{index}-{accepted}"));
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            body.pointer_mut(parent)
                .and_then(Value::as_object_mut)
                .unwrap_or_else(|| panic!("{pointer}"))
                .insert(key.to_owned(), value.clone());
            let answer = boxo_call!(app, post(CREATE, &body));
            if accepted {
                assert!(
                    answer["order_payment_id"].is_string(),
                    "{pointer} = {value} should be accepted: {answer}"
                );
            } else {
                assert_eq!(
                    answer["error_code"], "INVALID_ORDER_DATA",
                    "{pointer} = {value} should be refused: {answer}"
                );
            }
        }
    }
}

#[actix_web::test]
async fn use_case_errors() {
    let world = world(boxo_settings()).await;
    let app = boxo_app!(world.state);

    let unknown_app = boxo_call!(app, post(CREATE, &order_body("app_unknown", "o-1")));
    assert_eq!(error_code(&unknown_app), "MINIAPP_NOT_FOUND");
    let not_an_id = boxo_call!(app, post(CREATE, &order_body("nonsense", "o-1")));
    assert_eq!(error_code(&not_an_id), "MINIAPP_NOT_FOUND");

    let mut anonymous = order_body(&world.app_id, "o-2");
    anonymous["order"]
        .as_object_mut()
        .unwrap()
        .remove("hostapp_user_id");
    let refused = boxo_call!(app, post(CREATE, &anonymous));
    assert_eq!(error_code(&refused), "HOSTAPP_USER_ID_REQUIRED");
    let with_header = boxo_call!(
        app,
        post(CREATE, &anonymous).insert_header(("X-User-ID", "u-header"))
    );
    let id = with_header["order_payment_id"].as_str().unwrap().to_owned();
    let payment = world
        .state
        .services
        .payments
        .get(&PaymentId::parse(&id).unwrap())
        .await
        .unwrap();
    assert_eq!(payment.user_id().as_str(), "u-header");
    let too_long = boxo_call!(
        app,
        post(CREATE, &order_body(&world.app_id, "o-3"))
            .insert_header(("X-User-ID", "u".repeat(256)))
    );
    assert_eq!(error_code(&too_long), "INVALID_ORDER_DATA");

    let status = |app_id: &str, order_payment_id: &str| {
        post(
            STATUS,
            &json!({"app_id": app_id, "client_id": CLIENT_ID, "order_payment_id": order_payment_id}),
        )
    };
    assert_eq!(
        error_code(&boxo_call!(app, status(&world.app_id, "pay_unknown"))),
        "ORDER_NOT_FOUND"
    );
    assert_eq!(
        error_code(&boxo_call!(app, status(&world.app_id, "garbage"))),
        "ORDER_NOT_FOUND"
    );
    assert_eq!(
        error_code(&boxo_call!(app, status(&world.other_app_id, &id))),
        "ORDER_NOT_FOUND"
    );
    assert_eq!(
        error_code(&boxo_call!(app, status("app_unknown", &id))),
        "MINIAPP_NOT_FOUND"
    );
    let wrong_client = post(
        STATUS,
        &json!({"app_id": world.app_id, "client_id": "someone_else", "order_payment_id": id}),
    );
    assert_eq!(error_code(&boxo_call!(app, wrong_client)), "ACCESS_DENIED");

    world.handles.store.set_unavailable(true);
    let down = boxo_call!(app, post(CREATE, &order_body(&world.app_id, "o-4")));
    assert_eq!(error_code(&down), "UNKNOWN_ERROR");
    let down = boxo_call!(app, status(&world.app_id, &id));
    assert_eq!(error_code(&down), "UNKNOWN_ERROR");
}

#[actix_web::test]
async fn status_speaks_boxo_statuses() {
    let world = world(boxo_settings()).await;
    let app = boxo_app!(world.state);
    let services = &world.state.services;
    let status_of = |id: &str| {
        post(
            STATUS,
            &json!({"app_id": world.app_id, "client_id": CLIENT_ID, "order_payment_id": id}),
        )
    };
    let create = |order: &str| post(CREATE, &order_body(&world.app_id, order));

    let failed = boxo_call!(app, create("o-failed"))["order_payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    services
        .payments
        .settle(
            &PaymentId::parse(&failed).unwrap(),
            SettleStatus::Failed("card expired".to_owned()),
        )
        .await
        .unwrap();
    let answer = boxo_call!(app, status_of(&failed));
    assert_eq!(answer["payment_status"], "failed");
    assert_eq!(answer["payment_fail_reason"], "card expired");

    let cancelled = boxo_call!(app, create("o-cancelled"))["order_payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    services
        .payments
        .settle(
            &PaymentId::parse(&cancelled).unwrap(),
            SettleStatus::Cancelled,
        )
        .await
        .unwrap();
    assert_eq!(
        boxo_call!(app, status_of(&cancelled))["payment_status"],
        "cancelled"
    );

    let refunded = boxo_call!(app, create("o-refunded"))["order_payment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refunded_id = PaymentId::parse(&refunded).unwrap();
    services
        .payments
        .settle(&refunded_id, SettleStatus::Paid)
        .await
        .unwrap();
    assert_eq!(
        boxo_call!(app, status_of(&refunded))["payment_status"],
        "paid"
    );
    let miniapp = services
        .apps
        .get(&hostpay_domain::ids::AppId::parse(&world.app_id).unwrap())
        .await
        .unwrap();
    services
        .payments
        .refund(&miniapp, &refunded_id, None, None, None)
        .await
        .unwrap();
    let payment = services.payments.get(&refunded_id).await.unwrap();
    assert_eq!(payment.status().as_str(), "refunded");
    assert_eq!(
        boxo_call!(app, status_of(&refunded))["payment_status"],
        "paid"
    );
}

#[actix_web::test]
async fn connect_calls_answer_parsing_errors_not_order_data() {
    const ACCESS_TOKEN: &str = "/boxo/v1/connect/access-token";
    let world = world(boxo_settings()).await;
    let app = boxo_app!(world.state);
    let raw = |path: &str, payload: String| {
        TestRequest::post()
            .uri(path)
            .insert_header(("Authorization", authorization()))
            .insert_header(("X-Miniapp-App-ID", world.app_id.clone()))
            .set_payload(payload)
    };
    let big = format!("{{\"auth_code\": \"{}\"}}", "a".repeat(70_000));
    let controlled = "{\"auth_code\": \"ac_a\\u0000b\"}".to_owned();
    for (name, payload) in [("70 KB", big.clone()), ("control", controlled.clone())] {
        let answer = boxo_call!(app, raw(ACCESS_TOKEN, payload));
        assert_eq!(
            error_code(&answer),
            "PARSING_ERROR_INVALID_REQUEST_BODY",
            "{name}: {answer}"
        );
    }
    // The order-payment calls keep INVALID_ORDER_DATA.
    let answer = boxo_call!(app, raw(CREATE, big));
    assert_eq!(error_code(&answer), "INVALID_ORDER_DATA", "{answer}");
    let answer = boxo_call!(app, raw(CREATE, controlled));
    assert_eq!(error_code(&answer), "INVALID_ORDER_DATA", "{answer}");

    // A control character in the query, refused by the middleware before the handler.
    let guarded = actix_web::test::init_service(
        actix_web::App::new()
            .wrap(actix_web::middleware::from_fn(
                hostpay_http::edge::control_chars::refuse_control_characters,
            ))
            .app_data(actix_web::web::Data::new(world.state.clone()))
            .configure(hostpay_http::public_app),
    )
    .await;
    let query = |path: &str| raw(&format!("{path}?x=a%01b"), "{}".to_owned());
    let answer = boxo_call!(guarded, query(ACCESS_TOKEN));
    assert_eq!(error_code(&answer), "PARSING_ERROR_INVALID_REQUEST_BODY");
    let answer = boxo_call!(guarded, query(CREATE));
    assert_eq!(error_code(&answer), "INVALID_ORDER_DATA");
}

#[actix_web::test]
async fn a_timed_out_boxo_call_answers_200_unknown_error() {
    use actix_web::{web, App, HttpResponse};
    use hostpay_http::rate_limit::{request_timeout, RequestTimeout};
    async fn slow() -> HttpResponse {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
        HttpResponse::Ok().finish()
    }
    let app = actix_web::test::init_service(
        App::new()
            .wrap(actix_web::middleware::from_fn(request_timeout))
            .app_data(RequestTimeout(std::time::Duration::from_millis(1)))
            .route("/boxo/v1/order-payments", web::post().to(slow))
            .route("/api/v1/payments", web::post().to(slow)),
    )
    .await;
    // As the server answers it: an error the middleware returns becomes its response.
    let answer = |path: &str| {
        let request = TestRequest::post().uri(path).to_request();
        let app = &app;
        async move {
            match actix_web::test::try_call_service(app, request).await {
                Ok(response) => response.into_parts().1,
                Err(error) => error.error_response(),
            }
        }
    };
    let boxo = answer(CREATE).await;
    assert_eq!(boxo.status(), 200);
    let body = actix_web::body::to_bytes(boxo.into_body()).await.unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error_code(&body), "UNKNOWN_ERROR", "{body}");
    assert!(body["error_message"].is_string(), "{body}");

    let other = answer("/api/v1/payments").await;
    assert_eq!(other.status(), 503);
    assert!(other.headers().contains_key("Retry-After"));
}
