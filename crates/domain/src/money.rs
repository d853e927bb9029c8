//! Exact money: [`Money`] (a non-negative decimal with at most two decimals) and
//! [`Currency`] (an ISO 4217 alpha-3 code).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::validation::FieldError;

/// The largest integer part a decimal may have: 18 digits (`NUMERIC(20,2)`).
const MAX_INTEGER_DIGITS: u32 = 18;
/// The most digits a decimal may have after the point.
const MAX_SCALE: u32 = 2;

/// An exact, non-negative amount of money with at most 18 digits before the point and
/// at most 2 after it (20 in all). It is never rounded: anything else is rejected.
///
/// Parsed from a JSON number, a float or a string; written as a string with exactly two
/// decimals (`"12.50"`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

/// Why a text is not a valid [`Money`] value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The text is not a plain decimal number.
    #[error("must be a decimal number")]
    NotADecimal,
    /// The value is below zero.
    #[error("must not be negative")]
    Negative,
    /// More than two digits after the point.
    #[error("must have at most 2 digits after the decimal point")]
    TooManyDecimals,
    /// More than 18 digits before the point.
    #[error("must have at most 20 digits in all (18 before the decimal point)")]
    TooManyDigits,
    /// The value must be greater than zero.
    #[error("must be greater than 0")]
    NotPositive,
}

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Parses a plain decimal text (`"12"`, `"12.5"`, `"0.01"`).
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let text = text.trim();
        let plain = |c: char| c.is_ascii_digit() || c == '.' || c == '-' || c == '+';
        if text.is_empty() || !text.chars().all(|c| plain(c) || c == 'e' || c == 'E') {
            return Err(MoneyError::NotADecimal);
        }
        let value = if text.chars().all(plain) {
            Decimal::from_str_exact(text)
        } else {
            // JSON numbers may use an exponent (`1e2`).
            Decimal::from_scientific(text)
        }
        .map_err(|_| MoneyError::NotADecimal)?;
        Money::from_decimal(value)
    }

    /// Checks a decimal against the money rules.
    pub fn from_decimal(value: Decimal) -> Result<Money, MoneyError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(MoneyError::Negative);
        }
        let value = value.normalize();
        if value.scale() > MAX_SCALE {
            return Err(MoneyError::TooManyDecimals);
        }
        if value.trunc() >= Decimal::from(10u64.pow(MAX_INTEGER_DIGITS)) {
            return Err(MoneyError::TooManyDigits);
        }
        Ok(Money(value.abs()))
    }

    /// Builds an amount from minor units (cents): `Money::from_minor(1250)` is `12.50`.
    pub fn from_minor(minor: i64) -> Result<Money, MoneyError> {
        Money::from_decimal(Decimal::new(minor, 2))
    }

    /// This amount, or an error when it is zero.
    pub fn positive(self) -> Result<Money, MoneyError> {
        if self.0.is_zero() {
            Err(MoneyError::NotPositive)
        } else {
            Ok(self)
        }
    }

    /// The exact decimal value.
    pub fn as_decimal(self) -> Decimal {
        self.0
    }

    /// Whether this is zero.
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// The sum, or `None` when it would exceed the money limits.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0
            .checked_add(other.0)
            .and_then(|sum| Money::from_decimal(sum).ok())
    }

    /// The difference, or `None` when it would be negative.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        if other.0 > self.0 {
            return None;
        }
        Money::from_decimal(self.0 - other.0).ok()
    }

    /// Sums amounts; `None` when the sum exceeds the money limits.
    pub fn sum<I: IntoIterator<Item = Money>>(amounts: I) -> Option<Money> {
        amounts
            .into_iter()
            .try_fold(Money::ZERO, |total, next| total.checked_add(next))
    }

    /// The canonical text: exactly two decimals (`"12.50"`).
    pub fn to_canonical_string(self) -> String {
        let mut value = self.0;
        value.rescale(MAX_SCALE);
        value.to_string()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_canonical_string())
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({})", self.to_canonical_string())
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_canonical_string())
    }
}

/// The key under which serde_json (with `arbitrary_precision`) hands a number's exact text.
const SERDE_JSON_NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// Reads a JSON number (exactly, when serde_json keeps its text), float or string as the
/// decimal text it was written as. Shared by [`Money`] and the coordinates.
pub(crate) struct DecimalTextVisitor;

impl<'de> Visitor<'de> for DecimalTextVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number or a string holding one")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        if !v.is_finite() {
            return Err(E::custom("must be a finite number"));
        }
        // Rust prints the shortest text that reads back as the same float.
        Ok(format!("{v}"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<String, A::Error> {
        match map.next_key::<String>()? {
            Some(key) if key == SERDE_JSON_NUMBER_TOKEN => map.next_value::<String>(),
            _ => Err(de::Error::custom("expected a decimal number")),
        }
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = deserializer.deserialize_any(DecimalTextVisitor)?;
        Money::parse(&text).map_err(de::Error::custom)
    }
}

/// An amount that must be greater than zero (a payment's or a refund's `amount`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize)]
#[serde(transparent)]
pub struct PositiveMoney(Money);

impl PositiveMoney {
    /// Checks that `amount` is greater than zero.
    pub fn new(amount: Money) -> Result<PositiveMoney, MoneyError> {
        amount.positive().map(PositiveMoney)
    }
    /// The amount.
    pub fn get(self) -> Money {
        self.0
    }
}

impl<'de> Deserialize<'de> for PositiveMoney {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let money = Money::deserialize(deserializer)?;
        PositiveMoney::new(money).map_err(de::Error::custom)
    }
}

/// An ISO 4217 alpha-3 currency code in upper case (`USD`, `SAR`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Parses a code; only the active ISO 4217 codes are accepted, in upper case.
    pub fn parse(code: &str) -> Result<Currency, FieldError> {
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_uppercase) {
            return Err(FieldError::new(
                "must be an ISO 4217 alpha-3 code in upper case, such as USD",
            ));
        }
        if !ISO_4217.contains(&code) {
            return Err(FieldError::new(format!(
                "{code} is not an ISO 4217 currency code"
            )));
        }
        Ok(Currency([bytes[0], bytes[1], bytes[2]]))
    }

    /// The three-letter code.
    pub fn as_str(&self) -> &str {
        // The bytes were checked to be ASCII upper case letters.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::parse(&code).map_err(de::Error::custom)
    }
}

/// Active ISO 4217 alpha-3 codes (including the fund and precious-metal codes).
const ISO_4217: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS",
    "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW",
    "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD",
    "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR",
    "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL",
    "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY",
    "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES",
    "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR",
    "XOF", "XPD", "XPF", "XPT", "XSU", "XTS", "XUA", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Result<Money, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn accepts_numbers_floats_and_strings() {
        assert_eq!(json("12").unwrap().to_string(), "12.00");
        assert_eq!(json("12.5").unwrap().to_string(), "12.50");
        assert_eq!(json("\"0.01\"").unwrap().to_string(), "0.01");
        assert_eq!(json("1e2").unwrap().to_string(), "100.00");
    }

    #[test]
    fn keeps_the_documented_maximum_exactly() {
        let max = json("999999999999999999.99").unwrap();
        assert_eq!(max.to_string(), "999999999999999999.99");
        let max = json("\"999999999999999999.99\"").unwrap();
        assert_eq!(max.to_string(), "999999999999999999.99");
    }

    #[test]
    fn rejects_one_past_each_edge() {
        assert!(json("10.001").is_err());
        assert!(json("\"10.001\"").is_err());
        assert!(json("1999999999999999999.99").is_err());
        assert!(json("\"1234567890123456789012\"").is_err());
        assert!(json("-1").is_err());
        assert!(json("\"abc\"").is_err());
        assert!(json("true").is_err());
        assert!(serde_json::from_str::<PositiveMoney>("0").is_err());
    }

    #[test]
    fn reads_exactly_from_a_value() {
        let value: serde_json::Value = serde_json::from_str("{\"a\": 0.1}").unwrap();
        let money: Money = serde_json::from_value(value["a"].clone()).unwrap();
        assert_eq!(money.to_string(), "0.10");
    }

    #[test]
    fn currency_codes() {
        assert_eq!(Currency::parse("SAR").unwrap().as_str(), "SAR");
        assert!(Currency::parse("usd").is_err());
        assert!(Currency::parse("ABC").is_err());
        assert!(Currency::parse("US").is_err());
    }
}
