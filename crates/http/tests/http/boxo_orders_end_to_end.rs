//! End to end with a fake Boxo platform (wiremock): an order created through the Boxo
//! host API, paid (or declined) through checkout or left to expire, and the platform
//! receives exactly one correctly signed complete-order.

use std::sync::Arc;
use std::time::Duration;

use actix_web::test::TestRequest;
use hostpay_boxo::signing::IncomingRequest;
use hostpay_domain::ids::PaymentId;
use hostpay_domain::ports::Clock;
use hostpay_testkit::boxo::*;
use hostpay_testkit::boxo_call;
use hostpay_testkit::test_settings;
use hostpay_upstream::{BoxoClient, BoxoClientConfig};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CREATE: &str = "/boxo/v1/order-payments";
const COMPLETE_ORDER: &str = "/api/v1/orders/complete-order/";

async fn platform() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(COMPLETE_ORDER))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": "OK"})))
        .mount(&server)
        .await;
    server
}

async fn world_for(server: &MockServer) -> World {
    let uri = server.uri();
    world_with(signed_settings(), test_settings(), move |ports| {
        ports.platform = Arc::new(
            BoxoClient::with_clock(
                BoxoClientConfig {
                    platform_url: Some(uri),
                    client_id: Some(CLIENT_ID.to_owned()),
                    signer: Some(hmac_signer()),
                    timeout: Duration::from_secs(5),
                },
                ports.clock.clone(),
            )
            .unwrap(),
        );
    })
    .await
}

macro_rules! full_app {
    ($state:expr) => {
        actix_web::test::init_service(
            actix_web::App::new()
                .app_data(actix_web::web::Data::new($state.clone()))
                .configure(hostpay_http::public_app),
        )
        .await
    };
}

/// Creates an order payment through the signed Boxo surface.
macro_rules! create_order {
    ($app:expr, $world:expr, $order_id:expr) => {{
        let body = order_body(&$world.app_id, $order_id);
        let raw = serde_json::to_vec(&body).unwrap();
        let now = $world.handles.clock.now().timestamp();
        let mut request = post(CREATE, &body);
        for header in signature_headers(CREATE, &raw, now, &format!("nonce-for-{}", $order_id)) {
            request = request.insert_header(header);
        }
        let answer = boxo_call!($app, request);
        answer["order_payment_id"]
            .as_str()
            .unwrap_or_else(|| panic!("{answer}"))
            .to_owned()
    }};
}

/// Confirms through the checkout route with a pay grant for the payment's user.
macro_rules! confirm {
    ($app:expr, $world:expr, $id:expr, $body:expr) => {{
        let id = PaymentId::parse(&$id).unwrap();
        let payments = &$world.state.services.payments;
        let user = payments.get(&id).await.unwrap().user_id().clone();
        let grant = payments.grant(&id, &user).await.unwrap().grant;
        let request = TestRequest::post()
            .uri(&format!("/checkout/{}/confirm", $id))
            .insert_header(("Authorization", format!("Bearer {grant}")))
            .insert_header(("Content-Type", "application/json"))
            .set_payload($body.to_string());
        let response = actix_web::test::call_service(&$app, request.to_request()).await;
        assert_eq!(response.status(), 200);
    }};
}

/// Runs the dispatcher's step once and returns the platform's requests.
async fn deliver(world: &World, server: &MockServer) -> Vec<wiremock::Request> {
    let report = world
        .state
        .services
        .deliveries
        .dispatch_due(10, &|| false)
        .await
        .unwrap();
    assert_eq!(report.attempted, report.delivered, "{report:?}");
    server.received_requests().await.unwrap()
}

/// Checks the complete-order is signed as section 6 says and returns its body.
fn verified_body(request: &wiremock::Request) -> Value {
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    let (timestamp, nonce) = (header("X-Timestamp"), header("X-Nonce"));
    // The default template has no {client_id}: no client id header; the body carries it.
    assert!(request.headers.get("X-Client-Id").is_none());
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["client_id"], CLIENT_ID);
    assert!(nonce.len() >= 16);
    assert_eq!(request.url.path(), COMPLETE_ORDER);
    let sent_at = chrono::DateTime::from_timestamp(timestamp.parse().unwrap(), 0).unwrap();
    let lookup = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
    hmac_verifier()
        .verify(
            lookup,
            &IncomingRequest {
                method: "POST",
                url: COMPLETE_ORDER,
                body: &request.body,
            },
            sent_at,
        )
        .unwrap();
    serde_json::from_slice(&request.body).unwrap()
}

#[actix_web::test]
async fn paid_through_checkout_completes_the_order_once() {
    let server = platform().await;
    let world = world_for(&server).await;
    let app = full_app!(world.state);
    let id = create_order!(app, world, "order-paid");
    assert!(
        deliver(&world, &server).await.is_empty(),
        "nothing before the payment ends"
    );

    confirm!(app, world, id, json!({}));
    let requests = deliver(&world, &server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(
        verified_body(&requests[0]),
        json!({
            "order_payment_id": id,
            "app_id": world.app_id,
            "client_id": CLIENT_ID,
            "payment_status": "paid",
            "payment_fail_reason": null,
            "custom_attributes": {"table": "7"}
        })
    );

    // Nothing more: delivered once, and a repeated confirm changes nothing.
    let request = TestRequest::post()
        .uri(&format!("/checkout/{id}/confirm"))
        .insert_header(("Content-Type", "application/json"))
        .set_payload("{}");
    let _ = actix_web::test::call_service(&app, request.to_request()).await;
    assert_eq!(deliver(&world, &server).await.len(), 1);

    // The status call agrees.
    let now = world.handles.clock.now().timestamp();
    let body = json!({"app_id": world.app_id, "client_id": CLIENT_ID, "order_payment_id": id});
    let raw = serde_json::to_vec(&body).unwrap();
    let mut status = post("/boxo/v1/order-payments/status", &body);
    for header in signature_headers(
        "/boxo/v1/order-payments/status",
        &raw,
        now,
        "nonce-status-paid-01",
    ) {
        status = status.insert_header(header);
    }
    assert_eq!(boxo_call!(app, status)["payment_status"], "paid");
}

#[actix_web::test]
async fn declined_through_checkout_reports_failed_with_the_reason() {
    let server = platform().await;
    let world = world_for(&server).await;
    let app = full_app!(world.state);
    let id = create_order!(app, world, "order-declined");
    confirm!(app, world, id, json!({"simulate": "decline"}));
    let requests = deliver(&world, &server).await;
    assert_eq!(requests.len(), 1);
    let body = verified_body(&requests[0]);
    assert_eq!(body["order_payment_id"], id.as_str());
    assert_eq!(body["payment_status"], "failed");
    assert_eq!(body["payment_fail_reason"], "card declined (simulated)");
}

#[actix_web::test]
async fn expiry_reports_cancelled() {
    let server = platform().await;
    let world = world_for(&server).await;
    let app = full_app!(world.state);
    let id = create_order!(app, world, "order-expired");
    world.handles.clock.advance(chrono::Duration::seconds(901));
    let cancelled = world.state.services.payments.expire_due(10).await.unwrap();
    assert_eq!(cancelled, 1);
    let requests = deliver(&world, &server).await;
    assert_eq!(requests.len(), 1);
    let body = verified_body(&requests[0]);
    assert_eq!(body["order_payment_id"], id.as_str());
    assert_eq!(body["payment_status"], "cancelled");
}
