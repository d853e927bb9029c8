//! Miniapps and their credentials: API secrets kept only as keyed hashes, webhook secrets
//! derived from the server key, never stored.

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::ids::AppId;
use crate::validation::{FieldError, NonEmptyString};

/// A keyed hash (hex HMAC-SHA256) of a secret; what is stored instead of the secret.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretHash(String);

impl SecretHash {
    /// Wraps a stored hash.
    pub fn from_stored(hex: String) -> SecretHash {
        SecretHash(hex)
    }
    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Compares in constant time.
    pub fn matches(&self, other: &SecretHash) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl std::fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHash(..)")
    }
}

/// What a sealed text starts with (see [`SecretKeyring::seal`]).
const SEALED_PREFIX: &str = "sealed:v1:";
/// Length of a sealed text's synthetic IV.
const SIV_LEN: usize = 16;

/// The server-side key that hashes secrets and derives webhook secrets
/// (`security.hash_key`). Changing it invalidates every stored secret.
#[derive(Clone)]
pub struct SecretKeyring {
    key: Vec<u8>,
}

impl std::fmt::Debug for SecretKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKeyring(..)")
    }
}

impl SecretKeyring {
    /// A keyring over these key bytes.
    pub fn new(key: impl Into<Vec<u8>>) -> SecretKeyring {
        SecretKeyring { key: key.into() }
    }

    fn mac(&self, purpose: &str, text: &str) -> Vec<u8> {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(mac) => mac,
            // HMAC takes keys of any length; this arm is unreachable.
            Err(_) => return Vec::new(),
        };
        mac.update(purpose.as_bytes());
        mac.update(b":");
        mac.update(text.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// The keyed hash of a secret (API secret key, user token, session token).
    pub fn hash(&self, secret: &str) -> SecretHash {
        SecretHash(hex::encode(self.mac("secret", secret)))
    }

    /// Seals a text that may carry secrets (the stored first response of an idempotency
    /// key holds the payment-session token) so the database never holds it in plain
    /// text: deterministic authenticated encryption (SIV) with HMAC-SHA256 as the PRF:
    /// `siv = HMAC("seal-siv", text)[..16]`, keystream blocks
    /// `HMAC("seal-stream", siv || counter)`; [`SecretKeyring::unseal`] checks the SIV.
    pub fn seal(&self, text: &str) -> String {
        let siv = self.mac_bytes("seal-siv", text.as_bytes());
        let siv = &siv[..SIV_LEN];
        let mut sealed = siv.to_vec();
        sealed.extend(self.keystream_xor(siv, text.as_bytes()));
        format!(
            "{SEALED_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed)
        )
    }

    /// Opens a text [`SecretKeyring::seal`] made: `Some(text)` for a text that was not
    /// sealed (kept as it is), `None` when it was sealed under another key or altered.
    pub fn unseal(&self, stored: &str) -> Option<String> {
        let Some(encoded) = stored.strip_prefix(SEALED_PREFIX) else {
            return Some(stored.to_owned());
        };
        let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .ok()?;
        if sealed.len() < SIV_LEN {
            return None;
        }
        let (siv, body) = sealed.split_at(SIV_LEN);
        let text = self.keystream_xor(siv, body);
        let expected = self.mac_bytes("seal-siv", &text);
        if !bool::from(expected[..SIV_LEN].ct_eq(siv)) {
            return None;
        }
        String::from_utf8(text).ok()
    }

    fn keystream_xor(&self, siv: &[u8], data: &[u8]) -> Vec<u8> {
        data.chunks(32)
            .zip(0u64..)
            .flat_map(|(chunk, counter)| {
                let mut block_input = siv.to_vec();
                block_input.extend_from_slice(&counter.to_be_bytes());
                let block = self.mac_bytes("seal-stream", &block_input);
                chunk
                    .iter()
                    .zip(block)
                    .map(|(byte, key)| byte ^ key)
                    .collect::<Vec<u8>>()
            })
            .collect()
    }

    fn mac_bytes(&self, purpose: &str, data: &[u8]) -> Vec<u8> {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(mac) => mac,
            // HMAC takes keys of any length; this arm is unreachable.
            Err(_) => return vec![0; 32],
        };
        mac.update(purpose.as_bytes());
        mac.update(b":");
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    /// The webhook signing secret of an app's current generation (`whsec_...`). Derived,
    /// so it is never stored; rotating the API secret bumps the generation.
    pub fn webhook_secret(&self, app_id: &AppId, generation: i64) -> String {
        let bytes = self.mac("webhook", &format!("{app_id}:{generation}"));
        format!("whsec_{}", hex::encode(&bytes[..24]))
    }
}

/// A webhook URL: http or https, at most 2000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// Checks the scheme and length.
    pub fn parse(text: &str) -> Result<WebhookUrl, FieldError> {
        if text.chars().count() > 2000 {
            return Err(FieldError::new("must be at most 2000 characters"));
        }
        let rest = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .ok_or_else(|| FieldError::new("must be an http:// or https:// URL"))?;
        if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
            return Err(FieldError::new("must be an absolute URL with a host"));
        }
        Ok(WebhookUrl(text.to_owned()))
    }
    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Whether it uses https.
    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }
}

impl TryFrom<String> for WebhookUrl {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        WebhookUrl::parse(&value)
    }
}

impl From<WebhookUrl> for String {
    fn from(value: WebhookUrl) -> String {
        value.0
    }
}

/// A registered miniapp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Miniapp {
    /// `app_...`
    pub id: AppId,
    /// Shown to users on the payment sheet, String(250).
    pub name: NonEmptyString<250>,
    /// Keyed hash of the API secret key.
    pub secret_hash: SecretHash,
    /// Where its webhooks go.
    pub webhook_url: Option<WebhookUrl>,
    /// Bumped on each rotation; selects the derived webhook secret.
    pub secret_generation: i64,
    /// Registered.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A registration request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MiniappRegistration {
    /// The name, String(250).
    pub name: NonEmptyString<250>,
    /// Optional webhook URL.
    #[serde(default)]
    pub webhook_url: Option<WebhookUrl>,
}

/// What registration or rotation hands out, once: the plain secrets.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct IssuedCredentials {
    /// The app.
    pub app_id: AppId,
    /// The API secret key (shown once; only its hash is kept).
    pub secret_key: String,
    /// The webhook signing secret.
    pub webhook_secret: String,
}

impl std::fmt::Debug for IssuedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCredentials")
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

impl Miniapp {
    /// Whether `secret_key` is this app's current secret (constant-time).
    pub fn accepts_secret(&self, keyring: &SecretKeyring, secret_key: &str) -> bool {
        self.secret_hash.matches(&keyring.hash(secret_key))
    }

    /// The current webhook signing secret.
    pub fn webhook_secret(&self, keyring: &SecretKeyring) -> String {
        keyring.webhook_secret(&self.id, self.secret_generation)
    }

    /// This app with a new secret hash (the old secret stops working) and a new
    /// webhook-secret generation.
    pub fn rotated(&self, new_hash: SecretHash, now: DateTime<Utc>) -> Miniapp {
        let mut next = self.clone();
        next.secret_hash = new_hash;
        next.secret_generation += 1;
        next.updated_at = now;
        next
    }
}

#[cfg(test)]
mod tests {
    use super::SecretKeyring;

    #[test]
    fn sealed_texts_hide_their_secrets_and_open_only_under_their_key() {
        let keyring = SecretKeyring::new("seal-test-key");
        let text = r#"{"session":{"token":"ps_0123456789abcdef"},"amount":"12.50"}"#.repeat(3);
        let sealed = keyring.seal(&text);
        assert!(!sealed.contains("ps_0123456789abcdef"));
        assert!(!sealed.contains("12.50"));
        assert_eq!(keyring.unseal(&sealed).as_deref(), Some(text.as_str()));
        assert_eq!(SecretKeyring::new("another-key").unseal(&sealed), None);
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(keyring.unseal(&tampered), None);
        assert_eq!(keyring.unseal("plain").as_deref(), Some("plain"));
        assert_eq!(keyring.unseal(&keyring.seal("")).as_deref(), Some(""));
    }
}
