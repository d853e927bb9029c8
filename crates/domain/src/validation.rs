//! Bounded strings, coordinates and the error that names what was wrong with a field.

use std::fmt;

use rust_decimal::Decimal;
use serde::de;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::decimal_text::DecimalTextVisitor;

/// What is wrong with one input value; the edge adds the field's path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    /// A sentence for people, such as "must be at most 250 characters".
    pub message: String,
}

impl FieldError {
    /// A new error with this message.
    pub fn new(message: impl Into<String>) -> FieldError {
        FieldError {
            message: message.into(),
        }
    }
}

/// An invalid request: which field, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidField {
    /// The field's path, such as `items[0].price`.
    pub field: String,
    /// Why it was refused.
    pub message: String,
}

impl InvalidField {
    /// A new invalid-field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> InvalidField {
        InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A string of at most `MAX` characters (Unicode scalar values), possibly empty.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct BoundedString<const MAX: usize>(String);

/// A string of 1 to `MAX` characters that is not only white space (identifiers).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NonEmptyString<const MAX: usize>(String);

impl<const MAX: usize> BoundedString<MAX> {
    /// Checks the length.
    pub fn parse(text: impl Into<String>) -> Result<Self, FieldError> {
        let text = text.into();
        check_length(&text, MAX)?;
        Ok(BoundedString(text))
    }
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The text, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<const MAX: usize> NonEmptyString<MAX> {
    /// Checks the length and that there is something other than white space.
    pub fn parse(text: impl Into<String>) -> Result<Self, FieldError> {
        let text = text.into();
        if text.trim().is_empty() {
            return Err(FieldError::new("must not be empty"));
        }
        check_length(&text, MAX)?;
        Ok(NonEmptyString(text))
    }
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The text, owned.
    pub fn into_inner(self) -> String {
        self.0
    }
}

fn check_length(text: &str, max: usize) -> Result<(), FieldError> {
    let length = text.chars().count();
    if length > max {
        return Err(FieldError::new(format!(
            "must be at most {max} characters (got {length})"
        )));
    }
    Ok(())
}

macro_rules! string_impls {
    ($name:ident) => {
        impl<const MAX: usize> fmt::Display for $name<MAX> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl<const MAX: usize> fmt::Debug for $name<MAX> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }
        impl<const MAX: usize> Serialize for $name<MAX> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
        impl<'de, const MAX: usize> Deserialize<'de> for $name<MAX> {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                $name::parse(text).map_err(de::Error::custom)
            }
        }
        impl<const MAX: usize> AsRef<str> for $name<MAX> {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}
string_impls!(BoundedString);
string_impls!(NonEmptyString);

macro_rules! coordinate {
    ($(#[$doc:meta])* $name:ident, $limit:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        pub struct $name(Decimal);

        impl $name {
            /// Parses the decimal text, checking the range and at most 15 decimals.
            pub fn parse(text: &str) -> Result<Self, FieldError> {
                let value = Decimal::from_str_exact(text.trim())
                    .map_err(|_| FieldError::new("must be a decimal number"))?;
                let limit = Decimal::from($limit);
                if value > limit || value < -limit {
                    return Err(FieldError::new(format!(
                        "must be between -{} and {}", $limit, $limit
                    )));
                }
                if value.normalize().scale() > 15 {
                    return Err(FieldError::new("must have at most 15 decimals"));
                }
                Ok($name(value.normalize()))
            }
            /// The exact value.
            pub fn as_decimal(self) -> Decimal {
                self.0
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0.to_string())
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = deserializer.deserialize_any(DecimalTextVisitor)?;
                $name::parse(&text).map_err(de::Error::custom)
            }
        }
    };
}

coordinate!(
    /// A latitude in degrees: -90..=90, at most 15 decimals.
    Latitude,
    90
);
coordinate!(
    /// A longitude in degrees: -180..=180, at most 15 decimals.
    Longitude,
    180
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_strings_count_characters() {
        assert!(BoundedString::<3>::parse("äöü").is_ok());
        assert!(BoundedString::<3>::parse("abcd").is_err());
        assert!(BoundedString::<3>::parse("").is_ok());
        assert!(NonEmptyString::<3>::parse(" ").is_err());
        let long = "x".repeat(251);
        assert!(serde_json::from_value::<BoundedString<250>>(serde_json::json!(long)).is_err());
    }

    #[test]
    fn coordinates_are_exact() {
        assert!(serde_json::from_str::<Latitude>("90").is_ok());
        assert!(serde_json::from_str::<Latitude>("90.000000000000001").is_err());
        assert!(serde_json::from_str::<Latitude>("-90.5").is_err());
        assert!(serde_json::from_str::<Longitude>("179.123456789012345").is_ok());
        assert!(serde_json::from_str::<Longitude>("179.1234567890123456").is_err());
        assert!(serde_json::from_str::<Longitude>("\"-180\"").is_ok());
    }
}
