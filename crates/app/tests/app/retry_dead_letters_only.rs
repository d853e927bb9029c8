//! `hostpay deliveries retry` retries dead letters only: a delivered or pending delivery is
//! refused (non-zero exit, the reason on stderr) and left as it is. The real binary runs
//! against a SQLite database seeded in-process with one delivered and one dead delivery.

use std::sync::Arc;

use hostpay_domain::delivery::{Delivery, DeliveryState};
use hostpay_domain::miniapp::MiniappRegistration;
use hostpay_domain::order::OrderDetails;
use hostpay_domain::page::PageRequest;
use hostpay_domain::services::{Services, SettleStatus};
use hostpay_domain::validation::NonEmptyString;
use hostpay_store::StoreOptions;
use hostpay_testkit::process::{run, run_json, TempDir};
use hostpay_testkit::{acknowledged, permanent, RecordingBoxo};
use hostpay_upstream::SystemClock;
use serde_json::json;

/// One delivered and one dead complete-order in the database at `url`; returns their
/// delivery ids (delivered, dead).
async fn seed(url: &str) -> (String, String) {
    let store = hostpay_store::connect(url, StoreOptions::default())
        .await
        .unwrap();
    let boxo = Arc::new(RecordingBoxo::new());
    boxo.push_reply(acknowledged());
    boxo.push_reply(permanent(400, "PROCESS_FAIL"));
    let (mut ports, _handles) = hostpay_testkit::in_memory_ports();
    ports.use_store(store.ports());
    ports.platform = boxo;
    ports.clock = Arc::new(SystemClock);
    ports.ids = Arc::new(hostpay_app::system::RandomIds);
    let services = Services::new(ports, hostpay_testkit::test_settings());
    let (app, _) = services
        .apps
        .register(MiniappRegistration {
            name: NonEmptyString::parse("Retry Shop").unwrap(),
            webhook_url: None,
        })
        .await
        .unwrap();
    for order_id in ["order-delivered", "order-dead"] {
        let order: OrderDetails = hostpay_testkit::orders::order_details(json!({
            "currency": "SAR",
            "amount": "25.00",
            "miniapp_order_id": order_id,
            "hostapp_user_id": "u-42",
        }));
        let id = services
            .platform_orders
            .create_order_payment(app.id.as_str(), order, None)
            .await
            .unwrap();
        services
            .payments
            .settle(&id, SettleStatus::Paid)
            .await
            .unwrap();
    }
    let report = services
        .deliveries
        .dispatch_due(10, &|| false)
        .await
        .unwrap();
    assert_eq!((report.delivered, report.dead), (1, 1), "{report:?}");
    let all: Vec<Delivery> = services
        .deliveries
        .list(None, &PageRequest::first(10))
        .await
        .unwrap()
        .items;
    let of_state = |state: DeliveryState| {
        all.iter()
            .find(|d| d.state == state)
            .map(|d| d.id.to_string())
            .unwrap()
    };
    (
        of_state(DeliveryState::Delivered),
        of_state(DeliveryState::Dead),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_refuses_delivered_and_pending_deliveries() {
    let dir = TempDir::new();
    let url = dir.sqlite_url("retry.db");
    let (delivered, dead) = seed(&url).await;
    let env = [
        ("HOSTPAY__DATABASE__URL", url.as_str()),
        (
            "HOSTPAY__SECURITY__HASH_KEY",
            hostpay_testkit::process::HASH_KEY,
        ),
    ];
    let state_of = |id: &str| {
        run_json(&env, &["deliveries", "list", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .map(|d| (d["state"].clone(), d["attempts"].clone()))
            .unwrap()
    };

    let refused = run(&env, &["deliveries", "retry", &delivered]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "a delivered delivery is refused");
    assert!(
        stderr.contains(&delivered) && stderr.contains("delivered"),
        "names the delivery and its state: {stderr}"
    );
    assert!(stderr.contains("only dead"), "says why: {stderr}");
    assert_eq!(state_of(&delivered), (json!("delivered"), json!(1)));

    let retried = run_json(&env, &["deliveries", "retry", &dead, "--json"]);
    assert_eq!(retried["state"], "pending");
    assert_eq!(retried["attempts"], 1);

    // Now pending: refused as well, and still pending.
    let again = run(&env, &["deliveries", "retry", &dead]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success(), "a pending delivery is refused");
    assert!(stderr.contains("pending"), "{stderr}");
    assert_eq!(state_of(&dead), (json!("pending"), json!(1)));
}
