//! Starts the outbox dispatcher as one of the workers.
//!
//! Interim: a plain loop over `DeliveryService::dispatch_due` (due deliveries attempted
//! within about a second) until `dispatcher::run` of the delivery work lands.

use std::time::Duration;

use hostpay_domain::services::Services;

use crate::workers::Workers;

/// Deliveries claimed per round.
const BATCH: u32 = 50;
/// Pause between rounds that found nothing to do.
const IDLE: Duration = Duration::from_secs(1);

/// Spawns the dispatcher.
pub fn start(workers: &mut Workers, services: &Services) {
    let deliveries = services.deliveries.clone();
    let mut shutdown = workers.shutdown();
    workers.spawn("dispatcher", async move {
        tracing::info!(worker = "dispatcher", "worker started");
        loop {
            let stop = shutdown.clone();
            let busy = match deliveries
                .dispatch_due(BATCH, &move || stop.is_stopping())
                .await
            {
                Ok(report) => report.attempted == BATCH as usize,
                Err(error) => {
                    tracing::warn!(worker = "dispatcher", %error, "dispatch failed");
                    false
                }
            };
            if shutdown.is_stopping() || (!busy && !shutdown.sleep(IDLE).await) {
                break;
            }
        }
    });
}
