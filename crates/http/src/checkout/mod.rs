//! Checkout (api.md sections 5 and 9): the hosted payment sheet and its confirm and
//! cancel calls. A pay grant (minted by the host for its user) may pay; the
//! payment-session token a miniapp holds may only view and cancel. Its routes are
//! registered by [`crate::routes`].

pub mod actions;
pub mod page;
