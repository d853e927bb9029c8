//! The use cases: one function per business action, over the ports. Handlers call these
//! and map the result; nothing here knows a wire format, a transport or SQL.

mod apps;
mod connect;
mod deliveries;
mod order_activities;
mod payments;
mod platform_orders;

use std::sync::Arc;

pub use crate::payment::CHARGE_RECONCILE_AFTER;
pub use apps::{AppService, AuthError};
pub use connect::{ConnectError, ConnectService, ConnectSettings};
pub use deliveries::{DeliveryRetryError, DeliveryService, DispatchReport};
pub use order_activities::{OrderActivityError as ActivityServiceError, OrderActivityService};
pub use payments::{
    Checkout, CreatePayment, CreatedPayment, Idempotent, PaymentService, PaymentServiceError,
    PaymentSettings, PendingPayment, PendingRefund, SettleStatus, GRANT_PREFIX,
};
pub use platform_orders::{PlatformOrderError, PlatformOrderService};

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
    /// Wires the services over `ports`.
    pub fn new(ports: Ports, settings: Settings) -> Services {
        let payments = PaymentService::new(&ports, &settings);
        Services {
            platform_orders: PlatformOrderService::new(&ports, payments.clone()),
            payments,
            order_activities: OrderActivityService::new(&ports),
            apps: AppService::new(&ports, &settings),
            deliveries: DeliveryService::new(&ports, &settings),
            connect: ConnectService::new(&ports, &settings),
            clock: ports.clock.clone(),
            nonces: ports.nonces.clone(),
            health: ports.health.clone(),
        }
    }
}

/// Runs `attempt` again while it reports a lost race, at most `MAX_CONFLICT_RETRIES` times.
pub(crate) const MAX_CONFLICT_RETRIES: usize = 200;

#[cfg(test)]
mod tests;
