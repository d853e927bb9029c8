//! Miniapps and their credentials as shown (api.md sections 3 and 7): a registered
//! miniapp, the secrets issued to it (once), the user tokens minted for it and the user
//! a token names. Secrets never reach `Debug`.

use chrono::{DateTime, Utc};
use hostpay_domain::miniapp::{IssuedCredentials, Miniapp};
use serde::Serialize;
use utoipa::ToSchema;

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
    #[serde(serialize_with = "super::instant::write")]
    pub created_at: DateTime<Utc>,
    /// Last changed.
    #[serde(serialize_with = "super::instant::write")]
    pub updated_at: DateTime<Utc>,
}

impl AppView {
    /// The view of a registered miniapp.
    pub fn of(app: &Miniapp) -> AppView {
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
    #[serde(serialize_with = "super::instant::write")]
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

impl AppCredentials {
    /// The view of `app` with the secrets just issued for it.
    pub fn of(app: &Miniapp, issued: IssuedCredentials) -> AppCredentials {
        AppCredentials {
            app_id: app.id.to_string(),
            name: app.name.to_string(),
            webhook_url: app.webhook_url.as_ref().map(|url| url.as_str().to_owned()),
            secret_key: issued.secret_key,
            webhook_secret: issued.webhook_secret,
            created_at: app.created_at,
        }
    }
}

/// A minted user token.
#[derive(Serialize, ToSchema)]
pub struct UserTokenView {
    /// The token (shown once; only its hash is kept).
    pub token: String,
    /// When it stops working.
    #[serde(serialize_with = "super::instant::write")]
    pub expires_at: DateTime<Utc>,
    /// The user it names.
    pub user_id: String,
    /// The miniapp it is valid for.
    pub app_id: String,
}

impl std::fmt::Debug for UserTokenView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserTokenView")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("user_id", &self.user_id)
            .field("app_id", &self.app_id)
            .finish()
    }
}

/// The verified user.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifiedUser {
    /// The user id the token was minted for.
    #[schema(example = "user-42")]
    pub id: String,
}
