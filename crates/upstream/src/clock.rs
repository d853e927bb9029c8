//! The system clock.

use chrono::{DateTime, SubsecRound, Utc};
use hostpay_domain::ports::Clock;

/// The system clock (UTC, truncated to microseconds), used when no clock is given.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}
