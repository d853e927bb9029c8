//! Property tests of exact money: any decimal written as a mantissa and an exponent
//! parses to exactly the value of its plain form, or is refused for the same reason;
//! nothing is ever rounded; an accepted amount is written back with exactly its
//! currency's decimals and reads back the same.

use hostpay_domain::money::{Currency, Money, MoneyError};
use proptest::prelude::*;

/// A decimal as written: sign, integer digits, fraction digits (either may carry extra
/// zeros).
#[derive(Debug, Clone)]
struct Written {
    negative: bool,
    integer: String,
    fraction: String,
}

impl Written {
    fn plain(&self) -> String {
        let sign = if self.negative { "-" } else { "" };
        if self.fraction.is_empty() {
            format!("{sign}{}", self.integer)
        } else {
            format!("{sign}{}.{}", self.integer, self.fraction)
        }
    }

    /// The same value as `mantissa e exponent`, the point moved `exponent` places left,
    /// with `lead` extra leading and `trail` extra trailing zeros on the mantissa.
    fn with_exponent(&self, exponent: i32, lead: usize, trail: usize, upper: bool) -> String {
        let digits = format!(
            "{}{}{}{}",
            "0".repeat(lead),
            self.integer,
            self.fraction,
            "0".repeat(trail)
        );
        // Where the point sits in `digits`, from the left, once moved.
        let mut point = (lead + self.integer.len()) as i64 - i64::from(exponent);
        let mut digits = digits;
        if point < 0 {
            digits = format!("{}{digits}", "0".repeat((-point) as usize));
            point = 0;
        }
        if point as usize > digits.len() {
            digits.push_str(&"0".repeat(point as usize - digits.len()));
        }
        let (before, after) = digits.split_at(point as usize);
        let before = if before.is_empty() { "0" } else { before };
        let mantissa = if after.is_empty() {
            before.to_owned()
        } else {
            format!("{before}.{after}")
        };
        let sign = if self.negative { "-" } else { "" };
        let e = if upper { 'E' } else { 'e' };
        let exponent_sign = if exponent >= 0 && upper { "+" } else { "" };
        format!("{sign}{mantissa}{e}{exponent_sign}{exponent}")
    }

    /// The value's significant form, computed here without rust_decimal: no leading
    /// zeros before the point, no trailing zeros after it.
    fn normalized(&self) -> (String, String) {
        let integer = self.integer.trim_start_matches('0');
        let fraction = self.fraction.trim_end_matches('0');
        (integer.to_owned(), fraction.to_owned())
    }

    fn is_zero(&self) -> bool {
        self.integer
            .bytes()
            .chain(self.fraction.bytes())
            .all(|b| b == b'0')
    }

    /// What the rules say of this value with `decimals` after the point and
    /// `integer_digits` before it, judged on the text alone.
    fn expected(&self, decimals: u32, integer_digits: u32) -> Result<String, &'static str> {
        if self.is_zero() {
            return Ok("0".to_owned());
        }
        if self.negative {
            return Err("negative");
        }
        let (integer, fraction) = self.normalized();
        if fraction.len() > decimals as usize {
            return Err("decimals");
        }
        if integer.len() > integer_digits as usize {
            return Err("digits");
        }
        let integer = if integer.is_empty() { "0" } else { &integer };
        Ok(if fraction.is_empty() {
            integer.to_owned()
        } else {
            format!("{integer}.{fraction}")
        })
    }
}

fn reason(result: &Result<Money, MoneyError>) -> Result<String, &'static str> {
    match result {
        Ok(money) => Ok(money.as_decimal().normalize().to_string()),
        Err(MoneyError::Negative) => Err("negative"),
        Err(MoneyError::TooManyDecimals { .. }) => Err("decimals"),
        Err(MoneyError::TooManyDigits { .. }) => Err("digits"),
        Err(MoneyError::NotADecimal) => Err("not a decimal"),
        Err(MoneyError::NotPositive) => Err("not positive"),
    }
}

fn written() -> impl Strategy<Value = Written> {
    (
        prop::bool::weighted(0.1),
        "[0-9]{0,22}",
        "[0-9]{0,8}",
        0usize..3,
        0usize..3,
    )
        .prop_filter_map(
            "at least one digit",
            |(negative, integer, fraction, lead, trail)| {
                let integer = format!("{}{integer}", "0".repeat(lead));
                let fraction = format!("{fraction}{}", "0".repeat(trail));
                (!integer.is_empty() || !fraction.is_empty()).then_some(Written {
                    negative,
                    integer: if integer.is_empty() {
                        "0".to_owned()
                    } else {
                        integer
                    },
                    fraction,
                })
            },
        )
}

fn currencies() -> Vec<Currency> {
    [
        "JPY", "KRW", "USD", "SAR", "KWD", "BHD", "TND", "CLF", "XAU",
    ]
    .into_iter()
    .map(|code| Currency::parse(code).unwrap())
    .collect()
}

/// A JSON number for a plain text (JSON has no `+`, no leading zeros, no bare point).
fn json_number(text: &str) -> Option<String> {
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], &unsigned[at..]),
        None => (unsigned, ""),
    };
    let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let integer = integer.trim_start_matches('0');
    let integer = if integer.is_empty() { "0" } else { integer };
    let exponent = exponent.replace('+', "");
    Some(if fraction.is_empty() {
        format!("{sign}{integer}{exponent}")
    } else {
        format!("{sign}{integer}.{fraction}{exponent}")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Plain and exponent forms get the same answer, value or reason, in every context.
    #[test]
    fn exponent_forms_parse_like_their_plain_form(
        value in written(),
        exponent in -40i32..40,
        lead in 0usize..4,
        trail in 0usize..4,
        upper in any::<bool>(),
    ) {
        let plain = value.plain();
        let scientific = value.with_exponent(exponent, lead, trail, upper);
        prop_assert_eq!(Money::parse(&plain), Money::parse(&scientific), "{} vs {}", plain, scientific);
        prop_assert_eq!(
            Money::parse_any_currency(&plain),
            Money::parse_any_currency(&scientific),
            "{} vs {}", plain, scientific
        );
        for currency in currencies() {
            prop_assert_eq!(
                Money::parse_in(&plain, currency),
                Money::parse_in(&scientific, currency),
                "{} vs {} in {}", plain, scientific, currency
            );
        }
        // Through serde too: as JSON strings and as JSON numbers.
        let from_string = |text: &str| {
            serde_json::from_value::<Money>(serde_json::Value::String(text.to_owned()))
                .map_err(|error| error.to_string())
        };
        prop_assert_eq!(from_string(&plain), from_string(&scientific));
        if let (Some(plain_json), Some(scientific_json)) = (json_number(&plain), json_number(&scientific)) {
            let a = serde_json::from_str::<Money>(&plain_json).map_err(|error| error.to_string());
            let b = serde_json::from_str::<Money>(&scientific_json).map_err(|error| error.to_string());
            prop_assert_eq!(a.clone(), b, "{} vs {}", plain_json, scientific_json);
            prop_assert_eq!(a.ok(), Money::parse_any_currency(&plain).ok());
        }
    }

    /// Nothing is ever rounded: an accepted amount is exactly the written value, and a
    /// refusal names the rule the written digits break (judged here on the text alone).
    #[test]
    fn accepted_values_are_exact_and_refusals_give_the_reason(
        value in written(),
        exponent in -40i32..40,
    ) {
        let scientific = value.with_exponent(exponent, 0, 0, false);
        for text in [value.plain(), scientific] {
            prop_assert_eq!(reason(&Money::parse(&text)), value.expected(2, 18), "generic {}", text);
            prop_assert_eq!(
                reason(&Money::parse_any_currency(&text)),
                value.expected(4, 18),
                "any currency {}", text
            );
            for currency in currencies() {
                let decimals = currency.decimals();
                prop_assert_eq!(
                    reason(&Money::parse_in(&text, currency)),
                    value.expected(decimals, 18.min(20 - decimals)),
                    "{} in {}", text, currency
                );
            }
        }
    }

    /// An amount in a currency is written with exactly its decimals and reads back the
    /// same.
    #[test]
    fn amounts_are_written_with_their_currency_decimals(value in written()) {
        for currency in currencies() {
            let Ok(money) = Money::parse_in(&value.plain(), currency) else {
                continue;
            };
            let text = money.to_currency_string(currency);
            let decimals = text.split_once('.').map_or(0, |(_, after)| after.len());
            prop_assert_eq!(decimals as u32, currency.decimals(), "{} in {}", text, currency);
            prop_assert_eq!(Money::parse_in(&text, currency), Ok(money));
            prop_assert_eq!(money.fits_currency(currency), Ok(money));
            let json = serde_json::to_string(&money).unwrap();
            prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), money);
        }
    }
}
