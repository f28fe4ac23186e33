//! Checking and converting a value that each seed draws anew: one value,
//! checked as usual (`values.rs`), or a range `"A..B"` (`drawn.rs`), whose
//! ends are checked one by one and then against each other.
//!
//! A wrong end is reported at that end, inside the string, so that in
//! `"1ms..5x"` the column is that of `5x`.

use std::fmt;
use std::time::Duration;

use crate::drawn;
use crate::duration::parse_duration;
use crate::error::Problem;
use crate::keys;
use crate::model::Drawn;
use crate::position::string_offset;
use crate::raw::Leaf;
use crate::size::parse_size;
use crate::values::{Convert, Value, duration, last_segment, size};

/// A duration or a range of durations; `text` is the file, for positions.
pub(crate) fn duration_range(text: &str, v: &Value, key: &str) -> Result<Drawn<Duration>, Problem> {
    drawn(text, v, key, duration, |end| {
        parse_duration(end).map_err(|e| e.to_string())
    })
}

/// A size or a range of sizes; `text` is the file, for positions.
pub(crate) fn size_range(text: &str, v: &Value, key: &str) -> Result<Drawn<u64>, Problem> {
    drawn(text, v, key, size, |end| {
        parse_size(end).map_err(|e| e.to_string())
    })
}

/// `v` as a range: `single` converts a value that is not a range,
/// `parse_end` one end of a range (its error completes a message).
fn drawn<T>(
    text: &str,
    v: &Value,
    key: &str,
    single: Convert<T>,
    parse_end: fn(&str) -> Result<T, String>,
) -> Result<Drawn<T>, Problem>
where
    T: Copy + PartialOrd,
    Drawn<T>: fmt::Display,
{
    let range = match v.get_ref() {
        Leaf::Str(s) => drawn::split(s).map(|parts| (s, parts)),
        _ => None,
    };
    let Some((s, (start, end_at, end))) = range else {
        return single(v, key).map(Drawn::fixed);
    };
    let name = last_segment(key);
    let sample = keys::range_sample(key).unwrap_or("1s..3s");
    let example = format!("{name} = \"{sample}\"");
    if start.is_empty() || end.is_empty() {
        let message = format!("a range needs a start and an end, such as `{sample}`, found `{s}`");
        return Err(Problem::new(v.span().start, key, message).example(example));
    }
    let parse = |part: &str, at: usize, which: &str| {
        parse_end(part).map_err(|message| {
            let offset = string_offset(text, &v.span(), s, at);
            Problem::new(offset, key, format!("the {which} of the range: {message}"))
                .example(example.clone())
        })
    };
    let min = parse(start, 0, "start")?;
    let max = parse(end, end_at, "end")?;
    if min > max {
        let message = format!("the range's start must not be after its end, found `{s}`");
        let swapped = Drawn { min: max, max: min };
        return Err(
            Problem::new(v.span().start, key, message).example(format!("{name} = \"{swapped}\""))
        );
    }
    Ok(Drawn { min, max })
}
