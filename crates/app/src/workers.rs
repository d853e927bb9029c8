//! Background work of a running instance: the expiry sweep, the charge check, the
//! pending-refund and charge-reversal retries, pruning of spent keys, and the outbox
//! dispatcher. Each retrying worker takes only what is due (every item keeps its own
//! next-attempt time with backoff), so no item can hold back another. Every loop is safe on several
//! instances at once (the store makes each step conditional) and stops cleanly when told.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hostpay_domain::ports::StoreError;
use hostpay_domain::services::{PaymentServiceError, Ports, Services};
use hostpay_http::observability::names;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often `in_process` payments whose session ended are cancelled (api.md: at least
/// every 10 s).
pub const EXPIRY_PERIOD: Duration = Duration::from_secs(5);
/// How often the due processor questions are asked: pending refunds, charges in flight
/// without an outcome, reversals not yet accepted.
pub const RETRY_PERIOD: Duration = Duration::from_secs(10);
/// How often spent idempotency keys, nonces, user tokens and expired Boxo Connect codes
/// and access tokens are deleted.
pub const PRUNE_PERIOD: Duration = Duration::from_secs(300);
/// Idempotency keys are kept this long.
pub const IDEMPOTENCY_RETENTION: chrono::Duration = chrono::Duration::hours(24);
/// Boxo nonces are kept this long (twice the signature window).
pub const NONCE_RETENTION: chrono::Duration = chrono::Duration::seconds(600);
/// Rows handled per sweep step.
const BATCH: u32 = 100;

/// A stop signal shared by every worker: `true` means finish the current step and return.
#[derive(Clone)]
pub struct Shutdown {
    receiver: watch::Receiver<bool>,
}

impl Shutdown {
    /// Whether stopping was asked for.
    pub fn is_stopping(&self) -> bool {
        *self.receiver.borrow()
    }

    /// The underlying watch channel (for workers written against it).
    pub fn receiver(&self) -> watch::Receiver<bool> {
        self.receiver.clone()
    }

    /// Waits until stopping is asked for.
    pub async fn stopped(&mut self) {
        // An error means the sender is gone: stop as well.
        let _ = self.receiver.wait_for(|stop| *stop).await;
    }

    /// Sleeps `period`, returning `false` early when stopping is asked for.
    pub async fn sleep(&mut self, period: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(period) => !self.is_stopping(),
            () = self.stopped() => false,
        }
    }
}

/// The running workers.
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl Workers {
    /// A stop signal for a worker started elsewhere.
    pub fn shutdown(&self) -> Shutdown {
        Shutdown {
            receiver: self.stop.subscribe(),
        }
    }

    /// Runs `work` as a named worker.
    pub fn spawn<F>(&mut self, name: &'static str, work: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tasks.push((name, tokio::spawn(work)));
    }

    /// Asks every worker to stop and waits for each to finish its current step.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for (name, task) in self.tasks {
            match task.await {
                Ok(()) => tracing::info!(worker = name, "worker stopped"),
                Err(error) => tracing::error!(worker = name, %error, "worker ended abnormally"),
            }
        }
    }
}

fn record(worker: &'static str, outcome: &'static str) {
    metrics::counter!(names::WORKER_RUNS, "worker" => worker, "outcome" => outcome).increment(1);
}

/// Runs `step` every `period` until stopped; a failing step is logged and retried next
/// period.
async fn every<F, Fut, E>(name: &'static str, period: Duration, mut shutdown: Shutdown, step: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    tracing::info!(worker = name, period_s = period.as_secs(), "worker started");
    loop {
        match step().await {
            Ok(()) => record(name, "ok"),
            Err(error) => {
                record(name, "error");
                tracing::warn!(worker = name, %error, "worker step failed");
            }
        }
        if !shutdown.sleep(period).await {
            break;
        }
    }
}

/// Cancels expired payments, a batch at a time, until none is left.
async fn expire(services: &Services, shutdown: &Shutdown) -> Result<(), PaymentServiceError> {
    loop {
        let cancelled = services.payments.expire_due(BATCH).await?;
        if cancelled > 0 {
            tracing::info!(cancelled, "expired payments cancelled");
        }
        if cancelled < BATCH as usize || shutdown.is_stopping() {
            return Ok(());
        }
    }
}

/// Runs one of the processor-retry sweeps every [`RETRY_PERIOD`]; `step` returns how many
/// items got an outcome.
fn retrying<F, Fut>(workers: &mut Workers, services: &Services, name: &'static str, step: F)
where
    F: Fn(Services) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<usize, PaymentServiceError>> + Send + 'static,
{
    let svc = services.clone();
    let shutdown = workers.shutdown();
    workers.spawn(
        name,
        every(name, RETRY_PERIOD, shutdown, move || {
            let done = step(svc.clone());
            async move {
                let settled = done.await?;
                if settled > 0 {
                    tracing::info!(worker = name, settled, "processor answers recorded");
                }
                Ok::<(), PaymentServiceError>(())
            }
        }),
    );
}

/// Deletes spent idempotency keys, nonces, expired user tokens and expired Boxo Connect
/// codes and access tokens.
async fn prune(ports: &Ports) -> Result<(), StoreError> {
    let now = ports.clock.now();
    let tokens = ports.user_tokens.prune(now).await?;
    let keys = ports.idempotency.prune(now - IDEMPOTENCY_RETENTION).await?;
    let nonces = ports.nonces.prune(now - NONCE_RETENTION).await?;
    let connect = ports.connect.prune(now).await?;
    tracing::debug!(tokens, keys, nonces, connect, "pruned");
    Ok(())
}

/// How often the database pool gauges are refreshed.
pub const POOL_GAUGE_PERIOD: Duration = Duration::from_secs(5);

/// Starts the sweeps, the pool gauges and the dispatcher.
pub fn start(
    ports: &Ports,
    services: &Services,
    store: Option<Arc<hostpay_store::Store>>,
) -> Workers {
    let (stop, _) = watch::channel(false);
    let mut workers = Workers {
        stop,
        tasks: Vec::new(),
    };

    let (svc, shutdown) = (services.clone(), workers.shutdown());
    workers.spawn(
        "expiry",
        every("expiry", EXPIRY_PERIOD, workers.shutdown(), move || {
            let (svc, shutdown) = (svc.clone(), shutdown.clone());
            async move { expire(&svc, &shutdown).await }
        }),
    );

    retrying(&mut workers, services, "refund-retry", |svc| async move {
        svc.payments.retry_pending_refunds(BATCH).await
    });
    retrying(&mut workers, services, "charge-check", |svc| async move {
        svc.payments.check_charges(BATCH).await
    });
    retrying(
        &mut workers,
        services,
        "charge-reversal",
        |svc| async move { svc.payments.retry_reversals(BATCH).await },
    );

    let ports_for_prune = ports.clone();
    workers.spawn(
        "prune",
        every("prune", PRUNE_PERIOD, workers.shutdown(), move || {
            let ports = ports_for_prune.clone();
            async move { prune(&ports).await }
        }),
    );

    let svc = services.clone();
    workers.spawn(
        "outbox-gauges",
        every(
            "outbox-gauges",
            POOL_GAUGE_PERIOD,
            workers.shutdown(),
            move || {
                let svc = svc.clone();
                async move {
                    hostpay_http::health::refresh_outbox_gauges(&svc.deliveries).await;
                    Ok::<(), StoreError>(())
                }
            },
        ),
    );

    if let Some(store) = store {
        workers.spawn(
            "pool-gauges",
            every(
                "pool-gauges",
                POOL_GAUGE_PERIOD,
                workers.shutdown(),
                move || {
                    crate::store::record_pool(&store);
                    std::future::ready(Ok::<(), StoreError>(()))
                },
            ),
        );
    }

    // The outbox dispatcher; it stops with the other workers.
    let deliveries = services.deliveries.clone();
    let shutdown = workers.shutdown().receiver();
    workers.spawn("dispatcher", async move {
        tracing::info!(worker = "dispatcher", "worker started");
        crate::dispatcher::run(deliveries, shutdown, crate::dispatcher::DEFAULT_POLL).await;
    });
    workers
}
