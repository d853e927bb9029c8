//! The shared reqwest client: rustls with the ring provider, and timeouts.

use std::sync::Once;
use std::time::Duration;

static RING: Once = Once::new();

/// The longest whole-request timeout a client gets (`delivery.timeout_seconds` is at most
/// this). An outbox attempt's claim is leased for the configured timeout plus a margin
/// (`hostpay_domain::delivery::claim_lease`), so the attempt ends before anyone else may
/// take the delivery over.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(100);

/// Installs rustls' ring crypto provider as the process default (once; a provider that
/// is already installed is kept).
pub fn install_crypto_provider() {
    RING.call_once(|| {
        // Err means another provider is already the default, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Why an upstream client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A configured URL is not a valid absolute http(s) URL.
    #[error("{key} is not a valid http(s) URL: {reason}")]
    InvalidUrl {
        /// The configuration key.
        key: &'static str,
        /// Why.
        reason: String,
    },
    /// reqwest refused the settings.
    #[error("cannot build the HTTP client: {0}")]
    Build(String),
}

/// A client with a connect timeout and a whole-request timeout (at most [`MAX_TIMEOUT`]).
pub fn build(timeout: Duration) -> Result<reqwest::Client, ClientError> {
    install_crypto_provider();
    let timeout = timeout.min(MAX_TIMEOUT);
    reqwest::Client::builder()
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .timeout(timeout)
        .user_agent(concat!("hostpay/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| ClientError::Build(error.to_string()))
}

/// Parses a configured base URL (trailing slashes dropped).
pub fn base_url(key: &'static str, text: &str) -> Result<reqwest::Url, ClientError> {
    let trimmed = text.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed).map_err(|error| ClientError::InvalidUrl {
        key,
        reason: error.to_string(),
    })?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(ClientError::InvalidUrl {
            key,
            reason: format!("scheme {other} is not http or https"),
        }),
    }
}

/// `base` joined with `path` (which starts with `/`), keeping any path prefix of `base`.
pub fn join(base: &reqwest::Url, path: &str) -> reqwest::Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{prefix}{path}"));
    url
}
