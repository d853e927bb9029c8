//! Turning `boxo.signing.*` into a ready [`Signer`] and [`Verifier`], or an error naming
//! the key.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use super::incoming::Verifier;
use super::keys::{parse_private_key, parse_public_key, KeyKind, PrivateKeyMaterial};
use super::outgoing::{is_header_value, Signer};
use super::primitives::{
    hmac_signer, hmac_verifier, key_signer, key_verifier, public_of, SignPrimitive, VerifyPrimitive,
};
use super::settings::{
    Algorithm, SigningSettings, DEFAULT_NONCE_LENGTH, KEY_PREFIX, MAX_NONCE_LENGTH,
};
use super::template::{PayloadTemplate, Placeholder, SignatureTemplate};

/// An invalid `boxo.signing.*` setting. `Display`: `boxo.signing.<key>: <message>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct SigningConfigError {
    key: String,
    message: String,
}

impl SigningConfigError {
    fn new(key: &str, message: impl Into<String>) -> SigningConfigError {
        SigningConfigError {
            key: format!("{KEY_PREFIX}.{key}"),
            message: message.into(),
        }
    }

    /// The full key, e.g. `boxo.signing.private_key`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// What is wrong with it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// A setting that works but deserves the operator's attention (a legacy hash, an ignored
/// key, a template that leaves something unsigned). `Display`:
/// `boxo.signing.<key>: <message>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningWarning {
    key: String,
    message: String,
}

impl SigningWarning {
    fn new(key: &str, message: impl Into<String>) -> SigningWarning {
        SigningWarning {
            key: format!("{KEY_PREFIX}.{key}"),
            message: message.into(),
        }
    }

    /// The full key, e.g. `boxo.signing.hash`.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The advice.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for SigningWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// The result of validating `boxo.signing.*`.
#[derive(Debug, Clone)]
pub struct SigningSetup {
    /// Signs outgoing calls: present with `hmac` and a `secret`, and always with `rsa` or
    /// `ecdsa` (which need the host's private key). `None`: outgoing calls go unsigned.
    pub signer: Option<Signer>,
    /// Verifies incoming calls: present exactly when `verify_incoming` is on.
    pub verifier: Option<Verifier>,
    /// Things to log at start-up (and print from `config check`).
    pub warnings: Vec<SigningWarning>,
}

type Checked<T> = Result<T, SigningConfigError>;

/// The signing and the verifying primitive, each when configured.
type Primitives = (
    Option<Arc<dyn SignPrimitive>>,
    Option<Arc<dyn VerifyPrimitive>>,
);

impl SigningSettings {
    /// Checks every setting and builds the signer and verifier; key files are read here.
    ///
    /// Errors name the key: a template without `{signature}`, an unknown placeholder, a bad
    /// header name, an algorithm without its key (`boxo.signing.algorithm: rsa needs
    /// boxo.signing.private_key or private_key_file`), a key that does not parse
    /// (`boxo.signing.private_key: does not parse as an RSA or ECDSA private key (PEM or
    /// DER)`), a key of the wrong kind, an unreadable file, a key given twice.
    pub fn validate(&self) -> Result<SigningSetup, SigningConfigError> {
        let mut warnings = Vec::new();
        let payload_template = PayloadTemplate::parse(&self.payload_template)
            .map_err(|message| SigningConfigError::new("payload_template", message))?;
        let signature_template = SignatureTemplate::parse(&self.signature_template)
            .map_err(|message| SigningConfigError::new("signature_template", message))?;
        self.check_headers(&payload_template)?;
        if !(1..=MAX_NONCE_LENGTH).contains(&self.nonce_length) {
            return Err(SigningConfigError::new(
                "nonce_length",
                format!("must be between 1 and {MAX_NONCE_LENGTH}"),
            ));
        }
        if self.nonce_length < DEFAULT_NONCE_LENGTH && payload_template.uses(Placeholder::Nonce) {
            warnings.push(SigningWarning::new(
                "nonce_length",
                format!(
                    "{} is short: a receiver that follows hostpay's rules refuses nonces \
                     under {DEFAULT_NONCE_LENGTH} characters",
                    self.nonce_length
                ),
            ));
        }
        if self.hash.is_legacy() {
            warnings.push(SigningWarning::new(
                "hash",
                format!(
                    "{} is a legacy hash with practical collision attacks; keep it only while \
                     the Boxo partnership is set to it, and move to sha256",
                    self.hash
                ),
            ));
        }
        if !payload_template.uses(Placeholder::Payload) {
            warnings.push(SigningWarning::new(
                "payload_template",
                "has no {payload}: the signature does not cover the request body",
            ));
        }
        if self.verify_incoming && !payload_template.uses(Placeholder::Timestamp) {
            warnings.push(SigningWarning::new(
                "payload_template",
                "has no {timestamp}: incoming calls cannot be checked for freshness",
            ));
        }
        if self.verify_incoming && !payload_template.uses(Placeholder::Nonce) {
            warnings.push(SigningWarning::new(
                "payload_template",
                "has no {nonce}: replayed incoming calls cannot be detected",
            ));
        }

        let (signer_key, verifier_key) = match self.algorithm {
            Algorithm::Hmac => self.hmac_keys(&mut warnings)?,
            Algorithm::Rsa | Algorithm::Ecdsa => self.asymmetric_keys(&mut warnings)?,
        };

        let signer = match signer_key {
            Some(key) => {
                let identity = self.outgoing_value(
                    "identity",
                    self.identity.as_deref(),
                    payload_template.uses(Placeholder::Identity),
                )?;
                let merchant_id = self.outgoing_value(
                    "merchant_id",
                    self.merchant_id.as_deref(),
                    payload_template.uses(Placeholder::MerchantId),
                )?;
                Some(Signer {
                    algorithm: self.algorithm,
                    hash: self.hash,
                    key,
                    encoding: self.encoding,
                    timespec: self.timespec,
                    payload_template: payload_template.clone(),
                    signature_template: signature_template.clone(),
                    identity,
                    merchant_id,
                    nonce_length: self.nonce_length,
                    headers: self.headers.clone(),
                })
            }
            None => None,
        };
        let verifier = verifier_key.map(|key| Verifier {
            algorithm: self.algorithm,
            hash: self.hash,
            key,
            encoding: self.encoding,
            timespec: self.timespec,
            payload_template,
            signature_template,
            headers: self.headers.clone(),
        });
        Ok(SigningSetup {
            signer,
            verifier,
            warnings,
        })
    }

    fn hmac_keys(&self, warnings: &mut Vec<SigningWarning>) -> Checked<Primitives> {
        for (key, set) in [
            ("private_key", self.private_key.is_some()),
            ("private_key_file", self.private_key_file.is_some()),
            ("platform_public_key", self.platform_public_key.is_some()),
            (
                "platform_public_key_file",
                self.platform_public_key_file.is_some(),
            ),
        ] {
            if set {
                warnings.push(SigningWarning::new(key, "ignored with algorithm hmac"));
            }
        }
        let secret = self.secret.as_deref().filter(|secret| !secret.is_empty());
        if self.verify_incoming && secret.is_none() {
            return Err(SigningConfigError::new(
                "secret",
                "required when boxo.signing.verify_incoming = true with algorithm hmac",
            ));
        }
        Ok((
            secret.map(|secret| hmac_signer(self.hash, secret)),
            secret
                .filter(|_| self.verify_incoming)
                .map(|secret| hmac_verifier(self.hash, secret)),
        ))
    }

    fn asymmetric_keys(&self, warnings: &mut Vec<SigningWarning>) -> Checked<Primitives> {
        let algorithm = self.algorithm;
        if self.secret.is_some() {
            warnings.push(SigningWarning::new(
                "secret",
                format!("ignored with algorithm {algorithm}"),
            ));
        }
        let Some((key_name, bytes)) = read_key_setting(
            "private_key",
            "private_key_file",
            self.private_key.as_deref(),
            self.private_key_file.as_deref(),
        )?
        else {
            return Err(SigningConfigError::new(
                "algorithm",
                format!("{algorithm} needs boxo.signing.private_key or private_key_file"),
            ));
        };
        let private = parse_private_key(&bytes)
            .map_err(|message| SigningConfigError::new(key_name, message))?;
        let kind = private.kind();
        self.check_kind(key_name, kind, warnings)?;
        self.self_test(key_name, &private)?;
        let signer = key_signer(self.hash, private);

        let verifier = if self.verify_incoming {
            let Some((key_name, bytes)) = read_key_setting(
                "platform_public_key",
                "platform_public_key_file",
                self.platform_public_key.as_deref(),
                self.platform_public_key_file.as_deref(),
            )?
            else {
                return Err(SigningConfigError::new(
                    "algorithm",
                    format!(
                        "{algorithm} with boxo.signing.verify_incoming = true needs \
                         boxo.signing.platform_public_key or platform_public_key_file"
                    ),
                ));
            };
            let public = parse_public_key(&bytes)
                .map_err(|message| SigningConfigError::new(key_name, message))?;
            self.check_kind(key_name, public.kind(), warnings)?;
            Some(key_verifier(self.hash, public))
        } else {
            for (key, set) in [
                ("platform_public_key", self.platform_public_key.is_some()),
                (
                    "platform_public_key_file",
                    self.platform_public_key_file.is_some(),
                ),
            ] {
                if set {
                    warnings.push(SigningWarning::new(
                        key,
                        "not used while boxo.signing.verify_incoming = false",
                    ));
                }
            }
            None
        };
        Ok((Some(signer), verifier))
    }

    /// The key matches the algorithm; weak pairings are warned about.
    fn check_kind(
        &self,
        key_name: &str,
        kind: KeyKind,
        warnings: &mut Vec<SigningWarning>,
    ) -> Checked<()> {
        let matches = match kind {
            KeyKind::Rsa { .. } => self.algorithm == Algorithm::Rsa,
            KeyKind::P256 | KeyKind::P384 => self.algorithm == Algorithm::Ecdsa,
        };
        if !matches {
            return Err(SigningConfigError::new(
                key_name,
                format!(
                    "is {}, but boxo.signing.algorithm is {}",
                    kind.describe(),
                    self.algorithm
                ),
            ));
        }
        if let KeyKind::Rsa { bits } = kind {
            if bits < 2048 {
                warnings.push(SigningWarning::new(
                    key_name,
                    format!("is {}; use at least 2048 bits", kind.describe()),
                ));
            }
        }
        if let Some(curve_bits) = kind.curve_bits() {
            if self.hash.output_bits() < curve_bits && !self.hash.is_legacy() {
                warnings.push(SigningWarning::new(
                    "hash",
                    format!(
                        "{} with {}: the signature is only as strong as the {}-bit hash \
                         (sha{curve_bits} is the natural pair)",
                        self.hash,
                        kind.describe(),
                        self.hash.output_bits()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Signs and verifies a probe, so a key that cannot sign with the hash fails at
    /// start-up rather than on the first call.
    fn self_test(&self, key_name: &str, private: &PrivateKeyMaterial) -> Checked<()> {
        let probe = b"hostpay boxo signing self-test";
        let signer = key_signer(self.hash, private.clone());
        let verifier = key_verifier(self.hash, public_of(private));
        let signature = signer.sign(probe).map_err(|error| {
            SigningConfigError::new(key_name, format!("cannot sign with {}: {error}", self.hash))
        })?;
        if !verifier.verify(probe, &signature) {
            return Err(SigningConfigError::new(
                key_name,
                format!("a signature made with {} does not verify", self.hash),
            ));
        }
        Ok(())
    }

    /// `{identity}` / `{merchant_id}` on outgoing calls: set and a valid header value when
    /// the template uses it.
    fn outgoing_value(&self, key: &str, value: Option<&str>, used: bool) -> Checked<String> {
        match value {
            Some(value) if !is_header_value(value) => Err(SigningConfigError::new(
                key,
                "must be printable ASCII without surrounding spaces (it is sent as a header)",
            )),
            Some(value) => Ok(value.to_owned()),
            None if used => Err(SigningConfigError::new(
                key,
                format!("the payload template uses {{{key}}}, so it must be set"),
            )),
            None => Ok(String::new()),
        }
    }

    /// Every header name is a valid HTTP token, and the ones in use are distinct.
    fn check_headers(&self, template: &PayloadTemplate) -> Checked<()> {
        let headers = &self.headers;
        let all = [
            ("signature", &headers.signature, true),
            (
                "timestamp",
                &headers.timestamp,
                template.uses(Placeholder::Timestamp),
            ),
            ("nonce", &headers.nonce, template.uses(Placeholder::Nonce)),
            (
                "identity",
                &headers.identity,
                template.uses(Placeholder::Identity),
            ),
            (
                "client_id",
                &headers.client_id,
                template.uses(Placeholder::ClientId),
            ),
            (
                "merchant_id",
                &headers.merchant_id,
                template.uses(Placeholder::MerchantId),
            ),
        ];
        let mut seen = HashSet::new();
        for (name, value, used) in all {
            let key = format!("headers.{name}");
            if !is_token(value) {
                return Err(SigningConfigError::new(
                    &key,
                    format!("{value:?} is not a valid HTTP header name"),
                ));
            }
            if used && !seen.insert(value.to_ascii_lowercase()) {
                return Err(SigningConfigError::new(
                    &key,
                    format!("{value} is already the name of another signing header"),
                ));
            }
        }
        Ok(())
    }
}

/// The bytes of a key given inline (`name`) or as a file (`file_key`), with the key they
/// came from; `None` when neither is set.
fn read_key_setting(
    name: &'static str,
    file_key: &'static str,
    inline: Option<&str>,
    file: Option<&Path>,
) -> Checked<Option<(&'static str, Vec<u8>)>> {
    match (inline, file) {
        (Some(_), Some(_)) => Err(SigningConfigError::new(
            file_key,
            format!("set either boxo.signing.{name} or boxo.signing.{file_key}, not both"),
        )),
        (Some(text), None) => Ok(Some((name, text.as_bytes().to_vec()))),
        (None, Some(path)) => std::fs::read(path)
            .map(|bytes| Some((file_key, bytes)))
            .map_err(|error| {
                SigningConfigError::new(
                    file_key,
                    format!("cannot read {}: {error}", path.display()),
                )
            }),
        (None, None) => Ok(None),
    }
}

/// An RFC 9110 token: what a header name may be.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::settings::HashAlgorithm;

    #[test]
    fn tokens() {
        assert!(is_token("X-Signature"));
        assert!(!is_token("X Signature"));
        assert!(!is_token(""));
        assert!(!is_token("X-Sig:"));
    }

    #[test]
    fn legacy_hashes_warn() {
        let settings = SigningSettings {
            secret: Some("s".into()),
            hash: HashAlgorithm::Md5,
            ..SigningSettings::default()
        };
        let setup = settings.validate().unwrap();
        assert!(setup.signer.is_some());
        assert!(setup
            .warnings
            .iter()
            .any(|warning| warning.key() == "boxo.signing.hash"));
    }
}
