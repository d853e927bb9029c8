//! Every vector of signing-vectors.md (Boxo request signatures, vectors 1-6): reproduced
//! byte for byte (HMAC, RSA) or verified (ECDSA, whose signatures are randomized).

use crate::common::*;
use hostpay_boxo::signing::{
    HashAlgorithm, IncomingRequest, OutgoingRequest, SignatureEncoding, SigningSettings, Timespec,
    VerifyError,
};

fn header_names(headers: &hostpay_boxo::SignedHeaders) -> Vec<&str> {
    headers.iter().map(|(name, _)| name).collect()
}

#[test]
fn vector_1_hmac_sha256_outgoing_complete_order() {
    let settings = SigningSettings {
        secret: Some(SECRET.to_owned()),
        ..SigningSettings::default()
    };
    let signer = settings.validate().unwrap().signer.unwrap();
    let request = vector_1_request();
    assert_eq!(signer.payload(&request), vector_1_payload().as_bytes());
    let headers = signer.sign(&request).unwrap();
    assert_eq!(
        headers.get("X-Signature"),
        Some("mHotJXx563q2uNVkg6hYi8jckaGdv8618Dhj8HA0rNA=")
    );
    assert_eq!(headers.get("X-Timestamp"), Some("1767225600"));
    assert_eq!(headers.get("X-Nonce"), Some(VECTOR_1_NONCE));
    // The default template has no {client_id}: no client id header.
    assert_eq!(
        header_names(&headers),
        ["X-Signature", "X-Timestamp", "X-Nonce"]
    );
}

#[test]
fn vector_2_hmac_sha256_incoming_create_order_payment() {
    let settings = SigningSettings {
        secret: Some(SECRET.to_owned()),
        verify_incoming: true,
        ..SigningSettings::default()
    };
    let setup = settings.validate().unwrap();
    let verifier = setup.verifier.unwrap();
    let headers = [
        (
            "x-signature",
            "POERrtZcM0VTJ8Jx0bBbt3h43nLKDo5COrF2EBo7FH8=",
        ),
        ("x-timestamp", "1767225900"),
        ("x-nonce", "Zx9Yw8Vu7Ts6Rq5Po4Nm"),
    ];
    let header = |name: &str| {
        headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| *value)
    };
    let request = IncomingRequest {
        method: "post",
        url: "/boxo/v1/order-payments?trace=1",
        body: VECTOR_2_BODY.as_bytes(),
    };
    let verified = verifier
        .verify(header, &request, at_seconds(1_767_225_900 + 42))
        .unwrap();
    assert_eq!(verified.nonce.as_deref(), Some("Zx9Yw8Vu7Ts6Rq5Po4Nm"));
    assert_eq!(verified.timestamp, Some(1_767_225_900));

    // The signer reproduces it, lower-case method and all.
    let signed = setup
        .signer
        .unwrap()
        .sign(&OutgoingRequest {
            method: "post",
            url: "/boxo/v1/order-payments?trace=1",
            body: VECTOR_2_BODY.as_bytes(),
            timestamp: at_seconds(1_767_225_900),
            nonce: "Zx9Yw8Vu7Ts6Rq5Po4Nm",
            client_id: "",
        })
        .unwrap();
    assert_eq!(signed.get("X-Signature"), Some(headers[0].1));
}

fn rsa_settings(hash: HashAlgorithm, encoding: SignatureEncoding) -> SigningSettings {
    SigningSettings {
        encoding,
        ..Scheme::Rsa.settings(hash)
    }
}

#[test]
fn vector_3_rsa_sha256_base64() {
    let setup = rsa_settings(HashAlgorithm::Sha256, SignatureEncoding::Base64)
        .validate()
        .unwrap();
    let request = vector_1_request();
    let headers = setup.signer.unwrap().sign(&request).unwrap();
    assert_eq!(headers.get("X-Signature"), Some(VECTOR_3));
    let received = headers.into_vec();
    verify_headers(
        &setup.verifier.unwrap(),
        &received,
        &request,
        at_seconds(VECTOR_1_TIMESTAMP),
    )
    .unwrap();
}

#[test]
fn vector_4_rsa_sha512_hex() {
    let setup = rsa_settings(HashAlgorithm::Sha512, SignatureEncoding::Hex)
        .validate()
        .unwrap();
    let request = vector_1_request();
    let headers = setup.signer.unwrap().sign(&request).unwrap();
    assert_eq!(headers.get("X-Signature"), Some(VECTOR_4));
    verify_headers(
        &setup.verifier.unwrap(),
        &headers.into_vec(),
        &request,
        at_seconds(VECTOR_1_TIMESTAMP + 299),
    )
    .unwrap();
}

#[test]
fn vector_5_ecdsa_p256_sha256_base64() {
    let setup = Scheme::EcdsaP256
        .settings(HashAlgorithm::Sha256)
        .validate()
        .unwrap();
    let verifier = setup.verifier.unwrap();
    let request = vector_1_request();
    let received = vec![
        ("X-Signature".to_owned(), VECTOR_5.to_owned()),
        ("X-Timestamp".to_owned(), VECTOR_1_TIMESTAMP.to_string()),
        ("X-Nonce".to_owned(), VECTOR_1_NONCE.to_owned()),
    ];
    let now = at_seconds(VECTOR_1_TIMESTAMP);
    verify_headers(&verifier, &received, &request, now).unwrap();

    // The same signature over another body does not verify.
    let tampered = OutgoingRequest {
        body: b"{}",
        ..request
    };
    assert_eq!(
        verify_headers(&verifier, &received, &tampered, now),
        Err(VerifyError::BadSignature)
    );

    // Our own signature verifies with the public key too.
    let ours = setup.signer.unwrap().sign(&request).unwrap();
    assert_ne!(ours.get("X-Signature"), Some(VECTOR_5));
    verify_headers(&verifier, &ours.into_vec(), &request, now).unwrap();
}

#[test]
fn vector_6_hmac_with_every_template_option() {
    let settings = SigningSettings {
        hash: HashAlgorithm::Sha512,
        encoding: SignatureEncoding::Hex,
        timespec: Timespec::Milliseconds,
        signature_template: "SHA512 {signature}".to_owned(),
        identity: Some("idem-host".to_owned()),
        payload_template:
            "{timestamp}|{identity}|{client_id}|{nonce}|{request_method}|{url}|{payload}".to_owned(),
        secret: Some(SECRET.to_owned()),
        verify_incoming: true,
        ..SigningSettings::default()
    };
    let setup = settings.validate().unwrap();
    let body = r#"{"app_id":"app_demo","client_id":"host_demo","order_payment_id":"pay_01JD3Q"}"#;
    let request = OutgoingRequest {
        method: "POST",
        url: "/boxo/v1/order-payments/status",
        body: body.as_bytes(),
        timestamp: at_millis(1_767_225_600_123),
        nonce: "Zx9Yw8Vu7Ts6Rq5Po4Nm",
        client_id: "host_demo",
    };
    let headers = setup.signer.unwrap().sign(&request).unwrap();
    let expected = [
        ("X-Signature", "SHA512 1111ce608f18a2c5e21e2241fc15047fc66f71dca1f6ca3a0de22443032c947b6e832cac8b60ef90f0251b8420e5487c876f864bc1dd15f2ffcad637b4c7899e"),
        ("X-Timestamp", "1767225600123"),
        ("X-Nonce", "Zx9Yw8Vu7Ts6Rq5Po4Nm"),
        ("X-Identity", "idem-host"),
        ("X-Client-Id", "host_demo"),
    ];
    assert_eq!(headers.iter().collect::<Vec<_>>(), expected);

    let verified = verify_headers(
        &setup.verifier.unwrap(),
        &headers.into_vec(),
        &request,
        at_millis(1_767_225_600_123 + 299_999),
    )
    .unwrap();
    assert_eq!(verified.identity.as_deref(), Some("idem-host"));
    assert_eq!(verified.client_id.as_deref(), Some("host_demo"));
    assert_eq!(verified.merchant_id, None);
    assert_eq!(verified.timestamp, Some(1_767_225_600_123));
}
