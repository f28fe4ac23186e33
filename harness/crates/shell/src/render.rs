//! Rendering a syntax tree back to shell text, in one canonical form: the
//! form traces print, and one that parses back to the same tree.
//!
//! Canonical means: single spaces, `; ` between foreground items, words
//! before redirections, default file descriptors left out, and any word
//! that is not made only of safe characters single-quoted (XCU 2.2.2).

use std::fmt::{self, Display, Formatter, Write};

use crate::ast::{
    AndOr, Command, Connector, Redirect, RedirectOp, Script, SimpleCommand, Word, WordPart,
};
use crate::parse::{assignment_name, is_reserved};

impl Script {
    /// The canonical text of the script, e.g. `(sleep 1; echo late) & echo early`.
    pub fn to_shell(&self) -> String {
        self.to_string()
    }
}

impl Display for Script {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                // `&` already separates; a foreground item needs `;`.
                let sep = if self.items[i - 1].background {
                    " "
                } else {
                    "; "
                };
                f.write_str(sep)?;
            }
            write!(f, "{}", item.and_or)?;
            if item.background {
                f.write_str(" &")?;
            }
        }
        Ok(())
    }
}

impl Display for AndOr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.first)?;
        for (connector, command) in &self.rest {
            let op = match connector {
                Connector::And => "&&",
                Connector::Or => "||",
            };
            write!(f, " {op} {command}")?;
        }
        Ok(())
    }
}

impl Display for Command {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let redirects = match self {
            Command::Simple(simple) => return write!(f, "{simple}"),
            Command::Pipeline { commands, .. } => {
                for (i, command) in commands.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{command}")?;
                }
                return Ok(());
            }
            Command::Subshell {
                body, redirects, ..
            } => {
                // Spaced as bash's print_command writes it (and as its
                // job notices show it); XCU 2.9.4 needs `( (` spaced
                // anyway, so that it is not arithmetic.
                write!(f, "( {body} )")?;
                redirects
            }
            Command::Group {
                body, redirects, ..
            } => {
                // XCU 2.9.4: `}` must follow a separator to be recognised.
                let ends_in_background = body.items.last().is_some_and(|item| item.background);
                let sep = if ends_in_background { "" } else { ";" };
                write!(f, "{{ {body}{sep} }}")?;
                redirects
            }
        };
        for redirect in redirects {
            write!(f, " {redirect}")?;
        }
        Ok(())
    }
}

impl Display for SimpleCommand {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, word) in self.words.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            write_word(f, word, i == 0)?;
        }
        for redirect in &self.redirects {
            write!(f, " {redirect}")?;
        }
        Ok(())
    }
}

impl Display for Redirect {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let (op, default_fd, target) = match &self.op {
            RedirectOp::Read(w) => ("<", 0, Some(w)),
            RedirectOp::Write(w) => (">", 1, Some(w)),
            RedirectOp::Append(w) => (">>", 1, Some(w)),
            // `n<&m` and `n>&m` both duplicate m onto n (XCU 2.7.5-2.7.6);
            // `<&` is the form whose default is fd 0.
            RedirectOp::Dup(_) | RedirectOp::Close if self.fd == 0 => ("<&", 0, None),
            RedirectOp::Dup(_) | RedirectOp::Close => (">&", 1, None),
        };
        if self.fd != default_fd {
            write!(f, "{}", self.fd)?;
        }
        f.write_str(op)?;
        match (&self.op, target) {
            (_, Some(word)) => write_word(f, word, false),
            (RedirectOp::Dup(m), None) => write!(f, "{m}"),
            _ => f.write_char('-'),
        }
    }
}

impl Display for Word {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_word(f, self, false)
    }
}

/// Writes a word so that it reads back as the same parts. As a command name
/// a word must also not read as a reserved word (XCU 2.4) or an assignment
/// (XCU 2.10.2 rule 7), so those are quoted too.
fn write_word(f: &mut Formatter<'_>, word: &Word, command_name: bool) -> fmt::Result {
    let empty = word
        .parts
        .iter()
        .all(|part| matches!(part, WordPart::Literal(s) if s.is_empty()));
    if empty {
        return f.write_str("''");
    }
    for (i, part) in word.parts.iter().enumerate() {
        match part {
            WordPart::Literal(s) if s.is_empty() => {}
            WordPart::Literal(s) => {
                let special = command_name
                    && i == 0
                    && (assignment_name(s).is_some() || (word.parts.len() == 1 && is_reserved(s)));
                if !special && s.chars().all(is_safe) {
                    f.write_str(s)?;
                } else {
                    write_single_quoted(f, s)?;
                }
            }
            WordPart::ShellPid => f.write_str("$$")?,
            WordPart::LastStatus => f.write_str("$?")?,
        }
    }
    Ok(())
}

/// Characters that mean themselves anywhere in an unquoted word.
fn is_safe(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '_' | '-' | '.' | '/' | ':' | ',' | '+' | '@' | '%' | '=')
}

/// XCU 2.2.2: nothing is special inside single quotes except the closing
/// quote, so a `'` is written as `'\''` (close, escaped quote, reopen).
fn write_single_quoted(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('\'')?;
    for (i, piece) in s.split('\'').enumerate() {
        if i > 0 {
            f.write_str("'\\''")?;
        }
        f.write_str(piece)?;
    }
    f.write_char('\'')
}

#[cfg(test)]
mod tests {
    use crate::ast::{Script, Span, Word, WordPart};
    use crate::parse;
    use crate::testutil::without_spans;

    fn roundtrip(src: &str) -> String {
        let script = parse(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
        let text = script.to_shell();
        let again = parse(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        assert_eq!(
            without_spans(&again),
            without_spans(&script),
            "{src:?} -> {text:?}"
        );
        text
    }

    #[test]
    fn scenario_lines_are_already_canonical() {
        for line in [
            "ssh server 'sleep 30 &'",
            "ssh -n -o ServerAliveInterval=1 server 'sleep 30 >/dev/null 2>&1 &'",
            "nohup sleep 5 &",
            "setsid -f sleep 5",
            "( sleep 1; echo late ) & echo early",
            "kill -TERM $$",
            "exit 7",
            "trap 'echo bye' HUP; sleep 60",
            "timeout -k 1 5 ssh server 'sleep 60'",
            "sh -c 'sleep 3 &'",
            "echo $? && false || true",
            "{ sleep 1; } 2>&1",
            "sleep 30 &",
            "ssh -o ServerAliveCountMax=3 user@host.example:22 true",
        ] {
            assert_eq!(roundtrip(line), line);
        }
    }

    #[test]
    fn other_spellings_are_normalised() {
        for (src, canonical) in [
            ("cat big > copy", "cat big >copy"),
            ("a;b", "a; b"),
            ("a&b", "a & b"),
            ("a\nb\n", "a; b"),
            ("a &&\n b", "a && b"),
            ("2>&1 cmd", "cmd 2>&1"),
            ("echo \"a b\"", "echo 'a b'"),
            ("echo \"it's\"", "echo 'it'\\''s'"),
            ("echo \"$$.pid\" \"\"", "echo $$.pid ''"),
            ("echo \\$$ a\\ b", "echo '$$' 'a b'"),
            ("echo \"$?\"'?'", "echo $?'?'"),
            (
                "cmd 0<&- 1>&2 3>>log 0<in 1>out 2>&1",
                "cmd <&- >&2 3>>log <in >out 2>&1",
            ),
            ("cmd 0>x 1<y 5<&-", "cmd 0>x 1<y 5>&-"),
            ("( (a) )", "( ( a ) )"),
            ("(sleep 1; echo late)", "( sleep 1; echo late )"),
            ("{ a & }", "{ a & }"),
            ("{ a\n}", "{ a; }"),
            ("'if' x", "'if' x"),
            ("'X=1' y=2", "'X=1' y=2"),
            ("'X=1'$$", "'X=1'$$"),
            ("a-b=c =d", "a-b=c =d"),
            ("'{' '}'", "'{' '}'"),
            ("echo '~' '*' '#x' 'a\nb' é", "echo '~' '*' '#x' 'a\nb' 'é'"),
        ] {
            assert_eq!(roundtrip(src), canonical, "{src:?}");
        }
    }

    #[test]
    fn empty_script_renders_empty() {
        assert_eq!(Script { items: vec![] }.to_shell(), "");
    }

    #[test]
    fn words_display_on_their_own() {
        let word = Word {
            parts: vec![
                WordPart::Literal("pid ".into()),
                WordPart::ShellPid,
                WordPart::Literal(String::new()),
            ],
            span: Span::default(),
        };
        assert_eq!(word.to_string(), "'pid '$$");
        let empty = Word {
            parts: vec![],
            span: Span::default(),
        };
        assert_eq!(empty.to_string(), "''");
    }
}
