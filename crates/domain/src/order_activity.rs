//! The [`OrderActivity`] aggregate: a miniapp's order as the host app shows it, upserted by
//! the miniapp's `order_id`, moving forward through its statuses, with a history.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AppId, EventId, IdGenerator, OrderActivityId, PaymentId};
use crate::money::{AmountRule, Currency, Money};
use crate::order::{check_amount, check_items, OrderItem, ShippingAddress, UserRef};
use crate::payment::PaymentStatus;
use crate::validation::{BoundedString, InvalidField, NonEmptyString};

/// Where an order stands. Forward moves may skip steps; `cancelled` is reachable from any
/// non-terminal status; `delivered` and `cancelled` are terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderActivityStatus {
    /// Placed.
    Created,
    /// Accepted by the merchant.
    Confirmed,
    /// Being prepared.
    Preparing,
    /// Ready for pickup or delivery.
    Ready,
    /// On its way.
    InDelivery,
    /// Delivered (terminal).
    Delivered,
    /// Cancelled (terminal).
    Cancelled,
}

impl OrderActivityStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderActivityStatus::Created => "created",
            OrderActivityStatus::Confirmed => "confirmed",
            OrderActivityStatus::Preparing => "preparing",
            OrderActivityStatus::Ready => "ready",
            OrderActivityStatus::InDelivery => "in_delivery",
            OrderActivityStatus::Delivered => "delivered",
            OrderActivityStatus::Cancelled => "cancelled",
        }
    }

    /// Parses a wire name.
    pub fn parse(text: &str) -> Option<OrderActivityStatus> {
        [
            OrderActivityStatus::Created,
            OrderActivityStatus::Confirmed,
            OrderActivityStatus::Preparing,
            OrderActivityStatus::Ready,
            OrderActivityStatus::InDelivery,
            OrderActivityStatus::Delivered,
            OrderActivityStatus::Cancelled,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }

    /// Position on the forward path; `None` for `cancelled`.
    fn rank(self) -> Option<u8> {
        match self {
            OrderActivityStatus::Created => Some(0),
            OrderActivityStatus::Confirmed => Some(1),
            OrderActivityStatus::Preparing => Some(2),
            OrderActivityStatus::Ready => Some(3),
            OrderActivityStatus::InDelivery => Some(4),
            OrderActivityStatus::Delivered => Some(5),
            OrderActivityStatus::Cancelled => None,
        }
    }

    /// Whether nothing moves out of this status.
    pub fn is_terminal(self) -> bool {
        match self {
            OrderActivityStatus::Delivered | OrderActivityStatus::Cancelled => true,
            OrderActivityStatus::Created
            | OrderActivityStatus::Confirmed
            | OrderActivityStatus::Preparing
            | OrderActivityStatus::Ready
            | OrderActivityStatus::InDelivery => false,
        }
    }

    /// Whether an order may move from `self` to `to` (staying put is always allowed).
    pub fn can_move_to(self, to: OrderActivityStatus) -> bool {
        if self == to {
            return true;
        }
        if self.is_terminal() {
            return false;
        }
        match (self.rank(), to.rank()) {
            (_, None) => true,
            (Some(from), Some(to)) => to > from,
            (None, Some(_)) => false,
        }
    }
}

/// How an order reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMethod {
    /// Brought to an address.
    Delivery,
    /// Collected by the user.
    Pickup,
    /// Nothing physical.
    Digital,
}

/// Who carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Courier {
    /// String(250).
    pub name: Option<BoundedString<250>>,
    /// String(250).
    pub phone: Option<BoundedString<250>>,
}

/// An order's delivery information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryInfo {
    /// delivery, pickup or digital.
    pub method: DeliveryMethod,
    /// Where to.
    pub address: Option<ShippingAddress>,
    /// Expected arrival, RFC 3339.
    pub eta: Option<DateTime<Utc>>,
    /// String(500).
    pub tracking_url: Option<BoundedString<500>>,
    /// Who carries it.
    pub courier: Option<Courier>,
}

/// One entry of an order's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityEvent {
    /// `evt_...`
    pub id: EventId,
    /// `order_activity.created`, `order_activity.updated`, or the linked payment's
    /// event (`payment.paid`...).
    pub kind: String,
    /// The order's status after the event.
    pub status: OrderActivityStatus,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Which fields changed (and, for payment events, the payment's status).
    pub changes: Option<serde_json::Value>,
}

/// What a miniapp sends to create or update an order activity; absent fields keep their
/// stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderActivityUpsert {
    /// The miniapp's order id, String(255).
    pub order_id: NonEmptyString<255>,
    /// The user, String(255).
    pub user_id: UserRef,
    /// The new status.
    pub status: OrderActivityStatus,
    /// String(250).
    pub title: Option<BoundedString<250>>,
    /// The lines (replaces the stored ones when given).
    pub items: Option<Vec<OrderItem>>,
    /// The total.
    pub total: Option<Money>,
    /// The total's currency.
    pub currency: Option<Currency>,
    /// The linked payment.
    pub payment_id: Option<PaymentId>,
    /// Delivery information (replaces the stored one when given).
    pub delivery: Option<DeliveryInfo>,
    /// String(2000).
    pub note: Option<BoundedString<2000>>,
}

/// An order activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderActivity {
    /// `oa_...`
    pub id: OrderActivityId,
    /// The owning miniapp.
    pub app_id: AppId,
    /// The miniapp's order id (unique per miniapp).
    pub order_id: NonEmptyString<255>,
    /// The user.
    pub user_id: UserRef,
    /// Where it stands.
    pub status: OrderActivityStatus,
    /// Title.
    pub title: Option<BoundedString<250>>,
    /// The lines.
    pub items: Vec<OrderItem>,
    /// The total.
    pub total: Option<Money>,
    /// The total's currency.
    pub currency: Option<Currency>,
    /// The linked payment.
    pub payment_id: Option<PaymentId>,
    /// Delivery information.
    pub delivery: Option<DeliveryInfo>,
    /// Note.
    pub note: Option<BoundedString<2000>>,
    /// History, oldest first.
    pub events: Vec<ActivityEvent>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// A refused upsert.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderActivityError {
    /// The status may not move that way.
    #[error("order {order_id} is {from}; it cannot move to {to}")]
    InvalidTransition {
        /// The order.
        order_id: String,
        /// Its current status.
        from: &'static str,
        /// The refused status.
        to: &'static str,
    },
    /// An order belongs to one user.
    #[error("order {order_id} belongs to another user")]
    UserMismatch {
        /// The order.
        order_id: String,
    },
}

/// The result of an upsert.
#[derive(Debug, Clone, PartialEq)]
pub enum UpsertOutcome {
    /// A new order (its first event is the creation).
    Created(OrderActivity),
    /// Something changed; exactly one event was appended.
    Updated(OrderActivity),
    /// Nothing changed; no event.
    Unchanged(OrderActivity),
}

impl OrderActivity {
    /// Creates an order from its first upsert; the creation is its first event.
    pub fn create(
        upsert: OrderActivityUpsert,
        app_id: AppId,
        ids: &dyn IdGenerator,
        now: DateTime<Utc>,
    ) -> OrderActivity {
        let mut activity = OrderActivity {
            id: OrderActivityId::generate(ids),
            app_id,
            order_id: upsert.order_id,
            user_id: upsert.user_id,
            status: upsert.status,
            title: upsert.title,
            items: upsert.items.unwrap_or_default(),
            total: upsert.total,
            currency: upsert.currency,
            payment_id: upsert.payment_id,
            delivery: upsert.delivery,
            note: upsert.note,
            events: Vec::new(),
            created_at: now,
            updated_at: now,
            version: 0,
        };
        activity.events.push(ActivityEvent {
            id: EventId::generate(ids),
            kind: "order_activity.created".to_owned(),
            status: activity.status,
            created_at: now,
            changes: None,
        });
        activity
    }

    /// Applies an upsert: refuses backward moves and moves out of a terminal status;
    /// appends exactly one event when anything changed, none otherwise.
    pub fn apply(
        &self,
        upsert: OrderActivityUpsert,
        ids: &dyn IdGenerator,
        now: DateTime<Utc>,
    ) -> Result<UpsertOutcome, OrderActivityError> {
        if upsert.user_id != self.user_id {
            return Err(OrderActivityError::UserMismatch {
                order_id: self.order_id.to_string(),
            });
        }
        if !self.status.can_move_to(upsert.status) {
            return Err(OrderActivityError::InvalidTransition {
                order_id: self.order_id.to_string(),
                from: self.status.as_str(),
                to: upsert.status.as_str(),
            });
        }
        let mut next = self.clone();
        let mut changed = Vec::new();
        macro_rules! set {
            ($field:ident, $value:expr) => {
                let value = $value;
                if next.$field != value {
                    next.$field = value;
                    changed.push(stringify!($field));
                }
            };
        }
        set!(status, upsert.status);
        if let Some(title) = upsert.title {
            set!(title, Some(title));
        }
        if let Some(items) = upsert.items {
            set!(items, items);
        }
        if let Some(total) = upsert.total {
            set!(total, Some(total));
        }
        if let Some(currency) = upsert.currency {
            set!(currency, Some(currency));
        }
        if let Some(payment_id) = upsert.payment_id {
            set!(payment_id, Some(payment_id));
        }
        if let Some(delivery) = upsert.delivery {
            set!(delivery, Some(delivery));
        }
        if let Some(note) = upsert.note {
            set!(note, Some(note));
        }
        if changed.is_empty() {
            return Ok(UpsertOutcome::Unchanged(next));
        }
        let kind = if changed.contains(&"status") {
            "order_activity.status_changed"
        } else {
            "order_activity.updated"
        };
        next.version += 1;
        next.updated_at = now;
        next.events.push(ActivityEvent {
            id: EventId::generate(ids),
            kind: kind.to_owned(),
            status: next.status,
            created_at: now,
            changes: Some(serde_json::json!(changed)),
        });
        Ok(UpsertOutcome::Updated(next))
    }

    /// Checks `total` and the items' amounts against the order's currency (at most its
    /// decimals), or, without a currency, against the generic 2 decimals. The error names
    /// the field (`total`, `items[0].price`). An upsert is checked on the order it makes,
    /// so a stored currency counts for new amounts and a new currency for stored ones.
    pub fn check_amounts(&self) -> Result<(), InvalidField> {
        let rule = AmountRule::for_currency(self.currency);
        check_amount("total", self.total, rule)?;
        check_items(&self.items, rule)
    }

    /// The history entry appended when the linked payment changes status.
    pub fn payment_changed_event(
        &self,
        payment_event_id: &EventId,
        payment_event_kind: &str,
        payment_status: PaymentStatus,
        now: DateTime<Utc>,
    ) -> ActivityEvent {
        ActivityEvent {
            id: EventId::for_transition(
                &format!("{}:{}", self.id, payment_event_id),
                payment_event_kind,
            ),
            kind: payment_event_kind.to_owned(),
            status: self.status,
            created_at: now,
            changes: Some(serde_json::json!({ "payment_status": payment_status.as_str() })),
        }
    }
}
