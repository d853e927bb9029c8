//! The complete-order client against a fake Boxo platform (wiremock).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hostpay_boxo::signing::{IncomingRequest, Signer, Verifier};
use hostpay_boxo::SigningSettings;
use hostpay_domain::delivery::AttemptOutcome;
use hostpay_domain::ids::{AppId, PaymentId};
use hostpay_domain::payment::PaymentStatus;
use hostpay_domain::ports::{Clock, MiniappPlatform, OrderOutcome};
use hostpay_upstream::{BoxoClient, BoxoClientConfig};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct FixedClock(DateTime<Utc>);
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn order() -> OrderOutcome {
    OrderOutcome {
        payment_id: PaymentId::from_trusted("pay_01JD3Q".to_owned()),
        app_id: AppId::from_trusted("app_demo".to_owned()),
        status: PaymentStatus::Paid,
        fail_reason: None,
        custom_attributes: Some(serde_json::json!({"table": "7"})),
    }
}

fn hmac() -> SigningSettings {
    SigningSettings {
        secret: Some("boxo-signing-secret".to_owned()),
        verify_incoming: true,
        ..SigningSettings::default()
    }
}

fn signer() -> Signer {
    hmac().validate().unwrap().signer.unwrap()
}

fn verifier() -> Verifier {
    hmac().validate().unwrap().verifier.unwrap()
}

/// Verifies a complete-order the way the platform does, with these headers.
fn platform_verifies(
    headers: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
) -> Result<(), hostpay_boxo::VerifyError> {
    let values: Vec<(String, String)> = ["X-Signature", "X-Timestamp", "X-Nonce"]
        .into_iter()
        .filter_map(|name| headers(name).map(|value| (name.to_owned(), value)))
        .collect();
    let lookup = |name: &str| {
        values
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    };
    verifier()
        .verify(
            lookup,
            &IncomingRequest {
                method: "POST",
                url: "/api/v1/orders/complete-order/",
                body,
            },
            DateTime::from_timestamp(1767225600, 0).unwrap(),
        )
        .map(|_| ())
}

fn client(server: &MockServer, timeout: Duration) -> BoxoClient {
    let clock = Arc::new(FixedClock(DateTime::from_timestamp(1767225600, 0).unwrap()));
    BoxoClient::with_clock(
        BoxoClientConfig {
            platform_url: Some(format!("{}/", server.uri())),
            client_id: Some("host_demo".to_owned()),
            signer: Some(signer()),
            timeout,
        },
        clock,
    )
    .unwrap()
}

async fn platform_answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/orders/complete-order/"))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn acknowledged_and_correctly_signed() {
    let server = platform_answering(
        ResponseTemplate::new(200).set_body_json(serde_json::json!({"code": 0})),
    )
    .await;
    let report = client(&server, Duration::from_secs(5))
        .complete_order(&order())
        .await;
    assert_eq!(report.status_code, Some(200));
    assert_eq!(report.outcome, AttemptOutcome::Acknowledged);

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    // The body is exactly the documented shape, with client_id added.
    assert_eq!(
        String::from_utf8(request.body.clone()).unwrap(),
        r#"{"order_payment_id":"pay_01JD3Q","app_id":"app_demo","client_id":"host_demo","payment_status":"paid","payment_fail_reason":null,"custom_attributes":{"table":"7"}}"#
    );
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(header("X-Timestamp"), "1767225600");
    // The default template has no {client_id}: no client id header (the body has it).
    assert!(request.headers.get("X-Client-Id").is_none());
    assert_eq!(header("Content-Type"), "application/json");
    let nonce = header("X-Nonce");
    assert!(nonce.len() >= 16);
    let sent = |name: &str| Some(header(name));
    platform_verifies(&sent, &request.body).unwrap();
}

#[tokio::test]
async fn the_signature_matches_vector_1_when_the_nonce_is_known() {
    // Same bytes as signing-vectors.md vector 1: the client's body and the vector agree.
    let server = platform_answering(ResponseTemplate::new(200)).await;
    client(&server, Duration::from_secs(5))
        .complete_order(&order())
        .await;
    let request = &server.received_requests().await.unwrap()[0];
    let vector = |name: &str| {
        let value = match name {
            "X-Timestamp" => "1767225600",
            "X-Nonce" => "n0nce0123456789abcdef",
            "X-Signature" => "mHotJXx563q2uNVkg6hYi8jckaGdv8618Dhj8HA0rNA=",
            _ => return None,
        };
        Some(value.to_owned())
    };
    platform_verifies(&vector, &request.body).unwrap();
}

#[tokio::test]
async fn process_fail_is_permanent() {
    let server = platform_answering(ResponseTemplate::new(400).set_body_json(serde_json::json!({
        "error_code": "PROCESS_FAIL",
        "error_message": "order closed"
    })))
    .await;
    let report = client(&server, Duration::from_secs(5))
        .complete_order(&order())
        .await;
    assert_eq!(report.status_code, Some(400));
    assert!(
        matches!(report.outcome, AttemptOutcome::Permanent(ref why) if why.contains("PROCESS_FAIL"))
    );
}

#[tokio::test]
async fn service_unavailable_is_retryable() {
    let server = platform_answering(ResponseTemplate::new(503)).await;
    let report = client(&server, Duration::from_secs(5))
        .complete_order(&order())
        .await;
    assert_eq!(report.status_code, Some(503));
    assert!(matches!(report.outcome, AttemptOutcome::Retryable(_)));
}

#[tokio::test]
async fn a_hang_past_the_timeout_is_retryable() {
    let server =
        platform_answering(ResponseTemplate::new(200).set_delay(Duration::from_secs(5))).await;
    let report = client(&server, Duration::from_millis(200))
        .complete_order(&order())
        .await;
    assert_eq!(report.status_code, None);
    assert!(
        matches!(report.outcome, AttemptOutcome::Retryable(ref why) if why.contains("timed out"))
    );
}

#[tokio::test]
async fn connection_refused_is_retryable_and_no_url_is_permanent() {
    let server = MockServer::start().await;
    let uri = server.uri();
    drop(server);
    let refused = BoxoClient::new(BoxoClientConfig {
        platform_url: Some(uri),
        client_id: None,
        signer: None,
        timeout: Duration::from_secs(2),
    })
    .unwrap()
    .complete_order(&order())
    .await;
    assert!(matches!(refused.outcome, AttemptOutcome::Retryable(_)));

    let unset = BoxoClient::new(BoxoClientConfig {
        platform_url: None,
        client_id: None,
        signer: None,
        timeout: Duration::from_secs(2),
    })
    .unwrap()
    .complete_order(&order())
    .await;
    assert!(matches!(unset.outcome, AttemptOutcome::Permanent(_)));
}

#[tokio::test]
async fn unsigned_without_a_secret_and_platform_path_prefix_kept() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/boxo/api/v1/orders/complete-order/"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    let report = BoxoClient::new(BoxoClientConfig {
        platform_url: Some(format!("{}/boxo", server.uri())),
        client_id: Some("host_demo".to_owned()),
        signer: None,
        timeout: Duration::from_secs(2),
    })
    .unwrap()
    .complete_order(&order())
    .await;
    assert_eq!(report.outcome, AttemptOutcome::Acknowledged);
    let request = &server.received_requests().await.unwrap()[0];
    assert!(request.headers.get("X-Signature").is_none());
}

#[tokio::test]
async fn an_unreachable_platform_error_carries_no_credentials() {
    let report = BoxoClient::new(BoxoClientConfig {
        platform_url: Some("http://user:pass@127.0.0.1:1/boxo?token=secret".to_owned()),
        client_id: None,
        signer: None,
        timeout: Duration::from_secs(2),
    })
    .unwrap()
    .complete_order(&order())
    .await;
    let AttemptOutcome::Retryable(text) = &report.outcome else {
        panic!("{report:?}");
    };
    assert!(text.starts_with("connection failed"), "{text}");
    assert!(
        text.contains("127.0.0.1:1/boxo"),
        "names the platform: {text}"
    );
    assert!(!text.contains("pass"), "{text}");
    assert!(!text.contains("token=secret"), "{text}");
}

#[tokio::test]
async fn a_platform_error_message_loses_url_credentials() {
    let server = platform_answering(ResponseTemplate::new(400).set_body_json(serde_json::json!({
        "error_code": "PROCESS_FAIL",
        "error_message": "see https://ops:hunter2@boxo.example/why?sig=abc"
    })))
    .await;
    let report = client(&server, Duration::from_secs(5))
        .complete_order(&order())
        .await;
    let AttemptOutcome::Permanent(text) = &report.outcome else {
        panic!("{report:?}");
    };
    assert_eq!(text, "HTTP 400 PROCESS_FAIL: see https://boxo.example/why");
}
