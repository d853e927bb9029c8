//! Request and webhook signing: the implementation lives in `hostpay_domain::signing`
//! (pure, shared with the HTTP adapter's verification); re-exported here for the clients.

pub use hostpay_domain::signing::*;
