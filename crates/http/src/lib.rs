//! # hostpay-http
//!
//! The inbound adapter: actix-web routes for hostpay's four surfaces, their wire DTOs,
//! auth extractors, error mapping, and the OpenAPI document. Handlers are a few lines:
//! extract, call a service of `hostpay-domain`, map the result to a view.
//!
//! What it owns, and where:
//!
//! - [`edge`]: the envelopes (and the one mapping of domain errors onto them), the JSON
//!   extractors, the auth extractors, pagination, ids and idempotency keys;
//! - [`views`]: the response shapes, pure functions of domain values, with their schemas;
//! - one folder per surface, handlers only: [`miniapp`] (`/api/v1`), [`boxo`]
//!   (`/boxo/v1`), [`checkout`] (`/checkout`), [`internal`] (`/internal/v1`); a surface
//!   never imports another surface; what several read is in [`reads`];
//! - [`routes`]: the one route table, from which both the router and the documents come;
//! - [`openapi`]: the documents, built from the route table; a leaf that nothing but this
//!   root imports;
//! - [`health`], [`observability`], [`rate_limit`], [`state`]: probes, metrics and
//!   request context, limits, the shared state.
//!
//! It must never import `hostpay-store`, `hostpay-upstream`, `diesel` or `reqwest`: it
//! reaches storage and the outside world only through the services and ports of
//! `hostpay-domain` (the app crate wires the adapters in).
//!
//! - [`public_app`] configures the public listener (miniapp API, Boxo host API, checkout);
//! - [`internal_app`] configures the internal listener (operators and the host's systems).

pub mod boxo;
pub mod checkout;
pub mod edge;
pub mod health;
pub mod internal;
pub mod miniapp;
pub mod observability;
pub mod openapi;
pub mod rate_limit;
pub mod reads;
pub mod routes;
pub mod state;
pub mod views;

pub use state::{AppState, BoxoSettings, HttpSettings, SigningSettings};

use actix_web::web;

/// Routes of the public listener: `/api/v1`, `/boxo/v1`, `/checkout`, plus health and
/// OpenAPI (no metrics: those are the internal listener's). What it serves is
/// [`routes::endpoints`]`(Public)`, which its `/openapi.json` documents.
pub fn public_app(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    cfg.route("/openapi.json", web::get().to(openapi::serve_public));
    routes::public(cfg);
}

/// Routes of the internal listener: `/internal/v1`, plus health, metrics and OpenAPI.
/// What it serves is [`routes::endpoints`]`(Internal)`, which its `/openapi.json`
/// documents.
pub fn internal_app(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    health::configure_metrics(cfg);
    cfg.route("/openapi.json", web::get().to(openapi::serve_internal));
    routes::internal(cfg);
}
