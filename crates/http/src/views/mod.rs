//! The response shapes of the envelope surfaces, with their OpenAPI schemas derived on
//! the types themselves. A view is a pure function of domain values (`PaymentView::of`),
//! never a read: what a surface must fetch first is in [`crate::reads`].

pub mod app;
pub mod checkout;
pub mod delivery;
pub mod envelopes;
pub mod instant;
pub mod order_activity;
pub mod page;
pub mod payment;
