//! What every handler can reach: the services and the HTTP-side settings.

use std::fmt;
use std::net::IpAddr;

use hostpay_domain::services::Services;

/// Shared state of both listeners.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub services: Services,
    /// Settings of the HTTP surfaces.
    pub settings: HttpSettings,
}

/// Settings of the HTTP surfaces (from configuration). `Debug` masks every secret.
#[derive(Clone, Default)]
pub struct HttpSettings {
    /// Bearer token of the internal API; `None` refuses every internal call.
    pub admin_token: Option<String>,
    /// The Boxo host surface.
    pub boxo: BoxoSettings,
    /// Miniapp API rate limit: sustained requests per second per miniapp.
    pub rate_limit_per_second: u32,
    /// Miniapp API rate limit: burst size per miniapp.
    pub rate_limit_burst: u32,
}

/// The Boxo host surface's settings. `Debug` masks every secret.
#[derive(Clone)]
pub struct BoxoSettings {
    /// `boxo.client_id`; with `secret_key` unset the surface answers `NO_INTEGRATION`.
    pub client_id: Option<String>,
    /// `boxo.secret_key`.
    pub secret_key: Option<String>,
    /// `boxo.auth_prefix` (default `Token`).
    pub auth_prefix: String,
    /// `boxo.allowed_ips`; empty allows all.
    pub allowed_ips: Vec<IpAddr>,
    /// `boxo.trusted_proxies`: peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Request signing.
    pub signing: SigningSettings,
}

impl Default for BoxoSettings {
    fn default() -> Self {
        BoxoSettings {
            client_id: None,
            secret_key: None,
            auth_prefix: "Token".to_owned(),
            allowed_ips: Vec::new(),
            trusted_proxies: Vec::new(),
            signing: SigningSettings::default(),
        }
    }
}

/// Boxo request signing (api.md section 6). `Debug` masks the secret.
#[derive(Clone)]
pub struct SigningSettings {
    /// `boxo.signing.secret`: set = outgoing calls are signed.
    pub secret: Option<String>,
    /// `boxo.signing.verify_incoming`.
    pub verify_incoming: bool,
    /// `boxo.signing.payload_template`.
    pub payload_template: String,
    /// Header carrying the signature.
    pub signature_header: String,
    /// Header carrying the timestamp.
    pub timestamp_header: String,
    /// Header carrying the nonce.
    pub nonce_header: String,
    /// Header carrying the client id.
    pub client_id_header: String,
}

impl Default for SigningSettings {
    fn default() -> Self {
        SigningSettings {
            secret: None,
            verify_incoming: false,
            payload_template: "{timestamp}.{nonce}.{request_method}.{url}.{payload}".to_owned(),
            signature_header: "X-Signature".to_owned(),
            timestamp_header: "X-Timestamp".to_owned(),
            nonce_header: "X-Nonce".to_owned(),
            client_id_header: "X-Client-Id".to_owned(),
        }
    }
}

/// How a secret shows in `Debug` output: whether it is set, never its value.
fn masked(secret: &Option<String>) -> &'static str {
    match secret {
        Some(_) => "<set>",
        None => "<unset>",
    }
}

impl fmt::Debug for HttpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSettings")
            .field("admin_token", &masked(&self.admin_token))
            .field("boxo", &self.boxo)
            .field("rate_limit_per_second", &self.rate_limit_per_second)
            .field("rate_limit_burst", &self.rate_limit_burst)
            .finish()
    }
}

impl fmt::Debug for BoxoSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoxoSettings")
            .field("client_id", &self.client_id)
            .field("secret_key", &masked(&self.secret_key))
            .field("auth_prefix", &self.auth_prefix)
            .field("allowed_ips", &self.allowed_ips)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("signing", &self.signing)
            .finish()
    }
}

impl fmt::Debug for SigningSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningSettings")
            .field("secret", &masked(&self.secret))
            .field("verify_incoming", &self.verify_incoming)
            .field("payload_template", &self.payload_template)
            .field("signature_header", &self.signature_header)
            .field("timestamp_header", &self.timestamp_header)
            .field("nonce_header", &self.nonce_header)
            .field("client_id_header", &self.client_id_header)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_secrets() {
        let mut settings = HttpSettings {
            admin_token: Some("admin-secret-value".into()),
            ..HttpSettings::default()
        };
        settings.boxo.secret_key = Some("boxo-secret-value".into());
        settings.boxo.signing.secret = Some("signing-secret-value".into());
        let shown = format!("{settings:?}");
        assert!(!shown.contains("secret-value"), "{shown}");
        assert!(shown.contains("<set>"));
    }
}
