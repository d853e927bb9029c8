//! The dispatcher under test, started and stopped in-process (the rest of the delivery
//! tests' harness is `hostpay_testkit::deliveries`; this part needs `hostpay-app`).

use hostpay_app::dispatcher;
use hostpay_domain::services::Services;
use hostpay_testkit::deliveries::POLL;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running dispatcher and its stop switch.
pub struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Starts `dispatcher::run` over `services`.
pub fn start(services: &Services) -> Running {
    let (stop, receiver) = watch::channel(false);
    let task = tokio::spawn(dispatcher::run(services.deliveries.clone(), receiver, POLL));
    Running { stop, task }
}

impl Running {
    /// Asks it to stop and waits until it has.
    pub async fn stop(self) {
        self.stop.send(true).unwrap();
        self.task.await.unwrap();
    }

    /// Kills it without a clean stop (a crash).
    #[allow(dead_code)]
    pub fn crash(self) {
        self.task.abort();
    }
}
