//! Internal API: outbox deliveries (list, show, retry by hand).

use actix_web::web;

/// Registers the delivery routes.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
