//! The miniapp API (`/api/v1`, api.md section 3), authenticated with
//! `Authorization: Token base64(app_id:secret_key)`.

pub mod auth;
pub mod order_activities;
pub mod pagination;
pub mod payments;
pub mod users;
pub mod views;

use actix_web::web;

/// Registers this surface's routes (and the JSON error handlers of actix's extractors).
pub fn configure(cfg: &mut web::ServiceConfig) {
    crate::json::configure(cfg);
    cfg.service(users::verify_token)
        .service(payments::create)
        .service(payments::list_for_user)
        .service(payments::get)
        .service(payments::refund)
        .service(order_activities::upsert)
        .service(order_activities::list_for_user)
        .service(order_activities::get)
        .route(
            "/api/v1/{tail:.*}",
            web::route().to(crate::envelope::unrouted),
        );
}
