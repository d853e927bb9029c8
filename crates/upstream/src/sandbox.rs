//! The built-in sandbox processor: approves every charge and refund, or declines a charge
//! when the payment sheet's "Simulate decline" was used. Charges and refunds are
//! idempotent per payment and refund id, like a real processor's.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use hostpay_domain::payment::ChargeOutcome;
use hostpay_domain::ports::{ChargeRequest, PaymentProcessor, ProcessorError, RefundRequest};

/// The sandbox processor.
#[derive(Debug, Default)]
pub struct SandboxProcessor {
    charges: Mutex<HashMap<String, ChargeOutcome>>,
    refunds: Mutex<HashMap<String, Result<(), String>>>,
}

impl SandboxProcessor {
    /// A sandbox with no history.
    pub fn new() -> SandboxProcessor {
        SandboxProcessor::default()
    }

    /// How many distinct charges were made (each payment at most once).
    pub fn charge_count(&self) -> usize {
        self.charges
            .lock()
            .map(|charges| charges.len())
            .unwrap_or(0)
    }
}

#[async_trait]
impl PaymentProcessor for SandboxProcessor {
    fn can_simulate(&self) -> bool {
        true
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProcessorError> {
        let mut charges = self
            .charges
            .lock()
            .map_err(|_| ProcessorError::Unavailable("sandbox state poisoned".to_owned()))?;
        let outcome = charges
            .entry(request.payment_id.to_string())
            .or_insert_with(|| {
                if request.simulate_decline {
                    ChargeOutcome::Declined {
                        reason: "card declined (simulated)".to_owned(),
                    }
                } else {
                    ChargeOutcome::Approved
                }
            });
        Ok(outcome.clone())
    }

    async fn refund(&self, request: &RefundRequest) -> Result<Result<(), String>, ProcessorError> {
        let mut refunds = self
            .refunds
            .lock()
            .map_err(|_| ProcessorError::Unavailable("sandbox state poisoned".to_owned()))?;
        Ok(refunds
            .entry(request.refund_id.to_string())
            .or_insert(Ok(()))
            .clone())
    }
}
