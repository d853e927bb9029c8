//! User tokens: round trip, unique hashes, pruning.

use chrono::Duration;
use hostpay_domain::access::UserToken;
use hostpay_domain::ports::StoreError;

use super::fixture::{secs, text255, utc, Fixture, Must};
use super::ports::StorePorts;

/// Insert/find exactly, `Duplicate("token")`, `prune` deletes tokens expired before now.
pub async fn user_tokens(ports: &StorePorts) {
    // Long before any other check's tokens expire.
    let fx = Fixture::new("utk", utc(1950, 1, 1));
    let app = fx.stored_app(ports, false).await;
    let token = |lifetime: Duration| UserToken {
        token_hash: fx.hash(),
        app_id: app.id.clone(),
        user_id: text255("user-ü-1"),
        created_at: fx.now(),
        expires_at: fx.now() + lifetime,
    };
    let short = token(secs(600));
    let long = token(secs(3600));
    for minted in [&short, &long] {
        ports
            .user_tokens
            .insert(minted)
            .await
            .must("UserTokenRepository::insert");
        assert_eq!(
            ports
                .user_tokens
                .find(&minted.token_hash)
                .await
                .must("find")
                .as_ref(),
            Some(minted),
            "contract: a user token round-trips exactly"
        );
    }
    assert_eq!(
        ports.user_tokens.insert(&short).await,
        Err(StoreError::Duplicate("token".to_owned())),
        "contract: a token hash is unique: Duplicate(\"token\")"
    );
    assert_eq!(
        ports.user_tokens.find(&fx.hash()).await.must("find"),
        None,
        "contract: find of an unknown token is None"
    );
    let pruned = ports
        .user_tokens
        .prune(fx.now() + secs(1800))
        .await
        .must("UserTokenRepository::prune");
    assert_eq!(
        pruned, 1,
        "contract: prune deletes exactly the expired tokens"
    );
    assert_eq!(
        ports.user_tokens.find(&short.token_hash).await.must("find"),
        None
    );
    assert_eq!(
        ports.user_tokens.find(&long.token_hash).await.must("find"),
        Some(long.clone()),
        "contract: prune keeps tokens still valid"
    );
    assert_eq!(
        ports
            .user_tokens
            .prune(fx.now() + secs(1800))
            .await
            .must("prune"),
        0
    );
}
