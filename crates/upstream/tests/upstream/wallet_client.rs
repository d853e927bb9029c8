//! The `http` wallet processor against a fake wallet (wiremock).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hostpay_domain::ids::{PaymentId, RefundId};
use hostpay_domain::money::{Currency, Money};
use hostpay_domain::payment::ChargeOutcome;
use hostpay_domain::ports::{ChargeRequest, PaymentProcessor, ProcessorError, RefundRequest};
use hostpay_upstream::{WalletConfig, WalletProcessor};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn wallet(server: &MockServer, timeout: Duration) -> WalletProcessor {
    WalletProcessor::new(WalletConfig {
        wallet_url: server.uri(),
        token: Some("wallet-token".to_owned()),
        timeout,
    })
    .unwrap()
}

fn charge(id: &str) -> ChargeRequest {
    ChargeRequest {
        payment_id: PaymentId::parse(id).unwrap(),
        amount: Money::parse("25").unwrap(),
        currency: Currency::parse("SAR").unwrap(),
        user_id: "u-42".to_owned(),
        simulate_decline: false,
    }
}

#[tokio::test]
async fn approve_sends_the_documented_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/charges"))
        .and(header("Idempotency-Key", "pay_1"))
        .and(header("Authorization", "Bearer wallet-token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "approved"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let outcome = wallet(&server, Duration::from_secs(5))
        .charge(&charge("pay_1"))
        .await;
    assert_eq!(outcome, Ok(ChargeOutcome::Approved));
    let request = &server.received_requests().await.unwrap()[0];
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"payment_id": "pay_1", "amount": "25.00", "currency": "SAR", "user_id": "u-42"})
    );
}

#[tokio::test]
async fn decline_carries_the_reason() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/charges"))
        .respond_with(ResponseTemplate::new(402).set_body_json(
            serde_json::json!({"status": "declined", "reason": "insufficient funds"}),
        ))
        .mount(&server)
        .await;
    let outcome = wallet(&server, Duration::from_secs(5))
        .charge(&charge("pay_2"))
        .await;
    assert_eq!(
        outcome,
        Ok(ChargeOutcome::Declined {
            reason: "insufficient funds".to_owned()
        })
    );
}

/// A wallet that keeps one outcome per idempotency key and hangs on the first call.
struct IdempotentWallet {
    charges: Arc<Mutex<HashMap<String, u32>>>,
    calls: Arc<Mutex<u32>>,
}

impl Respond for IdempotentWallet {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let key = request
            .headers
            .get("Idempotency-Key")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        *self.charges.lock().unwrap().entry(key).or_insert(0) += 1;
        let mut calls = self.calls.lock().unwrap();
        *calls += 1;
        let answer =
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "approved"}));
        if *calls == 1 {
            answer.set_delay(Duration::from_secs(5))
        } else {
            answer
        }
    }
}

#[tokio::test]
async fn timeout_then_retry_uses_the_same_key() {
    let server = MockServer::start().await;
    let charges = Arc::new(Mutex::new(HashMap::new()));
    Mock::given(method("POST"))
        .and(path("/charges"))
        .respond_with(IdempotentWallet {
            charges: charges.clone(),
            calls: Arc::new(Mutex::new(0)),
        })
        .mount(&server)
        .await;
    let processor = wallet(&server, Duration::from_millis(300));
    assert_eq!(
        processor.charge(&charge("pay_3")).await,
        Err(ProcessorError::Timeout)
    );
    assert_eq!(
        processor.charge(&charge("pay_3")).await,
        Ok(ChargeOutcome::Approved)
    );
    let charges = charges.lock().unwrap();
    // Two calls, one key: the wallet charges once.
    assert_eq!(charges.len(), 1);
    assert_eq!(charges.get("pay_3"), Some(&2));
}

#[tokio::test]
async fn refund_succeeds_or_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/refunds"))
        .and(header("Idempotency-Key", "ref_ok"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(serde_json::json!({"status": "succeeded"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/refunds"))
        .and(header("Idempotency-Key", "ref_no"))
        .respond_with(ResponseTemplate::new(402).set_body_json(
            serde_json::json!({"status": "failed", "reason": "charge already reversed"}),
        ))
        .mount(&server)
        .await;
    let processor = wallet(&server, Duration::from_secs(5));
    let refund = |id: &str| RefundRequest {
        refund_id: RefundId::parse(id).unwrap(),
        payment_id: PaymentId::parse("pay_1").unwrap(),
        amount: Money::parse("5.5").unwrap(),
        currency: Currency::parse("SAR").unwrap(),
    };
    assert_eq!(processor.refund(&refund("ref_ok")).await, Ok(Ok(())));
    assert_eq!(
        processor.refund(&refund("ref_no")).await,
        Ok(Err("charge already reversed".to_owned()))
    );
    let body: serde_json::Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"refund_id": "ref_ok", "payment_id": "pay_1", "amount": "5.50", "currency": "SAR"})
    );
}

#[tokio::test]
async fn server_errors_are_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    assert!(matches!(
        wallet(&server, Duration::from_secs(5))
            .charge(&charge("pay_4"))
            .await,
        Err(ProcessorError::Unavailable(_))
    ));
}

#[tokio::test]
async fn amounts_are_sent_with_their_currency_decimals() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/charges"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "approved"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/refunds"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(serde_json::json!({"status": "succeeded"})),
        )
        .mount(&server)
        .await;
    let processor = wallet(&server, Duration::from_secs(5));
    let jpy = Currency::parse("JPY").unwrap();
    let mut in_yen = charge("pay_jpy");
    in_yen.amount = Money::parse_in("1000", jpy).unwrap();
    in_yen.currency = jpy;
    assert_eq!(processor.charge(&in_yen).await, Ok(ChargeOutcome::Approved));
    let kwd = Currency::parse("KWD").unwrap();
    let in_dinars = RefundRequest {
        refund_id: RefundId::parse("ref_kwd").unwrap(),
        payment_id: PaymentId::parse("pay_kwd").unwrap(),
        amount: Money::parse_in("10.5", kwd).unwrap(),
        currency: kwd,
    };
    assert_eq!(processor.refund(&in_dinars).await, Ok(Ok(())));
    let requests = server.received_requests().await.unwrap();
    let amount = |index: usize| {
        let body: serde_json::Value = serde_json::from_slice(&requests[index].body).unwrap();
        body["amount"].clone()
    };
    assert_eq!(amount(0), "1000");
    assert_eq!(amount(1), "10.500");
}
