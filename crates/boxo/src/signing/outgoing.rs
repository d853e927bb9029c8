//! Signing an outgoing call (the host's complete-order call to the Boxo platform).

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::distr::Alphanumeric;
use rand::RngExt;

use super::primitives::SignPrimitive;
use super::settings::{Algorithm, HashAlgorithm, HeaderNames, SignatureEncoding, Timespec};
use super::template::{PayloadTemplate, PayloadValues, Placeholder, SignatureTemplate};

/// What an outgoing signature covers.
#[derive(Debug, Clone, Copy)]
pub struct OutgoingRequest<'a> {
    /// The HTTP method (upper-cased before signing).
    pub method: &'a str,
    /// The request path with its query, e.g. `/api/v1/orders/complete-order/`.
    pub url: &'a str,
    /// The exact body bytes that will be sent.
    pub body: &'a [u8],
    /// When the call is made; written in seconds or milliseconds per
    /// `boxo.signing.timespec`.
    pub timestamp: DateTime<Utc>,
    /// The nonce (see [`Signer::new_nonce`]).
    pub nonce: &'a str,
    /// The API client id (`boxo.client_id`): `{client_id}` and its header.
    pub client_id: &'a str,
}

/// The headers to send with a signed call, in a fixed order: signature, timestamp,
/// nonce, identity, client id, merchant id. A header is present exactly when its
/// placeholder is in the payload template; the signature header always is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    headers: Vec<(String, String)>,
}

impl SignedHeaders {
    /// The `(name, value)` pairs.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// The value of the header `name` (ASCII case ignored).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// How many headers there are.
    pub fn len(&self) -> usize {
        self.headers.len()
    }

    /// Whether there are none (never, since the signature header is always there).
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
    }

    /// The `(name, value)` pairs, owned.
    pub fn into_vec(self) -> Vec<(String, String)> {
        self.headers
    }
}

/// Why an outgoing call could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The template uses a value the request did not give (`client_id` empty while the
    /// template has `{client_id}`; `nonce` empty while it has `{nonce}`).
    #[error("the payload template uses {{{0}}} but the request has none")]
    MissingValue(&'static str),
    /// A value would not be a valid HTTP header value (control characters, non-ASCII).
    #[error("{0} is not a valid header value")]
    InvalidValue(&'static str),
    /// The RSA or ECDSA operation failed (e.g. the operating system's RNG failed).
    #[error("{0}")]
    Crypto(String),
}

/// A ready signer for outgoing calls, built by
/// [`SigningSettings::validate`](crate::signing::SigningSettings::validate). Cheap to
/// clone; `Debug` never shows the key.
#[derive(Clone)]
pub struct Signer {
    pub(crate) algorithm: Algorithm,
    pub(crate) hash: HashAlgorithm,
    pub(crate) key: Arc<dyn SignPrimitive>,
    pub(crate) encoding: SignatureEncoding,
    pub(crate) timespec: Timespec,
    pub(crate) payload_template: PayloadTemplate,
    pub(crate) signature_template: SignatureTemplate,
    pub(crate) identity: String,
    pub(crate) merchant_id: String,
    pub(crate) nonce_length: usize,
    pub(crate) headers: HeaderNames,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("algorithm", &self.algorithm)
            .field("hash", &self.hash)
            .field("encoding", &self.encoding)
            .field("timespec", &self.timespec)
            .field("payload_template", &self.payload_template.as_str())
            .field("nonce_length", &self.nonce_length)
            .finish_non_exhaustive()
    }
}

impl Signer {
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

    /// A fresh random nonce of `boxo.signing.nonce_length` ASCII letters and digits (from
    /// the thread-local CSPRNG).
    pub fn new_nonce(&self) -> String {
        rand::rng()
            .sample_iter(Alphanumeric)
            .take(self.nonce_length)
            .map(char::from)
            .collect()
    }

    /// `at` as `{timestamp}`: unix seconds or milliseconds per `boxo.signing.timespec`.
    pub fn timestamp(&self, at: DateTime<Utc>) -> String {
        format_timestamp(self.timespec, at)
    }

    /// The bytes the signature of `request` is computed over (for logs and tests).
    pub fn payload(&self, request: &OutgoingRequest<'_>) -> Vec<u8> {
        let timestamp = self.timestamp(request.timestamp);
        self.payload_template
            .fill(&self.values(request, &timestamp))
    }

    /// Signs `request`: the headers to send with it.
    pub fn sign(&self, request: &OutgoingRequest<'_>) -> Result<SignedHeaders, SignError> {
        let timestamp = self.timestamp(request.timestamp);
        let uses = |placeholder| self.payload_template.uses(placeholder);
        if uses(Placeholder::Nonce) {
            require("nonce", request.nonce)?;
        }
        if uses(Placeholder::ClientId) {
            require("client_id", request.client_id)?;
        }
        let payload = self
            .payload_template
            .fill(&self.values(request, &timestamp));
        let raw = self.key.sign(&payload).map_err(SignError::Crypto)?;
        let encoded = encode(self.encoding, &raw);
        let mut headers = vec![(
            self.headers.signature.clone(),
            self.signature_template.render(&encoded),
        )];
        let optional = [
            (
                Placeholder::Timestamp,
                &self.headers.timestamp,
                timestamp.as_str(),
            ),
            (Placeholder::Nonce, &self.headers.nonce, request.nonce),
            (
                Placeholder::Identity,
                &self.headers.identity,
                self.identity.as_str(),
            ),
            (
                Placeholder::ClientId,
                &self.headers.client_id,
                request.client_id,
            ),
            (
                Placeholder::MerchantId,
                &self.headers.merchant_id,
                self.merchant_id.as_str(),
            ),
        ];
        for (placeholder, name, value) in optional {
            if uses(placeholder) {
                headers.push((name.clone(), value.to_owned()));
            }
        }
        Ok(SignedHeaders { headers })
    }

    fn values<'a>(
        &'a self,
        request: &OutgoingRequest<'a>,
        timestamp: &'a str,
    ) -> PayloadValues<'a> {
        PayloadValues {
            timestamp,
            nonce: request.nonce,
            identity: &self.identity,
            client_id: request.client_id,
            merchant_id: &self.merchant_id,
            method: request.method,
            url: request.url,
            body: request.body,
        }
    }
}

/// A value that is required and must be a valid header value.
fn require(name: &'static str, value: &str) -> Result<(), SignError> {
    if value.is_empty() {
        return Err(SignError::MissingValue(name));
    }
    if !is_header_value(value) {
        return Err(SignError::InvalidValue(name));
    }
    Ok(())
}

/// Visible ASCII and inner spaces only: a value every HTTP stack sends unchanged.
pub(crate) fn is_header_value(value: &str) -> bool {
    !value.is_empty()
        && value.trim() == value
        && value.bytes().all(|byte| (0x20..0x7f).contains(&byte))
}

pub(crate) fn format_timestamp(timespec: Timespec, at: DateTime<Utc>) -> String {
    match timespec {
        Timespec::Seconds => at.timestamp().to_string(),
        Timespec::Milliseconds => at.timestamp_millis().to_string(),
    }
}

pub(crate) fn encode(encoding: SignatureEncoding, raw: &[u8]) -> String {
    use base64::Engine;
    match encoding {
        SignatureEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(raw),
        SignatureEncoding::Hex => hex::encode(raw),
    }
}
