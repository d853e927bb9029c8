//! hostpay-app's integration tests, one binary: the `hostpay` binary as a process
//! (`hostpay_testkit::process`) and the dispatcher in-process against fake platforms
//! (`hostpay_testkit::deliveries`). The PostgreSQL-restart chaos test is a binary of its
//! own (`tests/postgres_restart.rs`).

mod charge_reversal_metrics;
mod cli_commands;
mod config_errors;
mod config_signing;
mod deliveries_exactly_once;
mod dispatcher_harness;
mod dispatcher_retries;
mod full_flow;
mod miniapp_webhooks;
mod readiness_follows_database;
mod retry_dead_letters_only;
mod serve_process;
mod simulator;
mod slow_receiver_once;
