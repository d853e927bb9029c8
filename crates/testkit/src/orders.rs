//! Orders for tests, written as JSON: the domain's order shapes carry no serde (their wire
//! forms belong to the edges), so a test that wants an order, payment details or an
//! upsert from a JSON literal reads it here. The field names and defaults are those of the
//! miniapp and Boxo APIs; a literal that does not read panics, naming the field.

use chrono::{DateTime, Utc};
use hostpay_domain::ids::PaymentId;
use hostpay_domain::money::{Currency, Money, PositiveMoney};
use hostpay_domain::order::UserRef;
use hostpay_domain::order::{OrderDetails, OrderItem, PaymentDetails, Quantity, ShippingAddress};
use hostpay_domain::order_activity::{
    Courier, DeliveryInfo, DeliveryMethod, OrderActivityStatus, OrderActivityUpsert,
};
use hostpay_domain::validation::{BoundedString, Latitude, Longitude, NonEmptyString};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

/// Boxo's OrderDetails from `json`.
pub fn order_details(json: Value) -> OrderDetails {
    let order: OrderJson = read(json);
    OrderDetails {
        currency: order.currency,
        amount: order.amount,
        subtotal_amount: order.subtotal_amount,
        shipping_amount: order.shipping_amount,
        discount_amount: order.discount_amount,
        tax_title: order.tax_title,
        tax_amount: order.tax_amount,
        taxes_included: order.taxes_included,
        note: order.note,
        custom_attributes: order.custom_attributes,
        miniapp_order_id: order.miniapp_order_id,
        hostapp_user_id: order.hostapp_user_id,
        items: order.items.into_iter().map(ItemJson::into_domain).collect(),
        shipping_address: order.shipping_address.map(AddressJson::into_domain),
    }
}

/// A payment's details from `json` (the fields of [`PaymentDetails`], absent ones empty).
pub fn payment_details(json: Value) -> PaymentDetails {
    let details: DetailsJson = read(json);
    PaymentDetails {
        description: details.description,
        items: details
            .items
            .into_iter()
            .map(ItemJson::into_domain)
            .collect(),
        shipping_address: details.shipping_address.map(AddressJson::into_domain),
        custom_attributes: details.custom_attributes,
        subtotal_amount: details.subtotal_amount,
        shipping_amount: details.shipping_amount,
        discount_amount: details.discount_amount,
        tax_title: details.tax_title,
        tax_amount: details.tax_amount,
        taxes_included: details.taxes_included,
        note: details.note,
    }
}

/// An order-activity upsert from `json` (the miniapp API's body).
pub fn upsert(json: Value) -> OrderActivityUpsert {
    let upsert: UpsertJson = read(json);
    OrderActivityUpsert {
        order_id: upsert.order_id,
        user_id: upsert.user_id,
        status: upsert.status,
        title: upsert.title,
        items: upsert
            .items
            .map(|items| items.into_iter().map(ItemJson::into_domain).collect()),
        total: upsert.total,
        currency: upsert.currency,
        payment_id: upsert.payment_id,
        delivery: upsert.delivery.map(|delivery| DeliveryInfo {
            method: delivery.method,
            address: delivery.address.map(AddressJson::into_domain),
            eta: delivery.eta,
            tracking_url: delivery.tracking_url,
            courier: delivery.courier.map(|courier| Courier {
                name: courier.name,
                phone: courier.phone,
            }),
        }),
        note: upsert.note,
    }
}

fn read<T: DeserializeOwned>(json: Value) -> T {
    match serde_json::from_value(json) {
        Ok(value) => value,
        Err(error) => panic!("the test's JSON does not read: {error}"),
    }
}

#[derive(Deserialize)]
struct OrderJson {
    currency: Currency,
    amount: PositiveMoney,
    #[serde(default)]
    subtotal_amount: Option<Money>,
    #[serde(default)]
    shipping_amount: Option<Money>,
    #[serde(default)]
    discount_amount: Option<Money>,
    #[serde(default)]
    tax_title: Option<BoundedString<250>>,
    #[serde(default)]
    tax_amount: Option<Money>,
    #[serde(default)]
    taxes_included: Option<bool>,
    #[serde(default)]
    note: Option<BoundedString<65536>>,
    #[serde(default)]
    custom_attributes: Option<Value>,
    #[serde(default)]
    miniapp_order_id: Option<NonEmptyString<255>>,
    #[serde(default)]
    hostapp_user_id: Option<UserRef>,
    #[serde(default)]
    items: Vec<ItemJson>,
    #[serde(default)]
    shipping_address: Option<AddressJson>,
}

#[derive(Deserialize)]
struct DetailsJson {
    #[serde(default)]
    description: Option<BoundedString<1000>>,
    #[serde(default)]
    items: Vec<ItemJson>,
    #[serde(default)]
    shipping_address: Option<AddressJson>,
    #[serde(default)]
    custom_attributes: Option<Value>,
    #[serde(default)]
    subtotal_amount: Option<Money>,
    #[serde(default)]
    shipping_amount: Option<Money>,
    #[serde(default)]
    discount_amount: Option<Money>,
    #[serde(default)]
    tax_title: Option<BoundedString<250>>,
    #[serde(default)]
    tax_amount: Option<Money>,
    #[serde(default)]
    taxes_included: Option<bool>,
    #[serde(default)]
    note: Option<BoundedString<65536>>,
}

#[derive(Deserialize)]
struct UpsertJson {
    order_id: NonEmptyString<255>,
    user_id: UserRef,
    status: OrderActivityStatus,
    #[serde(default)]
    title: Option<BoundedString<250>>,
    #[serde(default)]
    items: Option<Vec<ItemJson>>,
    #[serde(default)]
    total: Option<Money>,
    #[serde(default)]
    currency: Option<Currency>,
    #[serde(default)]
    payment_id: Option<PaymentId>,
    #[serde(default)]
    delivery: Option<DeliveryJson>,
    #[serde(default)]
    note: Option<BoundedString<2000>>,
}

#[derive(Deserialize)]
struct ItemJson {
    product_name: NonEmptyString<250>,
    #[serde(default)]
    product_variant_name: Option<BoundedString<250>>,
    #[serde(default)]
    product_sku: Option<BoundedString<250>>,
    #[serde(default)]
    product_image_url: Option<BoundedString<500>>,
    #[serde(default)]
    quantity: Option<Quantity>,
    #[serde(default)]
    price: Option<Money>,
    #[serde(default)]
    discount: Option<Money>,
}

impl ItemJson {
    fn into_domain(self) -> OrderItem {
        OrderItem {
            product_name: self.product_name,
            product_variant_name: self.product_variant_name,
            product_sku: self.product_sku,
            product_image_url: self.product_image_url,
            quantity: self.quantity.unwrap_or(Quantity::ONE),
            price: self.price,
            discount: self.discount,
        }
    }
}

#[derive(Deserialize)]
struct AddressJson {
    #[serde(default)]
    address1: Option<BoundedString<1000>>,
    #[serde(default)]
    address2: Option<BoundedString<1000>>,
    #[serde(default)]
    first_name: Option<BoundedString<250>>,
    #[serde(default)]
    last_name: Option<BoundedString<250>>,
    #[serde(default)]
    phone: Option<BoundedString<250>>,
    #[serde(default)]
    region_name: Option<BoundedString<100>>,
    #[serde(default)]
    region_code: Option<BoundedString<100>>,
    #[serde(default)]
    province_name: Option<BoundedString<100>>,
    #[serde(default)]
    province_code: Option<BoundedString<100>>,
    #[serde(default)]
    city: Option<BoundedString<250>>,
    #[serde(default)]
    country: Option<BoundedString<100>>,
    #[serde(default)]
    postal_code: Option<BoundedString<100>>,
    #[serde(default)]
    latitude: Option<Latitude>,
    #[serde(default)]
    longitude: Option<Longitude>,
}

impl AddressJson {
    fn into_domain(self) -> ShippingAddress {
        ShippingAddress {
            address1: self.address1,
            address2: self.address2,
            first_name: self.first_name,
            last_name: self.last_name,
            phone: self.phone,
            region_name: self.region_name,
            region_code: self.region_code,
            province_name: self.province_name,
            province_code: self.province_code,
            city: self.city,
            country: self.country,
            postal_code: self.postal_code,
            latitude: self.latitude,
            longitude: self.longitude,
        }
    }
}

#[derive(Deserialize)]
struct DeliveryJson {
    method: DeliveryMethod,
    #[serde(default)]
    address: Option<AddressJson>,
    #[serde(default)]
    eta: Option<DateTime<Utc>>,
    #[serde(default)]
    tracking_url: Option<BoundedString<500>>,
    #[serde(default)]
    courier: Option<CourierJson>,
}

#[derive(Deserialize)]
struct CourierJson {
    #[serde(default)]
    name: Option<BoundedString<250>>,
    #[serde(default)]
    phone: Option<BoundedString<250>>,
}
