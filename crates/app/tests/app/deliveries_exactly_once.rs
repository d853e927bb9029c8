//! Two hostpay instances (two dispatchers, two connection pools) on one PostgreSQL
//! database deliver 200 complete-orders: the fake platform acknowledges each exactly
//! once. Needs PostgreSQL at `HOSTPAY_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); a fresh database is created for the
//! run and dropped after it. Fails (never skips) when the server is unreachable.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::dispatcher_harness::*;
use hostpay_app::system::RandomIds;
use hostpay_domain::page::PageRequest;
use hostpay_domain::ports::Clock;
use hostpay_domain::services::{Ports, Services};
use hostpay_store::testing::PgTestDb;
use hostpay_store::StoreOptions;
use hostpay_testkit::deliveries::*;
use hostpay_testkit::RecordingWebhooks;
use hostpay_upstream::{SandboxProcessor, SystemClock};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EVENTS: usize = 200;

/// One hostpay instance: its own pool on the shared database, its own Boxo client.
async fn instance(url: &str, server: &MockServer) -> Services {
    let store = hostpay_store::connect(url, StoreOptions::default())
        .await
        .expect("connect to the test database");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ports = Ports {
        payments: store.payments(),
        order_activities: store.order_activities(),
        apps: store.apps(),
        user_tokens: store.user_tokens(),
        idempotency: store.idempotency(),
        outbox: store.outbox(),
        processor: Arc::new(SandboxProcessor::new()),
        platform: boxo_client(server, Duration::from_secs(10), clock.clone()),
        webhooks: Arc::new(RecordingWebhooks::new()),
        clock,
        ids: Arc::new(RandomIds),
        nonces: store.nonces(),
        health: store.health(),
        connect: store.connect(),
    };
    Services::new(ports, settings())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_dispatchers_on_one_database_acknowledge_each_event_once() {
    let db = PgTestDb::migrated().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(COMPLETE_ORDER))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(2)))
        .mount(&server)
        .await;

    let first = instance(&db.url, &server).await;
    let second = instance(&db.url, &server).await;
    let app_id = register(&first).await;
    let mut payments = Vec::with_capacity(EVENTS);
    for n in 0..EVENTS {
        payments.push(paid_order(&first, &app_id, &format!("order-{n}")).await);
    }
    assert_eq!(
        first.deliveries.depth().await.unwrap().pending,
        EVENTS as u64
    );

    let dispatchers = [start(&first), start(&second)];
    eventually("every event delivered", || async {
        let depth = second.deliveries.depth().await.unwrap();
        depth.pending == 0 && depth.dead == 0
    })
    .await;
    for dispatcher in dispatchers {
        dispatcher.stop().await;
    }

    // The platform saw each order exactly once.
    let requests = server.received_requests().await.unwrap();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for request in &requests {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body["payment_status"], "paid");
        *seen
            .entry(body["order_payment_id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(requests.len(), EVENTS);
    assert_eq!(seen.len(), EVENTS);
    for payment in &payments {
        assert_eq!(seen.get(payment.as_str()), Some(&1), "{payment}");
    }

    // And the store recorded one acknowledged attempt per delivery.
    let mut page = PageRequest::first(100);
    let mut delivered = 0;
    loop {
        let listed = first.deliveries.list(None, &page).await.unwrap();
        for delivery in &listed.items {
            assert_eq!(delivery.attempts, 1, "{delivery:?}");
            delivered += 1;
        }
        match listed.next_cursor {
            Some(cursor) => page = PageRequest::parse(Some(100), Some(&cursor)).unwrap(),
            None => break,
        }
    }
    assert_eq!(delivered, EVENTS);
}
