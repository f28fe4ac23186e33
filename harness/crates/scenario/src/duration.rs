//! Durations as scenario files write them: `30s`, `250ms`, `1.5s`, `2m`, `1h`.
//!
//! A duration is one or more `<number><unit>` groups with nothing between
//! them (`1m30s` is 90 seconds, as in ssh_config(5) "TIME FORMATS"). The
//! number is decimal, with an optional fraction; the unit is one of `h`, `m`,
//! `s`, `ms`, `us`, `ns`. The value must be a whole number of nanoseconds.
//!
//! Not accepted: a number without a unit (`30`: seconds or milliseconds?),
//! spaces (`30 s`), signs, exponents, upper-case units. The loader accepts a
//! bare TOML integer as seconds only where ssh_config(5) and sshd_config(5)
//! do (the `[client]` and `[server]` options).

use std::fmt;
use std::time::Duration;

/// What a duration looks like, for error messages.
pub const EXPECTED_DURATION: &str = "a duration such as `30s`, `250ms` or `1.5s`";

/// The longest time a scenario may give (horizon, interval, latency,
/// timeout, `at`): 30 days. Runs add these times to the simulated clock,
/// and far longer ones would overflow it; no SSH teardown takes a month.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Why a time over [`MAX_DURATION`] is refused, for error messages.
pub(crate) const OVER_MAX: &str = "longer than 30 days, the longest time a scenario may give";

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// Units from the largest to the smallest, with their length in nanoseconds.
const UNITS: [(&str, u128); 6] = [
    ("h", 3_600 * NANOS_PER_SEC),
    ("m", 60 * NANOS_PER_SEC),
    ("s", NANOS_PER_SEC),
    ("ms", 1_000_000),
    ("us", 1_000),
    ("ns", 1),
];

/// A string that is not a duration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseDurationError {
    /// The text as written.
    pub found: String,
    kind: ErrorKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ErrorKind {
    Syntax,
    /// A number with no unit after it; carries nothing, the fix is in `found`.
    NoUnit,
    /// Finer than a nanosecond.
    TooPrecise,
    /// Longer than [`MAX_DURATION`].
    TooLong,
}

impl ParseDurationError {
    /// Whether the text is a duration, only longer than [`MAX_DURATION`].
    pub fn is_too_long(&self) -> bool {
        self.kind == ErrorKind::TooLong
    }

    /// For `30`: the same text with the unit that was probably meant (`30s`).
    pub fn suggestion(&self) -> Option<String> {
        match self.kind {
            ErrorKind::NoUnit => Some(format!("{}s", self.found)),
            _ => None,
        }
    }
}

impl ParseDurationError {
    /// "found `30` (a number needs a unit: `30s`)": the second half of the
    /// message, for callers that say what was expected in their own words.
    pub(crate) fn found_text(&self) -> String {
        let found = &self.found;
        match self.kind {
            ErrorKind::Syntax => format!("found `{found}`"),
            ErrorKind::NoUnit => format!("found `{found}` (a number needs a unit: `{found}s`)"),
            ErrorKind::TooPrecise => format!("found `{found}` (finer than a nanosecond)"),
            ErrorKind::TooLong => format!("found `{found}` ({OVER_MAX})"),
        }
    }
}

impl fmt::Display for ParseDurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {EXPECTED_DURATION}, {}", self.found_text())
    }
}

impl std::error::Error for ParseDurationError {}

/// Parses `30s`, `1.5s`, `250ms`, `2m`, `1h`, `1m30s`, `924.6s`, up to
/// [`MAX_DURATION`].
///
/// # Errors
///
/// Anything else, with a message that says what was expected.
pub fn parse_duration(text: &str) -> Result<Duration, ParseDurationError> {
    let fail = |kind| ParseDurationError {
        found: text.to_owned(),
        kind,
    };
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return Err(fail(ErrorKind::Syntax));
    }
    let mut total: u128 = 0;
    let mut i = 0;
    while i < bytes.len() {
        let whole = take_while(bytes, &mut i, |b| b.is_ascii_digit());
        if whole.is_empty() {
            return Err(fail(ErrorKind::Syntax));
        }
        let mut fraction = "";
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            fraction = take_while(bytes, &mut i, |b| b.is_ascii_digit());
            if fraction.is_empty() {
                return Err(fail(ErrorKind::Syntax));
            }
        }
        let unit = take_while(bytes, &mut i, |b| b.is_ascii_alphabetic());
        if unit.is_empty() {
            let kind = if i == bytes.len() {
                ErrorKind::NoUnit
            } else {
                ErrorKind::Syntax
            };
            return Err(fail(kind));
        }
        let Some(&(_, unit_nanos)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(fail(ErrorKind::Syntax));
        };
        let nanos = group_nanos(whole, fraction, unit_nanos).map_err(fail)?;
        total = total
            .checked_add(nanos)
            .ok_or_else(|| fail(ErrorKind::TooLong))?;
    }
    if total > MAX_DURATION.as_nanos() {
        return Err(fail(ErrorKind::TooLong));
    }
    let secs = u64::try_from(total / NANOS_PER_SEC).map_err(|_| fail(ErrorKind::TooLong))?;
    // The remainder is below one second, so it fits.
    let subsec = (total % NANOS_PER_SEC) as u32;
    Ok(Duration::new(secs, subsec))
}

/// Advances `i` over the bytes that match and returns them as text. The
/// matched bytes are ASCII, so the slice is valid UTF-8.
fn take_while<'a>(bytes: &'a [u8], i: &mut usize, pred: impl Fn(u8) -> bool) -> &'a str {
    let start = *i;
    while *i < bytes.len() && pred(bytes[*i]) {
        *i += 1;
    }
    std::str::from_utf8(&bytes[start..*i]).unwrap_or("")
}

/// `whole.fraction` units, in nanoseconds, if exact and small enough.
fn group_nanos(whole: &str, fraction: &str, unit_nanos: u128) -> Result<u128, ErrorKind> {
    let whole: u128 = whole.parse().map_err(|_| ErrorKind::TooLong)?;
    let mut nanos = whole.checked_mul(unit_nanos).ok_or(ErrorKind::TooLong)?;
    let fraction = fraction.trim_end_matches('0');
    if !fraction.is_empty() {
        // The largest unit, 3.6e12 ns, is divisible by 10^11 and no higher
        // power of ten, so a longer fraction can never be exact.
        if fraction.len() > 12 {
            return Err(ErrorKind::TooPrecise);
        }
        let digits: u128 = fraction.parse().map_err(|_| ErrorKind::TooPrecise)?;
        let scale = 10u128.pow(fraction.len() as u32);
        let scaled = digits * unit_nanos;
        if !scaled.is_multiple_of(scale) {
            return Err(ErrorKind::TooPrecise);
        }
        nanos = nanos
            .checked_add(scaled / scale)
            .ok_or(ErrorKind::TooLong)?;
    }
    Ok(nanos)
}

/// The shortest exact text for `d` that [`parse_duration`] reads back:
/// `0s`, `30s`, `1.5s`, `250ms`, `2m`, `1h`.
///
/// Whole hours and whole minutes use `h` and `m`; everything else is written
/// in the unit among `s`, `ms`, `us`, `ns` that gives the shortest text with
/// at least one whole unit (the larger unit on a tie: `1.001s`, not `1001ms`).
/// A time as the servers' configurations take it, in whole seconds: a
/// fraction is dropped, and a time set is at least 1 s (0 is off). The
/// real lane writes this into the servers' configurations and the sim's
/// servers count with it, so that both lanes time out alike.
pub fn whole_seconds(d: Duration) -> u64 {
    match d.as_secs() {
        0 if !d.is_zero() => 1,
        secs => secs,
    }
}

pub fn format_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".to_owned();
    }
    for (unit, unit_nanos) in &UNITS[..2] {
        if nanos.is_multiple_of(*unit_nanos) {
            return format!("{}{unit}", nanos / unit_nanos);
        }
    }
    let mut best: Option<String> = None;
    for (unit, unit_nanos) in &UNITS[2..] {
        if nanos < *unit_nanos {
            continue;
        }
        let text = format!("{}{unit}", decimal(nanos, *unit_nanos));
        if best.as_ref().is_none_or(|b| text.len() < b.len()) {
            best = Some(text);
        }
    }
    // `ns` always qualifies, so `best` is set.
    best.unwrap_or_else(|| format!("{nanos}ns"))
}

/// `value / unit` written as an exact decimal (`unit` is a power of ten).
fn decimal(value: u128, unit: u128) -> String {
    let whole = value / unit;
    let rest = value % unit;
    if rest == 0 {
        return whole.to_string();
    }
    let width = unit.ilog10() as usize;
    let fraction = format!("{rest:0width$}");
    format!("{whole}.{}", fraction.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn server_times_are_whole_seconds_and_zero_only_when_off() {
        assert_eq!(whole_seconds(ms(1500)), 1);
        assert_eq!(whole_seconds(ms(200)), 1);
        assert_eq!(whole_seconds(ms(3000)), 3);
        assert_eq!(whole_seconds(ms(0)), 0);
    }

    #[test]
    fn parses_every_unit() {
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("30s"), Ok(ms(30_000)));
        assert_eq!(parse_duration("1.5s"), Ok(ms(1_500)));
        assert_eq!(parse_duration("250ms"), Ok(ms(250)));
        assert_eq!(parse_duration("2m"), Ok(ms(120_000)));
        assert_eq!(parse_duration("1h"), Ok(ms(3_600_000)));
        assert_eq!(parse_duration("924.6s"), Ok(ms(924_600)));
        assert_eq!(parse_duration("15us"), Ok(Duration::from_micros(15)));
        assert_eq!(parse_duration("7ns"), Ok(Duration::from_nanos(7)));
        assert_eq!(parse_duration("0.5m"), Ok(ms(30_000)));
        assert_eq!(parse_duration("1.000s"), Ok(ms(1_000)));
    }

    #[test]
    fn parses_groups_like_ssh_config() {
        assert_eq!(parse_duration("1m30s"), Ok(ms(90_000)));
        assert_eq!(parse_duration("1h1m1s1ms"), Ok(ms(3_661_001)));
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for text in [
            "",
            "s",
            "30",
            "30 seconds",
            "30 s",
            " 30s",
            "30s ",
            "-1s",
            "+1s",
            "1e3s",
            "1.s",
            ".5s",
            "30S",
            "30sec",
            "1..5s",
            "1.5.5s",
            "30s!",
            "ß",
            "1µs",
        ] {
            assert!(parse_duration(text).is_err(), "{text:?} parsed");
        }
    }

    #[test]
    fn error_says_what_was_expected() {
        let err = parse_duration("30 seconds").unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected a duration such as `30s`, `250ms` or `1.5s`, found `30 seconds`"
        );
        assert_eq!(err.suggestion(), None);
        let err = parse_duration("30").unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected a duration such as `30s`, `250ms` or `1.5s`, found `30` \
             (a number needs a unit: `30s`)"
        );
        assert_eq!(err.suggestion().as_deref(), Some("30s"));
        assert!(
            parse_duration("1.0000000001s")
                .unwrap_err()
                .to_string()
                .ends_with("(finer than a nanosecond)")
        );
    }

    #[test]
    fn huge_values_are_errors_not_panics() {
        for text in [
            "99999999999999999999999999999999999999999999h",
            "18446744073709551616s",
            "5124095576030432h",
            "1.1234567890123456789012345678901234567890h",
            "340282366920938463463374607431768211455ns",
            "340282366920938463463374607431768211455h1h",
        ] {
            assert!(parse_duration(text).is_err(), "{text:?} parsed");
        }
        assert_eq!(parse_duration("720h"), Ok(MAX_DURATION));
        let err = parse_duration("720h1ns").unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected a duration such as `30s`, `250ms` or `1.5s`, found `720h1ns` \
             (longer than 30 days, the longest time a scenario may give)"
        );
    }

    #[test]
    fn formats_the_shortest_exact_form() {
        assert_eq!(format_duration(Duration::ZERO), "0s");
        assert_eq!(format_duration(ms(30_000)), "30s");
        assert_eq!(format_duration(ms(1_500)), "1.5s");
        assert_eq!(format_duration(ms(250)), "250ms");
        assert_eq!(format_duration(ms(924_600)), "924.6s");
        assert_eq!(format_duration(ms(90_000)), "90s");
        assert_eq!(format_duration(ms(120_000)), "2m");
        assert_eq!(format_duration(ms(3_600_000)), "1h");
        assert_eq!(format_duration(ms(1_001)), "1.001s");
        assert_eq!(format_duration(Duration::from_micros(1_500)), "1.5ms");
        assert_eq!(format_duration(Duration::from_nanos(1)), "1ns");
        assert_eq!(
            format_duration(Duration::from_nanos(1_000_000_001)),
            "1.000000001s"
        );
    }

    #[test]
    fn format_and_parse_are_inverse() {
        for nanos in [
            0,
            1,
            999,
            1_000,
            1_500_000,
            250_000_000,
            1_000_000_000,
            59_999_999_999,
            60_000_000_000,
            3_600_000_000_000,
            924_600_000_000,
            MAX_DURATION.as_nanos() - 1,
            MAX_DURATION.as_nanos(),
        ] {
            let d = Duration::new(
                (nanos / NANOS_PER_SEC) as u64,
                (nanos % NANOS_PER_SEC) as u32,
            );
            assert_eq!(parse_duration(&format_duration(d)), Ok(d), "{nanos}");
        }
    }
}
