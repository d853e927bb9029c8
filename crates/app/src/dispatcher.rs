//! The outbox dispatcher: the background task that delivers due events (Boxo
//! complete-order, miniapp webhooks) through [`DeliveryService::dispatch_due`].
//!
//! A few lanes run side by side so one slow receiver does not hold up the others; each
//! lane attempts up to a batch of due deliveries, claiming each one just before its attempt
//! for that attempt alone (leased in the store for `delivery.timeout_seconds` plus a
//! margin, so several lanes and several instances never attempt the same delivery at once,
//! however slow the receiver), and polls again after `poll` when it found less than a full
//! batch. A due delivery is attempted within `poll` plus one attempt's time (api.md: within
//! 2 s with the default `poll` of 1 s). An outcome whose claim was taken over meanwhile is
//! dropped by the store and logged here.
//!
//! On shutdown each lane finishes its in-flight attempt and records it; it claims nothing
//! it will not attempt, so nothing is left leased.

use std::time::Duration;

use hostpay_domain::services::DeliveryService;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Lanes that dispatch side by side.
pub const LANES: usize = 4;
/// Deliveries one lane attempts per round (one claim each).
pub const BATCH: u32 = 5;
/// The default pause of an idle lane.
pub const DEFAULT_POLL: Duration = Duration::from_secs(1);

/// Delivers due events until `shutdown` turns `true` (or its sender is dropped).
/// Returns once every lane has stopped.
pub async fn run(services: DeliveryService, shutdown: watch::Receiver<bool>, poll: Duration) {
    let mut lanes = JoinSet::new();
    for lane in 0..LANES {
        lanes.spawn(run_lane(lane, services.clone(), shutdown.clone(), poll));
    }
    while let Some(result) = lanes.join_next().await {
        if let Err(error) = result {
            tracing::error!(worker = "dispatcher", %error, "a dispatcher lane ended abnormally");
        }
    }
    tracing::info!(worker = "dispatcher", "dispatcher stopped");
}

async fn run_lane(
    lane: usize,
    services: DeliveryService,
    mut shutdown: watch::Receiver<bool>,
    poll: Duration,
) {
    loop {
        if stopping(&shutdown) {
            return;
        }
        let signal = shutdown.clone();
        let stop = move || stopping(&signal);
        let busy = match services.dispatch_due(BATCH, &stop).await {
            Ok(report) => {
                for id in &report.lost_claims {
                    tracing::warn!(
                        worker = "dispatcher",
                        lane,
                        delivery_id = %id,
                        "the claim on this delivery was taken over before its attempt was recorded; its outcome was dropped"
                    );
                }
                if report.attempted > 0 {
                    tracing::debug!(
                        worker = "dispatcher",
                        lane,
                        attempted = report.attempted,
                        delivered = report.delivered,
                        retried = report.retried,
                        dead = report.dead,
                        "dispatch round"
                    );
                }
                report.attempted >= BATCH as usize
            }
            Err(error) => {
                tracing::warn!(worker = "dispatcher", lane, %error, "dispatch round failed");
                false
            }
        };
        if busy {
            continue;
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
    }
}

/// Whether stopping was asked for (a dropped sender counts as asking).
fn stopping(shutdown: &watch::Receiver<bool>) -> bool {
    *shutdown.borrow() || shutdown.has_changed().is_err()
}
