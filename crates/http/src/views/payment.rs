//! Payments as shown (api.md sections 3, 5 and 9): with their refunds and events, their
//! payment sessions and pay grants. Amounts are
//! written with exactly their currency's decimals (`"1000"` JPY, `"12.50"` SAR, `"10.500"`
//! KWD); without a currency, with two.

use chrono::{DateTime, Utc};
use hostpay_domain::access::{GrantCredentials, SessionCredentials};
use hostpay_domain::event::{DomainEvent, EventData, EventKind};
use hostpay_domain::ids::EventId;
use hostpay_domain::money::{Currency, Money};
use hostpay_domain::order::{OrderItem, ShippingAddress};
use hostpay_domain::payment::{Channel, Payment, Refund};
use hostpay_domain::validation::{BoundedString, Latitude, Longitude};
use serde::Serialize;
use utoipa::ToSchema;

/// A payment event: `{id, type, created_at, data}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    /// `evt_...`; the webhook for this transition carries the same id.
    #[schema(value_type = String, example = "evt_3f1c...")]
    pub id: EventId,
    /// `payment.created`, `payment.paid`, `refund.succeeded`...
    #[serde(rename = "type")]
    #[schema(example = "payment.paid")]
    pub kind: &'static str,
    /// When it happened (RFC 3339 UTC).
    #[serde(serialize_with = "super::instant::write")]
    pub created_at: DateTime<Utc>,
    /// The subject's state after the event: the published document (`hostpay_events`),
    /// byte for byte what its webhook carries.
    #[schema(value_type = Object)]
    #[serde(serialize_with = "published")]
    pub data: EventData,
}

/// Writes an event's `data` as it is published, straight to the output.
fn published<S: serde::Serializer>(data: &EventData, serializer: S) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&hostpay_events::Published(data), serializer)
}

impl EventView {
    /// The view of a stored event.
    pub fn of(event: &DomainEvent) -> EventView {
        EventView {
            id: event.id.clone(),
            kind: event.kind.as_str(),
            created_at: event.occurred_at,
            data: event.data.clone(),
        }
    }

    /// The `payment.created` event of a payment just opened (the same the store keeps).
    pub fn created(payment: &Payment) -> EventView {
        let kind = EventKind::PaymentCreated.as_str();
        EventView {
            id: EventId::for_transition(payment.id().as_str(), kind),
            kind,
            created_at: payment.created_at(),
            data: EventData::Payment(payment.snapshot()),
        }
    }
}

/// A refund.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RefundView {
    /// `ref_...`
    #[schema(value_type = String, example = "ref_01J...")]
    pub id: String,
    /// Always `refund`.
    #[schema(example = "refund")]
    pub object: &'static str,
    /// The refunded payment.
    #[schema(value_type = String, example = "pay_01J...")]
    pub payment_id: String,
    /// Decimal string with exactly the currency's decimals.
    #[schema(value_type = String, example = "5.00")]
    pub amount: String,
    /// ISO 4217.
    #[schema(value_type = String, example = "USD")]
    pub currency: String,
    /// `pending`, `succeeded` or `failed`.
    #[schema(example = "succeeded")]
    pub status: &'static str,
    /// Why it was asked for.
    pub reason: Option<String>,
    /// Why it failed.
    pub fail_reason: Option<String>,
    /// Asked for.
    #[serde(serialize_with = "super::instant::write")]
    pub created_at: DateTime<Utc>,
    /// Last changed.
    #[serde(serialize_with = "super::instant::write")]
    pub updated_at: DateTime<Utc>,
}

impl RefundView {
    /// The view of a refund of a payment in `currency`.
    pub fn of(refund: &Refund, currency: Currency) -> RefundView {
        RefundView {
            id: refund.id.to_string(),
            object: "refund",
            payment_id: refund.payment_id.to_string(),
            amount: refund.amount.to_currency_string(currency),
            currency: currency.to_string(),
            status: refund.status.as_str(),
            reason: refund.reason.as_ref().map(ToString::to_string),
            fail_reason: refund.fail_reason.clone(),
            created_at: refund.created_at,
            updated_at: refund.updated_at,
        }
    }
}

// A line of a payment or an order as shown, its amounts written in the currency of what it
// belongs to; documented as `OrderItemDoc`, the form the requests' items take too (the doc
// comment is the schema's description).
/// Boxo's OrderItem.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = OrderItemDoc)]
pub struct ItemView {
    /// String(250), required.
    pub product_name: String,
    /// String(250).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_variant_name: Option<String>,
    /// String(250).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_sku: Option<String>,
    /// String(500).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_image_url: Option<String>,
    /// Integer >= 1 (default 1).
    #[schema(value_type = Option<u32>, minimum = 1)]
    pub quantity: u32,
    /// Unit price: decimal (number or string), at most the currency's decimals (2 where
    /// there is no currency, and on the Boxo surface); written as a string with exactly
    /// the currency's decimals.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "12.50")]
    pub price: Option<String>,
    /// Discount: decimal, like `price`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<String>,
}

impl ItemView {
    /// The view of `item` in `currency` (two decimals without one).
    pub fn of(item: &OrderItem, currency: Option<Currency>) -> ItemView {
        ItemView {
            product_name: item.product_name.to_string(),
            product_variant_name: item.product_variant_name.as_ref().map(ToString::to_string),
            product_sku: item.product_sku.as_ref().map(ToString::to_string),
            product_image_url: item.product_image_url.as_ref().map(ToString::to_string),
            quantity: item.quantity.get(),
            price: item.price.map(|price| amount_text(price, currency)),
            discount: item
                .discount
                .map(|discount| amount_text(discount, currency)),
        }
    }

    /// The views of `items` in `currency`.
    pub fn all(items: &[OrderItem], currency: Option<Currency>) -> Vec<ItemView> {
        items
            .iter()
            .map(|item| ItemView::of(item, currency))
            .collect()
    }
}

// Where an order goes, as shown (absent fields left out); documented as
// `ShippingAddressDoc`, the form the requests' addresses take too (the doc comment is the
// schema's description).
/// Boxo's OrderShippingAddress (every field optional).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ShippingAddressDoc)]
pub struct ShippingAddressView {
    /// String(1000).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub address1: Option<BoundedString<1000>>,
    /// String(1000).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub address2: Option<BoundedString<1000>>,
    /// String(250).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub first_name: Option<BoundedString<250>>,
    /// String(250).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub last_name: Option<BoundedString<250>>,
    /// String(250).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<BoundedString<250>>,
    /// String(100).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub region_name: Option<BoundedString<100>>,
    /// String(100).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub region_code: Option<BoundedString<100>>,
    /// String(100).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub province_name: Option<BoundedString<100>>,
    /// String(100).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub province_code: Option<BoundedString<100>>,
    /// String(250).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub city: Option<BoundedString<250>>,
    /// String(100).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub country: Option<BoundedString<100>>,
    /// String(100).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub postal_code: Option<BoundedString<100>>,
    /// -90..=90, at most 15 decimals (number or string).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub latitude: Option<Latitude>,
    /// -180..=180, at most 15 decimals (number or string).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub longitude: Option<Longitude>,
}

impl ShippingAddressView {
    /// The view of `address`.
    pub fn of(address: &ShippingAddress) -> ShippingAddressView {
        ShippingAddressView {
            address1: address.address1.clone(),
            address2: address.address2.clone(),
            first_name: address.first_name.clone(),
            last_name: address.last_name.clone(),
            phone: address.phone.clone(),
            region_name: address.region_name.clone(),
            region_code: address.region_code.clone(),
            province_name: address.province_name.clone(),
            province_code: address.province_code.clone(),
            city: address.city.clone(),
            country: address.country.clone(),
            postal_code: address.postal_code.clone(),
            latitude: address.latitude,
            longitude: address.longitude,
        }
    }
}

/// An amount's text: the currency's decimals, or two without a currency.
pub fn amount_text(amount: Money, currency: Option<Currency>) -> String {
    match currency {
        Some(currency) => amount.to_currency_string(currency),
        None => amount.to_canonical_string(),
    }
}

/// A payment with its refunds and events.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentView {
    /// `pay_...` (on the Boxo surface, the `order_payment_id`).
    #[schema(example = "pay_01J...")]
    pub id: String,
    /// Always `payment`.
    #[schema(example = "payment")]
    pub object: &'static str,
    /// `in_process`, `paid`, `refunded`, `failed` or `cancelled`.
    #[schema(example = "in_process")]
    pub status: &'static str,
    /// Decimal string with exactly the currency's decimals (`"1000"` JPY, `"25.00"` USD,
    /// `"10.500"` KWD).
    #[schema(example = "25.00")]
    pub amount: String,
    /// What succeeded refunds add up to (the currency's decimals).
    #[schema(example = "0.00")]
    pub refunded_amount: String,
    /// ISO 4217.
    #[schema(example = "USD")]
    pub currency: String,
    /// The paying user.
    pub user_id: String,
    /// The miniapp's order id.
    pub miniapp_order_id: Option<String>,
    /// Free text for the payment sheet.
    pub description: Option<String>,
    /// The lines (prices in the currency's decimals).
    pub items: Vec<ItemView>,
    /// Where it goes.
    pub shipping_address: Option<ShippingAddressView>,
    /// Arbitrary attributes, as given (any JSON).
    #[schema(value_type = Option<Value>)]
    pub custom_attributes: Option<serde_json::Value>,
    /// Why it failed or was cancelled.
    pub fail_reason: Option<String>,
    /// Refunds, oldest first.
    pub refunds: Vec<RefundView>,
    /// Events, oldest first.
    pub events: Vec<EventView>,
    /// `miniapp` or `boxo`.
    #[schema(example = "miniapp")]
    pub channel: &'static str,
    /// Created.
    #[serde(serialize_with = "super::instant::write")]
    pub created_at: DateTime<Utc>,
    /// Last changed.
    #[serde(serialize_with = "super::instant::write")]
    pub updated_at: DateTime<Utc>,
    /// When the payment session ends (an unpaid payment is then cancelled).
    #[serde(serialize_with = "super::instant::write")]
    pub expires_at: DateTime<Utc>,
}

impl PaymentView {
    /// The view of `payment` with these `events` (oldest first).
    pub fn of(payment: &Payment, events: Vec<EventView>) -> PaymentView {
        let currency = payment.currency();
        PaymentView {
            id: payment.id().to_string(),
            object: "payment",
            status: payment.status().as_str(),
            amount: payment.amount().to_currency_string(currency),
            refunded_amount: payment.refunded_amount().to_currency_string(currency),
            currency: currency.to_string(),
            user_id: payment.user_id().to_string(),
            miniapp_order_id: payment.miniapp_order_id().map(ToString::to_string),
            description: payment
                .details()
                .description
                .as_ref()
                .map(ToString::to_string),
            items: ItemView::all(&payment.details().items, Some(currency)),
            shipping_address: payment
                .details()
                .shipping_address
                .as_ref()
                .map(ShippingAddressView::of),
            custom_attributes: payment.details().custom_attributes.clone(),
            fail_reason: payment.fail_reason().map(str::to_owned),
            refunds: payment
                .refunds()
                .iter()
                .map(|refund| RefundView::of(refund, currency))
                .collect(),
            events,
            channel: channel_name(payment.channel()),
            created_at: payment.created_at(),
            updated_at: payment.updated_at(),
            expires_at: payment.expires_at(),
        }
    }

    /// The view of `payment` with its stored events.
    pub fn with_events(payment: &Payment, events: &[DomainEvent]) -> PaymentView {
        PaymentView::of(payment, events.iter().map(EventView::of).collect())
    }
}

/// What the frontend needs to show the payment sheet.
#[derive(Clone, Serialize, ToSchema)]
pub struct SessionView {
    /// Bearer token for `/checkout/{id}/confirm` and `/cancel`.
    #[schema(example = "ps_...")]
    pub token: String,
    /// The hosted payment sheet.
    #[schema(example = "http://127.0.0.1:8080/checkout/pay_01J...?session=ps_...")]
    pub checkout_url: String,
    /// When the session stops working.
    #[serde(serialize_with = "super::instant::write")]
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for SessionView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionView")
            .field("token", &"<redacted>")
            .field("checkout_url", &"<redacted: carries the token>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl SessionView {
    /// The view of issued session credentials.
    pub fn of(session: &SessionCredentials) -> SessionView {
        SessionView {
            token: session.token.clone(),
            checkout_url: session.checkout_url.clone(),
            expires_at: session.expires_at,
        }
    }
}

/// A payment with its session (creation, and the internal API's read).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentWithSession {
    /// The payment.
    #[serde(flatten)]
    pub payment: PaymentView,
    /// The payment-sheet session; `null` once the payment can no longer be paid (it is
    /// no longer `in_process`, or its session time is over).
    pub session: Option<SessionView>,
}

/// A pay grant: what lets the host's user pay one payment.
#[derive(Serialize, ToSchema)]
pub struct GrantView {
    /// The grant (shown once; only its hash is kept): `Authorization: Bearer <grant>`
    /// for `POST /checkout/{payment_id}/confirm`.
    #[schema(example = "pg_...")]
    pub grant: String,
    /// The full payment sheet, with Pay.
    #[schema(example = "http://127.0.0.1:8080/checkout/pay_01J...?grant=pg_...")]
    pub checkout_url: String,
    /// When it stops working (at most 5 minutes, never past the payment's session).
    #[serde(serialize_with = "super::instant::write")]
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for GrantView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrantView")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl GrantView {
    /// The view of minted grant credentials.
    pub fn of(credentials: GrantCredentials) -> GrantView {
        GrantView {
            grant: credentials.grant,
            checkout_url: credentials.checkout_url,
            expires_at: credentials.expires_at,
        }
    }
}

/// A payment's `channel` on the wire: who opened it.
pub fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Miniapp => "miniapp",
        Channel::Platform => "boxo",
    }
}

/// An event's `data` as the API shows it: the published document (`hostpay_events`),
/// byte for byte what its webhook carries.
pub fn event_data(data: &EventData) -> serde_json::Value {
    hostpay_events::data_json(data)
}
