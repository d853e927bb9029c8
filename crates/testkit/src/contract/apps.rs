//! Miniapps: round trip, unique ids, oldest-first listing, conditional saves.

use hostpay_domain::ids::AppId;
use hostpay_domain::ports::StoreError;

use super::fixture::{utc, Fixture, Must};
use super::ports::StorePorts;

/// Insert/get exactly, `Duplicate("id")`, `list` oldest first with a limit, `save` only
/// on top of the previous secret generation.
pub async fn apps(ports: &StorePorts) {
    // Earlier than any other check's apps, so they list first.
    let fx = Fixture::new("app", utc(1900, 1, 1));
    let first = fx.stored_app(ports, true).await;
    fx.tick(1);
    let second = fx.stored_app(ports, false).await;
    let third = fx.stored_app(ports, true).await;
    for app in [&first, &second, &third] {
        assert_eq!(
            ports
                .apps
                .get(&app.id)
                .await
                .must("AppRepository::get")
                .as_ref(),
            Some(app),
            "contract: an app round-trips exactly"
        );
    }
    assert_eq!(
        ports.apps.insert(&first).await,
        Err(StoreError::Duplicate("id".to_owned())),
        "contract: an app id is unique: Duplicate(\"id\")"
    );
    let unknown = AppId::generate(fx.ids.as_ref());
    assert_eq!(
        ports.apps.get(&unknown).await.must("get"),
        None,
        "contract: get of an unknown app is None"
    );
    let listed = ports.apps.list(3).await.must("AppRepository::list");
    assert_eq!(
        listed,
        [first.clone(), second.clone(), third.clone()],
        "contract: list gives apps oldest first (created_at, then id), at most limit"
    );
    assert_eq!(
        ports.apps.list(1).await.must("list"),
        vec![first.clone()],
        "contract: list returns at most limit apps"
    );

    fx.tick(60);
    let rotated = second.rotated(fx.hash(), fx.now());
    ports
        .apps
        .save(&rotated)
        .await
        .must("AppRepository::save of a rotation");
    assert_eq!(
        ports.apps.get(&second.id).await.must("get").as_ref(),
        Some(&rotated),
        "contract: a saved app reads back exactly"
    );
    let stale = second.rotated(fx.hash(), fx.now());
    assert_eq!(
        ports.apps.save(&stale).await,
        Err(StoreError::Conflict),
        "contract: a save over a generation that moved must fail with Conflict"
    );
    let mut skipping = rotated.rotated(fx.hash(), fx.now());
    skipping.secret_generation += 1;
    assert_eq!(
        ports.apps.save(&skipping).await,
        Err(StoreError::Conflict),
        "contract: a save must only apply on top of secret_generation - 1"
    );
    assert_eq!(
        ports.apps.get(&second.id).await.must("get").as_ref(),
        Some(&rotated),
        "contract: a refused save writes nothing"
    );
}
