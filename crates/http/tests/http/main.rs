//! hostpay-http's integration tests, one binary (zero2prod style): each module checks one
//! behaviour through the real actix app, built by the testkit's harness
//! (`hostpay_testkit::app`, `hostpay_testkit::boxo`). The headless-browser checkout test
//! is a binary of its own (`tests/checkout_browser.rs`).

mod api_suite;
mod approved_charges_never_lost;
mod background_work;
mod boxo_connect;
mod boxo_host_api;
mod boxo_on_sql_stores;
mod boxo_orders_end_to_end;
mod boxo_signing_schemes;
mod database_outages;
mod deliveries_api;
mod end_to_end_postgres;
mod hostile_input;
mod money_minor_units;
mod money_movement_races;
mod openapi_document;
mod order_activity_history;
mod pay_grants;
mod refund_idempotency_keys;
mod refund_limits_and_stored_secrets;
mod secrets_hidden_from_debug;
