//! Positions in a scenario file: byte offset to `line:col`, and from a byte
//! inside a TOML string's value back to the byte of the file it came from.
//!
//! The second job matters for `run` lines: the shell parser reports offsets
//! into the decoded string, and a person wants the column in the file. For a
//! literal string (`'...'`) the two differ by the opening quote; for a basic
//! string (`"..."`) every escape (`\"`, `\\`, `\u00e9`) shifts them. The
//! mapping decodes the raw text again and trusts the result only if it
//! equals the value TOML produced; otherwise it points at the opening quote.

use std::ops::Range;

/// 1-based line and column of byte `offset` in `text`; the column counts
/// characters. An offset past the end is the end; an offset inside a
/// character is that character.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// The byte of `text` that byte `offset` of `value` came from, where `value`
/// is the decoded TOML string whose source (quotes included) is
/// `text[span]`. Falls back to the opening quote.
pub fn string_offset(text: &str, span: &Range<usize>, value: &str, offset: usize) -> usize {
    let Some(raw) = text.get(span.clone()) else {
        return span.start.min(text.len());
    };
    match decode(raw) {
        Some((decoded, map)) if decoded == value => {
            // `map[i]` is where decoded byte `i` starts in `raw`; one past
            // the end maps to the closing quote.
            let i = offset.min(map.len() - 1);
            span.start + map[i]
        }
        _ => span.start,
    }
}

/// Decodes a TOML string token; returns the value and, for each byte of the
/// value plus one past the end, its offset in `raw`.
fn decode(raw: &str) -> Option<(String, Vec<usize>)> {
    let (quote, basic) = if raw.starts_with("\"\"\"") {
        ("\"\"\"", true)
    } else if raw.starts_with("'''") {
        ("'''", false)
    } else if raw.starts_with('"') {
        ("\"", true)
    } else if raw.starts_with('\'') {
        ("'", false)
    } else {
        return None;
    };
    let mut start = quote.len();
    let end = raw.len().checked_sub(quote.len())?;
    if end < start || !raw[end..].starts_with(quote) {
        return None;
    }
    if quote.len() == 3 {
        // A newline right after the opening delimiter is trimmed.
        if raw[start..].starts_with("\r\n") {
            start += 2;
        } else if raw[start..].starts_with('\n') {
            start += 1;
        }
    }
    let body = &raw[start..end];
    let mut value = String::new();
    let mut map = Vec::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at = start + i;
        if !basic || c != '\\' {
            push(&mut value, &mut map, c, at);
            continue;
        }
        let (_, e) = chars.next()?;
        let decoded = match e {
            'b' => '\u{8}',
            't' => '\t',
            'n' => '\n',
            'f' => '\u{c}',
            'r' => '\r',
            'e' => '\u{1b}',
            '"' => '"',
            '\\' => '\\',
            'x' | 'u' | 'U' => {
                let digits = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut code = 0u32;
                for _ in 0..digits {
                    let (_, d) = chars.next()?;
                    code = code * 16 + d.to_digit(16)?;
                }
                char::from_u32(code)?
            }
            c if c.is_whitespace() => {
                // Line-ending backslash: whitespace and newlines vanish.
                while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                    chars.next();
                }
                continue;
            }
            _ => return None,
        };
        push(&mut value, &mut map, decoded, at);
    }
    map.push(end);
    Some((value, map))
}

fn push(value: &mut String, map: &mut Vec<usize>, c: char, at: usize) {
    value.push(c);
    map.extend(std::iter::repeat_n(at, c.len_utf8()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_is_one_based_and_counts_characters() {
        let text = "ab\ncdé\nfg";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 2), (1, 3));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 5), (2, 3));
        // Inside `é`, after it, past the end.
        assert_eq!(line_col(text, 6), (2, 3));
        assert_eq!(line_col(text, 7), (2, 4));
        assert_eq!(line_col(text, 8), (3, 1));
        assert_eq!(line_col(text, 999), (3, 3));
        assert_eq!(line_col("", 5), (1, 1));
    }

    /// Where byte `offset` of the value of the only string in `text` is.
    fn locate(text: &str, value: &str, offset: usize) -> usize {
        let start = text.find(['"', '\'']).unwrap();
        let span = start..text.trim_end().len();
        string_offset(text, &span, value, offset)
    }

    #[test]
    fn maps_through_literal_and_plain_basic_strings() {
        let text = "run = 'sleep 30 |'";
        assert_eq!(&text[locate(text, "sleep 30 |", 9)..], "|'");
        let text = "run = \"sleep 30 |\"";
        assert_eq!(&text[locate(text, "sleep 30 |", 9)..], "|\"");
    }

    #[test]
    fn maps_through_escapes() {
        let text = r#"run = "echo \"a\" \u00e9 |""#;
        let value = "echo \"a\" é |";
        let pipe = value.find('|').unwrap();
        assert_eq!(&text[locate(text, value, pipe)..], "|\"");
        let text = r#"run = "a\\b |""#;
        assert_eq!(&text[locate(text, "a\\b |", 4)..], "|\"");
        // One past the end is the closing quote.
        assert_eq!(&text[locate(text, "a\\b |", 5)..], "\"");
    }

    #[test]
    fn maps_through_multi_line_strings() {
        let text = "run = \"\"\"\nsleep 1 \\\n   |\"\"\"";
        let value = "sleep 1 |";
        assert_eq!(&text[locate(text, value, 8)..], "|\"\"\"");
        let text = "run = '''\nab\ncd |'''";
        assert_eq!(&text[locate(text, "ab\ncd |", 6)..], "|'''");
    }

    #[test]
    fn falls_back_to_the_opening_quote() {
        // The value does not match what the raw text decodes to.
        let text = "run = \"abc\"";
        assert_eq!(locate(text, "xyz", 2), 6);
        // A bad escape, a truncated token, a span off the text.
        assert_eq!(string_offset("\"\\q\"", &(0..4), "q", 0), 0);
        assert_eq!(string_offset("\"ab", &(0..3), "ab", 1), 0);
        assert_eq!(string_offset("ab", &(1..9), "", 0), 1);
        assert_eq!(string_offset("\"", &(0..1), "", 0), 0);
    }
}
