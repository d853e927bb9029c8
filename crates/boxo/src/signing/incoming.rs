//! Verifying an incoming call (Boxo's create order payment, order payment status, Connect
//! calls) when `boxo.signing.verify_incoming` is on.

use std::fmt;
use std::sync::Arc;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;
use chrono::{DateTime, Utc};

use super::primitives::VerifyPrimitive;
use super::settings::{Algorithm, HashAlgorithm, HeaderNames, SignatureEncoding, Timespec};
use super::template::{PayloadTemplate, PayloadValues, Placeholder, SignatureTemplate};

/// How far (either way) an incoming timestamp may be from now, in seconds.
pub const TIMESTAMP_TOLERANCE_SECONDS: i64 = 300;

/// The shortest nonce an incoming call may carry, in characters.
pub const MIN_INCOMING_NONCE_LENGTH: usize = 16;

/// What an incoming signature covers, besides its headers.
#[derive(Debug, Clone, Copy)]
pub struct IncomingRequest<'a> {
    /// The HTTP method as received (upper-cased before checking).
    pub method: &'a str,
    /// The request path with its query, exactly as received.
    pub url: &'a str,
    /// The raw body bytes, exactly as received.
    pub body: &'a [u8],
}

/// The Boxo error code a refusal is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusalCode {
    /// `MISSING_HEADER`: a required signing header is absent.
    MissingHeader,
    /// `INVALID_SIGNATURE`: the signature, timestamp or nonce is not acceptable.
    InvalidSignature,
}

impl RefusalCode {
    /// Boxo's `error_code` string.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalCode::MissingHeader => "MISSING_HEADER",
            RefusalCode::InvalidSignature => "INVALID_SIGNATURE",
        }
    }
}

impl fmt::Display for RefusalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an incoming call was refused. `Display` is a message safe to send back (it names
/// headers and limits, never a key or the expected signature); [`VerifyError::code`] is
/// the Boxo error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A header the scheme requires is absent or empty (`MISSING_HEADER`).
    #[error("Missing required header: {header}")]
    MissingHeader {
        /// The header's configured name.
        header: String,
    },
    /// The signature header does not have the signature template's shape, or the
    /// signature is not valid base64/hex (`INVALID_SIGNATURE`).
    #[error("the {header} header is not a signature in the configured format")]
    MalformedSignature {
        /// The signature header's name.
        header: String,
    },
    /// The signature does not match: tampered request, wrong key, wrong hash
    /// (`INVALID_SIGNATURE`).
    #[error("the signature does not match")]
    BadSignature,
    /// The timestamp header is not an integer (`INVALID_SIGNATURE`).
    #[error("the {header} header is not a unix timestamp in {timespec}")]
    MalformedTimestamp {
        /// The timestamp header's name.
        header: String,
        /// The configured unit.
        timespec: Timespec,
    },
    /// The timestamp is more than [`TIMESTAMP_TOLERANCE_SECONDS`] from now
    /// (`INVALID_SIGNATURE`).
    #[error("the timestamp is more than {TIMESTAMP_TOLERANCE_SECONDS} seconds away from now")]
    StaleTimestamp,
    /// The nonce is shorter than [`MIN_INCOMING_NONCE_LENGTH`] (`INVALID_SIGNATURE`).
    #[error("the nonce must be at least {MIN_INCOMING_NONCE_LENGTH} characters")]
    ShortNonce,
    /// The nonce was seen before: the caller's nonce store said so (`INVALID_SIGNATURE`).
    /// [`Verifier::verify`] never returns it; it is here so that the caller maps a replay
    /// the same way as every other refusal.
    #[error("the nonce was already used")]
    ReplayedNonce,
}

impl VerifyError {
    /// The Boxo error code to answer with.
    pub fn code(&self) -> RefusalCode {
        match self {
            VerifyError::MissingHeader { .. } => RefusalCode::MissingHeader,
            VerifyError::MalformedSignature { .. }
            | VerifyError::BadSignature
            | VerifyError::MalformedTimestamp { .. }
            | VerifyError::StaleTimestamp
            | VerifyError::ShortNonce
            | VerifyError::ReplayedNonce => RefusalCode::InvalidSignature,
        }
    }
}

/// An accepted call's signed values. Remember [`VerifiedCall::nonce`] in the nonce store
/// (the `NonceStore` port) and refuse the call with [`VerifyError::ReplayedNonce`] when it
/// was already seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCall {
    /// The nonce, when the template has `{nonce}`.
    pub nonce: Option<String>,
    /// The timestamp as sent (seconds or milliseconds per the timespec), when the
    /// template has `{timestamp}`.
    pub timestamp: Option<i64>,
    /// The identity header's value, when the template has `{identity}`.
    pub identity: Option<String>,
    /// The client id header's value, when the template has `{client_id}`.
    pub client_id: Option<String>,
    /// The merchant id header's value, when the template has `{merchant_id}`.
    pub merchant_id: Option<String>,
}

/// A ready verifier for incoming calls, built by
/// [`SigningSettings::validate`](crate::signing::SigningSettings::validate) when
/// `boxo.signing.verify_incoming` is on. Cheap to clone; `Debug` never shows the key.
#[derive(Clone)]
pub struct Verifier {
    pub(crate) algorithm: Algorithm,
    pub(crate) hash: HashAlgorithm,
    pub(crate) key: Arc<dyn VerifyPrimitive>,
    pub(crate) encoding: SignatureEncoding,
    pub(crate) timespec: Timespec,
    pub(crate) payload_template: PayloadTemplate,
    pub(crate) signature_template: SignatureTemplate,
    pub(crate) headers: HeaderNames,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("algorithm", &self.algorithm)
            .field("hash", &self.hash)
            .field("encoding", &self.encoding)
            .field("timespec", &self.timespec)
            .field("payload_template", &self.payload_template.as_str())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// The algorithm in use.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The hash in use.
    pub fn hash(&self) -> HashAlgorithm {
        self.hash
    }

    /// The parsed payload template.
    pub fn payload_template(&self) -> &PayloadTemplate {
        &self.payload_template
    }

    /// The names of the headers an incoming call must carry, signature first: the
    /// signature header, and each header whose placeholder is in the template.
    pub fn required_headers(&self) -> Vec<&str> {
        let mut names = vec![self.headers.signature.as_str()];
        for (placeholder, name) in self.placeholder_headers() {
            if self.payload_template.uses(placeholder) {
                names.push(name);
            }
        }
        names
    }

    /// Checks an incoming call. `header` looks a header up by name (ASCII case ignored,
    /// as HTTP header maps do); `now` is the receiving time.
    ///
    /// In order: every required header present (`MISSING_HEADER` naming the first one
    /// missing), the nonce at least 16 characters, the timestamp within 300 s of `now` in
    /// the configured timespec, then the signature (HMAC compared in constant time). The
    /// nonce is not checked for reuse: that is the caller's job, with
    /// [`VerifiedCall::nonce`].
    pub fn verify<'h, F>(
        &self,
        header: F,
        request: &IncomingRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<VerifiedCall, VerifyError>
    where
        F: Fn(&str) -> Option<&'h str>,
    {
        let present = |name: &str| -> Result<&'h str, VerifyError> {
            header(name)
                .map(str::trim)
                .filter(|value| !value.is_empty())
                .ok_or_else(|| VerifyError::MissingHeader {
                    header: name.to_owned(),
                })
        };
        let signature_value = present(&self.headers.signature)?;
        let mut values: [Option<&'h str>; 5] = [None; 5];
        for (slot, (placeholder, name)) in values.iter_mut().zip(self.placeholder_headers()) {
            if self.payload_template.uses(placeholder) {
                *slot = Some(present(name)?);
            }
        }
        let [timestamp, nonce, identity, client_id, merchant_id] = values;

        if let Some(nonce) = nonce {
            if nonce.chars().count() < MIN_INCOMING_NONCE_LENGTH {
                return Err(VerifyError::ShortNonce);
            }
        }
        let timestamp_value = match timestamp {
            Some(text) => Some(self.check_timestamp(text, now)?),
            None => None,
        };

        let malformed = || VerifyError::MalformedSignature {
            header: self.headers.signature.clone(),
        };
        let encoded = self
            .signature_template
            .extract(signature_value)
            .ok_or_else(malformed)?;
        let raw = decode(self.encoding, encoded).ok_or_else(malformed)?;
        let payload = self.payload_template.fill(&PayloadValues {
            timestamp: timestamp.unwrap_or(""),
            nonce: nonce.unwrap_or(""),
            identity: identity.unwrap_or(""),
            client_id: client_id.unwrap_or(""),
            merchant_id: merchant_id.unwrap_or(""),
            method: request.method,
            url: request.url,
            body: request.body,
        });
        if !self.key.verify(&payload, &raw) {
            return Err(VerifyError::BadSignature);
        }
        Ok(VerifiedCall {
            nonce: nonce.map(str::to_owned),
            timestamp: timestamp_value,
            identity: identity.map(str::to_owned),
            client_id: client_id.map(str::to_owned),
            merchant_id: merchant_id.map(str::to_owned),
        })
    }

    /// The placeholders that travel in headers, with their header names, in the order
    /// of [`VerifiedCall`]'s fields.
    fn placeholder_headers(&self) -> [(Placeholder, &str); 5] {
        [
            (Placeholder::Timestamp, self.headers.timestamp.as_str()),
            (Placeholder::Nonce, self.headers.nonce.as_str()),
            (Placeholder::Identity, self.headers.identity.as_str()),
            (Placeholder::ClientId, self.headers.client_id.as_str()),
            (Placeholder::MerchantId, self.headers.merchant_id.as_str()),
        ]
    }

    fn check_timestamp(&self, text: &str, now: DateTime<Utc>) -> Result<i64, VerifyError> {
        let malformed = || VerifyError::MalformedTimestamp {
            header: self.headers.timestamp.clone(),
            timespec: self.timespec,
        };
        if !text.bytes().all(|byte| byte.is_ascii_digit()) {
            return Err(malformed());
        }
        let sent: i64 = text.parse().map_err(|_| malformed())?;
        let (now, tolerance) = match self.timespec {
            Timespec::Seconds => (now.timestamp(), TIMESTAMP_TOLERANCE_SECONDS),
            Timespec::Milliseconds => (now.timestamp_millis(), TIMESTAMP_TOLERANCE_SECONDS * 1000),
        };
        if now.abs_diff(sent) > tolerance.unsigned_abs() {
            return Err(VerifyError::StaleTimestamp);
        }
        Ok(sent)
    }
}

/// Standard base64, padding optional.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn decode(encoding: SignatureEncoding, encoded: &str) -> Option<Vec<u8>> {
    match encoding {
        SignatureEncoding::Base64 => BASE64.decode(encoded).ok(),
        SignatureEncoding::Hex => hex::decode(encoded).ok(),
    }
}
