//! Internal API: register miniapps, list them, rotate their secrets.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use hostpay_domain::ids::AppId;
use hostpay_domain::miniapp::{MiniappRegistration, WebhookUrl};
use hostpay_domain::validation::NonEmptyString;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::edge::auth::AdminAuth;
use crate::edge::envelope::{self, ApiError, ErrorEnvelope};
use crate::edge::json::JsonBody;
use crate::edge::strict_json::Strict;
use crate::state::AppState;
use crate::views::app::{AppCredentials, AppView};
use crate::views::envelopes::{AppCredentialsEnvelope, AppListEnvelope};

/// `POST /internal/v1/apps`
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterAppRequest {
    /// Shown on the payment sheet, String(250).
    #[schema(value_type = String, example = "Pizza Planet")]
    pub name: NonEmptyString<250>,
    /// Where webhooks go (http or https).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "https://pizza.example/hooks/hostpay")]
    pub webhook_url: Option<WebhookUrl>,
}

/// Register a miniapp; its secrets are returned once.
#[utoipa::path(
    tag = "internal",
    operation_id = "register_app",
    request_body = RegisterAppRequest,
    responses(
        (status = 201, description = "Registered; secrets shown once", body = AppCredentialsEnvelope),
        (status = 400, description = "INVALID_REQUEST naming the field", body = ErrorEnvelope),
        (status = 401, description = "UNAUTHENTICATED (no or wrong admin token)", body = ErrorEnvelope),
    ),
    security(("admin_token" = []))
)]
#[post("/internal/v1/apps")]
pub async fn register(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    body: JsonBody<Strict<RegisterAppRequest>>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner().into_inner();
    let (app, credentials) = state
        .services
        .apps
        .register(MiniappRegistration {
            name: request.name,
            webhook_url: request.webhook_url,
        })
        .await?;
    let view = AppCredentials::of(&app, credentials);
    Ok(envelope::success(StatusCode::CREATED, &view))
}

/// Registered miniapps, oldest first (at most 1000).
#[utoipa::path(
    tag = "internal",
    operation_id = "list_apps",
    responses(
        (status = 200, description = "The apps (no secrets)", body = AppListEnvelope),
    ),
    security(("admin_token" = []))
)]
#[get("/internal/v1/apps")]
pub async fn list(_admin: AdminAuth, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let apps = state.services.apps.list(1000).await?;
    let views: Vec<AppView> = apps.iter().map(AppView::of).collect();
    Ok(envelope::success(StatusCode::OK, &views))
}

/// Issue a new secret key (and webhook secret); the old ones stop working at once.
#[utoipa::path(
    tag = "internal",
    operation_id = "rotate_app_secret",
    params(("app_id" = String, Path, description = "`app_...` (a malformed id is simply not found)")),
    responses(
        (status = 200, description = "The new secrets, shown once", body = AppCredentialsEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ),
    security(("admin_token" = []))
)]
#[post("/internal/v1/apps/{app_id}/rotate-secret")]
pub async fn rotate_secret(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let app_id = AppId::parse(&path).map_err(|_| ApiError::not_found(format!("app {path}")))?;
    let credentials = state.services.apps.rotate_secret(&app_id).await?;
    let app = state.services.apps.get(&app_id).await?;
    let view = AppCredentials::of(&app, credentials);
    Ok(envelope::success(StatusCode::OK, &view))
}
