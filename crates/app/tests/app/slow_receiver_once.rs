//! A slow receiver does not get an event twice: two dispatchers (eight lanes) deliver
//! several complete-orders to a platform that answers just within the attempt timeout, and
//! the platform receives each event exactly once, on the in-memory store, SQLite and
//! PostgreSQL.
//!
//! The scene of issue 10 (timeout 40 s, receiver 35 s, five events) played 25 times faster
//! than real time: the dispatchers run on a [`FastClock`], the HTTP client's timeout is
//! 2 s of real time (50 s by that clock) and the platform answers after 1.5 s (37.5 s).
//! A lane that claimed all five events under one 120 s lease (4.8 s of real time) would
//! still be sending the fourth when the lease ran out, and the other dispatcher would send
//! the fourth and the fifth again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::dispatcher_harness::*;
use chrono::{TimeZone, Utc};
use hostpay_app::system::RandomIds;
use hostpay_domain::delivery::DeliveryState;
use hostpay_domain::ports::Clock;
use hostpay_domain::services::{Ports, Services};
use hostpay_store::testing::{PgTestDb, SqliteTestDb};
use hostpay_store::StoreOptions;
use hostpay_testkit::deliveries::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// How much faster than real time the dispatchers' clock runs.
const SCALE: u32 = 25;
/// The client's timeout in real time (50 s by the dispatchers' clock).
const TIMEOUT: Duration = Duration::from_secs(2);
/// How long the platform takes to answer, in real time (37.5 s by the dispatchers' clock).
const RECEIVER_DELAY: Duration = Duration::from_millis(1500);
/// Events to deliver.
const EVENTS: usize = 5;

/// The fast clock's start.
fn start_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

/// A platform that acknowledges every complete-order after [`RECEIVER_DELAY`].
async fn slow_platform() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(COMPLETE_ORDER))
        .respond_with(ResponseTemplate::new(200).set_delay(RECEIVER_DELAY))
        .mount(&server)
        .await;
    server
}

/// Services over `ports`, on `clock`, their Boxo port the real client against `server`.
fn instance(mut ports: Ports, clock: Arc<dyn Clock>, server: &MockServer) -> Services {
    ports.platform = boxo_client(server, TIMEOUT, clock.clone());
    ports.clock = clock;
    let mut settings = settings_for(TIMEOUT);
    // The timeout as the dispatchers' clock counts it.
    settings.delivery_timeout = chrono::Duration::from_std(TIMEOUT * SCALE).unwrap();
    Services::new(ports, settings)
}

/// The ports of one instance over a SQL database (its own pool); the upstreams are the
/// testkit's fakes until [`instance`] points Boxo at the platform.
async fn sql_ports(url: &str) -> Ports {
    let store = hostpay_store::connect(url, StoreOptions::default())
        .await
        .expect("connect to the test database");
    let (mut ports, _handles) = hostpay_testkit::in_memory_ports();
    ports.use_store(store.ports());
    ports.ids = Arc::new(RandomIds);
    ports
}

/// Queues [`EVENTS`] complete-orders, runs two dispatchers until all are delivered and a
/// while longer, and checks the platform received each event exactly once.
async fn each_event_is_received_once(first: Services, second: Services, server: &MockServer) {
    let app_id = register(&first).await;
    let mut payments = Vec::new();
    for n in 0..EVENTS {
        payments.push(paid_order(&first, &app_id, &format!("slow-{n}")).await);
    }
    assert_eq!(deliveries(&first).await.len(), EVENTS);

    let dispatchers = [start(&first), start(&second)];
    eventually("every event delivered", || async {
        deliveries(&second)
            .await
            .iter()
            .all(|d| d.state == DeliveryState::Delivered)
    })
    .await;
    // Long enough for a second claimer of a delivery to have sent it again: past one
    // claim's lease (50 s + 30 s = 3.2 s of real time).
    tokio::time::sleep(Duration::from_secs(4)).await;
    for dispatcher in dispatchers {
        dispatcher.stop().await;
    }

    let mut received: BTreeMap<String, usize> = BTreeMap::new();
    for request in server.received_requests().await.unwrap_or_default() {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        let id = body["order_payment_id"].as_str().unwrap().to_owned();
        *received.entry(id).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = payments
        .iter()
        .map(|id| (id.as_str().to_owned(), 1))
        .collect();
    assert_eq!(
        received, expected,
        "each event is received exactly once (payment id: times received)"
    );
    for delivery in deliveries(&first).await {
        assert_eq!(
            (delivery.state, delivery.attempts, delivery.last_status),
            (DeliveryState::Delivered, 1, Some(200)),
            "{delivery:?}"
        );
        let (_, attempts) = first.deliveries.get(&delivery.id).await.unwrap().unwrap();
        assert_eq!(attempts.len(), 1, "one attempt recorded: {attempts:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_memory_slow_receiver_gets_each_event_once() {
    let server = slow_platform().await;
    let (ports, _handles) = hostpay_testkit::in_memory_ports();
    let clock: Arc<dyn Clock> = Arc::new(FastClock::new(start_time(), SCALE));
    let first = instance(ports.clone(), clock.clone(), &server);
    let second = instance(ports, clock, &server);
    each_event_is_received_once(first, second, &server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_slow_receiver_gets_each_event_once() {
    let db = SqliteTestDb::create();
    let server = slow_platform().await;
    let clock: Arc<dyn Clock> = Arc::new(FastClock::new(start_time(), SCALE));
    let first = instance(sql_ports(&db.url).await, clock.clone(), &server);
    let second = instance(sql_ports(&db.url).await, clock, &server);
    each_event_is_received_once(first, second, &server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_slow_receiver_gets_each_event_once() {
    let db = PgTestDb::migrated().await;
    let server = slow_platform().await;
    let clock: Arc<dyn Clock> = Arc::new(FastClock::new(start_time(), SCALE));
    let first = instance(sql_ports(&db.url).await, clock.clone(), &server);
    let second = instance(sql_ports(&db.url).await, clock, &server);
    each_event_is_received_once(first, second, &server).await;
}
