//! serde's and TOML's errors, in the words of the file format.
//!
//! serde says "unknown field `horizn`, expected one of ..." and "invalid
//! type: map, expected a sequence", with a byte span. This module finds the
//! key path at that span (`world.horizn`, `step[2]`), and says what that key
//! takes, with an example from `keys.rs`.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::Problem;
use crate::keys::{self, segment};

/// A TOML syntax error or a serde shape error, in the words of the format.
pub(crate) fn from_toml(text: &str, err: &toml::de::Error) -> Problem {
    let message = err.message();
    if message == "recursion limit" || message.starts_with("cannot recurse further") {
        return too_deep(text, err.span());
    }
    let span = err.span().unwrap_or(0..0);
    let offset = span.start;
    let path = key_path_at(text, offset);
    if let (Some(rest), Some(path)) = (message.strip_prefix("unknown field `"), &path) {
        let name = rest.split('`').next().unwrap_or(rest);
        let table = path.rsplit_once('.').map_or("", |(table, _)| table);
        return unknown_key(offset, table, name);
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, serde_expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        let found = serde_found(found);
        let key_info = path.as_deref().and_then(keys::info);
        let expected = key_info.map_or(serde_expected, |k| k.expected);
        return Problem {
            offset,
            key: path,
            message: format!("expected {expected}, found {found}"),
            example: key_info.map(|k| k.example.to_owned()),
        };
    }
    // A syntax error; toml's own words are precise ("invalid basic
    // string, expected `\"`").
    let key = match message {
        "duplicate key" => text.get(span).map(str::to_owned).or(path),
        _ => path,
    };
    let message = match message {
        "duplicate key" => "this key is already set above".to_owned(),
        _ => message.to_owned(),
    };
    Problem {
        offset,
        key,
        message,
        example: None,
    }
}

/// toml's limit on nesting (80 levels, against stack overflows), at the
/// value it gave up in, or for dotted keys, which it reports without a
/// place, at the first key with 80 dots.
fn too_deep(text: &str, span: Option<Range<usize>>) -> Problem {
    let offset = span
        .map(|s| s.start)
        .or_else(|| deep_key_offset(text))
        .unwrap_or(0);
    Problem {
        offset,
        key: None,
        message: "a key nested deeper than 80 levels; scenario files nest a few levels at most"
            .to_owned(),
        example: None,
    }
}

/// Where the first key or table header with at least 80 dots (outside
/// quotes) starts.
fn deep_key_offset(text: &str) -> Option<usize> {
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let (mut dots, mut quote) = (0, None);
        for c in line.chars() {
            match (c, quote) {
                ('"' | '\'', None) => quote = Some(c),
                (c, Some(q)) if c == q => quote = None,
                ('.', None) => dots += 1,
                ('=' | ']' | '#', None) => break,
                _ => {}
            }
        }
        if dots >= 80 {
            let indent = line.len() - line.trim_start().len();
            return Some(line_start + indent);
        }
        line_start += line.len();
    }
    None
}

/// serde's `Unexpected` (`integer `3``, `map`) in the words of [`Leaf::describe`].
fn serde_found(found: &str) -> String {
    let described = |prefix: &str| found.strip_prefix(prefix).map(str::to_owned);
    match found {
        "map" => "a table".to_owned(),
        "sequence" => "an array".to_owned(),
        _ => described("integer ")
            .map(|n| format!("the integer {n}"))
            .or_else(|| described("floating point ").map(|x| format!("the number {x}")))
            .or_else(|| described("boolean "))
            .or_else(|| described("string ").map(|s| format!("`{}`", s.trim_matches('"'))))
            .unwrap_or_else(|| found.to_owned()),
    }
}

/// The dotted path of the key or value at byte `offset`: `world.horizn`,
/// `step[2].at`, `expect."hangar:wait-eof".client`. Steps count from 1.
fn key_path_at(text: &str, offset: usize) -> Option<String> {
    let (root, _) = DeTable::parse_recoverable(text);
    let mut best = None;
    walk_table(root.get_ref(), "", offset, &mut best);
    best.map(|(_, path)| path)
}

/// The smallest span containing the offset wins: a key or a value inside an
/// inline table is more precise than the table.
type Best = Option<(usize, String)>;

fn walk_table(table: &DeTable<'_>, prefix: &str, offset: usize, best: &mut Best) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            segment(key.get_ref())
        } else {
            format!("{prefix}.{}", segment(key.get_ref()))
        };
        consider(key.span(), &path, offset, best);
        walk_value(value, &path, offset, best);
    }
}

fn walk_value(value: &Spanned<DeValue<'_>>, path: &str, offset: usize, best: &mut Best) {
    consider(value.span(), path, offset, best);
    match value.get_ref() {
        DeValue::Table(table) => walk_table(table, path, offset, best),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_value(item, &format!("{path}[{}]", i + 1), offset, best);
            }
        }
        _ => {}
    }
}

fn consider(span: Range<usize>, path: &str, offset: usize, best: &mut Best) {
    let inside = span.contains(&offset) || (span.is_empty() && span.start == offset);
    if inside && best.as_ref().is_none_or(|(len, _)| span.len() <= *len) {
        *best = Some((span.len(), path.to_owned()));
    }
}

/// "unknown key `horizn` (did you mean `horizon`?); the keys of [world]
/// are ...". `table` is the path of the table the key is in.
pub(crate) fn unknown_key(offset: usize, table: &str, name: &str) -> Problem {
    let path = if table.is_empty() {
        segment(name)
    } else {
        format!("{table}.{}", segment(name))
    };
    let table_info = keys::info(table);
    let kind = table_info.map_or(table.to_owned(), |k| k.path.to_owned());
    let valid = keys::children(if table.is_empty() { "" } else { &kind });
    let guess = keys::closest(name, &valid);
    let mut message = format!("unknown key `{name}`");
    if let Some(guess) = guess {
        message.push_str(&format!(" (did you mean `{guess}`?)"));
    }
    message.push_str(&format!(
        "; the keys of {} are {}",
        keys::table_name(&strip_index(table)),
        keys::list(&valid)
    ));
    if kind == "expect" {
        message.push_str(", and a table per target such as [expect.dropbear]");
    }
    let example = match guess {
        Some(guess) => keys::info(format!("{kind}.{guess}").trim_start_matches('.'))
            .map(|k| k.example.to_owned()),
        None => table_info.map(|k| k.example.to_owned()),
    };
    Problem {
        offset,
        key: Some(path),
        message,
        example,
    }
}

/// `step[2]` -> `step`, `step[2].wait_for` -> `step.wait_for`, for naming
/// the table.
fn strip_index(table: &str) -> String {
    match (table.find('['), table.find(']')) {
        (Some(open), Some(close)) if table.starts_with("step") && open < close => {
            format!("{}{}", &table[..open], &table[close + 1..])
        }
        _ => table.to_owned(),
    }
}
