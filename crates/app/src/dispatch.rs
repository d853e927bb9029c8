//! Starts the outbox dispatcher ([`crate::dispatcher::run`]) as one of the workers.

use hostpay_domain::services::Services;

use crate::dispatcher::{self, DEFAULT_POLL};
use crate::workers::Workers;

/// Spawns the dispatcher; it stops with the other workers.
pub fn start(workers: &mut Workers, services: &Services) {
    let deliveries = services.deliveries.clone();
    let shutdown = workers.shutdown().receiver();
    workers.spawn("dispatcher", async move {
        tracing::info!(worker = "dispatcher", "worker started");
        dispatcher::run(deliveries, shutdown, DEFAULT_POLL).await;
    });
}
