//! The two column types whose storage differs per backend, declared once for the shared
//! schema: exact money ([`Amount`]) and UTC instants with microsecond precision
//! ([`Instant`]).
//!
//! | type      | PostgreSQL       | SQLite                                                     |
//! |-----------|------------------|------------------------------------------------------------|
//! | `Amount`  | `NUMERIC(22,4)`  | `TEXT` (`"999999999999999999.99"`, `"10.505"`, never REAL) |
//! | `Instant` | `TIMESTAMPTZ`    | `TEXT`, fixed width `2026-11-21T18:01:55.123456Z`, so text order is time order |
//!
//! Money keeps up to 4 decimals (ISO 4217 minor units: KWD 3, CLF 4) and 18 digits
//! before the point; SQLite's text has at least two decimals and never loses one.

use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use diesel::deserialize::{self, FromSql};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Numeric, Text, Timestamptz};
use diesel::sqlite::{Sqlite, SqliteValue};
use diesel::{FromSqlRow, QueryId, SqlType};
use hostpay_domain::money::Money;
use rust_decimal::Decimal;

/// Exact money: `NUMERIC(22,4)` on PostgreSQL, `TEXT` on SQLite.
#[derive(SqlType, QueryId, Clone, Copy, Debug, Default)]
#[diesel(postgres_type(oid = 1700, array_oid = 1231))]
#[diesel(sqlite_type(name = "Text"))]
pub struct Amount;

/// A UTC instant (microseconds): `TIMESTAMPTZ` on PostgreSQL, fixed-width `TEXT` on SQLite.
#[derive(SqlType, QueryId, Clone, Copy, Debug, Default)]
#[diesel(postgres_type(oid = 1184, array_oid = 1185))]
#[diesel(sqlite_type(name = "Text"))]
pub struct Instant;

/// A money value as stored.
#[derive(AsExpression, FromSqlRow, Debug, Clone, Copy, PartialEq, Eq)]
#[diesel(sql_type = Amount)]
pub struct DbAmount(pub Decimal);

impl DbAmount {
    /// The stored form of `money`.
    pub fn of(money: Money) -> DbAmount {
        DbAmount(money.as_decimal())
    }
    /// Back to money; a stored value breaking the money rules is an error.
    pub fn money(self) -> Result<Money, String> {
        Money::from_decimal(self.0).map_err(|error| format!("stored amount {}: {error}", self.0))
    }
}

/// A UTC instant as stored, truncated to microseconds.
#[derive(AsExpression, FromSqlRow, Debug, Clone, Copy, PartialEq, Eq)]
#[diesel(sql_type = Instant)]
pub struct DbInstant(pub DateTime<Utc>);

/// The fixed-width text form on SQLite (always six decimals, always `Z`).
const SQLITE_INSTANT_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

impl DbInstant {
    /// `at`, truncated to microseconds (what both backends keep).
    pub fn of(at: DateTime<Utc>) -> DbInstant {
        let micros = at.timestamp_micros();
        DbInstant(DateTime::from_timestamp_micros(micros).unwrap_or(at))
    }
}

impl ToSql<Amount, Pg> for DbAmount {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <Decimal as ToSql<Numeric, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<Amount, Pg> for DbAmount {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        <Decimal as FromSql<Numeric, Pg>>::from_sql(bytes).map(DbAmount)
    }
}

impl ToSql<Amount, Sqlite> for DbAmount {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(sqlite_text(self.0));
        Ok(IsNull::No)
    }
}

/// The text SQLite keeps: at least two decimals (`"12.50"`), every decimal the value has
/// (`"10.505"`); never rounded.
fn sqlite_text(value: Decimal) -> String {
    let mut value = value.normalize();
    if value.scale() < 2 {
        // Only adds zeros.
        value.rescale(2);
    }
    value.to_string()
}

impl FromSql<Amount, Sqlite> for DbAmount {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        Decimal::from_str_exact(&text)
            .map(DbAmount)
            .map_err(|error| format!("stored amount {text:?}: {error}").into())
    }
}

impl ToSql<Instant, Pg> for DbInstant {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <DateTime<Utc> as ToSql<Timestamptz, Pg>>::to_sql(&self.0, out)
    }
}

impl FromSql<Instant, Pg> for DbInstant {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        <DateTime<Utc> as FromSql<Timestamptz, Pg>>::from_sql(bytes).map(DbInstant)
    }
}

impl ToSql<Instant, Sqlite> for DbInstant {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(sqlite_instant_text(self.0));
        Ok(IsNull::No)
    }
}

/// `at` in [`SQLITE_INSTANT_FORMAT`], truncated to microseconds, written directly (chrono's
/// `format` interprets its format string on every call; instants are in every row).
fn sqlite_instant_text(at: DateTime<Utc>) -> String {
    use std::fmt::Write as _;
    let at = DbInstant::of(at).0;
    let (date, time) = (at.date_naive(), at.time());
    let mut text = String::with_capacity(27);
    let written = write!(
        text,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        date.year(),
        date.month(),
        date.day(),
        time.hour(),
        time.minute(),
        time.second(),
        time.nanosecond() / 1_000,
    );
    match written {
        Ok(()) if text.len() == 27 => text,
        // Years outside 0..=9999 (never stored): chrono's own rendering.
        Ok(()) | Err(_) => at.format(SQLITE_INSTANT_FORMAT).to_string(),
    }
}

/// An instant stored in [`SQLITE_INSTANT_FORMAT`] (`2026-12-01T19:00:00.123456Z`), read by
/// position; anything else through chrono's parser of that format.
fn parse_sqlite_instant(text: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    fn fixed(text: &str) -> Option<DateTime<Utc>> {
        let bytes = text.as_bytes();
        let number = |from: usize, to: usize| -> Option<u32> {
            let digits = bytes.get(from..to)?;
            digits.iter().try_fold(0_u32, |value, digit| {
                digit
                    .is_ascii_digit()
                    .then(|| value * 10 + u32::from(digit - b'0'))
            })
        };
        let separators = [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'.'),
            (26, b'Z'),
        ];
        if bytes.len() != 27 || separators.iter().any(|(at, byte)| bytes[*at] != *byte) {
            return None;
        }
        let date = chrono::NaiveDate::from_ymd_opt(
            i32::try_from(number(0, 4)?).ok()?,
            number(5, 7)?,
            number(8, 10)?,
        )?;
        let time = chrono::NaiveTime::from_hms_micro_opt(
            number(11, 13)?,
            number(14, 16)?,
            number(17, 19)?,
            number(20, 26)?,
        )?;
        Some(NaiveDateTime::new(date, time).and_utc())
    }
    match fixed(text) {
        Some(at) => Ok(at),
        None => {
            NaiveDateTime::parse_from_str(text, SQLITE_INSTANT_FORMAT).map(|naive| naive.and_utc())
        }
    }
}

impl FromSql<Instant, Sqlite> for DbInstant {
    fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        parse_sqlite_instant(&text)
            .map(DbInstant)
            .map_err(|error| format!("stored instant {text:?}: {error}").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_instants_read_and_write_as_chrono_does() {
        for micros in [
            0_i64,
            1,
            999_999,
            1_764_615_600_123_456,
            253_402_300_799_999_999,
        ] {
            let at = DateTime::from_timestamp_micros(micros).unwrap();
            let text = sqlite_instant_text(at);
            assert_eq!(text, at.format(SQLITE_INSTANT_FORMAT).to_string());
            assert_eq!(parse_sqlite_instant(&text).unwrap(), at);
        }
        let nanos = DateTime::from_timestamp(1_764_615_600, 123_456_789).unwrap();
        assert_eq!(sqlite_instant_text(nanos), "2025-12-01T19:00:00.123456Z");
        // What chrono's parser of the format accepts is still read (the fallback).
        assert!(parse_sqlite_instant("2026-12-01T19:00:00Z").is_ok());
        for bad in [
            "",
            "2026-13-01T19:00:00.000000Z",
            "2026-12-01 19:00:00.000000Z",
            "2026-12-01T19:00:00.00000xZ",
        ] {
            assert!(parse_sqlite_instant(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sqlite_text_keeps_every_decimal() {
        let text = |value: &str| sqlite_text(Decimal::from_str_exact(value).unwrap());
        assert_eq!(text("12.5"), "12.50");
        assert_eq!(text("1000"), "1000.00");
        assert_eq!(text("10.500"), "10.50");
        assert_eq!(text("10.505"), "10.505");
        assert_eq!(text("0.0001"), "0.0001");
        assert_eq!(text("999999999999999999.99"), "999999999999999999.99");
    }
}
