//! Property tests of order activities: an order never moves backwards, nothing leaves
//! `delivered` or `cancelled`, and each upsert appends exactly one event when it changes
//! something and none otherwise.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{Duration, Utc};
use hostpay_domain::ids::{AppId, IdGenerator};
use hostpay_domain::order_activity::{
    OrderActivity, OrderActivityStatus, OrderActivityUpsert, UpsertOutcome,
};
use hostpay_domain::validation::{BoundedString, NonEmptyString};
use proptest::prelude::*;

struct Counter(AtomicU64);

impl IdGenerator for Counter {
    fn new_id(&self, prefix: &str) -> String {
        format!("{prefix}{:010}", self.0.fetch_add(1, Ordering::SeqCst))
    }
    fn new_secret(&self, prefix: &str) -> String {
        self.new_id(prefix)
    }
}

const STATUSES: [OrderActivityStatus; 7] = [
    OrderActivityStatus::Created,
    OrderActivityStatus::Confirmed,
    OrderActivityStatus::Preparing,
    OrderActivityStatus::Ready,
    OrderActivityStatus::InDelivery,
    OrderActivityStatus::Delivered,
    OrderActivityStatus::Cancelled,
];

fn rank(status: OrderActivityStatus) -> usize {
    STATUSES.iter().position(|s| *s == status).unwrap()
}

fn upsert(status: OrderActivityStatus, note: Option<&str>) -> OrderActivityUpsert {
    OrderActivityUpsert {
        order_id: NonEmptyString::parse("order-1").unwrap(),
        user_id: NonEmptyString::parse("user-1").unwrap(),
        status,
        title: None,
        items: None,
        total: None,
        currency: None,
        payment_id: None,
        delivery: None,
        note: note.map(|n| BoundedString::parse(n).unwrap()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn an_order_never_moves_backwards(
        steps in proptest::collection::vec((0usize..7, proptest::option::of("[a-c]")), 1..30)
    ) {
        let ids = Counter(AtomicU64::new(1));
        let mut now = Utc::now();
        let mut activity = OrderActivity::create(
            upsert(OrderActivityStatus::Created, None),
            AppId::parse("app_test").unwrap(),
            &ids,
            now,
        );
        prop_assert_eq!(activity.events.len(), 1);
        for (index, note) in steps {
            now += Duration::seconds(1);
            let target = STATUSES[index];
            let before = activity.clone();
            match before.apply(upsert(target, note.as_deref()), &ids, now) {
                Ok(UpsertOutcome::Updated(next)) => {
                    prop_assert_eq!(next.events.len(), before.events.len() + 1);
                    prop_assert!(!before.status.is_terminal() || next.status == before.status);
                    activity = next;
                }
                Ok(UpsertOutcome::Unchanged(next)) => {
                    prop_assert_eq!(&next, &before);
                }
                Ok(UpsertOutcome::Created(_)) => prop_assert!(false, "apply never creates"),
                Err(_) => {
                    let backwards = target != OrderActivityStatus::Cancelled
                        && rank(target) < rank(before.status);
                    prop_assert!(backwards || before.status.is_terminal());
                }
            }
            // Forward only: the rank never decreases except into `cancelled`.
            if activity.status != OrderActivityStatus::Cancelled {
                prop_assert!(rank(activity.status) >= rank(before.status));
            }
            if before.status.is_terminal() {
                prop_assert_eq!(activity.status, before.status);
            }
        }
    }
}

#[test]
fn forward_moves_may_skip_and_cancel_is_reachable() {
    use OrderActivityStatus::*;
    assert!(Created.can_move_to(InDelivery));
    assert!(Ready.can_move_to(Cancelled));
    assert!(!Ready.can_move_to(Confirmed));
    assert!(!Delivered.can_move_to(Cancelled));
    assert!(!Cancelled.can_move_to(Created));
    assert!(Delivered.can_move_to(Delivered));
}
