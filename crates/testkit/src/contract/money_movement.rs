//! Who may move money and nothing lost on the way: pay grants, the charge-check queue,
//! charge reversals, and idempotency holds that only their owner may complete or release.

use hostpay_domain::access::PayGrant;
use hostpay_domain::idempotency::{
    IdempotencyBegin, IdempotencyClaim, IdempotencyKey, IdempotentResult, StoredReply,
    ABANDONED_AFTER,
};
use hostpay_domain::ids::{PaymentId, RefundId};
use hostpay_domain::payment::{
    CancelReason, ChargeOutcome, ReversalStatus, CHARGE_RECONCILE_AFTER,
};
use hostpay_domain::ports::StoreError;

use super::fixture::{secs, stored, text255, utc, Fixture, Must};
use super::ports::StorePorts;

/// `add_grant` / `find_grant`: a grant round-trips exactly by its hash; a second grant
/// with the same hash is `Duplicate("token")`; an unknown hash finds nothing.
pub async fn pay_grants(ports: &StorePorts) {
    let fx = Fixture::new("pgr", utc(2026, 6, 1));
    let app = fx.stored_app(ports, false).await;
    let opened = fx.stored_payment(ports, &app, "user-1", "30.00").await;
    let grant = PayGrant {
        token_hash: fx.hash(),
        payment_id: opened.payment.id().clone(),
        user_id: text255("user-1"),
        created_at: fx.now(),
        expires_at: fx.now() + secs(300),
    };
    ports.payments.add_grant(&grant).await.must("add_grant");
    assert_eq!(
        ports
            .payments
            .find_grant(&grant.token_hash)
            .await
            .must("find_grant"),
        Some(grant.clone()),
        "contract: find_grant returns the grant exactly as added"
    );
    assert_eq!(
        ports.payments.add_grant(&grant).await,
        Err(StoreError::Duplicate("token".to_owned())),
        "contract: a grant's hash is unique"
    );
    assert_eq!(
        ports
            .payments
            .find_grant(&fx.hash())
            .await
            .must("find_grant"),
        None,
        "contract: an unknown grant finds nothing"
    );
}

/// `due_charge_checks`: a charge in flight is due from `CHARGE_RECONCILE_AFTER` after it
/// started, soonest first; a deferred check waits; an outcome takes it out. And
/// `expired_in_process` never lists a payment whose charge is in flight, whatever its
/// session.
pub async fn charge_checks(ports: &StorePorts) {
    let fx = Fixture::new("cck", utc(1933, 1, 1));
    let app = fx.stored_app(ports, false).await;
    let a = fx
        .stored_payment(ports, &app, "user-1", "10.00")
        .await
        .payment;
    let b = fx
        .stored_payment(ports, &app, "user-1", "20.00")
        .await
        .payment;
    let mine = [a.id().clone(), b.id().clone()];
    let due = |at, limit| {
        let ports = ports.clone();
        let mine = mine.clone();
        async move {
            ports
                .payments
                .due_charge_checks(at, limit)
                .await
                .must("due_charge_checks")
                .into_iter()
                .filter(|id| mine.contains(id))
                .collect::<Vec<PaymentId>>()
        }
    };
    let started = fx.tick(1);
    let (a, _) = fx
        .save(
            ports,
            &app,
            a.begin_charge(fx.now()).must("begin a"),
            "mark a",
        )
        .await;
    fx.tick(1);
    let (b, _) = fx
        .save(
            ports,
            &app,
            b.begin_charge(fx.now()).must("begin b"),
            "mark b",
        )
        .await;
    assert!(
        due(started + CHARGE_RECONCILE_AFTER - secs(1), 100)
            .await
            .is_empty(),
        "contract: a charge is not checked before CHARGE_RECONCILE_AFTER"
    );
    assert_eq!(
        due(started + CHARGE_RECONCILE_AFTER + secs(5), 100).await,
        [a.id().clone(), b.id().clone()],
        "contract: due_charge_checks lists charges in flight, soonest due first"
    );
    assert_eq!(
        due(started + CHARGE_RECONCILE_AFTER + secs(5), 1).await,
        std::slice::from_ref(a.id()),
        "contract: due_charge_checks returns at most limit ids"
    );
    // Both sessions ended long ago: the expiry sweep must leave charges in flight alone.
    let late = started + secs(24 * 3600);
    let expired: Vec<PaymentId> = ports
        .payments
        .expired_in_process(late, 1000)
        .await
        .must("expired_in_process")
        .into_iter()
        .filter(|id| mine.contains(id))
        .collect();
    assert!(
        expired.is_empty(),
        "contract: expired_in_process never lists a payment whose charge is in flight"
    );
    // No answer for a: deferred, b comes first.
    fx.set(started + CHARGE_RECONCILE_AFTER + secs(5));
    let (a, _) = fx
        .save(
            ports,
            &app,
            a.defer_charge_check(fx.now()).must("defer a"),
            "defer a",
        )
        .await;
    assert_eq!(
        due(fx.now(), 100).await,
        std::slice::from_ref(b.id()),
        "contract: a deferred charge check waits its backoff"
    );
    let (_, _) = fx
        .save(
            ports,
            &app,
            b.record_charge(&ChargeOutcome::Approved, fx.now())
                .must("record b"),
            "record b",
        )
        .await;
    assert_eq!(
        due(late, 100).await,
        std::slice::from_ref(a.id()),
        "contract: a recorded charge is no longer checked"
    );
}

/// A reversal is written with its transition and event; `due_reversals` lists pending
/// ones that are due; `save_reversal` records attempts; `reversals` reads a payment's.
pub async fn charge_reversals(ports: &StorePorts) {
    let fx = Fixture::new("crv", utc(1934, 1, 1));
    let app = fx.stored_app(ports, false).await;
    let opened = fx.stored_payment(ports, &app, "user-1", "45.10").await;
    fx.tick(1);
    let (cancelled, _) = fx
        .save(
            ports,
            &app,
            opened
                .payment
                .cancel(CancelReason::ByHost, fx.now())
                .must("cancel"),
            "save of a cancel",
        )
        .await;
    fx.tick(1);
    let (transition, reversal) = cancelled
        .reverse_charge(RefundId::generate(fx.ids.as_ref()), fx.now())
        .must("reverse_charge of a cancelled payment");
    let mut write = fx.write(&app, transition);
    write.reversal = Some(reversal.clone());
    let event_ids: Vec<_> = write.events.iter().map(|event| event.id.clone()).collect();
    ports.payments.save(write).await.must("save of a reversal");
    let events = ports.payments.events(cancelled.id()).await.must("events");
    assert!(
        event_ids
            .iter()
            .all(|id| events.iter().any(|event| &event.id == id)),
        "contract: payment.charge_reversed is written with the reversal"
    );
    let ours = |list: Vec<hostpay_domain::payment::ChargeReversal>| {
        list.into_iter()
            .filter(|r| &r.payment_id == cancelled.id())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ours(
            ports
                .payments
                .due_reversals(fx.now(), 100)
                .await
                .must("due_reversals")
        ),
        std::slice::from_ref(&reversal),
        "contract: a new reversal is due at once, exactly as written"
    );
    let refused = reversal.record_attempt(Err("wallet down".to_owned()), fx.now());
    ports
        .payments
        .save_reversal(&refused)
        .await
        .must("save_reversal");
    assert!(
        ours(
            ports
                .payments
                .due_reversals(fx.now(), 100)
                .await
                .must("due_reversals")
        )
        .is_empty(),
        "contract: a refused reversal waits its backoff"
    );
    let later = refused.next_attempt_at;
    assert_eq!(
        ours(
            ports
                .payments
                .due_reversals(later, 100)
                .await
                .must("due_reversals")
        ),
        std::slice::from_ref(&refused),
        "contract: save_reversal keeps attempts, next attempt and last error"
    );
    let done = refused.record_attempt(Ok(()), later);
    ports
        .payments
        .save_reversal(&done)
        .await
        .must("save_reversal");
    assert!(ours(
        ports
            .payments
            .due_reversals(later + secs(86_400), 100)
            .await
            .must("due_reversals")
    )
    .is_empty());
    let all = ports
        .payments
        .reversals(cancelled.id())
        .await
        .must("reversals");
    assert_eq!(all, std::slice::from_ref(&done));
    assert_eq!(all[0].status, ReversalStatus::Succeeded);
    assert_eq!(
        stored(ports, cancelled.id()).await.version(),
        cancelled.version() + 1
    );
}

/// The takeover scenario: a request that held a key past `ABANDONED_AFTER` and lost it
/// to a second request can neither release the second's hold nor complete the key; a
/// third request meanwhile is `InProgress`.
pub async fn idempotency_owner(ports: &StorePorts) {
    let fx = Fixture::new("iow", utc(2026, 6, 2));
    let app = fx.stored_app(ports, false).await;
    let key = IdempotencyKey::parse(&fx.unique("key-")).must("a key");
    let claim = |owner: &str| IdempotencyClaim {
        app_id: app.id.clone(),
        key: key.clone(),
        fingerprint: "f".repeat(64),
        owner: owner.to_owned(),
    };
    let (first, second, third) = (claim("owner-1"), claim("owner-2"), claim("owner-3"));
    let t0 = fx.now();
    let begin = |claim: IdempotencyClaim, at| {
        let ports = ports.clone();
        async move { ports.idempotency.begin(&claim, at).await.must("begin") }
    };
    assert_eq!(begin(first.clone(), t0).await, IdempotencyBegin::Proceed);
    let taken_over = t0 + ABANDONED_AFTER + secs(1);
    assert_eq!(
        begin(second.clone(), taken_over).await,
        IdempotencyBegin::Proceed,
        "contract: an abandoned hold is taken over"
    );
    // The first request fails late and frees "its" key: it must not free the second's.
    ports.idempotency.release(&first).await.must("release");
    assert_eq!(
        begin(third.clone(), taken_over + secs(1)).await,
        IdempotencyBegin::InProgress,
        "contract: release by a request that lost its hold frees nothing"
    );
    // Nor may the first complete the key: its business write is refused whole.
    fx.set(taken_over + secs(2));
    let mut write = fx.open(
        &app,
        "user-1",
        "5.00",
        hostpay_domain::payment::Channel::Miniapp,
        None,
        Default::default(),
    );
    write.idempotent = Some(IdempotentResult {
        claim: first.clone(),
        response: StoredReply {
            status: 201,
            body: "first".to_owned(),
        },
    });
    let id = write.payment.id().clone();
    assert_eq!(
        ports.payments.insert(write).await,
        Err(StoreError::Duplicate("idempotency_key".to_owned())),
        "contract: only the holder completes a key"
    );
    assert_eq!(
        ports.payments.get(&id).await.must("get"),
        None,
        "contract: a refused completion writes nothing"
    );
    // The holder completes it, and releases by others never forget a response.
    let mut write = fx.open(
        &app,
        "user-1",
        "5.00",
        hostpay_domain::payment::Channel::Miniapp,
        None,
        Default::default(),
    );
    write.idempotent = Some(IdempotentResult {
        claim: second.clone(),
        response: StoredReply {
            status: 201,
            body: "second".to_owned(),
        },
    });
    ports
        .payments
        .insert(write)
        .await
        .must("the holder completes");
    ports.idempotency.release(&second).await.must("release");
    assert!(matches!(
        begin(third, taken_over + secs(3)).await,
        IdempotencyBegin::Replay(response) if response.body == "second"
    ));
}
