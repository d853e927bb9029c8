//! Shared by the integration tests: fixtures, the signing vectors, settings builders.
#![allow(dead_code)]

use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use hostpay_boxo::signing::{
    Algorithm, HashAlgorithm, IncomingRequest, OutgoingRequest, SignedHeaders, SigningSettings,
    VerifiedCall, Verifier, VerifyError,
};

pub const SECRET: &str = "boxo-signing-secret";

pub const VECTOR_1_BODY: &str = r#"{"order_payment_id":"pay_01JD3Q","app_id":"app_demo","client_id":"host_demo","payment_status":"paid","payment_fail_reason":null,"custom_attributes":{"table":"7"}}"#;
pub const VECTOR_1_URL: &str = "/api/v1/orders/complete-order/";
pub const VECTOR_1_NONCE: &str = "n0nce0123456789abcdef";
pub const VECTOR_1_TIMESTAMP: i64 = 1_767_225_600;

pub const VECTOR_2_BODY: &str =
    r#"{"app_id":"app_demo","order":{"currency":"SAR","amount":"25.00","hostapp_user_id":"u-42"}}"#;

pub const VECTOR_3: &str = "Z0A6BGmSnlNhxdOtE/O++tQ7Huov36GwupTEVlnuaujezhGi9UE/9HZ7muXVaKnkHyLxsZc/lCSPRaJD/9H7npfEqvtHFQLCuQCd01juaSA4Acz1yCzKoPRACgSSjbV3s9EEFSZBYXxRanXf/eASO+7hveARyl8+dNQroRW94qyI13Gq2U4WMHVMOhFngQOAnIcqJhKkjHGL46H+XWeDfu2Wd1IaVEVZHkqU489km57Swz33RA8AeBc4JqdPetDljeDETiwlf3NqmSn7dRtXWErsMi0EnvjQqxfEXp2+jN5JScgVfbvTGZSkZbUBk4XFSeBPDBxxzXVS1omqi/Ve5w==";
pub const VECTOR_4: &str = "903a5d0617b5cf6ecac6428a1e949b9541707d69d01c5612266e3378c0de600c4b0fbaef9743db01b7b7d0d1fbe2c4bd70130afef218d26a868ac6aee39210056b15fc408acf7419e3fe90017d1190dc0af2b8d6fb354c7507a2a0cabb4fa7b18b1fe15739f591521d16d852134abbcb7cf0cac88a0e8584f397f485322ca9cd8d0fe2deb9844733729b52e1d3b2e8c155a578b1cee51fb59d90b9a669e7846c0702f303ba9b9223a042b733156d2f0ab7f5b42d50c136692af699bfdb63f0774a75c18f0decc756138e1674cee95592ef4b9d433172819e9d7ffd7003fb58a78c052888e89703966891c25af8850020ade4447cfb4bd73777e5c9e4574ca6a1";
pub const VECTOR_5: &str = "MEQCIGM6pC3l8bOWQy3pcYnasEpNl2Lq2iLjl3X023JPde6FAiA9TS2bM3EF5jmUIljF7U7PNbWbzpugq70Ouk3Hgflu4A==";

/// The payload P of vector 1 (and of vectors 3-5).
pub fn vector_1_payload() -> String {
    format!("{VECTOR_1_TIMESTAMP}.{VECTOR_1_NONCE}.POST.{VECTOR_1_URL}.{VECTOR_1_BODY}")
}

/// The outgoing request of vector 1 (and of vectors 3-5).
pub fn vector_1_request() -> OutgoingRequest<'static> {
    OutgoingRequest {
        method: "POST",
        url: VECTOR_1_URL,
        body: VECTOR_1_BODY.as_bytes(),
        timestamp: at_seconds(VECTOR_1_TIMESTAMP),
        nonce: VECTOR_1_NONCE,
        client_id: "host_demo",
    }
}

pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixture_path(name)).expect("fixture")
}

pub fn at_seconds(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0)
        .single()
        .expect("a valid time")
}

pub fn at_millis(millis: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(millis)
        .single()
        .expect("a valid time")
}

/// A key pair of the tests, by scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Hmac,
    Rsa,
    EcdsaP256,
    EcdsaP384,
}

impl Scheme {
    pub const ALL: [Scheme; 4] = [
        Scheme::Hmac,
        Scheme::Rsa,
        Scheme::EcdsaP256,
        Scheme::EcdsaP384,
    ];

    pub fn algorithm(self) -> Algorithm {
        match self {
            Scheme::Hmac => Algorithm::Hmac,
            Scheme::Rsa => Algorithm::Rsa,
            Scheme::EcdsaP256 | Scheme::EcdsaP384 => Algorithm::Ecdsa,
        }
    }

    fn key_files(self, other: bool) -> Option<(&'static str, &'static str)> {
        let files = match (self, other) {
            (Scheme::Hmac, _) => return None,
            (Scheme::Rsa, false) => ("rsa.pem", "rsa_pub.pem"),
            (Scheme::Rsa, true) => ("other_rsa.pem", "other_rsa_pub.pem"),
            (Scheme::EcdsaP256, false) => ("ec256.pem", "ec256_pub.pem"),
            (Scheme::EcdsaP256, true) => ("other_ec256.pem", "other_ec256_pub.pem"),
            (Scheme::EcdsaP384, false) => ("ec384.pem", "ec384_pub.pem"),
            (Scheme::EcdsaP384, true) => ("other_ec384.pem", "other_ec384_pub.pem"),
        };
        Some(files)
    }

    /// Settings that sign with this scheme's key and verify incoming calls with its
    /// public half (as if the host verified its own calls): a round trip.
    pub fn settings(self, hash: HashAlgorithm) -> SigningSettings {
        self.settings_with(hash, false)
    }

    /// The same with the scheme's other key (another secret for HMAC).
    pub fn other_settings(self, hash: HashAlgorithm) -> SigningSettings {
        self.settings_with(hash, true)
    }

    fn settings_with(self, hash: HashAlgorithm, other: bool) -> SigningSettings {
        let mut settings = SigningSettings {
            algorithm: self.algorithm(),
            hash,
            verify_incoming: true,
            ..SigningSettings::default()
        };
        match self.key_files(other) {
            None => {
                settings.secret = Some(if other { "another-secret" } else { SECRET }.to_owned())
            }
            Some((private, public)) => {
                settings.private_key = Some(fixture(private));
                settings.platform_public_key = Some(fixture(public));
            }
        }
        settings
    }
}

pub fn lookup<'h>(headers: &'h SignedHeaders) -> impl Fn(&str) -> Option<&'h str> {
    move |name| headers.get(name)
}

/// Verifies `headers` (as received) for `request` at `now`.
pub fn verify_headers(
    verifier: &Verifier,
    headers: &[(String, String)],
    request: &OutgoingRequest<'_>,
    now: DateTime<Utc>,
) -> Result<VerifiedCall, VerifyError> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    };
    verifier.verify(
        header,
        &IncomingRequest {
            method: request.method,
            url: request.url,
            body: request.body,
        },
        now,
    )
}
