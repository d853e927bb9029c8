//! Plugs hostpay together from its configuration: the store for `database.url`, the
//! upstream clients, the metering decorators, the services and the HTTP settings.

use std::sync::Arc;
use std::time::Duration;

use hostpay_boxo::SigningSetup;
use hostpay_domain::delivery::RetryPolicy;
use hostpay_domain::ids::IdGenerator;
use hostpay_domain::miniapp::SecretKeyring;
use hostpay_domain::ports::{Clock, MiniappPlatform, PaymentProcessor, WebhookSender};
use hostpay_domain::services::{ConnectSettings, PaymentSettings, Ports, Services, Settings};
use hostpay_http::{AppState, BoxoSettings, HttpSettings};
use hostpay_upstream::{
    BoxoClient, BoxoClientConfig, SandboxProcessor, SystemClock, WalletConfig, WalletProcessor,
    WebhookClient,
};

use crate::config::{Config, DatabaseConfig, ProcessorKind};
use crate::metered::{MeteredBoxo, MeteredPayments, MeteredWebhooks};
use crate::startup::StartupError;
use crate::store::OpenedStore;
use crate::system::RandomIds;

/// Applies pending migrations; returns what was applied, for the log.
pub async fn migrate(database: &DatabaseConfig) -> Result<Vec<String>, StartupError> {
    crate::store::migrate(database).await
}

/// Everything an instance runs with.
#[derive(Clone)]
pub struct Wired {
    /// The ports (the workers prune through them).
    pub ports: Ports,
    /// The use cases.
    pub services: Services,
    /// What both listeners share.
    pub state: AppState,
    /// The SQL store (pool metrics), when there is one.
    pub store: Option<Arc<hostpay_store::Store>>,
}

/// The services' settings from the configuration.
pub fn settings(config: &Config) -> Settings {
    Settings {
        payments: PaymentSettings {
            session_ttl: chrono::Duration::seconds(i64::from(
                config.checkout.session_ttl_seconds.get(),
            )),
            public_url: config
                .server
                .public_url
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
        },
        keyring: SecretKeyring::new(config.security.hash_key.expose().as_bytes().to_vec()),
        retry: RetryPolicy {
            base: chrono::Duration::seconds(i64::from(config.delivery.retry_base_seconds.get())),
            max_attempts: i32::from(config.delivery.max_attempts.get()),
        },
        delivery_timeout: chrono::Duration::seconds(
            i64::try_from(config.delivery.timeout_seconds).unwrap_or(i64::MAX),
        ),
        connect: ConnectSettings {
            access_token_ttl: chrono::Duration::seconds(config.connect.access_token_ttl_seconds),
        },
        encrypted_webhooks_only: config.delivery.require_https,
    }
}

/// The HTTP surfaces' settings from the configuration and its validated signing (the
/// incoming verifier).
pub fn http_settings(config: &Config, signing: &SigningSetup) -> HttpSettings {
    HttpSettings {
        admin_token: config
            .internal
            .admin_token
            .as_ref()
            .map(|t| t.expose().to_owned()),
        boxo: BoxoSettings {
            client_id: config.boxo.client_id.clone(),
            secret_key: config
                .boxo
                .secret_key
                .as_ref()
                .map(|s| s.expose().to_owned()),
            auth_prefix: config.boxo.auth_prefix.clone(),
            allowed_ips: config.boxo.allowed_ips.clone(),
            trusted_proxies: config.boxo.trusted_proxies.clone(),
            verify_incoming: config.boxo.signing.verify_incoming,
            verifier: signing.verifier.clone(),
            accept_access_token: config.boxo.accept_access_token,
        },
        rate_limit_per_second: config.rate_limit.per_second.get(),
        rate_limit_burst: config.rate_limit.burst.get(),
    }
}

fn upstream_error(key: &'static str) -> impl FnOnce(hostpay_upstream::ClientError) -> StartupError {
    move |error| StartupError::Upstream {
        key,
        reason: error.to_string(),
    }
}

/// The processor of `processor.kind`.
fn processor(config: &Config) -> Result<Arc<dyn PaymentProcessor>, StartupError> {
    match config.processor.kind {
        ProcessorKind::Sandbox => Ok(Arc::new(SandboxProcessor::new())),
        ProcessorKind::Http => {
            let wallet_url = config
                .processor
                .wallet_url
                .as_ref()
                .map(|url| url.as_str().to_owned())
                .ok_or(StartupError::Upstream {
                    key: "processor.wallet_url",
                    reason: "required when processor.kind = \"http\"".to_owned(),
                })?;
            let wallet = WalletProcessor::new(WalletConfig {
                wallet_url,
                token: config
                    .processor
                    .wallet_token
                    .as_ref()
                    .map(|t| t.expose().to_owned()),
                timeout: Duration::from_secs(config.processor.timeout_seconds.get()),
            })
            .map_err(upstream_error("processor.wallet_url"))?;
            Ok(Arc::new(wallet))
        }
    }
}

/// The outbound clients: Boxo complete-order and miniapp webhooks.
type Outbound = (Arc<dyn MiniappPlatform>, Arc<dyn WebhookSender>);

/// The Boxo complete-order client and the webhook sender, metered.
fn outbound(config: &Config, signing: &SigningSetup) -> Result<Outbound, StartupError> {
    let timeout = Duration::from_secs(config.delivery.timeout_seconds);
    let boxo = BoxoClient::new(BoxoClientConfig {
        platform_url: config
            .boxo
            .platform_url
            .as_ref()
            .map(|url| url.as_str().to_owned()),
        client_id: config.boxo.client_id.clone(),
        signer: signing.signer.clone(),
        timeout,
    })
    .map_err(upstream_error("boxo.platform_url"))?;
    let webhooks = WebhookClient::new(timeout)
        .map_err(upstream_error("delivery.timeout_seconds"))?
        .require_https(config.delivery.require_https);
    Ok((
        Arc::new(MeteredBoxo::new(Arc::new(boxo))),
        Arc::new(MeteredWebhooks::new(Arc::new(webhooks))),
    ))
}

/// Wires an instance over an opened store.
pub fn wire(config: &Config, opened: OpenedStore) -> Result<Wired, StartupError> {
    hostpay_upstream::install_crypto_provider();
    let signing = config.signing_setup()?;
    let (boxo, webhooks) = outbound(config, &signing)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ids: Arc<dyn IdGenerator> = Arc::new(RandomIds);
    let sql_store = opened.store.clone();
    let store = opened.ports;
    let ports = Ports {
        payments: Arc::new(MeteredPayments::new(store.payments)),
        order_activities: store.order_activities,
        apps: store.apps,
        user_tokens: store.user_tokens,
        idempotency: store.idempotency,
        outbox: store.outbox,
        processor: processor(config)?,
        platform: boxo,
        webhooks,
        clock,
        ids,
        nonces: store.nonces,
        health: store.health,
        connect: store.connect,
    };
    let services = Services::new(ports.clone(), settings(config));
    let state = AppState {
        services: services.clone(),
        settings: http_settings(config, &signing),
    };
    Ok(Wired {
        ports,
        services,
        state,
        store: sql_store,
    })
}

/// Opens the store (migrating first when configured) and wires an instance.
pub async fn build(config: &Config, migrate_first: bool) -> Result<Wired, StartupError> {
    let store = crate::store::open(&config.database, migrate_first).await?;
    wire(config, store)
}
