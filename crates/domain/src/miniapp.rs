//! Miniapps and their credentials: API secrets kept only as keyed hashes, webhook secrets
//! derived from the server key, never stored.

use aes_gcm_siv::aead::Aead;
use aes_gcm_siv::{Aes256GcmSiv, Key, Nonce};
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

/// What every sealed text starts with, whatever its format version.
const SEALED_MARK: &str = "sealed:";
/// What a text sealed by [`SecretKeyring::seal`] starts with.
const SEALED_PREFIX: &str = "sealed:v2:";
/// Length of the nonce stored in front of a sealed text's ciphertext.
const NONCE_LEN: usize = 12;
/// Length of the AES-GCM-SIV authentication tag that ends a sealed text's ciphertext.
const TAG_LEN: usize = 16;

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
    /// text. AES-256-GCM-SIV (RFC 8452, RustCrypto `aes-gcm-siv`) under a key derived
    /// from the keyring's key (`HMAC("seal-key", "")`, never the raw key), with a
    /// deterministic nonce: the first 12 bytes of `HMAC("seal-nonce", text)`. GCM-SIV
    /// resists nonce reuse, so sealing the same text twice gives the same output and
    /// reveals only that the two texts are equal. The result is
    /// `sealed:v2:` + base64url (no padding) of `nonce || ciphertext || tag`.
    pub fn seal(&self, text: &str) -> String {
        let nonce_mac = self.mac_bytes("seal-nonce", text.as_bytes());
        let mut nonce = Nonce::default();
        nonce.copy_from_slice(&nonce_mac[..NONCE_LEN]);
        let Ok(ciphertext) = self.cipher().encrypt(&nonce, text.as_bytes()) else {
            // Only texts beyond 2^36 bytes are refused; fail closed: this opens to `None`.
            return SEALED_PREFIX.to_owned();
        };
        let mut sealed = nonce.to_vec();
        sealed.extend(ciphertext);
        format!(
            "{SEALED_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed)
        )
    }

    /// Opens a text [`SecretKeyring::seal`] made: `Some(text)` for a text that was not
    /// sealed (does not start with `sealed:`; kept as it is), `None` when it was sealed
    /// under another key, altered, or sealed in another format (the former hand-rolled
    /// `sealed:v1:` format is no longer read).
    pub fn unseal(&self, stored: &str) -> Option<String> {
        if !stored.starts_with(SEALED_MARK) {
            return Some(stored.to_owned());
        }
        let encoded = stored.strip_prefix(SEALED_PREFIX)?;
        let sealed = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(encoded)
            .ok()?;
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let (nonce_bytes, ciphertext) = sealed.split_at(NONCE_LEN);
        let mut nonce = Nonce::default();
        nonce.copy_from_slice(nonce_bytes);
        let text = self.cipher().decrypt(&nonce, ciphertext).ok()?;
        String::from_utf8(text).ok()
    }

    /// The AES-256-GCM-SIV cipher under the sealing key derived from the keyring's key.
    fn cipher(&self) -> Aes256GcmSiv {
        let mut key = Key::<Aes256GcmSiv>::default();
        key.copy_from_slice(&self.mac_bytes("seal-key", b""));
        Aes256GcmSiv::new(&key)
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

/// A webhook URL: plain or TLS (see the schemes below), at most 2000 characters.
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
        // The host part (up to the path, query or fragment): present, and without the
        // brackets of an IP literal, which half-written (`http://[`) no client can call.
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.is_empty() || authority.contains(['[', ']']) {
            return Err(FieldError::new(
                "must be an absolute URL with a host (a name or an IPv4 address)",
            ));
        }
        Ok(WebhookUrl(text.to_owned()))
    }
    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MiniappRegistration {
    /// The name, String(250).
    pub name: NonEmptyString<250>,
    /// Optional webhook URL.
    pub webhook_url: Option<WebhookUrl>,
}

/// What registration or rotation hands out, once: the plain secrets.
#[derive(Clone, PartialEq, Eq)]
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
    fn a_webhook_url_must_be_one_a_client_can_call() {
        use super::WebhookUrl;
        for good in [
            "https://shop.example/hooks",
            "http://127.0.0.1:9000/h?x=1",
            "https://h.example/a[1]",
        ] {
            assert!(WebhookUrl::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "http://[",
            "https://[::1",
            "https://[::1]:8443/h",
            "http://a]b",
            "http://?x",
            "http://",
            "ftp://x",
            "https://a b",
            "http:///path",
        ] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad}");
        }
    }

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

    #[test]
    fn texts_sealed_in_the_former_format_or_an_unknown_one_do_not_open() {
        let keyring = SecretKeyring::new("seal-test-key");
        // `{"session":{"token":"ps_0123456789abcdef"}}` sealed under this key by the
        // former hand-rolled HMAC-SHA256 SIV format, which is no longer read.
        let former = "sealed:v1:e1GP1BNflMDRa8cq-21I0tJ2lpLyIP0h-611VoWbgn3dypmTl7ecG8QCHJ-XB6UQdHB0-NE4nnnHvMI";
        assert_eq!(keyring.unseal(former), None);
        let current = keyring.seal(r#"{"session":{"token":"ps_0123456789abcdef"}}"#);
        assert!(current.starts_with("sealed:v2:"));
        let unknown = current.replacen("sealed:v2:", "sealed:v9:", 1);
        assert_eq!(keyring.unseal(&unknown), None);
        assert_eq!(keyring.unseal("sealed:v2:"), None);
        assert_eq!(keyring.unseal("sealed:v2:not base64!"), None);
    }

    #[test]
    fn long_texts_seal_deterministically_and_open_whole() {
        let keyring = SecretKeyring::new("seal-test-key");
        let text = r#"{"session":{"token":"ps_0123456789abcdef"},"note":"é€😀"}"#.repeat(2_000);
        let sealed = keyring.seal(&text);
        assert!(!sealed.contains("ps_0123456789abcdef"));
        assert_eq!(
            sealed,
            keyring.seal(&text),
            "a replay stores the same bytes"
        );
        // nonce (12 bytes) || ciphertext (as long as the text) || tag (16 bytes), base64url
        let sealed_bytes = 12 + text.len() + 16;
        assert_eq!(
            sealed.len(),
            "sealed:v2:".len() + (4 * sealed_bytes).div_ceil(3)
        );
        assert_eq!(keyring.unseal(&sealed).as_deref(), Some(text.as_str()));
        let mut other = text.clone();
        other.push(' ');
        assert_ne!(keyring.seal(&other), sealed);
        assert_eq!(
            keyring.unseal(&keyring.seal(&other)).as_deref(),
            Some(other.as_str())
        );
    }
}
