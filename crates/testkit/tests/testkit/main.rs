//! hostpay-testkit's integration tests, one binary: the in-memory store against the
//! repository contract, and whole use cases over the in-memory wiring.

mod connect;
mod contract;
mod services_alone;
mod webhook_https;
mod wiring;
