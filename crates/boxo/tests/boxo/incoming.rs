//! Incoming calls: accepted when correctly signed, refused with the right Boxo code
//! otherwise; and a header is sent, and required, exactly when its placeholder is in the
//! payload template.

use crate::common::*;
use hostpay_boxo::signing::{
    HashAlgorithm, HeaderNames, IncomingRequest, OutgoingRequest, RefusalCode, SigningSettings,
    Timespec, VerifyError, MIN_INCOMING_NONCE_LENGTH,
};

const NOW: i64 = VECTOR_1_TIMESTAMP;

/// Signs vector 1's request with `settings` and returns the received headers.
fn signed(settings: &SigningSettings, request: &OutgoingRequest<'_>) -> Vec<(String, String)> {
    let signer = settings.validate().unwrap().signer.unwrap();
    signer.sign(request).unwrap().into_vec()
}

fn without(headers: &[(String, String)], name: &str) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(header, _)| header != name)
        .cloned()
        .collect()
}

fn replaced(headers: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(header, old)| {
            let value = if header == name { value } else { old.as_str() };
            (header.clone(), value.to_owned())
        })
        .collect()
}

#[test]
fn each_scheme_accepts_a_correct_call_and_refuses_tampering() {
    for scheme in Scheme::ALL {
        let settings = scheme.settings(HashAlgorithm::Sha256);
        let verifier = settings.validate().unwrap().verifier.unwrap();
        let request = vector_1_request();
        let received = signed(&settings, &request);
        let now = at_seconds(NOW);
        let context = format!("{scheme:?}");
        let check = |headers: &[(String, String)], request: &OutgoingRequest<'_>| {
            verify_headers(&verifier, headers, request, now)
        };

        let verified = check(&received, &request).expect(&context);
        assert_eq!(verified.nonce.as_deref(), Some(VECTOR_1_NONCE), "{context}");

        for tampered in [
            OutgoingRequest {
                body: b"{\"order_payment_id\":\"pay_other\"}",
                ..request
            },
            OutgoingRequest {
                url: "/api/v1/orders/complete-order/?x=1",
                ..request
            },
            OutgoingRequest {
                method: "PUT",
                ..request
            },
        ] {
            let refusal = check(&received, &tampered).unwrap_err();
            assert_eq!(refusal, VerifyError::BadSignature, "{context}");
            assert_eq!(refusal.code(), RefusalCode::InvalidSignature, "{context}");
        }

        // A signed value changed in transit.
        let other_nonce = replaced(&received, "X-Nonce", "n0nce0123456789abcdeX");
        assert_eq!(
            check(&other_nonce, &request),
            Err(VerifyError::BadSignature),
            "{context}"
        );
        let other_time = replaced(&received, "X-Timestamp", &(NOW + 1).to_string());
        assert_eq!(
            check(&other_time, &request),
            Err(VerifyError::BadSignature),
            "{context}"
        );
    }
}

#[test]
fn wrong_key_and_wrong_hash_are_invalid_signatures() {
    for scheme in Scheme::ALL {
        let request = vector_1_request();
        let received = signed(&scheme.settings(HashAlgorithm::Sha256), &request);
        let now = at_seconds(NOW);

        let wrong_key = scheme
            .other_settings(HashAlgorithm::Sha256)
            .validate()
            .unwrap()
            .verifier
            .unwrap();
        let refusal = verify_headers(&wrong_key, &received, &request, now).unwrap_err();
        assert_eq!(refusal, VerifyError::BadSignature, "{scheme:?}");
        assert_eq!(refusal.code().as_str(), "INVALID_SIGNATURE");

        for &hash in HashAlgorithm::ALL {
            if hash == HashAlgorithm::Sha256 {
                continue;
            }
            let wrong_hash = scheme.settings(hash).validate().unwrap().verifier.unwrap();
            assert_eq!(
                verify_headers(&wrong_hash, &received, &request, now),
                Err(VerifyError::BadSignature),
                "{scheme:?} signed with sha256, verified with {hash}"
            );
        }
    }
}

#[test]
fn a_missing_header_is_named() {
    let settings = Scheme::Hmac.settings(HashAlgorithm::Sha256);
    let verifier = settings.validate().unwrap().verifier.unwrap();
    let request = vector_1_request();
    let received = signed(&settings, &request);
    for name in ["X-Signature", "X-Timestamp", "X-Nonce"] {
        let refusal = verify_headers(
            &verifier,
            &without(&received, name),
            &request,
            at_seconds(NOW),
        )
        .unwrap_err();
        assert_eq!(
            refusal,
            VerifyError::MissingHeader {
                header: name.to_owned()
            }
        );
        assert_eq!(refusal.code(), RefusalCode::MissingHeader);
        assert_eq!(refusal.code().as_str(), "MISSING_HEADER");
        assert_eq!(
            refusal.to_string(),
            format!("Missing required header: {name}")
        );
    }
    // Empty counts as missing.
    let empty = replaced(&received, "X-Nonce", "  ");
    assert_eq!(
        verify_headers(&verifier, &empty, &request, at_seconds(NOW)),
        Err(VerifyError::MissingHeader {
            header: "X-Nonce".to_owned()
        })
    );
}

#[test]
fn stale_timestamps_are_refused_in_the_configured_timespec() {
    for scheme in Scheme::ALL {
        let settings = scheme.settings(HashAlgorithm::Sha256);
        let verifier = settings.validate().unwrap().verifier.unwrap();
        let request = vector_1_request();
        let received = signed(&settings, &request);
        for (offset, accepted) in [
            (0, true),
            (300, true),
            (-300, true),
            (301, false),
            (-301, false),
            (86_400, false),
        ] {
            let result = verify_headers(&verifier, &received, &request, at_seconds(NOW + offset));
            if accepted {
                assert!(result.is_ok(), "{scheme:?} {offset}: {result:?}");
            } else {
                let refusal = result.unwrap_err();
                assert_eq!(refusal, VerifyError::StaleTimestamp, "{scheme:?} {offset}");
                assert_eq!(refusal.code(), RefusalCode::InvalidSignature);
            }
        }
    }

    // Milliseconds: the window is 300 000 ms.
    let millis = SigningSettings {
        timespec: Timespec::Milliseconds,
        ..Scheme::Hmac.settings(HashAlgorithm::Sha256)
    };
    let verifier = millis.validate().unwrap().verifier.unwrap();
    let sent = 1_767_225_600_500;
    let request = OutgoingRequest {
        timestamp: at_millis(sent),
        ..vector_1_request()
    };
    let received = signed(&millis, &request);
    assert_eq!(
        received
            .iter()
            .find(|(name, _)| name == "X-Timestamp")
            .map(|(_, value)| value.as_str()),
        Some("1767225600500")
    );
    assert!(verify_headers(&verifier, &received, &request, at_millis(sent + 300_000)).is_ok());
    assert_eq!(
        verify_headers(&verifier, &received, &request, at_millis(sent + 300_001)),
        Err(VerifyError::StaleTimestamp)
    );

    // A seconds timestamp where milliseconds are expected is far in the past, and the
    // reverse far in the future: both stale, not misread.
    let seconds_sent = replaced(&received, "X-Timestamp", "1767225600");
    assert_eq!(
        verify_headers(&verifier, &seconds_sent, &request, at_millis(sent)),
        Err(VerifyError::StaleTimestamp)
    );
    let seconds = Scheme::Hmac.settings(HashAlgorithm::Sha256);
    let seconds_verifier = seconds.validate().unwrap().verifier.unwrap();
    assert_eq!(
        verify_headers(&seconds_verifier, &received, &request, at_millis(sent)),
        Err(VerifyError::StaleTimestamp)
    );

    // Not a number.
    let garbage = replaced(&received, "X-Timestamp", "2026-01-01T00:00:00Z");
    assert_eq!(
        verify_headers(&verifier, &garbage, &request, at_millis(sent))
            .unwrap_err()
            .code(),
        RefusalCode::InvalidSignature
    );
}

#[test]
fn short_nonces_are_refused() {
    let settings = Scheme::Hmac.settings(HashAlgorithm::Sha256);
    let verifier = settings.validate().unwrap().verifier.unwrap();
    let short = "a".repeat(MIN_INCOMING_NONCE_LENGTH - 1);
    let enough = "a".repeat(MIN_INCOMING_NONCE_LENGTH);
    for (nonce, accepted) in [(short.as_str(), false), (enough.as_str(), true)] {
        let request = OutgoingRequest {
            nonce,
            ..vector_1_request()
        };
        let received = signed(&settings, &request);
        let result = verify_headers(&verifier, &received, &request, at_seconds(NOW));
        if accepted {
            assert!(result.is_ok(), "{result:?}");
        } else {
            let refusal = result.unwrap_err();
            assert_eq!(refusal, VerifyError::ShortNonce);
            assert_eq!(refusal.code(), RefusalCode::InvalidSignature);
        }
    }
}

#[test]
fn malformed_signatures_are_invalid_signatures() {
    let settings = SigningSettings {
        signature_template: "SHA256 {signature}".to_owned(),
        ..Scheme::Hmac.settings(HashAlgorithm::Sha256)
    };
    let verifier = settings.validate().unwrap().verifier.unwrap();
    let request = vector_1_request();
    let received = signed(&settings, &request);
    let now = at_seconds(NOW);
    assert!(verify_headers(&verifier, &received, &request, now).is_ok());
    let good = received
        .iter()
        .find(|(name, _)| name == "X-Signature")
        .map(|(_, value)| value.clone())
        .unwrap();
    assert!(good.starts_with("SHA256 "));
    let bare = good.trim_start_matches("SHA256 ");
    for value in [
        bare.to_owned(),                 // no prefix
        format!("SHA512 {bare}"),        // another prefix
        "SHA256 not*base64!".to_owned(), // not base64
        "SHA256 ".to_owned(),            // nothing
    ] {
        let refusal = verify_headers(
            &verifier,
            &replaced(&received, "X-Signature", &value),
            &request,
            now,
        )
        .unwrap_err();
        assert_eq!(refusal.code(), RefusalCode::InvalidSignature, "{value}");
    }
    // Well-formed but wrong.
    let wrong = format!("SHA256 {}", "A".repeat(43) + "=");
    assert_eq!(
        verify_headers(
            &verifier,
            &replaced(&received, "X-Signature", &wrong),
            &request,
            now
        ),
        Err(VerifyError::BadSignature)
    );
    // Unpadded base64 is accepted.
    let unpadded = good.trim_end_matches('=').to_owned();
    assert!(verify_headers(
        &verifier,
        &replaced(&received, "X-Signature", &unpadded),
        &request,
        now
    )
    .is_ok());
}

#[test]
fn a_replayed_nonce_maps_to_invalid_signature() {
    assert_eq!(
        VerifyError::ReplayedNonce.code(),
        RefusalCode::InvalidSignature
    );
    assert_eq!(
        VerifyError::ReplayedNonce.to_string(),
        "the nonce was already used"
    );
}

/// The optional headers, in the order they are sent, with their placeholders.
const OPTIONAL: [(&str, &str); 5] = [
    ("{timestamp}", "X-Timestamp"),
    ("{nonce}", "X-Nonce"),
    ("{identity}", "X-Identity"),
    ("{client_id}", "X-Client-Id"),
    ("{merchant_id}", "X-Merchant-Id"),
];

#[test]
fn a_header_is_sent_and_required_exactly_when_its_placeholder_is_in_the_template() {
    for mask in 0u32..(1 << OPTIONAL.len()) {
        let chosen: Vec<(&str, &str)> = OPTIONAL
            .iter()
            .enumerate()
            .filter(|(index, _)| mask & (1 << index) != 0)
            .map(|(_, pair)| *pair)
            .collect();
        let mut template: Vec<&str> = chosen.iter().map(|(placeholder, _)| *placeholder).collect();
        template.extend(["{request_method}", "{url}", "{payload}"]);
        let settings = SigningSettings {
            payload_template: template.join("."),
            identity: Some("idem-host".to_owned()),
            merchant_id: Some("merchant-7".to_owned()),
            ..Scheme::Hmac.settings(HashAlgorithm::Sha256)
        };
        let setup = settings.validate().unwrap();
        let signer = setup.signer.unwrap();
        let verifier = setup.verifier.unwrap();
        let request = vector_1_request();
        let headers = signer.sign(&request).unwrap();

        let mut expected = vec!["X-Signature"];
        expected.extend(chosen.iter().map(|(_, header)| *header));
        let sent: Vec<&str> = headers.iter().map(|(name, _)| name).collect();
        assert_eq!(sent, expected, "template {}", settings.payload_template);
        assert_eq!(verifier.required_headers(), expected);

        let received = headers.into_vec();
        let now = at_seconds(NOW);
        let verified = verify_headers(&verifier, &received, &request, now).unwrap();
        assert_eq!(verified.nonce.is_some(), mask & 0b10 != 0);
        assert_eq!(verified.timestamp.is_some(), mask & 0b1 != 0);
        for header in &expected {
            assert_eq!(
                verify_headers(&verifier, &without(&received, header), &request, now),
                Err(VerifyError::MissingHeader {
                    header: (*header).to_owned()
                }),
                "template {}",
                settings.payload_template
            );
        }
        // Headers outside the template are ignored, whatever they say.
        let mut extra = received.clone();
        for (_, header) in OPTIONAL {
            if !expected.contains(&header) {
                extra.push((header.to_owned(), "x".to_owned()));
            }
        }
        assert!(verify_headers(&verifier, &extra, &request, now).is_ok());
    }
}

#[test]
fn identity_client_and_merchant_headers_carry_the_values_and_custom_names() {
    let settings = SigningSettings {
        payload_template: "{merchant_id}:{client_id}:{identity}:{timestamp}:{nonce}:{payload}"
            .to_owned(),
        identity: Some("idem-host".to_owned()),
        merchant_id: Some("merchant-7".to_owned()),
        headers: HeaderNames {
            signature: "Boxo-Signature".to_owned(),
            merchant_id: "Boxo-Merchant".to_owned(),
            ..HeaderNames::default()
        },
        ..Scheme::EcdsaP256.settings(HashAlgorithm::Sha256)
    };
    let setup = settings.validate().unwrap();
    let signer = setup.signer.unwrap();
    let request = vector_1_request();
    let headers = signer.sign(&request).unwrap();
    assert_eq!(headers.get("boxo-merchant"), Some("merchant-7"));
    assert_eq!(headers.get("X-Client-Id"), Some("host_demo"));
    assert_eq!(headers.get("X-Identity"), Some("idem-host"));
    assert!(headers.get("X-Signature").is_none());
    assert!(headers.get("Boxo-Signature").is_some());
    let payload = signer.payload(&request);
    assert!(payload.starts_with(b"merchant-7:host_demo:idem-host:1767225600:n0nce"));

    let verifier = setup.verifier.unwrap();
    let header = |name: &str| headers.get(name);
    let verified = verifier
        .verify(
            header,
            &IncomingRequest {
                method: "POST",
                url: VECTOR_1_URL,
                body: VECTOR_1_BODY.as_bytes(),
            },
            at_seconds(NOW),
        )
        .unwrap();
    assert_eq!(verified.merchant_id.as_deref(), Some("merchant-7"));
    assert_eq!(verified.client_id.as_deref(), Some("host_demo"));

    // A signer cannot fill {client_id} without one.
    let no_client = OutgoingRequest {
        client_id: "",
        ..request
    };
    assert!(signer.sign(&no_client).is_err());
}
