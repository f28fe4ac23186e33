//! Which commands a `run` line may use: the programs the simulated hosts
//! implement.
//!
//! The check looks at the command name of every simple command, in
//! subshells and groups too, and through the wrappers that run another
//! command (`nohup CMD`, `setsid [-f] CMD`, `timeout [-k D] D CMD`). It does
//! not look inside the strings that `ssh host '...'` and `sh -c '...'` pass
//! on: that text is a script of its own, parsed and checked when it runs.
//! Call [`check_commands`] on it to check it the same way.

use hangar_shell::ast::{Command, Script, Span, Word, WordPart};

/// The command names the simulated hosts know.
pub const KNOWN_COMMANDS: [&str; 28] = [
    "sleep", "echo", "printf", "cat", "head", "wc", "yes", "true", "false", "exit", "logout",
    "kill", "pkill", "wait", "trap", "nohup", "setsid", "sh", "timeout", "ssh", "scp", "tmux",
    "xterm", "stty", "touch", "test", "rm", "mkdir",
];

const STAND_IN_HINT: &str = "use `sleep 30` as a stand-in for a long-running program";

/// A command name the simulated hosts do not know.
pub(crate) struct UnknownCommand {
    /// The command word, in the checked script's source.
    pub span: Span,
    /// "`vim` is not a command the simulated hosts know; they know ..."
    pub message: String,
    /// What to do instead.
    pub hint: String,
    /// Text to put in place of the word in an example.
    pub replacement: String,
}

/// Checks that every command `script` runs is one the simulated hosts know
/// (see [`KNOWN_COMMANDS`]).
///
/// # Errors
///
/// The first unknown command name: its span in the script's source, the
/// message and a hint.
pub fn check_commands(script: &Script) -> Result<(), (Span, String, String)> {
    match find_unknown(script) {
        Some(u) => Err((u.span, u.message, u.hint)),
        None => Ok(()),
    }
}

/// The first unknown command of `script`, in source order.
pub(crate) fn find_unknown(script: &Script) -> Option<UnknownCommand> {
    script.items.iter().find_map(|item| {
        std::iter::once(&item.and_or.first)
            .chain(item.and_or.rest.iter().map(|(_, c)| c))
            .find_map(command)
    })
}

fn command(command: &Command) -> Option<UnknownCommand> {
    match command {
        Command::Simple(simple) => simple_command(&simple.words),
        Command::Subshell { body, .. } | Command::Group { body, .. } => find_unknown(body),
        Command::Pipeline { commands, .. } => commands.iter().find_map(self::command),
    }
}

fn simple_command(words: &[Word]) -> Option<UnknownCommand> {
    let mut rest = words;
    loop {
        let (name, args) = rest.split_first()?;
        let text = word_text(name);
        if !KNOWN_COMMANDS.contains(&text.as_str()) {
            return Some(unknown(name.span, &text));
        }
        rest = match text.as_str() {
            "nohup" => skip_options(args, &[]),
            "setsid" => skip_options(args, &[]),
            "timeout" => skip_options(args, &["-k", "-s"]).get(1..)?,
            _ => return None,
        };
    }
}

/// The words after the leading options (`-f`, `--kill-after=5s`, `--`);
/// options listed in `with_arg` take the next word as their argument.
fn skip_options<'a>(mut args: &'a [Word], with_arg: &[&str]) -> &'a [Word] {
    while let Some((first, rest)) = args.split_first() {
        let text = word_text(first);
        if text == "--" {
            return rest;
        }
        if !text.starts_with('-') || text == "-" {
            break;
        }
        args = if with_arg.contains(&text.as_str()) {
            rest.get(1..).unwrap_or(&[])
        } else {
            rest
        };
    }
    args
}

/// A word as written after quote removal, with `$$` and `$?` unexpanded.
fn word_text(word: &Word) -> String {
    word.parts
        .iter()
        .map(|part| match part {
            WordPart::Literal(text) => text.as_str(),
            WordPart::ShellPid => "$$",
            WordPart::LastStatus => "$?",
        })
        .collect()
}

fn unknown(span: Span, name: &str) -> UnknownCommand {
    let base = name.rsplit('/').next().unwrap_or(name);
    let (replacement, hint) = if name.contains('/') && KNOWN_COMMANDS.contains(&base) {
        (
            base.to_owned(),
            format!(
                "write the bare name `{base}`: the simulated hosts have no file system paths for programs"
            ),
        )
    } else if [
        "bash", "dash", "zsh", "ksh", "ash", "mksh", "csh", "tcsh", "fish",
    ]
    .contains(&base)
    {
        (
            "sh".to_owned(),
            "use `sh`: the simulated hosts run a POSIX sh".to_owned(),
        )
    } else {
        ("sleep 30".to_owned(), STAND_IN_HINT.to_owned())
    };
    UnknownCommand {
        span,
        message: format!(
            "`{name}` is not a command the simulated hosts know; they know {}",
            crate::keys::list(&KNOWN_COMMANDS)
        ),
        hint,
        replacement,
    }
}

#[cfg(test)]
mod tests {
    use hangar_shell::ast::{AndOr, Connector, ListItem, SimpleCommand};

    use super::*;

    /// A script of simple commands, words separated by spaces, with spans
    /// into `src` as if it were `cmd1; cmd2; ...`.
    fn script(commands: &[&str]) -> Script {
        let mut offset = 0;
        let items = commands
            .iter()
            .map(|c| {
                let item = ListItem {
                    and_or: AndOr {
                        first: simple(c, offset),
                        rest: vec![],
                    },
                    background: false,
                };
                offset += c.len() + 2;
                item
            })
            .collect();
        Script { items }
    }

    fn simple(text: &str, offset: usize) -> Command {
        let mut words = vec![];
        let mut at = offset;
        for w in text.split(' ') {
            words.push(Word {
                parts: vec![WordPart::Literal(w.to_owned())],
                span: Span {
                    start: at,
                    end: at + w.len(),
                },
            });
            at += w.len() + 1;
        }
        Command::Simple(SimpleCommand {
            words,
            redirects: vec![],
            span: Span {
                start: offset,
                end: offset + text.len(),
            },
        })
    }

    fn unknown_name(commands: &[&str]) -> Option<String> {
        let src = commands.join("; ");
        check_commands(&script(commands))
            .err()
            .map(|(span, _, _)| src[span.start..span.end].to_owned())
    }

    #[test]
    fn accepts_known_commands() {
        assert_eq!(
            unknown_name(&["sleep 30", "echo hi", "ssh server 'vim &'"]),
            None
        );
        assert_eq!(unknown_name(&["sh -c vim"]), None);
        assert_eq!(unknown_name(&["nohup sleep 5", "setsid -f sleep 5"]), None);
        assert_eq!(unknown_name(&["timeout -k 1s 5s sleep 10"]), None);
        assert_eq!(
            unknown_name(&["timeout --preserve-status 5s sleep 10"]),
            None
        );
        assert_eq!(unknown_name(&["nohup setsid timeout 5 sleep 10"]), None);
        // A wrapper with nothing to run is its own problem, not this check's.
        assert_eq!(unknown_name(&["nohup", "timeout 5"]), None);
    }

    #[test]
    fn rejects_unknown_commands_and_wrapped_ones() {
        assert_eq!(unknown_name(&["sleep 1", "vim"]).as_deref(), Some("vim"));
        assert_eq!(unknown_name(&["nohup vim"]).as_deref(), Some("vim"));
        assert_eq!(unknown_name(&["setsid -f vim"]).as_deref(), Some("vim"));
        assert_eq!(
            unknown_name(&["timeout -k 1s 5s top"]).as_deref(),
            Some("top")
        );
        assert_eq!(
            unknown_name(&["timeout -s KILL 5s top"]).as_deref(),
            Some("top")
        );
        assert_eq!(
            unknown_name(&["nohup nohup screen"]).as_deref(),
            Some("screen")
        );
    }

    #[test]
    fn looks_into_and_or_lists_subshells_and_groups() {
        let mut s = script(&["true"]);
        s.items[0]
            .and_or
            .rest
            .push((Connector::And, simple("less x", 8)));
        assert_eq!(
            check_commands(&s).unwrap_err().0,
            Span { start: 8, end: 12 }
        );
        let group = Command::Group {
            body: script(&["top"]),
            redirects: vec![],
            span: Span::default(),
        };
        let s = Script {
            items: vec![ListItem {
                and_or: AndOr {
                    first: group,
                    rest: vec![],
                },
                background: true,
            }],
        };
        assert!(check_commands(&s).is_err());
    }

    #[test]
    fn message_lists_the_known_commands_and_hint_says_what_to_do() {
        let (_, message, hint) = check_commands(&script(&["vim"])).unwrap_err();
        assert_eq!(
            message,
            "`vim` is not a command the simulated hosts know; they know `sleep`, `echo`, \
             `printf`, `cat`, `head`, `wc`, `yes`, `true`, `false`, `exit`, `logout`, `kill`, \
             `pkill`, `wait`, `trap`, `nohup`, `setsid`, `sh`, `timeout`, `ssh`, `scp`, `tmux`, \
             `xterm`, `stty`, `touch`, `test`, `rm` and `mkdir`"
        );
        assert_eq!(
            hint,
            "use `sleep 30` as a stand-in for a long-running program"
        );
        let (_, _, hint) = check_commands(&script(&["bash -c true"])).unwrap_err();
        assert_eq!(hint, "use `sh`: the simulated hosts run a POSIX sh");
        let (_, _, hint) = check_commands(&script(&["/bin/sleep 1"])).unwrap_err();
        assert!(hint.starts_with("write the bare name `sleep`"), "{hint}");
    }

    #[test]
    fn expansions_in_the_command_name_are_unknown() {
        let mut s = script(&["x"]);
        if let Command::Simple(c) = &mut s.items[0].and_or.first {
            c.words[0].parts = vec![WordPart::ShellPid];
        }
        let (_, message, _) = check_commands(&s).unwrap_err();
        assert!(message.starts_with("`$$` is not a command"), "{message}");
    }
}
