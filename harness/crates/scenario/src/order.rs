//! Expectations that name one of several honest answers, and the order
//! of the client's teardown events: `order`, `order_any`,
//! `survivors_any` and the client's `exit_any` in `[expect]`.

use crate::error::Problem;
use crate::keys;
use crate::raw::Leaf;
use crate::values::{Value, expected, strings};

/// The teardown events `order` names, as the client's ssh sees them end
/// its session: the messages it received on the channel (RFC 4254 6.10,
/// 5.3) and how the connection ended under it when it did not end
/// cleanly. Both lanes see these, in the sim's messages and in the real
/// client's log.
pub const TEARDOWN_EVENTS: [&str; 6] = [
    "exit-status",
    "exit-signal",
    "eof",
    "close",
    "connection-lost",
    "keepalive-timeout",
];

/// An array of teardown event names, each one of [`TEARDOWN_EVENTS`].
pub(crate) fn teardown_order(v: &Value, key: &str) -> Result<Vec<String>, Problem> {
    strings(v, key)?
        .into_iter()
        .map(|(name, span)| {
            if TEARDOWN_EVENTS.contains(&name.as_str()) {
                return Ok(name);
            }
            let guess = keys::closest(&name, &TEARDOWN_EVENTS)
                .map(|g| format!(" (did you mean `{g}`?)"))
                .unwrap_or_default();
            Err(Problem::new(
                span.start,
                key,
                format!(
                    "unknown teardown event `{name}`{guess}; the events are {}",
                    keys::list(&TEARDOWN_EVENTS)
                ),
            ))
        })
        .collect()
}

/// A non-empty array of alternatives, each an array `each` converts.
pub(crate) fn alternatives<T>(
    v: &Value,
    key: &str,
    each: impl Fn(&Value, &str) -> Result<T, Problem>,
) -> Result<Vec<T>, Problem> {
    match v.get_ref() {
        Leaf::Array(items) if !items.is_empty() => {
            items.iter().map(|item| each(item, key)).collect()
        }
        _ => Err(expected(v, key)),
    }
}

/// An exit code, 0 to 255.
pub(crate) fn exit_code(v: &Value, key: &str) -> Result<i32, Problem> {
    match v.get_ref() {
        Leaf::Int(n) if (0..=255).contains(n) => Ok(*n as i32),
        _ => Err(expected(v, key)),
    }
}

/// Process names, sorted as `survivors` keeps them.
pub(crate) fn sorted_names(v: &Value, key: &str) -> Result<Vec<String>, Problem> {
    let mut names: Vec<String> = strings(v, key)?.into_iter().map(|(n, _)| n).collect();
    names.sort();
    Ok(names)
}
