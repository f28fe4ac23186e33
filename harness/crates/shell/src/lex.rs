//! Token recognition (XCU 2.3): splits the text into operators, words and
//! newlines, skipping blanks and comments.
//!
//! The lexer knows nothing of command position: whether a word is a
//! reserved word depends on the grammar (XCU 2.10.2 rule 1), so that is the
//! parser's decision. Tokens are produced on demand, so the first error in
//! the text is the one reported.

use crate::ast::Span;
use crate::error::ParseError;
use crate::word::{self, LexWord, Lexeme};

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub kind: Tok,
    pub span: Span,
}

/// The tokens of XCU 2.10.1, limited to the operators of the subset.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Word(LexWord),
    IoNumber(u32),
    Newline,
    /// `;`
    Semi,
    /// `&`
    Amp,
    /// `&&`
    AndIf,
    /// `||`
    OrIf,
    /// `|`
    Pipe,
    LParen,
    RParen,
    /// `<`
    Less,
    /// `>`
    Great,
    /// `>>`
    DGreat,
    /// `<&`
    LessAnd,
    /// `>&`
    GreatAnd,
    Eof,
}

pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Lexer { src, pos: 0 }
    }

    pub(crate) fn next_token(&mut self) -> Result<Token, ParseError> {
        self.skip_blanks();
        let start = self.pos;
        let mut chars = self.src[start..].chars();
        let Some(c) = chars.next() else {
            return Ok(self.token(Tok::Eof, start, 0));
        };
        let c2 = chars.next();
        let c3 = chars.next();
        let reject = |len: usize, message: &str, hint: &str| {
            Err(ParseError::new(start, start + len, message, hint))
        };
        // XCU 2.3 rule 2/3: an operator is the longest sequence of operator
        // characters that forms one, so `;;` or `<<` must be looked at whole
        // even though the subset rejects them.
        let token = match (c, c2) {
            ('\n', _) => self.token(Tok::Newline, start, 1),
            (';', Some(';')) => {
                return reject(
                    2,
                    "`;;` ends a `case` item, and `case` is not supported",
                    "separate commands with a single `;`: `a; b`",
                );
            }
            (';', _) => self.token(Tok::Semi, start, 1),
            ('&', Some('&')) => self.token(Tok::AndIf, start, 2),
            ('&', Some('>')) => {
                return reject(
                    2,
                    "`&>` is a bash extension, not POSIX sh",
                    "to send stdout and stderr to a file, write `>file 2>&1`",
                );
            }
            ('&', _) => self.token(Tok::Amp, start, 1),
            ('|', Some('|')) => self.token(Tok::OrIf, start, 2),
            ('|', Some('&')) => {
                return reject(
                    2,
                    "`|&` is a bash extension, not POSIX sh",
                    "to pipe stdout and stderr, write `a 2>&1 | b`",
                );
            }
            ('|', _) => self.token(Tok::Pipe, start, 1),
            // XCU 2.9.4: `((` may start an arithmetic command in other
            // shells, so POSIX requires nested subshells to be spaced.
            ('(', Some('(')) => {
                return reject(
                    2,
                    "`((` starts arithmetic evaluation in bash and ksh, and is unspecified in POSIX sh",
                    "to nest subshells, put a space between the parentheses: `( (a) )`",
                );
            }
            ('(', _) => self.token(Tok::LParen, start, 1),
            (')', _) => self.token(Tok::RParen, start, 1),
            // XCU 2.7.4 Here-Document (and bash's here-string).
            ('<', Some('<')) if c3 == Some('<') => {
                return reject(
                    3,
                    "here-strings (`<<<`) are not supported",
                    "put the input in a file and redirect it: `cmd <file`",
                );
            }
            ('<', Some('<')) => {
                return reject(
                    2,
                    "here-documents (`<<`) are not supported",
                    "put the input in a file and redirect it: `cmd <file`",
                );
            }
            // XCU 2.7.7 Open File Descriptors for Reading and Writing.
            ('<', Some('>')) => {
                return reject(
                    2,
                    "`<>` (open for reading and writing) is not supported",
                    "open the file for one direction: `<file` or `>file`",
                );
            }
            ('<', Some('&')) => self.token(Tok::LessAnd, start, 2),
            ('<', _) => self.token(Tok::Less, start, 1),
            ('>', Some('>')) => self.token(Tok::DGreat, start, 2),
            ('>', Some('&')) => self.token(Tok::GreatAnd, start, 2),
            // XCU 2.7.2: `>|` only differs from `>` under `set -C`, which
            // the subset does not have.
            ('>', Some('|')) => {
                return reject(
                    2,
                    "`>|` (override noclobber) is not supported",
                    "write `>file`",
                );
            }
            ('>', _) => self.token(Tok::Great, start, 1),
            _ => {
                let (lexeme, end) = word::read(self.src, start)?;
                let kind = match lexeme {
                    Lexeme::Word(w) => Tok::Word(w),
                    Lexeme::IoNumber(n) => Tok::IoNumber(n),
                };
                self.token(kind, start, end - start)
            }
        };
        Ok(token)
    }

    fn token(&mut self, kind: Tok, start: usize, len: usize) -> Token {
        self.pos = start + len;
        Token {
            kind,
            span: Span {
                start,
                end: start + len,
            },
        }
    }

    /// Skips blanks, line continuations (XCU 2.2.1) and comments (XCU 2.3
    /// rule 9: `#` at the start of a token runs to the end of the line; the
    /// newline itself is still a token).
    fn skip_blanks(&mut self) {
        loop {
            let rest = &self.src[self.pos..];
            if rest.starts_with([' ', '\t']) {
                self.pos += 1;
            } else if rest.starts_with("\\\n") {
                self.pos += 2;
            } else if rest.starts_with('#') {
                self.pos += rest.find('\n').unwrap_or(rest.len());
            } else {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The token kinds of `src`, words shown as their plain text.
    fn kinds(src: &str) -> Vec<String> {
        let mut lexer = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let token = lexer.next_token().unwrap();
            out.push(match token.kind {
                Tok::Eof => break,
                Tok::Word(w) => format!("w:{}", w.plain.unwrap_or_else(|| "?".into())),
                Tok::IoNumber(n) => format!("io:{n}"),
                other => format!("{other:?}"),
            });
        }
        out
    }

    fn first_error(src: &str) -> ParseError {
        let mut lexer = Lexer::new(src);
        loop {
            match lexer.next_token() {
                Err(e) => return e,
                Ok(Token { kind: Tok::Eof, .. }) => panic!("{src:?} lexed without error"),
                Ok(_) => {}
            }
        }
    }

    #[test]
    fn operators() {
        assert_eq!(
            kinds("a;b&c&&d||e(f)\n"),
            [
                "w:a", "Semi", "w:b", "Amp", "w:c", "AndIf", "w:d", "OrIf", "w:e", "LParen", "w:f",
                "RParen", "Newline"
            ]
        );
        assert_eq!(
            kinds("<a >b >>c <&0 >&1 2>&- 0<x"),
            [
                "Less", "w:a", "Great", "w:b", "DGreat", "w:c", "LessAnd", "w:0", "GreatAnd",
                "w:1", "io:2", "GreatAnd", "w:-", "io:0", "Less", "w:x"
            ]
        );
    }

    #[test]
    fn blanks_comments_and_continuations() {
        assert_eq!(
            kinds("  a\t b # c d\n#e\nf#g"),
            ["w:a", "w:b", "Newline", "Newline", "w:f#g"]
        );
        assert_eq!(kinds("a;#c"), ["w:a", "Semi"]);
        assert_eq!(kinds("a \\\n b"), ["w:a", "w:b"]);
        assert_eq!(kinds(""), Vec::<String>::new());
    }

    #[test]
    fn spans() {
        let mut lexer = Lexer::new(" ab  >>c");
        assert_eq!(lexer.next_token().unwrap().span, Span { start: 1, end: 3 });
        assert_eq!(lexer.next_token().unwrap().span, Span { start: 5, end: 7 });
        assert_eq!(lexer.next_token().unwrap().span, Span { start: 7, end: 8 });
        assert_eq!(lexer.next_token().unwrap().span, Span { start: 8, end: 8 });
    }

    #[test]
    fn rejected_operators() {
        for (src, start, end, needle) in [
            ("cat <<EOF", 4, 6, "here-documents"),
            ("cat <<-EOF", 4, 6, "here-documents"),
            ("cat <<<x", 4, 7, "here-strings"),
            ("cat <>f", 4, 6, "`<>`"),
            ("a;; b", 1, 3, "`;;`"),
            ("a &>f", 2, 4, "`&>`"),
            ("a &>>f", 2, 4, "`&>`"),
            ("a |& b", 2, 4, "`|&`"),
            ("a >|f", 2, 4, "`>|`"),
            ("((a))", 0, 2, "`((`"),
        ] {
            let e = first_error(src);
            assert_eq!(e.span, Span { start, end }, "{src:?}");
            assert!(e.message.contains(needle), "{src:?}: {}", e.message);
        }
    }
}
