//! A full flow through `hostpay serve` (register, mint, verify, create, open the sheet,
//! confirm, refund, rotate, webhooks delivered, and a signed Boxo order paid with its
//! signed complete-order delivered): the metrics move, and the captured logs (JSON, one
//! object per line, debug level for hostpay's crates) hold no secret, token or signature
//! that was used.

use std::time::Duration;

use base64::Engine;
use hostpay_boxo::signing::OutgoingRequest;
use hostpay_boxo::SigningSettings;
use hostpay_testkit::process::{app_auth, client, send, Server, ADMIN_TOKEN, HASH_KEY};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const BOXO_CLIENT_ID: &str = "flow-boxo-client";
const BOXO_SECRET_KEY: &str = "flow-boxo-secret-key-0123456789";
const BOXO_SIGNING_SECRET: &str = "flow-boxo-signing-secret-0123456789";

/// The value of `name` in the Prometheus text, summed over series whose labels contain
/// every `label`.
fn metric(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter(|line| {
            line.starts_with(name)
                && line[name.len()..].starts_with(['{', ' '])
                && labels.iter().all(|label| line.contains(label))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_flow_moves_the_metrics_and_leaks_no_secret_into_the_logs() {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/orders/complete-order/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"code": "OK"})))
        .mount(&receiver)
        .await;
    let platform = receiver.uri();
    let mut server = Server::start(&[
        (
            "HOSTPAY__LOG__LEVEL",
            "info,hostpay_app=debug,hostpay_http=debug,hostpay_domain=debug,hostpay_store=debug,hostpay_upstream=debug",
        ),
        ("HOSTPAY__BOXO__CLIENT_ID", BOXO_CLIENT_ID),
        ("HOSTPAY__BOXO__SECRET_KEY", BOXO_SECRET_KEY),
        ("HOSTPAY__BOXO__PLATFORM_URL", &platform),
        ("HOSTPAY__BOXO__SIGNING__SECRET", BOXO_SIGNING_SECRET),
        ("HOSTPAY__BOXO__SIGNING__VERIFY_INCOMING", "true"),
    ]);
    server.wait_up().await;
    let http = client();
    let (public, internal) = (server.public.clone(), server.internal.clone());
    let mut secrets: Vec<String> = vec![
        ADMIN_TOKEN.to_owned(),
        HASH_KEY.to_owned(),
        BOXO_SECRET_KEY.to_owned(),
        BOXO_SIGNING_SECRET.to_owned(),
    ];

    // register
    let (status, _, body) = send(
        http.post(format!("{internal}/internal/v1/apps"))
            .bearer_auth(ADMIN_TOKEN)
            .header("X-Request-Id", "flow-register")
            .json(
                &json!({"name": "Flow Bakery", "webhook_url": format!("{}/hook", receiver.uri())}),
            ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let app_id = body["data"]["app_id"].as_str().unwrap().to_owned();
    let secret_key = body["data"]["secret_key"].as_str().unwrap().to_owned();
    secrets.push(secret_key.clone());
    secrets.push(body["data"]["webhook_secret"].as_str().unwrap().to_owned());
    let auth = app_auth(&app_id, &secret_key);
    secrets.push(auth["Token ".len()..].to_owned());

    // mint and verify
    let (status, _, body) = send(
        http.post(format!("{internal}/internal/v1/user-tokens"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"user_id": "flow-user", "app_id": app_id})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let user_token = body["data"]["token"].as_str().unwrap().to_owned();
    secrets.push(user_token.clone());
    let (status, _, body) = send(
        http.post(format!("{public}/api/v1/users/verify-token"))
            .header("Authorization", &auth)
            .header("miniapp-user-token", &user_token),
    )
    .await;
    assert_eq!(
        (status, &body["data"]["id"]),
        (200, &json!("flow-user")),
        "{body}"
    );
    let (status, _, _) = send(
        http.post(format!("{public}/api/v1/users/verify-token"))
            .header("Authorization", &auth)
            .header("miniapp-user-token", "ut_not-a-real-token"),
    )
    .await;
    assert_eq!(status, 401);

    // create, open the sheet, confirm
    let (status, headers, body) = send(
        http.post(format!("{public}/api/v1/payments"))
            .header("Authorization", &auth)
            .header("X-Request-Id", "flow-create-payment")
            .header("Idempotency-Key", "flow-key-1")
            .json(&json!({"user_id": "flow-user", "amount": "20.00", "currency": "USD"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(headers["x-request-id"], "flow-create-payment");
    let payment_id = body["data"]["id"].as_str().unwrap().to_owned();
    let session_token = body["data"]["session"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let checkout_url = body["data"]["session"]["checkout_url"]
        .as_str()
        .unwrap()
        .to_owned();
    secrets.push(session_token.clone());
    let sheet = http.get(&checkout_url).send().await.unwrap();
    assert_eq!(sheet.status(), 200);
    // The miniapp's session cannot pay; the host mints a grant for its user.
    let (status, _, body) = send(
        http.post(format!("{public}/checkout/{payment_id}/confirm"))
            .bearer_auth(&session_token),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let user = body_user(&http, &internal, &payment_id).await;
    let (status, _, body) = send(
        http.post(format!(
            "{internal}/internal/v1/payments/{payment_id}/grants"
        ))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({ "user_id": user })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let grant = body["data"]["grant"].as_str().unwrap().to_owned();
    secrets.push(grant.clone());
    let (status, _, body) = send(
        http.post(format!("{public}/checkout/{payment_id}/confirm"))
            .bearer_auth(&grant),
    )
    .await;
    assert_eq!(
        (status, &body["data"]["status"]),
        (200, &json!("paid")),
        "{body}"
    );

    // refund, then rotate the secret (the new one must not be logged either)
    let (status, _, body) = send(
        http.post(format!("{public}/api/v1/payments/{payment_id}/refunds"))
            .header("Authorization", &auth)
            .json(&json!({"amount": "20.00", "reason": "flow test"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, _, body) = send(
        http.post(format!(
            "{internal}/internal/v1/apps/{app_id}/rotate-secret"
        ))
        .bearer_auth(ADMIN_TOKEN),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    secrets.push(body["data"]["secret_key"].as_str().unwrap().to_owned());
    secrets.push(body["data"]["webhook_secret"].as_str().unwrap().to_owned());

    // a signed Boxo order, paid through the sheet with a session from the internal API
    let boxo_auth = base64::engine::general_purpose::STANDARD
        .encode(format!("{BOXO_CLIENT_ID}:{BOXO_SECRET_KEY}"));
    secrets.push(boxo_auth.clone());
    let body = json!({
        "app_id": app_id,
        "order": {
            "currency": "USD",
            "amount": "5.00",
            "miniapp_order_id": "flow-boxo-order-1",
            "hostapp_user_id": "flow-user",
            "items": [{"product_name": "Tea", "quantity": 1, "price": "5.00"}]
        }
    });
    let raw = serde_json::to_vec(&body).unwrap();
    let now = chrono::Utc::now();
    let timestamp = now.timestamp().to_string();
    let nonce = "flow-nonce-0123456789abcdef";
    let platform_signer = SigningSettings {
        secret: Some(BOXO_SIGNING_SECRET.to_owned()),
        ..SigningSettings::default()
    }
    .validate()
    .unwrap()
    .signer
    .unwrap();
    let signed = platform_signer
        .sign(&OutgoingRequest {
            method: "POST",
            url: "/boxo/v1/order-payments",
            body: &raw,
            timestamp: now,
            nonce,
            client_id: BOXO_CLIENT_ID,
        })
        .unwrap();
    let incoming_signature = signed.get("X-Signature").unwrap().to_owned();
    secrets.push(incoming_signature.clone());
    let (status, _, answer) = send(
        http.post(format!("{public}/boxo/v1/order-payments"))
            .header("Authorization", format!("Token {boxo_auth}"))
            .header("Content-Type", "application/json")
            .header("X-Signature", &incoming_signature)
            .header("X-Timestamp", &timestamp)
            .header("X-Nonce", nonce)
            .header("X-Client-Id", BOXO_CLIENT_ID)
            .body(raw),
    )
    .await;
    let boxo_payment = answer["order_payment_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{status} {answer}"))
        .to_owned();
    let (status, _, body) = send(
        http.get(format!("{internal}/internal/v1/payments/{boxo_payment}"))
            .bearer_auth(ADMIN_TOKEN),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let boxo_session = body["data"]["session"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    secrets.push(boxo_session.clone());
    let user = body_user(&http, &internal, &boxo_payment).await;
    let (status, _, body) = send(
        http.post(format!(
            "{internal}/internal/v1/payments/{boxo_payment}/grants"
        ))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({ "user_id": user })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let boxo_grant = body["data"]["grant"].as_str().unwrap().to_owned();
    secrets.push(boxo_grant.clone());
    let (status, _, body) = send(
        http.post(format!("{public}/checkout/{boxo_payment}/confirm"))
            .bearer_auth(&boxo_grant),
    )
    .await;
    assert_eq!(
        (status, &body["data"]["status"]),
        (200, &json!("paid")),
        "{body}"
    );

    // the webhooks arrive (created, paid, refund created, refund succeeded, refunded of the
    // miniapp payment), and so does the Boxo payment's signed complete-order
    let mut received = Vec::new();
    let is_webhook = |r: &wiremock::Request| r.url.path() == "/hook";
    for _ in 0..300 {
        received = receiver.received_requests().await.unwrap_or_default();
        let webhooks = received.iter().filter(|r| is_webhook(r)).count();
        if webhooks >= 5 && received.len() > webhooks {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let webhooks = received.iter().filter(|r| is_webhook(r)).count();
    assert!(webhooks >= 5, "{webhooks} webhooks:\n{}", server.logs());
    assert!(
        received.len() > webhooks,
        "no complete-order:\n{}",
        server.logs()
    );
    for request in &received {
        if is_webhook(request) {
            let signature = request.headers["x-hostpay-signature"].to_str().unwrap();
            secrets.push(signature.to_owned());
            let v1 = signature
                .split(',')
                .find_map(|part| part.strip_prefix("v1="));
            secrets.push(v1.unwrap().to_owned());
        } else {
            secrets.push(request.headers["x-signature"].to_str().unwrap().to_owned());
        }
    }

    // the metrics moved
    let text = http
        .get(format!("{internal}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let transitions = "hostpay_payment_transitions_total";
    assert_eq!(
        metric(&text, transitions, &[r#"event="payment.created""#]),
        2.0,
        "{text}"
    );
    assert_eq!(
        metric(&text, transitions, &[r#"event="payment.paid""#]),
        2.0
    );
    assert_eq!(
        metric(&text, transitions, &[r#"event="payment.refunded""#]),
        1.0
    );
    assert_eq!(
        metric(
            &text,
            "hostpay_refunds_total",
            &[r#"event="refund.created""#]
        ),
        1.0
    );
    assert_eq!(
        metric(
            &text,
            "hostpay_refunds_total",
            &[r#"event="refund.succeeded""#]
        ),
        1.0
    );
    assert!(
        metric(
            &text,
            "hostpay_delivery_attempts_total",
            &[r#"target="miniapp_webhook""#, r#"outcome="acknowledged""#]
        ) >= 5.0,
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            "hostpay_delivery_attempts_total",
            &[
                r#"target="boxo_complete_order""#,
                r#"outcome="acknowledged""#
            ]
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            "hostpay_http_requests_total",
            &[r#"route="/api/v1/payments""#, r#"status="201""#]
        ),
        1.0,
        "{text}"
    );
    assert!(
        metric(
            &text,
            "hostpay_http_request_duration_seconds_count",
            &[r#"route="/checkout/{payment_id}/confirm""#]
        ) >= 1.0
    );
    assert!(text.contains("hostpay_outbox_pending"));
    assert!(text.contains("hostpay_outbox_dead 0"));
    assert!(
        text.contains(r#"hostpay_db_pool_connections{state="max"} 10"#),
        "{text}"
    );

    // the logs: JSON lines, request ids on request lines, no secret anywhere
    assert!(server.stop().success());
    let logs = server.logs();
    let mut finished = 0;
    let mut ids = Vec::new();
    for line in logs.lines() {
        let value: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {line}"));
        if value["message"] == "request finished" {
            finished += 1;
            let id = value["span"]["request_id"]
                .as_str()
                .unwrap_or_else(|| panic!("{line}"));
            ids.push(id.to_owned());
        }
    }
    assert!(finished >= 12, "{logs}");
    assert!(ids.iter().any(|id| id == "flow-create-payment"));
    assert!(ids.iter().any(|id| id == "flow-register"));
    assert!(
        logs.contains(&payment_id),
        "the capture holds the requests' paths"
    );
    assert!(!logs.contains("session="), "a query string was logged");
    for secret in &secrets {
        assert!(secret.len() >= 16, "weak test secret {secret}");
        assert!(
            !logs.contains(secret.as_str()),
            "a secret reached the logs: {secret}"
        );
    }
}

/// The payment's user, read through the internal API (what the host's backend knows).
async fn body_user(http: &reqwest::Client, internal: &str, payment_id: &str) -> String {
    let (status, _, body) = send(
        http.get(format!("{internal}/internal/v1/payments/{payment_id}"))
            .bearer_auth(ADMIN_TOKEN),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["user_id"].as_str().unwrap().to_owned()
}
