//! The order shapes the miniapp platform sends: [`OrderItem`], [`ShippingAddress`] and [`OrderDetails`], with the
//! documented field limits, and the check of their amounts against a currency
//! ([`check_items`], [`PaymentDetails::check_amounts`], [`OrderDetails::check_amounts`]).

use serde::{Deserialize, Serialize};

use crate::money::{AmountRule, Currency, Money, PositiveMoney};
use crate::validation::{BoundedString, InvalidField, Latitude, Longitude, NonEmptyString};

/// A user reference: String(255), not empty.
pub type UserRef = NonEmptyString<255>;

/// A line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    /// The product's name, String(250).
    pub product_name: NonEmptyString<250>,
    /// The variant's name, String(250).
    pub product_variant_name: Option<BoundedString<250>>,
    /// The stock keeping unit, String(250).
    pub product_sku: Option<BoundedString<250>>,
    /// The product's picture, String(500).
    pub product_image_url: Option<BoundedString<500>>,
    /// How many, at least 1.
    pub quantity: Quantity,
    /// The unit price.
    pub price: Option<Money>,
    /// The discount on this product.
    pub discount: Option<Money>,
}

impl OrderItem {
    /// Checks `price` and `discount` against `rule`; the error names the field (`price`,
    /// `discount`).
    pub fn check_amounts(&self, rule: AmountRule) -> Result<(), InvalidField> {
        check_amount("price", self.price, rule)?;
        check_amount("discount", self.discount, rule)
    }
}

/// Checks the amounts of every item against `rule`; the error names the field with its
/// position (`items[0].price`).
pub fn check_items(items: &[OrderItem], rule: AmountRule) -> Result<(), InvalidField> {
    for (index, item) in items.iter().enumerate() {
        item.check_amounts(rule).map_err(|error| {
            InvalidField::new(format!("items[{index}].{}", error.field), error.message)
        })?;
    }
    Ok(())
}

/// Checks one optional amount against `rule`, naming `field` when it fails.
pub(crate) fn check_amount(
    field: &str,
    amount: Option<Money>,
    rule: AmountRule,
) -> Result<(), InvalidField> {
    match amount {
        Some(amount) => rule
            .check(amount)
            .map(|_| ())
            .map_err(|error| InvalidField::new(field, error.to_string())),
        None => Ok(()),
    }
}

/// An item quantity: an integer of at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Quantity(u32);

impl Quantity {
    /// One (what an item without a quantity counts).
    pub const ONE: Quantity = Quantity(1);

    /// The quantity.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Quantity {
    /// A whole JSON number (`2` or `2.0`) from 1 to 4294967295.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = crate::money::WholeNumber::deserialize(deserializer)?.0;
        if value < 1 {
            return Err(serde::de::Error::custom("must be at least 1"));
        }
        u32::try_from(value)
            .map(Quantity)
            .map_err(|_| serde::de::Error::custom("must be at most 4294967295"))
    }
}

/// Where an order goes; every field is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShippingAddress {
    /// First address line, String(1000).
    pub address1: Option<BoundedString<1000>>,
    /// Second address line, String(1000).
    pub address2: Option<BoundedString<1000>>,
    /// String(250).
    pub first_name: Option<BoundedString<250>>,
    /// String(250).
    pub last_name: Option<BoundedString<250>>,
    /// String(250).
    pub phone: Option<BoundedString<250>>,
    /// String(100).
    pub region_name: Option<BoundedString<100>>,
    /// String(100).
    pub region_code: Option<BoundedString<100>>,
    /// String(100) (limit not documented by the platform; hostpay's choice).
    pub province_name: Option<BoundedString<100>>,
    /// String(100) (limit not documented by the platform; hostpay's choice).
    pub province_code: Option<BoundedString<100>>,
    /// String(250) (limit not documented by the platform; hostpay's choice).
    pub city: Option<BoundedString<250>>,
    /// String(100) (limit not documented by the platform; hostpay's choice).
    pub country: Option<BoundedString<100>>,
    /// String(100) (limit not documented by the platform; hostpay's choice).
    pub postal_code: Option<BoundedString<100>>,
    /// -90..=90, at most 15 decimals.
    pub latitude: Option<Latitude>,
    /// -180..=180, at most 15 decimals.
    pub longitude: Option<Longitude>,
}

/// The order the miniapp platform sends with "create order payment",
/// with every documented field and limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDetails {
    /// ISO 4217 code.
    pub currency: Currency,
    /// The order total, > 0.
    pub amount: PositiveMoney,
    /// Before tax and shipping.
    pub subtotal_amount: Option<Money>,
    /// Shipping cost.
    pub shipping_amount: Option<Money>,
    /// Total discount.
    pub discount_amount: Option<Money>,
    /// The tax's name, String(250).
    pub tax_title: Option<BoundedString<250>>,
    /// Tax amount.
    pub tax_amount: Option<Money>,
    /// Whether prices include tax.
    pub taxes_included: Option<bool>,
    /// Free text (unbounded on the platform's side; bounded here by the 64 KiB body limit).
    pub note: Option<BoundedString<65536>>,
    /// Arbitrary attributes, passed back in complete-order.
    pub custom_attributes: Option<serde_json::Value>,
    /// The miniapp's order id, String(255).
    pub miniapp_order_id: Option<NonEmptyString<255>>,
    /// The host app's user, String(255).
    pub hostapp_user_id: Option<UserRef>,
    /// The lines.
    pub items: Vec<OrderItem>,
    /// Where it goes.
    pub shipping_address: Option<ShippingAddress>,
}

/// The order-level facts a payment keeps beyond amount and currency (the platform's extras and
/// the miniapp API's description); stored with the payment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PaymentDetails {
    /// Free text for the payment sheet, String(1000).
    pub description: Option<BoundedString<1000>>,
    /// The lines.
    pub items: Vec<OrderItem>,
    /// Where it goes.
    pub shipping_address: Option<ShippingAddress>,
    /// Arbitrary attributes.
    pub custom_attributes: Option<serde_json::Value>,
    /// Before tax and shipping.
    pub subtotal_amount: Option<Money>,
    /// Shipping cost.
    pub shipping_amount: Option<Money>,
    /// Total discount.
    pub discount_amount: Option<Money>,
    /// The tax's name.
    pub tax_title: Option<BoundedString<250>>,
    /// Tax amount.
    pub tax_amount: Option<Money>,
    /// Whether prices include tax.
    pub taxes_included: Option<bool>,
    /// Free text.
    pub note: Option<BoundedString<65536>>,
}

impl PaymentDetails {
    /// Checks every amount (items, subtotal, shipping, discount, tax) against `rule`;
    /// the error names the field (`items[0].price`, `tax_amount`).
    pub fn check_amounts(&self, rule: AmountRule) -> Result<(), InvalidField> {
        check_items(&self.items, rule)?;
        check_amount("subtotal_amount", self.subtotal_amount, rule)?;
        check_amount("shipping_amount", self.shipping_amount, rule)?;
        check_amount("discount_amount", self.discount_amount, rule)?;
        check_amount("tax_amount", self.tax_amount, rule)
    }
}

impl OrderDetails {
    /// Checks every amount against the order's currency and the platform surface's 2 decimals
    /// ([`AmountRule::CurrencyAndGeneric`]): `"10.50"` in JPY and `"10.505"` in KWD are
    /// both refused. The error names the field (`amount`, `items[0].price`).
    pub fn check_amounts(&self) -> Result<(), InvalidField> {
        let rule = AmountRule::CurrencyAndGeneric(self.currency);
        check_amount("amount", Some(self.amount.get()), rule)?;
        self.payment_details().check_amounts(rule)
    }

    /// The payment details this order carries.
    pub fn payment_details(&self) -> PaymentDetails {
        PaymentDetails {
            description: None,
            items: self.items.clone(),
            shipping_address: self.shipping_address.clone(),
            custom_attributes: self.custom_attributes.clone(),
            subtotal_amount: self.subtotal_amount,
            shipping_amount: self.shipping_amount,
            discount_amount: self.discount_amount,
            tax_title: self.tax_title.clone(),
            tax_amount: self.tax_amount,
            taxes_included: self.taxes_included,
            note: self.note.clone(),
        }
    }
}
