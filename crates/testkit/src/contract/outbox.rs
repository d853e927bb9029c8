//! The outbox: claims of due deliveries with leases, attempts and what follows them,
//! recorded only under the claim that holds the delivery, manual retry of dead letters,
//! listing by state, depth.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use hostpay_domain::delivery::{
    claim_lease, AttemptOutcome, ClaimToken, Delivery, DeliveryAttempt, DeliveryState, NextStep,
};
use hostpay_domain::event::DeliveryTarget;
use hostpay_domain::ids::DeliveryId;
use hostpay_domain::page::PageRequest;
use hostpay_domain::ports::{ManualRetry, OutboxDepth, Recorded};

use super::fixture::{assert_newest_first, deliveries_of, next_page, secs, utc, Fixture, Must};
use super::ports::StorePorts;

/// The lease every claim in these checks takes.
const LEASE_SECONDS: i64 = 60;

/// Claims at `now` until `lease_until`; returns only the claims of ids in `mine`, in order.
pub(crate) async fn claim_until(
    ports: &StorePorts,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u32,
    mine: &BTreeSet<DeliveryId>,
) -> Vec<(DeliveryId, ClaimToken)> {
    ports
        .outbox
        .claim_due(now, lease_until, limit)
        .await
        .must("Outbox::claim_due")
        .into_iter()
        .map(|claimed| (claimed.delivery.id, claimed.token))
        .filter(|(id, _)| mine.contains(id))
        .collect()
}

/// Claims at `now` with the standard lease; returns only the ids in `mine`, in order.
pub(crate) async fn claim(
    ports: &StorePorts,
    now: DateTime<Utc>,
    limit: u32,
    mine: &BTreeSet<DeliveryId>,
) -> Vec<DeliveryId> {
    claim_tokens(ports, now, limit, mine)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

/// Claims at `now` with the standard lease; returns the claims of ids in `mine`, in order.
pub(crate) async fn claim_tokens(
    ports: &StorePorts,
    now: DateTime<Utc>,
    limit: u32,
    mine: &BTreeSet<DeliveryId>,
) -> Vec<(DeliveryId, ClaimToken)> {
    claim_until(ports, now, now + secs(LEASE_SECONDS), limit, mine).await
}

/// The token of the only claim in `claims`, which must be of `id`.
fn only(claims: Vec<(DeliveryId, ClaimToken)>, id: &DeliveryId, what: &str) -> ClaimToken {
    match claims.as_slice() {
        [(claimed, token)] if claimed == id => *token,
        other => panic!("contract: {what}: expected a claim of {id}, got {other:?}"),
    }
}

/// Records an attempt with `token`; returns whether it was written.
async fn record(
    ports: &StorePorts,
    id: &DeliveryId,
    token: ClaimToken,
    attempt: &DeliveryAttempt,
    next: NextStep,
) -> Recorded {
    ports
        .outbox
        .record_attempt(id, token, attempt, next)
        .await
        .must("Outbox::record_attempt")
}

/// Records an attempt that must be written.
async fn record_written(
    ports: &StorePorts,
    id: &DeliveryId,
    token: ClaimToken,
    attempt: &DeliveryAttempt,
    next: NextStep,
) {
    assert_eq!(
        record(ports, id, token, attempt, next).await,
        Recorded::Written,
        "contract: record_attempt with the token of the claim that holds {id} is written"
    );
}

async fn get(ports: &StorePorts, id: &DeliveryId) -> Delivery {
    ports
        .outbox
        .get(id)
        .await
        .must("Outbox::get")
        .must(&format!("Outbox::get of delivery {id}"))
}

fn attempt(at: DateTime<Utc>, status: Option<u16>, outcome: AttemptOutcome) -> DeliveryAttempt {
    DeliveryAttempt {
        at,
        status_code: status,
        outcome,
        latency_ms: 12,
    }
}

fn delta(after: OutboxDepth, before: OutboxDepth) -> (i64, i64) {
    let signed = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    (
        signed(after.pending) - signed(before.pending),
        signed(after.dead) - signed(before.dead),
    )
}

async fn depth(ports: &StorePorts) -> OutboxDepth {
    ports.outbox.depth().await.must("Outbox::depth")
}

/// Claims take due pending deliveries only, oldest due first, at most `limit`, and hide
/// them behind a lease that ends; attempts record their outcome and what follows;
/// `retry_now` makes a dead letter due again; lists by state; depth.
pub async fn outbox(ports: &StorePorts) {
    // Earlier than any other check's deliveries, so claims see only these.
    let fx = Fixture::new("obx", utc(1970, 1, 2));
    let t0 = fx.now();
    let at = |seconds: i64| t0 + secs(seconds);
    let base = depth(ports).await;
    let app = fx.stored_app(ports, true).await;
    let mut ids = Vec::new();
    let mut events = Vec::new();
    for offset in [0, 10, 20] {
        fx.set(at(offset));
        let written = fx.stored_payment(ports, &app, "user-1", "1.00").await;
        let event = written.events[0].clone();
        let found = deliveries_of(ports, &event).await;
        assert_eq!(found.len(), 1, "contract: one delivery per event target");
        ids.push(found[0].id.clone());
        events.push(event);
    }
    let mine: BTreeSet<DeliveryId> = ids.iter().cloned().collect();
    let (d1, d2, d3) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
    assert_eq!(
        delta(depth(ports).await, base),
        (3, 0),
        "contract: depth counts pending deliveries"
    );
    let fresh = get(ports, &d1).await;
    assert_eq!(fresh.target, DeliveryTarget::MiniappWebhook);
    assert_eq!(fresh.event, events[0]);
    assert_eq!((fresh.state, fresh.attempts), (DeliveryState::Pending, 0));

    assert!(
        claim(ports, at(-1), 10, &mine).await.is_empty(),
        "contract: nothing is claimed before it is due"
    );
    assert_eq!(
        claim(ports, at(15), 1, &mine).await,
        vec![d1.clone()],
        "contract: claim_due takes due pending deliveries, oldest due first, at most `limit`"
    );
    let t2 = only(
        claim_tokens(ports, at(16), 10, &mine).await,
        &d2,
        "contract: claimed deliveries are hidden from other claimers during their lease",
    );
    assert!(
        claim(ports, at(16), 10, &mine).await.is_empty(),
        "contract: claimed deliveries are hidden from other claimers during their lease"
    );
    let t3 = only(
        claim_tokens(ports, at(25), 10, &mine).await,
        &d3,
        "contract: a delivery that became due is claimed; leased ones are not",
    );
    // d1's lease ended at 75, d2's ends at 76.
    let t1 = only(
        claim_tokens(ports, at(80), 1, &mine).await,
        &d1,
        "contract: a lease that ended makes the delivery due again (its claimer died)",
    );
    let claimed_at = at(80);

    // Attempts: retry later, delivered, dead.
    let retry_at = at(300);
    let first = attempt(
        claimed_at,
        Some(503),
        AttemptOutcome::Retryable("HTTP 503".to_owned()),
    );
    record_written(ports, &d1, t1, &first, NextStep::RetryAt(retry_at)).await;
    let retried = get(ports, &d1).await;
    assert_eq!(
        (
            retried.state,
            retried.attempts,
            retried.last_status,
            retried.last_error.as_deref(),
            retried.next_attempt_at
        ),
        (DeliveryState::Pending, 1, Some(503), Some("HTTP 503"), retry_at),
        "contract: a retryable attempt leaves the delivery pending, due at the retry time, with attempts + 1 and the last status and error"
    );
    let acknowledged = attempt(
        claimed_at + secs(1),
        Some(200),
        AttemptOutcome::Acknowledged,
    );
    // d2's lease ended, but nobody took it over: its claim still holds.
    record_written(ports, &d2, t2, &acknowledged, NextStep::Delivered).await;
    let delivered = get(ports, &d2).await;
    assert_eq!(
        (
            delivered.state,
            delivered.attempts,
            delivered.last_status,
            delivered.last_error.as_deref()
        ),
        (DeliveryState::Delivered, 1, Some(200), None),
        "contract: an acknowledged attempt marks the delivery delivered"
    );
    let refused = attempt(
        claimed_at + secs(2),
        Some(400),
        AttemptOutcome::Permanent("ORDER_NOT_FOUND".to_owned()),
    );
    record_written(ports, &d3, t3, &refused, NextStep::Dead).await;
    let dead = get(ports, &d3).await;
    assert_eq!(
        (
            dead.state,
            dead.attempts,
            dead.last_status,
            dead.last_error.as_deref()
        ),
        (DeliveryState::Dead, 1, Some(400), Some("ORDER_NOT_FOUND")),
        "contract: a permanent failure dead-letters the delivery"
    );
    assert_eq!(
        delta(depth(ports).await, base),
        (1, 1),
        "contract: depth counts pending and dead deliveries"
    );

    // Listing by state.
    let listed = |state: Option<DeliveryState>| {
        let ports = ports.clone();
        async move {
            let limit = 2;
            let mut all = Vec::new();
            let mut request = PageRequest::first(limit);
            loop {
                let page = ports
                    .outbox
                    .list(state, &request)
                    .await
                    .must("Outbox::list");
                let next = next_page("Outbox::list", &page, limit);
                all.extend(page.items);
                let Some(next) = next else { break };
                request = next;
            }
            all
        }
    };
    let everything = listed(None).await;
    let positions: Vec<_> = everything
        .iter()
        .map(|d| (d.created_at, d.id.to_string()))
        .collect();
    assert_newest_first("Outbox::list", &positions);
    let listed_mine: Vec<DeliveryId> = everything
        .iter()
        .map(|d| d.id.clone())
        .filter(|id| mine.contains(id))
        .collect();
    assert_eq!(
        listed_mine,
        [d3.clone(), d2.clone(), d1.clone()],
        "contract: Outbox::list gives every delivery once, newest first"
    );
    for (state, expected) in [
        (DeliveryState::Pending, &d1),
        (DeliveryState::Delivered, &d2),
        (DeliveryState::Dead, &d3),
    ] {
        let of_state = listed(Some(state)).await;
        assert!(
            of_state.iter().all(|d| d.state == state),
            "contract: Outbox::list(Some({state:?})) lists only that state"
        );
        let found: Vec<&DeliveryId> = of_state
            .iter()
            .map(|d| &d.id)
            .filter(|id| mine.contains(*id))
            .collect();
        assert_eq!(found, [expected], "contract: Outbox::list(Some({state:?}))");
    }

    assert!(
        claim(ports, at(299), 10, &mine).await.is_empty(),
        "contract: a retry is not due before its time; delivered and dead ones never are"
    );
    let t1_again = only(
        claim_tokens(ports, retry_at, 10, &mine).await,
        &d1,
        "contract: a retry is due at its time",
    );
    assert_ne!(t1_again, t1, "contract: each claim gets a new token");
    let second = attempt(at(302), Some(204), AttemptOutcome::Acknowledged);
    assert_eq!(
        record(ports, &d1, t1, &second, NextStep::Delivered).await,
        Recorded::LostClaim,
        "contract: a claim records one attempt; its token is spent"
    );
    record_written(ports, &d1, t1_again, &second, NextStep::Delivered).await;
    assert_eq!(
        ports.outbox.attempts(&d1).await.must("Outbox::attempts"),
        [first, second],
        "contract: attempts are recorded exactly, oldest first"
    );
    let done = get(ports, &d1).await;
    assert_eq!(
        (done.state, done.attempts, done.last_status),
        (DeliveryState::Delivered, 2, Some(204))
    );

    // A dead letter retried by hand keeps its history and is due at once.
    let again = match ports
        .outbox
        .retry_now(&d3, at(400))
        .await
        .must("Outbox::retry_now")
    {
        ManualRetry::Retried(delivery) => delivery,
        other => panic!("contract: retry_now of a dead delivery retries it, got {other:?}"),
    };
    assert_eq!(
        (again.state, again.next_attempt_at, again.attempts),
        (DeliveryState::Pending, at(400), 1),
        "contract: retry_now makes the delivery pending and due now, keeping its attempt count"
    );
    assert_eq!(
        get(ports, &d3).await,
        again,
        "contract: retry_now returns the stored delivery"
    );
    assert_eq!(
        ports.outbox.attempts(&d3).await.must("attempts"),
        [refused],
        "contract: retry_now keeps the attempts"
    );
    assert_eq!(delta(depth(ports).await, base), (1, 0));
    let t3_again = only(
        claim_tokens(ports, at(400), 10, &mine).await,
        &d3,
        "contract: a retried dead letter is due now",
    );
    record_written(
        ports,
        &d3,
        t3_again,
        &attempt(at(401), Some(200), AttemptOutcome::Acknowledged),
        NextStep::Delivered,
    )
    .await;
    assert_eq!(delta(depth(ports).await, base), (0, 0));

    let unknown = DeliveryId::generate(fx.ids.as_ref());
    assert_eq!(
        ports.outbox.get(&unknown).await.must("get"),
        None,
        "contract: get of an unknown delivery is None"
    );
    assert_eq!(
        ports
            .outbox
            .retry_now(&unknown, at(500))
            .await
            .must("retry_now"),
        ManualRetry::Unknown,
        "contract: retry_now of an unknown delivery is Unknown"
    );
    assert!(ports
        .outbox
        .attempts(&unknown)
        .await
        .must("attempts")
        .is_empty());
}

/// Each attempt has its own claim, leased for at least the attempt's timeout: a late
/// `record_attempt` whose claim was taken over writes nothing and never overwrites
/// `delivered`; a token records once; manual retry applies to dead letters only.
pub async fn outbox_claims(ports: &StorePorts) {
    // After `outbox`'s window and before the concurrency checks'; leaves nothing pending.
    let fx = Fixture::new("ocl", utc(1970, 1, 3));
    let t0 = fx.now();
    let at = |seconds: i64| t0 + secs(seconds);
    let app = fx.stored_app(ports, true).await;
    let mut ids = Vec::new();
    for offset in [0, 1000] {
        fx.set(at(offset));
        let written = fx.stored_payment(ports, &app, "user-1", "1.00").await;
        let found = deliveries_of(ports, &written.events[0]).await;
        assert_eq!(found.len(), 1, "contract: one delivery per event target");
        ids.push(found[0].id.clone());
    }
    let mine: BTreeSet<DeliveryId> = ids.iter().cloned().collect();
    let (d1, d2) = (ids[0].clone(), ids[1].clone());

    // A claim for an attempt of up to 40 s.
    let timeout = secs(40);
    let lease = claim_lease(timeout);
    assert!(
        lease > timeout,
        "contract: a claim's lease ({lease}) is at least the attempt timeout ({timeout})"
    );
    let claimed_at = at(1);
    let first = only(
        claim_until(ports, claimed_at, claimed_at + lease, 10, &mine).await,
        &d1,
        "contract: claim_due takes the due delivery",
    );
    for probe in [
        claimed_at + timeout,
        claimed_at + lease - chrono::Duration::microseconds(1),
    ] {
        assert!(
            claim(ports, probe, 10, &mine).await.is_empty(),
            "contract: nobody else claims a delivery while its attempt may still run \
             (the lease is at least the attempt timeout)"
        );
    }
    // The first claimer is slower than its lease; a second one takes over.
    let taken_at = claimed_at + lease;
    let second = only(
        claim_tokens(ports, taken_at, 10, &mine).await,
        &d1,
        "contract: once the lease ended, another claimer takes the delivery over",
    );
    assert_ne!(second, first, "contract: a takeover gets a new token");
    let before = get(ports, &d1).await;
    let late_ack = attempt(claimed_at, Some(200), AttemptOutcome::Acknowledged);
    assert_eq!(
        record(ports, &d1, first, &late_ack, NextStep::Delivered).await,
        Recorded::LostClaim,
        "contract: a late record_attempt whose claim was taken over is a lost claim"
    );
    assert_eq!(
        get(ports, &d1).await,
        before,
        "contract: a late record_attempt whose claim was taken over writes nothing"
    );
    assert!(
        ports.outbox.attempts(&d1).await.must("attempts").is_empty(),
        "contract: a lost claim's attempt is not recorded"
    );
    // The claimer that took over is acknowledged...
    let acknowledged = attempt(taken_at, Some(204), AttemptOutcome::Acknowledged);
    record_written(ports, &d1, second, &acknowledged, NextStep::Delivered).await;
    let delivered = get(ports, &d1).await;
    assert_eq!(
        (delivered.state, delivered.attempts, delivered.last_status),
        (DeliveryState::Delivered, 1, Some(204))
    );
    // ...and the first one's failure, arriving later still, cannot undo that.
    let late_failure = attempt(
        claimed_at,
        None,
        AttemptOutcome::Retryable("timed out".to_owned()),
    );
    for (token, what) in [(first, "taken over"), (second, "already used")] {
        assert_eq!(
            record(
                ports,
                &d1,
                token,
                &late_failure,
                NextStep::RetryAt(taken_at + secs(60)),
            )
            .await,
            Recorded::LostClaim,
            "contract: record_attempt with a claim {what} is a lost claim"
        );
        assert_eq!(
            get(ports, &d1).await,
            delivered,
            "contract: a late record_attempt never overwrites delivered (claim {what})"
        );
    }
    assert_eq!(
        ports.outbox.attempts(&d1).await.must("attempts"),
        [acknowledged],
        "contract: only the holding claim's attempt is recorded"
    );

    // Manual retry: dead letters only.
    match ports
        .outbox
        .retry_now(&d1, at(500))
        .await
        .must("Outbox::retry_now")
    {
        ManualRetry::NotDead(found) => assert_eq!(
            found, delivered,
            "contract: retry_now of a delivered delivery returns it as it stands"
        ),
        other => panic!("contract: retry_now of a delivered delivery is refused, got {other:?}"),
    }
    assert_eq!(
        get(ports, &d1).await,
        delivered,
        "contract: retry_now of a delivered delivery changes nothing"
    );
    let pending = get(ports, &d2).await;
    assert_eq!(pending.state, DeliveryState::Pending);
    match ports
        .outbox
        .retry_now(&d2, at(500))
        .await
        .must("Outbox::retry_now")
    {
        ManualRetry::NotDead(found) => assert_eq!(found, pending),
        other => panic!("contract: retry_now of a pending delivery is refused, got {other:?}"),
    }
    assert_eq!(
        get(ports, &d2).await,
        pending,
        "contract: retry_now of a pending delivery changes nothing (it stays due when it was)"
    );
    assert!(
        claim(ports, at(999), 10, &mine).await.is_empty(),
        "contract: retry_now of a pending delivery does not make it due earlier"
    );
    let token = only(
        claim_tokens(ports, at(1000), 10, &mine).await,
        &d2,
        "contract: the pending delivery is due at its time",
    );
    let refused = attempt(
        at(1000),
        Some(400),
        AttemptOutcome::Permanent("ORDER_NOT_FOUND".to_owned()),
    );
    record_written(ports, &d2, token, &refused, NextStep::Dead).await;
    let dead = get(ports, &d2).await;
    match ports
        .outbox
        .retry_now(&d2, at(2000))
        .await
        .must("Outbox::retry_now")
    {
        ManualRetry::Retried(found) => assert_eq!(
            (found.state, found.next_attempt_at, found.attempts),
            (DeliveryState::Pending, at(2000), dead.attempts),
            "contract: retry_now of a dead letter makes it pending and due now"
        ),
        other => panic!("contract: retry_now of a dead letter retries it, got {other:?}"),
    }
    assert_eq!(
        record(
            ports,
            &d2,
            token,
            &attempt(at(2000), Some(200), AttemptOutcome::Acknowledged),
            NextStep::Delivered,
        )
        .await,
        Recorded::LostClaim,
        "contract: a claim from before a manual retry cannot record"
    );
    let last = only(
        claim_tokens(ports, at(2000), 10, &mine).await,
        &d2,
        "contract: a retried dead letter is due now",
    );
    record_written(
        ports,
        &d2,
        last,
        &attempt(at(2001), Some(200), AttemptOutcome::Acknowledged),
        NextStep::Delivered,
    )
    .await;
    assert_eq!(get(ports, &d2).await.state, DeliveryState::Delivered);
}
