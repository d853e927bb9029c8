//! Registering miniapps, rotating their secrets, authenticating them, and user tokens.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::access::UserToken;
use crate::ids::{AppId, IdGenerator};
use crate::miniapp::{IssuedCredentials, Miniapp, MiniappRegistration, SecretKeyring};
use crate::order::UserRef;
use crate::ports::{AppRepository, Clock, StoreError, UserTokenRepository};
use crate::services::races::MAX_CONFLICT_RETRIES;
use crate::validation::InvalidField;

/// Why a miniapp or user is not who it says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Unknown app, wrong secret, bad or expired token.
    #[error("invalid credentials")]
    Unauthenticated,
    /// The app does not exist (internal API).
    #[error("app {0} not found")]
    AppNotFound(AppId),
    /// Bad input.
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Default user-token lifetime.
pub const DEFAULT_TOKEN_TTL_SECONDS: i64 = 3600;
/// Longest user-token lifetime.
pub const MAX_TOKEN_TTL_SECONDS: i64 = 30 * 24 * 3600;

/// The ports [`AppService`] uses.
#[derive(Clone)]
pub struct AppPorts {
    /// Miniapps.
    pub apps: Arc<dyn AppRepository>,
    /// User tokens.
    pub user_tokens: Arc<dyn UserTokenRepository>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Ids and secrets.
    pub ids: Arc<dyn IdGenerator>,
}

/// Miniapps and user tokens.
#[derive(Clone)]
pub struct AppService {
    apps: Arc<dyn AppRepository>,
    tokens: Arc<dyn UserTokenRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    keyring: SecretKeyring,
    encrypted_webhooks_only: bool,
}

impl AppService {
    /// Over its ports, with the keyring that hashes secrets and derives webhook secrets.
    pub fn new(ports: AppPorts, keyring: SecretKeyring) -> AppService {
        AppService {
            apps: ports.apps,
            tokens: ports.user_tokens,
            clock: ports.clock,
            ids: ports.ids,
            keyring,
            encrypted_webhooks_only: false,
        }
    }

    /// Refuses plain `http://` webhook URLs at registration when `require` is set (the
    /// host's configuration asks for encrypted webhooks only): the one place the rule is
    /// enforced, so no app can be registered whose deliveries could only fail.
    pub fn requiring_encrypted_webhooks(mut self, require: bool) -> AppService {
        self.encrypted_webhooks_only = require;
        self
    }

    /// Registers a miniapp; its secrets are returned once and only hashes are kept.
    pub async fn register(
        &self,
        registration: MiniappRegistration,
    ) -> Result<(Miniapp, IssuedCredentials), AuthError> {
        if let Some(url) = &registration.webhook_url {
            if self.encrypted_webhooks_only && !url.as_str().starts_with("https://") {
                return Err(InvalidField::new(
                    "webhook_url",
                    "must be an https:// URL (this host sends webhooks encrypted only)",
                )
                .into());
            }
        }
        let now = self.clock.now();
        let secret_key = self.ids.new_secret("sk_");
        let app = Miniapp {
            id: AppId::generate(self.ids.as_ref()),
            name: registration.name,
            secret_hash: self.keyring.hash(&secret_key),
            webhook_url: registration.webhook_url,
            secret_generation: 1,
            created_at: now,
            updated_at: now,
        };
        self.apps.insert(&app).await?;
        let credentials = IssuedCredentials {
            app_id: app.id.clone(),
            webhook_secret: app.webhook_secret(&self.keyring),
            secret_key,
        };
        Ok((app, credentials))
    }

    /// Issues a new secret key (and webhook secret); the old ones stop working at once.
    pub async fn rotate_secret(&self, app_id: &AppId) -> Result<IssuedCredentials, AuthError> {
        for _ in 0..MAX_CONFLICT_RETRIES {
            let app = self.get(app_id).await?;
            let secret_key = self.ids.new_secret("sk_");
            let rotated = app.rotated(self.keyring.hash(&secret_key), self.clock.now());
            match self.apps.save(&rotated).await {
                Ok(()) => {
                    return Ok(IssuedCredentials {
                        app_id: rotated.id.clone(),
                        webhook_secret: rotated.webhook_secret(&self.keyring),
                        secret_key,
                    })
                }
                Err(StoreError::Conflict) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// An app, or `AppNotFound`.
    pub async fn get(&self, app_id: &AppId) -> Result<Miniapp, AuthError> {
        self.apps
            .get(app_id)
            .await?
            .ok_or_else(|| AuthError::AppNotFound(app_id.clone()))
    }

    /// Registered apps, oldest first.
    pub async fn list(&self, limit: u32) -> Result<Vec<Miniapp>, AuthError> {
        Ok(self.apps.list(limit).await?)
    }

    /// The app whose id and secret key these are (constant-time comparison).
    pub async fn authenticate(&self, app_id: &str, secret_key: &str) -> Result<Miniapp, AuthError> {
        let app_id = AppId::parse(app_id).map_err(|_| AuthError::Unauthenticated)?;
        let app = self
            .apps
            .get(&app_id)
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        if app.accepts_secret(&self.keyring, secret_key) {
            Ok(app)
        } else {
            Err(AuthError::Unauthenticated)
        }
    }

    /// The webhook secret of an app (for signing).
    pub fn webhook_secret(&self, app: &Miniapp) -> String {
        app.webhook_secret(&self.keyring)
    }

    /// Mints a user token for `user_id` in `app_id`, valid `ttl_seconds` (default 3600,
    /// at most 30 days).
    pub async fn mint_user_token(
        &self,
        app_id: &AppId,
        user_id: UserRef,
        ttl_seconds: Option<i64>,
    ) -> Result<(String, DateTime<Utc>), AuthError> {
        let ttl = ttl_seconds.unwrap_or(DEFAULT_TOKEN_TTL_SECONDS);
        if !(1..=MAX_TOKEN_TTL_SECONDS).contains(&ttl) {
            return Err(InvalidField::new(
                "ttl_seconds",
                format!("must be between 1 and {MAX_TOKEN_TTL_SECONDS}"),
            )
            .into());
        }
        let app = self.get(app_id).await?;
        let token = self.ids.new_secret("ut_");
        let now = self.clock.now();
        let record = UserToken {
            token_hash: self.keyring.hash(&token),
            app_id: app.id,
            user_id,
            created_at: now,
            expires_at: now + Duration::seconds(ttl),
        };
        self.tokens.insert(&record).await?;
        Ok((token, record.expires_at))
    }

    /// The user a token names, when it was minted for `app` and has not expired.
    pub async fn verify_user_token(
        &self,
        app: &Miniapp,
        token: &str,
    ) -> Result<UserRef, AuthError> {
        let record = self
            .tokens
            .find(&self.keyring.hash(token))
            .await?
            .ok_or(AuthError::Unauthenticated)?;
        record
            .user_for(&app.id, self.clock.now())
            .cloned()
            .ok_or(AuthError::Unauthenticated)
    }
}
