//! The POSIX-sh subset that hangar's simulated hosts interpret.
//!
//! Scenario steps are shell command lines (`ssh server 'sleep 30 &'`), and
//! the simulated sshd hands the remote part to a simulated `sh -c`. Both are
//! parsed here into an [`ast::Script`], following POSIX.1-2017 XCU chapter 2
//! "Shell Command Language". The subset is what SSH teardown scenarios need
//! and nothing more:
//!
//! - lists with `;`, newline, `&` (background), `&&` and `||`
//!   (XCU 2.9.3); an empty script is allowed;
//! - pipelines `a | b | c` (XCU 2.9.2), without `!`;
//! - `( list )` subshells and `{ list; }` groups (XCU 2.9.4), with
//!   redirections after them;
//! - simple commands (XCU 2.9.1): words and redirections in any order;
//! - quoting (XCU 2.2): single quotes, double quotes, backslash;
//! - the special parameters `$$` and `$?` (XCU 2.5.2), also inside double
//!   quotes;
//! - redirections (XCU 2.7): `<`, `>`, `>>`, `n>&m`, `n<&m`, `n>&-`, `n<&-`;
//! - comments (`#` at the start of a word).
//!
//! Left out, each rejected with a [`ParseError`] that names the construct
//! and shows what to write instead, never silently misread: variables other than `$$` and `$?` (and so assignments), pathname
//! expansion (`*`, `?`, `[`), tilde expansion, here-documents, command
//! substitution and arithmetic, functions, `!`, and the compound commands
//! `if`, `while`, `until`, `for` and `case`.
//!
//! ```
//! let script = hangar_shell::parse("(sleep 1; echo late) & echo early").unwrap();
//! assert_eq!(script.items.len(), 2);
//! assert!(script.items[0].background);
//! assert_eq!(script.to_shell(), "( sleep 1; echo late ) & echo early");
//!
//! let err = hangar_shell::parse("ls ~/logs | wc -l").unwrap_err();
//! assert_eq!(hangar_shell::line_col("ls ~/logs | wc -l", err.span.start), (1, 4));
//! ```

pub mod ast;
mod error;
mod lex;
mod parse;
mod render;
mod word;

pub use error::{ParseError, line_col};

/// Parses `src` (one command line, or several separated by newlines) into
/// a script. Never panics, whatever the input.
pub fn parse(src: &str) -> Result<ast::Script, ParseError> {
    parse::script(src)
}

/// Helpers shared by the unit tests of several modules.
#[cfg(test)]
pub(crate) mod testutil {
    use crate::ast::{Command, Redirect, RedirectOp, Script, Span};

    /// The script with every span zeroed, to compare trees parsed from
    /// different texts.
    pub(crate) fn without_spans(script: &Script) -> Script {
        let mut script = script.clone();
        strip_script(&mut script);
        script
    }

    fn strip_script(script: &mut Script) {
        for item in &mut script.items {
            strip_command(&mut item.and_or.first);
            for (_, command) in &mut item.and_or.rest {
                strip_command(command);
            }
        }
    }

    fn strip_command(command: &mut Command) {
        match command {
            Command::Simple(simple) => {
                simple.span = Span::default();
                for word in &mut simple.words {
                    word.span = Span::default();
                }
                strip_redirects(&mut simple.redirects);
            }
            Command::Pipeline { commands, span } => {
                *span = Span::default();
                commands.iter_mut().for_each(strip_command);
            }
            Command::Subshell {
                body,
                redirects,
                span,
            }
            | Command::Group {
                body,
                redirects,
                span,
            } => {
                *span = Span::default();
                strip_script(body);
                strip_redirects(redirects);
            }
        }
    }

    fn strip_redirects(redirects: &mut [Redirect]) {
        for redirect in redirects {
            redirect.span = Span::default();
            if let RedirectOp::Read(w) | RedirectOp::Write(w) | RedirectOp::Append(w) =
                &mut redirect.op
            {
                w.span = Span::default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::without_spans;

    /// Lines that exercise every rule, whole and cut short at every char.
    const TRICKY: &[&str] = &[
        "ssh -n -o ServerAliveInterval=1 server 'sleep 30 >/dev/null 2>&1 &'",
        "(sleep 1; echo late) & echo early",
        "{ sleep 1; } 2>&1 && echo \"pid $$ status $?\" || exit 7",
        "trap 'echo bye' HUP; sleep 60 # comment\nkill -TERM $$",
        "a \\\n b 'it'\\''s' \"q\\\"\\$\\`\\\\ \\x\" \\* '' \"\"",
        "{ { a; } } ; ( (b) ) >o 3>>l 0<&- 2>&1 <&3 >&-",
        "echo $HOME ${x} $(date) $((1)) `date` $1 $! $'x' $\"y\" $ end",
        "ls *.log ~/x a?b [x] X=1 cmd; if true; then a; fi; ! a; for x",
        "a | b |& c && d &> e <<EOF <> f >| g ;; h (( i ))",
        "é→ 'ünï' \"cödé\" ) } { ( \" ' \\",
        "2>&1 >&file <&x >& 99999999999>x 2>&99999999999",
        "{a; } {} ( ) { } a && ; ; & && ||",
    ];

    /// Every error span must lie on char boundaries of the input, and every
    /// tree must render to text that parses back to the same tree.
    fn check(src: &str) {
        match parse(src) {
            Err(e) => {
                assert!(e.span.start <= e.span.end, "{src:?}: {e:?}");
                assert!(
                    src.get(e.span.start..e.span.end).is_some(),
                    "{src:?}: {e:?}"
                );
                assert!(!e.message.is_empty() && !e.hint.is_empty(), "{src:?}");
                let _ = e.report(src);
                let _ = line_col(src, e.span.start);
            }
            Ok(script) => {
                let text = script.to_shell();
                let again = parse(&text)
                    .unwrap_or_else(|e| panic!("{src:?} rendered as {text:?}, which fails: {e}"));
                assert_eq!(
                    without_spans(&again),
                    without_spans(&script),
                    "{src:?} rendered as {text:?}"
                );
                assert_eq!(again.to_shell(), text, "{src:?}: canonical form is stable");
            }
        }
    }

    #[test]
    fn prefixes_of_tricky_lines_never_panic() {
        for line in TRICKY {
            for (i, _) in line.char_indices().chain([(line.len(), ' ')]) {
                check(&line[..i]);
                check(&line[i..]);
            }
        }
    }

    #[test]
    fn random_inputs_never_panic() {
        const PIECES: &[&str] = &[
            "a", "b", "1", "2", " ", " ", "\t", "\n", ";", "&", "|", "(", ")", "{", "}", "<", ">",
            "-", "'", "\"", "\\", "$", "?", "*", "[", "]", "~", "#", "=", "!", "`", "é", "→", "if",
            "echo", "sleep 1", "$$", "$?", "2>&1", ">&", "<&", ">>", "&&", "||", "''", "{ ", " }",
            "; ", "X=",
        ];
        // xorshift64: a fixed, dependency-free sequence, so failures repeat.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..50_000 {
            let len = next() % 14;
            let src: String = (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            check(&src);
        }
    }
}
