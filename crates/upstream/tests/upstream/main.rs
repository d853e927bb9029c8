//! hostpay-upstream's integration tests, one binary: each outbound client against a fake
//! counterpart (wiremock).

mod boxo_client;
mod boxo_signing_schemes;
mod wallet_checkout;
mod wallet_client;
mod webhook_client;
