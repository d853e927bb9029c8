//! The signature primitives, all from RustCrypto crates: HMAC (`hmac`), RSASSA-PKCS1-v1_5
//! (`rsa::pkcs1v15`) and ECDSA with ASN.1 DER signatures (`p256`/`p384` over `ecdsa`),
//! each with any of the six hashes (`sha2`, `sha1`, `md-5`).

use std::marker::PhantomData;
use std::sync::Arc;

use ecdsa::signature::{DigestSigner, DigestVerifier, SignatureEncoding, Signer, Verifier};
use hmac::{EagerHash, Hmac, KeyInit, Mac};
use sha2::digest::const_oid::AssociatedOid;
use sha2::digest::{Digest, FixedOutput, Update};

use super::keys::{PrivateKeyMaterial, PublicKeyMaterial};
use super::settings::HashAlgorithm;

/// Runs `$body` with the type `$d` bound to the digest of `$hash`.
macro_rules! with_digest {
    ($hash:expr, $d:ident => $body:expr) => {
        match $hash {
            HashAlgorithm::Sha224 => {
                type $d = sha2::Sha224;
                $body
            }
            HashAlgorithm::Sha256 => {
                type $d = sha2::Sha256;
                $body
            }
            HashAlgorithm::Sha384 => {
                type $d = sha2::Sha384;
                $body
            }
            HashAlgorithm::Sha512 => {
                type $d = sha2::Sha512;
                $body
            }
            HashAlgorithm::Sha1 => {
                type $d = sha1::Sha1;
                $body
            }
            HashAlgorithm::Md5 => {
                type $d = md5::Md5;
                $body
            }
        }
    };
}

/// Makes signatures over a payload.
pub(crate) trait SignPrimitive: Send + Sync {
    /// The raw signature bytes (before base64/hex).
    fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, String>;
}

/// Checks signatures over a payload.
pub(crate) trait VerifyPrimitive: Send + Sync {
    /// Whether `signature` (raw bytes) is valid for `payload`. HMAC compares in constant
    /// time.
    fn verify(&self, payload: &[u8], signature: &[u8]) -> bool;
}

/// The signing primitive for an HMAC secret.
pub(crate) fn hmac_signer(hash: HashAlgorithm, secret: &str) -> Arc<dyn SignPrimitive> {
    with_digest!(hash, D => Arc::new(HmacKey::<D>::new(secret)))
}

/// The verifying primitive for an HMAC secret.
pub(crate) fn hmac_verifier(hash: HashAlgorithm, secret: &str) -> Arc<dyn VerifyPrimitive> {
    with_digest!(hash, D => Arc::new(HmacKey::<D>::new(secret)))
}

/// The signing primitive for a private key (RSA PKCS#1 v1.5 or ECDSA DER).
pub(crate) fn key_signer(hash: HashAlgorithm, key: PrivateKeyMaterial) -> Arc<dyn SignPrimitive> {
    match key {
        PrivateKeyMaterial::Rsa(key) => with_digest!(hash, D => Arc::new(RsaSign::<D>(
            rsa::pkcs1v15::SigningKey::<D>::new(*key)
        ))),
        PrivateKeyMaterial::P256(key) => with_digest!(hash, D => Arc::new(EcdsaSign::<D> {
            key: EcSigningKey::P256(p256::ecdsa::SigningKey::from(&key)),
            digest: PhantomData,
        })),
        PrivateKeyMaterial::P384(key) => with_digest!(hash, D => Arc::new(EcdsaSign::<D> {
            key: EcSigningKey::P384(p384::ecdsa::SigningKey::from(&key)),
            digest: PhantomData,
        })),
    }
}

/// The verifying primitive for a public key (RSA PKCS#1 v1.5 or ECDSA DER).
pub(crate) fn key_verifier(
    hash: HashAlgorithm,
    key: PublicKeyMaterial,
) -> Arc<dyn VerifyPrimitive> {
    match key {
        PublicKeyMaterial::Rsa(key) => with_digest!(hash, D => Arc::new(RsaVerify::<D>(
            rsa::pkcs1v15::VerifyingKey::<D>::new(key)
        ))),
        PublicKeyMaterial::P256(key) => with_digest!(hash, D => Arc::new(EcdsaVerify::<D> {
            key: EcVerifyingKey::P256(p256::ecdsa::VerifyingKey::from(&key)),
            digest: PhantomData,
        })),
        PublicKeyMaterial::P384(key) => with_digest!(hash, D => Arc::new(EcdsaVerify::<D> {
            key: EcVerifyingKey::P384(p384::ecdsa::VerifyingKey::from(&key)),
            digest: PhantomData,
        })),
    }
}

/// The public half of a private key, to check at start-up that the two work together.
pub(crate) fn public_of(key: &PrivateKeyMaterial) -> PublicKeyMaterial {
    match key {
        PrivateKeyMaterial::Rsa(key) => PublicKeyMaterial::Rsa(key.to_public_key()),
        PrivateKeyMaterial::P256(key) => PublicKeyMaterial::P256(key.public_key()),
        PrivateKeyMaterial::P384(key) => PublicKeyMaterial::P384(key.public_key()),
    }
}

/// HMAC keyed with the UTF-8 bytes of the secret.
struct HmacKey<D> {
    secret: Vec<u8>,
    digest: PhantomData<fn() -> D>,
}

impl<D> HmacKey<D> {
    fn new(secret: &str) -> HmacKey<D> {
        HmacKey {
            secret: secret.as_bytes().to_vec(),
            digest: PhantomData,
        }
    }
}

impl<D: EagerHash> HmacKey<D> {
    fn mac(&self, payload: &[u8]) -> Result<Hmac<D>, String> {
        // HMAC takes keys of any length; the error cannot happen.
        let mut mac = <Hmac<D> as KeyInit>::new_from_slice(&self.secret)
            .map_err(|error| format!("HMAC key: {error}"))?;
        Mac::update(&mut mac, payload);
        Ok(mac)
    }
}

impl<D: EagerHash> SignPrimitive for HmacKey<D> {
    fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, String> {
        Ok(self.mac(payload)?.finalize().into_bytes().to_vec())
    }
}

impl<D: EagerHash> VerifyPrimitive for HmacKey<D> {
    fn verify(&self, payload: &[u8], signature: &[u8]) -> bool {
        // `verify_slice` compares in constant time.
        self.mac(payload)
            .is_ok_and(|mac| mac.verify_slice(signature).is_ok())
    }
}

/// RSASSA-PKCS1-v1_5 signing (blinded with the OS RNG by the `rsa` crate).
struct RsaSign<D: Digest>(rsa::pkcs1v15::SigningKey<D>);

impl<D> SignPrimitive for RsaSign<D>
where
    D: Digest + AssociatedOid + Send + Sync,
{
    fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, String> {
        let signature = self
            .0
            .try_sign(payload)
            .map_err(|error| format!("RSA signing failed: {error}"))?;
        Ok(signature.to_vec())
    }
}

/// RSASSA-PKCS1-v1_5 verification.
struct RsaVerify<D: Digest>(rsa::pkcs1v15::VerifyingKey<D>);

impl<D> VerifyPrimitive for RsaVerify<D>
where
    D: Digest + AssociatedOid + Send + Sync,
{
    fn verify(&self, payload: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = rsa::pkcs1v15::Signature::try_from(signature) else {
            return false;
        };
        self.0.verify(payload, &signature).is_ok()
    }
}

enum EcSigningKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

enum EcVerifyingKey {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
}

/// ECDSA signing with the digest `D` (RFC 6979 deterministic nonces; the digest is
/// truncated to, or read as an integer below, the curve order as FIPS 186 and OpenSSL do),
/// written as ASN.1 DER.
struct EcdsaSign<D> {
    key: EcSigningKey,
    digest: PhantomData<fn() -> D>,
}

impl<D> SignPrimitive for EcdsaSign<D>
where
    D: Digest + FixedOutput + Update,
{
    fn sign(&self, payload: &[u8]) -> Result<Vec<u8>, String> {
        let fill = |digest: &mut D| {
            Update::update(digest, payload);
            Ok(())
        };
        let failed = |error: ecdsa::Error| format!("ECDSA signing failed: {error}");
        match &self.key {
            EcSigningKey::P256(key) => {
                let signature: p256::ecdsa::Signature =
                    key.try_sign_digest(fill).map_err(failed)?;
                Ok(signature.to_der().to_vec())
            }
            EcSigningKey::P384(key) => {
                let signature: p384::ecdsa::Signature =
                    key.try_sign_digest(fill).map_err(failed)?;
                Ok(signature.to_der().to_vec())
            }
        }
    }
}

/// ECDSA verification of an ASN.1 DER signature with the digest `D`.
struct EcdsaVerify<D> {
    key: EcVerifyingKey,
    digest: PhantomData<fn() -> D>,
}

impl<D> VerifyPrimitive for EcdsaVerify<D>
where
    D: Digest + Update,
{
    fn verify(&self, payload: &[u8], signature: &[u8]) -> bool {
        let fill = |digest: &mut D| {
            Update::update(digest, payload);
            Ok(())
        };
        match &self.key {
            EcVerifyingKey::P256(key) => p256::ecdsa::DerSignature::from_bytes(signature)
                .is_ok_and(|signature| key.verify_digest(fill, &signature).is_ok()),
            EcVerifyingKey::P384(key) => p384::ecdsa::DerSignature::from_bytes(signature)
                .is_ok_and(|signature| key.verify_digest(fill, &signature).is_ok()),
        }
    }
}
