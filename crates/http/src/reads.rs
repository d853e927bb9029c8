//! What more than one surface reads to answer: a payment as its view, with its stored
//! events, and a refused payment action with the payment as it stands in `data`.

use std::collections::HashMap;

use hostpay_domain::event::DomainEvent;
use hostpay_domain::ids::PaymentId;
use hostpay_domain::payment::Payment;
use hostpay_domain::services::PaymentServiceError;

use crate::edge::envelope::ApiError;
use crate::state::AppState;
use crate::views::payment::PaymentView;

/// A payment with its stored events.
pub async fn payment_view(state: &AppState, payment: &Payment) -> Result<PaymentView, ApiError> {
    let events = state.services.payments.events(&payment.id).await?;
    Ok(PaymentView::with_events(payment, &events))
}

/// Payments with their stored events, read in one call for the whole list.
pub async fn payment_views(
    state: &AppState,
    payments: &[Payment],
) -> Result<Vec<PaymentView>, ApiError> {
    let ids: Vec<PaymentId> = payments.iter().map(|payment| payment.id.clone()).collect();
    let mut by_payment: HashMap<String, Vec<DomainEvent>> = HashMap::new();
    for event in state.services.payments.events_of(&ids).await? {
        by_payment
            .entry(event.payment_id.clone())
            .or_default()
            .push(event);
    }
    Ok(payments
        .iter()
        .map(|payment| {
            let events = by_payment
                .get(payment.id.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default();
            PaymentView::with_events(payment, events)
        })
        .collect())
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
