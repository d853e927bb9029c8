//! The delivery tests' harness: a hostpay over the testkit's in-memory store whose Boxo
//! port is the real complete-order client pointed at a fake platform (wiremock), Boxo
//! orders that end in `paid`, a clock that runs faster than real time, and waiting for
//! the dispatcher (which the app's tests start: it lives in `hostpay-app`).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::wiring::{test_settings, Handles};
use chrono::{DateTime, SubsecRound, Utc};
use hostpay_domain::delivery::{Delivery, DeliveryAttempt, RetryPolicy, CLAIM_MARGIN};
use hostpay_domain::ids::PaymentId;
use hostpay_domain::miniapp::MiniappRegistration;
use hostpay_domain::order::OrderDetails;
use hostpay_domain::page::PageRequest;
use hostpay_domain::services::{Ports, Services, Settings, SettleStatus};
use hostpay_domain::validation::NonEmptyString;
use hostpay_upstream::{BoxoClient, BoxoClientConfig};
use serde_json::json;
use wiremock::MockServer;

/// The complete-order path.
pub const COMPLETE_ORDER: &str = "/api/v1/orders/complete-order/";
pub use super::auth::{BOXO_CLIENT_ID as CLIENT_ID, BOXO_SIGNING_SECRET as SIGNING_SECRET};
/// How often an idle dispatcher lane looks again in tests.
pub const POLL: Duration = Duration::from_millis(10);

/// Test settings with a 1 s retry base.
pub fn settings() -> Settings {
    let mut settings = test_settings();
    settings.retry = RetryPolicy {
        base: chrono::Duration::seconds(1),
        max_attempts: 16,
    };
    settings
}

/// [`settings`] whose delivery attempts may take up to `timeout` (what the clients get).
pub fn settings_for(timeout: Duration) -> Settings {
    let mut settings = settings();
    settings.delivery_timeout =
        chrono::Duration::from_std(timeout).expect("a timeout that fits a chrono::Duration");
    settings
}

/// A clock that runs `scale` times faster than real time from `start`: a receiver that
/// takes 1.5 s of real time takes `scale * 1.5` s by this clock, so minutes-long attempts
/// (and the leases they run under) play out in seconds.
pub struct FastClock {
    start: DateTime<Utc>,
    began: Instant,
    scale: u32,
}

impl FastClock {
    /// Starts now at `start`.
    pub fn new(start: DateTime<Utc>, scale: u32) -> FastClock {
        FastClock {
            start,
            began: Instant::now(),
            scale,
        }
    }
}

impl hostpay_domain::ports::Clock for FastClock {
    fn now(&self) -> DateTime<Utc> {
        let elapsed = self.began.elapsed() * self.scale;
        let elapsed = chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::MAX);
        (self.start + elapsed).trunc_subsecs(6)
    }
}

/// The real complete-order client against `server`, on `clock`.
pub fn boxo_client(
    server: &MockServer,
    timeout: Duration,
    clock: Arc<dyn hostpay_domain::ports::Clock>,
) -> Arc<BoxoClient> {
    Arc::new(
        BoxoClient::with_clock(
            BoxoClientConfig {
                platform_url: Some(server.uri()),
                client_id: Some(CLIENT_ID.to_owned()),
                signer: hostpay_boxo::SigningSettings {
                    secret: Some(SIGNING_SECRET.to_owned()),
                    ..hostpay_boxo::SigningSettings::default()
                }
                .validate()
                .unwrap()
                .signer,
                timeout,
            },
            clock,
        )
        .unwrap(),
    )
}

/// In-memory ports whose Boxo port talks to `server`.
pub fn ports_for(server: &MockServer, timeout: Duration) -> (Ports, Handles) {
    let (mut ports, handles) = crate::wiring::in_memory_ports();
    ports.platform = boxo_client(server, timeout, ports.clock.clone());
    (ports, handles)
}

/// Registers a miniapp and returns its id.
pub async fn register(services: &Services) -> String {
    let (app, _) = services
        .apps
        .register(MiniappRegistration {
            name: NonEmptyString::parse("Coffee Corner").unwrap(),
            webhook_url: None,
        })
        .await
        .unwrap();
    app.id.to_string()
}

/// A Boxo order of `app_id` settled `paid`: one complete-order delivery becomes due.
pub async fn paid_order(services: &Services, app_id: &str, order_id: &str) -> PaymentId {
    let order: OrderDetails = crate::orders::order_details(json!({
        "currency": "SAR",
        "amount": "25.00",
        "miniapp_order_id": order_id,
        "hostapp_user_id": "u-42",
        "custom_attributes": {"order": order_id}
    }));
    let id = services
        .platform_orders
        .create_order_payment(app_id, order, None)
        .await
        .unwrap();
    services
        .payments
        .settle(&id, SettleStatus::Paid)
        .await
        .unwrap();
    id
}

/// Polls `check` until it holds; fails after a generous deadline (a safety net, not a
/// timing assertion).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..3000 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("gave up waiting: {what}");
}

/// Every delivery, newest first.
pub async fn deliveries(services: &Services) -> Vec<Delivery> {
    services
        .deliveries
        .list(None, &PageRequest::first(100))
        .await
        .unwrap()
        .items
}

/// The only delivery and its attempts.
pub async fn only_delivery(services: &Services) -> (Delivery, Vec<DeliveryAttempt>) {
    let all = deliveries(services).await;
    assert_eq!(all.len(), 1, "{all:?}");
    services.deliveries.get(&all[0].id).await.unwrap().unwrap()
}

/// How many complete-orders the platform received.
pub async fn received(server: &MockServer) -> usize {
    server.received_requests().await.unwrap_or_default().len()
}

/// Moves the clock to the earliest scheduled retry, if any: never past a claim's lease
/// (a claimed delivery's next attempt is its lease end, at least [`CLAIM_MARGIN`] away),
/// so an attempt in flight is never taken over by another lane.
pub async fn to_next_retry(services: &Services, handles: &Handles) {
    use hostpay_domain::delivery::DeliveryState;
    use hostpay_domain::ports::Clock;
    let now = handles.clock.now();
    let next = deliveries(services)
        .await
        .into_iter()
        .filter(|d| d.state == DeliveryState::Pending && d.next_attempt_at > now)
        .map(|d| d.next_attempt_at)
        .filter(|at| *at - now < CLAIM_MARGIN)
        .min();
    if let Some(at) = next {
        handles.clock.set(at);
    }
}
