//! # hostpay-testkit
//!
//! Test doubles for hostpay, for tests only:
//!
//! - [`MemoryStore`]: every store port in memory, honouring the same rules a database
//!   does (conditional writes by version, unique keys, events and deliveries written with
//!   the change, cursor pagination, outbox leases, idempotency, nonces, single-use Boxo
//!   Connect codes);
//! - [`FixedClock`] and [`SequentialIds`]: a clock that moves only when told and
//!   deterministic ids and secrets;
//! - [`RecordingBoxo`] and [`RecordingWebhooks`]: fake upstreams that record each call
//!   and answer from a scripted queue (acknowledged by default);
//! - [`in_memory_ports`] and [`in_memory_services`]: a whole hostpay wired with all of
//!   the above and the sandbox processor;
//! - [`contract`]: the repository contract suite every store must pass, and
//!   [`contract_tests!`] to run it as one test per check;
//! - with the `harness` feature, the one harness of the HTTP and app tests: `auth` (the
//!   credentials, one `ADMIN_TOKEN`), `app` (`Harness::start(Backend::...)`: the real
//!   actix app over any store), `boxo`, `deliveries` and `process` (the `hostpay`
//!   binary).

#![deny(missing_docs)]

mod clock;
pub mod contract;
mod fakes;
pub mod faults;
#[cfg(feature = "harness")]
pub mod harness;
mod ids;
pub mod import_graph;
mod store;

use std::sync::Arc;

use chrono::Duration;
use hostpay_domain::delivery::RetryPolicy;
use hostpay_domain::miniapp::SecretKeyring;
use hostpay_domain::services::{ConnectSettings, PaymentSettings, Ports, Services, Settings};
use hostpay_upstream::SandboxProcessor;

pub use clock::{default_start, FixedClock};
pub use fakes::{
    acknowledged, permanent, retryable, RecordingBoxo, RecordingWebhooks, SentWebhook,
};
#[cfg(feature = "harness")]
pub use harness::{app, auth, boxo, deliveries, process};
pub use ids::SequentialIds;
pub use store::MemoryStore;

/// The key [`test_settings`] hashes secrets with.
pub const TEST_HASH_KEY: &str = "hostpay-test-hash-key";

/// Concrete handles on what [`in_memory_ports`] wired, to steer and inspect it.
#[derive(Clone)]
pub struct Handles {
    /// The store behind every store port.
    pub store: Arc<MemoryStore>,
    /// The clock.
    pub clock: Arc<FixedClock>,
    /// The id source.
    pub ids: Arc<SequentialIds>,
    /// The sandbox processor.
    pub processor: Arc<SandboxProcessor>,
    /// The fake Boxo platform.
    pub boxo: Arc<RecordingBoxo>,
    /// The fake webhook sender.
    pub webhooks: Arc<RecordingWebhooks>,
}

/// Every port in memory: one [`MemoryStore`], a [`FixedClock`] at [`default_start`],
/// [`SequentialIds`], the sandbox processor and recording fakes of Boxo and webhooks.
pub fn in_memory_ports() -> (Ports, Handles) {
    let handles = Handles {
        store: Arc::new(MemoryStore::new()),
        clock: Arc::new(FixedClock::default()),
        ids: Arc::new(SequentialIds::new()),
        processor: Arc::new(SandboxProcessor::new()),
        boxo: Arc::new(RecordingBoxo::new()),
        webhooks: Arc::new(RecordingWebhooks::new()),
    };
    (ports_from(&handles), handles)
}

/// The ports over these handles.
pub fn ports_from(handles: &Handles) -> Ports {
    let store = &handles.store;
    Ports {
        payments: store.clone(),
        order_activities: store.clone(),
        apps: store.clone(),
        user_tokens: store.clone(),
        idempotency: store.clone(),
        outbox: store.clone(),
        processor: handles.processor.clone(),
        platform: handles.boxo.clone(),
        webhooks: handles.webhooks.clone(),
        clock: handles.clock.clone(),
        ids: handles.ids.clone(),
        nonces: store.clone(),
        health: store.clone(),
        connect: store.clone(),
    }
}

/// Settings for tests: 900 s sessions, `http://127.0.0.1:8080`, the [`TEST_HASH_KEY`],
/// retries from 60 s up to 16 attempts, 10 s delivery attempts, plain-http webhooks allowed,
/// Boxo Connect access tokens of 3600 s.
pub fn test_settings() -> Settings {
    Settings {
        payments: PaymentSettings {
            session_ttl: Duration::seconds(900),
            public_url: "http://127.0.0.1:8080".to_owned(),
        },
        keyring: SecretKeyring::new(TEST_HASH_KEY.as_bytes().to_vec()),
        retry: RetryPolicy {
            base: Duration::seconds(60),
            max_attempts: 16,
        },
        delivery_timeout: Duration::seconds(10),
        connect: ConnectSettings::default(),
    }
}

/// Every service over [`in_memory_ports`] and [`test_settings`].
pub fn in_memory_services() -> (Services, Handles) {
    let (ports, handles) = in_memory_ports();
    (Services::new(ports, test_settings()), handles)
}
