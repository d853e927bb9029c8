//! Single sign-on (Connect) use cases: the host's backend mints an auth code for its logged-in user;
//! the miniapp platform exchanges it for an access token and reads the user's profile with
//! the token; with "use access token", the token stands for the user on the payment calls.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::connect::{
    AccessToken, AuthCode, ConnectProfile, IssuedAccessToken, IssuedAuthCode, TokenRefusal,
    ACCESS_TOKEN_PREFIX, AUTH_CODE_LIFETIME, AUTH_CODE_PREFIX, DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
    MAX_SECRET_LENGTH,
};
use crate::ids::{AppId, IdGenerator};
use crate::miniapp::{Miniapp, SecretHash, SecretKeyring};
use crate::order::UserRef;
use crate::ports::{AppRepository, Clock, ConnectRepository, Redemption, StoreError};

/// Single sign-on's errors; each maps to one platform `error_code` (in parentheses).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// No such miniapp (`MINIAPP_NOT_FOUND`).
    #[error("no miniapp {0} is registered")]
    MiniappNotFound(String),
    /// Not an auth code hostpay minted, or pruned (`INVALID_AUTH_CODE`).
    #[error("the auth code is not valid")]
    InvalidAuthCode,
    /// An auth code that expired, was already used, or was minted for another miniapp
    /// (`EXPIRED_AUTH_CODE`).
    #[error("the auth code has expired or was already used")]
    ExpiredAuthCode,
    /// Not an access token hostpay issued (or pruned), or another miniapp's, on the
    /// user-data call (`INVALID_ACCESS_TOKEN`).
    #[error("the access token is not valid")]
    InvalidAccessToken,
    /// An access token past its lifetime (`EXPIRED_ACCESS_TOKEN`).
    #[error("the access token has expired")]
    ExpiredAccessToken,
    /// Another miniapp's access token on a payment call (`ACCESS_DENIED`).
    #[error("the access token was issued to another miniapp")]
    AccessDenied,
    /// The store failed (`UNKNOWN_ERROR`: retry later).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Single sign-on (Connect) settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectSettings {
    /// How long an access token works (`connect.access_token_ttl_seconds`).
    pub access_token_ttl: Duration,
}

impl Default for ConnectSettings {
    /// Access tokens live [`DEFAULT_ACCESS_TOKEN_TTL_SECONDS`].
    fn default() -> Self {
        ConnectSettings {
            access_token_ttl: Duration::seconds(DEFAULT_ACCESS_TOKEN_TTL_SECONDS),
        }
    }
}

/// The ports [`ConnectService`] uses.
#[derive(Clone)]
pub struct ConnectPorts {
    /// Auth codes and access tokens.
    pub connect: Arc<dyn ConnectRepository>,
    /// Miniapps.
    pub apps: Arc<dyn AppRepository>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Ids and secrets.
    pub ids: Arc<dyn IdGenerator>,
}

/// Single sign-on (Connect): auth codes, access tokens, user data.
#[derive(Clone)]
pub struct ConnectService {
    connect: Arc<dyn ConnectRepository>,
    apps: Arc<dyn AppRepository>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    keyring: SecretKeyring,
    settings: ConnectSettings,
}

impl ConnectService {
    /// Over its ports, with the keyring that hashes codes and tokens, and its settings.
    pub fn new(
        ports: ConnectPorts,
        keyring: SecretKeyring,
        settings: ConnectSettings,
    ) -> ConnectService {
        ConnectService {
            connect: ports.connect,
            apps: ports.apps,
            clock: ports.clock,
            ids: ports.ids,
            keyring,
            settings,
        }
    }

    /// Mints an auth code for `user_id` of the host app, to hand to the miniapp `app_id`
    /// (which must exist: `MiniappNotFound`) with the `profile` the user agreed to share.
    /// The code (`ac_...`) is single-use, lives [`AUTH_CODE_LIFETIME`] and is stored only
    /// as a keyed hash.
    pub async fn mint_auth_code(
        &self,
        app_id: &str,
        user_id: UserRef,
        profile: ConnectProfile,
    ) -> Result<IssuedAuthCode, ConnectError> {
        let app = self.app(app_id).await?;
        let auth_code = self.ids.new_secret(AUTH_CODE_PREFIX);
        let now = self.clock.now();
        let code = AuthCode {
            code_hash: self.keyring.hash(&auth_code),
            app_id: app.id,
            user_id,
            profile,
            created_at: now,
            expires_at: now + AUTH_CODE_LIFETIME,
            used_at: None,
        };
        self.connect.insert_code(&code).await?;
        Ok(IssuedAuthCode {
            auth_code,
            expires_at: code.expires_at,
        })
    }

    /// Exchanges an auth code presented by the miniapp `app_id` (which must exist:
    /// `MiniappNotFound`) for an access token (`at_...`, stored only as a keyed hash) of
    /// the code's user and profile, living `connect.access_token_ttl_seconds`. The code is
    /// consumed atomically: of concurrent exchanges of one code exactly one gets a token.
    /// Errors: `InvalidAuthCode` (unknown or garbage), `ExpiredAuthCode` (expired, already
    /// used, or minted for another miniapp).
    pub async fn exchange(
        &self,
        app_id: &str,
        auth_code: &str,
    ) -> Result<IssuedAccessToken, ConnectError> {
        let app = self.app(app_id).await?;
        let code_hash = self
            .presented(auth_code, AUTH_CODE_PREFIX)
            .ok_or(ConnectError::InvalidAuthCode)?;
        let now = self.clock.now();
        let code = match self.connect.redeem_code(&code_hash, &app.id, now).await? {
            Redemption::Redeemed(code) => code,
            Redemption::Refused(_) => return Err(ConnectError::ExpiredAuthCode),
            Redemption::Unknown => return Err(ConnectError::InvalidAuthCode),
        };
        let access_token = self.ids.new_secret(ACCESS_TOKEN_PREFIX);
        let token = AccessToken {
            token_hash: self.keyring.hash(&access_token),
            app_id: code.app_id,
            user_id: code.user_id,
            profile: code.profile,
            created_at: now,
            expires_at: now + self.settings.access_token_ttl,
        };
        self.connect.insert_token(&token).await?;
        Ok(IssuedAccessToken {
            access_token,
            expires_at: token.expires_at,
        })
    }

    /// The profile an access token of the miniapp `app_id` carries. Errors:
    /// `InvalidAccessToken` (unknown, garbage, or another miniapp's),
    /// `ExpiredAccessToken`.
    pub async fn user_data(
        &self,
        app_id: &str,
        access_token: &str,
    ) -> Result<ConnectProfile, ConnectError> {
        match self.checked(app_id, access_token).await? {
            Ok(token) => Ok(token.profile),
            Err(TokenRefusal::OtherMiniapp) => Err(ConnectError::InvalidAccessToken),
            Err(TokenRefusal::Expired) => Err(ConnectError::ExpiredAccessToken),
        }
    }

    /// The user an access token stands for on a payment call of the miniapp `app_id`
    /// ("use access token"). Errors: `AccessDenied` (another miniapp's token),
    /// `InvalidAccessToken` (unknown or garbage), `ExpiredAccessToken`.
    pub async fn access_token_user(
        &self,
        app_id: &str,
        access_token: &str,
    ) -> Result<UserRef, ConnectError> {
        match self.checked(app_id, access_token).await? {
            Ok(token) => Ok(token.user_id),
            Err(TokenRefusal::OtherMiniapp) => Err(ConnectError::AccessDenied),
            Err(TokenRefusal::Expired) => Err(ConnectError::ExpiredAccessToken),
        }
    }

    /// Whether a presented access token is one hostpay issued and still unexpired, for
    /// whichever miniapp: checked before anything else of a call is looked at, so that a
    /// caller without a valid token learns nothing else. Errors: `InvalidAccessToken`
    /// (unknown or garbage), `ExpiredAccessToken`.
    pub async fn validate_access_token(&self, access_token: &str) -> Result<(), ConnectError> {
        let hash = self
            .presented(access_token, ACCESS_TOKEN_PREFIX)
            .ok_or(ConnectError::InvalidAccessToken)?;
        let token = self
            .connect
            .find_token(&hash)
            .await?
            .ok_or(ConnectError::InvalidAccessToken)?;
        if self.clock.now() >= token.expires_at {
            return Err(ConnectError::ExpiredAccessToken);
        }
        Ok(())
    }

    /// Deletes the auth codes and access tokens that expired before `now`; returns how
    /// many.
    pub async fn prune(&self, now: DateTime<Utc>) -> Result<u64, ConnectError> {
        Ok(self.connect.prune(now).await?)
    }

    /// The stored token a presented access token names (`InvalidAccessToken` when none),
    /// checked for the miniapp `app_id` now (an id that does not parse is another
    /// miniapp's).
    async fn checked(
        &self,
        app_id: &str,
        access_token: &str,
    ) -> Result<Result<AccessToken, TokenRefusal>, ConnectError> {
        let hash = self
            .presented(access_token, ACCESS_TOKEN_PREFIX)
            .ok_or(ConnectError::InvalidAccessToken)?;
        let token = self
            .connect
            .find_token(&hash)
            .await?
            .ok_or(ConnectError::InvalidAccessToken)?;
        let Ok(app_id) = AppId::parse(app_id) else {
            return Ok(Err(TokenRefusal::OtherMiniapp));
        };
        Ok(token.check(&app_id, self.clock.now()).map(|()| token))
    }

    /// The keyed hash of a presented secret, or `None` for text that cannot be one (no
    /// prefix, nothing after it, too long): no store call for garbage.
    fn presented(&self, secret: &str, prefix: &str) -> Option<SecretHash> {
        let valid = secret.len() <= MAX_SECRET_LENGTH
            && secret
                .strip_prefix(prefix)
                .is_some_and(|rest| !rest.trim().is_empty());
        valid.then(|| self.keyring.hash(secret))
    }

    async fn app(&self, app_id: &str) -> Result<Miniapp, ConnectError> {
        let not_found = || ConnectError::MiniappNotFound(app_id.to_owned());
        let id = AppId::parse(app_id).map_err(|_| not_found())?;
        self.apps.get(&id).await?.ok_or_else(not_found)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use chrono::TimeZone;

    use super::*;
    use crate::connect::ProfileDraft;
    use crate::ports::{MockAppRepository, MockConnectRepository};
    use crate::validation::NonEmptyString;

    struct At(DateTime<Utc>);
    impl Clock for At {
        fn now(&self) -> DateTime<Utc> {
            self.0
        }
    }

    struct Counter(AtomicU64);
    impl IdGenerator for Counter {
        fn new_id(&self, prefix: &str) -> String {
            format!("{prefix}{}", self.0.fetch_add(1, Ordering::SeqCst))
        }
        fn new_secret(&self, prefix: &str) -> String {
            format!("{prefix}secret{}", self.0.fetch_add(1, Ordering::SeqCst))
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).single().unwrap()
    }

    fn keyring() -> SecretKeyring {
        SecretKeyring::new("connect-test-key")
    }

    fn app() -> Miniapp {
        Miniapp {
            id: AppId::parse("app_1").unwrap(),
            name: NonEmptyString::parse("Coffee").unwrap(),
            secret_hash: keyring().hash("sk_x"),
            webhook_url: None,
            secret_generation: 1,
            created_at: now(),
            updated_at: now(),
        }
    }

    fn user() -> UserRef {
        UserRef::parse("user-7").unwrap()
    }

    fn profile() -> ConnectProfile {
        let draft = ProfileDraft {
            email: Some("ada@example.com".into()),
            ..ProfileDraft::default()
        };
        ConnectProfile::parse(draft, &user()).unwrap()
    }

    fn service(apps: MockAppRepository, connect: MockConnectRepository) -> ConnectService {
        ConnectService {
            connect: Arc::new(connect),
            apps: Arc::new(apps),
            clock: Arc::new(At(now())),
            ids: Arc::new(Counter(AtomicU64::new(1))),
            keyring: keyring(),
            settings: ConnectSettings {
                access_token_ttl: Duration::seconds(600),
            },
        }
    }

    fn known_app() -> MockAppRepository {
        let mut apps = MockAppRepository::new();
        apps.expect_get()
            .returning(|id| Ok((id.as_str() == "app_1").then(app)));
        apps
    }

    #[test]
    fn a_minted_code_is_stored_only_as_its_keyed_hash() {
        let mut connect = MockConnectRepository::new();
        connect.expect_insert_code().times(1).returning(|code| {
            assert_eq!(code.code_hash, keyring().hash("ac_secret1"));
            assert_eq!(code.app_id.as_str(), "app_1");
            assert_eq!(code.user_id, user());
            assert_eq!(code.profile, profile());
            assert_eq!(code.expires_at, now() + AUTH_CODE_LIFETIME);
            assert_eq!(code.used_at, None);
            Ok(())
        });
        let issued = futures::executor::block_on(service(known_app(), connect).mint_auth_code(
            "app_1",
            user(),
            profile(),
        ))
        .unwrap();
        assert_eq!(issued.auth_code, "ac_secret1");
        assert_eq!(issued.expires_at, now() + AUTH_CODE_LIFETIME);
        assert!(!format!("{issued:?}").contains("secret1"));
    }

    #[test]
    fn an_unknown_miniapp_gets_no_code() {
        let mut connect = MockConnectRepository::new();
        connect.expect_insert_code().never();
        let service = service(known_app(), connect);
        for app_id in ["app_2", "nonsense"] {
            assert_eq!(
                futures::executor::block_on(service.mint_auth_code(app_id, user(), profile())),
                Err(ConnectError::MiniappNotFound(app_id.to_owned()))
            );
        }
    }

    #[test]
    fn an_exchange_stores_the_token_hash_with_the_codes_user_and_profile() {
        let mut connect = MockConnectRepository::new();
        connect
            .expect_redeem_code()
            .times(1)
            .returning(|hash, app_id, at| {
                assert_eq!(*hash, keyring().hash("ac_given"));
                assert_eq!(app_id.as_str(), "app_1");
                assert_eq!(at, now());
                Ok(Redemption::Redeemed(AuthCode {
                    code_hash: hash.clone(),
                    app_id: app_id.clone(),
                    user_id: user(),
                    profile: profile(),
                    created_at: now(),
                    expires_at: now() + AUTH_CODE_LIFETIME,
                    used_at: Some(now()),
                }))
            });
        connect.expect_insert_token().times(1).returning(|token| {
            assert_eq!(token.token_hash, keyring().hash("at_secret1"));
            assert_eq!(token.user_id, user());
            assert_eq!(token.profile, profile());
            assert_eq!(token.expires_at, now() + Duration::seconds(600));
            Ok(())
        });
        let issued = futures::executor::block_on(
            service(known_app(), connect).exchange("app_1", "ac_given"),
        )
        .unwrap();
        assert_eq!(issued.access_token, "at_secret1");
        assert_eq!(issued.expires_at, now() + Duration::seconds(600));
    }

    #[test]
    fn garbage_never_reaches_the_store() {
        let mut connect = MockConnectRepository::new();
        connect.expect_redeem_code().never();
        connect.expect_find_token().never();
        let service = service(known_app(), connect);
        let long = format!("ac_{}", "x".repeat(MAX_SECRET_LENGTH));
        for code in ["", "ac_", "at_secret1", "garbage", long.as_str()] {
            assert_eq!(
                futures::executor::block_on(service.exchange("app_1", code)),
                Err(ConnectError::InvalidAuthCode),
                "{code:?}"
            );
        }
        for token in ["", "at_", "ac_secret1", "Token x"] {
            assert_eq!(
                futures::executor::block_on(service.user_data("app_1", token)),
                Err(ConnectError::InvalidAccessToken),
                "{token:?}"
            );
            assert_eq!(
                futures::executor::block_on(service.access_token_user("app_1", token)),
                Err(ConnectError::InvalidAccessToken),
                "{token:?}"
            );
        }
    }

    #[test]
    fn a_refused_code_is_expired_and_an_unknown_one_invalid() {
        let mut connect = MockConnectRepository::new();
        connect.expect_redeem_code().returning(|hash, _, _| {
            if *hash == keyring().hash("ac_unknown") {
                return Ok(Redemption::Unknown);
            }
            Ok(Redemption::Refused(AuthCode {
                code_hash: hash.clone(),
                app_id: AppId::parse("app_1").unwrap(),
                user_id: user(),
                profile: profile(),
                created_at: now(),
                expires_at: now() + AUTH_CODE_LIFETIME,
                used_at: Some(now()),
            }))
        });
        connect.expect_insert_token().never();
        let service = service(known_app(), connect);
        assert_eq!(
            futures::executor::block_on(service.exchange("app_1", "ac_used")),
            Err(ConnectError::ExpiredAuthCode)
        );
        assert_eq!(
            futures::executor::block_on(service.exchange("app_1", "ac_unknown")),
            Err(ConnectError::InvalidAuthCode)
        );
        assert_eq!(
            futures::executor::block_on(service.exchange("app_9", "ac_used")),
            Err(ConnectError::MiniappNotFound("app_9".to_owned()))
        );
    }
}
