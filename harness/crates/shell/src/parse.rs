//! Recursive-descent parser for the grammar of XCU 2.10.2, restricted to
//! lists, and-or lists, subshells, brace groups and simple commands.
//!
//! One function per grammar rule. Reserved words are recognised here, not in
//! the lexer, because XCU 2.10.2 rule 1 makes them reserved only where the
//! grammar allows one: `echo if` runs `echo` with the argument `if`.

use crate::ast::{
    AndOr, Command, Connector, ListItem, Redirect, RedirectOp, Script, SimpleCommand, Span, Word,
    WordPart,
};
use crate::error::ParseError;
use crate::lex::{Lexer, Tok, Token};

/// Parses a whole script.
pub(crate) fn script(src: &str) -> Result<Script, ParseError> {
    let mut parser = Parser {
        src,
        lexer: Lexer::new(src),
        peeked: None,
        open_parens: 0,
        open_braces: 0,
    };
    parser.list(Closer::End)
}

/// The words the grammar reserves in command position (XCU 2.4, including
/// the ones it allows shells to reserve), apart from `{` and `}` which the
/// subset supports. A renderer must quote these as command names.
pub(crate) fn is_reserved(word: &str) -> bool {
    matches!(
        word,
        "!" | "{"
            | "}"
            | "case"
            | "do"
            | "done"
            | "elif"
            | "else"
            | "esac"
            | "fi"
            | "for"
            | "if"
            | "in"
            | "then"
            | "until"
            | "while"
            | "[["
            | "]]"
            | "function"
            | "select"
    )
}

/// How deeply subshells and groups may nest. Real scripts use a handful.
const MAX_NESTING: usize = 64;

/// What ends the list being parsed: where its closing token must be, and
/// where to point when it is missing.
#[derive(Clone, Copy)]
enum Closer {
    End,
    Paren(Span),
    Brace(Span),
}

struct Parser<'a> {
    src: &'a str,
    lexer: Lexer<'a>,
    peeked: Option<Token>,
    /// Subshells and groups open around the current list: a `)` inside a
    /// group inside a subshell means the group is unclosed, not that the
    /// `)` is stray.
    open_parens: usize,
    open_braces: usize,
}

impl Parser<'_> {
    fn peek(&mut self) -> Result<&Token, ParseError> {
        let token = match self.peeked.take() {
            Some(token) => token,
            None => self.lexer.next_token()?,
        };
        Ok(self.peeked.insert(token))
    }

    fn bump(&mut self) -> Result<Token, ParseError> {
        match self.peeked.take() {
            Some(token) => Ok(token),
            None => self.lexer.next_token(),
        }
    }

    /// Recursion guard: each nested subshell or group is a few stack frames,
    /// and a hostile line of a million `( ` must give an error, not a crash.
    fn enter(&mut self, open: Span) -> Result<(), ParseError> {
        if self.open_parens + self.open_braces >= MAX_NESTING {
            return Err(ParseError::new(
                open.start,
                open.end,
                format!(
                    "subshells and groups nested more than {MAX_NESTING} deep are not supported"
                ),
                "nest fewer levels: `(a; (b))`",
            ));
        }
        Ok(())
    }

    /// XCU 2.10.2 `linebreak`: newlines where the grammar allows them.
    fn skip_newlines(&mut self) -> Result<(), ParseError> {
        while self.peek()?.kind == Tok::Newline {
            self.bump()?;
        }
        Ok(())
    }

    /// How a token is named in messages.
    fn describe(&self, token: &Token) -> String {
        match token.kind {
            Tok::Eof => "the end of the input".into(),
            Tok::Newline => "a newline".into(),
            _ => format!("`{}`", &self.src[token.span.start..token.span.end]),
        }
    }

    /// XCU 2.9.3 Lists: and-or lists separated by `;`, `&` or newlines, up
    /// to the closer. An empty list is only accepted for the whole script
    /// (the caller checks), since `( )` and `{ }` are not in the grammar.
    fn list(&mut self, closer: Closer) -> Result<Script, ParseError> {
        let mut items = Vec::new();
        loop {
            self.skip_newlines()?;
            let token = self.peek()?.clone();
            let is_close_brace =
                matches!(&token.kind, Tok::Word(w) if w.plain.as_deref() == Some("}"));
            match (&token.kind, closer) {
                (Tok::Eof, Closer::End) => break,
                (Tok::RParen, Closer::Paren(_)) => break,
                (_, Closer::Brace(_)) if is_close_brace => break,
                (Tok::Eof, _) => return Err(self.unclosed(closer, &token)),
                (Tok::RParen, _) if self.open_parens > 0 => {
                    return Err(self.unclosed(closer, &token));
                }
                (_, _) if is_close_brace && self.open_braces > 0 => {
                    return Err(self.unclosed(closer, &token));
                }
                (Tok::RParen, _) => {
                    return Err(ParseError::new(
                        token.span.start,
                        token.span.end,
                        "`)` without a matching `(`",
                        "remove it, or quote it to mean the character itself: `')'`",
                    ));
                }
                _ if is_close_brace => {
                    return Err(ParseError::new(
                        token.span.start,
                        token.span.end,
                        "`}` without a matching `{`",
                        "remove it, or quote it: `'}'`; note that `{` must be a word of its own: `{ a; }`",
                    ));
                }
                _ => {}
            }
            let and_or = self.and_or()?;
            let token = self.peek()?.clone();
            let background = match &token.kind {
                Tok::Semi | Tok::Newline => {
                    self.bump()?;
                    false
                }
                Tok::Amp => {
                    self.bump()?;
                    true
                }
                // The closer: handled at the top of the loop.
                Tok::Eof | Tok::RParen => false,
                Tok::Word(w) if w.plain.as_deref() == Some("}") => false,
                _ => return Err(self.missing_separator(&and_or, &token)),
            };
            items.push(ListItem { and_or, background });
        }
        Ok(Script { items })
    }

    /// The error for a subshell or group whose closing token never comes:
    /// the text ends, or an outer construct's closing token comes first.
    fn unclosed(&self, closer: Closer, found: &Token) -> ParseError {
        match closer {
            Closer::Paren(open) => ParseError::new(
                open.start,
                open.end,
                "unmatched `(`: the subshell is never closed",
                "close it with `)`: `(a; b)`",
            ),
            Closer::Brace(open) => ParseError::new(
                open.start,
                open.end,
                "unmatched `{`: the group is never closed",
                "close it with `}` after a `;` or newline: `{ a; b; }` (in `{ a }` the `}` is an argument)",
            ),
            // Not reached: the whole script is closed by the end of the text.
            Closer::End => ParseError::new(
                found.span.start,
                found.span.end,
                format!("unexpected {}", self.describe(found)),
                "remove it",
            ),
        }
    }

    /// A token that cannot follow the command just parsed. A simple command
    /// takes every word and redirection, so this is a word after a compound
    /// command or a `(` after any command.
    fn missing_separator(&self, and_or: &AndOr, token: &Token) -> ParseError {
        let last = and_or.rest.last().map_or(&and_or.first, |(_, c)| c);
        let found = self.describe(token);
        let (message, hint) = match (last, &token.kind) {
            (Command::Simple(_), Tok::LParen) => (
                "unexpected `(` after a command: a subshell must start a command, and function definitions are not supported".to_string(),
                "separate the commands: `a; (b)`, or quote it to mean the character itself: `'('`".to_string(),
            ),
            (Command::Subshell { .. } | Command::Group { .. }, _) => {
                let close = if matches!(last, Command::Subshell { .. }) { ")" } else { "}" };
                (
                    format!("unexpected {found} after `{close}`: expected `;`, `&`, `&&`, `||` or a newline"),
                    format!("separate the commands with `;`: `{close}; {}`", found.trim_matches('`')),
                )
            }
            _ => (
                format!("unexpected {found}: expected `;`, `&`, `&&`, `||` or a newline"),
                "separate the commands with `;`: `a; b`".to_string(),
            ),
        };
        ParseError::new(token.span.start, token.span.end, message, hint)
    }

    /// XCU 2.9.3 AND-OR Lists: `&&` and `||`, left-associative, with
    /// newlines allowed after the operator.
    fn and_or(&mut self) -> Result<AndOr, ParseError> {
        let first = self.pipeline(None)?;
        let mut rest = Vec::new();
        loop {
            let token = self.peek()?.clone();
            let connector = match token.kind {
                Tok::AndIf => Connector::And,
                Tok::OrIf => Connector::Or,
                _ => break,
            };
            self.bump()?;
            self.skip_newlines()?;
            rest.push((connector, self.pipeline(Some(&token))?));
        }
        Ok(AndOr { first, rest })
    }

    /// XCU 2.9.2 Pipelines: commands joined by `|`, a newline allowed
    /// after each `|`. A single command stays itself.
    fn pipeline(&mut self, after: Option<&Token>) -> Result<Command, ParseError> {
        let first = self.command(after)?;
        let mut commands = vec![first];
        loop {
            let token = self.peek()?.clone();
            if token.kind != Tok::Pipe {
                break;
            }
            self.bump()?;
            self.skip_newlines()?;
            commands.push(self.command(Some(&token))?);
        }
        if commands.len() == 1 {
            return Ok(commands.remove(0));
        }
        let span = Span {
            start: commands[0].span().start,
            end: commands[commands.len() - 1].span().end,
        };
        Ok(Command::Pipeline { commands, span })
    }

    /// One command, in command position. `after` is the `&&`/`||` before
    /// it, if any, for the message when the command is missing.
    fn command(&mut self, after: Option<&Token>) -> Result<Command, ParseError> {
        let token = self.peek()?.clone();
        let (start, end) = (token.span.start, token.span.end);
        match &token.kind {
            Tok::LParen => self.subshell(),
            Tok::Word(w) => match w.plain.as_deref() {
                Some("{") => self.group(),
                Some(reserved) if is_reserved(reserved) => Err(match after {
                    Some(op) if reserved == "}" => self.missing_command(op, &token),
                    _ => reserved_word(reserved, start, end),
                }),
                _ => self.simple().map(Command::Simple),
            },
            Tok::IoNumber(_)
            | Tok::Less
            | Tok::Great
            | Tok::DGreat
            | Tok::LessAnd
            | Tok::GreatAnd => self.simple().map(Command::Simple),
            _ => Err(match after {
                Some(op) => self.missing_command(op, &token),
                None => {
                    let found = self.describe(&token);
                    ParseError::new(
                        start,
                        end,
                        format!("expected a command before {found}"),
                        format!("remove the {found}, or put a command before it"),
                    )
                }
            }),
        }
    }

    fn missing_command(&self, op: &Token, found: &Token) -> ParseError {
        let op_text = &self.src[op.span.start..op.span.end];
        ParseError::new(
            op.span.start,
            op.span.end,
            format!(
                "expected a command after `{op_text}`, found {}",
                self.describe(found)
            ),
            format!("finish the list: `a {op_text} b`"),
        )
    }

    /// XCU 2.9.4 Grouping Commands, `( compound-list )`.
    fn subshell(&mut self) -> Result<Command, ParseError> {
        let open = self.bump()?.span;
        self.enter(open)?;
        self.open_parens += 1;
        let body = self.list(Closer::Paren(open))?;
        self.open_parens -= 1;
        let close = self.bump()?.span;
        if body.items.is_empty() {
            return Err(ParseError::new(
                open.start,
                close.end,
                "empty subshell `( )`: it needs at least one command",
                "put a command inside: `(true)`",
            ));
        }
        let (redirects, span) = self.compound_redirects(open.start, close.end)?;
        Ok(Command::Subshell {
            body,
            redirects,
            span,
        })
    }

    /// XCU 2.9.4 Grouping Commands, `{ compound-list ; }`. The `}` is only
    /// recognised in command position (XCU 2.4), so it must follow `;`, `&`,
    /// a newline or another compound command.
    fn group(&mut self) -> Result<Command, ParseError> {
        let open = self.bump()?.span;
        self.enter(open)?;
        self.open_braces += 1;
        let body = self.list(Closer::Brace(open))?;
        self.open_braces -= 1;
        let close = self.bump()?.span;
        if body.items.is_empty() {
            return Err(ParseError::new(
                open.start,
                close.end,
                "empty group `{ }`: it needs at least one command",
                "put a command inside: `{ true; }`",
            ));
        }
        let (redirects, span) = self.compound_redirects(open.start, close.end)?;
        Ok(Command::Group {
            body,
            redirects,
            span,
        })
    }

    /// XCU 2.9.4: a compound command may be followed by redirections, which
    /// apply to all of it.
    fn compound_redirects(
        &mut self,
        start: usize,
        mut end: usize,
    ) -> Result<(Vec<Redirect>, Span), ParseError> {
        let mut redirects = Vec::new();
        while starts_redirect(&self.peek()?.kind) {
            let r = self.redirect()?;
            end = r.span.end;
            redirects.push(r);
        }
        Ok((redirects, Span { start, end }))
    }

    /// XCU 2.9.1 Simple Commands: words and redirections in any order. The
    /// subset needs a command name, and has no variable assignments.
    fn simple(&mut self) -> Result<SimpleCommand, ParseError> {
        let start = self.peek()?.span.start;
        let mut end = start;
        let mut words: Vec<Word> = Vec::new();
        let mut redirects: Vec<Redirect> = Vec::new();
        loop {
            let token = self.peek()?.clone();
            match token.kind {
                Tok::Word(w) => {
                    self.bump()?;
                    if words.is_empty() {
                        check_not_assignment(&w.unquoted_prefix, token.span)?;
                    }
                    end = token.span.end;
                    words.push(w.word);
                }
                ref kind if starts_redirect(kind) => {
                    let r = self.redirect()?;
                    end = r.span.end;
                    redirects.push(r);
                }
                _ => break,
            }
        }
        if words.is_empty() {
            let text = &self.src[start..end];
            return Err(ParseError::new(
                start,
                end,
                format!("`{text}` is a redirection without a command"),
                format!("put a command before it, e.g. `true {text}`"),
            ));
        }
        Ok(SimpleCommand {
            words,
            redirects,
            span: Span { start, end },
        })
    }

    /// XCU 2.7 Redirection: `[n]<word`, `[n]>word`, `[n]>>word`,
    /// `[n]<&m`, `[n]>&m`, `[n]<&-`, `[n]>&-`.
    fn redirect(&mut self) -> Result<Redirect, ParseError> {
        let mut token = self.bump()?;
        let start = token.span.start;
        let explicit_fd = match token.kind {
            Tok::IoNumber(n) => {
                // The lexer only makes an IO_NUMBER before `<` or `>`.
                token = self.bump()?;
                Some(n)
            }
            _ => None,
        };
        let op_text = self.src[token.span.start..token.span.end].to_string();
        let (default_fd, end, op) = match token.kind {
            // XCU 2.7.1, 2.7.2, 2.7.3.
            Tok::Less => {
                let w = self.target(&token, &op_text)?;
                (0, w.span.end, RedirectOp::Read(w))
            }
            Tok::Great => {
                let w = self.target(&token, &op_text)?;
                (1, w.span.end, RedirectOp::Write(w))
            }
            Tok::DGreat => {
                let w = self.target(&token, &op_text)?;
                (1, w.span.end, RedirectOp::Append(w))
            }
            // XCU 2.7.5 and 2.7.6.
            Tok::LessAnd => {
                let (end, op) = self.dup_target(&token, &op_text)?;
                (0, end, op)
            }
            Tok::GreatAnd => {
                let (end, op) = self.dup_target(&token, &op_text)?;
                (1, end, op)
            }
            _ => {
                return Err(ParseError::new(
                    token.span.start,
                    token.span.end,
                    format!(
                        "expected a redirection operator, found {}",
                        self.describe(&token)
                    ),
                    "write e.g. `2>/dev/null`",
                ));
            }
        };
        Ok(Redirect {
            fd: explicit_fd.unwrap_or(default_fd),
            op,
            span: Span { start, end },
        })
    }

    /// The file name after `<`, `>` or `>>`: required.
    fn target(&mut self, op: &Token, op_text: &str) -> Result<Word, ParseError> {
        let token = self.peek()?.clone();
        match token.kind {
            Tok::Word(w) => {
                self.bump()?;
                Ok(w.word)
            }
            _ => Err(ParseError::new(
                op.span.start,
                op.span.end,
                format!(
                    "expected a file name after `{op_text}`, found {}",
                    self.describe(&token)
                ),
                format!("name the file: `{op_text}/dev/null`"),
            )),
        }
    }

    /// The word after `<&` or `>&`: a file descriptor number or `-`.
    /// Returns the operation and where the word ends.
    fn dup_target(&mut self, op: &Token, op_text: &str) -> Result<(usize, RedirectOp), ParseError> {
        let token = self.peek()?.clone();
        let hint = if op_text == "<&" {
            "to read from a file, write `<file`"
        } else {
            "to send stdout and stderr to a file, write `>file 2>&1`"
        };
        let Tok::Word(w) = &token.kind else {
            return Err(ParseError::new(
                op.span.start,
                op.span.end,
                format!(
                    "expected a file descriptor number or `-` after `{op_text}`, found {}",
                    self.describe(&token)
                ),
                hint,
            ));
        };
        self.bump()?;
        let end = token.span.end;
        let text = literal_text(&w.word);
        match text.as_deref() {
            Some("-") => Ok((end, RedirectOp::Close)),
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                digits
                    .parse()
                    .map(|m| (end, RedirectOp::Dup(m)))
                    .map_err(|_| {
                        ParseError::new(
                            token.span.start,
                            token.span.end,
                            format!("file descriptor `{digits}` is too large"),
                            "use a small number, e.g. `2>&1`",
                        )
                    })
            }
            _ => Err(ParseError::new(
                op.span.start,
                token.span.end,
                format!(
                    "`{op_text}` needs a file descriptor number or `-`, found {}",
                    self.describe(&token)
                ),
                hint,
            )),
        }
    }
}

fn starts_redirect(kind: &Tok) -> bool {
    matches!(
        kind,
        Tok::IoNumber(_) | Tok::Less | Tok::Great | Tok::DGreat | Tok::LessAnd | Tok::GreatAnd
    )
}

/// The text of a word without expansions, after quote removal.
fn literal_text(word: &Word) -> Option<String> {
    word.parts
        .iter()
        .map(|part| match part {
            WordPart::Literal(s) => Some(s.as_str()),
            _ => None,
        })
        .collect()
}

/// XCU 2.10.2 rule 7: a command word whose unquoted start is `NAME=` is a
/// variable assignment. Returns the name. A renderer must quote such words.
pub(crate) fn assignment_name(unquoted_prefix: &str) -> Option<&str> {
    let name = &unquoted_prefix[..unquoted_prefix.find('=')?];
    // XCU 3.235 Name: letters, digits and underscores, not starting with a digit.
    let is_name = name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
        && name.bytes().all(|b| b == b'_' || b.is_ascii_alphanumeric());
    is_name.then_some(name)
}

/// The subset has no variables, so it has no assignments either.
fn check_not_assignment(prefix: &str, span: Span) -> Result<(), ParseError> {
    let Some(name) = assignment_name(prefix) else {
        return Ok(());
    };
    Err(ParseError::new(
        span.start,
        span.end,
        format!("variable assignment `{name}=...` is not supported"),
        format!(
            "to pass it to a command, write `env {name}=... cmd`; to run a command by that name, quote it: `'{name}=...'`"
        ),
    ))
}

/// XCU 2.4 Reserved Words: the compound commands the subset leaves out.
fn reserved_word(word: &str, start: usize, end: usize) -> ParseError {
    let (message, hint) = match word {
        "if" | "case" => (
            format!("`{word}` is not supported"),
            "choose with `&&` and `||`: `a && b || c`".to_string(),
        ),
        "while" | "until" | "for" | "select" => (
            format!("`{word}` loops are not supported"),
            "write the commands out one after another: `a; a; a`".to_string(),
        ),
        "function" => (
            "function definitions are not supported".to_string(),
            "write the commands out where they are used".to_string(),
        ),
        "!" => (
            "`!` (negating an exit status) is not supported".to_string(),
            "invert with `&&` and `||`: `a && false || true`".to_string(),
        ),
        _ => (
            format!(
                "`{word}` is a reserved word, and the compound command it belongs to is not supported"
            ),
            format!("to run a command by that name, quote it: `'{word}'`"),
        ),
    };
    ParseError::new(start, end, message, hint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse as parse_str;

    fn ok(src: &str) -> Script {
        parse_str(src).unwrap_or_else(|e| panic!("{src:?}: {e}"))
    }

    fn err(src: &str) -> ParseError {
        match parse_str(src) {
            Err(e) => e,
            Ok(s) => panic!("{src:?} parsed as {s:?}"),
        }
    }

    fn span(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The commands of a script as text, with `&` marking background items.
    fn shape(src: &str) -> Vec<String> {
        ok(src)
            .items
            .iter()
            .map(|item| format!("{}{}", item.and_or, if item.background { " &" } else { "" }))
            .collect()
    }

    fn simple(command: &Command) -> &SimpleCommand {
        match command {
            Command::Simple(s) => s,
            other => panic!("not a simple command: {other:?}"),
        }
    }

    fn only_command(src: &str) -> Command {
        let script = ok(src);
        assert_eq!(script.items.len(), 1, "{src:?}");
        script.items[0].and_or.first.clone()
    }

    fn lit(s: &str) -> WordPart {
        WordPart::Literal(s.into())
    }

    #[test]
    fn empty_scripts() {
        for src in ["", "   ", "\n\n", "# only a comment", "\t# c1\n  # c2\n"] {
            assert_eq!(ok(src).items, [], "{src:?}");
        }
    }

    #[test]
    fn pipelines() {
        assert_eq!(
            shape("a | b |\n c && d | e & f"),
            ["a | b | c && d | e &", "f"]
        );
        let Command::Pipeline { commands, span: at } = only_command("cat big | ( wc -c ) >o")
        else {
            panic!("not a pipeline");
        };
        assert_eq!(commands.len(), 2);
        assert_eq!(at, span(0, 22));
        assert!(matches!(commands[1], Command::Subshell { .. }));
        let e = err("a |");
        assert_eq!(e.span, span(2, 3));
        assert!(e.message.contains("after `|`"), "{}", e.message);
        assert_eq!(err("| a").span, span(0, 1));
        assert_eq!(err("a | | b").span, span(2, 3));
    }

    #[test]
    fn lists() {
        assert_eq!(
            shape("a; b & c && d || e\nf"),
            ["a", "b &", "c && d || e", "f"]
        );
        assert_eq!(shape("a;"), ["a"]);
        assert_eq!(shape("a &"), ["a &"]);
        assert_eq!(shape("a&b"), ["a &", "b"]);
        assert_eq!(shape("\n a \n\n b \n"), ["a", "b"]);
        assert_eq!(shape("a &&\n\n b ||\n c"), ["a && b || c"]);
        let script = ok("a && b || c");
        let and_or = &script.items[0].and_or;
        let connectors: Vec<_> = and_or.rest.iter().map(|(c, _)| *c).collect();
        assert_eq!(connectors, [Connector::And, Connector::Or]);
    }

    #[test]
    fn subshells() {
        let Command::Subshell {
            body,
            redirects,
            span: s,
        } = only_command("(sleep 1; echo late) >log")
        else {
            panic!("not a subshell")
        };
        assert_eq!(body.items.len(), 2);
        assert_eq!(redirects.len(), 1);
        assert_eq!(s, span(0, 25));
        assert_eq!(shape("(a)&b"), ["( a ) &", "b"]);
        assert_eq!(shape("( (a) ) && (b\n)"), ["( ( a ) ) && ( b )"]);
    }

    #[test]
    fn groups() {
        let Command::Group {
            body,
            redirects,
            span: s,
        } = only_command("{ sleep 1; } 2>&1")
        else {
            panic!("not a group")
        };
        assert_eq!(body.items.len(), 1);
        assert_eq!(redirects[0].op, RedirectOp::Dup(1));
        assert_eq!(s, span(0, 17));
        assert_eq!(shape("{ a & }"), ["{ a & }"]);
        assert_eq!(shape("{ a\n}"), ["{ a; }"]);
        assert_eq!(shape("{ a;}"), ["{ a; }"]);
        // After a compound command `}` is in command position too.
        assert_eq!(shape("{ (a) }"), ["{ ( a ); }"]);
        assert_eq!(shape("{ { a; } }"), ["{ { a; }; }"]);
    }

    #[test]
    fn braces_are_reserved_only_in_command_position() {
        let command = only_command("echo { } if");
        assert_eq!(simple(&command).words.len(), 4);
        let e = err("{ echo }");
        assert_eq!(e.span, span(0, 1));
        assert_eq!(e.message, "unmatched `{`: the group is never closed");
        let e = err("{a; }");
        assert_eq!(e.span, span(4, 5));
        assert_eq!(e.message, "`}` without a matching `{`");
        let script = ok("'{' a; '}'");
        assert_eq!(
            simple(&script.items[0].and_or.first).words[0].parts,
            [lit("{")]
        );
        assert_eq!(
            simple(&script.items[1].and_or.first).words[0].parts,
            [lit("}")]
        );
    }

    #[test]
    fn simple_commands_mix_words_and_redirections() {
        let command = only_command("2>&1 >out cmd a <in b");
        let s = simple(&command);
        let words: Vec<String> = s.words.iter().map(|w| w.to_string()).collect();
        assert_eq!(words, ["cmd", "a", "b"]);
        assert_eq!(s.redirects.len(), 3);
        assert_eq!(s.span, span(0, 21));
        assert_eq!(s.words[1].span, span(14, 15));
        assert_eq!(s.redirects[1].span, span(5, 9));
    }

    #[test]
    fn a_redirection_needs_a_command() {
        let e = err(">file");
        assert_eq!(e.span, span(0, 5));
        assert_eq!(e.message, "`>file` is a redirection without a command");
        assert_eq!(e.hint, "put a command before it, e.g. `true >file`");
        assert_eq!(err("a; 2>/dev/null >x &").span, span(3, 17));
        assert_eq!(err("( >x )").span, span(2, 4));
    }

    #[test]
    fn words_and_parameters() {
        let command = only_command("echo '' \"\" a\"b\"'c' \"$$\"x $?");
        let parts: Vec<_> = simple(&command)
            .words
            .iter()
            .map(|w| w.parts.clone())
            .collect();
        assert_eq!(
            parts,
            [
                vec![lit("echo")],
                vec![lit("")],
                vec![lit("")],
                vec![lit("abc")],
                vec![WordPart::ShellPid, lit("x")],
                vec![WordPart::LastStatus],
            ]
        );
    }

    #[test]
    fn redirections() {
        let cases: &[(&str, u32, RedirectOp)] = &[
            (
                "<a",
                0,
                RedirectOp::Read(Word {
                    parts: vec![lit("a")],
                    span: span(3, 4),
                }),
            ),
            (
                ">a",
                1,
                RedirectOp::Write(Word {
                    parts: vec![lit("a")],
                    span: span(3, 4),
                }),
            ),
            (
                ">>a",
                1,
                RedirectOp::Append(Word {
                    parts: vec![lit("a")],
                    span: span(4, 5),
                }),
            ),
            (
                "3<a",
                3,
                RedirectOp::Read(Word {
                    parts: vec![lit("a")],
                    span: span(4, 5),
                }),
            ),
            (
                "3> a",
                3,
                RedirectOp::Write(Word {
                    parts: vec![lit("a")],
                    span: span(5, 6),
                }),
            ),
            (
                "3>>a",
                3,
                RedirectOp::Append(Word {
                    parts: vec![lit("a")],
                    span: span(5, 6),
                }),
            ),
            ("2>&1", 2, RedirectOp::Dup(1)),
            ("2>& 1", 2, RedirectOp::Dup(1)),
            (">&2", 1, RedirectOp::Dup(2)),
            ("0<&3", 0, RedirectOp::Dup(3)),
            ("<&3", 0, RedirectOp::Dup(3)),
            ("4<&'5'", 4, RedirectOp::Dup(5)),
            ("2>&-", 2, RedirectOp::Close),
            ("<&-", 0, RedirectOp::Close),
            (">&-", 1, RedirectOp::Close),
        ];
        for (text, fd, op) in cases {
            let src = format!("x {text}");
            let command = only_command(&src);
            let r = &simple(&command).redirects[0];
            assert_eq!((r.fd, &r.op), (*fd, op), "{src:?}");
            assert_eq!(r.span, span(2, src.len()), "{src:?}");
        }
    }

    #[test]
    fn bad_redirections() {
        let e = err("cat >");
        assert_eq!(e.span, span(4, 5));
        assert_eq!(
            e.message,
            "expected a file name after `>`, found the end of the input"
        );
        assert_eq!(e.hint, "name the file: `>/dev/null`");
        assert_eq!(
            err("cat 2>> ; x").message,
            "expected a file name after `>>`, found `;`"
        );
        let e = err("cmd >&file");
        assert_eq!(e.span, span(4, 10));
        assert_eq!(
            e.message,
            "`>&` needs a file descriptor number or `-`, found `file`"
        );
        assert_eq!(
            e.hint,
            "to send stdout and stderr to a file, write `>file 2>&1`"
        );
        assert_eq!(err("cmd <&in").hint, "to read from a file, write `<file`");
        assert!(err("cmd >&$$").message.starts_with("`>&` needs"));
        assert!(
            err("cmd 2>&")
                .message
                .starts_with("expected a file descriptor number")
        );
        assert!(err("cmd 2>&99999999999").message.contains("too large"));
    }

    #[test]
    fn reserved_words_in_command_position() {
        for (src, needle) in [
            ("if true; then a; fi", "`if` is not supported"),
            ("case x in", "`case` is not supported"),
            ("while true", "`while` loops"),
            ("until a", "`until` loops"),
            ("for x in a b", "`for` loops"),
            ("function f", "function definitions"),
            ("! false", "`!` (negating"),
            ("then", "`then` is a reserved word"),
            ("a; fi", "`fi` is a reserved word"),
            ("a && done", "`done` is a reserved word"),
            ("(esac)", "`esac` is a reserved word"),
        ] {
            let e = err(src);
            assert!(e.message.contains(needle), "{src:?}: {}", e.message);
        }
        assert_eq!(err("a; if x").span, span(3, 5));
        // Elsewhere they are ordinary words.
        assert_eq!(shape("echo if then ! fi"), ["echo if then '!' fi"]);
        assert_eq!(shape("'if' x; \\! y"), ["'if' x", "'!' y"]);
    }

    #[test]
    fn assignments_are_rejected() {
        let e = err("X=1 cmd");
        assert_eq!(e.span, span(0, 3));
        assert_eq!(e.message, "variable assignment `X=...` is not supported");
        assert_eq!(
            e.hint,
            "to pass it to a command, write `env X=... cmd`; to run a command by that name, quote it: `'X=...'`"
        );
        assert_eq!(err("a; _x1=\"a b\" cmd").span, span(3, 12));
        assert_eq!(err(">f X=1").span, span(3, 6));
        // Not in command-name position, or not `NAME=`: ordinary words.
        assert_eq!(shape("env X=1 cmd"), ["env X=1 cmd"]);
        assert_eq!(shape("'X=1' cmd"), ["'X=1' cmd"]);
        assert_eq!(shape("a-b=c =d 1x=2"), ["a-b=c =d 1x=2"]);
        assert_eq!(shape("'a=b' c=d"), ["'a=b' c=d"]);
    }

    #[test]
    fn unmatched_and_stray_brackets() {
        let e = err("(a; (b)");
        assert_eq!(e.span, span(0, 1));
        assert_eq!(e.message, "unmatched `(`: the subshell is never closed");
        assert_eq!(err("{ a; ( b; }").span, span(5, 6));
        let e = err("a)");
        assert_eq!(e.span, span(1, 2));
        assert_eq!(e.message, "`)` without a matching `(`");
        assert_eq!(err("{ a; ) }").span, span(5, 6));
        assert_eq!(err("(a; })").span, span(4, 5));
        assert_eq!(err("}").message, "`}` without a matching `{`");
        let e = err("( )");
        assert_eq!(e.span, span(0, 3));
        assert_eq!(
            e.message,
            "empty subshell `( )`: it needs at least one command"
        );
        assert_eq!(
            err("{ }").message,
            "empty group `{ }`: it needs at least one command"
        );
        assert_eq!(err("{\n}").span, span(0, 3));
    }

    #[test]
    fn missing_commands() {
        let e = err("; a");
        assert_eq!(e.span, span(0, 1));
        assert_eq!(e.message, "expected a command before `;`");
        assert_eq!(e.hint, "remove the `;`, or put a command before it");
        assert_eq!(err("a; & b").message, "expected a command before `&`");
        assert_eq!(err("&& b").message, "expected a command before `&&`");
        let e = err("a && ; b");
        assert_eq!(e.span, span(2, 4));
        assert_eq!(e.message, "expected a command after `&&`, found `;`");
        assert_eq!(e.hint, "finish the list: `a && b`");
        assert_eq!(
            err("a ||\n").message,
            "expected a command after `||`, found the end of the input"
        );
        assert_eq!(
            err("{ a && }").message,
            "expected a command after `&&`, found `}`"
        );
        assert_eq!(
            err("(a ||)").message,
            "expected a command after `||`, found `)`"
        );
    }

    #[test]
    fn missing_separators() {
        let e = err("(a) b");
        assert_eq!(e.span, span(4, 5));
        assert_eq!(
            e.message,
            "unexpected `b` after `)`: expected `;`, `&`, `&&`, `||` or a newline"
        );
        assert_eq!(e.hint, "separate the commands with `;`: `); b`");
        assert!(
            err("{ a; } (b)")
                .message
                .starts_with("unexpected `(` after `}`")
        );
        let e = err("f() { a; }");
        assert_eq!(e.span, span(1, 2));
        assert!(e.message.contains("function definitions are not supported"));
        assert!(
            err("echo (a)")
                .message
                .starts_with("unexpected `(` after a command")
        );
    }

    #[test]
    fn nesting_is_limited() {
        let deep = |n: usize| format!("{}a{}", "( ".repeat(n), " )".repeat(n));
        assert_eq!(ok(&deep(64)).to_shell(), deep(64));
        let e = err(&deep(65));
        assert_eq!(e.span, span(128, 129));
        assert!(e.message.contains("nested more than 64 deep"));
        // Far past the limit: still an error, not a stack overflow.
        assert!(err(&"{ (".repeat(1_000_000)).message.contains("nested"));
    }

    #[test]
    fn comments_and_continuations() {
        assert_eq!(shape("a # b; c"), ["a"]);
        assert_eq!(shape("a #b\nc"), ["a", "c"]);
        assert_eq!(shape("a#b"), ["'a#b'"]);
        assert_eq!(shape("echo a \\\n  b"), ["echo a b"]);
    }

    #[test]
    fn lexer_errors_surface_with_their_spans() {
        let e = err("ssh server 'sleep 30 &");
        assert_eq!(e.span, span(11, 12));
        assert_eq!(err("echo ok; ls *").span, span(12, 13));
        assert_eq!(err("cd ~").span, span(3, 4));
        assert_eq!(err("echo $HOME").span, span(5, 10));
        assert_eq!(err("ps | grep *").span, span(10, 11));
        // The first problem in the text is the one reported.
        assert_eq!(err(") | x").span, span(0, 1));
    }
}
