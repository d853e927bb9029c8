//! The statuses of a payment and of a refund: plain values, apart from the aggregates
//! (events name them without depending on the payment's state machine).

use serde::{Deserialize, Serialize};

/// A payment's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Created, waiting for the user (or the host) to pay.
    InProcess,
    /// Charged; may be partly refunded.
    Paid,
    /// Refunds cover the whole amount.
    Refunded,
    /// The charge was declined or failed.
    Failed,
    /// Cancelled, or its session expired.
    Cancelled,
}

impl PaymentStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::InProcess => "in_process",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Cancelled => "cancelled",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<PaymentStatus> {
        match text {
            "in_process" => Some(PaymentStatus::InProcess),
            "paid" => Some(PaymentStatus::Paid),
            "refunded" => Some(PaymentStatus::Refunded),
            "failed" => Some(PaymentStatus::Failed),
            "cancelled" => Some(PaymentStatus::Cancelled),
            _ => None,
        }
    }

    /// Whether the payment has left `in_process` (it never comes back).
    pub fn is_settled(self) -> bool {
        match self {
            PaymentStatus::InProcess => false,
            PaymentStatus::Paid
            | PaymentStatus::Refunded
            | PaymentStatus::Failed
            | PaymentStatus::Cancelled => true,
        }
    }

    /// Whether no transition at all leaves this status.
    pub fn is_final(self) -> bool {
        match self {
            PaymentStatus::InProcess | PaymentStatus::Paid => false,
            PaymentStatus::Refunded | PaymentStatus::Failed | PaymentStatus::Cancelled => true,
        }
    }
}

/// A refund's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Asked of the processor; its amount is reserved.
    Pending,
    /// Went through.
    Succeeded,
    /// Did not go through; its amount is free again.
    Failed,
}

impl RefundStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
        }
    }
    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<RefundStatus> {
        match text {
            "pending" => Some(RefundStatus::Pending),
            "succeeded" => Some(RefundStatus::Succeeded),
            "failed" => Some(RefundStatus::Failed),
            _ => None,
        }
    }
    /// Whether the refund's amount counts against the paid amount.
    pub fn counts_against_amount(self) -> bool {
        match self {
            RefundStatus::Pending | RefundStatus::Succeeded => true,
            RefundStatus::Failed => false,
        }
    }
}
