//! Time as the driver tells it, in whole milliseconds: an [`Instant`] is a reading of the
//! driver's monotonic clock, a [`Duration`] the span between two. The engine has no clock of its
//! own (`std::time::Instant` panics on wasm32), and its timers need no finer grain than a
//! millisecond. Arithmetic saturates: a clock read out of order gives a zero span, not a panic.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A reading of the driver's monotonic clock (`performance.now()`, or a test's counter), in ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The clock's origin.
    pub const ZERO: Self = Self(0);

    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the clock's origin.
    pub const fn as_millis(self) -> u64 {
        self.0
    }
}

/// A span of time in milliseconds: a keep-alive, a timeout, a backoff delay.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(u64);

impl Duration {
    pub const ZERO: Self = Self(0);

    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    pub const fn from_secs(secs: u64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    pub const fn as_millis(self) -> u64 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    fn add(self, span: Duration) -> Instant {
        Instant(self.0.saturating_add(span.0))
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, span: Duration) {
        *self = *self + span;
    }
}

impl Sub for Instant {
    type Output = Duration;

    /// The time from `earlier` to `self`; zero if `earlier` is later.
    fn sub(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

/// Seconds to one decimal ("2.5 s"), without float formatting (which would add kilobytes to the
/// wasm).
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{} s", self.0 / 1000, self.0 % 1000 / 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_moves_by_a_duration_and_two_instants_are_a_duration_apart() {
        let start = Instant::from_millis(1_000);
        let later = start + Duration::from_secs(2);
        assert_eq!(later, Instant::from_millis(3_000));
        assert_eq!(later - start, Duration::from_millis(2_000));
    }

    #[test]
    fn arithmetic_saturates_rather_than_panicking() {
        let start = Instant::from_millis(5);
        assert_eq!(start - Instant::from_millis(9), Duration::ZERO);
        let end = Instant::from_millis(u64::MAX - 1) + Duration::from_millis(10);
        assert_eq!(end, Instant::from_millis(u64::MAX));
        assert_eq!(
            Duration::from_secs(u64::MAX),
            Duration::from_millis(u64::MAX)
        );
    }

    #[test]
    fn a_duration_reads_as_seconds_to_one_decimal() {
        assert_eq!(Duration::from_millis(2_590).to_string(), "2.5 s");
        assert_eq!(Duration::from_millis(999).to_string(), "0.9 s");
    }
}
