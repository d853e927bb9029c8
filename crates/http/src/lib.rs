//! # hostpay-http
//!
//! The inbound adapter: actix-web routes for hostpay's four surfaces, their wire DTOs,
//! auth extractors, error mapping, and the OpenAPI document. Handlers are a few lines:
//! extract, call a service of `hostpay-domain`, map the result.
//!
//! - [`public_app`] configures the public listener (miniapp API, Boxo host API, checkout);
//! - [`internal_app`] configures the internal listener (operators and the host's systems).

pub mod boxo;
pub mod checkout;
pub mod control_chars;
pub mod envelope;
pub mod health;
pub mod internal;
pub mod json;
pub mod miniapp;
pub mod observability;
pub mod openapi;
pub mod rate_limit;
pub mod routes;
pub mod state;
pub mod strict_json;

pub use state::{AppState, BoxoSettings, HttpSettings};

use actix_web::web;

/// Routes of the public listener: `/api/v1`, `/boxo/v1`, `/checkout`, plus health and
/// OpenAPI (no metrics: those are the internal listener's). What it serves is
/// [`routes::endpoints`]`(Public)`, which its `/openapi.json` documents.
pub fn public_app(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    routes::public(cfg);
}

/// Routes of the internal listener: `/internal/v1`, plus health, metrics and OpenAPI.
/// What it serves is [`routes::endpoints`]`(Internal)`, which its `/openapi.json`
/// documents.
pub fn internal_app(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    health::configure_metrics(cfg);
    routes::internal(cfg);
}
