//! The outbox dispatcher (`hostpay_app::dispatcher::run`) against a fake Boxo platform:
//! retries with backoff, dead letters and manual retry (dead letters only), hangs past the
//! client timeout, restarts and crashes in the middle of a schedule, and a clean shutdown.

use std::time::Duration;

use crate::dispatcher_harness::*;
use hostpay_domain::delivery::{claim_lease, AttemptOutcome, DeliveryState};
use hostpay_domain::ports::Clock;
use hostpay_domain::services::Services;
use hostpay_testkit::deliveries::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn unavailable_three_times_then_delivered_once_with_four_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(COMPLETE_ORDER))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(3)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(COMPLETE_ORDER))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let (ports, handles) = ports_for(&server, Duration::from_secs(5));
    let services = Services::new(ports, settings());
    let app_id = register(&services).await;
    let payment = paid_order(&services, &app_id, "order-503").await;

    let dispatcher = start(&services);
    eventually("delivered", || async {
        to_next_retry(&services, &handles).await;
        only_delivery(&services).await.0.state == DeliveryState::Delivered
    })
    .await;
    dispatcher.stop().await;

    let (delivery, attempts) = only_delivery(&services).await;
    assert_eq!(delivery.attempts, 4);
    assert_eq!(
        attempts.iter().map(|a| a.status_code).collect::<Vec<_>>(),
        [Some(503), Some(503), Some(503), Some(200)]
    );
    assert!(matches!(attempts[0].outcome, AttemptOutcome::Retryable(_)));
    assert_eq!(attempts[3].outcome, AttemptOutcome::Acknowledged);
    // Each retry waited longer than the one before (exponential, from the 1 s base).
    let gaps: Vec<_> = attempts.windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(gaps
        .iter()
        .all(|gap| *gap >= chrono::Duration::milliseconds(800)));

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 4);
    let acknowledged: Vec<serde_json::Value> = requests[3..]
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(acknowledged.len(), 1);
    assert_eq!(acknowledged[0]["order_payment_id"], payment.as_str());
    assert_eq!(acknowledged[0]["payment_status"], "paid");
}

#[tokio::test]
async fn process_fail_is_dead_at_once_and_a_manual_retry_delivers_after_recovery() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(COMPLETE_ORDER))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error_code": "PROCESS_FAIL",
            "error_message": "the order is closed"
        })))
        .mount(&server)
        .await;
    let (ports, handles) = ports_for(&server, Duration::from_secs(5));
    let services = Services::new(ports, settings());
    let app_id = register(&services).await;
    paid_order(&services, &app_id, "order-400").await;

    let dispatcher = start(&services);
    eventually("dead", || async {
        only_delivery(&services).await.0.state == DeliveryState::Dead
    })
    .await;
    // Dead letters are not retried on their own, however long we wait.
    for _ in 0..5 {
        handles.clock.advance(chrono::Duration::hours(1));
        tokio::time::sleep(POLL * 3).await;
    }
    let (dead, attempts) = only_delivery(&services).await;
    assert_eq!(dead.attempts, 1);
    assert_eq!(dead.last_status, Some(400));
    assert!(
        matches!(attempts[0].outcome, AttemptOutcome::Permanent(ref why) if why.contains("PROCESS_FAIL"))
    );
    assert_eq!(received(&server).await, 1);

    // The platform recovers; an operator retries by hand.
    server.reset().await;
    Mock::given(method("POST"))
        .and(path(COMPLETE_ORDER))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let retried = services.deliveries.retry(&dead.id).await.unwrap();
    assert_eq!(retried.state, DeliveryState::Pending);
    eventually("delivered after the manual retry", || async {
        only_delivery(&services).await.0.state == DeliveryState::Delivered
    })
    .await;
    dispatcher.stop().await;
    let (delivered, attempts) = only_delivery(&services).await;
    assert_eq!(delivered.attempts, 2);
    assert_eq!(attempts.len(), 2);
    assert_eq!(received(&server).await, 1);
}

#[tokio::test]
async fn a_hang_past_the_client_timeout_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(COMPLETE_ORDER))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(COMPLETE_ORDER))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let (ports, handles) = ports_for(&server, Duration::from_millis(300));
    let services = Services::new(ports, settings());
    let app_id = register(&services).await;
    paid_order(&services, &app_id, "order-hang").await;

    let dispatcher = start(&services);
    eventually("delivered", || async {
        to_next_retry(&services, &handles).await;
        only_delivery(&services).await.0.state == DeliveryState::Delivered
    })
    .await;
    dispatcher.stop().await;
    let (delivery, attempts) = only_delivery(&services).await;
    assert_eq!(delivery.attempts, 2, "{attempts:?}");
    assert_eq!(attempts[0].status_code, None, "{attempts:?}");
    assert!(
        matches!(attempts[0].outcome, AttemptOutcome::Retryable(ref why) if why.contains("timed out"))
    );
    assert_eq!(attempts[1].outcome, AttemptOutcome::Acknowledged);
}

#[tokio::test]
async fn a_restart_in_the_middle_of_the_schedule_resumes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(COMPLETE_ORDER))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(COMPLETE_ORDER))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let (ports, handles) = ports_for(&server, Duration::from_secs(5));
    let first = Services::new(ports.clone(), settings());
    let app_id = register(&first).await;
    paid_order(&first, &app_id, "order-restart").await;

    // The first instance makes one attempt, then is stopped with the retry scheduled.
    let dispatcher = start(&first);
    eventually("first attempt", || async {
        only_delivery(&first).await.0.attempts == 1
    })
    .await;
    dispatcher.stop().await;
    let (pending, _) = only_delivery(&first).await;
    assert_eq!(pending.state, DeliveryState::Pending);
    assert!(pending.next_attempt_at > handles.clock.now());

    // A new instance over the same store picks the schedule up.
    let second = Services::new(ports, settings());
    let dispatcher = start(&second);
    eventually("delivered by the new instance", || async {
        to_next_retry(&second, &handles).await;
        only_delivery(&second).await.0.state == DeliveryState::Delivered
    })
    .await;
    dispatcher.stop().await;
    let (delivery, attempts) = only_delivery(&second).await;
    assert_eq!(delivery.attempts, 3);
    assert_eq!(attempts.len(), 3);
    assert_eq!(received(&server).await, 3);
}

#[tokio::test]
async fn a_crash_during_an_attempt_loses_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(COMPLETE_ORDER))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(COMPLETE_ORDER))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let timeout = Duration::from_secs(60);
    let (ports, handles) = ports_for(&server, timeout);
    let first = Services::new(ports.clone(), settings_for(timeout));
    let app_id = register(&first).await;
    paid_order(&first, &app_id, "order-crash").await;

    let dispatcher = start(&first);
    eventually("attempt in flight", || async {
        received(&server).await == 1
    })
    .await;
    dispatcher.crash();
    // Leased to the dead instance: nobody takes it until the lease ends...
    let second = Services::new(ports, settings_for(timeout));
    let lease = claim_lease(chrono::Duration::from_std(timeout).unwrap());
    handles.clock.advance(lease - chrono::Duration::seconds(1));
    let report = second.deliveries.dispatch_due(10, &|| false).await.unwrap();
    assert_eq!(report.attempted, 0);
    // ...then it is due again.
    handles.clock.advance(chrono::Duration::seconds(1));
    let dispatcher = start(&second);
    eventually("delivered after the lease", || async {
        only_delivery(&second).await.0.state == DeliveryState::Delivered
    })
    .await;
    dispatcher.stop().await;
    assert_eq!(only_delivery(&second).await.0.attempts, 1);
}

#[tokio::test]
async fn shutdown_finishes_the_attempt_in_flight_and_leaves_the_rest_due() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(COMPLETE_ORDER))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(400)))
        .mount(&server)
        .await;
    let (ports, handles) = ports_for(&server, Duration::from_secs(10));
    let services = Services::new(ports, settings());
    let app_id = register(&services).await;
    for n in 0..12 {
        paid_order(&services, &app_id, &format!("order-{n}")).await;
    }
    let dispatcher = start(&services);
    eventually("an attempt in flight", || async {
        received(&server).await >= 1
    })
    .await;
    dispatcher.stop().await;

    let now = handles.clock.now();
    let all = deliveries(&services).await;
    assert_eq!(all.len(), 12);
    let delivered = all
        .iter()
        .filter(|d| d.state == DeliveryState::Delivered)
        .count();
    // Every request the platform saw was recorded as an attempt (none cut off).
    assert_eq!(delivered, received(&server).await);
    assert!((1..12).contains(&delivered), "{delivered}");
    for delivery in all.iter().filter(|d| d.state == DeliveryState::Pending) {
        assert_eq!(delivery.attempts, 0);
        assert!(
            delivery.next_attempt_at <= now,
            "nothing is left claimed but unattempted: the rest are due now"
        );
    }
    // A restarted dispatcher delivers the rest at once.
    let dispatcher = start(&services);
    eventually("the rest delivered", || async {
        deliveries(&services)
            .await
            .iter()
            .all(|d| d.state == DeliveryState::Delivered)
    })
    .await;
    dispatcher.stop().await;
    assert_eq!(received(&server).await, 12);
}
