//! Cursor pagination, newest first and stable under inserts: the cursor is the
//! `(created_at, id)` of the last item seen, opaque to callers.

use base64::Engine;
use chrono::{DateTime, Utc};

use crate::validation::FieldError;

/// Default page size.
pub const DEFAULT_LIMIT: u32 = 20;
/// Largest page size.
pub const MAX_LIMIT: u32 = 100;

/// The earliest time a cursor may carry: 0001-01-01T00:00:00Z, in microseconds.
const MIN_CURSOR_MICROS: i64 = -62_135_596_800_000_000;
/// The latest time a cursor may carry: 9999-12-31T23:59:59.999999Z, in microseconds.
const MAX_CURSOR_MICROS: i64 = 253_402_300_799_999_999;
/// The longest id a cursor may carry.
const MAX_CURSOR_ID: usize = 64;

/// Where a page starts: strictly after (older than) this position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The last item's creation time.
    pub created_at: DateTime<Utc>,
    /// The last item's id (breaks ties).
    pub id: String,
}

impl Cursor {
    /// The opaque text.
    pub fn encode(&self) -> String {
        let raw = format!("{}|{}", self.created_at.timestamp_micros(), self.id);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    /// Reads an opaque text back (at most 128 characters).
    pub fn decode(text: &str) -> Result<Cursor, FieldError> {
        let invalid = || FieldError::new("is not a cursor this API returned");
        if text.len() > 128 {
            return Err(invalid());
        }
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| invalid())?;
        let raw = String::from_utf8(raw).map_err(|_| invalid())?;
        let (micros, id) = raw.split_once('|').ok_or_else(invalid)?;
        let micros: i64 = micros.parse().map_err(|_| invalid())?;
        // Only times every store can compare (years 1 to 9999), and only ids this API
        // issues (prefix, letters, digits, `_` and `-`): nothing else reaches a query.
        if !(MIN_CURSOR_MICROS..=MAX_CURSOR_MICROS).contains(&micros) {
            return Err(invalid());
        }
        let created_at = DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?;
        let id_ok = (1..=MAX_CURSOR_ID).contains(&id.len())
            && id
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
        if !id_ok {
            return Err(invalid());
        }
        Ok(Cursor {
            created_at,
            id: id.to_owned(),
        })
    }
}

/// A page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// 1..=100.
    pub limit: u32,
    /// Start after this position; `None` for the newest.
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// Checks `limit` (default 20) and decodes `cursor`.
    pub fn parse(
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<PageRequest, (String, FieldError)> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err((
                "limit".to_owned(),
                FieldError::new(format!("must be between 1 and {MAX_LIMIT}")),
            ));
        }
        let after = cursor
            .map(Cursor::decode)
            .transpose()
            .map_err(|error| ("cursor".to_owned(), error))?;
        Ok(PageRequest { limit, after })
    }

    /// The first page of `limit` items.
    pub fn first(limit: u32) -> PageRequest {
        PageRequest { limit, after: None }
    }
}

/// A page of items, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `None` on the last.
    pub next_cursor: Option<String>,
    /// Whether more items follow.
    pub has_more: bool,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` items fetched newest first: the extra item
    /// only tells that more follow.
    pub fn from_overfetch(
        mut items: Vec<T>,
        limit: u32,
        position: impl Fn(&T) -> Cursor,
    ) -> Page<T> {
        let limit = limit as usize;
        let has_more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = if has_more {
            items.last().map(|last| position(last).encode())
        } else {
            None
        };
        Page {
            items,
            next_cursor,
            has_more,
        }
    }

    /// The same page with its items mapped.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
            has_more: self.has_more,
        }
    }
}
