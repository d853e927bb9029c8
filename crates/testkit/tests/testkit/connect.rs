//! Boxo Connect's use cases over the in-memory wiring: auth codes, their exchange for
//! access tokens, the user data, access tokens on payment calls, expiry and pruning.

use std::sync::Arc;

use chrono::Duration;
use hostpay_domain::connect::{ConnectProfile, ProfileDraft, AUTH_CODE_LIFETIME};
use hostpay_domain::miniapp::{Miniapp, MiniappRegistration, SecretHash, SecretKeyring};
use hostpay_domain::order::UserRef;
use hostpay_domain::ports::{Clock, ConnectRepository};
use hostpay_domain::services::{ConnectError, Services};
use hostpay_domain::validation::NonEmptyString;
use hostpay_testkit::{in_memory_services, test_settings, Handles, TEST_HASH_KEY};
use tokio::sync::Barrier;

async fn miniapp(services: &Services, name: &str) -> Miniapp {
    services
        .apps
        .register(MiniappRegistration {
            name: NonEmptyString::parse(name).unwrap(),
            webhook_url: None,
        })
        .await
        .unwrap()
        .0
}

fn user() -> UserRef {
    UserRef::parse("user-7").unwrap()
}

fn profile() -> ConnectProfile {
    let draft = ProfileDraft {
        email: Some("ada@example.com".into()),
        phone: Some("+966501234567".into()),
        first_name: Some("Ada".into()),
        last_name: Some("Lovelace".into()),
        custom_attributes: Some(serde_json::json!({"tier": "gold"})),
        ..ProfileDraft::default()
    };
    ConnectProfile::parse(draft, &user()).unwrap()
}

/// A miniapp and a fresh auth code minted for it.
async fn setup() -> (Services, Handles, Miniapp, String) {
    let (services, handles) = in_memory_services();
    let app = miniapp(&services, "Connect Shop").await;
    let code = services
        .connect
        .mint_auth_code(app.id.as_str(), user(), profile())
        .await
        .unwrap()
        .auth_code;
    (services, handles, app, code)
}

#[tokio::test]
async fn a_code_becomes_a_token_and_the_token_the_profile() {
    let (services, handles, app, _) = setup().await;
    let now = handles.clock.now();
    let minted = services
        .connect
        .mint_auth_code(app.id.as_str(), user(), profile())
        .await
        .unwrap();
    assert!(minted.auth_code.starts_with("ac_"), "{minted:?}");
    assert_eq!(minted.expires_at, now + AUTH_CODE_LIFETIME);

    let issued = services
        .connect
        .exchange(app.id.as_str(), &minted.auth_code)
        .await
        .unwrap();
    assert!(issued.access_token.starts_with("at_"));
    assert_eq!(
        issued.expires_at,
        now + test_settings().connect.access_token_ttl
    );
    assert_eq!(issued.expires_at, now + Duration::seconds(3600));

    let shared = services
        .connect
        .user_data(app.id.as_str(), &issued.access_token)
        .await
        .unwrap();
    assert_eq!(shared, profile());
    assert_eq!(shared.reference(), "user-7");
    assert_eq!(
        services
            .connect
            .access_token_user(app.id.as_str(), &issued.access_token)
            .await,
        Ok(user())
    );

    // Only keyed hashes are kept: the plain secrets do not find anything.
    let keyring = SecretKeyring::new(TEST_HASH_KEY);
    let store = handles.store.as_ref();
    assert!(store
        .find_token(&keyring.hash(&issued.access_token))
        .await
        .unwrap()
        .is_some());
    assert!(store
        .find_token(&SecretHash::from_stored(issued.access_token.clone()))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_code_works_once() {
    let (services, _handles, app, code) = setup().await;
    assert!(services
        .connect
        .exchange(app.id.as_str(), &code)
        .await
        .is_ok());
    assert_eq!(
        services.connect.exchange(app.id.as_str(), &code).await,
        Err(ConnectError::ExpiredAuthCode)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_exchanges_of_one_code_exactly_one_gets_a_token() {
    let (services, _handles, app, code) = setup().await;
    let start = Arc::new(Barrier::new(10));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let services = services.clone();
            let app_id = app.id.to_string();
            let code = code.clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                services.connect.exchange(&app_id, &code).await
            })
        })
        .collect();
    let mut tokens = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => tokens += 1,
            Err(error) => assert_eq!(error, ConnectError::ExpiredAuthCode),
        }
    }
    assert_eq!(tokens, 1);
}

#[tokio::test]
async fn a_code_minted_for_another_miniapp_is_refused_and_stays_its_own() {
    let (services, _handles, app, code) = setup().await;
    let other = miniapp(&services, "Other Shop").await;
    assert_eq!(
        services.connect.exchange(other.id.as_str(), &code).await,
        Err(ConnectError::ExpiredAuthCode)
    );
    assert!(
        services
            .connect
            .exchange(app.id.as_str(), &code)
            .await
            .is_ok(),
        "another miniapp's attempt does not spend the code"
    );
}

#[tokio::test]
async fn an_expired_code_and_a_garbage_one_are_refused() {
    let (services, handles, app, code) = setup().await;
    handles.clock.advance(AUTH_CODE_LIFETIME);
    assert_eq!(
        services.connect.exchange(app.id.as_str(), &code).await,
        Err(ConnectError::ExpiredAuthCode)
    );
    for garbage in ["", "nonsense", "ac_", "ac_never-minted", "at_x"] {
        assert_eq!(
            services.connect.exchange(app.id.as_str(), garbage).await,
            Err(ConnectError::InvalidAuthCode),
            "{garbage:?}"
        );
    }
}

#[tokio::test]
async fn unknown_miniapps_get_no_code_and_no_token() {
    let (services, _handles, _app, code) = setup().await;
    for app_id in ["app_unknown", "not an id"] {
        assert_eq!(
            services
                .connect
                .mint_auth_code(app_id, user(), profile())
                .await,
            Err(ConnectError::MiniappNotFound(app_id.to_owned()))
        );
        assert_eq!(
            services.connect.exchange(app_id, &code).await,
            Err(ConnectError::MiniappNotFound(app_id.to_owned()))
        );
    }
}

#[tokio::test]
async fn an_expired_token_and_a_garbage_one_are_refused() {
    let (services, handles, app, code) = setup().await;
    let token = services
        .connect
        .exchange(app.id.as_str(), &code)
        .await
        .unwrap()
        .access_token;
    handles
        .clock
        .advance(Duration::seconds(3600) - Duration::microseconds(1));
    assert!(services
        .connect
        .user_data(app.id.as_str(), &token)
        .await
        .is_ok());
    handles.clock.advance(Duration::microseconds(1));
    assert_eq!(
        services.connect.user_data(app.id.as_str(), &token).await,
        Err(ConnectError::ExpiredAccessToken)
    );
    assert_eq!(
        services
            .connect
            .access_token_user(app.id.as_str(), &token)
            .await,
        Err(ConnectError::ExpiredAccessToken)
    );
    for garbage in ["", "Token", "at_", "at_never-issued", &code] {
        assert_eq!(
            services.connect.user_data(app.id.as_str(), garbage).await,
            Err(ConnectError::InvalidAccessToken),
            "{garbage:?}"
        );
        assert_eq!(
            services
                .connect
                .access_token_user(app.id.as_str(), garbage)
                .await,
            Err(ConnectError::InvalidAccessToken),
            "{garbage:?}"
        );
    }
}

#[tokio::test]
async fn another_miniapps_token_is_invalid_for_user_data_and_denied_for_payments() {
    let (services, _handles, app, code) = setup().await;
    let other = miniapp(&services, "Other Shop").await;
    let token = services
        .connect
        .exchange(app.id.as_str(), &code)
        .await
        .unwrap()
        .access_token;
    for app_id in [other.id.as_str(), "app_unknown", "not an id"] {
        assert_eq!(
            services.connect.user_data(app_id, &token).await,
            Err(ConnectError::InvalidAccessToken),
            "{app_id}"
        );
        assert_eq!(
            services.connect.access_token_user(app_id, &token).await,
            Err(ConnectError::AccessDenied),
            "{app_id}"
        );
    }
}

#[tokio::test]
async fn prune_forgets_expired_codes_and_tokens() {
    let (services, handles, app, code) = setup().await;
    let token = services
        .connect
        .exchange(app.id.as_str(), &code)
        .await
        .unwrap()
        .access_token;
    let unused = services
        .connect
        .mint_auth_code(app.id.as_str(), user(), profile())
        .await
        .unwrap()
        .auth_code;
    let now = handles.clock.now();
    assert_eq!(services.connect.prune(now).await, Ok(0));
    let later = handles.clock.advance(Duration::hours(2));
    assert_eq!(services.connect.prune(later).await, Ok(3));
    assert_eq!(
        services.connect.exchange(app.id.as_str(), &unused).await,
        Err(ConnectError::InvalidAuthCode)
    );
    assert_eq!(
        services.connect.user_data(app.id.as_str(), &token).await,
        Err(ConnectError::InvalidAccessToken)
    );
}
