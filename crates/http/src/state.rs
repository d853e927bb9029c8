//! What every handler can reach: the services and the HTTP-side settings.

use std::fmt;
use std::net::IpAddr;

use hostpay_boxo::Verifier;
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
    /// `boxo.signing.verify_incoming`: incoming calls must be signed. On without a
    /// [`verifier`](BoxoSettings::verifier) every call is refused with
    /// `MISSING_REQUEST_SIGNATURE_SETTINGS`.
    pub verify_incoming: bool,
    /// The verifier `hostpay_boxo::SigningSettings::validate` built (present exactly when
    /// `verify_incoming` is on and its key is configured).
    pub verifier: Option<Verifier>,
    /// `boxo.accept_access_token`: the create and status calls may carry a Boxo Connect
    /// access token instead of the client credentials.
    pub accept_access_token: bool,
}

impl Default for BoxoSettings {
    fn default() -> Self {
        BoxoSettings {
            client_id: None,
            secret_key: None,
            auth_prefix: "Token".to_owned(),
            allowed_ips: Vec::new(),
            trusted_proxies: Vec::new(),
            verify_incoming: false,
            verifier: None,
            accept_access_token: false,
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
            .field("verify_incoming", &self.verify_incoming)
            .field("verifier", &self.verifier)
            .field("accept_access_token", &self.accept_access_token)
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
        settings.boxo.verifier = hostpay_boxo::SigningSettings {
            secret: Some("signing-secret-value".into()),
            verify_incoming: true,
            ..hostpay_boxo::SigningSettings::default()
        }
        .validate()
        .unwrap()
        .verifier;
        let shown = format!("{settings:?}");
        assert!(!shown.contains("secret-value"), "{shown}");
        assert!(shown.contains("<set>"));
    }
}
