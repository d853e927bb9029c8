//! The outbox dispatcher: the background task that delivers due events (Boxo
//! complete-order, miniapp webhooks) through [`DeliveryService::dispatch_due`].
//!
//! A few lanes run side by side so one slow receiver does not hold up the others; each
//! lane claims a small batch (claims are leased in the store, so several lanes and several
//! instances never attempt the same delivery at once), attempts it, and polls again after
//! `poll` when it found less than a full batch. A due delivery is attempted within
//! `poll` plus one attempt's time (api.md: within 2 s with the default `poll` of 1 s).
//!
//! On shutdown each lane finishes its in-flight attempt and records it; deliveries it
//! claimed but did not attempt are released (due again at once), never lost.

use std::time::Duration;

use hostpay_domain::services::DeliveryService;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Lanes that dispatch side by side.
pub const LANES: usize = 4;
/// Deliveries one lane claims per round.
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
