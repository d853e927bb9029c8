//! Reading RSA and ECDSA keys in PEM or DER (inline text or file bytes) with the RustCrypto
//! decoders: PKCS#8 and PKCS#1 for RSA private keys, PKCS#8 and SEC1 for EC private keys,
//! SubjectPublicKeyInfo (and PKCS#1 for RSA) for public keys.

use base64::Engine;
use pkcs8::DecodePrivateKey;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::traits::PublicKeyParts;
use spki::DecodePublicKey;

/// A private key this crate can sign with.
#[derive(Clone)]
pub(crate) enum PrivateKeyMaterial {
    Rsa(Box<rsa::PrivateKey>),
    P256(p256::SecretKey),
    P384(p384::SecretKey),
}

/// A public key this crate can verify with.
#[derive(Clone)]
pub(crate) enum PublicKeyMaterial {
    Rsa(rsa::PublicKey),
    P256(p256::PublicKey),
    P384(p384::PublicKey),
}

/// What kind of key a key is, for messages and for matching the algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Rsa { bits: usize },
    P256,
    P384,
}

impl KeyKind {
    pub(crate) fn describe(self) -> String {
        match self {
            KeyKind::Rsa { bits } => format!("an RSA key ({bits} bits)"),
            KeyKind::P256 => "an ECDSA P-256 key".to_owned(),
            KeyKind::P384 => "an ECDSA P-384 key".to_owned(),
        }
    }

    /// Bits of security-relevant size: the modulus for RSA, the curve for ECDSA.
    pub(crate) fn curve_bits(self) -> Option<usize> {
        match self {
            KeyKind::Rsa { .. } => None,
            KeyKind::P256 => Some(256),
            KeyKind::P384 => Some(384),
        }
    }
}

impl PrivateKeyMaterial {
    pub(crate) fn kind(&self) -> KeyKind {
        match self {
            PrivateKeyMaterial::Rsa(key) => KeyKind::Rsa {
                bits: key.size() * 8,
            },
            PrivateKeyMaterial::P256(_) => KeyKind::P256,
            PrivateKeyMaterial::P384(_) => KeyKind::P384,
        }
    }
}

impl PublicKeyMaterial {
    pub(crate) fn kind(&self) -> KeyKind {
        match self {
            PublicKeyMaterial::Rsa(key) => KeyKind::Rsa {
                bits: key.size() * 8,
            },
            PublicKeyMaterial::P256(_) => KeyKind::P256,
            PublicKeyMaterial::P384(_) => KeyKind::P384,
        }
    }
}

/// The DER inside `input`: PEM (any label; indentation, CRLF and literal `\n` escapes are
/// tolerated), the base64 of DER (inline configuration), or DER bytes (a file). The error
/// is a detail for the message, when there is one worth giving.
fn der_of(input: &[u8]) -> Result<(Option<String>, Vec<u8>), Option<String>> {
    let text = std::str::from_utf8(input).ok().map(str::trim);
    match text {
        Some(text) if text.contains("-----BEGIN") => {
            let normalized: String = text
                .replace("\\n", "\n")
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            let (label, der) = pkcs8::der::pem::decode_vec(normalized.as_bytes())
                .map_err(|error| Some(format!("invalid PEM ({error})")))?;
            Ok((Some(label.to_owned()), der))
        }
        Some(text) if !text.is_empty() && text.bytes().all(is_base64_text) => {
            let compact: String = text.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map(|der| (None, der))
                .map_err(|_| None)
        }
        _ => Ok((None, input.to_vec())),
    }
}

/// `base` with the detail, if any.
fn with_detail(base: &str, detail: Option<String>) -> String {
    match detail {
        Some(detail) => format!("{base}: {detail}"),
        None => base.to_owned(),
    }
}

fn is_base64_text(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'=') || byte.is_ascii_whitespace()
}

const NOT_A_PRIVATE_KEY: &str = "does not parse as an RSA or ECDSA private key (PEM or DER)";
const NOT_A_PUBLIC_KEY: &str = "does not parse as an RSA or ECDSA public key (PEM or DER)";

/// Reads a private key; the error is the message for the key's setting.
pub(crate) fn parse_private_key(input: &[u8]) -> Result<PrivateKeyMaterial, String> {
    let (label, der) = der_of(input).map_err(|detail| with_detail(NOT_A_PRIVATE_KEY, detail))?;
    if label.as_deref() == Some("ENCRYPTED PRIVATE KEY") {
        return Err("is an encrypted private key; store it decrypted \
             (openssl pkcs8 -topk8 -nocrypt -in encrypted.pem -out key.pem) \
             and protect the file instead"
            .to_owned());
    }
    if let Some(key) = private_from_der(&der) {
        return Ok(key);
    }
    if public_from_der(&der).is_some() {
        return Err(format!(
            "{NOT_A_PRIVATE_KEY}: it is a public key; this setting takes the host's private key"
        ));
    }
    Err(NOT_A_PRIVATE_KEY.to_owned())
}

/// Reads a public key; the error is the message for the key's setting.
pub(crate) fn parse_public_key(input: &[u8]) -> Result<PublicKeyMaterial, String> {
    let (label, der) = der_of(input).map_err(|detail| with_detail(NOT_A_PUBLIC_KEY, detail))?;
    if label.as_deref() == Some("CERTIFICATE") {
        return Err(format!(
            "{NOT_A_PUBLIC_KEY}: it is a certificate; give its public key \
             (openssl x509 -pubkey -noout -in cert.pem)"
        ));
    }
    if let Some(key) = public_from_der(&der) {
        return Ok(key);
    }
    if private_from_der(&der).is_some() {
        return Err(format!(
            "{NOT_A_PUBLIC_KEY}: it is a private key; this setting takes the platform's public key"
        ));
    }
    Err(NOT_A_PUBLIC_KEY.to_owned())
}

fn private_from_der(der: &[u8]) -> Option<PrivateKeyMaterial> {
    if let Ok(key) = rsa::PrivateKey::from_pkcs8_der(der) {
        return Some(PrivateKeyMaterial::Rsa(Box::new(key)));
    }
    if let Ok(key) = rsa::PrivateKey::from_pkcs1_der(der) {
        return Some(PrivateKeyMaterial::Rsa(Box::new(key)));
    }
    if let Ok(key) = p256::SecretKey::from_pkcs8_der(der) {
        return Some(PrivateKeyMaterial::P256(key));
    }
    if let Ok(key) = p384::SecretKey::from_pkcs8_der(der) {
        return Some(PrivateKeyMaterial::P384(key));
    }
    if let Ok(key) = p256::SecretKey::from_sec1_der(der) {
        return Some(PrivateKeyMaterial::P256(key));
    }
    if let Ok(key) = p384::SecretKey::from_sec1_der(der) {
        return Some(PrivateKeyMaterial::P384(key));
    }
    None
}

fn public_from_der(der: &[u8]) -> Option<PublicKeyMaterial> {
    if let Ok(key) = rsa::PublicKey::from_public_key_der(der) {
        return Some(PublicKeyMaterial::Rsa(key));
    }
    if let Ok(key) = rsa::PublicKey::from_pkcs1_der(der) {
        return Some(PublicKeyMaterial::Rsa(key));
    }
    if let Ok(key) = p256::PublicKey::from_public_key_der(der) {
        return Some(PublicKeyMaterial::P256(key));
    }
    if let Ok(key) = p384::PublicKey::from_public_key_der(der) {
        return Some(PublicKeyMaterial::P384(key));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_pem_says_so() {
        let error = parse_private_key(
            b"-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----",
        )
        .err()
        .unwrap();
        assert!(
            error.starts_with(&format!("{NOT_A_PRIVATE_KEY}: invalid PEM")),
            "{error}"
        );
        let error = parse_public_key(b"").err().unwrap();
        assert_eq!(error, NOT_A_PUBLIC_KEY);
        let error =
            parse_public_key(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
                .err()
                .unwrap();
        assert!(error.contains("it is a certificate"), "{error}");
    }
}
