//! Test databases: see `hostpay_store::testing`.
#![allow(unused_imports)]

pub use hostpay_store::testing::*;
