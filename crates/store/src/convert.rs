//! Small helpers to turn stored values back into domain values: a value that does not read
//! back is reported as `Unavailable` (a corrupt row), never a panic.

use hostpay_domain::validation::{BoundedString, FieldError, NonEmptyString};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{corrupt, DbResult};

/// A JSON document for a `TEXT` column.
pub(crate) fn to_json<T: Serialize>(value: &T) -> DbResult<String> {
    serde_json::to_string(value).map_err(|error| corrupt(format!("JSON: {error}")))
}

/// A JSON document read back.
pub(crate) fn from_json<T: DeserializeOwned>(column: &str, text: &str) -> DbResult<T> {
    serde_json::from_str(text).map_err(|error| corrupt(format!("{column}: {error}")))
}

/// A stored non-empty string read back.
pub(crate) fn non_empty<const MAX: usize>(
    column: &str,
    text: String,
) -> DbResult<NonEmptyString<MAX>> {
    NonEmptyString::parse(text).map_err(|error: FieldError| corrupt(format!("{column}: {error}")))
}

/// A stored optional bounded string read back.
pub(crate) fn bounded<const MAX: usize>(
    column: &str,
    text: Option<String>,
) -> DbResult<Option<BoundedString<MAX>>> {
    text.map(|text| {
        BoundedString::parse(text)
            .map_err(|error: FieldError| corrupt(format!("{column}: {error}")))
    })
    .transpose()
}

/// A stored enum name read back with its `parse`.
pub(crate) fn parsed<T>(
    column: &str,
    text: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> DbResult<T> {
    parse(text).ok_or_else(|| corrupt(format!("{column}: {text:?}")))
}
