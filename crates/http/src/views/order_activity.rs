//! Order activities as shown (api.md section 3): the order's progress with its history.
//! Amounts are written with exactly the order currency's decimals; without a currency,
//! with two.

use chrono::{DateTime, Utc};
use hostpay_domain::order_activity::{
    ActivityEvent, Courier, DeliveryInfo, DeliveryMethod, OrderActivity,
};
use hostpay_domain::validation::BoundedString;
use serde::Serialize;
use utoipa::ToSchema;

use crate::views::payment::{amount_text, ItemView, ShippingAddressView};

/// An entry of an order's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActivityEventView {
    /// `evt_...`
    pub id: String,
    /// `order_activity.created`, `order_activity.status_changed`, `order_activity.updated`,
    /// or the linked payment's event (`payment.paid`...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The order's status after the event.
    pub status: &'static str,
    /// When.
    #[serde(serialize_with = "super::instant::write")]
    pub created_at: DateTime<Utc>,
    /// Which fields changed (the names, for `order_activity.*` events), or for a linked
    /// payment's event `{"payment_status": ...}`.
    #[schema(value_type = Option<Value>)]
    pub changes: Option<serde_json::Value>,
}

impl ActivityEventView {
    /// The view of an entry of the history.
    pub fn of(event: &ActivityEvent) -> ActivityEventView {
        ActivityEventView {
            id: event.id.to_string(),
            kind: event.kind.clone(),
            status: event.status.as_str(),
            created_at: event.created_at,
            changes: event.changes.clone(),
        }
    }
}

/// An order activity with its history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderActivityView {
    /// `oa_...`
    pub id: String,
    /// Always `order_activity`.
    pub object: &'static str,
    /// The miniapp's order id.
    pub order_id: String,
    /// The user.
    pub user_id: String,
    /// `created`, `confirmed`, `preparing`, `ready`, `in_delivery`, `delivered`, `cancelled`.
    pub status: &'static str,
    /// Title.
    pub title: Option<String>,
    /// The lines (amounts in the order's currency, two decimals without one).
    pub items: Vec<ItemView>,
    /// The total (decimal string with exactly the currency's decimals; two without one).
    pub total: Option<String>,
    /// The total's currency.
    pub currency: Option<String>,
    /// The linked payment.
    pub payment_id: Option<String>,
    /// The linked payment's status.
    pub payment_status: Option<&'static str>,
    /// Delivery information.
    pub delivery: Option<OrderDeliveryView>,
    /// Note.
    pub note: Option<String>,
    /// History, oldest first.
    pub events: Vec<ActivityEventView>,
    /// Created.
    #[serde(serialize_with = "super::instant::write")]
    pub created_at: DateTime<Utc>,
    /// Last changed.
    #[serde(serialize_with = "super::instant::write")]
    pub updated_at: DateTime<Utc>,
}

impl OrderActivityView {
    /// The view of an order activity whose linked payment has `payment_status`.
    pub fn of(activity: &OrderActivity, payment_status: Option<&'static str>) -> Self {
        OrderActivityView {
            id: activity.id.to_string(),
            object: "order_activity",
            order_id: activity.order_id.to_string(),
            user_id: activity.user_id.to_string(),
            status: activity.status.as_str(),
            title: activity.title.as_ref().map(ToString::to_string),
            items: ItemView::all(&activity.items, activity.currency),
            total: activity
                .total
                .map(|total| amount_text(total, activity.currency)),
            currency: activity.currency.map(|currency| currency.to_string()),
            payment_id: activity.payment_id.as_ref().map(ToString::to_string),
            payment_status,
            delivery: activity.delivery.as_ref().map(OrderDeliveryView::of),
            note: activity.note.as_ref().map(ToString::to_string),
            events: activity.events.iter().map(ActivityEventView::of).collect(),
            created_at: activity.created_at,
            updated_at: activity.updated_at,
        }
    }
}

// As shown (absent fields left out); documented as `DeliveryDoc`, the form the upsert's
// `delivery` takes too (the doc comment is the schema's description).
/// An order activity's delivery.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DeliveryDoc)]
pub struct OrderDeliveryView {
    /// `delivery`, `pickup` or `digital`.
    #[schema(value_type = String, example = "delivery")]
    pub method: DeliveryMethod,
    /// Where to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<ShippingAddressView>,
    /// Expected arrival, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    #[serde(serialize_with = "super::instant::write_optional")]
    pub eta: Option<DateTime<Utc>>,
    /// String(500).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub tracking_url: Option<BoundedString<500>>,
    /// Who carries it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub courier: Option<CourierView>,
}

impl OrderDeliveryView {
    /// The view of `delivery`.
    pub fn of(delivery: &DeliveryInfo) -> OrderDeliveryView {
        OrderDeliveryView {
            method: delivery.method,
            address: delivery.address.as_ref().map(ShippingAddressView::of),
            eta: delivery.eta,
            tracking_url: delivery.tracking_url.clone(),
            courier: delivery.courier.as_ref().map(CourierView::of),
        }
    }
}

/// Who carries an order.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = CourierDoc)]
pub struct CourierView {
    /// String(250).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub name: Option<BoundedString<250>>,
    /// String(250).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<BoundedString<250>>,
}

impl CourierView {
    /// The view of `courier`.
    pub fn of(courier: &Courier) -> CourierView {
        CourierView {
            name: courier.name.clone(),
            phone: courier.phone.clone(),
        }
    }
}
