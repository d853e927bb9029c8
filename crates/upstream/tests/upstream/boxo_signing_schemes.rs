//! The complete-order client signs with every scheme of Boxo's dashboard: a fake platform
//! (wiremock) holding only the host's PUBLIC key (and its own, unrelated key) verifies
//! each call it receives.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hostpay_boxo::signing::{
    Algorithm, HashAlgorithm, IncomingRequest, SignatureEncoding, Timespec,
};
use hostpay_boxo::SigningSettings;
use hostpay_domain::delivery::AttemptOutcome;
use hostpay_domain::ids::{AppId, PaymentId};
use hostpay_domain::payment::PaymentStatus;
use hostpay_domain::ports::{Clock, MiniappPlatform, OrderOutcome};
use hostpay_upstream::{BoxoClient, BoxoClientConfig};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const COMPLETE_ORDER: &str = "/api/v1/orders/complete-order/";

struct FixedClock(DateTime<Utc>);
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../boxo/tests/fixtures/{name}"))
}

fn settings(algorithm: Algorithm, hash: HashAlgorithm) -> SigningSettings {
    SigningSettings {
        algorithm,
        hash,
        ..SigningSettings::default()
    }
}

/// (name, the host's signing settings, the platform's verifying settings).
fn schemes() -> Vec<(&'static str, SigningSettings, SigningSettings)> {
    let asymmetric = |base: SigningSettings, host_key: &str, host_public: &str, own_key: &str| {
        (
            SigningSettings {
                private_key_file: Some(fixture(host_key)),
                ..base.clone()
            },
            SigningSettings {
                private_key_file: Some(fixture(own_key)),
                platform_public_key_file: Some(fixture(host_public)),
                verify_incoming: true,
                ..base
            },
        )
    };
    let hmac = |base: SigningSettings| {
        let with_secret = SigningSettings {
            secret: Some("boxo-signing-secret".to_owned()),
            ..base
        };
        (
            with_secret.clone(),
            SigningSettings {
                verify_incoming: true,
                ..with_secret
            },
        )
    };
    let mut every_option = settings(Algorithm::Hmac, HashAlgorithm::Sha512);
    every_option.encoding = SignatureEncoding::Hex;
    every_option.timespec = Timespec::Milliseconds;
    every_option.signature_template = "SHA512 {signature}".to_owned();
    every_option.payload_template =
        "{timestamp}|{identity}|{client_id}|{nonce}|{request_method}|{url}|{payload}".to_owned();
    every_option.identity = Some("idem-host".to_owned());
    let mut rsa_hex = settings(Algorithm::Rsa, HashAlgorithm::Sha512);
    rsa_hex.encoding = SignatureEncoding::Hex;
    let mut ec384 = settings(Algorithm::Ecdsa, HashAlgorithm::Sha384);
    ec384.timespec = Timespec::Milliseconds;
    let mut list = Vec::new();
    let (host, platform) = hmac(settings(Algorithm::Hmac, HashAlgorithm::Sha256));
    list.push(("hmac-sha256-base64", host, platform));
    let (host, platform) = hmac(every_option);
    list.push(("hmac-sha512-hex-ms-identity-client_id", host, platform));
    let (host, platform) = hmac(settings(Algorithm::Hmac, HashAlgorithm::Sha1));
    list.push(("hmac-sha1 (legacy)", host, platform));
    let (host, platform) = asymmetric(
        settings(Algorithm::Rsa, HashAlgorithm::Sha256),
        "rsa.pem",
        "rsa_pub.pem",
        "other_rsa.pem",
    );
    list.push(("rsa-sha256-base64", host, platform));
    let (host, platform) = asymmetric(rsa_hex, "rsa.der", "rsa_pub.der", "other_rsa.pem");
    list.push(("rsa-sha512-hex (DER keys)", host, platform));
    let (host, platform) = asymmetric(
        settings(Algorithm::Ecdsa, HashAlgorithm::Sha256),
        "ec256.pem",
        "ec256_pub.pem",
        "other_ec256.pem",
    );
    list.push(("ecdsa-p256-sha256", host, platform));
    let (host, platform) = asymmetric(ec384, "ec384.pem", "ec384_pub.pem", "other_ec384.pem");
    list.push(("ecdsa-p384-sha384-ms", host, platform));
    list
}

#[tokio::test]
async fn every_scheme_is_verified_by_a_platform_holding_only_the_public_key() {
    let now = DateTime::from_timestamp(1767225600, 0).unwrap();
    for (name, host, platform) in schemes() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(COMPLETE_ORDER))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let client = BoxoClient::with_clock(
            BoxoClientConfig {
                platform_url: Some(server.uri()),
                client_id: Some("host_demo".to_owned()),
                signer: host.validate().unwrap().signer,
                timeout: Duration::from_secs(5),
            },
            Arc::new(FixedClock(now)),
        )
        .unwrap();
        let report = client
            .complete_order(&OrderOutcome {
                payment_id: PaymentId::from_trusted("pay_01JD3Q".to_owned()),
                app_id: AppId::from_trusted("app_demo".to_owned()),
                status: PaymentStatus::Paid,
                fail_reason: None,
                custom_attributes: Some(serde_json::json!({"table": "7"})),
            })
            .await;
        assert_eq!(report.outcome, AttemptOutcome::Acknowledged, "{name}");
        let requests = server.received_requests().await.unwrap();
        let request = &requests[0];
        let verifier = platform.validate().unwrap().verifier.unwrap();
        let lookup = |header: &str| request.headers.get(header).and_then(|v| v.to_str().ok());
        let incoming = IncomingRequest {
            method: "POST",
            url: COMPLETE_ORDER,
            body: &request.body,
        };
        verifier
            .verify(lookup, &incoming, now)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        // The same call with one byte of the body changed does not verify.
        let mut tampered = request.body.clone();
        tampered[3] ^= 1;
        let tampered = IncomingRequest {
            body: &tampered,
            ..incoming
        };
        assert!(verifier.verify(lookup, &tampered, now).is_err(), "{name}");
    }
}
