//! Ids and keys read from the path: a malformed object id is simply not found (404), a
//! malformed user id is a 400 naming `user_id`.

use hostpay_domain::ids::{DeliveryId, PaymentId};
use hostpay_domain::order::UserRef;

use crate::edge::envelope::ApiError;

/// A user id from the path (String(255), not only white space), else 400 naming
/// `user_id`.
pub fn user_id(text: &str) -> Result<UserRef, ApiError> {
    UserRef::parse(text).map_err(|error| ApiError::invalid("user_id", error.message))
}

/// A payment id from the path; a malformed one is simply not found.
pub fn payment_id(text: &str) -> Result<PaymentId, ApiError> {
    PaymentId::parse(text).map_err(|_| ApiError::not_found("payment"))
}

/// A delivery id from the path; a malformed one is simply not found.
pub fn delivery_id(text: &str) -> Result<DeliveryId, ApiError> {
    DeliveryId::parse(text).map_err(|_| ApiError::not_found(format!("delivery {text}")))
}
