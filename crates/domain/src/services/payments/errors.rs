//! Why a payment use case was refused.

use crate::payment::{Payment, PaymentError};
use crate::ports::{ProcessorError, StoreError};
use crate::validation::InvalidField;

/// Why a payment use case was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PaymentServiceError {
    /// Unknown payment, or another miniapp's (or, for a pay grant, another user's).
    #[error("payment not found")]
    NotFound,
    /// The transition is not allowed from the current state; carries the payment as it is.
    #[error("{error}")]
    Rejected {
        /// Why.
        error: PaymentError,
        /// The payment as it stands.
        current: Box<Payment>,
    },
    /// The payment session or pay grant is missing, unknown, expired or for another
    /// payment.
    #[error("invalid or expired payment session")]
    InvalidSession,
    /// The credential is valid but may not do this (a payment session cannot pay: only a
    /// pay grant the host minted for the payment's user can).
    #[error("{0}")]
    Forbidden(&'static str),
    /// Bad input.
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    /// The same idempotency key was used for another request.
    #[error("this Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    /// The first request with this idempotency key is still running.
    #[error("a request with this Idempotency-Key is still being processed")]
    IdempotencyInProgress,
    /// The processor gave no answer; nothing changed and the call can be retried.
    #[error(transparent)]
    Processor(#[from] ProcessorError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a payment use case returns.
pub(super) type Result<T> = std::result::Result<T, PaymentServiceError>;

/// The refusal of a transition, with the payment as it stands.
pub(super) fn rejected(error: PaymentError, current: &Payment) -> PaymentServiceError {
    PaymentServiceError::Rejected {
        error,
        current: Box::new(current.clone()),
    }
}
