//! `hostpay serve`: both listeners, the workers, and a graceful stop on SIGTERM/SIGINT.

use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use hostpay_http::edge::control_chars::refuse_control_characters;
use hostpay_http::observability::{metrics_handle, request_context};
use hostpay_http::rate_limit::{request_timeout, RateLimiter, RequestTimeout};
use hostpay_http::{internal_app, public_app};

use crate::config::Config;
use crate::startup::StartupError;
use crate::wiring;
use crate::workers;

/// How long in-flight requests get to finish after a stop signal.
const DRAIN: Duration = Duration::from_secs(10);

/// Runs hostpay until SIGTERM or SIGINT.
pub async fn serve(config: Config) -> Result<(), StartupError> {
    if config.security.uses_development_key() {
        tracing::warn!(
            "security.hash_key is the built-in DEVELOPMENT key: anyone can recompute the \
             hashes of your secrets. Set HOSTPAY__SECURITY__HASH_KEY to a long random value \
             before real use (and keep it: changing it invalidates every stored secret)"
        );
    }
    if config.internal.admin_token.is_none() {
        tracing::info!("internal.admin_token is not set: the internal API refuses every call");
    }
    let _ = metrics_handle();
    let wired = wiring::build(&config, config.database.migrates_on_start()).await?;

    let state = web::Data::new(wired.state.clone());
    let limiter = web::Data::new(RateLimiter::new(
        config.rate_limit.per_second.get(),
        config.rate_limit.burst.get(),
    ));
    let timeout = RequestTimeout(Duration::from_secs(
        config.server.request_timeout_seconds.get(),
    ));

    let public_state = state.clone();
    let public = HttpServer::new(move || {
        App::new()
            .app_data(public_state.clone())
            .app_data(limiter.clone())
            .app_data(timeout)
            .wrap(from_fn(refuse_control_characters))
            .wrap(from_fn(request_timeout))
            .wrap(from_fn(request_context))
            .configure(public_app)
    })
    .disable_signals()
    .shutdown_timeout(DRAIN.as_secs())
    .bind(config.server.bind)
    .map_err(|error| StartupError::Bind {
        key: "server.bind",
        address: config.server.bind.to_string(),
        reason: error.to_string(),
    })?
    .run();

    let internal_state = state.clone();
    let internal = HttpServer::new(move || {
        App::new()
            .app_data(internal_state.clone())
            .app_data(timeout)
            .wrap(from_fn(refuse_control_characters))
            .wrap(from_fn(request_timeout))
            .wrap(from_fn(request_context))
            .configure(internal_app)
    })
    .disable_signals()
    .shutdown_timeout(DRAIN.as_secs())
    .workers(1)
    .bind(config.internal.bind)
    .map_err(|error| StartupError::Bind {
        key: "internal.bind",
        address: config.internal.bind.to_string(),
        reason: error.to_string(),
    })?
    .run();

    let (public_handle, internal_handle) = (public.handle(), internal.handle());
    let public_task = tokio::spawn(public);
    let internal_task = tokio::spawn(internal);
    let workers = workers::start(&wired.ports, &wired.services, wired.store.clone());
    tracing::info!(
        public = %config.server.bind,
        internal = %config.internal.bind,
        database = ?config.database.url,
        "hostpay is listening"
    );

    let signal = stop_signal().await;
    tracing::info!(signal, "stopping: draining requests, then workers");
    tokio::join!(public_handle.stop(true), internal_handle.stop(true));
    for (name, task) in [("public", public_task), ("internal", internal_task)] {
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(listener = name, %error, "listener failed"),
            Err(error) => tracing::error!(listener = name, %error, "listener task failed"),
        }
    }
    workers.stop().await;
    tracing::info!("hostpay stopped");
    Ok(())
}

/// Waits for SIGTERM or SIGINT; returns its name.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            },
            Err(error) => {
                tracing::warn!(%error, "cannot watch SIGTERM; only SIGINT stops hostpay");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}
