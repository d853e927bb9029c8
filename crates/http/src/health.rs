//! `/healthz` (the process is up) and `/readyz` (the database answers and every migration
//! is applied; 503 otherwise) on both listeners; `/metrics` (Prometheus text) on the
//! internal listener only. A scrape only renders what is kept in memory: gauges that need
//! the database (the outbox depth) are refreshed by a background worker, never per
//! scrape.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, HttpResponse};
use serde_json::json;

use hostpay_domain::services::DeliveryService;

use crate::observability::{names, render_metrics};
use crate::state::AppState;

/// Registers `/healthz` and `/readyz`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

/// Registers `/metrics` (the internal listener's).
pub fn configure_metrics(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics_text));
}

/// The process is up and serving.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database answers and its schema is current.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.services.health.check().await {
        Ok(()) => HttpResponse::Ok().json(json!({"status": "ready"})),
        Err(error) => {
            tracing::warn!(%error, "not ready");
            HttpResponse::ServiceUnavailable().json(json!({
                "status": "unavailable",
                "reason": "the database is unreachable or its migrations are not applied",
            }))
        }
    }
}

/// Refreshes the gauges that need the database (the outbox depth); a background worker
/// calls it, a scrape never does.
pub async fn refresh_outbox_gauges(deliveries: &DeliveryService) {
    match deliveries.depth().await {
        Ok(depth) => {
            metrics::gauge!(names::OUTBOX_PENDING).set(depth.pending as f64);
            metrics::gauge!(names::OUTBOX_DEAD).set(depth.dead as f64);
        }
        Err(error) => tracing::warn!(%error, "outbox depth unavailable"),
    }
}

/// Prometheus text, from memory only.
async fn metrics_text() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"))
        .body(render_metrics())
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::{test, App};
    use hostpay_testkit::in_memory_services;

    use super::*;
    use crate::observability::request_context;
    use crate::state::HttpSettings;

    #[actix_web::test]
    async fn readyz_follows_the_store_and_healthz_does_not() {
        let (services, handles) = in_memory_services();
        let state = web::Data::new(AppState {
            services,
            settings: HttpSettings::default(),
        });
        let state_for_gauges = state.clone();
        let app = test::init_service(
            App::new()
                .app_data(state)
                .wrap(from_fn(request_context))
                .configure(configure)
                .configure(configure_metrics),
        )
        .await;
        let get = |path: &str| test::TestRequest::get().uri(path).to_request();

        let response = test::call_service(&app, get("/readyz")).await;
        assert_eq!(response.status(), 200);
        handles.store.set_unavailable(true);
        let response = test::call_service(&app, get("/readyz")).await;
        assert_eq!(response.status(), 503);
        assert!(response.headers().contains_key("x-request-id"));
        let body: serde_json::Value = test::read_body_json(response).await;
        assert_eq!(body["status"], "unavailable");
        let response = test::call_service(&app, get("/healthz")).await;
        assert_eq!(response.status(), 200);
        handles.store.set_unavailable(false);
        let response = test::call_service(&app, get("/readyz")).await;
        assert_eq!(response.status(), 200);

        refresh_outbox_gauges(&state_for_gauges.services.deliveries).await;
        let response = test::call_service(&app, get("/metrics")).await;
        assert_eq!(response.status(), 200);
        let text = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
        assert!(text.contains("hostpay_outbox_pending"), "{text}");
        assert!(text.contains(r#"route="/readyz",status="503""#), "{text}");
    }
}
