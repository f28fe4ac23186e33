//! `kill` with a literal process id, refused in the real lane.
//!
//! `kill` is a shell builtin, so no wrapper on PATH can keep it inside the
//! run as [`super::scoped_kill`] keeps `pkill`: `kill 1234` names whatever
//! process has that id on this machine, and `kill -9 -1` signals every
//! process the user may signal (kill(2): "If pid equals -1, then sig is
//! sent to every process for which the calling process has permission").
//! A run's own processes are named by `$$`, `$!`, `$PPID` or a job (`%1`),
//! which the real lane runs; a literal id is refused before anything runs.

use hangar_scenario::{Action, Scenario};

/// Why the real lane refuses `scenario`: the first `kill` of a literal id
/// in a run line or typed text.
pub fn literal_kill(scenario: &Scenario) -> Option<String> {
    scenario.steps.iter().find_map(|step| {
        let text = match &step.action {
            Action::Run { line, .. } => line,
            Action::Type { text, .. } => text,
            _ => return None,
        };
        literal_kill_in(text).map(|operand| {
            format!(
                "`kill {operand}` names a process by a literal id, which on a real machine may be \
                 anyone's (and -1 is every process): name the run's own with $$, $!, $PPID or a \
                 job such as %1"
            )
        })
    })
}

/// The first literal-id operand of a `kill` in `text`, read as shell words
/// split at operators and quotes (so a `kill` inside a quoted remote
/// command counts too). It may refuse more than it must (`echo kill 5`),
/// never less.
fn literal_kill_in(text: &str) -> Option<String> {
    let words = words(text);
    let mut rest = words.as_slice();
    while let Some(at) = rest.iter().position(|w| w.as_deref() == Some("kill")) {
        let args: Vec<&str> = rest[at + 1..].iter().map_while(|w| w.as_deref()).collect();
        if let Some(found) = literal_operand(&args) {
            return Some(found.to_string());
        }
        rest = &rest[at + 1..];
    }
    None
}

/// kill(1)'s operands after its options: `-s SIG`, `-n NUM`, `-SIG`, `-l`
/// and `--` are options; an operand that is a number is a literal id.
fn literal_operand<'a>(args: &[&'a str]) -> Option<&'a str> {
    let mut args = args.iter().copied().peekable();
    if let Some(first) = args.peek().copied() {
        match first {
            "-s" | "-n" => {
                args.next();
                args.next();
            }
            "--" => {
                args.next();
            }
            _ if first.starts_with('-') && first.len() > 1 => {
                args.next();
                if args.peek() == Some(&"--") {
                    args.next();
                }
            }
            _ => {}
        }
    }
    args.find(|operand| {
        let digits = operand.strip_prefix('-').unwrap_or(operand);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Words of `text`; `None` stands for a separator (an operator, a quote or
/// a line end), at which a command's arguments stop.
fn words(text: &str) -> Vec<Option<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        let separator = matches!(
            c,
            ';' | '&' | '|' | '(' | ')' | '\'' | '"' | '`' | '\n' | '\r'
        );
        if separator || c.is_whitespace() {
            if !word.is_empty() {
                words.push(Some(std::mem::take(&mut word)));
            }
            if separator {
                words.push(None);
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        words.push(Some(word));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_ids_are_found_wherever_kill_is() {
        for (text, found) in [
            ("kill 1234", "1234"),
            ("kill -9 -1", "-1"),
            ("kill -KILL -- -1", "-1"),
            ("kill -s TERM 42", "42"),
            ("sleep 1; kill -9 77 &", "77"),
            ("ssh server 'kill -9 -1'", "-1"),
            ("ssh server \"sleep 5 & kill 9\"", "9"),
            ("kill %1; kill 5", "5"),
        ] {
            assert_eq!(literal_kill_in(text).as_deref(), Some(found), "{text}");
        }
    }

    #[test]
    fn the_runs_own_processes_and_jobs_pass() {
        for text in [
            "ssh server 'kill -TERM $$'",
            "kill -9 %1",
            "kill $!",
            "kill -s HUP $PPID",
            "kill -l",
            "pkill -KILL ssh",
            "sleep 1; kill -9 %ssh",
        ] {
            assert_eq!(literal_kill_in(text), None, "{text}");
        }
    }

    #[test]
    fn a_scenario_with_a_literal_kill_is_refused_with_the_way_out() {
        let scenario = hangar_scenario::load_str(
            "k.toml",
            "title = \"t\"\nsource = \"s\"\n[[step]]\nat = \"0s\"\nrun = \"ssh server 'kill -9 -1'\"\n",
        )
        .unwrap();
        let why = literal_kill(&scenario).expect("refused");
        assert!(why.contains("`kill -1`") && why.contains("%1"), "{why}");
    }
}
