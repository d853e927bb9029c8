//! The Boxo surface on the SQL stores (SQLite file and PostgreSQL): signed creation with
//! nonces kept in the database (a replay is refused), idempotent re-creation, payment
//! through checkout, and one signed complete-order to the fake platform.

use std::sync::Arc;
use std::time::Duration;

use actix_web::test::TestRequest;
use hostpay_domain::ids::PaymentId;
use hostpay_domain::ports::Clock;
use hostpay_store::testing::{PgTestDb, SqliteTestDb};
use hostpay_store::StoreOptions;
use hostpay_testkit::boxo::*;
use hostpay_testkit::boxo_call;
use hostpay_testkit::test_settings;
use hostpay_upstream::{BoxoClient, BoxoClientConfig};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CREATE: &str = "/boxo/v1/order-payments";
const STATUS: &str = "/boxo/v1/order-payments/status";

async fn run_on(url: &str) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/orders/complete-order/"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let store = hostpay_store::connect(url, StoreOptions::default())
        .await
        .expect("open the test database");
    let uri = server.uri();
    let world = world_with(signed_settings(), test_settings(), move |ports| {
        ports.use_store(store.ports());
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
    .await;
    let app = actix_web::test::init_service(
        actix_web::App::new()
            .app_data(actix_web::web::Data::new(world.state.clone()))
            .configure(hostpay_http::public_app),
    )
    .await;
    let now = world.handles.clock.now().timestamp();
    let signed = |path: &str, body: &serde_json::Value, nonce: &str| {
        let raw = serde_json::to_vec(body).unwrap();
        let mut request = post(path, body);
        for header in signature_headers(path, &raw, now, nonce) {
            request = request.insert_header(header);
        }
        request
    };

    let body = order_body(&world.app_id, "order-sql");
    let created = boxo_call!(app, signed(CREATE, &body, "nonce-sql-0000000001"));
    let id = created["order_payment_id"].as_str().unwrap().to_owned();
    let replay = boxo_call!(app, signed(CREATE, &body, "nonce-sql-0000000001"));
    assert_eq!(error_code(&replay), "INVALID_SIGNATURE");
    let again = boxo_call!(app, signed(CREATE, &body, "nonce-sql-0000000002"));
    assert_eq!(again["order_payment_id"], id.as_str());

    let payment_id = PaymentId::parse(&id).unwrap();
    let payments = &world.state.services.payments;
    let user = payments.get(&payment_id).await.unwrap().user_id().clone();
    let grant = payments.grant(&payment_id, &user).await.unwrap().grant;
    let confirm = TestRequest::post()
        .uri(&format!("/checkout/{id}/confirm"))
        .insert_header(("Authorization", format!("Bearer {grant}")))
        .insert_header(("Content-Type", "application/json"))
        .set_payload("{}");
    let response = actix_web::test::call_service(&app, confirm.to_request()).await;
    assert_eq!(response.status(), 200);

    let report = world
        .state
        .services
        .deliveries
        .dispatch_due(10, &|| false)
        .await
        .unwrap();
    assert_eq!(report.delivered, 1, "{report:?}");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let sent: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(sent["order_payment_id"], id.as_str());
    assert_eq!(sent["payment_status"], "paid");
    assert_eq!(sent["custom_attributes"], json!({"table": "7"}));

    let status = boxo_call!(
        app,
        signed(
            STATUS,
            &json!({"app_id": world.app_id, "client_id": CLIENT_ID, "order_payment_id": id}),
            "nonce-sql-0000000003"
        )
    );
    assert_eq!(status["payment_status"], "paid");
}

#[actix_web::test]
async fn on_sqlite() {
    let db = SqliteTestDb::create();
    run_on(&db.url).await;
}

#[actix_web::test]
async fn on_postgres() {
    let db = PgTestDb::migrated().await;
    run_on(&db.url).await;
}
