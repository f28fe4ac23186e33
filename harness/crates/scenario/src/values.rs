//! Checking and converting one value of a scenario file: a duration, a
//! size, an exit code... Each converter takes the value and its key path
//! and says, when the value is wrong, what the key takes.

use std::ops::Range;
use std::time::Duration;

use toml::Spanned;

use crate::drawn;
use crate::duration::{MAX_DURATION, OVER_MAX, parse_duration};
use crate::error::Problem;
use crate::keys;
use crate::model::ExitExpect;
use crate::raw::Leaf;
use crate::size::parse_size;
use crate::target::{ParseTargetError, TARGET_FORMS, Target};

pub(crate) type Value = Spanned<Leaf>;

/// Checks and converts one value; the key path is for messages.
pub(crate) type Convert<T> = fn(&Value, &str) -> Result<T, Problem>;

/// "expected <what the key takes>, found <value>".
pub(crate) fn expected(v: &Value, key: &str) -> Problem {
    let what = keys::info(key).map_or("something else", |k| k.expected);
    Problem::new(
        v.span().start,
        key,
        format!("expected {what}, found {}", v.get_ref().describe()),
    )
}

/// The last segment of a key path, for examples: `step[2].at` -> `at`.
pub(crate) fn last_segment(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

pub(crate) fn string(v: &Value, key: &str) -> Result<String, Problem> {
    match v.get_ref() {
        Leaf::Str(s) => Ok(s.clone()),
        _ => Err(expected(v, key)),
    }
}

pub(crate) fn non_empty(v: &Value, key: &str) -> Result<String, Problem> {
    match v.get_ref() {
        Leaf::Str(s) if !s.trim().is_empty() => Ok(s.clone()),
        _ => Err(expected(v, key)),
    }
}

/// A range (`"1s..5s"`) given to a key that takes one `what`.
fn range_not_allowed(v: &Value, key: &str, what: &str) -> Option<Problem> {
    let Leaf::Str(s) = v.get_ref() else {
        return None;
    };
    drawn::split(s)?;
    let takers: Vec<&str> = keys::RANGE_KEYS.iter().map(|(key, _)| *key).collect();
    let message = format!(
        "expected one {what}, found the range `{s}`; only {} take ranges",
        keys::list(&takers)
    );
    Some(Problem::new(v.span().start, key, message))
}

pub(crate) fn duration(v: &Value, key: &str) -> Result<Duration, Problem> {
    let name = last_segment(key);
    if let Some(p) = range_not_allowed(v, key, "duration") {
        return Err(p);
    }
    match v.get_ref() {
        Leaf::Str(s) => parse_duration(s).map_err(|e| {
            let p = Problem::new(v.span().start, key, e.to_string());
            match e.suggestion() {
                Some(fix) => p.example(format!("{name} = \"{fix}\"")),
                None => p,
            }
        }),
        Leaf::Int(n) => Err(expected(v, key).example(format!("{name} = \"{n}s\""))),
        _ => Err(expected(v, key)),
    }
}

/// An ssh_config(5) TIME: a duration, or a number of seconds as an
/// integer or a string of digits; at most [`MAX_DURATION`].
pub(crate) fn ssh_time(v: &Value, key: &str) -> Result<Duration, Problem> {
    if let Some(p) = range_not_allowed(v, key, "time") {
        return Err(p);
    }
    let secs = match v.get_ref() {
        Leaf::Int(n) if *n >= 0 => Some(*n),
        Leaf::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            // Digits only: too many of them is merely too long.
            Some(s.parse().unwrap_or(i128::MAX))
        }
        Leaf::Str(s) => {
            return parse_duration(s).map_err(|e| match e.suggestion() {
                None if e.is_too_long() => too_long(v, key),
                _ => expected(v, key),
            });
        }
        _ => None,
    };
    match secs {
        Some(n) if n > i128::from(MAX_DURATION.as_secs()) => Err(too_long(v, key)),
        Some(n) => Ok(Duration::from_secs(n as u64)),
        None => Err(expected(v, key)),
    }
}

/// "expected ..., found ... (longer than 30 days, ...)".
fn too_long(v: &Value, key: &str) -> Problem {
    let mut p = expected(v, key);
    p.message = format!("{} ({OVER_MAX})", p.message);
    p
}

/// An ssh option that takes a time, where `0` (or `0s`) switches it off.
pub(crate) fn ssh_switch(v: &Value, key: &str) -> Result<Option<Duration>, Problem> {
    ssh_time(v, key).map(|d| (!d.is_zero()).then_some(d))
}

/// `world.horizon`: a duration above zero.
pub(crate) fn horizon(v: &Value, key: &str) -> Result<Duration, Problem> {
    match duration(v, key)? {
        d if d.is_zero() => Err(Problem::new(
            v.span().start,
            key,
            "the horizon must be later than `0s`".to_owned(),
        )),
        d => Ok(d),
    }
}

/// The shortest tick: every tick is a step of every host, so a shorter
/// one makes a second of busy virtual time cost over a thousand steps
/// (`tick = "1ns"` turned a two-minute horizon into 10^11 of them).
pub const MIN_TICK: Duration = Duration::from_millis(1);

/// The clock's tick: at least [`MIN_TICK`].
pub(crate) fn tick(v: &Value, key: &str) -> Result<Duration, Problem> {
    match duration(v, key)? {
        d if d < MIN_TICK => Err(Problem::new(
            v.span().start,
            key,
            "the tick must be at least `1ms`: each tick is a step of every host".to_owned(),
        )
        .example("tick = \"1ms\"")),
        d => Ok(d),
    }
}

pub(crate) fn boolean(v: &Value, key: &str) -> Result<bool, Problem> {
    match v.get_ref() {
        Leaf::Bool(b) => Ok(*b),
        _ => Err(expected(v, key)),
    }
}

pub(crate) fn count(v: &Value, key: &str) -> Result<u32, Problem> {
    match v.get_ref() {
        Leaf::Int(n) => u32::try_from(*n).map_err(|_| out_of_range(v, key, *n)),
        _ => Err(expected(v, key)),
    }
}

/// An integer the key cannot hold: "..., which is too large" when it is.
fn out_of_range(v: &Value, key: &str, n: i128) -> Problem {
    let mut p = expected(v, key);
    if n > 0 {
        p.message.push_str(", which is too large");
    }
    p
}

pub(crate) fn size(v: &Value, key: &str) -> Result<u64, Problem> {
    if let Some(p) = range_not_allowed(v, key, "size") {
        return Err(p);
    }
    match v.get_ref() {
        Leaf::Int(n) => u64::try_from(*n).map_err(|_| out_of_range(v, key, *n)),
        Leaf::Str(s) => parse_size(s).map_err(|_| expected(v, key)),
        _ => Err(expected(v, key)),
    }
}

/// An array of non-empty strings, each with its span.
pub(crate) fn strings(v: &Value, key: &str) -> Result<Vec<(String, Range<usize>)>, Problem> {
    let Leaf::Array(items) = v.get_ref() else {
        return Err(expected(v, key));
    };
    items
        .iter()
        .map(|item| match item.get_ref() {
            Leaf::Str(s) if !s.trim().is_empty() => Ok((s.clone(), item.span())),
            other => Err(Problem::new(
                item.span().start,
                key,
                format!(
                    "expected {}, found {} in the array",
                    keys::info(key).map_or("strings", |k| k.expected),
                    other.describe()
                ),
            )),
        })
        .collect()
}

pub(crate) fn exit(v: &Value, key: &str) -> Result<ExitExpect, Problem> {
    match v.get_ref() {
        Leaf::Int(n) if (0..=255).contains(n) => Ok(ExitExpect::Code(*n as i32)),
        Leaf::Str(s) if s == "none" => Ok(ExitExpect::Never),
        _ => Err(expected(v, key)),
    }
}

/// "unknown target `drobear` (did you mean `dropbear`?); the targets are ...".
pub(crate) fn target(name: &str, offset: usize, key: &str) -> Result<Target, Problem> {
    name.parse().map_err(|e: ParseTargetError| {
        let guess = keys::closest(name, &TARGET_FORMS[..4]);
        let message = match guess {
            Some(guess) if !name.starts_with("hangar:drain=") => format!(
                "unknown target `{name}` (did you mean `{guess}`?); the targets are {}",
                keys::list(&TARGET_FORMS)
            ),
            _ => e.to_string(),
        };
        Problem::new(offset, key, message)
    })
}

/// `s` as a TOML string, for examples.
pub(crate) fn toml_string(s: &str) -> String {
    if !s.contains(|c: char| c == '"' || c == '\\' || c.is_control()) {
        format!("\"{s}\"")
    } else if !s.contains(|c: char| c == '\'' || c.is_control()) {
        format!("'{s}'")
    } else {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
}
