//! The internal API (`/internal/v1`), bearer `internal.admin_token`.

pub mod deliveries;

use actix_web::web;

/// Registers this surface's routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    deliveries::configure(cfg);
}
