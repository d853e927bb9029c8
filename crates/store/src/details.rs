//! `payments.details` (and `order_activities.items` and `.delivery`) as the store keeps
//! them: JSON documents with the same field names as hostpay has always written (absent
//! fields left out), so existing rows read. The rows are the store's: renaming a field of
//! the domain's [`PaymentDetails`] or [`DeliveryInfo`] changes nothing here.

use chrono::{DateTime, Utc};
use hostpay_domain::money::Money;
use hostpay_domain::order::{OrderItem, PaymentDetails, Quantity, ShippingAddress};
use hostpay_domain::order_activity::{Courier, DeliveryInfo, DeliveryMethod};
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

/// An order activity's delivery, as `order_activities.delivery` keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DeliveryRow {
    method: DeliveryMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    address: Option<AddressRow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    eta: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tracking_url: Option<BoundedString<500>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    courier: Option<CourierRow>,
}

/// Who carries an order, as `order_activities.delivery.courier` keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CourierRow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<BoundedString<250>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<BoundedString<250>>,
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

impl DeliveryRow {
    /// The row of `delivery`.
    pub(crate) fn of(delivery: &DeliveryInfo) -> DeliveryRow {
        DeliveryRow {
            method: delivery.method,
            address: delivery.address.as_ref().map(AddressRow::of),
            eta: delivery.eta,
            tracking_url: delivery.tracking_url.clone(),
            courier: delivery.courier.as_ref().map(|courier| CourierRow {
                name: courier.name.clone(),
                phone: courier.phone.clone(),
            }),
        }
    }

    /// The domain's delivery information.
    pub(crate) fn into_domain(self) -> DeliveryInfo {
        DeliveryInfo {
            method: self.method,
            address: self.address.map(AddressRow::into_domain),
            eta: self.eta,
            tracking_url: self.tracking_url,
            courier: self.courier.map(|courier| Courier {
                name: courier.name,
                phone: courier.phone,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Documents as hostpay wrote them before the rows were the store's own: they read,
    /// and they are written back byte for byte.
    #[test]
    fn stored_documents_read_and_write_back_unchanged() {
        let details = r#"{"description":"Two coffees","items":[{"product_name":"Flat white","product_variant_name":"oat","product_sku":"FW","product_image_url":"https://cdn.example/fw.png","quantity":2,"price":"4.50","discount":"0.25"},{"product_name":"Croissant","quantity":1}],"shipping_address":{"address1":"1 Rue","city":"Zürich","country":"CH","postal_code":"8001","latitude":"47.376886987654321","longitude":"-8.541694"},"custom_attributes":{"table":7},"subtotal_amount":"12.35","shipping_amount":"0.00","discount_amount":"0.50","tax_title":"VAT","tax_amount":"0.93","taxes_included":true,"note":"ring"}"#;
        let row: DetailsRow = serde_json::from_str(details).unwrap();
        let domain = row.into_domain();
        assert_eq!(domain.items.len(), 2);
        assert_eq!(domain.items[1].quantity, Quantity::ONE);
        assert_eq!(
            serde_json::to_string(&DetailsRow::of(&domain)).unwrap(),
            details
        );
        let old_item_without_quantity: ItemRow =
            serde_json::from_str(r#"{"product_name":"Tea"}"#).unwrap();
        assert_eq!(
            old_item_without_quantity.into_domain().quantity,
            Quantity::ONE
        );

        let delivery = r#"{"method":"delivery","address":{"address1":"Hauptstraße 5","city":"Köln","latitude":"50.9375","longitude":"6.9603"},"eta":"2026-04-01T19:30:00.123456Z","tracking_url":"https://track.example/abc","courier":{"name":"Zoë","phone":"+49 221 000"}}"#;
        let row: DeliveryRow = serde_json::from_str(delivery).unwrap();
        let domain = row.into_domain();
        assert_eq!(domain.method, DeliveryMethod::Delivery);
        assert_eq!(
            serde_json::to_string(&DeliveryRow::of(&domain)).unwrap(),
            delivery
        );
        let bare = r#"{"method":"pickup"}"#;
        let row: DeliveryRow = serde_json::from_str(bare).unwrap();
        assert_eq!(
            serde_json::to_string(&DeliveryRow::of(&row.into_domain())).unwrap(),
            bare
        );
    }
}
