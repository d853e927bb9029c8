//! The internal deliveries API: list by state, show with attempts, retry by hand (202),
//! bearer admin token.

use actix_web::test::{self, TestRequest};
use hostpay_domain::ids::PaymentId;
use hostpay_domain::services::SettleStatus;
use hostpay_testkit::boxo::*;
use hostpay_testkit::permanent;
use hostpay_testkit::{boxo_app, boxo_call};
use serde_json::Value;

macro_rules! internal_app {
    ($state:expr) => {
        test::init_service(
            actix_web::App::new()
                .app_data(actix_web::web::Data::new($state.clone()))
                .configure(hostpay_http::internal_app),
        )
        .await
    };
}

macro_rules! get_json {
    ($app:expr, $request:expr, $status:expr) => {{
        let response = test::call_service(&$app, $request.to_request()).await;
        assert_eq!(response.status().as_u16(), $status);
        let body: Value = test::read_body_json(response).await;
        body
    }};
}

fn admin(request: TestRequest) -> TestRequest {
    request.insert_header(("Authorization", format!("Bearer {ADMIN_TOKEN}")))
}

#[actix_web::test]
async fn dead_letters_are_listed_shown_and_retried() {
    let world = world(boxo_settings()).await;
    let services = &world.state.services;
    let boxo = boxo_app!(world.state);
    let app = internal_app!(world.state);

    let created = boxo_call!(
        boxo,
        post(
            "/boxo/v1/order-payments",
            &order_body(&world.app_id, "o-dead")
        )
    );
    let id = PaymentId::parse(created["order_payment_id"].as_str().unwrap()).unwrap();
    services
        .payments
        .settle(&id, SettleStatus::Paid)
        .await
        .unwrap();
    world
        .handles
        .boxo
        .push_reply(permanent(400, "PROCESS_FAIL"));
    let report = services
        .deliveries
        .dispatch_due(10, &|| false)
        .await
        .unwrap();
    assert_eq!(report.dead, 1);

    let dead = get_json!(
        app,
        admin(TestRequest::get().uri("/internal/v1/deliveries?state=dead")),
        200
    );
    assert_eq!(dead["success"], true);
    let items = dead["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let delivery = &items[0];
    assert_eq!(delivery["state"], "dead");
    assert_eq!(delivery["target"], "boxo_complete_order");
    assert_eq!(delivery["event_type"], "payment.paid");
    assert_eq!(delivery["payment_id"], id.as_str());
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["last_status"], 400);
    let delivery_id = delivery["id"].as_str().unwrap().to_owned();

    let pending = get_json!(
        app,
        admin(TestRequest::get().uri("/internal/v1/deliveries?state=pending")),
        200
    );
    assert!(pending["data"]["items"].as_array().unwrap().is_empty());

    let shown = get_json!(
        app,
        admin(TestRequest::get().uri(&format!("/internal/v1/deliveries/{delivery_id}"))),
        200
    );
    let log = shown["data"]["attempt_log"].as_array().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["outcome"], "permanent");
    assert_eq!(log[0]["http_status"], 400);

    let retried = get_json!(
        app,
        admin(TestRequest::post().uri(&format!("/internal/v1/deliveries/{delivery_id}/retry"))),
        202
    );
    assert_eq!(retried["status_code"], 202);
    assert_eq!(retried["data"]["state"], "pending");

    let report = services
        .deliveries
        .dispatch_due(10, &|| false)
        .await
        .unwrap();
    assert_eq!(report.delivered, 1);
    let delivered = get_json!(
        app,
        admin(TestRequest::get().uri("/internal/v1/deliveries?state=delivered")),
        200
    );
    let items = delivered["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["attempts"], 2);
    assert_eq!(world.handles.boxo.calls().len(), 2);

    let all = get_json!(
        app,
        admin(TestRequest::get().uri("/internal/v1/deliveries?limit=1")),
        200
    );
    assert_eq!(all["data"]["items"].as_array().unwrap().len(), 1);
}

/// Creates a Boxo order of `order_id` through `$boxo` and settles it paid: its
/// complete-order is pending.
macro_rules! paid {
    ($world:expr, $boxo:expr, $order_id:expr) => {{
        let created = boxo_call!(
            $boxo,
            post(
                "/boxo/v1/order-payments",
                &order_body(&$world.app_id, $order_id)
            )
        );
        let id = PaymentId::parse(created["order_payment_id"].as_str().unwrap()).unwrap();
        $world
            .state
            .services
            .payments
            .settle(&id, SettleStatus::Paid)
            .await
            .unwrap();
    }};
}

#[actix_web::test]
async fn only_dead_letters_are_retried_by_hand() {
    let world = world(boxo_settings()).await;
    let services = &world.state.services;
    let boxo = boxo_app!(world.state);
    let app = internal_app!(world.state);
    let retry =
        |id: &str| admin(TestRequest::post().uri(&format!("/internal/v1/deliveries/{id}/retry")));

    // Delivered: refused, and nothing is sent again.
    paid!(world, boxo, "o-delivered");
    let report = services
        .deliveries
        .dispatch_due(10, &|| false)
        .await
        .unwrap();
    assert_eq!(report.delivered, 1);
    let delivered = get_json!(
        app,
        admin(TestRequest::get().uri("/internal/v1/deliveries?state=delivered")),
        200
    );
    let delivered_id = delivered["data"]["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = get_json!(app, retry(&delivered_id), 409);
    assert_eq!(refused["success"], false);
    assert_eq!(refused["status_code"], 409);
    assert_eq!(refused["error"]["code"], "INVALID_STATE");
    assert_eq!(refused["error"]["details"]["state"], "delivered");
    assert_eq!(
        refused["error"]["details"]["delivery_id"],
        delivered_id.as_str()
    );
    let report = services
        .deliveries
        .dispatch_due(10, &|| false)
        .await
        .unwrap();
    assert_eq!(report.attempted, 0, "a refused retry schedules nothing");
    assert_eq!(world.handles.boxo.calls().len(), 1);

    // Pending: refused too (it is retried on its own schedule).
    paid!(world, boxo, "o-pending");
    let pending = get_json!(
        app,
        admin(TestRequest::get().uri("/internal/v1/deliveries?state=pending")),
        200
    );
    let pending_id = pending["data"]["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = get_json!(app, retry(&pending_id), 409);
    assert_eq!(refused["error"]["code"], "INVALID_STATE");
    assert_eq!(refused["error"]["details"]["state"], "pending");

    // Dead: 202, pending again, delivered by the next round.
    world
        .handles
        .boxo
        .push_reply(permanent(400, "PROCESS_FAIL"));
    let report = services
        .deliveries
        .dispatch_due(10, &|| false)
        .await
        .unwrap();
    assert_eq!(report.dead, 1);
    let retried = get_json!(app, retry(&pending_id), 202);
    assert_eq!(retried["data"]["state"], "pending");
    let report = services
        .deliveries
        .dispatch_due(10, &|| false)
        .await
        .unwrap();
    assert_eq!(report.delivered, 1);
    assert_eq!(world.handles.boxo.calls().len(), 3);
}

#[actix_web::test]
async fn refusals() {
    let world = world(boxo_settings()).await;
    let app = internal_app!(world.state);
    let anonymous = get_json!(app, TestRequest::get().uri("/internal/v1/deliveries"), 401);
    assert_eq!(anonymous["success"], false);
    let wrong = get_json!(
        app,
        TestRequest::get()
            .uri("/internal/v1/deliveries")
            .insert_header(("Authorization", "Bearer nope")),
        401
    );
    assert_eq!(wrong["error"]["code"], "UNAUTHENTICATED");
    let bad_state = get_json!(
        app,
        admin(TestRequest::get().uri("/internal/v1/deliveries?state=lost")),
        400
    );
    assert_eq!(bad_state["error"]["code"], "INVALID_REQUEST");
    let bad_limit = get_json!(
        app,
        admin(TestRequest::get().uri("/internal/v1/deliveries?limit=0")),
        400
    );
    assert_eq!(bad_limit["error"]["code"], "INVALID_REQUEST");
    let bad_cursor = get_json!(
        app,
        admin(TestRequest::get().uri("/internal/v1/deliveries?cursor=%%%")),
        400
    );
    assert_eq!(bad_cursor["error"]["code"], "INVALID_REQUEST");
    get_json!(
        app,
        admin(TestRequest::get().uri("/internal/v1/deliveries/dlv_missing")),
        404
    );
    get_json!(
        app,
        admin(TestRequest::get().uri("/internal/v1/deliveries/garbage")),
        404
    );
    get_json!(
        app,
        admin(TestRequest::post().uri("/internal/v1/deliveries/dlv_missing/retry")),
        404
    );
    get_json!(
        app,
        TestRequest::post().uri("/internal/v1/deliveries/dlv_missing/retry"),
        401
    );
}
