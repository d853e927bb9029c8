//! # hostpay-boxo
//!
//! Boxo's wire (architecture rules 9 and 10: this crate is its one home). For now it holds
//! the request-signing schemes of Boxo's dashboard, in [`signing`]: the `boxo.signing.*`
//! settings with their one `Default`, their validation into a ready [`signing::Signer`]
//! (outgoing complete-order calls) and [`signing::Verifier`] (incoming Boxo calls), and
//! the refusals mapped to Boxo's `MISSING_HEADER` and `INVALID_SIGNATURE`.
//!
//! [`order`] holds the order-payment wire: the status mapping, the complete-order body and
//! its do-not-retry codes.
//!
//! The domain never sees this crate; the http and upstream adapters use it.

#![warn(missing_docs)]

pub mod order;
pub mod signing;

pub use signing::{
    SignedHeaders, Signer, SigningConfigError, SigningSettings, SigningSetup, Verifier, VerifyError,
};
