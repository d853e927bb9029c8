//! Signing an outgoing complete-order call and verifying an incoming Boxo call, per
//! algorithm (the keys are the test fixtures).
//! Run: `cargo bench -p hostpay-boxo --bench signing`.

use std::hint::black_box;
use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use hostpay_boxo::signing::{
    Algorithm, HashAlgorithm, IncomingRequest, OutgoingRequest, SigningSettings,
};

const BODY: &str = r#"{"app_id":"app_demo","client_id":"host_demo","order":{"currency":"USD","total":"12.50","hostapp_user_id":"user_42"}}"#;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(path).expect("a key fixture")
}

fn settings(algorithm: Algorithm, keys: Option<(&str, &str)>) -> SigningSettings {
    let mut settings = SigningSettings {
        algorithm,
        hash: HashAlgorithm::Sha256,
        verify_incoming: true,
        ..SigningSettings::default()
    };
    match keys {
        None => settings.secret = Some("bench-signing-secret".to_owned()),
        Some((private, public)) => {
            settings.private_key = Some(fixture(private));
            settings.platform_public_key = Some(fixture(public));
        }
    }
    settings
}

fn signing(c: &mut Criterion) {
    let now = Utc
        .timestamp_opt(1_767_225_600, 0)
        .single()
        .expect("a time");
    let schemes = [
        ("hmac-sha256", settings(Algorithm::Hmac, None)),
        (
            "ecdsa-p256-sha256",
            settings(Algorithm::Ecdsa, Some(("ec256.pem", "ec256_pub.pem"))),
        ),
        (
            "rsa2048-sha256",
            settings(Algorithm::Rsa, Some(("rsa.pem", "rsa_pub.pem"))),
        ),
    ];
    for (name, settings) in schemes {
        let setup = settings.validate().expect("valid settings");
        let signer = setup.signer.expect("a signer");
        let verifier = setup.verifier.expect("a verifier");
        let request = OutgoingRequest {
            method: "POST",
            url: "/boxo/v1/order-payments",
            body: BODY.as_bytes(),
            timestamp: now,
            nonce: "Zx9Yw8Vu7Ts6Rq5Po4Nm",
            client_id: "host_demo",
        };
        c.bench_function(&format!("sign/{name}"), |b| {
            b.iter(|| signer.sign(black_box(&request)))
        });
        let headers = signer.sign(&request).expect("signed");
        let incoming = IncomingRequest {
            method: "POST",
            url: "/boxo/v1/order-payments",
            body: BODY.as_bytes(),
        };
        verifier
            .verify(|name| headers.get(name), &incoming, now)
            .expect("the signed call verifies");
        c.bench_function(&format!("verify/{name}"), |b| {
            b.iter(|| verifier.verify(|name| headers.get(name), black_box(&incoming), now))
        });
    }
}

criterion_group!(benches, signing);
criterion_main!(benches);
