//! Internal API: outbox deliveries (list, show with attempts, retry by hand).
//!
//! - `GET /internal/v1/deliveries?state=pending|dead|delivered&limit=&cursor=`
//! - `GET /internal/v1/deliveries/{delivery_id}`
//! - `POST /internal/v1/deliveries/{delivery_id}/retry` (202; dead letters only, otherwise
//!   409 `INVALID_STATE`)

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use hostpay_domain::delivery::DeliveryState;
use hostpay_domain::page::PageRequest;
use serde::Deserialize;

use crate::edge::auth::AdminAuth;
use crate::edge::envelope::{self, ApiError};
use crate::edge::ids::delivery_id;
use crate::state::AppState;
use crate::views::delivery::{AttemptView, DeliveryDetail, DeliveryView};
use crate::views::page::PageView;
use crate::views::payment::event_data;

/// Query of the list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// `pending`, `dead` or `delivered`; all when absent.
    pub state: Option<String>,
    /// 1..=100, default 20.
    pub limit: Option<u32>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// `GET /internal/v1/deliveries`: newest first, optionally of one state.
pub async fn list(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let wanted = query
        .state
        .as_deref()
        .map(|text| {
            DeliveryState::parse(text)
                .ok_or_else(|| ApiError::invalid("state", "must be pending, dead or delivered"))
        })
        .transpose()?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())
        .map_err(|(field, error)| ApiError::invalid(field, error.message))?;
    let page = state.services.deliveries.list(wanted, &page).await?;
    let items = page.items.iter().map(DeliveryView::of).collect();
    Ok(envelope::success(
        StatusCode::OK,
        &PageView::<DeliveryView>::of(page, items),
    ))
}

/// `GET /internal/v1/deliveries/{delivery_id}`: with its event data and attempts.
pub async fn show(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = delivery_id(&path)?;
    let (delivery, attempts) = state
        .services
        .deliveries
        .get(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("delivery {id}")))?;
    Ok(envelope::success(
        StatusCode::OK,
        &DeliveryDetail {
            delivery: DeliveryView::of(&delivery),
            data: event_data(&delivery.event.data),
            attempt_log: attempts.iter().map(AttemptView::of).collect(),
        },
    ))
}

/// `POST /internal/v1/deliveries/{delivery_id}/retry`: a dead letter due now (202); a
/// pending or delivered delivery is 409 `INVALID_STATE`.
pub async fn retry(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = delivery_id(&path)?;
    let delivery = state.services.deliveries.retry(&id).await?;
    Ok(envelope::success(
        StatusCode::ACCEPTED,
        &DeliveryView::of(&delivery),
    ))
}
