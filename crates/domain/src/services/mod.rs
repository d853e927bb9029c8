//! The use cases: one function per business action, over the ports. Handlers call these
//! and map the result; nothing here knows a wire format, a transport or SQL.
//!
//! Each service is built from only the ports it uses (its `*Ports` struct, such as
//! [`CreatePaymentPorts`] or [`AppPorts`]), so it can be reused alone; [`Services::new`]
//! builds them all from one [`Ports`] bundle. This file only wires them: no service file
//! imports it.

mod apps;
mod connect;
mod deliveries;
mod order_activities;
mod payments;
mod platform_orders;
mod races;

use std::sync::Arc;

pub use crate::payment::CHARGE_RECONCILE_AFTER;
pub use apps::{AppPorts, AppService, AuthError};
pub use connect::{ConnectError, ConnectPorts, ConnectService, ConnectSettings};
pub use deliveries::{DeliveryPorts, DeliveryRetryError, DeliveryService, DispatchReport};
pub use order_activities::{
    OrderActivityError as ActivityServiceError, OrderActivityPorts, OrderActivityService,
};
pub use payments::{
    Checkout, CreatePayment, CreatePaymentPorts, CreatePaymentService, CreatedPayment, Idempotent,
    PaymentPorts, PaymentService, PaymentServiceError, PaymentSettings, PendingPayment,
    PendingRefund, SettleStatus, GRANT_PREFIX,
};
pub use platform_orders::{PlatformOrderError, PlatformOrderPorts, PlatformOrderService};

use crate::ids::IdGenerator;
use crate::miniapp::SecretKeyring;
use crate::ports::{
    AppRepository, Clock, ConnectRepository, IdempotencyStore, MiniappPlatform, NonceStore,
    OrderActivityRepository, Outbox, PaymentProcessor, PaymentRepository, StoreHealth,
    UserTokenRepository, WebhookSender,
};

/// Every port an instance of hostpay is wired with.
#[derive(Clone)]
pub struct Ports {
    /// Payments, refunds, sessions, events.
    pub payments: Arc<dyn PaymentRepository>,
    /// Order activities.
    pub order_activities: Arc<dyn OrderActivityRepository>,
    /// Miniapps.
    pub apps: Arc<dyn AppRepository>,
    /// User tokens.
    pub user_tokens: Arc<dyn UserTokenRepository>,
    /// Idempotency keys.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// The outbox's delivery side.
    pub outbox: Arc<dyn Outbox>,
    /// The payment processor.
    pub processor: Arc<dyn PaymentProcessor>,
    /// The miniapp platform (complete-order).
    pub platform: Arc<dyn MiniappPlatform>,
    /// Miniapp webhooks.
    pub webhooks: Arc<dyn WebhookSender>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Ids and secrets.
    pub ids: Arc<dyn IdGenerator>,
    /// Nonces of signed platform calls.
    pub nonces: Arc<dyn NonceStore>,
    /// Store readiness.
    pub health: Arc<dyn StoreHealth>,
    /// Single sign-on (Connect): auth codes and access tokens.
    pub connect: Arc<dyn ConnectRepository>,
}

impl Ports {
    /// These ports with every store port replaced by `store`'s.
    pub fn use_store(&mut self, store: crate::ports::StorePorts) {
        self.payments = store.payments;
        self.order_activities = store.order_activities;
        self.apps = store.apps;
        self.user_tokens = store.user_tokens;
        self.idempotency = store.idempotency;
        self.outbox = store.outbox;
        self.nonces = store.nonces;
        self.health = store.health;
        self.connect = store.connect;
    }
}

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Payment sessions and checkout URLs.
    pub payments: PaymentSettings,
    /// Hashes secrets, derives webhook secrets.
    pub keyring: SecretKeyring,
    /// Retry schedule of deliveries.
    pub retry: crate::delivery::RetryPolicy,
    /// The longest one delivery attempt may take (`delivery.timeout_seconds`); each
    /// attempt's claim lasts this plus [`CLAIM_MARGIN`](crate::delivery::CLAIM_MARGIN).
    pub delivery_timeout: chrono::Duration,
    /// Single sign-on (Connect) (`connect.*`).
    pub connect: ConnectSettings,
    /// Webhook URLs must be `https://` (refused at registration otherwise).
    pub encrypted_webhooks_only: bool,
}

/// All services of one hostpay instance, built from its ports.
#[derive(Clone)]
pub struct Services {
    /// Payments, refunds, checkout, settlement.
    pub payments: PaymentService,
    /// Order activities.
    pub order_activities: OrderActivityService,
    /// Miniapps and user tokens.
    pub apps: AppService,
    /// Orders the miniapp platform opens payments for.
    pub platform_orders: PlatformOrderService,
    /// Outbox delivery.
    pub deliveries: DeliveryService,
    /// Single sign-on (Connect): auth codes, access tokens, user data.
    pub connect: ConnectService,
    /// The time (for handlers that stamp things).
    pub clock: Arc<dyn Clock>,
    /// Nonces of signed platform calls (signature replay protection).
    pub nonces: Arc<dyn NonceStore>,
    /// Store readiness.
    pub health: Arc<dyn StoreHealth>,
}

impl Services {
    /// Wires the services over `ports`, each with only the ports it uses.
    pub fn new(ports: Ports, settings: Settings) -> Services {
        let payments = PaymentService::new(
            PaymentPorts {
                payments: ports.payments.clone(),
                apps: ports.apps.clone(),
                order_activities: ports.order_activities.clone(),
                idempotency: ports.idempotency.clone(),
                processor: ports.processor.clone(),
                clock: ports.clock.clone(),
                ids: ports.ids.clone(),
            },
            settings.keyring.clone(),
            settings.payments.clone(),
        );
        Services {
            platform_orders: PlatformOrderService::new(
                PlatformOrderPorts {
                    payments: ports.payments.clone(),
                    apps: ports.apps.clone(),
                },
                payments.creation().clone(),
            ),
            payments,
            order_activities: OrderActivityService::new(OrderActivityPorts {
                order_activities: ports.order_activities.clone(),
                payments: ports.payments.clone(),
                clock: ports.clock.clone(),
                ids: ports.ids.clone(),
            }),
            apps: AppService::new(
                AppPorts {
                    apps: ports.apps.clone(),
                    user_tokens: ports.user_tokens.clone(),
                    clock: ports.clock.clone(),
                    ids: ports.ids.clone(),
                },
                settings.keyring.clone(),
            )
            .requiring_encrypted_webhooks(settings.encrypted_webhooks_only),
            deliveries: DeliveryService::new(
                DeliveryPorts {
                    outbox: ports.outbox.clone(),
                    apps: ports.apps.clone(),
                    platform: ports.platform.clone(),
                    webhooks: ports.webhooks.clone(),
                    clock: ports.clock.clone(),
                },
                settings.keyring.clone(),
                settings.retry,
                settings.delivery_timeout,
            ),
            connect: ConnectService::new(
                ConnectPorts {
                    connect: ports.connect.clone(),
                    apps: ports.apps.clone(),
                    clock: ports.clock.clone(),
                    ids: ports.ids.clone(),
                },
                settings.keyring,
                settings.connect,
            ),
            clock: ports.clock,
            nonces: ports.nonces,
            health: ports.health,
        }
    }
}

#[cfg(test)]
mod tests;
