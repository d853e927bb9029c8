//! Internal API: `POST /internal/v1/connect/auth-codes` mints a Boxo Connect auth code for
//! the host's logged-in user (api.md section 4a): `{user_id, app_id, user_data}` answers
//! 201 `{auth_code, expires_at}`. The code is single-use, bound to that miniapp, lives 5
//! minutes and is stored only as a keyed hash. Its OpenAPI operation is written in
//! `crate::openapi::connect`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use hostpay_domain::connect::{ConnectProfile, ProfileDraft};
use hostpay_domain::order::UserRef;
use hostpay_domain::services::ConnectError;
use serde::{Deserialize, Serialize};

use crate::edge::auth::AdminAuth;
use crate::edge::envelope::{self, ApiError};
use crate::edge::json::JsonBody;
use crate::edge::strict_json::Strict;
use crate::state::AppState;

/// `POST /internal/v1/connect/auth-codes`. Its `Debug` shows no personal data (see
/// [`ProfileDraft`]'s).
#[derive(Debug, Deserialize)]
pub struct MintAuthCodeRequest {
    /// The host app's logged-in user, String(255).
    pub user_id: UserRef,
    /// The miniapp the code is for.
    pub app_id: String,
    /// The profile the user agreed to share with that miniapp.
    #[serde(deserialize_with = "profile_draft")]
    pub user_data: ProfileDraft,
}

/// `user_data` as sent: every field optional, checked by [`ConnectProfile::parse`].
#[derive(Deserialize)]
#[serde(rename = "ProfileDraft")]
struct ProfileDraftInput {
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    custom_attributes: Option<serde_json::Value>,
}

/// Reads `user_data` into the domain's draft.
fn profile_draft<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<ProfileDraft, D::Error> {
    let input = ProfileDraftInput::deserialize(deserializer)?;
    Ok(ProfileDraft {
        reference: input.reference,
        email: input.email,
        phone: input.phone,
        first_name: input.first_name,
        last_name: input.last_name,
        custom_attributes: input.custom_attributes,
    })
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
