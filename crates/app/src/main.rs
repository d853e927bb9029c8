//! The `hostpay` binary (wiring comes with the app issue work).

fn main() {}
