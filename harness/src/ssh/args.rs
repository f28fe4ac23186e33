//! An `ssh` command line, read as ssh(1) reads it: the simulated `ssh`
//! (`sim/host/ssh.rs`) and `hangar-ssh` (`realssh/client.rs`) both parse with
//! [`parse_ssh_args`]. Each says in its [`Dialect`] which flags and `-o`
//! options it takes, and how it words a refusal; what it does with them
//! is its own.

use std::path::PathBuf;
use std::time::Duration;

use hangar_scenario::MAX_DURATION;

/// ssh(1) `-T`, `-t`, `-tt`: whether to ask for a pty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TtyRequest {
    /// No flag: a pty for a login shell when stdin is a terminal.
    #[default]
    Auto,
    /// `-T`.
    No,
    /// `-t`: a pty when stdin is a terminal.
    Yes,
    /// `-tt`: a pty even when stdin is not a terminal.
    Force,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SshArgs {
    /// The host as written on the command line, without `user@`: the name
    /// messages use.
    pub alias: String,
    /// ssh_config(5) `HostName`: where to connect, when it is not the alias.
    pub host_name: Option<String>,
    pub port: u16,
    /// `-l`, `-o User` or `user@host`.
    pub user: Option<String>,
    /// `-i`, `-o IdentityFile`.
    pub identity: Option<PathBuf>,
    pub tty: TtyRequest,
    /// `-e`: the escape character; `None` with `-e none`.
    pub escape: Option<u8>,
    /// `-n`: stdin from /dev/null.
    pub null_stdin: bool,
    /// `-f`: go to the background after authentication (implies `-n`).
    pub background: bool,
    /// `-N`: no session: the connection alone, until it ends (a command
    /// given with it is not run, as ssh(1) does).
    pub no_session: bool,
    /// `-s`: the command names a subsystem (`sftp`) for the server to run
    /// (RFC 4254 6.5 `subsystem`), not a command line.
    pub subsystem: bool,
    /// As given: 0 means off (ssh_config(5)).
    pub server_alive_interval: Option<Duration>,
    pub server_alive_count_max: Option<u32>,
    pub connect_timeout: Option<Duration>,
    /// `-E`: the log file (hangar-ssh writes its observer's events there).
    pub events: Option<PathBuf>,
    /// The remote command, words joined by spaces as ssh(1) does; empty
    /// for a login shell.
    pub command: String,
}

/// What one client takes, and how it refuses the rest.
pub struct Dialect {
    /// Every flag it takes (`-o` and `-p` among them).
    pub flags: &'static str,
    /// The `-o` names it takes, lower case.
    pub options: &'static [&'static str],
    /// The refusal of a flag it does not take.
    pub unknown_flag: fn(char) -> String,
    /// The refusal of an `-o` name it does not take.
    pub unknown_option: fn(&str) -> String,
    /// The message when no host is given.
    pub no_host: &'static str,
}

/// Every `-o` name the parser knows, lower case. Host keys are not
/// checked (the server's key is made per run), and the log level does not
/// change what is traced: those are taken and have no effect.
pub const OPTIONS: &[&str] = &[
    "hostname",
    "port",
    "user",
    "identityfile",
    "serveraliveinterval",
    "serveralivecountmax",
    "connecttimeout",
    "stricthostkeychecking",
    "userknownhostsfile",
    "batchmode",
    "loglevel",
    "identitiesonly",
];

/// The flags that take a value.
const VALUED: &str = "opeilE";

/// Parses `argv` (without the program name). Errors say what is wrong and
/// what to do.
pub fn parse_ssh_args(argv: &[String], dialect: &Dialect) -> Result<SshArgs, String> {
    let mut args = SshArgs {
        alias: String::new(),
        host_name: None,
        port: 22,
        user: None,
        identity: None,
        tty: TtyRequest::Auto,
        escape: Some(b'~'),
        null_stdin: false,
        background: false,
        no_session: false,
        subsystem: false,
        server_alive_interval: None,
        server_alive_count_max: None,
        connect_timeout: None,
        events: None,
        command: String::new(),
    };
    let mut i = 0;
    while i < argv.len() && argv[i].starts_with('-') && argv[i].len() > 1 {
        let mut letters = argv[i][1..].chars();
        while let Some(letter) = letters.next() {
            if !dialect.flags.contains(letter) {
                return Err((dialect.unknown_flag)(letter));
            }
            if !VALUED.contains(letter) {
                match letter {
                    'n' => args.null_stdin = true,
                    'T' => args.tty = TtyRequest::No,
                    't' => {
                        args.tty = match args.tty {
                            TtyRequest::Yes | TtyRequest::Force => TtyRequest::Force,
                            _ => TtyRequest::Yes,
                        }
                    }
                    'f' => {
                        args.background = true;
                        args.null_stdin = true;
                    }
                    'N' => args.no_session = true,
                    's' => args.subsystem = true,
                    other => return Err((dialect.unknown_flag)(other)),
                }
                continue;
            }
            let rest: String = letters.by_ref().collect();
            let value = if rest.is_empty() {
                i += 1;
                argv.get(i)
                    .cloned()
                    .ok_or(format!("option -{letter} needs a value"))?
            } else {
                rest
            };
            match letter {
                'p' => args.port = parse_port(&value)?,
                'e' => args.escape = escape_char(&value)?,
                'i' => args.identity = Some(PathBuf::from(value)),
                'l' => args.user = Some(value),
                'E' => args.events = Some(PathBuf::from(value)),
                _ => set_option(&mut args, &value, dialect)?,
            }
        }
        i += 1;
    }
    let host = argv.get(i).ok_or_else(|| dialect.no_host.to_string())?;
    let alias = match host.rsplit_once('@') {
        Some((user, alias)) => {
            args.user.get_or_insert_with(|| user.to_string());
            alias
        }
        None => host.as_str(),
    };
    args.alias = alias.to_string();
    args.command = argv[i + 1..].join(" ");
    Ok(args)
}

fn parse_port(value: &str) -> Result<u16, String> {
    match value.parse() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("Bad port '{value}'")),
    }
}

/// ssh(1) `-e`: a single character, `^X` for a control character, or
/// `none` to disable escapes.
fn escape_char(value: &str) -> Result<Option<u8>, String> {
    let bytes = value.as_bytes();
    match bytes {
        _ if value == "none" => Ok(None),
        [c] => Ok(Some(*c)),
        [b'^', c] if c.is_ascii_alphabetic() || b"@[\\]^_".contains(c) => {
            Ok(Some(c.to_ascii_uppercase() & 0x1f))
        }
        _ => Err(format!("Bad escape character '{value}'.")),
    }
}

/// `-o Name=value` (or `Name value`), names case-insensitive (ssh_config(5)).
fn set_option(args: &mut SshArgs, text: &str, dialect: &Dialect) -> Result<(), String> {
    let (name, value) = text
        .split_once('=')
        .or_else(|| text.split_once(' '))
        .ok_or(format!("-o `{text}`: expected Option=value"))?;
    let (name, value) = (name.trim(), value.trim());
    let key = name.to_ascii_lowercase();
    if !dialect.options.contains(&key.as_str()) {
        return Err((dialect.unknown_option)(name));
    }
    let seconds = || option_seconds(name, value);
    match key.as_str() {
        "hostname" => args.host_name = Some(value.to_string()),
        "port" => args.port = parse_port(value)?,
        "user" => args.user = Some(value.to_string()),
        "identityfile" => args.identity = Some(PathBuf::from(value)),
        "serveraliveinterval" => args.server_alive_interval = Some(seconds()?),
        "serveralivecountmax" => {
            args.server_alive_count_max = Some(
                value
                    .parse()
                    .map_err(|_| format!("-o {name}: `{value}` is not a count"))?,
            )
        }
        "connecttimeout" => args.connect_timeout = Some(seconds()?),
        // The rest of OPTIONS: taken, without effect.
        _ => {}
    }
    Ok(())
}

/// An option's time: a number of seconds, or of minutes, hours or days
/// with `m`, `h`, `d` (ssh_config(5) "TIME FORMATS"; a fraction is taken
/// too, as the simulated utilities take it). Checked against
/// [`MAX_DURATION`] before it becomes a `Duration`, which a huge number
/// would overflow.
fn option_seconds(name: &str, value: &str) -> Result<Duration, String> {
    let (number, scale) = match value.char_indices().last() {
        Some((i, 's')) => (&value[..i], 1.0),
        Some((i, 'm')) => (&value[..i], 60.0),
        Some((i, 'h')) => (&value[..i], 3600.0),
        Some((i, 'd')) => (&value[..i], 86400.0),
        _ => (value, 1.0),
    };
    let secs = number
        .parse::<f64>()
        .ok()
        .map(|n| n * scale)
        .filter(|s| s.is_finite() && *s >= 0.0)
        .ok_or(format!("-o {name}: `{value}` is not a number of seconds"))?;
    if secs > MAX_DURATION.as_secs_f64() {
        return Err(format!(
            "-o {name}: `{value}` is longer than 30 days, the longest time a scenario may give"
        ));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: Dialect = Dialect {
        flags: "nNTtfopeilEs",
        options: OPTIONS,
        unknown_flag: |c| format!("unknown option -{c}"),
        unknown_option: |name| format!("-o {name} is not supported"),
        no_host: "usage",
    };

    fn parse(line: &str) -> Result<SshArgs, String> {
        parse_ssh_args(&line.split(' ').map(String::from).collect::<Vec<_>>(), &ANY)
    }

    #[test]
    fn reads_flags_options_and_command() {
        let args = parse(
            "-n -p 2200 -i key -o HostName=127.0.0.1 -oServerAliveInterval=2 \
             -o ServerAliveCountMax=1 -o LogLevel=quiet -E ev server sleep 30",
        )
        .unwrap();
        assert!(args.null_stdin);
        assert_eq!(args.port, 2200);
        assert_eq!(args.identity, Some(PathBuf::from("key")));
        assert_eq!(args.alias, "server");
        assert_eq!(args.host_name.as_deref(), Some("127.0.0.1"));
        assert_eq!(args.server_alive_interval, Some(Duration::from_secs(2)));
        assert_eq!(args.server_alive_count_max, Some(1));
        assert_eq!(args.events, Some(PathBuf::from("ev")));
        assert_eq!(args.command, "sleep 30");
    }

    #[test]
    fn s_names_a_subsystem() {
        let args = parse("-s server sftp").unwrap();
        assert!(args.subsystem);
        assert_eq!(args.command, "sftp");
        assert!(!parse("server sftp").unwrap().subsystem);
    }

    #[test]
    fn n_upper_asks_for_no_session() {
        assert!(!parse("server").unwrap().no_session);
        let args = parse("-N server").unwrap();
        assert!(args.no_session && !args.null_stdin);
        assert!(parse("-fN server").unwrap().no_session);
    }

    #[test]
    fn f_implies_n() {
        let args = parse("-f server true").unwrap();
        assert!(args.background && args.null_stdin);
    }

    #[test]
    fn user_comes_from_l_or_the_host_word() {
        assert_eq!(parse("-l bob server").unwrap().user.as_deref(), Some("bob"));
        let args = parse("alice@server true").unwrap();
        assert_eq!(
            (args.user.as_deref(), args.alias.as_str()),
            (Some("alice"), "server")
        );
        assert_eq!(args.host_name, None);
    }

    #[test]
    fn t_asks_for_a_pty_tt_forces_it_and_t_upper_refuses_it() {
        assert_eq!(parse("server").unwrap().tty, TtyRequest::Auto);
        assert_eq!(parse("-t server").unwrap().tty, TtyRequest::Yes);
        assert_eq!(parse("-tt server").unwrap().tty, TtyRequest::Force);
        assert_eq!(parse("-t -t server").unwrap().tty, TtyRequest::Force);
        assert_eq!(parse("-T server").unwrap().tty, TtyRequest::No);
    }

    #[test]
    fn e_sets_or_disables_the_escape_character() {
        assert_eq!(parse("server").unwrap().escape, Some(b'~'));
        assert_eq!(parse("-e % server").unwrap().escape, Some(b'%'));
        assert_eq!(parse("-e ^A server").unwrap().escape, Some(1));
        assert_eq!(parse("-e none server").unwrap().escape, None);
        assert!(parse("-e xy server").unwrap_err().contains("Bad escape"));
    }

    #[test]
    fn times_over_30_days_are_refused_not_overflowed() {
        for value in ["1e300", "2592001", "721h", "31d", "inf", "NaN"] {
            let err = parse(&format!("-o ServerAliveInterval={value} server true")).unwrap_err();
            assert!(
                err.starts_with("-o ServerAliveInterval: "),
                "{value}: {err}"
            );
        }
        let err = parse("-o ConnectTimeout=1e300 server true").unwrap_err();
        assert_eq!(
            err,
            "-o ConnectTimeout: `1e300` is longer than 30 days, the longest time a scenario may give"
        );
        let args = parse("-o ConnectTimeout=30d -o ServerAliveInterval=0.5 server").unwrap();
        assert_eq!(args.connect_timeout, Some(Duration::from_secs(2_592_000)));
        assert_eq!(args.server_alive_interval, Some(Duration::from_millis(500)));
    }

    #[test]
    fn a_dialect_refuses_what_its_client_does_not_take() {
        let narrow = Dialect {
            flags: "nTtop",
            options: &["connecttimeout"],
            ..ANY
        };
        let parse = |line: &str| {
            parse_ssh_args(
                &line.split(' ').map(String::from).collect::<Vec<_>>(),
                &narrow,
            )
        };
        assert_eq!(parse("-f server").unwrap_err(), "unknown option -f");
        assert_eq!(
            parse("-o User=bob server").unwrap_err(),
            "-o User is not supported"
        );
        assert!(parse("-o ConnectTimeout=1 server").is_ok());
    }

    #[test]
    fn bad_input_is_explained() {
        assert!(
            parse("-X server")
                .unwrap_err()
                .contains("unknown option -X")
        );
        assert!(parse("-p x server").unwrap_err().contains("Bad port"));
        assert!(parse("-p 0 server").unwrap_err().contains("Bad port"));
        assert!(
            parse("-o ConnectTimeout=soon server")
                .unwrap_err()
                .contains("seconds")
        );
        assert!(
            parse("-o Port server")
                .unwrap_err()
                .contains("expected Option=value")
        );
        assert!(parse("-p").unwrap_err().contains("needs a value"));
        assert_eq!(parse("-n").unwrap_err(), "usage");
    }
}
