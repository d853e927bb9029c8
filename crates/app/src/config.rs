//! Layered configuration (api.md section 8): built-in defaults, then an optional
//! `hostpay.toml` (path from `--config` or `HOSTPAY_CONFIG`), then `HOSTPAY__SECTION__KEY`
//! environment variables. An invalid value stops start-up with a message naming the key.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::num::{NonZeroU16, NonZeroU32, NonZeroU64};
use std::path::{Path, PathBuf};

use hostpay_domain::connect::{MAX_ACCESS_TOKEN_TTL_SECONDS, MIN_ACCESS_TOKEN_TTL_SECONDS};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

/// The built-in development key for keyed hashes of secrets; a loud warning is logged at
/// start-up while it is in use.
pub const DEVELOPMENT_HASH_KEY: &str = "hostpay-development-hash-key-change-me";

/// The built-in defaults, as a TOML document (also the reference of every key).
pub const DEFAULTS: &str = r#"
[database]
url = "sqlite://hostpay.db"
pool_size = 10

[server]
bind = "127.0.0.1:8080"
public_url = "http://127.0.0.1:8080"
request_timeout_seconds = 30

[internal]
bind = "127.0.0.1:8081"

[boxo]
auth_prefix = "Token"
allowed_ips = []
trusted_proxies = []

[boxo.signing]
verify_incoming = false
payload_template = "{timestamp}.{nonce}.{request_method}.{url}.{payload}"
signature_header = "X-Signature"
timestamp_header = "X-Timestamp"
nonce_header = "X-Nonce"
client_id_header = "X-Client-Id"

[connect]
access_token_ttl_seconds = 3600

[processor]
kind = "sandbox"
timeout_seconds = 10

[checkout]
session_ttl_seconds = 900

[delivery]
retry_base_seconds = 60
max_attempts = 16
require_https = false
timeout_seconds = 10

[rate_limit]
per_second = 500
burst = 1000

[security]
hash_key = "hostpay-development-hash-key-change-me"

[log]
format = "pretty"
level = "info"
"#;

/// A list of IP addresses: a TOML array, or comma-separated text (environment).
fn ip_list<'de, D>(deserializer: D) -> Result<Vec<IpAddr>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrText {
        List(Vec<String>),
        Text(String),
    }
    let items: Vec<String> = match ListOrText::deserialize(deserializer)? {
        ListOrText::List(items) => items,
        ListOrText::Text(text) => text.split(',').map(str::to_owned).collect(),
    };
    items
        .iter()
        .map(|item| item.trim())
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<IpAddr>()
                .map_err(|_| serde::de::Error::custom(format!("{item:?} is not an IP address")))
        })
        .collect()
}

/// A key whose value is one of a fixed set of names (`processor.kind`, `log.format`).
trait OneOf: Copy + 'static {
    /// Every accepted name with its value, in the order error messages list them (the
    /// names are also what `Serialize` writes: a unit test keeps the two in step).
    const VALUES: &'static [(&'static str, Self)];
}

/// Reads a [`OneOf`] value; anything else is refused naming the value and the accepted
/// names: `"paypal" is not one of sandbox, http` (the caller adds the key).
fn one_of<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: OneOf,
{
    let text = String::deserialize(deserializer)?;
    T::VALUES
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, value)| *value)
        .ok_or_else(|| {
            let names: Vec<&str> = T::VALUES.iter().map(|(name, _)| *name).collect();
            serde::de::Error::custom(format!("{text:?} is not one of {}", names.join(", ")))
        })
}

/// A listener address (`server.bind`, `internal.bind`): an IP address and a port.
fn host_port<'de, D>(deserializer: D) -> Result<SocketAddr, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let text = String::deserialize(deserializer)?;
    text.parse::<SocketAddr>().map_err(|_| {
        serde::de::Error::custom(format!(
            "{text:?} is not a host:port address (an IP address and a port, \
             e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080)"
        ))
    })
}

/// A secret value (`secrecy::SecretString`: zeroed when dropped): never printed by `Debug`,
/// masked when serialised (`config check`).
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(SecretString::from(value.into()))
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Secret) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for Secret {}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret::new(value)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret::new)
    }
}

/// An `http://` or `https://` URL with a host (`server.public_url`, `boxo.platform_url`,
/// `processor.wallet_url`), parsed by the `url` crate; keeps the text as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(String);

impl HttpUrl {
    /// Reads `text`; anything but an absolute http(s) URL with a host is refused.
    pub fn parse(text: &str) -> Result<HttpUrl, String> {
        let refused = || format!("{text:?} is not an http:// or https:// URL");
        let url = url::Url::parse(text.trim()).map_err(|_| refused())?;
        match (url.scheme(), url.host_str()) {
            ("http" | "https", Some(host)) if !host.is_empty() => {
                Ok(HttpUrl(text.trim().to_owned()))
            }
            _ => Err(refused()),
        }
    }

    /// The URL as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PartialEq<&str> for HttpUrl {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl<'de> Deserialize<'de> for HttpUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        HttpUrl::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for HttpUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// An optional [`HttpUrl`]; an empty string (an environment variable set to nothing) means
/// unset.
fn optional_url<'de, D>(deserializer: D) -> Result<Option<HttpUrl>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let value: Option<String> = Option::deserialize(deserializer)?;
    match value.filter(|text| !text.trim().is_empty()) {
        Some(text) => HttpUrl::parse(&text)
            .map(Some)
            .map_err(serde::de::Error::custom),
        None => Ok(None),
    }
}

/// An optional value where an empty string (an environment variable set to nothing)
/// means unset.
fn empty_as_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: From<String>,
{
    let value: Option<String> = Option::deserialize(deserializer)?;
    Ok(value.filter(|text| !text.trim().is_empty()).map(T::from))
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("********")
    }
}

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `database.*`.
    pub database: DatabaseConfig,
    /// `server.*`: the public listener.
    pub server: ServerConfig,
    /// `internal.*`: the internal listener.
    pub internal: InternalConfig,
    /// `boxo.*`: the Boxo host surface.
    pub boxo: BoxoConfig,
    /// `connect.*`: Boxo Connect.
    pub connect: ConnectConfig,
    /// `processor.*`: the payment processor.
    pub processor: ProcessorConfig,
    /// `checkout.*`.
    pub checkout: CheckoutConfig,
    /// `delivery.*`: the outbox dispatcher.
    pub delivery: DeliveryConfig,
    /// `rate_limit.*`: per-miniapp limit of the miniapp API.
    pub rate_limit: RateLimitConfig,
    /// `security.*`.
    pub security: SecurityConfig,
    /// `log.*`.
    pub log: LogConfig,
}

/// The longest a delivery attempt may wait for an answer. Each attempt's claim is leased for
/// this timeout plus a margin (`hostpay_domain::delivery::claim_lease`), so no other
/// instance takes the delivery over while the attempt may still run.
pub const MAX_DELIVERY_TIMEOUT_SECONDS: u64 = 100;

/// `database.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://...` (may carry a password: kept as a secret).
    pub url: hostpay_store::DatabaseUrl,
    /// Run pending migrations at start-up (default: true on SQLite, false on PostgreSQL).
    pub migrate_on_start: Option<bool>,
    /// Connections in the pool.
    pub pool_size: NonZeroU32,
}

impl DatabaseConfig {
    /// Whether `serve` migrates before listening.
    pub fn migrates_on_start(&self) -> bool {
        self.migrate_on_start.unwrap_or(self.url.is_sqlite())
    }
}

/// `server.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Public listener address.
    #[serde(deserialize_with = "host_port")]
    pub bind: SocketAddr,
    /// Base of `checkout_url`.
    pub public_url: HttpUrl,
    /// A request taking longer is answered 503 and abandoned.
    pub request_timeout_seconds: NonZeroU64,
}

/// `internal.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InternalConfig {
    /// Internal listener address.
    #[serde(deserialize_with = "host_port")]
    pub bind: SocketAddr,
    /// Bearer token of the internal API; unset refuses every internal call.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub admin_token: Option<Secret>,
}

/// `boxo.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoxoConfig {
    /// The client id the Boxo platform sends (and complete-order carries).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub client_id: Option<String>,
    /// The secret key the Boxo platform sends.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub secret_key: Option<Secret>,
    /// Prefix of the Authorization header.
    pub auth_prefix: String,
    /// Base URL of the Boxo platform for complete-order.
    #[serde(default, deserialize_with = "optional_url")]
    pub platform_url: Option<HttpUrl>,
    /// Allow-list of callers; empty allows all.
    #[serde(deserialize_with = "ip_list")]
    pub allowed_ips: Vec<IpAddr>,
    /// Peers whose `X-Forwarded-For` is believed.
    #[serde(deserialize_with = "ip_list")]
    pub trusted_proxies: Vec<IpAddr>,
    /// Request signing.
    pub signing: SigningConfig,
}

/// `boxo.signing.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningConfig {
    /// HMAC secret; set = outgoing calls are signed.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub secret: Option<Secret>,
    /// Require valid signatures on incoming Boxo calls.
    pub verify_incoming: bool,
    /// The signed payload's template.
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

/// `connect.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectConfig {
    /// Lifetime of a Boxo Connect access token, 60 to 86400 seconds.
    pub access_token_ttl_seconds: i64,
}

/// Which payment processor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProcessorKind {
    /// The built-in sandbox.
    Sandbox,
    /// The host's wallet over HTTP.
    Http,
}

impl OneOf for ProcessorKind {
    const VALUES: &'static [(&'static str, ProcessorKind)] = &[
        ("sandbox", ProcessorKind::Sandbox),
        ("http", ProcessorKind::Http),
    ];
}

impl<'de> Deserialize<'de> for ProcessorKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        one_of(deserializer)
    }
}

/// `processor.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessorConfig {
    /// `sandbox` or `http`.
    pub kind: ProcessorKind,
    /// Base URL of the wallet for `http`.
    #[serde(default, deserialize_with = "optional_url")]
    pub wallet_url: Option<HttpUrl>,
    /// Bearer token the wallet expects, if any.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub wallet_token: Option<Secret>,
    /// Timeout of one processor call.
    pub timeout_seconds: NonZeroU64,
}

/// `checkout.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutConfig {
    /// Payment-session lifetime.
    pub session_ttl_seconds: NonZeroU32,
}

/// `delivery.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryConfig {
    /// First retry delay.
    pub retry_base_seconds: NonZeroU32,
    /// Attempts before dead letter.
    pub max_attempts: NonZeroU16,
    /// Refuse plain-http webhook URLs.
    pub require_https: bool,
    /// Timeout of one outbound call (complete-order, webhook).
    pub timeout_seconds: u64,
}

/// `rate_limit.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Sustained requests per second per miniapp.
    pub per_second: NonZeroU32,
    /// Burst per miniapp.
    pub burst: NonZeroU32,
}

/// `security.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    /// Key of the keyed hashes that stand for secrets in the database.
    pub hash_key: Secret,
}

impl SecurityConfig {
    /// Whether the built-in development key is still in use.
    pub fn uses_development_key(&self) -> bool {
        self.hash_key.expose() == DEVELOPMENT_HASH_KEY
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

impl OneOf for LogFormat {
    const VALUES: &'static [(&'static str, LogFormat)] =
        &[("pretty", LogFormat::Pretty), ("json", LogFormat::Json)];
}

impl<'de> Deserialize<'de> for LogFormat {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        one_of(deserializer)
    }
}

/// `log.*`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `pretty` or `json`.
    pub format: LogFormat,
    /// A tracing filter (`info`, `hostpay=debug,info`); `RUST_LOG` overrides it.
    pub level: String,
}

/// Configuration that cannot be used; the message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or parsed.
    #[error("configuration file {path}: {reason}")]
    File {
        /// Which file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A key has a value that cannot be used.
    #[error("invalid configuration: {key}: {reason}")]
    Invalid {
        /// The key, e.g. `server.bind`.
        key: String,
        /// Why.
        reason: String,
    },
}

fn invalid(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        reason: reason.into(),
    }
}

/// Where the optional configuration file comes from.
pub fn config_path(explicit: Option<&Path>) -> Option<PathBuf> {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("HOSTPAY_CONFIG").map(PathBuf::from))
}

impl Config {
    /// Loads defaults, then the file (when given), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Config::load_from(file, std::env::vars())
    }

    /// Loads defaults, then the file (when given), then `HOSTPAY__...` variables of `env`.
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|error| ConfigError::File {
                path: path.display().to_string(),
                reason: error.to_string(),
            })?;
            builder = builder.add_source(config::File::from_str(&text, config::FileFormat::Toml));
        }
        let env: config::Map<String, String> = env
            .into_iter()
            .filter(|(key, _)| key.starts_with("HOSTPAY__"))
            .collect();
        let environment = config::Environment::with_prefix("HOSTPAY")
            .prefix_separator("__")
            .separator("__")
            .source(Some(env));
        let layered =
            builder
                .add_source(environment)
                .build()
                .map_err(|error| ConfigError::File {
                    path: file
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "(environment)".to_owned()),
                    reason: error.to_string(),
                })?;
        let config: Config = serde_path_to_error::deserialize(layered).map_err(|error| {
            let key = error.path().to_string();
            invalid(&key, reason_of(error.into_inner()))
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what types alone cannot.
    fn validate(&self) -> Result<(), ConfigError> {
        if self.boxo.auth_prefix.trim().is_empty() {
            return Err(invalid("boxo.auth_prefix", "must not be empty"));
        }
        if self.boxo.client_id.is_some() != self.boxo.secret_key.is_some() {
            return Err(invalid(
                "boxo.secret_key",
                "boxo.client_id and boxo.secret_key are set together or not at all",
            ));
        }
        self.validate_signing()?;
        let ttl_range = MIN_ACCESS_TOKEN_TTL_SECONDS..=MAX_ACCESS_TOKEN_TTL_SECONDS;
        if !ttl_range.contains(&self.connect.access_token_ttl_seconds) {
            return Err(invalid(
                "connect.access_token_ttl_seconds",
                format!(
                    "must be between {MIN_ACCESS_TOKEN_TTL_SECONDS} and \
                     {MAX_ACCESS_TOKEN_TTL_SECONDS}"
                ),
            ));
        }
        match (self.processor.kind, &self.processor.wallet_url) {
            (ProcessorKind::Http, None) => {
                return Err(invalid(
                    "processor.wallet_url",
                    "required when processor.kind = \"http\"",
                ))
            }
            (ProcessorKind::Http, Some(_)) | (ProcessorKind::Sandbox, _) => {}
        }
        if !(1..=MAX_DELIVERY_TIMEOUT_SECONDS).contains(&self.delivery.timeout_seconds) {
            return Err(invalid(
                "delivery.timeout_seconds",
                "must be between 1 and 100",
            ));
        }
        if self.security.hash_key.expose().len() < 16 {
            return Err(invalid(
                "security.hash_key",
                "must be at least 16 characters",
            ));
        }
        if let Some(token) = &self.internal.admin_token {
            if token.expose().len() < 16 {
                return Err(invalid(
                    "internal.admin_token",
                    "must be at least 16 characters",
                ));
            }
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level)
            .map_err(|error| invalid("log.level", error.to_string()))?;
        Ok(())
    }

    fn validate_signing(&self) -> Result<(), ConfigError> {
        let signing = &self.boxo.signing;
        if signing.verify_incoming && signing.secret.is_none() {
            return Err(invalid(
                "boxo.signing.secret",
                "required when boxo.signing.verify_incoming = true",
            ));
        }
        if signing.payload_template.trim().is_empty() {
            return Err(invalid(
                "boxo.signing.payload_template",
                "must not be empty",
            ));
        }
        let headers = [
            ("boxo.signing.signature_header", &signing.signature_header),
            ("boxo.signing.timestamp_header", &signing.timestamp_header),
            ("boxo.signing.nonce_header", &signing.nonce_header),
            ("boxo.signing.client_id_header", &signing.client_id_header),
        ];
        for (key, name) in headers {
            let token_char = |c: char| c.is_ascii_alphanumeric() || "-_".contains(c);
            if name.is_empty() || !name.chars().all(token_char) {
                return Err(invalid(key, "must be an HTTP header name"));
            }
        }
        Ok(())
    }

    /// The configuration as flat `key = value` pairs, secrets masked (for `config check`).
    pub fn masked_entries(&self) -> Vec<(String, serde_json::Value)> {
        let mut entries = Vec::new();
        let value = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        flatten("", &value, &mut entries);
        // Show what start-up will do, not the unset default.
        for (key, value) in &mut entries {
            if key == "database.migrate_on_start" {
                *value = serde_json::Value::Bool(self.database.migrates_on_start());
            }
        }
        entries
    }
}

/// Why a value was refused, without the `for key ...` the config crate appends (the
/// message names the key already, first).
fn reason_of(error: config::ConfigError) -> String {
    let from = |origin: Option<String>| origin.map(|o| format!(" (in {o})")).unwrap_or_default();
    match error {
        config::ConfigError::At { error, origin, .. } => reason_of(*error) + &from(origin),
        config::ConfigError::Type {
            unexpected,
            expected,
            origin,
            ..
        } => format!(
            "invalid type: {unexpected}, expected {expected}{}",
            from(origin)
        ),
        other => other.to_string(),
    }
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, inner, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::load_from(
            None,
            env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let config = load(&[]).unwrap();
        assert_eq!(config.database.url.expose(), "sqlite://hostpay.db");
        assert!(config.database.migrates_on_start());
        assert_eq!(config.server.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.server.public_url, "http://127.0.0.1:8080");
        assert_eq!(config.internal.bind.to_string(), "127.0.0.1:8081");
        assert!(config.internal.admin_token.is_none());
        assert_eq!(config.boxo.auth_prefix, "Token");
        assert!(config.boxo.allowed_ips.is_empty());
        assert!(!config.boxo.signing.verify_incoming);
        assert_eq!(config.processor.kind, ProcessorKind::Sandbox);
        assert_eq!(config.checkout.session_ttl_seconds.get(), 900);
        assert_eq!(config.delivery.retry_base_seconds.get(), 60);
        assert_eq!(config.delivery.max_attempts.get(), 16);
        assert!(!config.delivery.require_https);
        assert_eq!(config.rate_limit.per_second.get(), 500);
        assert_eq!(config.rate_limit.burst.get(), 1000);
        assert!(config.security.uses_development_key());
        assert_eq!(config.log.format, LogFormat::Pretty);
        assert_eq!(config.connect.access_token_ttl_seconds, 3600);
    }

    #[test]
    fn the_access_token_lifetime_is_bounded() {
        for (value, ok) in [
            ("59", false),
            ("60", true),
            ("86400", true),
            ("86401", false),
            ("-1", false),
            ("soon", false),
        ] {
            let loaded = load(&[("HOSTPAY__CONNECT__ACCESS_TOKEN_TTL_SECONDS", value)]);
            match loaded {
                Ok(config) => {
                    assert!(ok, "{value} accepted");
                    assert_eq!(config.connect.access_token_ttl_seconds.to_string(), value);
                }
                Err(error) => {
                    assert!(!ok, "{value} refused: {error}");
                    assert!(
                        error
                            .to_string()
                            .contains("connect.access_token_ttl_seconds"),
                        "{error}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_delivery_timeout_beyond_the_claim_is_refused() {
        let error = load(&[("HOSTPAY__DELIVERY__TIMEOUT_SECONDS", "101")]).unwrap_err();
        assert!(
            error.to_string().contains("delivery.timeout_seconds"),
            "{error}"
        );
        assert!(load(&[("HOSTPAY__DELIVERY__TIMEOUT_SECONDS", "100")]).is_ok());
    }

    #[test]
    fn config_check_shows_the_effective_migrate_on_start() {
        let effective = |env: &[(&str, &str)]| {
            load(env)
                .unwrap()
                .masked_entries()
                .into_iter()
                .find(|(key, _)| key == "database.migrate_on_start")
                .map(|(_, value)| value)
        };
        assert_eq!(effective(&[]), Some(serde_json::Value::Bool(true)));
        assert_eq!(
            effective(&[("HOSTPAY__DATABASE__URL", "postgres://db/hostpay")]),
            Some(serde_json::Value::Bool(false))
        );
    }

    #[test]
    fn environment_overrides_defaults() {
        let config = load(&[
            ("HOSTPAY__SERVER__BIND", "0.0.0.0:9000"),
            ("HOSTPAY__LOG__FORMAT", "json"),
            ("HOSTPAY__BOXO__ALLOWED_IPS", "10.0.0.1, 10.0.0.2"),
            ("HOSTPAY__BOXO__TRUSTED_PROXIES", "::1"),
            ("HOSTPAY__BOXO__CLIENT_ID", "007"),
            ("HOSTPAY__BOXO__SECRET_KEY", "1e5"),
            ("HOSTPAY__BOXO__SIGNING__VERIFY_INCOMING", "true"),
            ("HOSTPAY__BOXO__SIGNING__SECRET", "sign-me"),
            ("HOSTPAY__RATE_LIMIT__PER_SECOND", "7"),
            ("HOSTPAY__DATABASE__URL", "postgres://u:pw@db/hostpay"),
        ])
        .unwrap();
        assert_eq!(config.server.bind.to_string(), "0.0.0.0:9000");
        assert_eq!(config.log.format, LogFormat::Json);
        assert_eq!(config.boxo.allowed_ips.len(), 2);
        assert_eq!(config.boxo.trusted_proxies.len(), 1);
        assert_eq!(config.boxo.client_id.as_deref(), Some("007"));
        assert_eq!(
            config.boxo.secret_key.as_ref().map(Secret::expose),
            Some("1e5")
        );
        assert!(config.boxo.signing.verify_incoming);
        assert_eq!(config.rate_limit.per_second.get(), 7);
        assert!(!config.database.migrates_on_start());
    }

    #[test]
    fn file_sits_between_defaults_and_environment() {
        let dir = std::env::temp_dir().join(format!("hostpay-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hostpay.toml");
        std::fs::write(
            &path,
            "[server]\nbind = \"127.0.0.1:7000\"\npublic_url = \"https://pay.example\"\n",
        )
        .unwrap();
        let config = Config::load_from(
            Some(&path),
            [(
                "HOSTPAY__SERVER__BIND".to_owned(),
                "127.0.0.1:7001".to_owned(),
            )],
        )
        .unwrap();
        assert_eq!(config.server.bind.to_string(), "127.0.0.1:7001");
        assert_eq!(config.server.public_url, "https://pay.example");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn invalid_values_name_their_key() {
        let cases = [
            ("HOSTPAY__SERVER__BIND", "nonsense", "server.bind"),
            ("HOSTPAY__INTERNAL__BIND", "x", "internal.bind"),
            ("HOSTPAY__LOG__FORMAT", "xml", "log.format"),
            ("HOSTPAY__PROCESSOR__KIND", "paypal", "processor.kind"),
            (
                "HOSTPAY__DELIVERY__MAX_ATTEMPTS",
                "many",
                "delivery.max_attempts",
            ),
            ("HOSTPAY__DATABASE__URL", "mysql://x", "database.url"),
            (
                "HOSTPAY__BOXO__ALLOWED_IPS",
                "1.2.3.4,nope",
                "boxo.allowed_ips",
            ),
            ("HOSTPAY__RATE_LIMIT__BURST", "0", "rate_limit.burst"),
            ("HOSTPAY__SERVER__BINDD", "127.0.0.1:1", "bindd"),
        ];
        for (name, value, key) in cases {
            let error = load(&[(name, value)]).unwrap_err().to_string();
            assert!(error.contains(key), "{name}={value}: {error}");
        }
    }

    #[test]
    fn one_of_names_are_what_config_check_prints() {
        fn check<T: OneOf + Serialize + PartialEq + fmt::Debug>() {
            for (name, value) in T::VALUES {
                assert_eq!(serde_json::to_value(value).unwrap(), *name);
                let read: T = one_of(serde_json::Value::from(*name)).unwrap();
                assert_eq!(read, *value);
            }
        }
        check::<ProcessorKind>();
        check::<LogFormat>();
    }

    #[test]
    fn empty_values_mean_unset() {
        let config = load(&[
            ("HOSTPAY__INTERNAL__ADMIN_TOKEN", ""),
            ("HOSTPAY__BOXO__PLATFORM_URL", ""),
        ])
        .unwrap();
        assert!(config.internal.admin_token.is_none());
        assert!(config.boxo.platform_url.is_none());
    }

    #[test]
    fn secrets_never_show() {
        let config = load(&[
            ("HOSTPAY__INTERNAL__ADMIN_TOKEN", "admin-token-0123456789"),
            ("HOSTPAY__BOXO__CLIENT_ID", "client"),
            ("HOSTPAY__BOXO__SECRET_KEY", "boxo-secret-value"),
            (
                "HOSTPAY__DATABASE__URL",
                "postgres://u:db-password@db/hostpay",
            ),
        ])
        .unwrap();
        let debug = format!("{config:?}");
        let entries = format!("{:?}", config.masked_entries());
        for text in [debug, entries] {
            assert!(!text.contains("admin-token-0123456789"));
            assert!(!text.contains("boxo-secret-value"));
            assert!(!text.contains("db-password"));
            assert!(!text.contains(DEVELOPMENT_HASH_KEY));
        }
    }

    #[test]
    fn typed_values_refuse_what_their_type_cannot_hold_naming_the_key() {
        let cases = [
            ("HOSTPAY__DATABASE__POOL_SIZE", "0", "database.pool_size"),
            (
                "HOSTPAY__DELIVERY__MAX_ATTEMPTS",
                "0",
                "delivery.max_attempts",
            ),
            ("HOSTPAY__RATE_LIMIT__BURST", "0", "rate_limit.burst"),
            (
                "HOSTPAY__SERVER__PUBLIC_URL",
                "ftp://example.com",
                "server.public_url",
            ),
            (
                "HOSTPAY__SERVER__PUBLIC_URL",
                "http://",
                "server.public_url",
            ),
            (
                "HOSTPAY__BOXO__PLATFORM_URL",
                "not a url",
                "boxo.platform_url",
            ),
            ("HOSTPAY__DATABASE__URL", "mysql://db/x", "database.url"),
        ];
        for (name, value, key) in cases {
            match load(&[(name, value)]) {
                Err(ConfigError::Invalid { key: named, reason }) => {
                    assert_eq!(named, key, "{name}={value}: {reason}");
                }
                other => panic!("{name}={value}: expected a refusal naming {key}, got {other:?}"),
            }
        }
    }

    #[test]
    fn an_empty_optional_url_is_unset_and_a_url_keeps_its_text() {
        let config = load(&[
            ("HOSTPAY__BOXO__PLATFORM_URL", ""),
            (
                "HOSTPAY__SERVER__PUBLIC_URL",
                "https://pay.example.com/base",
            ),
        ])
        .unwrap();
        assert!(config.boxo.platform_url.is_none());
        assert_eq!(
            config.server.public_url.as_str(),
            "https://pay.example.com/base"
        );
        let debug = format!("{:?}", config.database.url);
        assert_eq!(debug, "sqlite://hostpay.db");
    }
}
