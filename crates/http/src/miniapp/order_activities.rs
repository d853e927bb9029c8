//! Order activities of the miniapp API: upsert, read, list per user.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use hostpay_domain::ids::PaymentId;
use hostpay_domain::money::{Currency, Money};
use hostpay_domain::order::UserRef;
use hostpay_domain::order_activity::{OrderActivityStatus, OrderActivityUpsert, UpsertOutcome};
use hostpay_domain::validation::{BoundedString, NonEmptyString};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::edge::auth::Authenticated;
use crate::edge::envelope::{self, ApiError, ErrorEnvelope};
use crate::edge::ids::user_id;
use crate::edge::json::JsonBody;
use crate::edge::order::{DeliveryInput, OrderItemInput};
use crate::edge::pagination::ListQuery;
use crate::edge::strict_json::Strict;
use crate::reads::{order_activity_view, order_activity_views};
use crate::state::AppState;
use crate::views::envelopes::{OrderActivityEnvelope, OrderActivityPageEnvelope};
use crate::views::order_activity::OrderActivityView;
use crate::views::order_activity::OrderDeliveryView;
use crate::views::page::PageView;
use crate::views::payment::ItemView;

/// `POST /api/v1/order-activities`: absent optional fields keep their stored value.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpsertOrderActivityRequest {
    /// This miniapp's order id, String(255).
    #[schema(value_type = String, example = "order-1001")]
    pub order_id: NonEmptyString<255>,
    /// The user, String(255).
    #[schema(value_type = String, example = "user-42")]
    pub user_id: UserRef,
    /// `created`, `confirmed`, `preparing`, `ready`, `in_delivery`, `delivered`, `cancelled`.
    #[schema(value_type = String, example = "confirmed")]
    pub status: OrderActivityStatus,
    /// String(250).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub title: Option<BoundedString<250>>,
    /// The lines (replace the stored ones).
    #[serde(default)]
    #[schema(value_type = Option<Vec<ItemView>>)]
    pub items: Option<Vec<OrderItemInput>>,
    /// Decimal: at most the currency's decimals (the stored currency when none is
    /// given); at most 2 for an order without a currency.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "25.00")]
    pub total: Option<Money>,
    /// ISO 4217.
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "USD")]
    pub currency: Option<Currency>,
    /// A payment of this miniapp.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub payment_id: Option<PaymentId>,
    /// Delivery information (replaces the stored one).
    #[serde(default)]
    #[schema(value_type = Option<OrderDeliveryView>)]
    pub delivery: Option<DeliveryInput>,
    /// String(2000).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub note: Option<BoundedString<2000>>,
}

impl UpsertOrderActivityRequest {
    fn into_domain(self) -> OrderActivityUpsert {
        OrderActivityUpsert {
            order_id: self.order_id,
            user_id: self.user_id,
            status: self.status,
            title: self.title,
            items: self.items.map(OrderItemInput::all_into_domain),
            total: self.total,
            currency: self.currency,
            payment_id: self.payment_id,
            delivery: self.delivery.map(DeliveryInput::into_domain),
            note: self.note,
        }
    }
}

/// Create or update the order activity keyed by this miniapp's `order_id`.
#[utoipa::path(
    tag = "order-activities",
    operation_id = "upsert_order_activity",
    request_body = UpsertOrderActivityRequest,
    responses(
        (status = 201, description = "Created", body = OrderActivityEnvelope),
        (status = 200, description = "Updated (or unchanged)", body = OrderActivityEnvelope),
        (status = 400, description = "INVALID_REQUEST naming the field: out of its limits, `total` or an item's amount with more decimals than the order's currency (sent or stored) has, a `user_id` other than the order's, a `payment_id` that is not one of this miniapp's payments", body = ErrorEnvelope),
        (status = 409, description = "INVALID_STATE (backward move, or out of `delivered`/`cancelled`)", body = ErrorEnvelope),
    ),
    security(("miniapp_token" = []))
)]
#[post("/api/v1/order-activities")]
pub async fn upsert(
    state: web::Data<AppState>,
    Authenticated(app): Authenticated,
    body: JsonBody<Strict<UpsertOrderActivityRequest>>,
) -> Result<HttpResponse, ApiError> {
    let outcome = state
        .services
        .order_activities
        .upsert(&app.id, body.into_inner().into_inner().into_domain())
        .await?;
    let (status, activity) = match &outcome {
        UpsertOutcome::Created(activity) => (StatusCode::CREATED, activity),
        UpsertOutcome::Updated(activity) | UpsertOutcome::Unchanged(activity) => {
            (StatusCode::OK, activity)
        }
    };
    Ok(envelope::success(
        status,
        &order_activity_view(&state, &app.id, activity).await?,
    ))
}

/// Read an order activity with its linked payment's status and its history.
#[utoipa::path(
    tag = "order-activities",
    operation_id = "get_order_activity",
    params(("order_id" = String, Path, description = "This miniapp's order id")),
    responses(
        (status = 200, description = "The order activity", body = OrderActivityEnvelope),
        (status = 404, description = "NOT_FOUND", body = ErrorEnvelope),
    ),
    security(("miniapp_token" = []))
)]
#[get("/api/v1/order-activities/{order_id}")]
pub async fn get(
    state: web::Data<AppState>,
    Authenticated(app): Authenticated,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let record = state.services.order_activities.get(&app.id, &path).await?;
    let payment_status = record.payment_status.map(|status| status.as_str());
    Ok(envelope::success(
        StatusCode::OK,
        &OrderActivityView::of(&record.activity, payment_status),
    ))
}

/// This miniapp's order activities of a user, newest first.
#[utoipa::path(
    tag = "order-activities",
    operation_id = "list_user_order_activities",
    params(("user_id" = String, Path, description = "The user, String(255)"), ListQuery),
    responses(
        (status = 200, description = "A page", body = OrderActivityPageEnvelope),
        (status = 400, description = "INVALID_REQUEST naming `user_id`, `limit` (out of 1..=100) or `cursor` (not one this API returned)", body = ErrorEnvelope),
    ),
    security(("miniapp_token" = []))
)]
#[get("/api/v1/users/{user_id}/order-activities")]
pub async fn list_for_user(
    state: web::Data<AppState>,
    Authenticated(app): Authenticated,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let user = user_id(&path)?;
    let page = query.page()?;
    let found = state
        .services
        .order_activities
        .list_for_user(&app.id, user.as_str(), &page)
        .await?;
    let items = order_activity_views(&state, &app.id, &found.items).await?;
    Ok(envelope::success(
        StatusCode::OK,
        &PageView::of(found, items),
    ))
}
