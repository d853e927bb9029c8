//! Boxo Connect over HTTP (api.md section 4a): auth codes minted on the internal API,
//! traded for access tokens, user data read with them; a code used twice, a code for
//! another miniapp, expired and garbage tokens, missing client credentials, the same
//! signature checks as the payment calls, and payments authenticated by an access token
//! (`boxo.accept_access_token`).

use actix_web::test::TestRequest;
use hostpay_domain::ids::PaymentId;
use hostpay_testkit::boxo::*;
use hostpay_testkit::{boxo_app, boxo_call};
use serde_json::{json, Value};

const ACCESS_TOKEN: &str = "/boxo/v1/connect/access-token";
const USER_DATA: &str = "/boxo/v1/connect/user-data";
const CREATE: &str = "/boxo/v1/order-payments";
const STATUS: &str = "/boxo/v1/order-payments/status";

/// Mints an auth code through the internal API.
async fn mint(world: &World, app_id: &str, user: &str) -> String {
    let app = actix_web::test::init_service(
        actix_web::App::new()
            .app_data(actix_web::web::Data::new(world.state.clone()))
            .configure(hostpay_http::internal_app),
    )
    .await;
    let request = TestRequest::post()
        .uri("/internal/v1/connect/auth-codes")
        .insert_header(("Authorization", format!("Bearer {ADMIN_TOKEN}")))
        .set_json(json!({
            "user_id": user,
            "app_id": app_id,
            "user_data": {
                "email": "lina@example.com",
                "phone": "+966500000001",
                "first_name": "Lina",
                "custom_attributes": {"tier": "gold"},
            },
        }));
    let response = actix_web::test::call_service(&app, request.to_request()).await;
    assert_eq!(response.status(), 201);
    let body: Value = actix_web::test::read_body_json(response).await;
    let code = body["data"]["auth_code"].as_str().unwrap().to_owned();
    assert!(code.starts_with("ac_"), "{body}");
    assert!(body["data"]["expires_at"].is_string(), "{body}");
    code
}

fn exchange(app_id: &str, code: &str) -> TestRequest {
    post(ACCESS_TOKEN, &json!({ "auth_code": code }))
        .insert_header(("X-Miniapp-App-ID", app_id.to_owned()))
        .insert_header(("X-Hostapp-Client-ID", CLIENT_ID))
}

fn user_data(app_id: &str, token: &str, get: bool) -> TestRequest {
    let request = if get {
        TestRequest::get()
    } else {
        TestRequest::post()
    };
    request
        .uri(USER_DATA)
        .insert_header(("Authorization", format!("Token {token}")))
        .insert_header(("X-Miniapp-App-ID", app_id.to_owned()))
        .insert_header(("X-Hostapp-Client-ID", CLIENT_ID))
}

#[actix_web::test]
async fn an_auth_code_is_traded_once_for_a_token_that_reads_the_profile() {
    let world = world(boxo_settings()).await;
    let app = boxo_app!(world.state);
    let code = mint(&world, &world.app_id, "user-7").await;

    let token = boxo_call!(app, exchange(&world.app_id, &code));
    let access = token["access_token"].as_str().unwrap().to_owned();
    assert!(access.starts_with("at_"), "{token}");

    for get in [false, true] {
        let data = boxo_call!(app, user_data(&world.app_id, &access, get));
        assert_eq!(
            data,
            json!({"user_data": {
                "reference": "user-7",
                "email": "lina@example.com",
                "phone": "+966500000001",
                "first_name": "Lina",
                "last_name": null,
                "custom_attributes": {"tier": "gold"},
            }}),
            "get={get}"
        );
    }

    // Used twice: expired.
    let again = boxo_call!(app, exchange(&world.app_id, &code));
    assert_eq!(error_code(&again), "EXPIRED_AUTH_CODE");
    // Garbage and unknown codes.
    for garbage in ["", "nope", "ac_unknown0000000000000000"] {
        let answer = boxo_call!(app, exchange(&world.app_id, garbage));
        assert_eq!(error_code(&answer), "INVALID_AUTH_CODE", "{garbage:?}");
    }
}

#[actix_web::test]
async fn a_code_for_another_miniapp_and_unknown_miniapps_are_refused() {
    let world = world(boxo_settings()).await;
    let app = boxo_app!(world.state);
    let code = mint(&world, &world.app_id, "user-7").await;
    let other = boxo_call!(app, exchange(&world.other_app_id, &code));
    assert_eq!(error_code(&other), "EXPIRED_AUTH_CODE");

    let code = mint(&world, &world.app_id, "user-7").await;
    let unknown = boxo_call!(app, exchange("app_unknown", &code));
    assert_eq!(error_code(&unknown), "MINIAPP_NOT_FOUND");
    let no_header = boxo_call!(app, post(ACCESS_TOKEN, &json!({ "auth_code": code })));
    assert_eq!(error_code(&no_header), "MINIAPP_NOT_FOUND");
    let wrong_client = boxo_call!(
        app,
        post(ACCESS_TOKEN, &json!({ "auth_code": code }))
            .insert_header(("X-Miniapp-App-ID", world.app_id.clone()))
            .insert_header(("X-Hostapp-Client-ID", "someone-else"))
    );
    assert_eq!(error_code(&wrong_client), "ACCESS_DENIED");
    // The code survived those refusals.
    let token = boxo_call!(app, exchange(&world.app_id, &code));
    assert!(token["access_token"].is_string(), "{token}");
}

#[actix_web::test]
async fn expired_garbage_and_foreign_tokens_are_refused() {
    let world = world(boxo_settings()).await;
    let app = boxo_app!(world.state);
    let code = mint(&world, &world.app_id, "user-7").await;
    let token = boxo_call!(app, exchange(&world.app_id, &code));
    let access = token["access_token"].as_str().unwrap().to_owned();

    for garbage in ["garbage", "at_", "at_unknown000000000000000"] {
        let answer = boxo_call!(app, user_data(&world.app_id, garbage, false));
        assert_eq!(error_code(&answer), "INVALID_ACCESS_TOKEN", "{garbage:?}");
    }
    let foreign = boxo_call!(app, user_data(&world.other_app_id, &access, true));
    assert_eq!(error_code(&foreign), "INVALID_ACCESS_TOKEN");

    world.handles.clock.advance(chrono::Duration::seconds(3601));
    let expired = boxo_call!(app, user_data(&world.app_id, &access, false));
    assert_eq!(error_code(&expired), "EXPIRED_ACCESS_TOKEN");

    // An expired auth code too.
    let code = mint(&world, &world.app_id, "user-8").await;
    world.handles.clock.advance(chrono::Duration::seconds(301));
    let late = boxo_call!(app, exchange(&world.app_id, &code));
    assert_eq!(error_code(&late), "EXPIRED_AUTH_CODE");
}

#[actix_web::test]
async fn missing_client_credentials_are_access_denied() {
    let world = world(boxo_settings()).await;
    let app = boxo_app!(world.state);
    let code = mint(&world, &world.app_id, "user-7").await;
    let bare = TestRequest::post()
        .uri(ACCESS_TOKEN)
        .insert_header(("X-Miniapp-App-ID", world.app_id.clone()))
        .set_json(json!({ "auth_code": code }));
    assert_eq!(error_code(&boxo_call!(app, bare)), "ACCESS_DENIED");
    let wrong = TestRequest::post()
        .uri(ACCESS_TOKEN)
        .insert_header(("Authorization", "Token aG9zdF9kZW1vOndyb25n"))
        .insert_header(("X-Miniapp-App-ID", world.app_id.clone()))
        .set_json(json!({ "auth_code": code }));
    assert_eq!(error_code(&boxo_call!(app, wrong)), "ACCESS_DENIED");
    let no_token = TestRequest::get()
        .uri(USER_DATA)
        .insert_header(("X-Miniapp-App-ID", world.app_id.clone()));
    assert_eq!(error_code(&boxo_call!(app, no_token)), "ACCESS_DENIED");
    // An access token is not a client credential for the exchange itself.
    let token_as_credentials = TestRequest::post()
        .uri(ACCESS_TOKEN)
        .insert_header(("Authorization", "Token at_whatever00000000000000"))
        .insert_header(("X-Miniapp-App-ID", world.app_id.clone()))
        .set_json(json!({ "auth_code": code }));
    assert_eq!(
        error_code(&boxo_call!(app, token_as_credentials)),
        "ACCESS_DENIED"
    );
    // Without an integration, NO_INTEGRATION as for the payment calls.
    let world = hostpay_testkit::boxo::world(hostpay_http::BoxoSettings::default()).await;
    let app = boxo_app!(world.state);
    let answer = boxo_call!(app, exchange(&world.app_id, "ac_x"));
    assert_eq!(error_code(&answer), "NO_INTEGRATION");
}

#[actix_web::test]
async fn connect_calls_are_signature_checked_like_the_payment_calls() {
    let world = world(signed_settings()).await;
    let app = boxo_app!(world.state);
    let code = mint(&world, &world.app_id, "user-7").await;
    let unsigned = boxo_call!(app, exchange(&world.app_id, &code));
    assert_eq!(error_code(&unsigned), "MISSING_HEADER");

    use hostpay_domain::ports::Clock;
    let now = world.handles.clock.now().timestamp();
    let body = json!({ "auth_code": code });
    let raw = serde_json::to_vec(&body).unwrap();
    let mut signed = exchange(&world.app_id, &code);
    for header in signature_headers(ACCESS_TOKEN, &raw, now, "nonce-connect-000001") {
        signed = signed.insert_header(header);
    }
    let token = boxo_call!(app, signed);
    let access = token["access_token"].as_str().unwrap().to_owned();

    let unsigned = boxo_call!(app, user_data(&world.app_id, &access, true));
    assert_eq!(error_code(&unsigned), "MISSING_HEADER");
    let mut signed = user_data(&world.app_id, &access, true);
    for header in signature_headers(USER_DATA, b"", now, "nonce-connect-000002") {
        signed = signed.insert_header(header);
    }
    // The signature was made for POST: a GET with it does not verify.
    assert_eq!(error_code(&boxo_call!(app, signed)), "INVALID_SIGNATURE");
    let mut signed = user_data(&world.app_id, &access, false);
    for header in signature_headers(USER_DATA, b"", now, "nonce-connect-000003") {
        signed = signed.insert_header(header);
    }
    let data = boxo_call!(app, signed);
    assert_eq!(data["user_data"]["reference"], "user-7", "{data}");
}

fn order_without_user(app_id: &str, order_id: &str) -> Value {
    let mut body = order_body(app_id, order_id);
    body["order"]
        .as_object_mut()
        .unwrap()
        .remove("hostapp_user_id");
    body
}

fn with_token(path: &str, body: &Value, token: &str) -> TestRequest {
    TestRequest::post()
        .uri(path)
        .insert_header(("Authorization", format!("Token {token}")))
        .set_json(body)
}

#[actix_web::test]
async fn payments_take_their_user_from_an_access_token_when_accepted() {
    let mut settings = boxo_settings();
    settings.accept_access_token = true;
    let world = world(settings).await;
    let app = boxo_app!(world.state);
    let code = mint(&world, &world.app_id, "token-user").await;
    let token = boxo_call!(app, exchange(&world.app_id, &code));
    let access = token["access_token"].as_str().unwrap().to_owned();

    let created = boxo_call!(
        app,
        with_token(
            CREATE,
            &order_without_user(&world.app_id, "o-token"),
            &access
        )
    );
    let id = created["order_payment_id"].as_str().unwrap().to_owned();
    let payment = world
        .state
        .services
        .payments
        .get(&PaymentId::parse(&id).unwrap())
        .await
        .unwrap();
    assert_eq!(payment.user_id().as_str(), "token-user");

    let status_body = json!({"app_id": world.app_id, "order_payment_id": id});
    let status = boxo_call!(app, with_token(STATUS, &status_body, &access));
    assert_eq!(status["payment_status"], "in_process", "{status}");
    // The platform's own credentials still work.
    let status = boxo_call!(app, post(STATUS, &status_body));
    assert_eq!(status["payment_status"], "in_process", "{status}");

    // The token's miniapp must be the body's.
    let foreign = boxo_call!(
        app,
        with_token(
            CREATE,
            &order_without_user(&world.other_app_id, "o-x"),
            &access
        )
    );
    assert_eq!(error_code(&foreign), "ACCESS_DENIED");
    // Another user named in the order.
    let mut other_user = order_body(&world.app_id, "o-other-user");
    other_user["order"]["hostapp_user_id"] = json!("someone-else");
    let answer = boxo_call!(app, with_token(CREATE, &other_user, &access));
    assert_eq!(error_code(&answer), "ACCESS_DENIED");
    // Another user's payment reads as not found.
    let created = boxo_call!(app, post(CREATE, &order_body(&world.app_id, "o-u42")));
    let theirs = json!({"app_id": world.app_id, "order_payment_id": created["order_payment_id"]});
    let answer = boxo_call!(app, with_token(STATUS, &theirs, &access));
    assert_eq!(error_code(&answer), "ORDER_NOT_FOUND");
    // Garbage and expired tokens.
    let garbage = boxo_call!(
        app,
        with_token(
            CREATE,
            &order_without_user(&world.app_id, "o-g"),
            "at_garbage0000000000"
        )
    );
    assert_eq!(error_code(&garbage), "INVALID_ACCESS_TOKEN");
    world.handles.clock.advance(chrono::Duration::seconds(3601));
    let expired = boxo_call!(app, with_token(STATUS, &status_body, &access));
    assert_eq!(error_code(&expired), "EXPIRED_ACCESS_TOKEN");
}

#[actix_web::test]
async fn access_tokens_are_refused_on_payments_unless_accepted() {
    let world = world(boxo_settings()).await;
    let app = boxo_app!(world.state);
    let code = mint(&world, &world.app_id, "token-user").await;
    let token = boxo_call!(app, exchange(&world.app_id, &code));
    let access = token["access_token"].as_str().unwrap().to_owned();
    let answer = boxo_call!(
        app,
        with_token(
            CREATE,
            &order_without_user(&world.app_id, "o-token"),
            &access
        )
    );
    assert_eq!(error_code(&answer), "ACCESS_DENIED");
}

#[actix_web::test]
async fn a_garbage_token_does_not_reveal_whether_a_client_id_is_right() {
    let world = world(boxo_settings()).await;
    let app = boxo_app!(world.state);
    for client_id in ["not-the-client-id", CLIENT_ID] {
        let request = TestRequest::get()
            .uri(USER_DATA)
            .insert_header(("Authorization", "Token at_deadbeef"))
            .insert_header(("X-Miniapp-App-ID", world.app_id.clone()))
            .insert_header(("X-Hostapp-Client-ID", client_id));
        let answer = boxo_call!(app, request);
        assert_eq!(error_code(&answer), "INVALID_ACCESS_TOKEN", "{client_id}");
    }
}

#[actix_web::test]
async fn payment_bodies_are_not_parsed_for_an_invalid_access_token() {
    let mut settings = boxo_settings();
    settings.accept_access_token = true;
    let world = world(settings).await;
    let app = boxo_app!(world.state);
    for path in [CREATE, STATUS] {
        let request = TestRequest::post()
            .uri(path)
            .insert_header(("Authorization", "Token at_deadbeef"))
            .insert_header(("Content-Type", "application/json"))
            .set_payload("not json");
        let answer = boxo_call!(app, request);
        assert_eq!(error_code(&answer), "INVALID_ACCESS_TOKEN", "{path}");
    }
}

#[test]
fn connect_requests_hide_codes_and_personal_data_from_debug() {
    let exchange: hostpay_http::boxo::connect::AccessTokenRequest =
        serde_json::from_value(json!({ "auth_code": "ac_secret-code-never-printed" })).unwrap();
    let shown = format!("{exchange:?}");
    assert!(!shown.contains("never-printed"), "{shown}");
    assert!(shown.contains("********"), "{shown}");

    let mint: hostpay_http::internal::connect::MintAuthCodeRequest =
        serde_json::from_value(json!({
            "user_id": "user-7",
            "app_id": "app_1",
            "user_data": {
                "email": "lina@example.com",
                "phone": "+966500000001",
                "first_name": "Lina",
                "last_name": "Haddad",
                "custom_attributes": {"tier": "gold"},
            },
        }))
        .unwrap();
    let shown = format!("{mint:?}");
    for personal in [
        "lina@example.com",
        "+966500000001",
        "Lina",
        "Haddad",
        "gold",
    ] {
        assert!(!shown.contains(personal), "{personal} in {shown}");
    }
    assert!(shown.contains("********"), "{shown}");
}
