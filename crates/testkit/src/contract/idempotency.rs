//! Idempotency keys: Proceed / Replay / KeyReused / InProgress, takeover of expired and
//! abandoned keys, release, prune.

use hostpay_domain::idempotency::{
    IdempotencyBegin, IdempotencyClaim, IdempotencyKey, IdempotentResult, StoredReply,
    ABANDONED_AFTER, KEY_LIFETIME,
};
use hostpay_domain::ids::AppId;
use hostpay_domain::payment::ChargeOutcome;

use super::fixture::{secs, utc, Fixture, Must};
use super::ports::StorePorts;

fn claim(app_id: &AppId, key: &str, fingerprint: char) -> IdempotencyClaim {
    IdempotencyClaim {
        app_id: app_id.clone(),
        key: IdempotencyKey::parse(key).must("a valid key"),
        fingerprint: fingerprint.to_string().repeat(64),
        owner: "test-owner".to_owned(),
    }
}

fn response(body: &str) -> StoredReply {
    StoredReply {
        status: 201,
        body: body.to_owned(),
    }
}

/// The decisions of `begin` over a key's life, responses written with payment inserts
/// and saves, keys per app, `release`.
pub async fn idempotency_keys(ports: &StorePorts) {
    let fx = Fixture::new("idk", utc(2026, 5, 1));
    let app = fx.stored_app(ports, false).await;
    let other_app = fx.stored_app(ports, false).await;
    let begin = |claim: IdempotencyClaim, at| {
        let ports = ports.clone();
        async move {
            ports
                .idempotency
                .begin(&claim, at)
                .await
                .must("IdempotencyStore::begin")
        }
    };
    let key = fx.unique("key-");
    let a = claim(&app.id, &key, 'a');
    let b = claim(&app.id, &key, 'b');
    let t0 = fx.now();

    assert_eq!(
        begin(a.clone(), t0).await,
        IdempotencyBegin::Proceed,
        "contract: a new key proceeds"
    );
    assert_eq!(
        begin(a.clone(), t0 + secs(1)).await,
        IdempotencyBegin::InProgress,
        "contract: the same request while the first runs is InProgress"
    );
    assert_eq!(
        begin(b.clone(), t0 + secs(1)).await,
        IdempotencyBegin::KeyReused,
        "contract: another request with a held key is KeyReused"
    );
    assert_eq!(
        begin(claim(&other_app.id, &key, 'b'), t0 + secs(1)).await,
        IdempotencyBegin::Proceed,
        "contract: keys are per miniapp"
    );

    // The first request wrote its response with its payment.
    let mut write = fx.open(
        &app,
        "user-1",
        "12.50",
        hostpay_domain::payment::Channel::Miniapp,
        None,
        Default::default(),
    );
    write.idempotent = Some(IdempotentResult {
        claim: a.clone(),
        response: response("{\"first\":true,\"ü\":\"12.50\"}"),
    });
    ports
        .payments
        .insert(write.clone())
        .await
        .must("insert with an idempotent response");
    assert_eq!(
        begin(a.clone(), t0 + secs(2)).await,
        IdempotencyBegin::Replay(response("{\"first\":true,\"ü\":\"12.50\"}")),
        "contract: a finished key replays its exact response"
    );
    assert_eq!(
        begin(b.clone(), t0 + secs(2)).await,
        IdempotencyBegin::KeyReused,
        "contract: a finished key with another request is KeyReused"
    );
    ports.idempotency.release(&a).await.must("release");
    assert_eq!(
        begin(a.clone(), t0 + secs(3)).await,
        IdempotencyBegin::Replay(response("{\"first\":true,\"ü\":\"12.50\"}")),
        "contract: release never forgets a key that has its response"
    );

    // A later save replaces the response (a refund recorded after its reservation).
    let key2 = fx.unique("key-");
    let c = claim(&app.id, &key2, 'c');
    assert_eq!(
        begin(c.clone(), t0 + secs(4)).await,
        IdempotencyBegin::Proceed
    );
    fx.set(t0 + secs(4));
    let transition = write
        .payment
        .record_charge(&ChargeOutcome::Approved, fx.now())
        .must("record_charge");
    let mut save = fx.write(&app, transition.clone());
    save.idempotent = Some(IdempotentResult {
        claim: c.clone(),
        response: response("pending"),
    });
    ports.payments.save(save).await.must("save with a response");
    let refund_transition = transition
        .payment
        .request_refund(
            hostpay_domain::ids::RefundId::generate(fx.ids.as_ref()),
            None,
            None,
            fx.now(),
        )
        .must("request_refund")
        .0;
    let mut save = fx.write(&app, refund_transition);
    save.idempotent = Some(IdempotentResult {
        claim: c.clone(),
        response: response("succeeded"),
    });
    ports
        .payments
        .save(save)
        .await
        .must("save replacing a response");
    assert_eq!(
        begin(c.clone(), t0 + secs(5)).await,
        IdempotencyBegin::Replay(response("succeeded")),
        "contract: a save replaces the key's stored response"
    );

    // A key whose request changed nothing is released and can be used again.
    let key3 = fx.unique("key-");
    let d = claim(&app.id, &key3, 'd');
    let e = claim(&app.id, &key3, 'e');
    assert_eq!(begin(d.clone(), t0).await, IdempotencyBegin::Proceed);
    ports
        .idempotency
        .release(&d)
        .await
        .must("IdempotencyStore::release");
    assert_eq!(
        begin(e.clone(), t0 + secs(1)).await,
        IdempotencyBegin::Proceed,
        "contract: a released key is free for any request"
    );

    // Abandoned (held past ABANDONED_AFTER without a response): taken over, once.
    let later = t0 + secs(1) + ABANDONED_AFTER;
    assert_eq!(
        begin(d.clone(), later).await,
        IdempotencyBegin::Proceed,
        "contract: an abandoned key is taken over"
    );
    assert_eq!(
        begin(d.clone(), later).await,
        IdempotencyBegin::InProgress,
        "contract: a taken-over key is held by its new request"
    );
    assert_eq!(
        begin(e.clone(), later + secs(1)).await,
        IdempotencyBegin::KeyReused,
        "contract: a taken-over key holds the new request's fingerprint"
    );

    // Expired (24 h): taken over even with a response, and by another request.
    assert_eq!(
        begin(b.clone(), t0 + KEY_LIFETIME).await,
        IdempotencyBegin::Proceed,
        "contract: an expired key is taken over"
    );
    assert_eq!(
        begin(a.clone(), t0 + KEY_LIFETIME + secs(1)).await,
        IdempotencyBegin::KeyReused,
        "contract: an expired key, taken over, is held for the new request"
    );
}

/// `prune` deletes keys created before a time and frees them.
pub async fn idempotency_prune(ports: &StorePorts) {
    // Earlier than any other key.
    let fx = Fixture::new("idp", utc(1940, 1, 1));
    let app = fx.stored_app(ports, false).await;
    let old = claim(&app.id, &fx.unique("key-"), 'a');
    let young = claim(&app.id, &fx.unique("key-"), 'a');
    let t0 = fx.now();
    assert_eq!(
        ports.idempotency.begin(&old, t0).await.must("begin"),
        IdempotencyBegin::Proceed
    );
    assert_eq!(
        ports
            .idempotency
            .begin(&young, t0 + secs(100))
            .await
            .must("begin"),
        IdempotencyBegin::Proceed
    );
    assert_eq!(
        ports
            .idempotency
            .prune(t0 + secs(50))
            .await
            .must("IdempotencyStore::prune"),
        1,
        "contract: prune deletes exactly the keys created before `before`"
    );
    assert_eq!(
        ports
            .idempotency
            .begin(&old, t0 + secs(101))
            .await
            .must("begin"),
        IdempotencyBegin::Proceed,
        "contract: a pruned key is new again"
    );
    assert_eq!(
        ports
            .idempotency
            .begin(&young, t0 + secs(101))
            .await
            .must("begin"),
        IdempotencyBegin::InProgress,
        "contract: prune keeps younger keys"
    );
}
