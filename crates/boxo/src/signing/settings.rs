//! The `boxo.signing.*` configuration keys (api.md section 8) as one serde type, with the
//! one [`Default`] every default of the scheme comes from.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Boxo's default payload template (api.md section 6).
pub const DEFAULT_PAYLOAD_TEMPLATE: &str = "{timestamp}.{nonce}.{request_method}.{url}.{payload}";

/// The default signature template: the encoded signature alone.
pub const DEFAULT_SIGNATURE_TEMPLATE: &str = "{signature}";

/// The default length of an outgoing nonce, in characters.
pub const DEFAULT_NONCE_LENGTH: usize = 16;

/// The longest outgoing nonce `boxo.signing.nonce_length` may ask for.
pub const MAX_NONCE_LENGTH: usize = 256;

/// The `boxo.signing` prefix every key of this module is named under.
pub const KEY_PREFIX: &str = "boxo.signing";

/// `boxo.signing.*`: every request-signing setting of Boxo's dashboard.
///
/// Deserialize it from the `[boxo.signing]` table; a missing key takes its value from
/// [`SigningSettings::default`], an unknown key is refused, and an empty string (an
/// environment variable set to nothing) leaves an optional key unset. Turn it into a ready
/// signer and verifier with [`SigningSettings::validate`](crate::signing::SigningSettings::validate).
///
/// `Debug` and `Serialize` mask `secret` and an inline `private_key`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SigningSettings {
    /// `boxo.signing.algorithm`: `hmac` (default), `rsa` or `ecdsa`.
    pub algorithm: Algorithm,
    /// `boxo.signing.hash`: `sha256` (default), `sha224`, `sha384`, `sha512`, `sha1`, `md5`.
    pub hash: HashAlgorithm,
    /// `boxo.signing.secret`: the HMAC secret (its UTF-8 bytes are the key).
    #[serde(
        deserialize_with = "empty_as_none",
        serialize_with = "masked",
        skip_serializing_if = "Option::is_none"
    )]
    pub secret: Option<String>,
    /// `boxo.signing.private_key`: the host's RSA or ECDSA private key, inline (PEM, or the
    /// base64 of its DER).
    #[serde(
        deserialize_with = "empty_as_none",
        serialize_with = "masked",
        skip_serializing_if = "Option::is_none"
    )]
    pub private_key: Option<String>,
    /// `boxo.signing.private_key_file`: a file holding the host's private key (PEM or DER).
    #[serde(
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub private_key_file: Option<PathBuf>,
    /// `boxo.signing.platform_public_key`: the Boxo platform's public key, inline (PEM, or
    /// the base64 of its DER), to verify incoming calls.
    #[serde(
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub platform_public_key: Option<String>,
    /// `boxo.signing.platform_public_key_file`: a file holding the platform's public key.
    #[serde(
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub platform_public_key_file: Option<PathBuf>,
    /// `boxo.signing.encoding`: `base64` (default) or `hex`.
    pub encoding: SignatureEncoding,
    /// `boxo.signing.timespec`: `seconds` (default) or `milliseconds`.
    pub timespec: Timespec,
    /// `boxo.signing.payload_template`: what is signed (default
    /// [`DEFAULT_PAYLOAD_TEMPLATE`]).
    pub payload_template: String,
    /// `boxo.signing.signature_template`: the signature header's value around
    /// `{signature}` (default [`DEFAULT_SIGNATURE_TEMPLATE`]).
    pub signature_template: String,
    /// `boxo.signing.identity`: the value of `{identity}` on outgoing calls.
    #[serde(
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub identity: Option<String>,
    /// `boxo.signing.merchant_id`: the value of `{merchant_id}` on outgoing calls.
    #[serde(
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub merchant_id: Option<String>,
    /// `boxo.signing.nonce_length`: characters of an outgoing nonce (default 16).
    pub nonce_length: usize,
    /// `boxo.signing.headers.*`: the header names.
    pub headers: HeaderNames,
    /// `boxo.signing.verify_incoming`: require valid signatures on incoming Boxo calls
    /// (default `false`).
    pub verify_incoming: bool,
}

impl Default for SigningSettings {
    /// The defaults of api.md sections 6 and 8: HMAC-SHA256, base64, seconds, the default
    /// templates and header names, 16-character nonces, no key, incoming calls unchecked.
    fn default() -> SigningSettings {
        SigningSettings {
            algorithm: Algorithm::Hmac,
            hash: HashAlgorithm::Sha256,
            secret: None,
            private_key: None,
            private_key_file: None,
            platform_public_key: None,
            platform_public_key_file: None,
            encoding: SignatureEncoding::Base64,
            timespec: Timespec::Seconds,
            payload_template: DEFAULT_PAYLOAD_TEMPLATE.to_owned(),
            signature_template: DEFAULT_SIGNATURE_TEMPLATE.to_owned(),
            identity: None,
            merchant_id: None,
            nonce_length: DEFAULT_NONCE_LENGTH,
            headers: HeaderNames::default(),
            verify_incoming: false,
        }
    }
}

impl fmt::Debug for SigningSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mask = |value: &Option<String>| value.as_ref().map(|_| "********");
        f.debug_struct("SigningSettings")
            .field("algorithm", &self.algorithm)
            .field("hash", &self.hash)
            .field("secret", &mask(&self.secret))
            .field("private_key", &mask(&self.private_key))
            .field("private_key_file", &self.private_key_file)
            .field("platform_public_key", &self.platform_public_key)
            .field("platform_public_key_file", &self.platform_public_key_file)
            .field("encoding", &self.encoding)
            .field("timespec", &self.timespec)
            .field("payload_template", &self.payload_template)
            .field("signature_template", &self.signature_template)
            .field("identity", &self.identity)
            .field("merchant_id", &self.merchant_id)
            .field("nonce_length", &self.nonce_length)
            .field("headers", &self.headers)
            .field("verify_incoming", &self.verify_incoming)
            .finish()
    }
}

/// `boxo.signing.headers.*`: which HTTP header carries each value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeaderNames {
    /// `boxo.signing.headers.signature` (default `X-Signature`).
    pub signature: String,
    /// `boxo.signing.headers.timestamp` (default `X-Timestamp`).
    pub timestamp: String,
    /// `boxo.signing.headers.nonce` (default `X-Nonce`).
    pub nonce: String,
    /// `boxo.signing.headers.identity` (default `X-Identity`).
    pub identity: String,
    /// `boxo.signing.headers.client_id` (default `X-Client-Id`).
    pub client_id: String,
    /// `boxo.signing.headers.merchant_id` (default `X-Merchant-Id`).
    pub merchant_id: String,
}

impl Default for HeaderNames {
    /// Boxo's default headers map.
    fn default() -> HeaderNames {
        HeaderNames {
            signature: "X-Signature".to_owned(),
            timestamp: "X-Timestamp".to_owned(),
            nonce: "X-Nonce".to_owned(),
            identity: "X-Identity".to_owned(),
            client_id: "X-Client-Id".to_owned(),
            merchant_id: "X-Merchant-Id".to_owned(),
        }
    }
}

/// A fixed set of names read from a string: ASCII case is ignored, as are `-` and `_`
/// (`SHA-256` is `sha256`); anything else is refused listing the accepted names.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in the order error messages list them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The configuration name (what `Display` and `Serialize` write).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;

            /// Reads a configuration name; the error says which names are accepted.
            fn from_str(text: &str) -> Result<$name, String> {
                let wanted: String = text
                    .trim()
                    .chars()
                    .filter(|c| *c != '-' && *c != '_')
                    .collect::<String>()
                    .to_ascii_lowercase();
                $(
                    if wanted == $text $(|| wanted == $alias)* {
                        return Ok($name::$variant);
                    }
                )+
                let names: Vec<&str> = $name::ALL.iter().map(|value| value.as_str()).collect();
                Err(format!("{text:?} is not one of {}", names.join(", ")))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

named_enum! {
    /// `boxo.signing.algorithm`.
    pub enum Algorithm {
        /// HMAC with the shared `secret`.
        Hmac = "hmac",
        /// RSASSA-PKCS1-v1_5, Boxo's "RSA2" (`rsa2` is accepted too).
        Rsa = "rsa" | "rsa2",
        /// ECDSA on P-256 or P-384 (the key says which), ASN.1 DER signatures.
        Ecdsa = "ecdsa",
    }
}

named_enum! {
    /// `boxo.signing.hash`.
    pub enum HashAlgorithm {
        /// SHA-256 (the default).
        Sha256 = "sha256",
        /// SHA-224.
        Sha224 = "sha224",
        /// SHA-384.
        Sha384 = "sha384",
        /// SHA-512.
        Sha512 = "sha512",
        /// SHA-1: legacy, allowed with a start-up warning.
        Sha1 = "sha1",
        /// MD5: legacy, allowed with a start-up warning.
        Md5 = "md5",
    }
}

impl HashAlgorithm {
    /// The digest's length in bits.
    pub fn output_bits(self) -> usize {
        match self {
            HashAlgorithm::Md5 => 128,
            HashAlgorithm::Sha1 => 160,
            HashAlgorithm::Sha224 => 224,
            HashAlgorithm::Sha256 => 256,
            HashAlgorithm::Sha384 => 384,
            HashAlgorithm::Sha512 => 512,
        }
    }

    /// Whether this is one of the legacy hashes (`sha1`, `md5`) allowed with a warning.
    pub fn is_legacy(self) -> bool {
        matches!(self, HashAlgorithm::Sha1 | HashAlgorithm::Md5)
    }
}

named_enum! {
    /// `boxo.signing.encoding`: how the signature bytes are written.
    pub enum SignatureEncoding {
        /// Standard base64 with padding (the default).
        Base64 = "base64",
        /// Lower-case hex (either case is accepted when verifying).
        Hex = "hex",
    }
}

named_enum! {
    /// `boxo.signing.timespec`: the unit of `{timestamp}`.
    pub enum Timespec {
        /// Unix seconds (the default).
        Seconds = "seconds",
        /// Unix milliseconds.
        Milliseconds = "milliseconds",
    }
}

/// An optional value where an empty string (an environment variable set to nothing)
/// means unset.
fn empty_as_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: From<String>,
{
    let value: Option<String> = Option::deserialize(deserializer)?;
    Ok(value.filter(|text| !text.trim().is_empty()).map(T::from))
}

/// Writes a secret as `********`.
fn masked<S: Serializer>(value: &Option<String>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(_) => serializer.serialize_str("********"),
        None => serializer.serialize_none(),
    }
}
