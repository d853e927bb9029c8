//! The HTTP suite over the PostgreSQL store (a fresh database per test on
//! `HOSTPAY_TEST_PG_URL`; fails when the server cannot be reached).

mod common;

use common::Backend;

api_suite!(Backend::Postgres);
