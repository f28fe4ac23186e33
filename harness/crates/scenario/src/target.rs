//! Targets: which client and server build a scenario runs against.
//!
//! A target is written as text in scenario files and on the command line:
//! `openssh`, `dropbear`, `hangar:wait-eof`, `hangar:close-on-exit`,
//! `hangar:drain=<duration>` (e.g. `hangar:drain=2s`). [`fmt::Display`] and
//! [`FromStr`] are inverse of each other; `Display` writes the duration in its
//! shortest form, so `hangar:drain=2000ms` reads back as `hangar:drain=2s`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::duration::{EXPECTED_DURATION, ParseDurationError, format_duration, parse_duration};

/// A built-in target of the sim lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// Model of OpenSSH sshd: EOF/CLOSE only after every writer of the
    /// stdout/stderr pipes is gone.
    OpenSsh,
    /// Model of Dropbear: flush what is pending at child exit, then close.
    Dropbear,
    /// hangar's own server with a teardown policy.
    Hangar(Policy),
}

/// Teardown policy of hangar's own server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Policy {
    WaitEof,
    CloseOnExit,
    /// After the child exits, keep reading the pipes for at most this long.
    Drain(Duration),
}

/// Every form a target can take, as listed in error messages.
pub const TARGET_FORMS: [&str; 5] = [
    "openssh",
    "dropbear",
    "hangar:wait-eof",
    "hangar:close-on-exit",
    "hangar:drain=<duration>",
];

impl Target {
    /// The targets a scenario runs against when it names none: every sim
    /// model, each with its own teardown mechanism (`hangar:drain` needs a
    /// duration, so it is only run when asked for).
    pub fn all_sim() -> Vec<Target> {
        vec![
            Target::OpenSsh,
            Target::Dropbear,
            Target::Hangar(Policy::WaitEof),
            Target::Hangar(Policy::CloseOnExit),
        ]
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Policy::WaitEof => f.write_str("wait-eof"),
            Policy::CloseOnExit => f.write_str("close-on-exit"),
            Policy::Drain(d) => write!(f, "drain={}", format_duration(*d)),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::OpenSsh => f.write_str("openssh"),
            Target::Dropbear => f.write_str("dropbear"),
            Target::Hangar(policy) => write!(f, "hangar:{policy}"),
        }
    }
}

/// Text that names no target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseTargetError {
    /// The text as written.
    pub found: String,
    /// Set when the text was `hangar:drain=<something not a duration>`.
    drain: Option<ParseDurationError>,
}

impl fmt::Display for ParseTargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(err) = &self.drain {
            return write!(
                f,
                "`hangar:drain=` takes {EXPECTED_DURATION}, {}; for example `hangar:drain=2s`",
                err.found_text()
            );
        }
        write!(
            f,
            "unknown target `{}`; the targets are {} (for example `hangar:drain=2s`)",
            self.found,
            crate::keys::list(&TARGET_FORMS)
        )
    }
}

impl std::error::Error for ParseTargetError {}

impl FromStr for Target {
    type Err = ParseTargetError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |drain| ParseTargetError {
            found: text.to_owned(),
            drain,
        };
        match text {
            "openssh" => Ok(Target::OpenSsh),
            "dropbear" => Ok(Target::Dropbear),
            "hangar:wait-eof" => Ok(Target::Hangar(Policy::WaitEof)),
            "hangar:close-on-exit" => Ok(Target::Hangar(Policy::CloseOnExit)),
            _ => match text.strip_prefix("hangar:drain=") {
                Some(d) => parse_duration(d)
                    .map(|d| Target::Hangar(Policy::Drain(d)))
                    .map_err(|e| fail(Some(e))),
                None => Err(fail(None)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!("openssh".parse(), Ok(Target::OpenSsh));
        assert_eq!("dropbear".parse(), Ok(Target::Dropbear));
        assert_eq!(
            "hangar:wait-eof".parse(),
            Ok(Target::Hangar(Policy::WaitEof))
        );
        assert_eq!(
            "hangar:close-on-exit".parse(),
            Ok(Target::Hangar(Policy::CloseOnExit))
        );
        assert_eq!(
            "hangar:drain=2s".parse(),
            Ok(Target::Hangar(Policy::Drain(Duration::from_secs(2))))
        );
        assert_eq!(
            "hangar:drain=250ms".parse(),
            Ok(Target::Hangar(Policy::Drain(Duration::from_millis(250))))
        );
    }

    #[test]
    fn display_and_from_str_are_inverse() {
        let mut all = Target::all_sim();
        all.push(Target::Hangar(Policy::Drain(Duration::from_millis(1_500))));
        all.push(Target::Hangar(Policy::Drain(Duration::ZERO)));
        for target in all {
            let text = target.to_string();
            assert_eq!(text.parse(), Ok(target), "{text}");
        }
        for text in [
            "openssh",
            "dropbear",
            "hangar:wait-eof",
            "hangar:drain=1.5s",
        ] {
            assert_eq!(text.parse::<Target>().unwrap().to_string(), text);
        }
        assert_eq!(
            "hangar:drain=2000ms".parse::<Target>().unwrap().to_string(),
            "hangar:drain=2s"
        );
    }

    #[test]
    fn all_sim_lists_the_four_models() {
        let names: Vec<String> = Target::all_sim().iter().map(|t| t.to_string()).collect();
        assert_eq!(
            names,
            [
                "openssh",
                "dropbear",
                "hangar:wait-eof",
                "hangar:close-on-exit"
            ]
        );
    }

    #[test]
    fn unknown_target_lists_the_valid_ones() {
        let err = "OpenSSH".parse::<Target>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown target `OpenSSH`; the targets are `openssh`, `dropbear`, \
             `hangar:wait-eof`, `hangar:close-on-exit` and `hangar:drain=<duration>` \
             (for example `hangar:drain=2s`)"
        );
        for text in [
            "",
            "hangar",
            "hangar:",
            "hangar:drain",
            "openssh ",
            "hangar:wait_eof",
        ] {
            assert!(text.parse::<Target>().is_err(), "{text:?} parsed");
        }
    }

    #[test]
    fn bad_drain_duration_says_what_drain_takes() {
        let err = "hangar:drain=2".parse::<Target>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "`hangar:drain=` takes a duration such as `30s`, `250ms` or `1.5s`, found `2` \
             (a number needs a unit: `2s`); for example `hangar:drain=2s`"
        );
    }
}
