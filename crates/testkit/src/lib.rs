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
//! - [`orders`]: orders, payment details and upserts read from JSON literals;
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
pub mod orders;
mod store;
mod wiring;

pub use clock::{default_start, FixedClock};
pub use fakes::{
    acknowledged, permanent, retryable, RecordingBoxo, RecordingWebhooks, SentWebhook,
};
#[cfg(feature = "harness")]
pub use harness::{app, auth, boxo, deliveries, process};
pub use ids::SequentialIds;
pub use store::MemoryStore;
pub use wiring::{
    in_memory_ports, in_memory_services, ports_from, test_settings, Handles, TEST_HASH_KEY,
};
