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
pub mod envelope;
pub mod health;
pub mod internal;
pub mod json;
pub mod miniapp;
pub mod observability;
pub mod openapi;
pub mod rate_limit;
pub mod state;

pub use state::{AppState, BoxoSettings, HttpSettings, SigningSettings};

use actix_web::web;

/// Routes of the public listener: `/api/v1`, `/boxo/v1`, `/checkout`, plus health,
/// metrics and OpenAPI.
pub fn public_app(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    openapi::configure(cfg);
    miniapp::configure(cfg);
    boxo::configure(cfg);
    checkout::configure(cfg);
}

/// Routes of the internal listener: `/internal/v1`, plus health, metrics and OpenAPI.
pub fn internal_app(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    openapi::configure(cfg);
    internal::configure(cfg);
}
