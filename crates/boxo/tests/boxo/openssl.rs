//! Cross-checks with the `openssl` command line (skipped, with a note, when it is not
//! installed): the vectors, and every hash with HMAC, RSA and ECDSA on both curves. The
//! commands are the ones docs/boxo-signing.md gives.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::*;
use base64::Engine;
use hostpay_boxo::signing::{HashAlgorithm, SignatureEncoding, SigningSettings};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn openssl_installed() -> bool {
    let found = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !found {
        eprintln!("openssl is not installed: skipping the openssl cross-checks");
    }
    found
}

/// Runs `openssl args...`; panics with its stderr when it fails.
fn openssl(args: &[&str]) -> Vec<u8> {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// A fresh scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "hostpay-boxo-openssl-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn path(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

fn flag(hash: HashAlgorithm) -> String {
    format!("-{}", hash.as_str())
}

/// P of vector 1, in a file.
fn payload_file(dir: &Path) -> PathBuf {
    let file = dir.join("payload.txt");
    std::fs::write(&file, vector_1_payload()).expect("payload file");
    file
}

/// `openssl dgst -<hash> -sign <key> -out <sig> <payload>`: the raw signature.
fn openssl_sign(dir: &Path, hash: HashAlgorithm, key: &str) -> Vec<u8> {
    let signature = dir.join("openssl.sig");
    openssl(&[
        "dgst",
        &flag(hash),
        "-sign",
        path(&fixture_path(key)),
        "-out",
        path(&signature),
        path(&payload_file(dir)),
    ]);
    std::fs::read(signature).expect("signature file")
}

/// `openssl dgst -<hash> -verify <public key> -signature <sig> <payload>`.
fn openssl_verifies(dir: &Path, hash: HashAlgorithm, public_key: &str, raw: &[u8]) -> bool {
    let signature = dir.join("ours.sig");
    std::fs::write(&signature, raw).expect("signature file");
    let output = Command::new("openssl")
        .args([
            "dgst",
            &flag(hash),
            "-verify",
            path(&fixture_path(public_key)),
            "-signature",
            path(&signature),
            path(&payload_file(dir)),
        ])
        .output()
        .expect("openssl runs");
    output.status.success() && String::from_utf8_lossy(&output.stdout).contains("Verified OK")
}

/// Our raw signature of vector 1's request.
fn our_signature(settings: SigningSettings) -> Vec<u8> {
    let signer = settings.validate().unwrap().signer.unwrap();
    let headers = signer.sign(&vector_1_request()).unwrap();
    B64.decode(headers.get("X-Signature").unwrap()).unwrap()
}

/// Whether our verifier accepts `raw` (from openssl) on vector 1's request.
fn we_verify(settings: SigningSettings, raw: &[u8]) -> bool {
    let verifier = settings.validate().unwrap().verifier.unwrap();
    let received = vec![
        ("X-Signature".to_owned(), B64.encode(raw)),
        ("X-Timestamp".to_owned(), VECTOR_1_TIMESTAMP.to_string()),
        ("X-Nonce".to_owned(), VECTOR_1_NONCE.to_owned()),
    ];
    verify_headers(
        &verifier,
        &received,
        &vector_1_request(),
        at_seconds(VECTOR_1_TIMESTAMP),
    )
    .is_ok()
}

#[test]
fn vector_1_is_openssls_hmac() {
    if !openssl_installed() {
        return;
    }
    let dir = Scratch::new();
    let raw = openssl(&[
        "dgst",
        "-sha256",
        "-hmac",
        SECRET,
        "-binary",
        path(&payload_file(&dir)),
    ]);
    assert_eq!(
        B64.encode(raw),
        "mHotJXx563q2uNVkg6hYi8jckaGdv8618Dhj8HA0rNA="
    );
}

#[test]
fn vectors_3_and_4_are_openssls_rsa_signatures() {
    if !openssl_installed() {
        return;
    }
    let dir = Scratch::new();
    let sha256 = openssl_sign(&dir, HashAlgorithm::Sha256, "rsa.pem");
    assert_eq!(B64.encode(&sha256), VECTOR_3);
    assert!(openssl_verifies(
        &dir,
        HashAlgorithm::Sha256,
        "rsa_pub.pem",
        &sha256
    ));
    let sha512 = openssl_sign(&dir, HashAlgorithm::Sha512, "rsa.pem");
    assert_eq!(hex::encode(sha512), VECTOR_4);
}

#[test]
fn vector_5_verifies_with_openssl() {
    if !openssl_installed() {
        return;
    }
    let dir = Scratch::new();
    let raw = B64.decode(VECTOR_5).unwrap();
    assert!(openssl_verifies(
        &dir,
        HashAlgorithm::Sha256,
        "ec256_pub.pem",
        &raw
    ));
    // And a tampered one does not.
    let mut tampered = raw.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert!(!openssl_verifies(
        &dir,
        HashAlgorithm::Sha256,
        "ec256_pub.pem",
        &tampered
    ));
}

#[test]
fn every_hash_interoperates_with_openssl() {
    if !openssl_installed() {
        return;
    }
    let dir = Scratch::new();
    for &hash in HashAlgorithm::ALL {
        // HMAC: the same bytes.
        let raw = openssl(&[
            "dgst",
            &flag(hash),
            "-hmac",
            SECRET,
            "-binary",
            path(&payload_file(&dir)),
        ]);
        assert_eq!(
            our_signature(Scheme::Hmac.settings(hash)),
            raw,
            "hmac {hash}"
        );

        // RSA PKCS#1 v1.5 is deterministic: the same bytes, and each verifies the other's.
        let theirs = openssl_sign(&dir, hash, "rsa.pem");
        let ours = our_signature(Scheme::Rsa.settings(hash));
        assert_eq!(ours, theirs, "rsa {hash}");
        assert!(we_verify(Scheme::Rsa.settings(hash), &theirs), "rsa {hash}");

        // ECDSA is randomized: each verifies the other's, on both curves, with every hash
        // (a digest longer than the curve is truncated, a shorter one read as is).
        for (scheme, key, public_key) in [
            (Scheme::EcdsaP256, "ec256.pem", "ec256_pub.pem"),
            (Scheme::EcdsaP384, "ec384.pem", "ec384_pub.pem"),
        ] {
            let ours = our_signature(scheme.settings(hash));
            assert!(
                openssl_verifies(&dir, hash, public_key, &ours),
                "openssl refuses our {scheme:?} {hash} signature"
            );
            let theirs = openssl_sign(&dir, hash, key);
            assert!(
                we_verify(scheme.settings(hash), &theirs),
                "we refuse openssl's {scheme:?} {hash} signature"
            );
        }
    }
    // Hex is the same bytes written differently.
    let hex_settings = SigningSettings {
        encoding: SignatureEncoding::Hex,
        ..Scheme::Rsa.settings(HashAlgorithm::Sha512)
    };
    let signer = hex_settings.validate().unwrap().signer.unwrap();
    let headers = signer.sign(&vector_1_request()).unwrap();
    assert_eq!(headers.get("X-Signature"), Some(VECTOR_4));
}
