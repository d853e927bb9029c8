//! The `http` payment processor: a client of the host's wallet service.
//!
//! Wire format (hostpay's choice; see docs/api.md, "The `http` wallet processor"):
//!
//! - `POST {wallet_url}/charges`, header `Idempotency-Key: <payment id>`, body
//!   `{"payment_id", "amount": "12.50", "currency": "SAR", "user_id"}`; answer 2xx (or 402
//!   for a decline) with `{"status": "approved" | "declined", "reason"?: "..."}`.
//! - `POST {wallet_url}/refunds`, header `Idempotency-Key: <refund id>`, body
//!   `{"refund_id", "payment_id", "amount", "currency"}`; answer 2xx (or 402 for a
//!   refusal) with `{"status": "succeeded" | "failed", "reason"?: "..."}`.
//! - Optional `Authorization: Bearer <processor.wallet_token>`.
//!
//! The wallet must honour the idempotency key: a repeated call with the same key returns
//! the first outcome and never charges twice. No answer in time is
//! [`ProcessorError::Timeout`]; any other status or an unreadable answer is
//! [`ProcessorError::Unavailable`] (the outcome is unknown; hostpay retries with the same
//! key).

use std::time::Duration;

use async_trait::async_trait;
use hostpay_domain::payment::ChargeOutcome;
use hostpay_domain::ports::{ChargeRequest, PaymentProcessor, ProcessorError, RefundRequest};
use serde::{Deserialize, Serialize};

use crate::client::{self, ClientError};

/// The wallet client's settings.
#[derive(Clone)]
pub struct WalletConfig {
    /// `processor.wallet_url`.
    pub wallet_url: String,
    /// Optional bearer token the wallet expects.
    pub token: Option<String>,
    /// Whole-request timeout.
    pub timeout: Duration,
}

impl std::fmt::Debug for WalletConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalletConfig")
            .field("wallet_url", &self.wallet_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The wallet over HTTP.
pub struct WalletProcessor {
    http: reqwest::Client,
    charges: reqwest::Url,
    refunds: reqwest::Url,
    token: Option<String>,
}

/// A charge as sent to the wallet.
#[derive(Debug, Serialize)]
pub struct WalletCharge<'a> {
    /// The payment (also the idempotency key).
    pub payment_id: &'a str,
    /// Exactly the currency's decimals, as a string (`"1000"` JPY, `"25.00"` SAR,
    /// `"10.500"` KWD).
    pub amount: String,
    /// ISO 4217.
    pub currency: &'a str,
    /// The paying user.
    pub user_id: &'a str,
}

/// A refund as sent to the wallet.
#[derive(Debug, Serialize)]
pub struct WalletRefund<'a> {
    /// The refund (also the idempotency key).
    pub refund_id: &'a str,
    /// The refunded payment.
    pub payment_id: &'a str,
    /// Exactly the currency's decimals, as a string (`"1000"` JPY, `"25.00"` SAR,
    /// `"10.500"` KWD).
    pub amount: String,
    /// ISO 4217.
    pub currency: &'a str,
}

/// The wallet's answer.
#[derive(Debug, Deserialize)]
struct WalletAnswer {
    status: String,
    #[serde(default)]
    reason: Option<String>,
}

impl WalletProcessor {
    /// A client of the wallet. Errors: an invalid `processor.wallet_url`.
    pub fn new(config: WalletConfig) -> Result<WalletProcessor, ClientError> {
        let base = client::base_url("processor.wallet_url", &config.wallet_url)?;
        Ok(WalletProcessor {
            http: client::build(config.timeout)?,
            charges: client::join(&base, "/charges"),
            refunds: client::join(&base, "/refunds"),
            token: config.token,
        })
    }

    async fn post<T: Serialize + Sync>(
        &self,
        url: &reqwest::Url,
        key: &str,
        body: &T,
    ) -> Result<WalletAnswer, ProcessorError> {
        let mut request = self
            .http
            .post(url.clone())
            .header("Idempotency-Key", key)
            .json(body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) && status != 402 {
            return Err(ProcessorError::Unavailable(format!(
                "the wallet answered HTTP {status}"
            )));
        }
        let bytes = response.bytes().await.map_err(transport)?;
        serde_json::from_slice(&bytes).map_err(|error| {
            ProcessorError::Unavailable(format!(
                "unreadable wallet answer (HTTP {status}): {error}"
            ))
        })
    }
}

fn transport(error: reqwest::Error) -> ProcessorError {
    if error.is_timeout() {
        ProcessorError::Timeout
    } else {
        ProcessorError::Unavailable(crate::redact::describe(&error))
    }
}

#[async_trait]
impl PaymentProcessor for WalletProcessor {
    fn can_simulate(&self) -> bool {
        false
    }

    async fn charge(&self, request: &ChargeRequest) -> Result<ChargeOutcome, ProcessorError> {
        let body = WalletCharge {
            payment_id: request.payment_id.as_str(),
            amount: request.amount.to_currency_string(request.currency),
            currency: request.currency.as_str(),
            user_id: &request.user_id,
        };
        let answer = self
            .post(&self.charges, request.payment_id.as_str(), &body)
            .await?;
        match answer.status.as_str() {
            "approved" => Ok(ChargeOutcome::Approved),
            "declined" => Ok(ChargeOutcome::Declined {
                reason: answer
                    .reason
                    .unwrap_or_else(|| "declined by the wallet".to_owned()),
            }),
            other => Err(ProcessorError::Unavailable(format!(
                "unknown charge status {other:?} from the wallet"
            ))),
        }
    }

    async fn refund(&self, request: &RefundRequest) -> Result<Result<(), String>, ProcessorError> {
        let body = WalletRefund {
            refund_id: request.refund_id.as_str(),
            payment_id: request.payment_id.as_str(),
            amount: request.amount.to_currency_string(request.currency),
            currency: request.currency.as_str(),
        };
        let answer = self
            .post(&self.refunds, request.refund_id.as_str(), &body)
            .await?;
        match answer.status.as_str() {
            "succeeded" => Ok(Ok(())),
            "failed" => Ok(Err(answer
                .reason
                .unwrap_or_else(|| "refused by the wallet".to_owned()))),
            other => Err(ProcessorError::Unavailable(format!(
                "unknown refund status {other:?} from the wallet"
            ))),
        }
    }
}
