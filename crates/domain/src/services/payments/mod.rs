//! Payments, one file per group of use cases:
//! - [`create`]: open a payment (idempotent), a service of its own
//!   ([`CreatePaymentService`]) that needs only the payment store, the idempotency keys,
//!   the clock and the ids;
//! - [`reads`]: read payments, their events and statuses;
//! - [`refunds`]: refund a paid payment (idempotent);
//! - [`checkout`]: the payment sheet, pay grants, confirm, cancel, host settlement, and the
//!   recording (or reversal) of a charge's outcome;
//! - [`sweeps`]: background work (expiry, charge checks, refund and reversal retries);
//! - [`idempotency`]: the `Idempotency-Key` plumbing shared by create and refund;
//! - [`service`]: [`PaymentService`], its ports, and the one way a payment changes
//!   (`PaymentService::transition`);
//! - [`errors`] holds [`PaymentServiceError`], why a payment use case was refused.
//!
//! This file only declares them and names what the rest of the crate uses.

mod checkout;
mod create;
mod errors;
mod idempotency;
mod reads;
mod refunds;
mod service;
mod sweeps;

pub use checkout::{Checkout, SettleStatus, GRANT_PREFIX};
pub use create::{
    CreatePayment, CreatePaymentPorts, CreatePaymentService, CreatedPayment, PaymentSettings,
    PendingPayment,
};
pub use errors::PaymentServiceError;
pub use idempotency::Idempotent;
pub use refunds::PendingRefund;
pub use service::{PaymentPorts, PaymentService};
