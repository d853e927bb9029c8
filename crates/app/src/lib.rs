//! # hostpay-app
//!
//! hostpay's wiring: configuration, tracing, the store and upstreams, background workers
//! and the CLI of the `hostpay` binary.

#![deny(missing_docs)]

pub mod cli;
pub mod config;
pub mod credential_cache;
pub mod dispatcher;
pub mod metered;
pub mod server;
pub mod startup;
pub mod store;
pub mod system;
pub mod telemetry;
pub mod wiring;
pub mod workers;
