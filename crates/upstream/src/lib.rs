//! # hostpay-upstream
//!
//! Outbound adapters: the Boxo platform's complete-order client, miniapp webhooks, the
//! payment processors (built-in sandbox and the HTTP wallet), and request signing.

pub mod boxo;
pub mod client;
mod clock;
pub mod redact;
pub mod sandbox;
pub mod signing;
pub mod wallet;
pub mod webhook;

pub use boxo::{BoxoClient, BoxoClientConfig, OutgoingSigning};
pub use client::{install_crypto_provider, ClientError};
pub use clock::SystemClock;
pub use sandbox::SandboxProcessor;
pub use wallet::{WalletConfig, WalletProcessor};
pub use webhook::WebhookClient;
