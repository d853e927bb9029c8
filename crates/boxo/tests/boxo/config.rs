//! `boxo.signing.*`: deserializing with the one `Default`, and validation errors and
//! warnings that name the key.

use crate::common::*;
use base64::Engine;
use hostpay_boxo::signing::{
    Algorithm, HashAlgorithm, HeaderNames, SignatureEncoding, SigningSettings, Timespec,
    DEFAULT_PAYLOAD_TEMPLATE,
};
use serde_json::json;

fn read(value: serde_json::Value) -> Result<SigningSettings, String> {
    serde_json::from_value(value).map_err(|error| error.to_string())
}

fn error_of(settings: SigningSettings) -> String {
    settings.validate().unwrap_err().to_string()
}

fn warnings_of(settings: SigningSettings) -> Vec<String> {
    settings
        .validate()
        .unwrap()
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn rsa(private_key: String) -> SigningSettings {
    SigningSettings {
        algorithm: Algorithm::Rsa,
        private_key: Some(private_key),
        ..SigningSettings::default()
    }
}

fn ecdsa(private_key: String) -> SigningSettings {
    SigningSettings {
        algorithm: Algorithm::Ecdsa,
        private_key: Some(private_key),
        ..SigningSettings::default()
    }
}

#[test]
fn an_empty_table_is_the_default_and_the_defaults_are_api_md_s() {
    let settings = read(json!({})).unwrap();
    assert_eq!(settings, SigningSettings::default());
    assert_eq!(settings.algorithm, Algorithm::Hmac);
    assert_eq!(settings.hash, HashAlgorithm::Sha256);
    assert_eq!(settings.encoding, SignatureEncoding::Base64);
    assert_eq!(settings.timespec, Timespec::Seconds);
    assert_eq!(
        settings.payload_template,
        "{timestamp}.{nonce}.{request_method}.{url}.{payload}"
    );
    assert_eq!(settings.payload_template, DEFAULT_PAYLOAD_TEMPLATE);
    assert_eq!(settings.signature_template, "{signature}");
    assert_eq!(settings.nonce_length, 16);
    assert!(!settings.verify_incoming);
    let headers = HeaderNames::default();
    assert_eq!(
        [
            headers.signature.as_str(),
            &headers.timestamp,
            &headers.nonce,
            &headers.identity,
            &headers.client_id,
            &headers.merchant_id,
        ],
        [
            "X-Signature",
            "X-Timestamp",
            "X-Nonce",
            "X-Identity",
            "X-Client-Id",
            "X-Merchant-Id"
        ]
    );
    // Unsigned, unchecked: nothing to build.
    let setup = settings.validate().unwrap();
    assert!(setup.signer.is_none() && setup.verifier.is_none());
    assert!(setup.warnings.is_empty());
}

#[test]
fn every_key_reads() {
    let settings = read(json!({
        "algorithm": "ecdsa",
        "hash": "sha384",
        "secret": "",
        "private_key_file": "/etc/hostpay/host.pem",
        "platform_public_key": "-----BEGIN PUBLIC KEY-----",
        "encoding": "hex",
        "timespec": "milliseconds",
        "payload_template": "{timestamp}|{payload}",
        "signature_template": "SHA384 {signature}",
        "identity": "idem-host",
        "merchant_id": "m-1",
        "nonce_length": 32,
        "headers": { "signature": "Boxo-Signature" },
        "verify_incoming": true
    }))
    .unwrap();
    assert_eq!(settings.algorithm, Algorithm::Ecdsa);
    assert_eq!(settings.hash, HashAlgorithm::Sha384);
    assert_eq!(settings.secret, None, "an empty value is unset");
    assert_eq!(
        settings.private_key_file.as_deref(),
        Some(std::path::Path::new("/etc/hostpay/host.pem"))
    );
    assert_eq!(settings.encoding, SignatureEncoding::Hex);
    assert_eq!(settings.timespec, Timespec::Milliseconds);
    assert_eq!(settings.nonce_length, 32);
    assert_eq!(settings.headers.signature, "Boxo-Signature");
    assert_eq!(
        settings.headers.nonce, "X-Nonce",
        "the others keep their default"
    );
    assert!(settings.verify_incoming);
}

#[test]
fn names_are_read_as_the_dashboard_writes_them_and_others_are_refused() {
    let settings = read(json!({"algorithm": "RSA2", "hash": "SHA-256"})).unwrap();
    assert_eq!(settings.algorithm, Algorithm::Rsa);
    assert_eq!(settings.hash, HashAlgorithm::Sha256);
    assert_eq!(
        read(json!({"hash": "MD5"})).unwrap().hash,
        HashAlgorithm::Md5
    );
    let error = read(json!({"hash": "sha3"})).unwrap_err();
    assert!(
        error.contains("\"sha3\" is not one of sha256, sha224, sha384, sha512, sha1, md5"),
        "{error}"
    );
    let error = read(json!({"algorithm": "dsa"})).unwrap_err();
    assert!(error.contains("is not one of hmac, rsa, ecdsa"), "{error}");
    let error = read(json!({"encoding": "plain"})).unwrap_err();
    assert!(error.contains("is not one of base64, hex"), "{error}");
    let error = read(json!({"signature_header": "X-Sig"})).unwrap_err();
    assert!(
        error.contains("unknown field `signature_header`"),
        "{error}"
    );
    let error = read(json!({"headers": {"sig": "X-Sig"}})).unwrap_err();
    assert!(error.contains("unknown field `sig`"), "{error}");
    for &value in Algorithm::ALL {
        assert_eq!(
            serde_json::to_value(value).unwrap(),
            json!(value.as_str()),
            "Serialize writes what Deserialize reads"
        );
    }
}

#[test]
fn secrets_are_masked() {
    let settings = SigningSettings {
        secret: Some("hmac-secret-value".to_owned()),
        private_key: Some(fixture("ec256.pem")),
        ..SigningSettings::default()
    };
    let debug = format!("{settings:?}");
    assert!(!debug.contains("hmac-secret-value") && !debug.contains("MIGHAgEA"));
    let written = serde_json::to_value(&settings).unwrap();
    assert_eq!(written["secret"], "********");
    assert_eq!(written["private_key"], "********");
    let setup = Scheme::Rsa
        .settings(HashAlgorithm::Sha256)
        .validate()
        .unwrap();
    let debug = format!("{:?}", setup);
    assert!(!debug.contains("MII"), "{debug}");
}

#[test]
fn errors_name_the_key() {
    let cases: Vec<(SigningSettings, &str)> = vec![
        (
            SigningSettings {
                signature_template: "SHA256".to_owned(),
                ..SigningSettings::default()
            },
            "boxo.signing.signature_template: must contain {signature}",
        ),
        (
            SigningSettings {
                signature_template: "{signature} {signature}".to_owned(),
                ..SigningSettings::default()
            },
            "boxo.signing.signature_template: must contain {signature} exactly once",
        ),
        (
            SigningSettings {
                algorithm: Algorithm::Rsa,
                ..SigningSettings::default()
            },
            "boxo.signing.algorithm: rsa needs boxo.signing.private_key or private_key_file",
        ),
        (
            SigningSettings {
                algorithm: Algorithm::Ecdsa,
                ..SigningSettings::default()
            },
            "boxo.signing.algorithm: ecdsa needs boxo.signing.private_key or private_key_file",
        ),
        (
            rsa("not a key".to_owned()),
            "boxo.signing.private_key: does not parse as an RSA or ECDSA private key (PEM or DER)",
        ),
        (
            rsa(fixture("k256.pem")),
            "boxo.signing.private_key: does not parse as an RSA or ECDSA private key (PEM or DER)",
        ),
        (
            rsa(fixture("ec256.pem")),
            "boxo.signing.private_key: is an ECDSA P-256 key, but boxo.signing.algorithm is rsa",
        ),
        (
            ecdsa(fixture("rsa.pem")),
            "boxo.signing.private_key: is an RSA key (2048 bits), but boxo.signing.algorithm is ecdsa",
        ),
        (
            SigningSettings {
                verify_incoming: true,
                ..SigningSettings::default()
            },
            "boxo.signing.secret: required when boxo.signing.verify_incoming = true with algorithm hmac",
        ),
        (
            SigningSettings {
                verify_incoming: true,
                ..rsa(fixture("rsa.pem"))
            },
            "boxo.signing.algorithm: rsa with boxo.signing.verify_incoming = true needs \
             boxo.signing.platform_public_key or platform_public_key_file",
        ),
        (
            SigningSettings {
                verify_incoming: true,
                platform_public_key: Some("garbage".to_owned()),
                ..rsa(fixture("rsa.pem"))
            },
            "boxo.signing.platform_public_key: does not parse as an RSA or ECDSA public key (PEM or DER)",
        ),
        (
            SigningSettings {
                verify_incoming: true,
                platform_public_key: Some(fixture("ec384_pub.pem")),
                ..rsa(fixture("rsa.pem"))
            },
            "boxo.signing.platform_public_key: is an ECDSA P-384 key, but boxo.signing.algorithm is rsa",
        ),
        (
            SigningSettings {
                payload_template: "{timestamp}.{nonse}.{payload}".to_owned(),
                ..SigningSettings::default()
            },
            "boxo.signing.payload_template: {nonse} is not a placeholder; the placeholders are \
             {timestamp}, {nonce}, {identity}, {client_id}, {merchant_id}, {request_method}, \
             {url}, {payload}",
        ),
        (
            SigningSettings {
                payload_template: String::new(),
                ..SigningSettings::default()
            },
            "boxo.signing.payload_template: must not be empty",
        ),
        (
            SigningSettings {
                headers: HeaderNames {
                    nonce: "X Nonce".to_owned(),
                    ..HeaderNames::default()
                },
                ..SigningSettings::default()
            },
            "boxo.signing.headers.nonce: \"X Nonce\" is not a valid HTTP header name",
        ),
        (
            SigningSettings {
                headers: HeaderNames {
                    nonce: "x-timestamp".to_owned(),
                    ..HeaderNames::default()
                },
                ..SigningSettings::default()
            },
            "boxo.signing.headers.nonce: x-timestamp is already the name of another signing header",
        ),
        (
            SigningSettings {
                nonce_length: 0,
                ..SigningSettings::default()
            },
            "boxo.signing.nonce_length: must be between 1 and 256",
        ),
        (
            SigningSettings {
                secret: Some(SECRET.to_owned()),
                payload_template: "{identity}.{payload}".to_owned(),
                ..SigningSettings::default()
            },
            "boxo.signing.identity: the payload template uses {identity}, so it must be set",
        ),
        (
            SigningSettings {
                secret: Some(SECRET.to_owned()),
                payload_template: "{merchant_id}.{payload}".to_owned(),
                ..SigningSettings::default()
            },
            "boxo.signing.merchant_id: the payload template uses {merchant_id}, so it must be set",
        ),
        (
            SigningSettings {
                secret: Some(SECRET.to_owned()),
                identity: Some("idem\r\nX-Evil: 1".to_owned()),
                ..SigningSettings::default()
            },
            "boxo.signing.identity: must be printable ASCII without surrounding spaces (it is sent as a header)",
        ),
    ];
    for (settings, expected) in cases {
        assert_eq!(error_of(settings), expected);
    }
}

#[test]
fn key_errors_say_what_was_given_instead() {
    let error = error_of(rsa(fixture("rsa_pub.pem")));
    assert!(
        error
            .starts_with("boxo.signing.private_key: does not parse as an RSA or ECDSA private key")
            && error.contains("it is a public key"),
        "{error}"
    );
    let error = error_of(SigningSettings {
        verify_incoming: true,
        platform_public_key: Some(fixture("rsa.pem")),
        ..rsa(fixture("rsa.pem"))
    });
    assert!(
        error.starts_with("boxo.signing.platform_public_key:")
            && error.contains("it is a private key"),
        "{error}"
    );
    let error = error_of(ecdsa(fixture("ec256_encrypted.pem")));
    assert!(
        error.starts_with("boxo.signing.private_key: is an encrypted private key"),
        "{error}"
    );
    let error = error_of(SigningSettings {
        private_key: None,
        private_key_file: Some(fixture_path("no-such-key.pem")),
        ..rsa(String::new())
    });
    assert!(
        error.starts_with("boxo.signing.private_key_file: cannot read ")
            && error.contains("no-such-key.pem"),
        "{error}"
    );
    let error = error_of(SigningSettings {
        private_key_file: Some(fixture_path("rsa.pem")),
        ..rsa(fixture("rsa.pem"))
    });
    assert_eq!(
        error,
        "boxo.signing.private_key_file: set either boxo.signing.private_key or \
         boxo.signing.private_key_file, not both"
    );
}

/// Signs vector 1 with `settings` (RSA, sha256, base64): vector 3 whatever the key's form.
fn assert_vector_3(settings: SigningSettings, form: &str) {
    let signer = settings
        .validate()
        .unwrap_or_else(|error| panic!("{form}: {error}"))
        .signer
        .unwrap();
    let headers = signer.sign(&vector_1_request()).unwrap();
    assert_eq!(headers.get("X-Signature"), Some(VECTOR_3), "{form}");
}

#[test]
fn keys_are_read_in_pem_or_der_inline_or_from_a_file() {
    let der = std::fs::read(fixture_path("rsa.der")).unwrap();
    let base64_der = base64::engine::general_purpose::STANDARD.encode(&der);
    let indented: String = fixture("rsa.pem")
        .lines()
        .map(|line| format!("    {line}\r\n"))
        .collect();
    let escaped = fixture("rsa.pem").trim().replace('\n', "\\n");
    for (form, inline) in [
        ("PKCS#8 PEM", fixture("rsa.pem")),
        ("PKCS#1 PEM", fixture("rsa_pkcs1.pem")),
        ("base64 of DER", base64_der),
        ("indented PEM with CRLF", indented),
        ("PEM with \\n escapes", escaped),
    ] {
        assert_vector_3(rsa(inline), form);
    }
    for file in ["rsa.pem", "rsa.der", "rsa_pkcs1.pem"] {
        assert_vector_3(
            SigningSettings {
                private_key: None,
                private_key_file: Some(fixture_path(file)),
                ..rsa(String::new())
            },
            file,
        );
    }

    // ECDSA: PKCS#8, SEC1, DER; public keys as SPKI PEM or DER. Vector 5 verifies with each.
    let request = vector_1_request();
    let received = vec![
        ("X-Signature".to_owned(), VECTOR_5.to_owned()),
        ("X-Timestamp".to_owned(), VECTOR_1_TIMESTAMP.to_string()),
        ("X-Nonce".to_owned(), VECTOR_1_NONCE.to_owned()),
    ];
    for (private_file, public_file) in [
        ("ec256.pem", "ec256_pub.pem"),
        ("ec256_sec1.pem", "ec256_pub.der"),
        ("ec256.der", "ec256_pub.pem"),
    ] {
        let settings = SigningSettings {
            private_key: None,
            private_key_file: Some(fixture_path(private_file)),
            platform_public_key_file: Some(fixture_path(public_file)),
            verify_incoming: true,
            ..ecdsa(String::new())
        };
        let verifier = settings.validate().unwrap().verifier.unwrap();
        verify_headers(
            &verifier,
            &received,
            &request,
            at_seconds(VECTOR_1_TIMESTAMP),
        )
        .unwrap_or_else(|error| panic!("{private_file} {public_file}: {error}"));
    }

    // RSA public keys: SPKI PEM, PKCS#1 PEM, DER.
    for public_file in ["rsa_pub.pem", "rsa_pub_pkcs1.pem", "rsa_pub.der"] {
        let settings = SigningSettings {
            platform_public_key_file: Some(fixture_path(public_file)),
            verify_incoming: true,
            ..rsa(fixture("rsa.pem"))
        };
        let setup = settings.validate().unwrap();
        let headers = setup.signer.unwrap().sign(&request).unwrap().into_vec();
        verify_headers(
            &setup.verifier.unwrap(),
            &headers,
            &request,
            at_seconds(VECTOR_1_TIMESTAMP),
        )
        .unwrap_or_else(|error| panic!("{public_file}: {error}"));
    }
}

#[test]
fn warnings_name_the_key() {
    for hash in [HashAlgorithm::Sha1, HashAlgorithm::Md5] {
        let warnings = warnings_of(SigningSettings {
            hash,
            secret: Some(SECRET.to_owned()),
            ..SigningSettings::default()
        });
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with(&format!("boxo.signing.hash: {hash} is a legacy hash")),
            "{warnings:?}"
        );
    }
    let warnings = warnings_of(rsa(fixture("small_rsa.pem")));
    assert_eq!(
        warnings,
        ["boxo.signing.private_key: is an RSA key (1024 bits); use at least 2048 bits"]
    );
    let warnings = warnings_of(SigningSettings {
        hash: HashAlgorithm::Sha256,
        ..ecdsa(fixture("ec384.pem"))
    });
    assert_eq!(
        warnings,
        [
            "boxo.signing.hash: sha256 with an ECDSA P-384 key: the signature is only as strong \
          as the 256-bit hash (sha384 is the natural pair)"
        ]
    );
    assert!(warnings_of(SigningSettings {
        hash: HashAlgorithm::Sha512,
        ..ecdsa(fixture("ec256.pem"))
    })
    .is_empty());
    let warnings = warnings_of(SigningSettings {
        secret: Some(SECRET.to_owned()),
        platform_public_key: Some(fixture("rsa_pub.pem")),
        ..rsa(fixture("rsa.pem"))
    });
    assert_eq!(
        warnings,
        [
            "boxo.signing.secret: ignored with algorithm rsa",
            "boxo.signing.platform_public_key: not used while boxo.signing.verify_incoming = false",
        ]
    );
    let warnings = warnings_of(SigningSettings {
        secret: Some(SECRET.to_owned()),
        private_key: Some(fixture("rsa.pem")),
        ..SigningSettings::default()
    });
    assert_eq!(
        warnings,
        ["boxo.signing.private_key: ignored with algorithm hmac"]
    );
    let warnings = warnings_of(SigningSettings {
        secret: Some(SECRET.to_owned()),
        verify_incoming: true,
        nonce_length: 8,
        payload_template: "{nonce}.{url}".to_owned(),
        ..SigningSettings::default()
    });
    assert_eq!(
        warnings,
        [
            "boxo.signing.nonce_length: 8 is short: a receiver that follows hostpay's rules \
             refuses nonces under 16 characters",
            "boxo.signing.payload_template: has no {payload}: the signature does not cover the \
             request body",
            "boxo.signing.payload_template: has no {timestamp}: incoming calls cannot be checked \
             for freshness",
        ]
    );
}

#[test]
fn the_error_exposes_key_and_message() {
    let error = SigningSettings {
        algorithm: Algorithm::Rsa,
        ..SigningSettings::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(error.key(), "boxo.signing.algorithm");
    assert_eq!(
        error.message(),
        "rsa needs boxo.signing.private_key or private_key_file"
    );
}
