//! Durations from user input, saturated where they meet the simulated clock.
//!
//! A scenario can ask for any duration (`sleep 1e300`, a keepalive of a
//! million years); a clock cannot hold them all: `Instant + Duration`
//! panics past its range. GNU coreutils saturates instead (sleep(1) and
//! timeout(1) turn an interval too long for `time_t` into the largest one,
//! gnulib's dtotimespec), so the model does too, at [`FOREVER`]: longer
//! than any run, far inside every clock's range.

use std::time::Duration;

use tokio::time::Instant;

/// What "longer than anything" is here: 100 years (of 365.25 days).
pub const FOREVER: Duration = Duration::from_secs(100 * 31_557_600);

/// `d`, at most [`FOREVER`]: for durations handed to code that adds them
/// to the clock itself (russh's keepalive timers).
pub fn capped(d: Duration) -> Duration {
    d.min(FOREVER)
}

/// `at + d` without overflow: at most [`FOREVER`] after `at`.
pub fn deadline(at: Instant, d: Duration) -> Instant {
    at + capped(d)
}

/// Seconds as a float (`1e300`, `inf`), saturated at [`FOREVER`]; `None`
/// for a negative or not-a-number value.
pub fn from_secs(secs: f64) -> Option<Duration> {
    if secs.is_nan() || secs < 0.0 {
        return None;
    }
    Some(Duration::try_from_secs_f64(secs).map_or(FOREVER, capped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_values_saturate_and_invalid_ones_are_refused() {
        assert_eq!(from_secs(1.5), Some(Duration::from_millis(1500)));
        assert_eq!(from_secs(1e300), Some(FOREVER));
        assert_eq!(from_secs(f64::INFINITY), Some(FOREVER));
        assert_eq!(from_secs(1.8446744073709552e19), Some(FOREVER));
        assert_eq!(from_secs(-1.0), None);
        assert_eq!(from_secs(f64::NAN), None);
    }

    #[test]
    fn a_deadline_never_overflows_the_clock() {
        crate::sim::unix::block_on(async {
            let now = Instant::now();
            assert_eq!(deadline(now, Duration::MAX), now + FOREVER);
            assert_eq!(
                deadline(now, Duration::from_secs(1)),
                now + Duration::from_secs(1)
            );
        });
    }
}
