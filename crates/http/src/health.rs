//! TODO(owner): see the module list in lib.rs.

use actix_web::web;

/// Registers this module's routes.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
