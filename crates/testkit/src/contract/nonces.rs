//! Boxo nonces.

use super::fixture::{secs, utc, Fixture, Must};
use super::ports::StorePorts;

/// `remember` is true only the first time; `prune` forgets nonces seen before a time.
pub async fn nonces(ports: &StorePorts) {
    // Earlier than any other nonce.
    let fx = Fixture::new("non", utc(1930, 1, 1));
    let first = fx.unique("nonce-");
    let second = fx.unique("nonce-");
    let remember = |nonce: String, at| {
        let ports = ports.clone();
        async move {
            ports
                .nonces
                .remember(&nonce, at)
                .await
                .must("NonceStore::remember")
        }
    };
    assert!(
        remember(first.clone(), fx.now()).await,
        "contract: a new nonce is remembered (true)"
    );
    assert!(
        !remember(first.clone(), fx.now() + secs(1)).await,
        "contract: a nonce seen before is a replay (false)"
    );
    fx.tick(100);
    assert!(remember(second.clone(), fx.now()).await);
    let pruned = ports
        .nonces
        .prune(fx.now() - secs(50))
        .await
        .must("NonceStore::prune");
    assert_eq!(
        pruned, 1,
        "contract: prune forgets exactly the nonces seen before `before`"
    );
    assert!(
        remember(first, fx.now()).await,
        "contract: a pruned nonce is new again"
    );
    assert!(
        !remember(second, fx.now()).await,
        "contract: prune keeps newer nonces"
    );
}
