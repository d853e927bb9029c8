//! What a handler of a write reads, beyond its one service call, to answer: the stored
//! events of the payment it changed, the linked payment status of the order activity it
//! wrote (or of a page of activities), and a refused payment action with the payment as
//! it stands in `data`. Shared here so no surface imports another. The reads of a single
//! payment, a page of payments and an order activity are one service call each, with
//! nothing read here.

use hostpay_domain::ids::{AppId, PaymentId};
use hostpay_domain::order_activity::OrderActivity;
use hostpay_domain::payment::Payment;
use hostpay_domain::services::PaymentServiceError;

use crate::edge::envelope::ApiError;
use crate::state::AppState;
use crate::views::order_activity::OrderActivityView;
use crate::views::payment::PaymentView;

/// A payment with its stored events.
pub async fn payment_view(state: &AppState, payment: &Payment) -> Result<PaymentView, ApiError> {
    let events = state.services.payments.events(payment.id()).await?;
    Ok(PaymentView::with_events(payment, &events))
}

/// The error of a refused payment action; a refused transition carries the payment as
/// it stands in `data`.
pub async fn refusal(state: &AppState, error: PaymentServiceError) -> ApiError {
    match error {
        PaymentServiceError::Rejected { error, current } => {
            let refused = ApiError::from(error);
            match payment_view(state, &current).await {
                Ok(view) => match serde_json::to_value(view) {
                    Ok(data) => refused.with_data(data),
                    Err(error) => ApiError::internal(error),
                },
                Err(error) => error,
            }
        }
        other => other.into(),
    }
}

/// An order activity with the status of its linked payment (none when that payment is
/// not this miniapp's).
pub async fn order_activity_view(
    state: &AppState,
    app_id: &AppId,
    activity: &OrderActivity,
) -> Result<OrderActivityView, ApiError> {
    let payment_status = match &activity.payment_id {
        None => None,
        Some(payment_id) => match state
            .services
            .payments
            .get_for_app(app_id, payment_id)
            .await
        {
            Ok(payment) => Some(payment.status().as_str()),
            Err(PaymentServiceError::NotFound) => None,
            Err(error) => return Err(error.into()),
        },
    };
    Ok(OrderActivityView::of(activity, payment_status))
}

/// Activities with the status of their linked payments, read in one call for the list.
pub async fn order_activity_views(
    state: &AppState,
    app_id: &AppId,
    activities: &[OrderActivity],
) -> Result<Vec<OrderActivityView>, ApiError> {
    let ids: Vec<PaymentId> = activities
        .iter()
        .filter_map(|activity| activity.payment_id.clone())
        .collect();
    let statuses = state
        .services
        .payments
        .statuses_for_app(app_id, &ids)
        .await?;
    Ok(activities
        .iter()
        .map(|activity| {
            let payment_status = activity
                .payment_id
                .as_ref()
                .and_then(|payment_id| statuses.get(payment_id))
                .map(|status| status.as_str());
            OrderActivityView::of(activity, payment_status)
        })
        .collect())
}
