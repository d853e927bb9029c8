//! `payments.details` as the store keeps it: a JSON document with the same field names as
//! hostpay has always written (absent fields left out), so existing rows read. The rows
//! are the store's: renaming a field of the domain's [`PaymentDetails`] changes nothing
//! here.

use hostpay_domain::money::Money;
use hostpay_domain::order::{OrderItem, PaymentDetails, Quantity, ShippingAddress};
use hostpay_domain::validation::{BoundedString, Latitude, Longitude, NonEmptyString};
use serde::{Deserialize, Serialize};

/// The `payments.details` document.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct DetailsRow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<BoundedString<1000>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    items: Vec<ItemRow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    shipping_address: Option<AddressRow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    custom_attributes: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subtotal_amount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    shipping_amount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    discount_amount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tax_title: Option<BoundedString<250>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tax_amount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    taxes_included: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<BoundedString<65536>>,
}

/// One item of an order, as `payments.details.items` and `order_activities.items` keep it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ItemRow {
    product_name: NonEmptyString<250>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    product_variant_name: Option<BoundedString<250>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    product_sku: Option<BoundedString<250>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    product_image_url: Option<BoundedString<500>>,
    #[serde(default = "one")]
    quantity: Quantity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    price: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    discount: Option<Money>,
}

/// A shipping address, as `payments.details.shipping_address` keeps it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct AddressRow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address1: Option<BoundedString<1000>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address2: Option<BoundedString<1000>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    first_name: Option<BoundedString<250>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_name: Option<BoundedString<250>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<BoundedString<250>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    region_name: Option<BoundedString<100>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    region_code: Option<BoundedString<100>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    province_name: Option<BoundedString<100>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    province_code: Option<BoundedString<100>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    city: Option<BoundedString<250>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    country: Option<BoundedString<100>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    postal_code: Option<BoundedString<100>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    latitude: Option<Latitude>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    longitude: Option<Longitude>,
}

fn one() -> Quantity {
    Quantity::ONE
}

impl DetailsRow {
    /// The document of `details`.
    pub(crate) fn of(details: &PaymentDetails) -> DetailsRow {
        DetailsRow {
            description: details.description.clone(),
            items: details.items.iter().map(ItemRow::of).collect(),
            shipping_address: details.shipping_address.as_ref().map(AddressRow::of),
            custom_attributes: details.custom_attributes.clone(),
            subtotal_amount: details.subtotal_amount,
            shipping_amount: details.shipping_amount,
            discount_amount: details.discount_amount,
            tax_title: details.tax_title.clone(),
            tax_amount: details.tax_amount,
            taxes_included: details.taxes_included,
            note: details.note.clone(),
        }
    }

    /// The domain's details.
    pub(crate) fn into_domain(self) -> PaymentDetails {
        PaymentDetails {
            description: self.description,
            items: self.items.into_iter().map(ItemRow::into_domain).collect(),
            shipping_address: self.shipping_address.map(AddressRow::into_domain),
            custom_attributes: self.custom_attributes,
            subtotal_amount: self.subtotal_amount,
            shipping_amount: self.shipping_amount,
            discount_amount: self.discount_amount,
            tax_title: self.tax_title,
            tax_amount: self.tax_amount,
            taxes_included: self.taxes_included,
            note: self.note,
        }
    }
}

impl ItemRow {
    /// The row of `item`.
    pub(crate) fn of(item: &OrderItem) -> ItemRow {
        ItemRow {
            product_name: item.product_name.clone(),
            product_variant_name: item.product_variant_name.clone(),
            product_sku: item.product_sku.clone(),
            product_image_url: item.product_image_url.clone(),
            quantity: item.quantity,
            price: item.price,
            discount: item.discount,
        }
    }

    /// The domain's item.
    pub(crate) fn into_domain(self) -> OrderItem {
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
}

impl AddressRow {
    fn of(address: &ShippingAddress) -> AddressRow {
        AddressRow {
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
