//! The documented shapes of the domain's value types a view carries as they are (an
//! order line's input form, a shipping address, a delivery): the domain has no OpenAPI, so
//! their schemas are written here, field for field.

use utoipa::ToSchema;

/// Boxo's OrderItem.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OrderItemDoc {
    /// String(250), required.
    product_name: String,
    /// String(250).
    product_variant_name: Option<String>,
    /// String(250).
    product_sku: Option<String>,
    /// String(500).
    product_image_url: Option<String>,
    /// Integer >= 1 (default 1).
    #[schema(minimum = 1)]
    quantity: Option<u32>,
    /// Unit price: decimal (number or string), at most the currency's decimals (2 where
    /// there is no currency, and on the Boxo surface); written as a string with exactly
    /// the currency's decimals.
    #[schema(example = "12.50")]
    price: Option<String>,
    /// Discount: decimal, like `price`.
    discount: Option<String>,
}

/// Boxo's OrderShippingAddress (every field optional).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ShippingAddressDoc {
    /// String(1000).
    address1: Option<String>,
    /// String(1000).
    address2: Option<String>,
    /// String(250).
    first_name: Option<String>,
    /// String(250).
    last_name: Option<String>,
    /// String(250).
    phone: Option<String>,
    /// String(100).
    region_name: Option<String>,
    /// String(100).
    region_code: Option<String>,
    /// String(100).
    province_name: Option<String>,
    /// String(100).
    province_code: Option<String>,
    /// String(250).
    city: Option<String>,
    /// String(100).
    country: Option<String>,
    /// String(100).
    postal_code: Option<String>,
    /// -90..=90, at most 15 decimals (number or string).
    latitude: Option<String>,
    /// -180..=180, at most 15 decimals (number or string).
    longitude: Option<String>,
}

/// Who carries an order.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CourierDoc {
    /// String(250).
    name: Option<String>,
    /// String(250).
    phone: Option<String>,
}

/// An order activity's delivery.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct DeliveryDoc {
    /// `delivery`, `pickup` or `digital`.
    #[schema(example = "delivery")]
    method: String,
    /// Where to.
    address: Option<ShippingAddressDoc>,
    /// Expected arrival, RFC 3339.
    eta: Option<String>,
    /// String(500).
    tracking_url: Option<String>,
    /// Who carries it.
    courier: Option<CourierDoc>,
}
