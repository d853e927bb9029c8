//! Incoming Boxo calls signed with every scheme of Boxo's dashboard, through the HTTP
//! surface: a correctly signed call accepted per scheme; a tampered body, a wrong key, a
//! wrong hash, a missing header, a stale timestamp and a replayed nonce refused with the
//! right code (`INVALID_SIGNATURE` / `MISSING_HEADER`).

use std::path::PathBuf;

use actix_web::test::TestRequest;
use hostpay_boxo::signing::{
    Algorithm, HashAlgorithm, OutgoingRequest, SignatureEncoding, Signer, Timespec,
};
use hostpay_boxo::SigningSettings;
use hostpay_domain::ports::Clock;
use hostpay_testkit::boxo::*;
use hostpay_testkit::{boxo_app, boxo_call};

const CREATE: &str = "/boxo/v1/order-payments";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../boxo/tests/fixtures/{name}"))
}

/// One scheme: the platform's signing settings and the host's verifying settings.
struct Scheme {
    name: &'static str,
    platform: SigningSettings,
    host: SigningSettings,
    /// The same scheme with another key (what a wrong key signs with).
    wrong_key: SigningSettings,
}

fn base(algorithm: Algorithm, hash: HashAlgorithm) -> SigningSettings {
    SigningSettings {
        algorithm,
        hash,
        ..SigningSettings::default()
    }
}

/// The platform signs with `private`; the host (its own key `host_private`) verifies with
/// `public`.
fn asymmetric(
    name: &'static str,
    settings: SigningSettings,
    private: &str,
    public: &str,
    other_private: &str,
    host_private: &str,
) -> Scheme {
    Scheme {
        name,
        platform: SigningSettings {
            private_key_file: Some(fixture(private)),
            ..settings.clone()
        },
        wrong_key: SigningSettings {
            private_key_file: Some(fixture(other_private)),
            ..settings.clone()
        },
        host: SigningSettings {
            private_key_file: Some(fixture(host_private)),
            platform_public_key_file: Some(fixture(public)),
            verify_incoming: true,
            ..settings
        },
    }
}

fn hmac(name: &'static str, settings: SigningSettings) -> Scheme {
    Scheme {
        name,
        platform: SigningSettings {
            secret: Some(SIGNING_SECRET.to_owned()),
            ..settings.clone()
        },
        wrong_key: SigningSettings {
            secret: Some("another-signing-secret".to_owned()),
            ..settings.clone()
        },
        host: SigningSettings {
            secret: Some(SIGNING_SECRET.to_owned()),
            verify_incoming: true,
            ..settings
        },
    }
}

fn schemes() -> Vec<Scheme> {
    let mut every_option = base(Algorithm::Hmac, HashAlgorithm::Sha512);
    every_option.encoding = SignatureEncoding::Hex;
    every_option.timespec = Timespec::Milliseconds;
    every_option.signature_template = "SHA512 {signature}".to_owned();
    every_option.payload_template =
        "{timestamp}|{identity}|{client_id}|{merchant_id}|{nonce}|{request_method}|{url}|{payload}"
            .to_owned();
    every_option.identity = Some("idem-host".to_owned());
    every_option.merchant_id = Some("merchant-7".to_owned());
    every_option.headers.signature = "X-Boxo-Signature".to_owned();
    every_option.headers.nonce = "X-Boxo-Nonce".to_owned();

    let mut rsa_hex = base(Algorithm::Rsa, HashAlgorithm::Sha512);
    rsa_hex.encoding = SignatureEncoding::Hex;
    let mut ec384 = base(Algorithm::Ecdsa, HashAlgorithm::Sha384);
    ec384.timespec = Timespec::Milliseconds;
    vec![
        hmac(
            "hmac-sha256-base64",
            base(Algorithm::Hmac, HashAlgorithm::Sha256),
        ),
        hmac("hmac-sha512-hex-ms-every-placeholder", every_option),
        hmac(
            "hmac-md5 (legacy)",
            base(Algorithm::Hmac, HashAlgorithm::Md5),
        ),
        asymmetric(
            "rsa-sha256-base64",
            base(Algorithm::Rsa, HashAlgorithm::Sha256),
            "rsa.pem",
            "rsa_pub.pem",
            "other_rsa.pem",
            "other_rsa.pem",
        ),
        asymmetric(
            "rsa-sha512-hex (DER public key)",
            rsa_hex,
            "rsa.pem",
            "rsa_pub.der",
            "other_rsa.pem",
            "other_rsa.pem",
        ),
        asymmetric(
            "ecdsa-p256-sha256",
            base(Algorithm::Ecdsa, HashAlgorithm::Sha256),
            "ec256.pem",
            "ec256_pub.pem",
            "other_ec256.pem",
            "other_ec256.pem",
        ),
        asymmetric(
            "ecdsa-p384-sha384-ms",
            ec384,
            "ec384.pem",
            "ec384_pub.pem",
            "other_ec384.pem",
            "other_ec384.pem",
        ),
    ]
}

fn signer(settings: &SigningSettings) -> Signer {
    settings.validate().unwrap().signer.unwrap()
}

/// A create-order request signed by `signer` at `now` with `nonce`; `tamper` changes the
/// body after signing.
fn signed_create(
    signer: &Signer,
    body: &serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
    nonce: &str,
    tamper: bool,
    skip_header: Option<&str>,
) -> TestRequest {
    let raw = serde_json::to_vec(body).unwrap();
    let headers = signer
        .sign(&OutgoingRequest {
            method: "POST",
            url: CREATE,
            body: &raw,
            timestamp: now,
            nonce,
            client_id: CLIENT_ID,
        })
        .unwrap();
    let sent = if tamper {
        String::from_utf8(raw)
            .unwrap()
            .replace("25.00", "2.50")
            .into_bytes()
    } else {
        raw
    };
    let mut request = TestRequest::post()
        .uri(CREATE)
        .insert_header(("Authorization", authorization()))
        .insert_header(("Content-Type", "application/json"))
        .set_payload(sent);
    for (name, value) in headers.iter() {
        if skip_header.is_some_and(|skip| skip.eq_ignore_ascii_case(name)) {
            continue;
        }
        request = request.insert_header((name.to_owned(), value.to_owned()));
    }
    request
}

#[actix_web::test]
async fn every_scheme_accepts_a_correct_call_and_refuses_the_rest_with_the_right_code() {
    for scheme in schemes() {
        let name = scheme.name;
        let mut settings = boxo_settings();
        settings.verify_incoming = true;
        let host = scheme.host.validate().unwrap();
        settings.verifier = host.verifier;
        let world = world(settings).await;
        let app = boxo_app!(world.state);
        let now = world.handles.clock.now();
        let platform = signer(&scheme.platform);
        let body = |order: &str| order_body(&world.app_id, order);

        let accepted = boxo_call!(
            app,
            signed_create(
                &platform,
                &body("o-ok"),
                now,
                "nonce-accepted-000001",
                false,
                None
            )
        );
        assert!(
            accepted["order_payment_id"].is_string(),
            "{name}: {accepted}"
        );

        let replayed = boxo_call!(
            app,
            signed_create(
                &platform,
                &body("o-ok"),
                now,
                "nonce-accepted-000001",
                false,
                None
            )
        );
        assert_eq!(error_code(&replayed), "INVALID_SIGNATURE", "{name}: replay");

        let tampered = boxo_call!(
            app,
            signed_create(
                &platform,
                &body("o-t"),
                now,
                "nonce-tampered-000001",
                true,
                None
            )
        );
        assert_eq!(
            error_code(&tampered),
            "INVALID_SIGNATURE",
            "{name}: tampered"
        );

        let wrong_key = boxo_call!(
            app,
            signed_create(
                &signer(&scheme.wrong_key),
                &body("o-k"),
                now,
                "nonce-wrongkey-000001",
                false,
                None
            )
        );
        assert_eq!(
            error_code(&wrong_key),
            "INVALID_SIGNATURE",
            "{name}: wrong key"
        );

        let other_hash = match scheme.platform.hash {
            HashAlgorithm::Sha256 => HashAlgorithm::Sha384,
            HashAlgorithm::Sha224
            | HashAlgorithm::Sha384
            | HashAlgorithm::Sha512
            | HashAlgorithm::Sha1
            | HashAlgorithm::Md5 => HashAlgorithm::Sha256,
        };
        let wrong_hash = SigningSettings {
            hash: other_hash,
            ..scheme.platform.clone()
        };
        let wrong_hash = boxo_call!(
            app,
            signed_create(
                &signer(&wrong_hash),
                &body("o-h"),
                now,
                "nonce-wronghash-00001",
                false,
                None
            )
        );
        assert_eq!(
            error_code(&wrong_hash),
            "INVALID_SIGNATURE",
            "{name}: wrong hash"
        );

        let stale = now - chrono::Duration::seconds(301);
        let stale = boxo_call!(
            app,
            signed_create(
                &platform,
                &body("o-s"),
                stale,
                "nonce-stale-000000001",
                false,
                None
            )
        );
        assert_eq!(error_code(&stale), "INVALID_SIGNATURE", "{name}: stale");

        for header in [
            scheme.platform.headers.signature.clone(),
            scheme.platform.headers.timestamp.clone(),
            scheme.platform.headers.nonce.clone(),
        ] {
            let missing = boxo_call!(
                app,
                signed_create(
                    &platform,
                    &body("o-m"),
                    now,
                    "nonce-missing-0000001",
                    false,
                    Some(&header)
                )
            );
            assert_eq!(error_code(&missing), "MISSING_HEADER", "{name}: {header}");
            let message = missing["error_message"].as_str().unwrap();
            assert!(message.contains(&header), "{name}: {message}");
        }
        if scheme.platform.identity.is_some() {
            let missing = boxo_call!(
                app,
                signed_create(
                    &platform,
                    &body("o-i"),
                    now,
                    "nonce-missing-identity1",
                    false,
                    Some("X-Identity")
                )
            );
            assert_eq!(error_code(&missing), "MISSING_HEADER", "{name}: identity");
        }
    }
}
