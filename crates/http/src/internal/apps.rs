//! Internal API: register miniapps, list them, rotate their secrets.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use hostpay_domain::ids::AppId;
use hostpay_domain::miniapp::{Miniapp, MiniappRegistration, WebhookUrl};
use hostpay_domain::validation::NonEmptyString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::envelope::{self, ApiError};
use crate::internal::AdminAuth;
use crate::json::JsonBody;
use crate::openapi::{AppCredentialsEnvelope, AppListEnvelope, ErrorEnvelope};
use crate::state::AppState;
use crate::strict_json::Strict;

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

/// A registered miniapp (no secrets).
#[derive(Debug, Serialize, ToSchema)]
pub struct AppView {
    /// `app_...`
    pub app_id: String,
    /// Its name.
    pub name: String,
    /// Its webhook URL.
    pub webhook_url: Option<String>,
    /// Registered.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl AppView {
    fn of(app: &Miniapp) -> AppView {
        AppView {
            app_id: app.id.to_string(),
            name: app.name.to_string(),
            webhook_url: app.webhook_url.as_ref().map(|url| url.as_str().to_owned()),
            created_at: app.created_at,
            updated_at: app.updated_at,
        }
    }
}

/// A miniapp's secrets, shown once (only hashes are kept).
#[derive(Serialize, ToSchema)]
pub struct AppCredentials {
    /// `app_...`
    pub app_id: String,
    /// Its name.
    pub name: String,
    /// Its webhook URL.
    pub webhook_url: Option<String>,
    /// The API secret key: `Authorization: Token base64(app_id:secret_key)`.
    pub secret_key: String,
    /// Signs webhooks (`X-Hostpay-Signature`).
    pub webhook_secret: String,
    /// Registered.
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .field("name", &self.name)
            .field("webhook_url", &self.webhook_url)
            .field("secret_key", &"<redacted>")
            .field("webhook_secret", &"<redacted>")
            .field("created_at", &self.created_at)
            .finish()
    }
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
    let view = AppCredentials {
        app_id: app.id.to_string(),
        name: app.name.to_string(),
        webhook_url: app.webhook_url.as_ref().map(|url| url.as_str().to_owned()),
        secret_key: credentials.secret_key,
        webhook_secret: credentials.webhook_secret,
        created_at: app.created_at,
    };
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
    let view = AppCredentials {
        app_id: app.id.to_string(),
        name: app.name.to_string(),
        webhook_url: app.webhook_url.as_ref().map(|url| url.as_str().to_owned()),
        secret_key: credentials.secret_key,
        webhook_secret: credentials.webhook_secret,
        created_at: app.created_at,
    };
    Ok(envelope::success(StatusCode::OK, &view))
}
