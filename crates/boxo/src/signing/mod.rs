//! Boxo request signing with every setting of Boxo's dashboard (api.md section 6, the
//! `boxo.signing.*` keys of section 8).
//!
//! - P, the signed payload, is the payload template with its placeholders filled in
//!   ([`PayloadTemplate`]); the default template is
//!   `{timestamp}.{nonce}.{request_method}.{url}.{payload}`.
//! - The signature is HMAC (key: the UTF-8 bytes of `secret`), RSASSA-PKCS1-v1_5 (Boxo's
//!   "RSA2") or ECDSA on P-256/P-384 with an ASN.1 DER signature, over P with the chosen
//!   hash; then base64 or hex, placed into the signature template.
//! - A header is sent, and required when verifying, exactly when its placeholder is in the
//!   payload template; the signature header always.
//!
//! Start from [`SigningSettings`] (deserialized from `[boxo.signing]`), call
//! [`SigningSettings::validate`], and use the [`Signer`] for outgoing calls and the
//! [`Verifier`] for incoming ones. Known answers: `docs/signing-vectors.md`.
//!
//! ECDSA and the hash: sha256 is the natural pair for P-256 and sha384 for P-384, but every
//! hash is accepted with either curve, as OpenSSL does: a longer digest (sha512) is
//! truncated to the curve order's bit length, a shorter one (sha224, sha1, md5) is read as
//! a smaller integer. A hash shorter than the curve gets a start-up warning. Signing uses
//! RFC 6979 deterministic nonces (a verifier cannot tell, and the randomized signatures of
//! other signers verify as usual).

mod incoming;
mod keys;
mod outgoing;
mod primitives;
mod settings;
mod template;
mod validate;

pub use incoming::{
    IncomingRequest, RefusalCode, VerifiedCall, Verifier, VerifyError, MIN_INCOMING_NONCE_LENGTH,
    TIMESTAMP_TOLERANCE_SECONDS,
};
pub use outgoing::{OutgoingRequest, SignError, SignedHeaders, Signer};
pub use settings::{
    Algorithm, HashAlgorithm, HeaderNames, SignatureEncoding, SigningSettings, Timespec,
    DEFAULT_NONCE_LENGTH, DEFAULT_PAYLOAD_TEMPLATE, DEFAULT_SIGNATURE_TEMPLATE, KEY_PREFIX,
    MAX_NONCE_LENGTH,
};
pub use template::{PayloadTemplate, PayloadValues, Placeholder, SignatureTemplate};
pub use validate::{SigningConfigError, SigningSetup, SigningWarning};
