//! Instants as the API writes them: RFC 3339 in UTC with `Z`, and the fraction of a second
//! only as long as it needs to be (none, 3, 6 or 9 digits): byte for byte what chrono's own
//! `Serialize` writes (`SecondsFormat::AutoSi`), written by position into a stack buffer
//! instead of through `core::fmt` one character at a time (a list of 20 payments writes
//! about a hundred of them). Anything outside the plain case (a year before 0 or after
//! 9999, a leap second) is left to chrono.

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

/// `serialize_with` for a `DateTime<Utc>` field.
pub fn write<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buffer = [0_u8; 30];
    match format(at, &mut buffer) {
        Some(text) => serializer.serialize_str(text),
        None => at.serialize(serializer),
    }
}

/// `serialize_with` for an `Option<DateTime<Utc>>` field (`null` when absent).
pub fn write_optional<S: Serializer>(
    at: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => write(at, serializer),
        None => serializer.serialize_none(),
    }
}

/// `at` written into `buffer`, or `None` when chrono must write it.
fn format<'a>(at: &DateTime<Utc>, buffer: &'a mut [u8; 30]) -> Option<&'a str> {
    let year = u32::try_from(at.year()).ok().filter(|year| *year <= 9999)?;
    let nanos = at.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    digits(&mut buffer[0..4], year);
    buffer[4] = b'-';
    digits(&mut buffer[5..7], at.month());
    buffer[7] = b'-';
    digits(&mut buffer[8..10], at.day());
    buffer[10] = b'T';
    digits(&mut buffer[11..13], at.hour());
    buffer[13] = b':';
    digits(&mut buffer[14..16], at.minute());
    buffer[16] = b':';
    digits(&mut buffer[17..19], at.second());
    let mut end = 19;
    let (fraction, width) = if nanos == 0 {
        (0, 0)
    } else if nanos.is_multiple_of(1_000_000) {
        (nanos / 1_000_000, 3)
    } else if nanos.is_multiple_of(1_000) {
        (nanos / 1_000, 6)
    } else {
        (nanos, 9)
    };
    if width > 0 {
        buffer[end] = b'.';
        digits(&mut buffer[end + 1..end + 1 + width], fraction);
        end += 1 + width;
    }
    buffer[end] = b'Z';
    std::str::from_utf8(&buffer[..=end]).ok()
}

/// `value` as decimal digits filling `out` (leading zeros; the high digits dropped if it
/// does not fit, which the callers' ranges rule out).
fn digits(out: &mut [u8], mut value: u32) {
    for slot in out.iter_mut().rev() {
        // `value % 10` < 10: the cast cannot truncate.
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use proptest::prelude::*;

    use super::*;

    #[derive(Serialize)]
    struct Fast(#[serde(serialize_with = "write")] DateTime<Utc>);

    fn fast(at: DateTime<Utc>) -> String {
        serde_json::to_string(&Fast(at)).expect("an instant serializes")
    }

    fn chrono(at: DateTime<Utc>) -> String {
        serde_json::to_string(&at).expect("an instant serializes")
    }

    #[test]
    fn every_fraction_width_is_chronos() {
        let base = Utc
            .with_ymd_and_hms(2026, 12, 1, 22, 34, 5)
            .single()
            .expect("a valid instant");
        for nanos in [
            0,
            1,
            999,
            1_000,
            120_000,
            999_999,
            1_000_000,
            5_000_000,
            123_456_789,
            999_999_999,
        ] {
            let at = base + chrono::Duration::nanoseconds(nanos);
            assert_eq!(fast(at), chrono(at), "{nanos} ns");
        }
        assert_eq!(fast(base), "\"2026-12-01T22:34:05Z\"");
    }

    #[test]
    fn the_edges_of_the_plain_case_are_chronos() {
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|day| day.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
            .expect("a leap second")
            .and_utc();
        let far = [
            leap,
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0)
                .single()
                .expect("year 0"),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
                .single()
                .expect("year 9999"),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0)
                .single()
                .expect("year 10000"),
        ];
        for at in far {
            assert_eq!(fast(at), chrono(at), "{at:?}");
        }
    }

    #[test]
    fn an_absent_instant_is_null() {
        #[derive(Serialize)]
        struct Maybe(#[serde(serialize_with = "write_optional")] Option<DateTime<Utc>>);
        assert_eq!(
            serde_json::to_string(&Maybe(None)).ok().as_deref(),
            Some("null")
        );
        let at = Utc
            .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
            .single()
            .expect("an instant");
        assert_eq!(
            serde_json::to_string(&Maybe(Some(at))).ok().as_deref(),
            Some("\"2026-01-02T03:04:05Z\"")
        );
    }

    proptest! {
        #[test]
        fn any_instant_is_written_as_chrono_writes_it(
            seconds in -62_167_219_200_i64..253_402_300_800_i64,
            nanos in 0_u32..1_000_000_000,
            micros_only in any::<bool>(),
        ) {
            let nanos = if micros_only { nanos / 1_000 * 1_000 } else { nanos };
            let at = DateTime::from_timestamp(seconds, nanos).expect("in chrono's range");
            prop_assert_eq!(fast(at), chrono(at));
        }
    }
}
