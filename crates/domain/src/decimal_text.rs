//! Decimal text as written on the wire: what [`crate::money::Money`], whole numbers and
//! the coordinates read their exact digits with.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};

/// The key under which serde_json (with `arbitrary_precision`) hands a number's exact text.
pub(crate) const SERDE_JSON_NUMBER_TOKEN: &str = "$serde_json::private::Number";

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
