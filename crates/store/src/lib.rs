//! # hostpay-store
//!
//! hostpay's persistence: every store port of `hostpay-domain` on PostgreSQL (diesel-async
//! `AsyncPgConnection`, deadpool) and SQLite (`SyncConnectionWrapper<SqliteConnection>`,
//! WAL), from one code base: each repository is a `macro_rules!` body expanded per backend
//! (`dialect::for_each_backend`), and the few dialect differences live in `dialect`.
//!
//! ```no_run
//! # async fn run() -> Result<(), hostpay_domain::ports::StoreError> {
//! let store = hostpay_store::connect("sqlite://hostpay.db", Default::default()).await?;
//! let payments = store.payments(); // Arc<dyn PaymentRepository>
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod connect;
mod convert;
pub mod database;
mod details;
mod dialect;
mod error;
mod event_data;
mod health;
mod idempotency;
#[cfg(test)]
mod lane_tests;
pub mod migrations;
mod miniapps;
pub mod names;
mod nonces;
mod order_activities;
mod outbox;
mod payments;
mod profile;
pub mod schema;
mod sql_fragment;
pub mod sql_types;
mod sqlite_reader;
mod sqlite_writer;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod user_tokens;
mod write_batch;

pub use database::{DatabaseUrl, PoolSettings};
pub use migrations::{migrate, revert_all, MigrationReport};
pub use store::{connect, Backend, PoolStatus, Store, StoreOptions};
