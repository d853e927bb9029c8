//! # hostpay-upstream
//!
//! Outbound adapters: the Boxo platform's complete-order client, miniapp webhooks, the
//! payment processors (built-in sandbox and the HTTP wallet), and request signing.

pub mod sandbox;
pub mod signing;

pub use sandbox::SandboxProcessor;
