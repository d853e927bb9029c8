//! Internal API: `POST /internal/v1/connect/auth-codes` mints a Boxo Connect auth code for
//! the host's logged-in user (api.md section 4a): `{user_id, app_id, user_data}` answers
//! 201 `{auth_code, expires_at}`. The code is single-use, bound to that miniapp, lives 5
//! minutes and is stored only as a keyed hash.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use hostpay_domain::connect::{ConnectProfile, ProfileDraft};
use hostpay_domain::order::UserRef;
use hostpay_domain::services::ConnectError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::envelope::{self, ApiError};
use crate::internal::AdminAuth;
use crate::json::JsonBody;
use crate::openapi::written::{envelope as enveloped, error};
use crate::state::AppState;
use crate::strict_json::Strict;

/// `POST /internal/v1/connect/auth-codes`.
#[derive(Debug, Deserialize)]
pub struct MintAuthCodeRequest {
    /// The host app's logged-in user, String(255).
    pub user_id: UserRef,
    /// The miniapp the code is for.
    pub app_id: String,
    /// The profile the user agreed to share with that miniapp.
    pub user_data: ProfileDraft,
}

/// A minted auth code.
#[derive(Serialize)]
pub struct AuthCodeView {
    /// The code (shown once; only its keyed hash is kept).
    pub auth_code: String,
    /// When it stops working (5 minutes).
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for AuthCodeView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthCodeView")
            .field("auth_code", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl From<ConnectError> for ApiError {
    fn from(error: ConnectError) -> ApiError {
        match error {
            ConnectError::MiniappNotFound(app_id) => ApiError::not_found(format!("app {app_id}")),
            ConnectError::Store(store) => store.into(),
            ConnectError::InvalidAuthCode
            | ConnectError::ExpiredAuthCode
            | ConnectError::InvalidAccessToken
            | ConnectError::ExpiredAccessToken
            | ConnectError::AccessDenied => ApiError::internal(error),
        }
    }
}

/// Mints a Boxo Connect auth code (201).
pub async fn mint(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    body: JsonBody<Strict<MintAuthCodeRequest>>,
) -> Result<HttpResponse, ApiError> {
    let request = body.into_inner().into_inner();
    let profile = ConnectProfile::parse(request.user_data, &request.user_id)?;
    let issued = state
        .services
        .connect
        .mint_auth_code(&request.app_id, request.user_id, profile)
        .await?;
    Ok(envelope::success(
        StatusCode::CREATED,
        &AuthCodeView {
            auth_code: issued.auth_code,
            expires_at: issued.expires_at,
        },
    ))
}

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// `POST /internal/v1/connect/auth-codes`, documented.
pub fn mint_doc() -> Value {
    json!({
        "tags": ["internal"],
        "operationId": "mint_connect_auth_code",
        "summary": "Mint a Boxo Connect auth code for the host's logged-in user",
        "description": "The host app hands the code to the Boxo SDK when a miniapp calls `login()`; the Boxo platform trades it once (`POST /boxo/v1/connect/access-token`) within 5 minutes, for that miniapp only. `user_data` is the profile the user agreed to share: `email` or `phone` (E.164) required; `reference` defaults to `user_id`.",
        "security": [{ "admin_token": [] }],
        "requestBody": {
            "required": true,
            "content": { "application/json": { "schema": reference("MintConnectAuthCodeRequest") } },
        },
        "responses": {
            "201": {
                "description": "Minted",
                "content": { "application/json": { "schema": enveloped(reference("ConnectAuthCode")) } },
            },
            "404": error("NOT_FOUND (unknown app)"),
        },
    })
}

/// The schemas of the auth-code operation. The profile's fields are checked by
/// `ConnectProfile::parse` (an email's shape, `email` or `phone` required): a value the
/// schema allows may still be 400 naming `user_data.<field>`.
pub fn schemas() -> Vec<(&'static str, Value)> {
    use crate::openapi::schemas::{identifier, nullable, object, prefixed_id, text, NO_CONTROLS};
    let described = |mut schema: Value, description: &str| {
        schema["description"] = json!(description);
        schema
    };
    vec![
        (
            "MintConnectAuthCodeRequest",
            object(
                &["user_id", "app_id", "user_data"],
                json!({
                    "user_id": described(identifier(255), "The host app's logged-in user, String(255)."),
                    "app_id": described(prefixed_id("app_"), "A registered miniapp (else 404)."),
                    "user_data": described(
                        object(
                            &[],
                            json!({
                                "reference": described(nullable(identifier(100)), "The user's reference for the miniapp, String(100); defaults to `user_id`."),
                                "email": described(nullable(text(254)), "An email address (name@example.com)."),
                                "phone": described(nullable(json!({"type": "string", "pattern": "^\\+[1-9][0-9]{7,14}$"})), "E.164: + and 8 to 15 digits."),
                                "first_name": nullable(text(250)),
                                "last_name": nullable(text(250)),
                                "custom_attributes": {
                                    "type": ["object", "null"],
                                    "description": "Any JSON object, at most 16 KiB.",
                                    "propertyNames": { "pattern": NO_CONTROLS },
                                    "additionalProperties": reference("JsonValue"),
                                },
                            }),
                        ),
                        "The profile the user agreed to share: `email` or `phone` required (else 400 naming `user_data`).",
                    ),
                }),
            ),
        ),
        (
            "ConnectAuthCode",
            json!({
                "type": "object",
                "required": ["auth_code", "expires_at"],
                "properties": {
                    "auth_code": { "type": "string", "pattern": "^ac_", "description": "Shown once." },
                    "expires_at": { "type": "string", "format": "date-time" },
                },
            }),
        ),
    ]
}
