//! A clock that stands still until told to move.

use std::sync::Mutex;

use chrono::{DateTime, Duration, TimeZone, Utc};
use hostpay_domain::ports::Clock;

/// A settable, advanceable clock with microsecond precision (what every database keeps).
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<DateTime<Utc>>,
}

/// Where a [`FixedClock::default`] starts: 2026-01-01T00:00:00Z.
pub fn default_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

impl FixedClock {
    /// A clock showing `at` (truncated to microseconds).
    pub fn new(at: DateTime<Utc>) -> FixedClock {
        FixedClock {
            now: Mutex::new(micros(at)),
        }
    }

    /// Moves the clock to `at` (truncated to microseconds), forwards or backwards.
    pub fn set(&self, at: DateTime<Utc>) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now = micros(at);
    }

    /// Moves the clock forwards by `by` (backwards when negative); returns the new time.
    pub fn advance(&self, by: Duration) -> DateTime<Utc> {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now = micros(*now + by);
        *now
    }
}

impl Default for FixedClock {
    fn default() -> FixedClock {
        FixedClock::new(default_start())
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stands_still_and_moves_when_told() {
        let clock = FixedClock::default();
        assert_eq!(clock.now(), default_start());
        assert_eq!(clock.now(), clock.now());
        let later = clock.advance(Duration::seconds(90));
        assert_eq!(later, default_start() + Duration::seconds(90));
        assert_eq!(clock.now(), later);
        clock.set(default_start() + Duration::nanoseconds(1_234_567));
        assert_eq!(clock.now(), default_start() + Duration::microseconds(1_234));
    }
}
