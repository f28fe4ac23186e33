//! The key notation of `type` steps: what a person writes for the bytes a
//! keyboard sends, and back.
//!
//! A character is its UTF-8 bytes. A newline is the Enter key, which sends
//! `\r` as a real terminal does (the tty's ICRNL turns it into `\n`). `^X`
//! is a control key: X & 0x1f for X among `@`, `A`-`Z`, `a`-`z`, `[`, `\`,
//! `]` and `_` (`^C` = 3, `^Z` = 26, `^[` = Escape); `^?` is DEL (127),
//! what Backspace sends; `^^` is a `^` itself, so Ctrl-^ (30) is written as
//! the character U+001E (`"\u001e"` in TOML).

/// What control keys look like, completing a message about a bad `^`.
pub(crate) const CONTROL_KEYS: &str = "a control key is `^` and a letter or one of `@[\\]_` \
     (`^C` interrupts, `^Z` stops, `^D` ends input, `^[` is Escape), `^?` is Backspace \
     and `^^` types a `^`";

/// A `^` that starts no key, at byte `offset` of the text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct KeyError {
    pub offset: usize,
    pub message: String,
}

/// The bytes `text` sends.
pub(crate) fn parse(text: &str) -> Result<Vec<u8>, KeyError> {
    let mut keys = Vec::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            // A file with CRLF line ends has one Enter per line, not two.
            '\r' if chars.peek().is_some_and(|(_, next)| *next == '\n') => {}
            '\n' | '\r' => keys.push(b'\r'),
            '^' => {
                let key = match chars.next() {
                    Some((_, '?')) => 0x7f,
                    Some((_, '^')) => b'^',
                    Some((_, c @ ('@'..='_' | 'a'..='z'))) => c as u8 & 0x1f,
                    Some((_, c)) => {
                        let message =
                            format!("`^{}` is not a key; {CONTROL_KEYS}", c.escape_debug());
                        return Err(KeyError {
                            offset: at,
                            message,
                        });
                    }
                    None => {
                        let message = format!("a `^` at the end is not a key; {CONTROL_KEYS}");
                        return Err(KeyError {
                            offset: at,
                            message,
                        });
                    }
                };
                keys.push(key);
            }
            c => keys.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    Ok(keys)
}

/// `keys` in the notation [`parse`] reads: Enter as a newline, other
/// control bytes as `^X` (but 30, Ctrl-^, as itself), `^` as `^^`. Bytes that are not UTF-8 cannot be
/// written and become U+FFFD.
pub(crate) fn format(keys: &[u8]) -> String {
    let mut text = String::with_capacity(keys.len());
    for chunk in keys.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\r' => text.push('\n'),
                '^' => text.push_str("^^"),
                '\u{7f}' => text.push_str("^?"),
                // `^^` is taken by `^` itself: Ctrl-^ stays a character.
                '\u{1e}' => text.push(c),
                c if u32::from(c) < 0x20 => {
                    text.push('^');
                    text.push(char::from(c as u8 | 0x40));
                }
                c => text.push(c),
            }
        }
        if !chunk.invalid().is_empty() {
            text.push(char::REPLACEMENT_CHARACTER);
        }
    }
    text
}

/// `text` with the `^` at byte `offset` doubled, so that it types a `^`.
pub(crate) fn escape_caret(text: &str, offset: usize) -> String {
    let mut fixed = text.to_owned();
    fixed.insert(offset, '^');
    fixed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_are_their_utf8_bytes_and_newline_is_enter() {
        assert_eq!(parse("ls -l\n").unwrap(), b"ls -l\r");
        assert_eq!(parse("é\r\nx\ry").unwrap(), b"\xc3\xa9\rx\ry");
        assert_eq!(parse(" \t").unwrap(), b" \t");
    }

    #[test]
    fn caret_notation_gives_control_keys() {
        let cases: [(&str, &[u8]); 10] = [
            ("^C", &[3]),
            ("^c", &[3]),
            ("^Z", &[26]),
            ("^D", &[4]),
            ("^\\", &[28]),
            ("^[", &[27]),
            ("^@", &[0]),
            ("^_", &[31]),
            ("^?", &[127]),
            ("2^^3", b"2^3"),
        ];
        for (text, keys) in cases {
            assert_eq!(parse(text).unwrap(), keys, "{text}");
        }
        assert_eq!(parse("sleep 100^Z").unwrap(), b"sleep 100\x1a");
        assert_eq!(parse("^[[A").unwrap(), b"\x1b[A");
    }

    #[test]
    fn a_caret_that_starts_no_key_is_an_error_at_the_caret() {
        let err = parse("echo 2^3").unwrap_err();
        assert_eq!(err.offset, 6);
        assert!(
            err.message
                .starts_with("`^3` is not a key; a control key is")
        );
        let err = parse("é^").unwrap_err();
        assert_eq!(err.offset, 2);
        assert!(err.message.starts_with("a `^` at the end is not a key;"));
        assert!(parse("^\n").unwrap_err().message.starts_with("`^\\n` is"));
        assert_eq!(escape_caret("echo 2^3", 6), "echo 2^^3");
    }

    #[test]
    fn format_writes_what_parse_reads() {
        assert_eq!(format(b"ls\r"), "ls\n");
        assert_eq!(
            format(b"a\x03\x1a\x04\x1c\x1b\x7f\x00\n^"),
            "a^C^Z^D^\\^[^?^@^J^^"
        );
        assert_eq!(format("é".as_bytes()), "é");
        assert_eq!(format(b"a\xffb"), "a\u{fffd}b");
        assert_eq!(format(&[30]), "\u{1e}");
        let every: Vec<u8> = (0..=0x7f).collect();
        assert_eq!(parse(&format(&every)).unwrap(), every);
        for text in ["sleep 100^Z", "exit\n", "2^^3", "^[[A", "日本"] {
            assert_eq!(format(&parse(text).unwrap()), text);
        }
    }
}
