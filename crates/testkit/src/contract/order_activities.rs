//! Order activities: round trip, unique order ids, conditional saves that append
//! history, payment history entries, links, pagination.

use hostpay_domain::ids::{EventId, PaymentId};
use hostpay_domain::miniapp::Miniapp;
use hostpay_domain::order_activity::{
    ActivityEvent, OrderActivity, OrderActivityStatus, OrderActivityUpsert, UpsertOutcome,
};
use hostpay_domain::page::PageRequest;
use hostpay_domain::payment::{ChargeOutcome, PaymentStatus};
use hostpay_domain::ports::StoreError;

use super::fixture::{assert_newest_first, next_page, text255, utc, Fixture, Must};
use super::ports::StorePorts;

/// An upsert using every field.
pub(crate) fn rich_upsert(
    order_id: &str,
    user: &str,
    status: OrderActivityStatus,
    payment_id: Option<&PaymentId>,
) -> OrderActivityUpsert {
    crate::orders::upsert(serde_json::json!({
        "order_id": order_id,
        "user_id": user,
        "status": status,
        "title": "Dinner for two — ünïcode",
        "items": [
            {"product_name": "Pizza", "quantity": 2, "price": "12.90", "discount": "1.00"},
            {"product_name": "Tiramisu", "product_sku": "T-1", "quantity": 1, "price": "6.50"}
        ],
        "total": "31.30",
        "currency": "EUR",
        "payment_id": payment_id,
        "delivery": {
            "method": "delivery",
            "address": {"address1": "Hauptstraße 5", "city": "Köln", "latitude": "50.9375", "longitude": "6.9603"},
            "eta": "2026-04-01T19:30:00.123456Z",
            "tracking_url": "https://track.example/abc",
            "courier": {"name": "Zoë", "phone": "+49 221 000"}
        },
        "note": "ring twice"
    }))
}

/// Creates and stores an activity of `app` for `user`, linked to `payment_id`.
pub(crate) async fn stored_activity(
    ports: &StorePorts,
    fx: &Fixture,
    app: &Miniapp,
    user: &str,
    payment_id: Option<&PaymentId>,
) -> OrderActivity {
    let order_id = fx.unique("order-");
    let activity = OrderActivity::create(
        rich_upsert(&order_id, user, OrderActivityStatus::Created, payment_id),
        app.id.clone(),
        fx.ids.as_ref(),
        fx.now(),
    );
    ports
        .order_activities
        .insert(&activity)
        .await
        .must("OrderActivityRepository::insert of a new activity");
    activity
}

async fn get(ports: &StorePorts, app: &Miniapp, order_id: &str) -> OrderActivity {
    ports
        .order_activities
        .get_by_order(&app.id, order_id)
        .await
        .must("get_by_order")
        .must(&format!("get_by_order of stored order {order_id}"))
}

fn updated(outcome: UpsertOutcome) -> OrderActivity {
    match outcome {
        UpsertOutcome::Updated(activity) => activity,
        UpsertOutcome::Created(_) | UpsertOutcome::Unchanged(_) => {
            panic!("contract: the upsert was expected to change the activity")
        }
    }
}

/// Insert and read back exactly; `Duplicate("order_id")` per app; conditional saves that
/// append history (and keep entries the caller never saw); payment history entries
/// written with the payment; `linked_to_payment`.
pub async fn order_activities(ports: &StorePorts) {
    let fx = Fixture::new("oac", utc(2026, 4, 1));
    let app = fx.stored_app(ports, false).await;
    let other_app = fx.stored_app(ports, false).await;
    let payment = fx
        .stored_payment(ports, &app, "user-1", "31.30")
        .await
        .payment;
    let activity = stored_activity(ports, &fx, &app, "user-1", Some(payment.id())).await;
    let order_id = activity.order_id.as_str().to_owned();
    assert_eq!(
        get(ports, &app, &order_id).await,
        activity,
        "contract: an order activity round-trips exactly, events included"
    );
    assert_eq!(
        ports
            .order_activities
            .get_by_order(&other_app.id, &order_id)
            .await
            .must("get_by_order"),
        None,
        "contract: get_by_order is per app"
    );

    let clash = OrderActivity::create(
        rich_upsert(&order_id, "user-2", OrderActivityStatus::Created, None),
        app.id.clone(),
        fx.ids.as_ref(),
        fx.now(),
    );
    assert_eq!(
        ports.order_activities.insert(&clash).await,
        Err(StoreError::Duplicate("order_id".to_owned())),
        "contract: an app's order_id is unique: Duplicate(\"order_id\")"
    );
    let elsewhere = OrderActivity::create(
        rich_upsert(&order_id, "user-2", OrderActivityStatus::Created, None),
        other_app.id.clone(),
        fx.ids.as_ref(),
        fx.now(),
    );
    ports
        .order_activities
        .insert(&elsewhere)
        .await
        .must("contract: another app may use the same order_id");
    assert_eq!(get(ports, &app, &order_id).await, activity);

    // A change saved on top of its version appends its event.
    fx.tick(10);
    let mut upsert = rich_upsert(&order_id, "user-1", OrderActivityStatus::Confirmed, None);
    upsert.note = None;
    let confirmed = updated(
        activity
            .apply(upsert, fx.ids.as_ref(), fx.now())
            .must("apply"),
    );
    let new_events = &confirmed.events[activity.events.len()..];
    ports
        .order_activities
        .save(&confirmed, new_events)
        .await
        .must("OrderActivityRepository::save");
    assert_eq!(
        get(ports, &app, &order_id).await,
        confirmed,
        "contract: a saved activity reads back exactly with its new event appended"
    );

    // A competitor that loaded the old version loses and writes nothing.
    fx.tick(10);
    let stale = updated(
        activity
            .apply(
                rich_upsert(&order_id, "user-1", OrderActivityStatus::Cancelled, None),
                fx.ids.as_ref(),
                fx.now(),
            )
            .must("apply"),
    );
    assert_eq!(
        ports
            .order_activities
            .save(&stale, &stale.events[activity.events.len()..])
            .await,
        Err(StoreError::Conflict),
        "contract: saving an activity over a version that moved must fail with Conflict"
    );
    assert_eq!(
        get(ports, &app, &order_id).await,
        confirmed,
        "contract: a save that failed with Conflict writes nothing"
    );

    // The linked payment changes: its history entry is written with the payment.
    let links = ports
        .order_activities
        .linked_to_payment(&app.id, payment.id())
        .await
        .must("linked_to_payment");
    assert_eq!(
        links.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
        vec![activity.id.clone()],
        "contract: linked_to_payment finds the app's activities linked to the payment"
    );
    assert!(
        ports
            .order_activities
            .linked_to_payment(&other_app.id, payment.id())
            .await
            .must("linked_to_payment")
            .is_empty(),
        "contract: linked_to_payment is per app"
    );
    fx.tick(10);
    let transition = payment
        .record_charge(&ChargeOutcome::Approved, fx.now())
        .must("record_charge");
    let mut write = fx.write(&app, transition);
    let paid_event = write.events[0].clone();
    let entry = links[0].payment_changed_event(
        &paid_event.id,
        paid_event.kind.as_str(),
        PaymentStatus::Paid,
        paid_event.occurred_at,
    );
    write.activity_events = vec![(activity.id.clone(), entry.clone())];
    ports
        .payments
        .save(write)
        .await
        .must("save of paid with history");
    let with_entry = get(ports, &app, &order_id).await;
    let mut expected_events = confirmed.events.clone();
    expected_events.push(entry.clone());
    assert_eq!(
        with_entry.events, expected_events,
        "contract: a payment save appends the linked activities' history entries"
    );

    // A save by a caller that loaded the activity before that entry keeps the entry.
    fx.tick(10);
    let preparing = updated(
        confirmed
            .apply(
                rich_upsert(&order_id, "user-1", OrderActivityStatus::Preparing, None),
                fx.ids.as_ref(),
                fx.now(),
            )
            .must("apply"),
    );
    let appended: Vec<ActivityEvent> = preparing.events[confirmed.events.len()..].to_vec();
    if ports
        .order_activities
        .save(&preparing, &appended)
        .await
        .is_ok()
    {
        let mut expected = expected_events.clone();
        expected.extend(appended);
        assert_eq!(
            get(ports, &app, &order_id).await.events,
            expected,
            "contract: an activity save appends to the stored history, never replaces it"
        );
    } else {
        // A store may count the payment's entry as a change (Conflict); a reload then
        // sees it.
        let reloaded = get(ports, &app, &order_id).await;
        let retried = updated(
            reloaded
                .apply(
                    rich_upsert(&order_id, "user-1", OrderActivityStatus::Preparing, None),
                    fx.ids.as_ref(),
                    fx.now(),
                )
                .must("apply"),
        );
        ports
            .order_activities
            .save(&retried, &retried.events[reloaded.events.len()..])
            .await
            .must("save after reload");
        assert_eq!(get(ports, &app, &order_id).await, retried);
    }
    let history = get(ports, &app, &order_id).await.events;
    assert!(
        history.iter().any(|event| event.id == entry.id),
        "contract: the payment's history entry is never lost"
    );
    let unique: std::collections::BTreeSet<&EventId> = history.iter().map(|e| &e.id).collect();
    assert_eq!(
        unique.len(),
        history.len(),
        "contract: no history entry twice"
    );
}

/// `list_for_user` of activities: newest first, each once, whole (events included),
/// stable while activities are added between pages.
pub async fn order_activity_pagination(ports: &StorePorts) {
    let fx = Fixture::new("oap", utc(2026, 4, 2));
    let app = fx.stored_app(ports, false).await;
    let other_app = fx.stored_app(ports, false).await;
    let mut expected = Vec::new();
    for index in 0..12 {
        if index % 2 == 0 {
            fx.tick(1);
        }
        expected.push(stored_activity(ports, &fx, &app, "user-1", None).await);
        stored_activity(ports, &fx, &app, "user-2", None).await;
        stored_activity(ports, &fx, &other_app, "user-1", None).await;
    }
    // One of them has more history.
    fx.tick(1);
    let first = expected[0].clone();
    let next = updated(
        first
            .apply(
                rich_upsert(
                    first.order_id.as_str(),
                    "user-1",
                    OrderActivityStatus::Ready,
                    None,
                ),
                fx.ids.as_ref(),
                fx.now(),
            )
            .must("apply"),
    );
    ports
        .order_activities
        .save(&next, &next.events[first.events.len()..])
        .await
        .must("save");
    expected[0] = next;
    expected.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));

    let limit = 4;
    let mut seen = Vec::new();
    let mut request = PageRequest::first(limit);
    loop {
        let page = ports
            .order_activities
            .list_for_user(&app.id, "user-1", &request)
            .await
            .must("OrderActivityRepository::list_for_user");
        let next = next_page("order activities list_for_user", &page, limit);
        seen.extend(page.items);
        let Some(next) = next else { break };
        request = next;
        fx.tick(1);
        stored_activity(ports, &fx, &app, "user-1", None).await;
    }
    assert_eq!(
        seen, expected,
        "contract: walking every page yields each activity of the app's user exactly once, whole, newest first, unaffected by inserts between pages"
    );
    let whole = ports
        .order_activities
        .list_for_user(&app.id, "user-1", &PageRequest::first(100))
        .await
        .must("list_for_user");
    assert_eq!(whole.items.len(), 12 + 2);
    let positions: Vec<_> = whole
        .items
        .iter()
        .map(|a| (a.created_at, a.id.to_string()))
        .collect();
    assert_newest_first("order activities list_for_user", &positions);
    for item in &whole.items {
        assert_eq!(item.user_id, text255("user-1"));
        assert_eq!(item.app_id, app.id);
    }
}

/// `read_by_order`: the activity whole (as `get_by_order`) with its linked payment's
/// status, only when that payment is the activity's miniapp's; per app; none when unknown.
pub async fn order_activity_records(ports: &StorePorts) {
    let fx = Fixture::new("oar", utc(2026, 4, 3));
    let app = fx.stored_app(ports, false).await;
    let other_app = fx.stored_app(ports, false).await;
    let payment = fx
        .stored_payment(ports, &app, "user-1", "31.30")
        .await
        .payment;
    let foreign = fx
        .stored_payment(ports, &other_app, "user-1", "9.00")
        .await
        .payment;
    let linked = stored_activity(ports, &fx, &app, "user-1", Some(payment.id())).await;
    let unlinked = stored_activity(ports, &fx, &app, "user-1", None).await;
    let to_foreign = stored_activity(ports, &fx, &app, "user-1", Some(foreign.id())).await;
    let cases = [
        (&linked, Some(payment.status()), "its miniapp's payment"),
        (&unlinked, None, "no payment"),
        (&to_foreign, None, "another miniapp's payment"),
    ];
    for (activity, status, what) in cases {
        let order_id = activity.order_id.as_str();
        let record = ports
            .order_activities
            .read_by_order(&app.id, order_id)
            .await
            .must("read_by_order")
            .must(&format!("read_by_order of stored order {order_id}"));
        assert_eq!(
            record.activity,
            get(ports, &app, order_id).await,
            "contract: read_by_order returns the activity whole (events included), as get_by_order does"
        );
        assert_eq!(
            record.payment_status, status,
            "contract: read_by_order of an activity linked to {what} gives that payment's status only when it is the activity's miniapp's"
        );
    }
    assert_eq!(
        ports
            .order_activities
            .read_by_order(&other_app.id, linked.order_id.as_str())
            .await
            .must("read_by_order"),
        None,
        "contract: read_by_order is per app"
    );
    assert_eq!(
        ports
            .order_activities
            .read_by_order(&app.id, "no-such-order")
            .await
            .must("read_by_order"),
        None,
        "contract: read_by_order of an unknown order is none"
    );
}
