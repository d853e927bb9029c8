//! A whole hostpay wired in memory: the ports, the handles to steer them, test settings.

use std::sync::Arc;

use chrono::Duration;
use hostpay_domain::delivery::RetryPolicy;
use hostpay_domain::miniapp::SecretKeyring;
use hostpay_domain::services::{ConnectSettings, PaymentSettings, Ports, Services, Settings};
use hostpay_upstream::SandboxProcessor;

use crate::clock::FixedClock;
use crate::fakes::{RecordingBoxo, RecordingWebhooks};
use crate::ids::SequentialIds;
use crate::store::MemoryStore;

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

/// Every port in memory: one [`MemoryStore`], a [`FixedClock`] at [`default_start`](crate::default_start),
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
        encrypted_webhooks_only: false,
    }
}

/// Every service over [`in_memory_ports`] and [`test_settings`].
pub fn in_memory_services() -> (Services, Handles) {
    let (ports, handles) = in_memory_ports();
    (Services::new(ports, test_settings()), handles)
}
