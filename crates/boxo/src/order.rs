//! Boxo's order-payment wire: the status Boxo sees of a payment (one mapping, used by the
//! host surface's status answer and by the complete-order call), the complete-order body,
//! and the `error_code`s of a complete-order 400 that mean "do not retry".

use hostpay_domain::payment::PaymentStatus;
use hostpay_domain::ports::OrderOutcome;
use serde::Serialize;

/// The status Boxo sees of a payment: a partly or fully refunded payment still reads
/// `paid`.
pub fn payment_status(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::InProcess => "in_process",
        PaymentStatus::Paid | PaymentStatus::Refunded => "paid",
        PaymentStatus::Failed => "failed",
        PaymentStatus::Cancelled => "cancelled",
    }
}

/// Boxo `error_code`s on a complete-order 400 that mean "do not retry".
pub const DO_NOT_RETRY: &[&str] = &[
    "PROCESS_FAIL",
    "NO_INTEGRATION",
    "NOT_IMPLEMENTED",
    "ORDER_NOT_FOUND",
    "INVALID_PAYMENT_STATUS",
];

/// Boxo's complete-order body (`POST {platform_url}/api/v1/orders/complete-order/`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompleteOrderBody<'a> {
    /// The payment's id.
    pub order_payment_id: &'a str,
    /// The miniapp.
    pub app_id: &'a str,
    /// `boxo.client_id`, when set.
    pub client_id: Option<&'a str>,
    /// `paid`, `failed` or `cancelled` (see [`payment_status`]).
    pub payment_status: &'static str,
    /// Why it failed or was cancelled.
    pub payment_fail_reason: Option<&'a str>,
    /// The order's custom attributes.
    pub custom_attributes: Option<&'a serde_json::Value>,
}

impl<'a> CompleteOrderBody<'a> {
    /// The body telling Boxo how `outcome`'s order payment ended.
    pub fn new(outcome: &'a OrderOutcome, client_id: Option<&'a str>) -> CompleteOrderBody<'a> {
        CompleteOrderBody {
            order_payment_id: outcome.payment_id.as_str(),
            app_id: outcome.app_id.as_str(),
            client_id,
            payment_status: payment_status(outcome.status),
            payment_fail_reason: outcome.fail_reason.as_deref(),
            custom_attributes: outcome.custom_attributes.as_ref(),
        }
    }

    /// The JSON bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain strings and JSON values cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refunded_payments_read_paid() {
        assert_eq!(payment_status(PaymentStatus::Refunded), "paid");
        assert_eq!(payment_status(PaymentStatus::InProcess), "in_process");
        assert_eq!(payment_status(PaymentStatus::Paid), "paid");
        assert_eq!(payment_status(PaymentStatus::Failed), "failed");
        assert_eq!(payment_status(PaymentStatus::Cancelled), "cancelled");
    }
}
