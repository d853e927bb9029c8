//! Payments the miniapp platform opens for a miniapp's order: create order payment (idempotent per
//! `(app_id, miniapp_order_id)`) and get its status.

use std::sync::Arc;

use crate::ids::{AppId, PaymentId};
use crate::order::{OrderDetails, UserRef};
use crate::payment::{Channel, NewPayment, Payment};
use crate::ports::{AppRepository, PaymentRepository, StoreError};
use crate::services::payments::{CreatePaymentService, PaymentServiceError};

/// Why a platform order use case was refused (the edge checks its own admission
/// rules first, then maps these to its error codes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformOrderError {
    /// `MINIAPP_NOT_FOUND`
    #[error("no miniapp {0} is registered")]
    MiniappNotFound(String),
    /// `HOSTAPP_USER_ID_REQUIRED`
    #[error("order.hostapp_user_id or the X-User-ID header is required")]
    UserRequired,
    /// `INVALID_ORDER_DATA`
    #[error("{0}")]
    InvalidOrder(String),
    /// `ORDER_NOT_FOUND`
    #[error("no order payment {0}")]
    OrderNotFound(String),
    /// `UNKNOWN_ERROR` (retry later).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The ports [`PlatformOrderService`] uses (besides the payment creation it opens
/// payments with).
#[derive(Clone)]
pub struct PlatformOrderPorts {
    /// Payments (an order's existing payment, its status).
    pub payments: Arc<dyn PaymentRepository>,
    /// Miniapps.
    pub apps: Arc<dyn AppRepository>,
}

/// Orders the miniapp platform opens payments for.
#[derive(Clone)]
pub struct PlatformOrderService {
    payments: Arc<dyn PaymentRepository>,
    apps: Arc<dyn AppRepository>,
    creation: CreatePaymentService,
}

impl PlatformOrderService {
    /// Over its ports and the use case that opens payments.
    pub fn new(ports: PlatformOrderPorts, creation: CreatePaymentService) -> PlatformOrderService {
        PlatformOrderService {
            payments: ports.payments,
            apps: ports.apps,
            creation,
        }
    }

    /// Creates the payment of a platform order, or returns the existing one for the same
    /// `(app_id, miniapp_order_id)` when the order is the same (`InvalidOrder` when not):
    /// the insert comes first, and only an order id already taken is looked up.
    /// Amounts must fit the order's currency and have at most 2 decimals
    /// ([`OrderDetails::check_amounts`]; `InvalidOrder` naming the field first).
    pub async fn create_order_payment(
        &self,
        app_id: &str,
        order: OrderDetails,
        header_user: Option<UserRef>,
    ) -> Result<PaymentId, PlatformOrderError> {
        order.check_amounts().map_err(|error| {
            PlatformOrderError::InvalidOrder(format!("order.{}: {}", error.field, error.message))
        })?;
        let app = self.app(app_id).await?;
        let user_id = order
            .hostapp_user_id
            .clone()
            .or(header_user)
            .ok_or(PlatformOrderError::UserRequired)?;
        let new = NewPayment {
            app_id: app.id.clone(),
            channel: Channel::Platform,
            user_id,
            amount: order.amount,
            currency: order.currency,
            miniapp_order_id: order.miniapp_order_id.clone(),
            details: order.payment_details(),
        };
        // Insert first: a new order (the common case) costs one write and no read; an order
        // seen before is refused by its unique key and answered from what is stored.
        match self
            .creation
            .open(new.clone(), app.webhook_url.is_some())
            .await
        {
            Ok(created) => Ok(created.payment.id().clone()),
            Err(PaymentServiceError::Store(StoreError::Duplicate(_))) => self
                .existing(&new)
                .await?
                .ok_or(PlatformOrderError::Store(StoreError::Conflict)),
            Err(PaymentServiceError::Store(error)) => Err(error.into()),
            Err(other) => Err(PlatformOrderError::InvalidOrder(other.to_string())),
        }
    }

    async fn existing(&self, new: &NewPayment) -> Result<Option<PaymentId>, PlatformOrderError> {
        let Some(order_id) = &new.miniapp_order_id else {
            return Ok(None);
        };
        let Some(existing) = self
            .payments
            .find_platform_order(&new.app_id, order_id.as_str())
            .await?
        else {
            return Ok(None);
        };
        let same = *existing.user_id() == new.user_id
            && existing.amount() == new.amount.get()
            && existing.currency() == new.currency
            && *existing.details() == new.details;
        if same {
            Ok(Some(existing.id().clone()))
        } else {
            Err(PlatformOrderError::InvalidOrder(format!(
                "miniapp_order_id {order_id} already has a payment with different order data"
            )))
        }
    }

    /// The payment of a platform order of `app_id` (another app's reads as not found).
    pub async fn status(
        &self,
        app_id: &str,
        order_payment_id: &str,
    ) -> Result<Payment, PlatformOrderError> {
        let app = self.app(app_id).await?;
        let not_found = || PlatformOrderError::OrderNotFound(order_payment_id.to_owned());
        let id = PaymentId::parse(order_payment_id).map_err(|_| not_found())?;
        match self.payments.get(&id).await? {
            Some(payment) if *payment.app_id() == app.id => Ok(payment),
            Some(_) | None => Err(not_found()),
        }
    }

    async fn app(&self, app_id: &str) -> Result<crate::miniapp::Miniapp, PlatformOrderError> {
        let not_found = || PlatformOrderError::MiniappNotFound(app_id.to_owned());
        let id = AppId::parse(app_id).map_err(|_| not_found())?;
        self.apps.get(&id).await?.ok_or_else(not_found)
    }
}
