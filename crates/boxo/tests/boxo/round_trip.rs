//! Sign then verify, for every algorithm x hash x encoding x timespec; and, with proptest,
//! for arbitrary requests and templates.

use crate::common::*;
use hostpay_boxo::signing::{
    HashAlgorithm, OutgoingRequest, SignatureEncoding, SigningSettings, Timespec, VerifyError,
};
use proptest::prelude::*;

fn decode(encoding: SignatureEncoding, text: &str) -> Vec<u8> {
    use base64::Engine;
    match encoding {
        SignatureEncoding::Base64 => base64::engine::general_purpose::STANDARD
            .decode(text)
            .expect("base64"),
        SignatureEncoding::Hex => {
            assert_eq!(text, text.to_ascii_lowercase(), "hex is lower case");
            hex::decode(text).expect("hex")
        }
    }
}

#[test]
fn every_algorithm_hash_encoding_and_timespec() {
    let now_millis = 1_767_225_600_123;
    let mut combinations = 0;
    for scheme in Scheme::ALL {
        for &hash in HashAlgorithm::ALL {
            for &encoding in SignatureEncoding::ALL {
                for &timespec in Timespec::ALL {
                    let settings = SigningSettings {
                        encoding,
                        timespec,
                        signature_template: format!("{} {{signature}}", hash.as_str()),
                        ..scheme.settings(hash)
                    };
                    let setup = settings.validate().unwrap();
                    let signer = setup.signer.unwrap();
                    let verifier = setup.verifier.unwrap();
                    let nonce = signer.new_nonce();
                    let request = OutgoingRequest {
                        nonce: &nonce,
                        timestamp: at_millis(now_millis),
                        ..vector_1_request()
                    };
                    let headers = signer.sign(&request).unwrap();
                    let context = format!("{scheme:?} {hash} {encoding} {timespec}");

                    let expected_timestamp = match timespec {
                        Timespec::Seconds => "1767225600",
                        Timespec::Milliseconds => "1767225600123",
                    };
                    assert_eq!(
                        headers.get("X-Timestamp"),
                        Some(expected_timestamp),
                        "{context}"
                    );
                    let value = headers.get("X-Signature").unwrap();
                    let encoded = value
                        .strip_prefix(&format!("{} ", hash.as_str()))
                        .unwrap_or_else(|| panic!("{context}: {value}"));
                    let raw = decode(encoding, encoded);
                    match scheme {
                        Scheme::Hmac => assert_eq!(raw.len() * 8, hash.output_bits(), "{context}"),
                        Scheme::Rsa => assert_eq!(raw.len(), 256, "{context}"),
                        // ASN.1 DER: SEQUENCE of two INTEGERs.
                        Scheme::EcdsaP256 | Scheme::EcdsaP384 => {
                            assert_eq!(raw[0], 0x30, "{context}")
                        }
                    }

                    let received = headers.into_vec();
                    let verified = verify_headers(
                        &verifier,
                        &received,
                        &request,
                        at_millis(now_millis + 120_000),
                    )
                    .unwrap_or_else(|error| panic!("{context}: {error}"));
                    assert_eq!(verified.nonce.as_deref(), Some(nonce.as_str()), "{context}");

                    let tampered = OutgoingRequest {
                        body: b"{\"tampered\":true}",
                        ..request
                    };
                    assert_eq!(
                        verify_headers(&verifier, &received, &tampered, at_millis(now_millis)),
                        Err(VerifyError::BadSignature),
                        "{context}"
                    );
                    combinations += 1;
                }
            }
        }
    }
    assert_eq!(combinations, 4 * 6 * 2 * 2);
}

#[test]
fn nonces_have_the_configured_length_and_are_fresh() {
    for length in [1, 16, 40, 256] {
        let settings = SigningSettings {
            secret: Some(SECRET.to_owned()),
            nonce_length: length,
            ..SigningSettings::default()
        };
        let signer = settings.validate().unwrap().signer.unwrap();
        let first = signer.new_nonce();
        assert_eq!(first.len(), length);
        assert!(first.bytes().all(|byte| byte.is_ascii_alphanumeric()));
        if length >= 16 {
            assert_ne!(first, signer.new_nonce());
        }
    }
}

/// A template of some placeholders in some order, joined by a separator.
fn template() -> impl Strategy<Value = String> {
    let placeholders = prop::sample::subsequence(
        vec![
            "{timestamp}",
            "{nonce}",
            "{identity}",
            "{client_id}",
            "{merchant_id}",
            "{request_method}",
            "{url}",
            "{payload}",
        ],
        1..=8,
    );
    (placeholders.prop_shuffle(), "[.|:\n -]{0,2}")
        .prop_map(|(parts, separator)| parts.join(&separator))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn arbitrary_requests_round_trip(
        scheme in prop::sample::select(Scheme::ALL.to_vec()),
        hash in prop::sample::select(HashAlgorithm::ALL.to_vec()),
        encoding in prop::sample::select(SignatureEncoding::ALL.to_vec()),
        timespec in prop::sample::select(Timespec::ALL.to_vec()),
        payload_template in template(),
        method in "(get|post|PUT|Patch)",
        url in "/[a-z0-9/_-]{0,30}(\\?[a-z]=[0-9]{1,3})?",
        body in prop::collection::vec(any::<u8>(), 0..200),
        flip in any::<prop::sample::Index>(),
        seconds in 1_600_000_000i64..2_000_000_000,
    ) {
        let settings = SigningSettings {
            encoding,
            timespec,
            payload_template: payload_template.clone(),
            identity: Some("idem-host".to_owned()),
            merchant_id: Some("merchant-7".to_owned()),
            ..scheme.settings(hash)
        };
        let setup = settings.validate().unwrap();
        let signer = setup.signer.unwrap();
        let verifier = setup.verifier.unwrap();
        let nonce = signer.new_nonce();
        let request = OutgoingRequest {
            method: &method,
            url: &url,
            body: &body,
            timestamp: at_seconds(seconds),
            nonce: &nonce,
            client_id: "host_demo",
        };
        let received = signer.sign(&request).unwrap().into_vec();
        let now = at_seconds(seconds + 1);
        prop_assert!(verify_headers(&verifier, &received, &request, now).is_ok());

        if payload_template.contains("{payload}") && !body.is_empty() {
            let mut tampered_body = body.clone();
            tampered_body[flip.index(body.len())] ^= 0x01;
            let tampered = OutgoingRequest { body: &tampered_body, ..request };
            prop_assert_eq!(
                verify_headers(&verifier, &received, &tampered, now),
                Err(VerifyError::BadSignature)
            );
        }
    }
}
