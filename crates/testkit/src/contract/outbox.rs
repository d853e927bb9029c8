//! The outbox: claims of due deliveries with leases, attempts and what follows them,
//! release, manual retry, listing by state, depth.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use hostpay_domain::delivery::{
    AttemptOutcome, Delivery, DeliveryAttempt, DeliveryState, NextStep,
};
use hostpay_domain::event::DeliveryTarget;
use hostpay_domain::ids::DeliveryId;
use hostpay_domain::page::PageRequest;
use hostpay_domain::ports::OutboxDepth;

use super::fixture::{assert_newest_first, deliveries_of, next_page, secs, utc, Fixture, Must};
use super::StorePorts;

/// The lease every claim in these checks takes.
const LEASE_SECONDS: i64 = 60;

/// Claims at `now` with the standard lease; returns only the ids in `mine`, in order.
pub(crate) async fn claim(
    ports: &StorePorts,
    now: DateTime<Utc>,
    limit: u32,
    mine: &BTreeSet<DeliveryId>,
) -> Vec<DeliveryId> {
    ports
        .outbox
        .claim_due(now, now + secs(LEASE_SECONDS), limit)
        .await
        .must("Outbox::claim_due")
        .into_iter()
        .map(|delivery| delivery.id)
        .filter(|id| mine.contains(id))
        .collect()
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
        http_status: status,
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
/// `release` and `retry_now` make deliveries due again; lists by state; depth.
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
    assert_eq!(
        claim(ports, at(16), 10, &mine).await,
        vec![d2.clone()],
        "contract: claimed deliveries are hidden from other claimers during their lease"
    );
    assert!(
        claim(ports, at(16), 10, &mine).await.is_empty(),
        "contract: claimed deliveries are hidden from other claimers during their lease"
    );
    assert_eq!(
        claim(ports, at(25), 10, &mine).await,
        vec![d3.clone()],
        "contract: a delivery that became due is claimed; leased ones are not"
    );
    // d1's lease ended at 75, d2's ends at 76.
    assert_eq!(
        claim(ports, at(80), 1, &mine).await,
        vec![d1.clone()],
        "contract: a lease that ended makes the delivery due again (its claimer died)"
    );
    let claimed_at = at(80);

    // Attempts: retry later, delivered, dead.
    let retry_at = at(300);
    let first = attempt(
        claimed_at,
        Some(503),
        AttemptOutcome::Retryable("HTTP 503".to_owned()),
    );
    ports
        .outbox
        .record_attempt(&d1, &first, NextStep::RetryAt(retry_at))
        .await
        .must("Outbox::record_attempt");
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
    ports
        .outbox
        .record_attempt(&d2, &acknowledged, NextStep::Delivered)
        .await
        .must("record_attempt");
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
    ports
        .outbox
        .record_attempt(&d3, &refused, NextStep::Dead)
        .await
        .must("record_attempt");
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
    assert_eq!(claim(ports, retry_at, 10, &mine).await, vec![d1.clone()]);
    // Shutdown: released at once, due again.
    ports
        .outbox
        .release(std::slice::from_ref(&d1), at(301))
        .await
        .must("Outbox::release");
    assert_eq!(
        claim(ports, at(301), 10, &mine).await,
        vec![d1.clone()],
        "contract: release makes claimed deliveries due at `now`"
    );
    let second = attempt(at(302), Some(204), AttemptOutcome::Acknowledged);
    ports
        .outbox
        .record_attempt(&d1, &second, NextStep::Delivered)
        .await
        .must("record_attempt");
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
    let again = ports
        .outbox
        .retry_now(&d3, at(400))
        .await
        .must("Outbox::retry_now")
        .must("retry_now of a dead delivery");
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
    assert_eq!(claim(ports, at(400), 10, &mine).await, vec![d3.clone()]);
    ports
        .outbox
        .record_attempt(
            &d3,
            &attempt(at(401), Some(200), AttemptOutcome::Acknowledged),
            NextStep::Delivered,
        )
        .await
        .must("record_attempt");
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
        None,
        "contract: retry_now of an unknown delivery is None"
    );
    assert!(ports
        .outbox
        .attempts(&unknown)
        .await
        .must("attempts")
        .is_empty());
}
