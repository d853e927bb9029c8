//! # hostpay-upstream
//!
//! Outbound adapters: the Boxo platform's complete-order client, miniapp webhooks, the
//! payment processors (built-in sandbox and the HTTP wallet), and request signing.

pub mod boxo;
pub mod client;
pub mod redact;
pub mod sandbox;
pub mod signing;
pub mod wallet;
pub mod webhook;

pub use boxo::{BoxoClient, BoxoClientConfig};
pub use client::{install_crypto_provider, ClientError};
pub use sandbox::SandboxProcessor;
pub use wallet::{WalletConfig, WalletProcessor};
pub use webhook::WebhookClient;

use chrono::{DateTime, SubsecRound, Utc};
use hostpay_domain::ports::Clock;

/// The system clock (UTC, truncated to microseconds), used when no clock is given.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}
