//! The `http` wallet behind the payment use cases (testkit ports): a confirm whose charge
//! times out leaves the payment `in_process` and can be retried without a second charge;
//! approve, decline and refund go through the wallet.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hostpay_domain::ids::{AppId, PaymentId};
use hostpay_domain::miniapp::MiniappRegistration;
use hostpay_domain::order::OrderDetails;
use hostpay_domain::ports::ProcessorError;
use hostpay_domain::services::{PaymentServiceError, Services};
use hostpay_domain::validation::NonEmptyString;
use hostpay_testkit::{in_memory_ports, test_settings};
use hostpay_upstream::{WalletConfig, WalletProcessor};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A wallet that keeps the first outcome per idempotency key (like a real one), counts
/// calls and real charges, and hangs on the first `hangs` calls.
#[derive(Clone, Default)]
struct FakeWallet {
    outcomes: Arc<Mutex<HashMap<String, serde_json::Value>>>,
    calls: Arc<Mutex<Vec<String>>>,
    hangs: usize,
    decline: bool,
}

impl Respond for FakeWallet {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let key = request
            .headers
            .get("Idempotency-Key")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let mut calls = self.calls.lock().unwrap();
        calls.push(key.clone());
        let first_answer = if request.url.path() == "/refunds" {
            serde_json::json!({"status": "succeeded"})
        } else if self.decline {
            serde_json::json!({"status": "declined", "reason": "insufficient funds"})
        } else {
            serde_json::json!({"status": "approved"})
        };
        let answer = self
            .outcomes
            .lock()
            .unwrap()
            .entry(key)
            .or_insert(first_answer)
            .clone();
        let template = ResponseTemplate::new(200).set_body_json(answer);
        if calls.len() <= self.hangs {
            template.set_delay(Duration::from_secs(5))
        } else {
            template
        }
    }
}

impl FakeWallet {
    fn distinct_charges(&self) -> usize {
        self.outcomes
            .lock()
            .unwrap()
            .keys()
            .filter(|key| key.starts_with("pay_"))
            .count()
    }
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

async fn hostpay_with(wallet: &FakeWallet) -> (MockServer, Services, AppId, PaymentId) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/charges"))
        .respond_with(wallet.clone())
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/refunds"))
        .respond_with(wallet.clone())
        .mount(&server)
        .await;
    let (mut ports, _handles) = in_memory_ports();
    ports.processor = Arc::new(
        WalletProcessor::new(WalletConfig {
            wallet_url: server.uri(),
            token: None,
            timeout: Duration::from_millis(300),
        })
        .unwrap(),
    );
    let services = Services::new(ports, test_settings());
    let (app, _) = services
        .apps
        .register(MiniappRegistration {
            name: NonEmptyString::parse("Coffee Corner").unwrap(),
            webhook_url: None,
        })
        .await
        .unwrap();
    let order: OrderDetails = hostpay_testkit::orders::order_details(serde_json::json!({
        "currency": "SAR", "amount": "25.00", "hostapp_user_id": "u-42"
    }));
    let payment = services
        .platform_orders
        .create_order_payment(app.id.as_str(), order, None)
        .await
        .unwrap();
    (server, services, app.id, payment)
}

/// A pay grant for the payment's user (what the host mints for its logged-in user).
async fn session(services: &Services, id: &PaymentId) -> String {
    let user = services.payments.get(id).await.unwrap().user_id().clone();
    services.payments.grant(id, &user).await.unwrap().grant
}

#[tokio::test]
async fn a_timed_out_confirm_stays_in_process_and_the_retry_charges_once() {
    let wallet = FakeWallet {
        hangs: 1,
        ..FakeWallet::default()
    };
    let (_server, services, _app, id) = hostpay_with(&wallet).await;
    let token = session(&services, &id).await;

    let first = services.payments.confirm(&id, &token, false).await;
    assert_eq!(
        first,
        Err(PaymentServiceError::Processor(ProcessorError::Timeout))
    );
    let payment = services.payments.get(&id).await.unwrap();
    assert_eq!(payment.status().as_str(), "in_process");

    let retried = services.payments.confirm(&id, &token, false).await.unwrap();
    assert_eq!(retried.status().as_str(), "paid");
    // A third confirm is refused with the current state and never reaches the wallet.
    assert!(services.payments.confirm(&id, &token, false).await.is_err());

    assert_eq!(wallet.calls(), [id.to_string(), id.to_string()]);
    assert_eq!(wallet.distinct_charges(), 1);
}

#[tokio::test]
async fn a_decline_fails_the_payment_with_the_reason() {
    let wallet = FakeWallet {
        decline: true,
        ..FakeWallet::default()
    };
    let (_server, services, _app, id) = hostpay_with(&wallet).await;
    let token = session(&services, &id).await;
    let payment = services.payments.confirm(&id, &token, false).await.unwrap();
    assert_eq!(payment.status().as_str(), "failed");
    assert_eq!(payment.fail_reason(), Some("insufficient funds"));
}

#[tokio::test]
async fn a_refund_goes_through_the_wallet_with_the_refund_id_as_key() {
    let wallet = FakeWallet::default();
    let (_server, services, app_id, id) = hostpay_with(&wallet).await;
    let token = session(&services, &id).await;
    services.payments.confirm(&id, &token, false).await.unwrap();
    let app = services.apps.get(&app_id).await.unwrap();
    let refund = services
        .payments
        .refund(&app, &id, None, None, None)
        .await
        .unwrap();
    let hostpay_domain::services::Idempotent::Fresh(refund) = refund else {
        panic!("no idempotency key was given");
    };
    assert_eq!(refund.status.as_str(), "succeeded");
    assert_eq!(wallet.calls(), [id.to_string(), refund.id.to_string()]);
    assert_eq!(
        services.payments.get(&id).await.unwrap().status().as_str(),
        "refunded"
    );
}
