//! Boxo Connect's auth codes and access tokens: round trips, single use (also under
//! concurrency), binding to the miniapp, expiry, lookups by hash only, pruning.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use hostpay_domain::connect::{AccessToken, AuthCode, ConnectProfile, ProfileDraft};
use hostpay_domain::ids::{AppId, IdGenerator};
use hostpay_domain::miniapp::SecretHash;
use hostpay_domain::ports::{Redemption, StoreError};
use tokio::sync::Barrier;

use super::fixture::{secs, text255, utc, Fixture, Must};
use super::ports::StorePorts;

/// A profile with every field, non-ASCII text and nested attributes.
fn full_profile() -> ConnectProfile {
    let draft = ProfileDraft {
        reference: Some("réf-ü-1".to_owned()),
        email: Some("ada@example.com".to_owned()),
        phone: Some("+966501234567".to_owned()),
        first_name: Some("Ada ☕".to_owned()),
        last_name: Some("Lovelace".to_owned()),
        custom_attributes: Some(serde_json::json!({"tier": "gold", "n": 1.5, "tags": ["a", "b"]})),
    };
    ConnectProfile::parse(draft, &text255("user-ü-1")).must("a valid profile")
}

/// A phone-only profile.
fn phone_profile() -> ConnectProfile {
    let draft = ProfileDraft {
        phone: Some("+12025550123".to_owned()),
        ..ProfileDraft::default()
    };
    ConnectProfile::parse(draft, &text255("user-2")).must("a valid profile")
}

fn code(fx: &Fixture, app_id: &AppId, lifetime: Duration) -> AuthCode {
    AuthCode {
        code_hash: fx.hash(),
        app_id: app_id.clone(),
        user_id: text255("user-ü-1"),
        profile: full_profile(),
        created_at: fx.now(),
        expires_at: fx.now() + lifetime,
        used_at: None,
    }
}

fn token(fx: &Fixture, app_id: &AppId, lifetime: Duration) -> AccessToken {
    AccessToken {
        token_hash: fx.hash(),
        app_id: app_id.clone(),
        user_id: text255("user-2"),
        profile: phone_profile(),
        created_at: fx.now(),
        expires_at: fx.now() + lifetime,
    }
}

async fn redeem(
    ports: &StorePorts,
    hash: &SecretHash,
    app_id: &AppId,
    at: DateTime<Utc>,
) -> Redemption {
    ports
        .connect
        .redeem_code(hash, app_id, at)
        .await
        .must("ConnectRepository::redeem_code")
}

/// A code round-trips; it is consumed once, only by its miniapp, only before it
/// expires; a refused code comes back as stored; an unknown hash is `Unknown`;
/// `Duplicate("auth_code")`.
pub async fn connect_codes(ports: &StorePorts) {
    let fx = Fixture::new("cac", utc(1960, 1, 1));
    let app = fx.app(false).id;
    let other = fx.app(false).id;
    let minted = code(&fx, &app, secs(300));
    ports
        .connect
        .insert_code(&minted)
        .await
        .must("ConnectRepository::insert_code");
    assert_eq!(
        ports.connect.insert_code(&minted).await,
        Err(StoreError::Duplicate("auth_code".to_owned())),
        "contract: a code hash is unique: Duplicate(\"auth_code\")"
    );
    assert_eq!(
        redeem(ports, &minted.code_hash, &other, fx.now()).await,
        Redemption::Refused(minted.clone()),
        "contract: another miniapp's code is refused, returned as stored (unused)"
    );
    let at = fx.tick(10);
    let used = AuthCode {
        used_at: Some(at),
        ..minted.clone()
    };
    assert_eq!(
        redeem(ports, &minted.code_hash, &app, at).await,
        Redemption::Redeemed(used.clone()),
        "contract: the first redemption by its miniapp gets the code (round trip, used_at = now)"
    );
    assert_eq!(
        redeem(ports, &minted.code_hash, &app, fx.tick(1)).await,
        Redemption::Refused(used.clone()),
        "contract: a used code is refused and keeps its first used_at"
    );
    assert_eq!(
        redeem(ports, &fx.hash(), &app, fx.now()).await,
        Redemption::Unknown,
        "contract: an unknown code hash is Unknown"
    );

    let short = code(&fx, &app, secs(60));
    let late = code(&fx, &app, secs(60));
    for minted in [&short, &late] {
        ports
            .connect
            .insert_code(minted)
            .await
            .must("ConnectRepository::insert_code");
    }
    let expiry = short.expires_at;
    assert_eq!(
        redeem(ports, &late.code_hash, &app, expiry).await,
        Redemption::Refused(late.clone()),
        "contract: a code is refused from its expires_at on"
    );
    let just_before = expiry - Duration::microseconds(1);
    assert_eq!(
        redeem(ports, &short.code_hash, &app, just_before).await,
        Redemption::Redeemed(AuthCode {
            used_at: Some(just_before),
            ..short.clone()
        }),
        "contract: a code is redeemable until just before its expires_at"
    );
}

/// A token round-trips, is found only by its hash (never by another text), and its
/// hash is unique: `Duplicate("access_token")`.
pub async fn connect_tokens(ports: &StorePorts) {
    let fx = Fixture::new("cat", utc(1961, 1, 1));
    let app = fx.app(false).id;
    let secret = fx.ids.new_secret("at_");
    let issued = AccessToken {
        token_hash: fx.keyring.hash(&secret),
        ..token(&fx, &app, secs(3600))
    };
    ports
        .connect
        .insert_token(&issued)
        .await
        .must("ConnectRepository::insert_token");
    assert_eq!(
        ports
            .connect
            .find_token(&issued.token_hash)
            .await
            .must("ConnectRepository::find_token"),
        Some(issued.clone()),
        "contract: an access token round-trips exactly"
    );
    assert_eq!(
        ports
            .connect
            .find_token(&SecretHash::from_stored(secret))
            .await
            .must("find_token"),
        None,
        "contract: a token is found by its hash, not by its plain text"
    );
    assert_eq!(
        ports
            .connect
            .find_token(&fx.hash())
            .await
            .must("find_token"),
        None,
        "contract: find_token of an unknown hash is None"
    );
    assert_eq!(
        ports.connect.insert_token(&issued).await,
        Err(StoreError::Duplicate("access_token".to_owned())),
        "contract: a token hash is unique: Duplicate(\"access_token\")"
    );
    let expired = token(&fx, &app, secs(1));
    ports
        .connect
        .insert_token(&expired)
        .await
        .must("insert_token");
    fx.tick(3600);
    assert_eq!(
        ports
            .connect
            .find_token(&expired.token_hash)
            .await
            .must("find_token"),
        Some(expired),
        "contract: an expired token is still found until pruned (the caller checks expiry)"
    );
}

/// `prune` deletes the codes (used or not) and tokens that expired before `now`, and
/// keeps the others.
pub async fn connect_prune(ports: &StorePorts) {
    // Earlier than every other Connect check's rows.
    let fx = Fixture::new("cap", utc(1955, 1, 1));
    let app = fx.app(false).id;
    let expired_code = code(&fx, &app, secs(300));
    let used_expired_code = code(&fx, &app, secs(300));
    let live_code = code(&fx, &app, secs(3600));
    let expired_token = token(&fx, &app, secs(600));
    let live_token = token(&fx, &app, secs(7200));
    for minted in [&expired_code, &used_expired_code, &live_code] {
        ports.connect.insert_code(minted).await.must("insert_code");
    }
    for issued in [&expired_token, &live_token] {
        ports
            .connect
            .insert_token(issued)
            .await
            .must("insert_token");
    }
    let used = redeem(ports, &used_expired_code.code_hash, &app, fx.tick(1)).await;
    assert!(matches!(used, Redemption::Redeemed(_)), "{used:?}");
    let now = fx.now() + secs(1800);
    let pruned = ports
        .connect
        .prune(now)
        .await
        .must("ConnectRepository::prune");
    assert_eq!(
        pruned, 3,
        "contract: prune deletes exactly the expired codes (used or not) and tokens"
    );
    for gone in [&expired_code, &used_expired_code] {
        assert_eq!(
            redeem(ports, &gone.code_hash, &app, now).await,
            Redemption::Unknown,
            "contract: a pruned code is unknown"
        );
    }
    assert_eq!(
        ports
            .connect
            .find_token(&expired_token.token_hash)
            .await
            .must("find_token"),
        None,
        "contract: a pruned token is gone"
    );
    assert_eq!(
        ports
            .connect
            .find_token(&live_token.token_hash)
            .await
            .must("find_token"),
        Some(live_token.clone()),
        "contract: prune keeps tokens still valid"
    );
    assert!(
        matches!(
            redeem(ports, &live_code.code_hash, &app, now).await,
            Redemption::Redeemed(_)
        ),
        "contract: prune keeps codes still valid"
    );
    assert_eq!(
        ports.connect.prune(now).await.must("prune"),
        0,
        "contract: a second prune finds nothing more"
    );
}

/// 20 concurrent redemptions of one code: exactly one gets it, the others are refused.
pub async fn concurrent_code_redemption(ports: &StorePorts) {
    let fx = Fixture::new("ccr", utc(1962, 1, 1));
    let app = fx.app(false).id;
    let minted = code(&fx, &app, secs(300));
    ports.connect.insert_code(&minted).await.must("insert_code");
    let now = fx.tick(5);
    let start = Arc::new(Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let ports = ports.clone();
            let hash = minted.code_hash.clone();
            let app = app.clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                ports.connect.redeem_code(&hash, &app, now).await
            })
        })
        .collect();
    let (mut redeemed, mut refused) = (0, 0);
    for task in tasks {
        match task
            .await
            .must("a redeem task")
            .must("ConnectRepository::redeem_code")
        {
            Redemption::Redeemed(_) => redeemed += 1,
            Redemption::Refused(_) => refused += 1,
            Redemption::Unknown => panic!("contract: a stored code read as Unknown"),
        }
    }
    assert_eq!(
        (redeemed, refused),
        (1, 19),
        "contract: exactly one of 20 concurrent redemptions of one code gets it"
    );
}
