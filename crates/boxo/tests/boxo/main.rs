//! hostpay-boxo's integration tests, one binary: Boxo's signing schemes and settings
//! against the fixtures in `tests/fixtures` and the published vectors.

mod common;
mod config;
mod incoming;
mod openssl;
mod round_trip;
mod vectors;
