//! `/healthz` (the process is up), `/readyz` (the database answers and every migration is
//! applied; 503 otherwise) and `/metrics` (Prometheus text), on both listeners.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::observability::{names, render_metrics};
use crate::AppState;

/// Registers `/healthz`, `/readyz` and `/metrics`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics_text));
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

/// Prometheus text; refreshes the outbox depth first.
async fn metrics_text(state: web::Data<AppState>) -> HttpResponse {
    match state.services.deliveries.depth().await {
        Ok(depth) => {
            metrics::gauge!(names::OUTBOX_PENDING).set(depth.pending as f64);
            metrics::gauge!(names::OUTBOX_DEAD).set(depth.dead as f64);
        }
        Err(error) => tracing::warn!(%error, "outbox depth unavailable"),
    }
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
    use crate::HttpSettings;

    #[actix_web::test]
    async fn readyz_follows_the_store_and_healthz_does_not() {
        let (services, handles) = in_memory_services();
        let state = web::Data::new(AppState {
            services,
            settings: HttpSettings::default(),
        });
        let app = test::init_service(
            App::new()
                .app_data(state)
                .wrap(from_fn(request_context))
                .configure(configure),
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

        let response = test::call_service(&app, get("/metrics")).await;
        assert_eq!(response.status(), 200);
        let text = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
        assert!(text.contains("hostpay_outbox_pending"), "{text}");
        assert!(text.contains(r#"route="/readyz",status="503""#), "{text}");
    }
}
