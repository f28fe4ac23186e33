//! Reading one word: quote removal (XCU 2.2), the two parameters the subset
//! expands (XCU 2.5.2), and a clear error for every expansion it does not.
//!
//! Quote removal happens here, while the word is read, so the parser never
//! sees quotes: a [`Word`] is already a list of literal text and `$$`/`$?`.

use crate::ast::{Span, Word, WordPart};
use crate::error::ParseError;

/// A word as the parser needs it: the word itself plus the two facts about
/// its spelling that the grammar depends on.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LexWord {
    pub word: Word,
    /// The text, when the word has no quotes, escapes or expansions at all.
    /// Only such a word can be a reserved word (XCU 2.4) or `{`/`}`.
    pub plain: Option<String>,
    /// The unquoted text before the first quote, escape or expansion: a word
    /// is an assignment when this is `NAME=...` (XCU 2.10.2 rule 7).
    pub unquoted_prefix: String,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Lexeme {
    Word(LexWord),
    /// Digits directly before `<` or `>`: XCU 2.10.1 makes them the file
    /// descriptor of the redirection rather than a word.
    IoNumber(u32),
}

/// The characters that end an unquoted word: blanks, newline and the
/// characters that start an operator (XCU 2.3 rules 6 and 7).
pub(crate) fn is_delimiter(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')'
    )
}

/// Reads the word starting at byte `start` (which is not a delimiter, a
/// blank or `#`). Returns it and the offset just after it.
pub(crate) fn read(src: &str, start: usize) -> Result<(Lexeme, usize), ParseError> {
    let mut r = Reader {
        src,
        start,
        pos: start,
        parts: Vec::new(),
        lit: String::new(),
        plain: true,
        prefix: String::new(),
    };
    while let Some(c) = r.peek(0) {
        if is_delimiter(c) {
            break;
        }
        match c {
            '\\' => r.backslash()?,
            '\'' => r.single_quote()?,
            '"' => r.double_quote()?,
            '$' => r.dollar(false)?,
            '`' => return Err(backquote(r.pos)),
            '*' | '?' | '[' => return Err(r.pattern_char(c)),
            '~' if r.pos == start => return Err(r.tilde()),
            _ => {
                r.pos += c.len_utf8();
                r.push(c);
            }
        }
    }
    r.finish()
}

struct Reader<'a> {
    src: &'a str,
    start: usize,
    pos: usize,
    parts: Vec<WordPart>,
    /// Literal text not yet pushed to `parts`: adjacent quoted and unquoted
    /// pieces join into one `Literal`.
    lit: String,
    /// Nothing but unquoted, unescaped ordinary characters so far.
    plain: bool,
    prefix: String,
}

impl Reader<'_> {
    fn peek(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }

    /// Appends an unquoted character.
    fn push(&mut self, c: char) {
        self.lit.push(c);
        if self.plain {
            self.prefix.push(c);
        }
    }

    fn flush(&mut self) {
        if !self.lit.is_empty() {
            self.parts
                .push(WordPart::Literal(std::mem::take(&mut self.lit)));
        }
    }

    fn finish(mut self) -> Result<(Lexeme, usize), ParseError> {
        self.flush();
        let span = Span {
            start: self.start,
            end: self.pos,
        };
        let plain = match (self.plain, self.parts.as_slice()) {
            (true, [WordPart::Literal(text)]) => Some(text.clone()),
            _ => None,
        };
        // XCU 2.10.1: a token of only digits, delimited by `<` or `>`, is an
        // IO_NUMBER. Quoted digits (`'2'>f`) stay a word.
        if let Some(digits) = &plain
            && digits.bytes().all(|b| b.is_ascii_digit())
            && matches!(self.peek(0), Some('<' | '>'))
        {
            let fd = digits.parse().map_err(|_| {
                ParseError::new(
                    span.start,
                    span.end,
                    format!("file descriptor `{digits}` is too large"),
                    "use a small number, e.g. `2>/dev/null`",
                )
            })?;
            return Ok((Lexeme::IoNumber(fd), self.pos));
        }
        if self.parts.is_empty() {
            // `''`: an empty word is still a word (XCU 2.6.7 keeps it).
            self.parts.push(WordPart::Literal(String::new()));
        }
        let word = LexWord {
            word: Word {
                parts: self.parts,
                span,
            },
            plain,
            unquoted_prefix: self.prefix,
        };
        Ok((Lexeme::Word(word), self.pos))
    }

    /// XCU 2.2.1 Escape Character (Backslash): the next character is
    /// literal; backslash-newline is a line continuation and disappears.
    fn backslash(&mut self) -> Result<(), ParseError> {
        match self.peek(1) {
            None => Err(ParseError::new(
                self.pos,
                self.pos + 1,
                "`\\` at the end of the input escapes nothing",
                "remove it, or single-quote it to mean a backslash: `'\\'`",
            )),
            // A continuation leaves the word as it was, so `ec\<newline>ho`
            // is still the plain word `echo`.
            Some('\n') => {
                self.pos += 2;
                Ok(())
            }
            Some(c) => {
                self.pos += 1 + c.len_utf8();
                self.plain = false;
                self.lit.push(c);
                Ok(())
            }
        }
    }

    /// XCU 2.2.2 Single-Quotes: everything up to the next `'` is literal.
    fn single_quote(&mut self) -> Result<(), ParseError> {
        let open = self.pos;
        let Some(len) = self.src[open + 1..].find('\'') else {
            return Err(ParseError::new(
                open,
                open + 1,
                "unmatched `'`: the single quote is never closed",
                "close it: `'text'`; to put a single quote inside, write `'it'\\''s'`",
            ));
        };
        self.plain = false;
        self.lit.push_str(&self.src[open + 1..open + 1 + len]);
        self.pos = open + len + 2;
        Ok(())
    }

    /// XCU 2.2.3 Double-Quotes: literal except for `$` and backquote, and a
    /// backslash that escapes only `$`, backquote, `"`, `\` and newline.
    fn double_quote(&mut self) -> Result<(), ParseError> {
        let open = self.pos;
        self.plain = false;
        self.pos += 1;
        loop {
            match self.peek(0) {
                None => {
                    return Err(ParseError::new(
                        open,
                        open + 1,
                        "unmatched `\"`: the double quote is never closed",
                        "close it: `\"text\"`; to put a double quote inside, write `\\\"`",
                    ));
                }
                Some('"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some('\\') => match self.peek(1) {
                    Some(c @ ('$' | '`' | '"' | '\\')) => {
                        self.pos += 2;
                        self.lit.push(c);
                    }
                    Some('\n') => self.pos += 2,
                    // Any other backslash is an ordinary character.
                    _ => {
                        self.pos += 1;
                        self.lit.push('\\');
                    }
                },
                Some('$') => self.dollar(true)?,
                Some('`') => return Err(backquote(self.pos)),
                Some(c) => {
                    self.pos += c.len_utf8();
                    self.lit.push(c);
                }
            }
        }
    }

    /// XCU 2.6 Word Expansions, at a `$`: only the special parameters `$$`
    /// and `$?` (XCU 2.5.2) are in the subset. Every other expansion is
    /// rejected by name rather than passed through, because a scenario that
    /// silently ran `echo ''` for `echo $HOME` would test the wrong thing.
    fn dollar(&mut self, in_double_quotes: bool) -> Result<(), ParseError> {
        let at = self.pos;
        let keep = |text: &str| format!("single-quote it to keep the `$`: `'{text}'`");
        match self.peek(1) {
            Some(c @ ('$' | '?')) => {
                self.flush();
                self.parts.push(if c == '$' {
                    WordPart::ShellPid
                } else {
                    WordPart::LastStatus
                });
                self.plain = false;
                self.pos += 2;
                Ok(())
            }
            // XCU 2.6.2 Parameter Expansion, braced form.
            Some('{') => {
                let end = self.src[at..].find('}').map_or(at + 2, |i| at + i + 1);
                let text = &self.src[at..end];
                Err(ParseError::new(
                    at,
                    end,
                    format!(
                        "parameter expansion `{text}` is not supported; only `$$` and `$?` are expanded"
                    ),
                    format!("write the value out, or {}", keep(text)),
                ))
            }
            // XCU 2.6.4 Arithmetic Expansion and 2.6.3 Command Substitution.
            Some('(') if self.peek(2) == Some('(') => Err(ParseError::new(
                at,
                at + 3,
                "arithmetic expansion `$((...))` is not supported",
                "write the number out, e.g. `exit 3`",
            )),
            Some('(') => Err(ParseError::new(
                at,
                at + 2,
                "command substitution `$(...)` is not supported",
                "write the command's output out literally, or run the command on its own: `cmd >file`",
            )),
            // XCU 2.5.1 Positional Parameters and 2.6.2 named parameters.
            Some(c) if c == '_' || c.is_ascii_alphabetic() => {
                let len = self.src[at + 1..]
                    .find(|c: char| c != '_' && !c.is_ascii_alphanumeric())
                    .unwrap_or(self.src.len() - at - 1);
                let text = &self.src[at..at + 1 + len];
                Err(ParseError::new(
                    at,
                    at + 1 + len,
                    format!("variable `{text}` is not supported; only `$$` and `$?` are expanded"),
                    format!("write the value out, or {}", keep(text)),
                ))
            }
            Some(c @ ('0'..='9' | '@' | '*' | '#' | '!' | '-')) => {
                let text = &self.src[at..at + 2];
                let what = if c.is_ascii_digit() {
                    "positional parameter"
                } else {
                    "special parameter"
                };
                Err(ParseError::new(
                    at,
                    at + 2,
                    format!("{what} `{text}` is not supported; only `$$` and `$?` are expanded"),
                    keep(text),
                ))
            }
            // Not POSIX (bash and ksh): refuse rather than guess which is meant.
            Some('\'') if !in_double_quotes => Err(ParseError::new(
                at,
                at + 2,
                "ANSI-C quoting `$'...'` is not supported",
                "use plain single quotes: `'text'`",
            )),
            Some('"') if !in_double_quotes => Err(ParseError::new(
                at,
                at + 2,
                "locale translation `$\"...\"` is not supported",
                "use plain double quotes: `\"text\"`",
            )),
            // XCU 2.6.2 leaves a `$` followed by anything else unspecified;
            // a lone `$` (before a blank or the end) is literal in every shell.
            _ => {
                self.pos += 1;
                if in_double_quotes {
                    self.lit.push('$');
                } else {
                    self.push('$');
                }
                Ok(())
            }
        }
    }

    /// XCU 2.6.6 Pathname Expansion is not in the subset: a simulated host
    /// has no directory to match against, so the pattern would be ambiguous.
    fn pattern_char(&self, c: char) -> ParseError {
        let raw = self.raw();
        if c == '[' && (raw == "[" || raw == "[[") {
            // A lone `[` is not a pattern but the `test` utility.
            return ParseError::new(
                self.start,
                self.start + raw.len(),
                format!("`{raw}` tests are not supported"),
                format!(
                    "choose with `&&` and `||` on the commands themselves; to mean the character itself, quote it: `'{raw}'`"
                ),
            );
        }
        ParseError::new(
            self.pos,
            self.pos + 1,
            format!(
                "unquoted `{c}` is a pattern character; pathname expansion (globbing) is not supported"
            ),
            format!(
                "quote it to mean the character itself: {}",
                self.quoted_example(c)
            ),
        )
    }

    /// XCU 2.6.1 Tilde Expansion is not in the subset: the simulated users'
    /// home directories are not modelled.
    fn tilde(&self) -> ParseError {
        ParseError::new(
            self.pos,
            self.pos + 1,
            "tilde expansion (`~` at the start of a word) is not supported",
            format!(
                "write the directory out, e.g. `/root`, or quote it to mean the character itself: {}",
                self.quoted_example('~')
            ),
        )
    }

    /// The source text from the word's start to the next delimiter (only
    /// approximately the word, which is enough for messages).
    fn raw(&self) -> &str {
        let raw = &self.src[self.start..];
        &raw[..raw.find(is_delimiter).unwrap_or(raw.len())]
    }

    /// The whole word single-quoted when that is simple to show, otherwise
    /// just the character.
    fn quoted_example(&self, c: char) -> String {
        let raw = self.raw();
        if raw.contains(['\'', '"', '\\', '$', '`']) {
            format!("`'{c}'`")
        } else {
            format!("`'{raw}'`")
        }
    }
}

/// XCU 2.6.3 Command Substitution, old form.
fn backquote(at: usize) -> ParseError {
    ParseError::new(
        at,
        at + 1,
        "command substitution with backquotes (`` ` ``) is not supported",
        "write the command's output out literally; to mean the character itself, single-quote it",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(src: &str) -> LexWord {
        match read(src, 0) {
            Ok((Lexeme::Word(w), _)) => w,
            other => panic!("{src:?}: {other:?}"),
        }
    }

    fn parts(src: &str) -> Vec<WordPart> {
        word(src).word.parts
    }

    fn lit(s: &str) -> WordPart {
        WordPart::Literal(s.to_string())
    }

    fn err(src: &str) -> ParseError {
        match read(src, 0) {
            Err(e) => e,
            other => panic!("{src:?}: expected an error, got {other:?}"),
        }
    }

    #[test]
    fn stops_at_delimiters() {
        for src in [
            "ab cd", "ab\tcd", "ab\ncd", "ab;c", "ab&c", "ab|c", "ab<c", "ab>c", "ab(c", "ab)c",
        ] {
            let (lexeme, end) = read(src, 0).unwrap();
            assert_eq!(end, 2, "{src:?}");
            assert!(matches!(lexeme, Lexeme::Word(_)));
        }
    }

    #[test]
    fn single_quotes_are_literal() {
        assert_eq!(parts(r#"'a $$ \ * ~ # \"'"#), [lit(r#"a $$ \ * ~ # \""#)]);
        assert_eq!(parts("''"), [lit("")]);
    }

    #[test]
    fn adjacent_pieces_form_one_word() {
        let w = word(r#"a'b c'"d"\ e"#);
        assert_eq!(w.word.parts, [lit("ab cd e")]);
        assert_eq!(w.word.span, Span { start: 0, end: 12 });
        assert_eq!(w.plain, None);
        assert_eq!(w.unquoted_prefix, "a");
    }

    #[test]
    fn double_quotes_escape_only_five_characters() {
        assert_eq!(parts(r#""\$\`\"\\\n\a""#), [lit(r#"$`"\\n\a"#)]);
        assert_eq!(parts("\"a\\\nb\""), [lit("ab")]);
        assert_eq!(parts(r#""it's * ~""#), [lit("it's * ~")]);
    }

    #[test]
    fn backslash_outside_quotes() {
        assert_eq!(parts(r"\*\~\$\'"), [lit("*~$'")]);
        let w = word("ec\\\nho");
        assert_eq!(w.plain.as_deref(), Some("echo"));
    }

    #[test]
    fn special_parameters_expand_in_and_out_of_double_quotes() {
        assert_eq!(parts("$$"), [WordPart::ShellPid]);
        assert_eq!(parts("$?"), [WordPart::LastStatus]);
        assert_eq!(
            parts(r#"pid="$$".log:$?"#),
            [
                lit("pid="),
                WordPart::ShellPid,
                lit(".log:"),
                WordPart::LastStatus
            ]
        );
        assert_eq!(parts("'$$'"), [lit("$$")]);
        assert_eq!(parts(r"\$$"), [lit("$$")]);
    }

    #[test]
    fn lone_dollar_is_literal() {
        assert_eq!(parts("$"), [lit("$")]);
        assert_eq!(parts("a$"), [lit("a$")]);
        assert_eq!(parts("\"$\""), [lit("$")]);
        assert_eq!(parts("\"$'\""), [lit("$'")]);
        assert_eq!(parts("$/"), [lit("$/")]);
        assert_eq!(word("$ x").word.span.end, 1);
    }

    #[test]
    fn other_expansions_are_named() {
        let e = err("a$HOME/x");
        assert_eq!(e.span, Span { start: 1, end: 6 });
        assert_eq!(
            e.message,
            "variable `$HOME` is not supported; only `$$` and `$?` are expanded"
        );
        assert_eq!(
            e.hint,
            "write the value out, or single-quote it to keep the `$`: `'$HOME'`"
        );
        let e = err("\"${x:-y}\"");
        assert_eq!(e.span, Span { start: 1, end: 8 });
        assert!(e.message.starts_with("parameter expansion `${x:-y}`"));
        assert_eq!(err("${x").span, Span { start: 0, end: 2 });
        assert!(
            err("$(date)")
                .message
                .starts_with("command substitution `$(...)`")
        );
        assert!(err("$((1+1))").message.starts_with("arithmetic expansion"));
        assert!(err("`date`").message.contains("backquotes"));
        assert!(err("\"`date`\"").message.contains("backquotes"));
        assert!(err("$1").message.starts_with("positional parameter `$1`"));
        assert!(err("$!").message.starts_with("special parameter `$!`"));
        assert!(err("$'\\n'").message.contains("ANSI-C"));
        assert!(err("$\"x\"").message.contains("locale"));
    }

    #[test]
    fn pattern_characters_must_be_quoted() {
        let e = err("*.log");
        assert_eq!(e.span, Span { start: 0, end: 1 });
        assert_eq!(
            e.message,
            "unquoted `*` is a pattern character; pathname expansion (globbing) is not supported"
        );
        assert_eq!(e.hint, "quote it to mean the character itself: `'*.log'`");
        assert_eq!(err("a?").span, Span { start: 1, end: 2 });
        assert_eq!(err("x[1]").span, Span { start: 1, end: 2 });
        assert_eq!(
            err("'a'*").hint,
            "quote it to mean the character itself: `'*'`"
        );
        assert_eq!(parts("a]b{c}!d"), [lit("a]b{c}!d")]);
        let e = err("[[");
        assert_eq!(e.span, Span { start: 0, end: 2 });
        assert_eq!(e.message, "`[[` tests are not supported");
        assert_eq!(err("[").message, "`[` tests are not supported");
        assert!(err("[x").message.starts_with("unquoted `[`"));
    }

    #[test]
    fn tilde_only_at_word_start() {
        let e = err("~/x");
        assert_eq!(e.span, Span { start: 0, end: 1 });
        assert!(e.message.starts_with("tilde expansion"));
        assert!(e.hint.ends_with("`'~/x'`"));
        assert_eq!(parts("a~"), [lit("a~")]);
        assert_eq!(parts("'~'"), [lit("~")]);
    }

    #[test]
    fn unmatched_quotes_point_at_the_opening_one() {
        let e = err("ab'cd");
        assert_eq!(e.span, Span { start: 2, end: 3 });
        assert!(e.message.starts_with("unmatched `'`"));
        let e = err("a\"b\\\"");
        assert_eq!(e.span, Span { start: 1, end: 2 });
        assert!(e.message.starts_with("unmatched `\"`"));
        assert_eq!(err("a\\").span, Span { start: 1, end: 2 });
    }

    #[test]
    fn io_numbers() {
        assert_eq!(read("2>x", 0).unwrap(), (Lexeme::IoNumber(2), 1));
        assert_eq!(read("10<x", 0).unwrap(), (Lexeme::IoNumber(10), 2));
        assert!(matches!(read("2 >x", 0).unwrap().0, Lexeme::Word(_)));
        assert!(matches!(read("'2'>x", 0).unwrap().0, Lexeme::Word(_)));
        assert!(matches!(read("a2>x", 0).unwrap().0, Lexeme::Word(_)));
        assert!(err("99999999999>x").message.contains("too large"));
    }

    #[test]
    fn plain_and_prefix() {
        let w = word("X=1");
        assert_eq!(w.plain.as_deref(), Some("X=1"));
        assert_eq!(w.unquoted_prefix, "X=1");
        let w = word("X=\"a b\"c");
        assert_eq!(w.plain, None);
        assert_eq!(w.unquoted_prefix, "X=");
        assert_eq!(word("'X'=1").unquoted_prefix, "");
    }
}
