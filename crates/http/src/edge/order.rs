//! The order shapes the miniapp API and the Boxo host API both read (Boxo's OrderItem and
//! OrderShippingAddress, and an order activity's delivery): request DTOs with the wire's
//! field names, each becoming the domain's type through [`into_domain`](OrderItemInput::into_domain).
//!
//! Their fields are the domain's value types (`BoundedString`, `Money`, `Quantity`,
//! `Latitude`...), whose `Deserialize` does the checking, so a DTO that parsed is valid
//! and the messages name the field as they always did. Each keeps the domain type's name
//! on the wire (`#[serde(rename)]`), so serde's messages read as before.

use chrono::{DateTime, Utc};
use hostpay_domain::money::Money;
use hostpay_domain::order::{OrderItem, Quantity, ShippingAddress};
use hostpay_domain::order_activity::{Courier, DeliveryInfo, DeliveryMethod};
use hostpay_domain::validation::{BoundedString, Latitude, Longitude, NonEmptyString};
use serde::Deserialize;

/// A line of an order as sent (Boxo's OrderItem; the miniapp API's `items[]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename = "OrderItem")]
pub struct OrderItemInput {
    /// String(250), required.
    pub product_name: NonEmptyString<250>,
    /// String(250).
    #[serde(default)]
    pub product_variant_name: Option<BoundedString<250>>,
    /// String(250).
    #[serde(default)]
    pub product_sku: Option<BoundedString<250>>,
    /// String(500).
    #[serde(default)]
    pub product_image_url: Option<BoundedString<500>>,
    /// At least 1 (default 1).
    #[serde(default = "one")]
    pub quantity: Quantity,
    /// The unit price.
    #[serde(default)]
    pub price: Option<Money>,
    /// The discount on this product.
    #[serde(default)]
    pub discount: Option<Money>,
}

fn one() -> Quantity {
    Quantity::ONE
}

impl OrderItemInput {
    /// The domain's item.
    pub fn into_domain(self) -> OrderItem {
        OrderItem {
            product_name: self.product_name,
            product_variant_name: self.product_variant_name,
            product_sku: self.product_sku,
            product_image_url: self.product_image_url,
            quantity: self.quantity,
            price: self.price,
            discount: self.discount,
        }
    }

    /// The domain's items.
    pub fn all_into_domain(items: Vec<OrderItemInput>) -> Vec<OrderItem> {
        items.into_iter().map(OrderItemInput::into_domain).collect()
    }
}

/// Where an order goes, as sent (Boxo's OrderShippingAddress); every field optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename = "ShippingAddress")]
pub struct ShippingAddressInput {
    /// String(1000).
    #[serde(default)]
    pub address1: Option<BoundedString<1000>>,
    /// String(1000).
    #[serde(default)]
    pub address2: Option<BoundedString<1000>>,
    /// String(250).
    #[serde(default)]
    pub first_name: Option<BoundedString<250>>,
    /// String(250).
    #[serde(default)]
    pub last_name: Option<BoundedString<250>>,
    /// String(250).
    #[serde(default)]
    pub phone: Option<BoundedString<250>>,
    /// String(100).
    #[serde(default)]
    pub region_name: Option<BoundedString<100>>,
    /// String(100).
    #[serde(default)]
    pub region_code: Option<BoundedString<100>>,
    /// String(100).
    #[serde(default)]
    pub province_name: Option<BoundedString<100>>,
    /// String(100).
    #[serde(default)]
    pub province_code: Option<BoundedString<100>>,
    /// String(250).
    #[serde(default)]
    pub city: Option<BoundedString<250>>,
    /// String(100).
    #[serde(default)]
    pub country: Option<BoundedString<100>>,
    /// String(100).
    #[serde(default)]
    pub postal_code: Option<BoundedString<100>>,
    /// -90..=90, at most 15 decimals.
    #[serde(default)]
    pub latitude: Option<Latitude>,
    /// -180..=180, at most 15 decimals.
    #[serde(default)]
    pub longitude: Option<Longitude>,
}

impl ShippingAddressInput {
    /// The domain's address.
    pub fn into_domain(self) -> ShippingAddress {
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

/// Who carries an order, as sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename = "Courier")]
pub struct CourierInput {
    /// String(250).
    #[serde(default)]
    pub name: Option<BoundedString<250>>,
    /// String(250).
    #[serde(default)]
    pub phone: Option<BoundedString<250>>,
}

/// An order activity's delivery, as sent.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename = "DeliveryInfo")]
pub struct DeliveryInput {
    /// `delivery`, `pickup` or `digital`.
    pub method: DeliveryMethod,
    /// Where to.
    #[serde(default)]
    pub address: Option<ShippingAddressInput>,
    /// Expected arrival, RFC 3339.
    #[serde(default)]
    pub eta: Option<DateTime<Utc>>,
    /// String(500).
    #[serde(default)]
    pub tracking_url: Option<BoundedString<500>>,
    /// Who carries it.
    #[serde(default)]
    pub courier: Option<CourierInput>,
}

impl DeliveryInput {
    /// The domain's delivery information.
    pub fn into_domain(self) -> DeliveryInfo {
        DeliveryInfo {
            method: self.method,
            address: self.address.map(ShippingAddressInput::into_domain),
            eta: self.eta,
            tracking_url: self.tracking_url,
            courier: self.courier.map(|courier| Courier {
                name: courier.name,
                phone: courier.phone,
            }),
        }
    }
}
