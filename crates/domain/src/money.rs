//! Exact money: [`Money`] (a non-negative decimal, never rounded) and [`Currency`] (an
//! ISO 4217 alpha-3 code, with its minor unit).
//!
//! The rules (api.md section 1): an amount has at most 20 digits in all, at most 18 of
//! them before the decimal point; after the point it has at most as many digits as its
//! currency's minor unit ([`Currency::decimals`]: none for JPY, 2 for USD, 3 for KWD), and
//! at most 2 where no currency applies ([`Money::parse`], [`Money::fits_generic`]). Text
//! is read exactly, exponent notation included (`1.05e1` is `10.5`): a value that would
//! need rounding is refused, never rounded. Amounts are written back with exactly their
//! currency's decimals ([`Money::to_currency_string`]: `"1000"` JPY, `"10.500"` KWD).

mod iso4217;

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::decimal_text::{DecimalTextVisitor, SERDE_JSON_NUMBER_TOKEN};
use crate::validation::FieldError;

/// The most digits an amount may have in all, written with its currency's decimals.
const MAX_DIGITS: u32 = 20;
/// The most digits an amount may have before the decimal point (`NUMERIC(22,4)` keeps 18).
const MAX_INTEGER_DIGITS: u32 = 18;
/// The most digits after the decimal point where no currency applies (a platform order
/// item's `price`, an order activity without `currency`, the whole platform surface).
pub const GENERIC_DECIMALS: u32 = 2;
/// The most digits after the decimal point any currency has (`CLF`, `UYW`: 4), hence the
/// most a [`Money`] ever holds.
pub const MAX_DECIMALS: u32 = 4;
/// Exponents beyond this are clamped; any value that far from the point breaks the
/// limits anyway (or is zero), so clamping never changes an answer.
const EXPONENT_CLAMP: i128 = 1_000_000_000_000_000_000_000_000;

/// What an amount may look like in one place.
#[derive(Clone, Copy, Debug)]
struct Limits {
    /// The most digits after the point.
    decimals: u32,
    /// The most digits before the point.
    integer_digits: u32,
    /// The currency whose rule this is, for the message.
    currency: Option<Currency>,
}

impl Limits {
    /// What any currency allows: what a [`Money`] may hold at all.
    const ANY_CURRENCY: Limits = Limits {
        decimals: MAX_DECIMALS,
        integer_digits: MAX_INTEGER_DIGITS,
        currency: None,
    };

    /// `decimals` after the point, and no more than 20 digits in all.
    fn with_decimals(decimals: u32, currency: Option<Currency>) -> Limits {
        Limits {
            decimals,
            integer_digits: MAX_INTEGER_DIGITS.min(MAX_DIGITS.saturating_sub(decimals)),
            currency,
        }
    }

    /// Where no currency applies: 2 decimals, 18 digits before the point.
    fn generic() -> Limits {
        Limits::with_decimals(GENERIC_DECIMALS, None)
    }

    /// In `currency`: its decimals, and no more than 20 digits in all.
    fn of(currency: Currency) -> Limits {
        Limits::with_decimals(currency.decimals(), Some(currency))
    }

    /// Checks a value of `significant` digits whose point sits `scale` digits from their
    /// right end (a negative scale: that many zeros follow).
    fn check(self, negative: bool, significant: i128, scale: i128) -> Result<(), MoneyError> {
        if significant == 0 {
            return Ok(());
        }
        if negative {
            return Err(MoneyError::Negative);
        }
        if scale > i128::from(self.decimals) {
            return Err(MoneyError::TooManyDecimals {
                max: self.decimals,
                currency: self.currency,
            });
        }
        if significant - scale > i128::from(self.integer_digits) {
            return Err(MoneyError::TooManyDigits {
                max_integer_digits: self.integer_digits,
            });
        }
        Ok(())
    }
}

/// An exact, non-negative amount of money: at most 18 digits before the decimal point and
/// at most 4 after it (the most any currency has). It is never rounded: anything else is
/// refused.
///
/// Whether an amount suits where it is used is checked apart: [`Money::fits_currency`]
/// (at most the currency's decimals, 20 digits in all) or [`Money::fits_generic`] (at most
/// 2 decimals, where no currency applies). [`Money::parse`] applies the generic rule,
/// [`Money::parse_in`] a currency's.
///
/// Read from a JSON number, a float or a string (exactly, exponent notation included)
/// with the limits of any currency; written as a string with at least two decimals
/// (`"12.50"`, `"10.505"`), or with exactly its currency's by
/// [`Money::to_currency_string`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

/// Why a text or a value is not a valid [`Money`] amount where it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyError {
    /// The text is not a decimal number.
    NotADecimal,
    /// The value is below zero.
    Negative,
    /// More digits after the decimal point than allowed.
    TooManyDecimals {
        /// How many are allowed.
        max: u32,
        /// The currency whose minor unit sets `max`; `None` for the generic rule (or the
        /// limit of any currency).
        currency: Option<Currency>,
    },
    /// More digits before the decimal point than allowed.
    TooManyDigits {
        /// How many are allowed (18, fewer when the currency's decimals would make more
        /// than 20 in all).
        max_integer_digits: u32,
    },
    /// The value must be greater than zero.
    NotPositive,
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MoneyError::NotADecimal => f.write_str("must be a decimal number"),
            MoneyError::Negative => f.write_str("must not be negative"),
            MoneyError::TooManyDecimals {
                max: 0,
                currency: Some(currency),
            } => write!(
                f,
                "must be a whole number in {currency} (it has no minor unit)"
            ),
            MoneyError::TooManyDecimals {
                max,
                currency: Some(currency),
            } => write!(
                f,
                "must have at most {max} digits after the decimal point in {currency}"
            ),
            MoneyError::TooManyDecimals {
                max,
                currency: None,
            } => write!(f, "must have at most {max} digits after the decimal point"),
            MoneyError::TooManyDigits { max_integer_digits } => write!(
                f,
                "must have at most {MAX_DIGITS} digits in all \
                 ({max_integer_digits} before the decimal point)"
            ),
            MoneyError::NotPositive => f.write_str("must be greater than 0"),
        }
    }
}

impl std::error::Error for MoneyError {}

/// A decimal text read exactly: its significant digits (no leading zeros; no trailing
/// zeros after the point) and where the point sits.
struct ExactText {
    negative: bool,
    /// ASCII digits; empty for zero.
    digits: String,
    /// How many of `digits` follow the point; negative: that many zeros follow them.
    scale: i128,
}

impl ExactText {
    /// Reads `[+-]digits[.digits][(e|E)[+-]digits]` (at least one mantissa digit) without
    /// any rounding.
    fn read(text: &str) -> Result<ExactText, MoneyError> {
        let text = text.trim();
        let (negative, unsigned) = split_sign(text);
        let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
            Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
            None => (unsigned, None),
        };
        let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if (integer.is_empty() && fraction.is_empty())
            || !all_digits(integer)
            || !all_digits(fraction)
        {
            return Err(MoneyError::NotADecimal);
        }
        let exponent = match exponent {
            None => 0,
            Some(text) => read_exponent(text)?,
        };
        let mut digits: String = integer
            .trim_start_matches('0')
            .chars()
            .chain(fraction.chars())
            .collect();
        if integer.trim_start_matches('0').is_empty() {
            // Only the fraction counts: drop its leading zeros too.
            digits = digits.trim_start_matches('0').to_owned();
        }
        let mut scale = fraction.len() as i128 - exponent;
        while scale > 0 && digits.ends_with('0') {
            digits.pop();
            scale -= 1;
        }
        Ok(ExactText {
            negative,
            digits,
            scale,
        })
    }

    /// The amount, when it keeps within `limits`.
    fn to_money(&self, limits: Limits) -> Result<Money, MoneyError> {
        limits.check(self.negative, self.digits.len() as i128, self.scale)?;
        if self.digits.is_empty() {
            return Ok(Money::ZERO);
        }
        // Within the limits: at most 22 significant digits and 18 trailing zeros.
        let mut mantissa: i128 = self.digits.parse().map_err(|_| MoneyError::NotADecimal)?;
        let mut scale = self.scale;
        while scale < 0 {
            mantissa = mantissa.checked_mul(10).ok_or(MoneyError::NotADecimal)?;
            scale += 1;
        }
        let scale = u32::try_from(scale).map_err(|_| MoneyError::NotADecimal)?;
        Decimal::try_from_i128_with_scale(mantissa, scale)
            .map(Money)
            .map_err(|_| MoneyError::NotADecimal)
    }
}

fn split_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

fn all_digits(text: &str) -> bool {
    text.bytes().all(|byte| byte.is_ascii_digit())
}

fn read_exponent(text: &str) -> Result<i128, MoneyError> {
    let (negative, digits) = split_sign(text);
    if digits.is_empty() || !all_digits(digits) {
        return Err(MoneyError::NotADecimal);
    }
    let magnitude = digits.bytes().fold(0i128, |value, digit| {
        (value * 10 + i128::from(digit - b'0')).min(EXPONENT_CLAMP)
    });
    Ok(if negative { -magnitude } else { magnitude })
}

/// How many decimal digits `value` has (0 for 0).
fn digit_count(mut value: u128) -> i128 {
    let mut count = 0;
    while value > 0 {
        value /= 10;
        count += 1;
    }
    count
}

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Parses a decimal text (`"12"`, `"12.5"`, `"0.01"`, `"1.25e1"`) with the generic
    /// rule: at most 2 digits after the point, 18 before it.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        ExactText::read(text)?.to_money(Limits::generic())
    }

    /// Parses a decimal text as an amount in `currency`: at most its
    /// [`Currency::decimals`] after the point (`"10.505"` in KWD, `"1000"` in JPY) and 20
    /// digits in all.
    pub fn parse_in(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        ExactText::read(text)?.to_money(Limits::of(currency))
    }

    /// Parses a decimal text with the limits of any currency (at most 4 digits after the
    /// point, 18 before it): for amounts whose currency is checked afterwards with
    /// [`Money::fits_currency`] or [`Money::fits_generic`]. This is how [`Money`] is
    /// deserialized.
    pub fn parse_any_currency(text: &str) -> Result<Money, MoneyError> {
        ExactText::read(text)?.to_money(Limits::ANY_CURRENCY)
    }

    /// Checks a decimal against the limits of any currency (see
    /// [`Money::parse_any_currency`]).
    pub fn from_decimal(value: Decimal) -> Result<Money, MoneyError> {
        let negative = value.is_sign_negative() && !value.is_zero();
        let value = value.normalize();
        let significant = digit_count(value.mantissa().unsigned_abs());
        Limits::ANY_CURRENCY.check(negative, significant, i128::from(value.scale()))?;
        Ok(Money(value.abs()))
    }

    /// Builds an amount from hundredths (cents): `Money::from_minor(1250)` is `12.50`.
    pub fn from_minor(minor: i64) -> Result<Money, MoneyError> {
        Money::from_decimal(Decimal::new(minor, GENERIC_DECIMALS))
    }

    /// This amount, when it suits `currency`: at most its [`Currency::decimals`] after the
    /// point and 20 digits in all when written with them.
    pub fn fits_currency(self, currency: Currency) -> Result<Money, MoneyError> {
        self.fits(Limits::of(currency))
    }

    /// This amount, when it suits a place without a currency: at most 2 digits after the
    /// point (and 18 before it).
    pub fn fits_generic(self) -> Result<Money, MoneyError> {
        self.fits(Limits::generic())
    }

    fn fits(self, limits: Limits) -> Result<Money, MoneyError> {
        let significant = digit_count(self.0.mantissa().unsigned_abs());
        limits.check(false, significant, i128::from(self.0.scale()))?;
        Ok(self)
    }

    /// How many digits this amount has after the point (`12.50` has 1, `1000` none).
    pub fn decimals(self) -> u32 {
        self.0.normalize().scale()
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

    /// The sum, or `None` when it would exceed the limits of any currency.
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

    /// Sums amounts; `None` when the sum exceeds the limits of any currency.
    pub fn sum<I: IntoIterator<Item = Money>>(amounts: I) -> Option<Money> {
        amounts
            .into_iter()
            .try_fold(Money::ZERO, |total, next| total.checked_add(next))
    }

    /// The text where no currency applies: two decimals (`"12.50"`), more only when the
    /// amount has more (`"10.505"`): never rounded.
    pub fn to_canonical_string(self) -> String {
        self.with_decimals(GENERIC_DECIMALS)
    }

    /// The text in `currency`: exactly its [`Currency::decimals`] (`"1000"` JPY, `"12.50"`
    /// SAR, `"10.500"` KWD); never rounded, so an amount with more decimals than the
    /// currency has (one that never passed [`Money::fits_currency`]) keeps them.
    pub fn to_currency_string(self, currency: Currency) -> String {
        self.with_decimals(currency.decimals())
    }

    fn with_decimals(self, decimals: u32) -> String {
        let mut value = self.0.normalize();
        if value.scale() < decimals {
            // Only ever adds zeros: exact.
            value.rescale(decimals);
        }
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
    /// [`Money::parse`]: the generic rule.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse(s)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_canonical_string())
    }
}

/// A whole number read from a JSON number however it is written (`5`, `5.0`, `5e0`,
/// `500e-2`): JSON Schema's `integer`, which counts `5.0` as one. Fractions, strings and
/// anything beyond `i128` are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WholeNumber(pub i128);

impl WholeNumber {
    /// Reads the exact decimal text of a JSON number.
    pub fn parse(text: &str) -> Result<WholeNumber, &'static str> {
        let exact = ExactText::read(text).map_err(|_| "must be a whole number")?;
        if exact.digits.is_empty() {
            return Ok(WholeNumber(0));
        }
        if exact.scale > 0 {
            return Err("must be a whole number");
        }
        let mut value: i128 = exact.digits.parse().map_err(|_| "is too large")?;
        for _ in 0..exact.scale.unsigned_abs() {
            if value == 0 {
                break;
            }
            value = value.checked_mul(10).ok_or("is too large")?;
        }
        Ok(WholeNumber(if exact.negative { -value } else { value }))
    }
}

struct WholeNumberVisitor;

impl<'de> Visitor<'de> for WholeNumberVisitor {
    type Value = WholeNumber;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a whole number")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<WholeNumber, E> {
        Ok(WholeNumber(i128::from(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<WholeNumber, E> {
        Ok(WholeNumber(i128::from(v)))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<WholeNumber, E> {
        i128::try_from(v)
            .map(WholeNumber)
            .map_err(|_| E::custom("is too large"))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<WholeNumber, E> {
        Ok(WholeNumber(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<WholeNumber, E> {
        if !v.is_finite() {
            return Err(E::custom("must be a finite number"));
        }
        WholeNumber::parse(&format!("{v}")).map_err(E::custom)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WholeNumber, A::Error> {
        match map.next_key::<String>()? {
            Some(key) if key == SERDE_JSON_NUMBER_TOKEN => {
                let text = map.next_value::<String>()?;
                WholeNumber::parse(&text).map_err(de::Error::custom)
            }
            _ => Err(de::Error::invalid_type(de::Unexpected::Map, &self)),
        }
    }
}

impl<'de> Deserialize<'de> for WholeNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WholeNumberVisitor)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = deserializer.deserialize_any(DecimalTextVisitor)?;
        Money::parse_any_currency(&text).map_err(de::Error::custom)
    }
}

/// Which decimals the amounts in one place may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountRule {
    /// At most the currency's decimals ([`Money::fits_currency`]): a miniapp payment,
    /// its items and refunds, an order activity with a currency.
    Currency(Currency),
    /// At most 2 decimals ([`Money::fits_generic`]): where no currency applies.
    Generic,
    /// Both: at most the currency's decimals and never more than 2 (the platform surface).
    CurrencyAndGeneric(Currency),
}

impl AmountRule {
    /// The rule for amounts in `currency`, or the generic one without a currency.
    pub fn for_currency(currency: Option<Currency>) -> AmountRule {
        currency.map_or(AmountRule::Generic, AmountRule::Currency)
    }

    /// `amount`, when it keeps to this rule.
    pub fn check(self, amount: Money) -> Result<Money, MoneyError> {
        match self {
            AmountRule::Currency(currency) => amount.fits_currency(currency),
            AmountRule::Generic => amount.fits_generic(),
            AmountRule::CurrencyAndGeneric(currency) => {
                amount.fits_currency(currency)?.fits_generic()
            }
        }
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

/// An ISO 4217 alpha-3 currency code in upper case (`USD`, `SAR`), with its minor unit.
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
        if iso4217::minor_units(code).is_none() {
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

    /// The ISO 4217 minor unit: how many digits an amount in this currency has after the
    /// decimal point (`JPY` 0, `USD` 2, `KWD` 3); `None` where ISO 4217 gives none
    /// (precious metals, bond-market units, `XDR`, `XTS`...).
    pub fn minor_units(self) -> Option<u32> {
        iso4217::minor_units(self.as_str()).flatten().map(u32::from)
    }

    /// How many digits after the decimal point amounts in this currency have: its
    /// [`Currency::minor_units`], or the generic 2 where ISO 4217 gives none.
    pub fn decimals(self) -> u32 {
        self.minor_units().unwrap_or(GENERIC_DECIMALS)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Result<Money, serde_json::Error> {
        serde_json::from_str(text)
    }

    fn currency(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn accepts_numbers_floats_and_strings() {
        assert_eq!(json("12").unwrap().to_string(), "12.00");
        assert_eq!(json("12.5").unwrap().to_string(), "12.50");
        assert_eq!(json("\"0.01\"").unwrap().to_string(), "0.01");
        assert_eq!(json("1e2").unwrap().to_string(), "100.00");
        assert_eq!(json("\"1.25E1\"").unwrap().to_string(), "12.50");
        assert_eq!(json("1250e-2").unwrap().to_string(), "12.50");
    }

    #[test]
    fn keeps_the_documented_maximum_exactly() {
        let max = json("999999999999999999.99").unwrap();
        assert_eq!(max.to_string(), "999999999999999999.99");
        let max = json("\"999999999999999999.99\"").unwrap();
        assert_eq!(max.to_string(), "999999999999999999.99");
        assert_eq!(
            Money::parse("999999999999999999.99").unwrap().to_string(),
            "999999999999999999.99"
        );
    }

    #[test]
    fn rejects_one_past_each_edge() {
        assert!(json("10.00001").is_err());
        assert!(json("\"10.00001\"").is_err());
        assert!(json("1999999999999999999.99").is_err());
        assert!(json("\"1234567890123456789012\"").is_err());
        assert!(json("-1").is_err());
        assert!(json("\"abc\"").is_err());
        assert!(json("true").is_err());
        assert!(serde_json::from_str::<PositiveMoney>("0").is_err());
        assert_eq!(
            Money::parse("10.001"),
            Err(MoneyError::TooManyDecimals {
                max: 2,
                currency: None
            })
        );
        assert_eq!(
            Money::parse("1999999999999999999"),
            Err(MoneyError::TooManyDigits {
                max_integer_digits: 18
            })
        );
    }

    #[test]
    fn exponents_are_read_exactly_and_never_rounded() {
        // The same digits with and without `e0` get the same answer.
        let long = "12.3400000000000000000000000001";
        assert_eq!(Money::parse(long), Money::parse(&format!("{long}e0")));
        assert!(Money::parse(&format!("{long}e0")).is_err());
        assert!(json(&format!("{long}e0")).is_err());
        assert!(json(&format!("\"{long}e0\"")).is_err());
        // Trailing zeros are exact, whatever their number.
        let zeros = format!("12.34{}", "0".repeat(40));
        assert_eq!(Money::parse(&zeros).unwrap().to_string(), "12.34");
        assert_eq!(
            Money::parse(&format!("{zeros}e0")).unwrap().to_string(),
            "12.34"
        );
        assert_eq!(Money::parse("0.1234e2").unwrap().to_string(), "12.34");
        assert_eq!(Money::parse("1234E-2").unwrap().to_string(), "12.34");
        assert_eq!(Money::parse("1.2345e1"), Money::parse("12.345"));
        assert!(Money::parse("1.2345e1").is_err());
        // Far exponents are refused for the right reason, quickly.
        assert!(matches!(
            Money::parse("1e999999999999999999999999999999999"),
            Err(MoneyError::TooManyDigits { .. })
        ));
        assert!(matches!(
            Money::parse("1e-999999999999999999999999999999999"),
            Err(MoneyError::TooManyDecimals { .. })
        ));
        assert_eq!(Money::parse("0e99999999999999").unwrap(), Money::ZERO);
        assert_eq!(Money::parse("-0").unwrap(), Money::ZERO);
        assert_eq!(Money::parse("-1e-9"), Err(MoneyError::Negative));
        for bad in [
            "", "e1", "1e", "1e+", ".", "1.2.3", "1_000", "0x10", "1e1.5", "--1", " ",
        ] {
            assert_eq!(Money::parse(bad), Err(MoneyError::NotADecimal), "{bad:?}");
        }
        assert_eq!(Money::parse(".5").unwrap().to_string(), "0.50");
        assert_eq!(Money::parse("5.").unwrap().to_string(), "5.00");
        assert_eq!(Money::parse("+5e-1").unwrap().to_string(), "0.50");
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
        assert!(Currency::parse("XXX").is_err());
    }

    #[test]
    fn minor_units_and_decimals() {
        assert_eq!(currency("JPY").minor_units(), Some(0));
        assert_eq!(currency("KRW").minor_units(), Some(0));
        assert_eq!(currency("USD").minor_units(), Some(2));
        assert_eq!(currency("SAR").minor_units(), Some(2));
        assert_eq!(currency("KWD").minor_units(), Some(3));
        assert_eq!(currency("CLF").minor_units(), Some(4));
        assert_eq!(currency("XAU").minor_units(), None);
        assert_eq!(currency("XAU").decimals(), 2);
        assert_eq!(currency("JPY").decimals(), 0);
    }

    #[test]
    fn jpy_amounts_are_whole() {
        let jpy = currency("JPY");
        assert_eq!(
            Money::parse_in("1000", jpy)
                .unwrap()
                .to_currency_string(jpy),
            "1000"
        );
        assert_eq!(
            Money::parse_in("1000.00", jpy)
                .unwrap()
                .to_currency_string(jpy),
            "1000"
        );
        assert_eq!(
            Money::parse_in("1e3", jpy).unwrap().to_currency_string(jpy),
            "1000"
        );
        let refused = Money::parse_in("10.50", jpy).unwrap_err();
        assert_eq!(
            refused,
            MoneyError::TooManyDecimals {
                max: 0,
                currency: Some(jpy)
            }
        );
        assert_eq!(
            refused.to_string(),
            "must be a whole number in JPY (it has no minor unit)"
        );
        assert!(Money::parse("10.50").unwrap().fits_currency(jpy).is_err());
        // 18 digits, none after the point.
        assert!(Money::parse_in("999999999999999999", jpy).is_ok());
        assert!(Money::parse_in("1999999999999999999", jpy).is_err());
    }

    #[test]
    fn kwd_amounts_have_three_decimals() {
        let kwd = currency("KWD");
        let amount = Money::parse_in("10.505", kwd).unwrap();
        assert_eq!(amount.to_currency_string(kwd), "10.505");
        assert_eq!(amount.decimals(), 3);
        assert_eq!(
            Money::parse_in("10.5", kwd)
                .unwrap()
                .to_currency_string(kwd),
            "10.500"
        );
        assert_eq!(
            Money::parse_in("10.500", kwd)
                .unwrap()
                .to_currency_string(kwd),
            "10.500"
        );
        assert_eq!(json("\"10.505\"").unwrap().fits_currency(kwd), Ok(amount));
        assert_eq!(
            Money::parse_in("10.5051", kwd).unwrap_err().to_string(),
            "must have at most 3 digits after the decimal point in KWD"
        );
        // Not in the generic rule (the platform surface).
        assert!(amount.fits_generic().is_err());
        assert!(Money::parse("10.505").is_err());
        // 20 digits in all: 17 before the point.
        assert!(Money::parse_in("99999999999999999.999", kwd).is_ok());
        assert_eq!(
            Money::parse_in("999999999999999999.9", kwd),
            Err(MoneyError::TooManyDigits {
                max_integer_digits: 17
            })
        );
    }

    #[test]
    fn usd_amounts_have_two_decimals() {
        let usd = currency("USD");
        let amount = Money::parse_in("12.5", usd).unwrap();
        assert_eq!(amount.to_currency_string(usd), "12.50");
        assert_eq!(amount.to_string(), "12.50");
        assert!(Money::parse_in("12.505", usd).is_err());
        assert!(Money::parse_in("999999999999999999.99", usd).is_ok());
        let sar = currency("SAR");
        assert_eq!(
            Money::parse_in("12.5", sar)
                .unwrap()
                .to_currency_string(sar),
            "12.50"
        );
    }

    #[test]
    fn whole_numbers_however_written() {
        let whole = |text: &str| serde_json::from_str::<WholeNumber>(text).map(|n| n.0);
        assert_eq!(whole("5").unwrap(), 5);
        assert_eq!(whole("5.0").unwrap(), 5);
        assert_eq!(whole("5e0").unwrap(), 5);
        assert_eq!(whole("500e-2").unwrap(), 5);
        assert_eq!(whole("1e3").unwrap(), 1000);
        assert_eq!(whole("-3").unwrap(), -3);
        assert_eq!(whole("0.0").unwrap(), 0);
        assert!(whole("5.5").is_err());
        assert!(whole("\"5\"").is_err());
        assert!(whole("true").is_err());
        assert!(whole("1e40").is_err());
        assert!(whole("1e99999999999999999999").is_err());
    }

    #[test]
    fn writing_never_rounds() {
        let four = Money::parse_any_currency("1.2345").unwrap();
        assert_eq!(four.to_string(), "1.2345");
        assert_eq!(four.to_currency_string(currency("JPY")), "1.2345");
        assert_eq!(serde_json::to_string(&four).unwrap(), "\"1.2345\"");
        assert_eq!(
            Money::from_decimal(Decimal::new(12345, 3))
                .unwrap()
                .to_string(),
            "12.345"
        );
        assert!(Money::from_decimal(Decimal::new(123456, 5)).is_err());
    }
}
