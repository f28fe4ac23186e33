//! Load-time checks that need the host model: the arguments of `ssh` and
//! the command strings that `ssh server '...'` and `sh -c '...'` carry.
//!
//! The scenario loader checks a `run` line's own syntax and command names;
//! this goes one level deeper, so that nothing the simulated hosts cannot
//! run is found only when it runs.

use hangar_scenario::{Action, LoadError, Scenario, check_commands};
use hangar_shell::ast::{Command, Redirect, RedirectOp, Script, Word, WordPart};

use crate::sim::host::parse_ssh_args;

/// A problem in a run line: byte offset into the line, what, and a hint.
#[derive(Debug, PartialEq, Eq)]
pub struct Problem {
    pub offset: usize,
    pub message: String,
    pub hint: String,
}

/// Checks every `run` step of `scenario`; `text` is the file's contents,
/// used to point at the offending column.
pub fn check_scenario(scenario: &Scenario, text: &str) -> Result<(), LoadError> {
    let files: Vec<String> = scenario
        .world
        .files
        .iter()
        .map(|f| f.name.clone())
        .collect();
    for (index, step) in scenario.steps.iter().enumerate() {
        let Action::Run { script, .. } = &step.action else {
            continue;
        };
        if let Err(problem) = check_run_line(script, &files) {
            let (line, col) = locate(text, step.line, problem.offset);
            return Err(LoadError {
                file: scenario.path.clone(),
                line,
                col,
                key: Some(format!("step[{}].run", index + 1)),
                message: problem.message,
                example: Some(problem.hint),
                more: Box::default(),
            });
        }
    }
    Ok(())
}

/// Checks `script`, whose source starts at `base` in the run line; the
/// files of the server are not known, so its file operands are not checked.
pub fn check_script(script: &Script, base: usize) -> Result<(), Problem> {
    check_in(script, base, &mut Host::Client { server_files: None })
}

/// Checks a run line of a scenario whose server has the virtual files
/// `server_files` (`[world] files`).
pub fn check_run_line(script: &Script, server_files: &[String]) -> Result<(), Problem> {
    let mut host = Host::Client {
        server_files: Some(server_files),
    };
    check_in(script, 0, &mut host)
}

/// Where a command runs, and what it may read there.
enum Host<'a> {
    Client {
        /// The server's declared files, when known.
        server_files: Option<&'a [String]>,
    },
    Server {
        declared: &'a [String],
        /// Files the command line has created (`>`, `>>`) so far.
        created: Vec<String>,
    },
}

/// Devices the simulated hosts model, which any command may open.
const DEVICES: [&str; 4] = ["/dev/null", "/dev/zero", "/dev/urandom", "/dev/tty"];

fn check_in(script: &Script, base: usize, host: &mut Host<'_>) -> Result<(), Problem> {
    for item in &script.items {
        for command in
            std::iter::once(&item.and_or.first).chain(item.and_or.rest.iter().map(|(_, c)| c))
        {
            check_command(command, base, host)?;
        }
    }
    Ok(())
}

fn check_command(command: &Command, base: usize, host: &mut Host<'_>) -> Result<(), Problem> {
    let simple = match command {
        Command::Simple(simple) => simple,
        Command::Subshell { body, .. } | Command::Group { body, .. } => {
            return check_in(body, base, host);
        }
        Command::Pipeline { commands, .. } => {
            return commands
                .iter()
                .try_for_each(|command| check_command(command, base, host));
        }
    };
    check_redirects(&simple.redirects, base, host)?;
    // Look through wrappers to the command they run.
    let words: Vec<String> = simple.words.iter().map(literal).collect();
    let mut i = 0;
    loop {
        match words.get(i).map(String::as_str) {
            Some("nohup") => i += 1,
            Some("setsid") => {
                i += if words.get(i + 1).is_some_and(|w| w == "-f") {
                    2
                } else {
                    1
                }
            }
            Some("timeout") => {
                i += 1;
                while words.get(i).is_some_and(|w| w.starts_with('-')) {
                    i += 2;
                }
                i += 1;
            }
            _ => break,
        }
    }
    let at = |word: &Word| base + word.span.start;
    match words.get(i).map(String::as_str) {
        Some("ssh") => {
            let args = parse_ssh_args(&words[i + 1..]).map_err(|message| Problem {
                offset: at(&simple.words[i]),
                message: format!("ssh: {message}"),
                hint: "ssh -n -o ServerAliveInterval=1 server 'sleep 30 &'".into(),
            })?;
            // The remote command's text sits in the last words; point into
            // the first of them (plus its opening quote).
            let first_remote = simple.words.len() - remote_word_count(&words[i + 1..]);
            let offset = simple.words.get(first_remote).map_or(base, |w| at(w) + 1);
            let mut remote = match host {
                Host::Client {
                    server_files: Some(declared),
                } => Host::Server {
                    declared,
                    created: Vec::new(),
                },
                _ => Host::Client { server_files: None },
            };
            check_nested(&args.command, offset, &mut remote)
        }
        Some("sh") => match words.iter().position(|w| w == "-c") {
            Some(c) if c + 1 < words.len() => {
                check_nested(&words[c + 1], at(&simple.words[c + 1]) + 1, host)
            }
            _ => Err(Problem {
                offset: at(&simple.words[i]),
                message: "sh: only `sh -c 'command'` is supported".into(),
                hint: "sh -c 'sleep 3 &'".into(),
            }),
        },
        Some("cat") => check_reads(&simple.words[i + 1..], base, host),
        Some("head") if words.get(i + 1).is_some_and(|w| w == "-c") => {
            check_reads(simple.words.get(i + 3..).unwrap_or(&[]), base, host)
        }
        _ => Ok(()),
    }
}

/// `<` opens a file to read; `>` and `>>` create one that later commands
/// of the line may read.
fn check_redirects(
    redirects: &[Redirect],
    base: usize,
    host: &mut Host<'_>,
) -> Result<(), Problem> {
    for redirect in redirects {
        match &redirect.op {
            RedirectOp::Read(word) => check_reads(std::slice::from_ref(word), base, host)?,
            RedirectOp::Write(word) | RedirectOp::Append(word) => {
                if let Host::Server { created, .. } = host {
                    created.push(literal(word));
                }
            }
            RedirectOp::Dup(_) | RedirectOp::Close => {}
        }
    }
    Ok(())
}

/// The file operands a command on the server reads: each must be a
/// declared file, a modelled device or a file the line created, or the
/// run would only fail with "No such file or directory".
fn check_reads(operands: &[Word], base: usize, host: &Host<'_>) -> Result<(), Problem> {
    let Host::Server { declared, created } = host else {
        return Ok(());
    };
    for word in operands {
        // `$$` is known only when the line runs.
        if !word.parts.iter().all(|p| matches!(p, WordPart::Literal(_))) {
            continue;
        }
        let path = literal(word);
        let known = path == "-"
            || DEVICES.contains(&path.as_str())
            || path.starts_with("/dev/pts/")
            || declared.contains(&path)
            || created.contains(&path);
        if known {
            continue;
        }
        let names: Vec<String> = declared.iter().map(|f| format!("`{f}`")).collect();
        let listed = if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        };
        return Err(Problem {
            offset: base + word.span.start,
            message: format!(
                "`{path}` is not a file of the simulated server: it has the files declared in \
                 [world] files ({listed}), /dev/null, /dev/zero, /dev/urandom and /dev/tty"
            ),
            hint: format!("[world]\nfiles = {{ {path:?} = \"1MiB\" }}"),
        });
    }
    Ok(())
}

/// A command string run by another shell (remote or `sh -c`).
fn check_nested(command: &str, offset: usize, host: &mut Host<'_>) -> Result<(), Problem> {
    let script = hangar_shell::parse(command).map_err(|e| Problem {
        offset: offset + e.span.start,
        message: format!("in the command string {command:?}: {}", e.message),
        hint: e.hint.clone(),
    })?;
    check_commands(&script).map_err(|(span, message, hint)| Problem {
        offset: offset + span.start,
        message: format!("in the command string {command:?}: {message}"),
        hint,
    })?;
    check_in(&script, offset, host)
}

/// How many trailing words of ssh's arguments form the remote command.
fn remote_word_count(args: &[String]) -> usize {
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        let takes_value = matches!(args[i].as_str(), "-o" | "-p");
        i += if takes_value { 2 } else { 1 };
    }
    args.len().saturating_sub(i + 1)
}

fn literal(word: &Word) -> String {
    word.parts
        .iter()
        .map(|p| match p {
            WordPart::Literal(text) => text.as_str(),
            WordPart::ShellPid => "$$",
            WordPart::LastStatus => "$?",
        })
        .collect()
}

/// Line and column in the file of byte `offset` of the run line of the step
/// whose `[[step]]` header is on `step_line`.
fn locate(text: &str, step_line: usize, offset: usize) -> (usize, usize) {
    for (n, line) in text.lines().enumerate().skip(step_line.saturating_sub(1)) {
        let trimmed = line.trim_start();
        if trimmed.starts_with("run")
            && trimmed[3..].trim_start().starts_with('=')
            && let Some(quote) = line.find(['"', '\''])
        {
            let col = line[..quote].chars().count() + 2 + offset;
            return (n + 1, col);
        }
    }
    (step_line, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(line: &str) -> Result<(), Problem> {
        check_script(&hangar_shell::parse(line).unwrap(), 0)
    }

    #[test]
    fn remote_commands_are_checked_like_local_ones() {
        assert!(check("ssh server 'sleep 30 &'").is_ok());
        let problem = check("ssh server 'vim &'").unwrap_err();
        assert!(problem.message.contains("vim"), "{problem:?}");
        assert_eq!(problem.offset, 12, "points at vim inside the quotes");
    }

    #[test]
    fn ssh_flags_and_nested_sh_are_checked() {
        assert!(
            check("ssh -X server true")
                .unwrap_err()
                .message
                .contains("not modelled")
        );
        assert!(check("sh -c 'sleep 1 |& cat'").is_err());
        assert!(check("sh -c 'sleep 1 | cat'").is_ok());
        assert!(check("timeout -k 1 5 ssh server 'ls'").is_err());
        assert!(check("nohup ssh -n server 'exit 7'").is_ok());
    }

    fn check_with_files(line: &str, files: &[&str]) -> Result<(), Problem> {
        let files: Vec<String> = files.iter().map(|f| f.to_string()).collect();
        check_run_line(&hangar_shell::parse(line).unwrap(), &files)
    }

    #[test]
    fn remote_file_operands_must_be_declared_modelled_or_created() {
        for line in [
            "ssh server 'cat big'",
            "ssh server 'cat /dev/zero /dev/urandom /dev/null'",
            "ssh server 'head -c 10 /dev/zero'",
            "ssh server 'echo hi > out; cat out'",
            "ssh server 'nohup cat big < big &'",
            "ssh server 'cat /tmp/x.$$'",
            "cat /dev/pts/0",
            "cat nothing",
        ] {
            assert!(check_with_files(line, &["big"]).is_ok(), "{line}");
        }
        let problem = check_with_files("ssh server 'sleep 1; cat /etc/passwd'", &["big"]);
        let problem = problem.unwrap_err();
        assert_eq!(problem.offset, 25, "points at the path");
        assert_eq!(
            problem.message,
            "`/etc/passwd` is not a file of the simulated server: it has the files declared \
             in [world] files (`big`), /dev/null, /dev/zero, /dev/urandom and /dev/tty"
        );
        assert_eq!(
            problem.hint,
            "[world]\nfiles = { \"/etc/passwd\" = \"1MiB\" }"
        );
        for line in [
            "ssh server 'head -c 5 missing'",
            "ssh server 'sleep 1 < missing'",
            "ssh server 'sh -c \"cat missing\"'",
            "ssh server '(cat missing &)'",
        ] {
            let problem = check_with_files(line, &[]).unwrap_err();
            assert!(
                problem.message.starts_with("`missing` is not a file"),
                "{line}: {problem:?}"
            );
        }
    }

    #[test]
    fn locate_points_into_the_run_string() {
        let text = "title = \"x\"\n\n[[step]]\nat = \"0s\"\nrun = \"ssh server 'vim'\"\n";
        assert_eq!(locate(text, 3, 12), (5, 20));
    }
}
