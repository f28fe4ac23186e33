//! The command line of `hangar-ssh`, read as ssh(1) reads it:
//!
//! ```text
//! hangar-ssh [-n] [-T] [-t] [-tt] [-p PORT] [-i KEY] [-l USER] [-o Key=Value]... [-E EVENTS_FILE]
//!            HOST [COMMAND...]
//! ```
//!
//! `HOST` is the alias that messages name; `-o HostName=...` is where the
//! connection goes, and it must be the loopback host.

use std::path::PathBuf;
use std::time::Duration;

pub const USAGE: &str = "usage: hangar-ssh [-n] [-T] [-t] [-tt] [-p PORT] [-i KEY] [-l USER] \
[-o Key=Value]... [-E EVENTS_FILE] HOST [COMMAND...]";

/// ssh(1) `-T`, `-t`, `-tt`: whether to ask for a pty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TtyRequest {
    /// No flag: a pty for a login shell when stdin is a terminal.
    Auto,
    /// `-T`.
    No,
    /// `-t`: a pty when stdin is a terminal.
    Yes,
    /// `-tt`: a pty even when stdin is not a terminal.
    Force,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClientArgs {
    /// The host as written on the command line: the name messages use.
    pub alias: String,
    /// ssh_config(5) `HostName`: where to connect (the alias by default).
    pub host_name: String,
    pub port: u16,
    pub user: Option<String>,
    pub identity: Option<PathBuf>,
    pub tty: TtyRequest,
    /// `-n`: stdin from /dev/null.
    pub null_stdin: bool,
    pub server_alive_interval: Option<Duration>,
    pub server_alive_count_max: u32,
    pub connect_timeout: Option<Duration>,
    /// `-E`: the observer's event log.
    pub events: Option<PathBuf>,
    /// The remote command, words joined by spaces as ssh(1) does; empty
    /// for a login shell.
    pub command: String,
}

/// Parses `argv` (without the program name). Errors say what is wrong.
pub fn parse_client_args(argv: &[String]) -> Result<ClientArgs, String> {
    let mut args = ClientArgs {
        alias: String::new(),
        host_name: String::new(),
        port: 22,
        user: None,
        identity: None,
        tty: TtyRequest::Auto,
        null_stdin: false,
        server_alive_interval: None,
        server_alive_count_max: 3,
        connect_timeout: None,
        events: None,
        command: String::new(),
    };
    let mut host_name = None;
    let mut i = 0;
    while i < argv.len() && argv[i].starts_with('-') && argv[i].len() > 1 {
        let mut letters = argv[i][1..].chars();
        while let Some(letter) = letters.next() {
            match letter {
                'n' => args.null_stdin = true,
                'T' => args.tty = TtyRequest::No,
                't' => {
                    args.tty = match args.tty {
                        TtyRequest::Yes | TtyRequest::Force => TtyRequest::Force,
                        _ => TtyRequest::Yes,
                    }
                }
                'p' | 'i' | 'l' | 'o' | 'E' => {
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
                        'i' => args.identity = Some(PathBuf::from(value)),
                        'l' => args.user = Some(value),
                        'E' => args.events = Some(PathBuf::from(value)),
                        _ => set_option(&mut args, &mut host_name, &value)?,
                    }
                }
                other => {
                    return Err(format!(
                        "unknown option -{other}; known: -n -T -t -tt -p PORT -i KEY -l USER \
                         -o Key=Value -E FILE"
                    ));
                }
            }
        }
        i += 1;
    }
    let host = argv.get(i).ok_or_else(|| USAGE.to_string())?;
    let alias = match host.rsplit_once('@') {
        Some((user, alias)) => {
            args.user.get_or_insert_with(|| user.to_string());
            alias
        }
        None => host.as_str(),
    };
    args.alias = alias.to_string();
    args.host_name = host_name.unwrap_or_else(|| alias.to_string());
    args.command = argv[i + 1..].join(" ");
    Ok(args)
}

fn parse_port(value: &str) -> Result<u16, String> {
    match value.parse() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(format!("Bad port '{value}'")),
    }
}

/// `-o Name=value` (or `Name value`), names case-insensitive (ssh_config(5)).
fn set_option(
    args: &mut ClientArgs,
    host_name: &mut Option<String>,
    text: &str,
) -> Result<(), String> {
    let (name, value) = text
        .split_once('=')
        .or_else(|| text.split_once(' '))
        .ok_or(format!("-o `{text}`: expected Key=Value"))?;
    let (name, value) = (name.trim(), value.trim());
    let seconds = || {
        value
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| format!("-o {name}: `{value}` is not a number of seconds"))
    };
    match name.to_ascii_lowercase().as_str() {
        "hostname" => *host_name = Some(value.to_string()),
        "port" => args.port = parse_port(value)?,
        "user" => args.user = Some(value.to_string()),
        "identityfile" => args.identity = Some(PathBuf::from(value)),
        // ServerAliveInterval 0 means off.
        "serveraliveinterval" => {
            args.server_alive_interval = Some(seconds()?).filter(|d| !d.is_zero())
        }
        "serveralivecountmax" => {
            args.server_alive_count_max = value
                .parse()
                .map_err(|_| format!("-o {name}: `{value}` is not a count"))?
        }
        "connecttimeout" => args.connect_timeout = Some(seconds()?).filter(|d| !d.is_zero()),
        // Host keys are not checked (the server's key is made per run),
        // and the log level does not change what hangar-ssh prints.
        "stricthostkeychecking"
        | "userknownhostsfile"
        | "batchmode"
        | "loglevel"
        | "identitiesonly" => {}
        _ => {
            return Err(format!(
                "-o {name} is not supported; known: HostName, Port, User, IdentityFile, \
                 ServerAliveInterval, ServerAliveCountMax, ConnectTimeout"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<ClientArgs, String> {
        parse_client_args(&line.split(' ').map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn reads_flags_options_and_command() {
        let args = parse(
            "-n -p 2200 -i key -o HostName=127.0.0.1 -oServerAliveInterval=2 \
             -o ServerAliveCountMax=1 -o StrictHostKeyChecking=no -E ev server sleep 30",
        )
        .unwrap();
        assert!(args.null_stdin);
        assert_eq!(args.port, 2200);
        assert_eq!(args.identity, Some(PathBuf::from("key")));
        assert_eq!(args.alias, "server");
        assert_eq!(args.host_name, "127.0.0.1");
        assert_eq!(args.server_alive_interval, Some(Duration::from_secs(2)));
        assert_eq!(args.server_alive_count_max, 1);
        assert_eq!(args.events, Some(PathBuf::from("ev")));
        assert_eq!(args.command, "sleep 30");
    }

    #[test]
    fn user_comes_from_l_or_the_host_word() {
        assert_eq!(parse("-l bob server").unwrap().user.as_deref(), Some("bob"));
        let args = parse("alice@server true").unwrap();
        assert_eq!(
            (args.user.as_deref(), args.alias.as_str()),
            (Some("alice"), "server")
        );
        assert_eq!(args.host_name, "server");
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
    fn bad_input_is_explained() {
        assert!(
            parse("-X server")
                .unwrap_err()
                .contains("unknown option -X")
        );
        assert!(parse("-p x server").unwrap_err().contains("Bad port"));
        assert!(
            parse("-o Foo=1 server")
                .unwrap_err()
                .contains("not supported")
        );
        assert!(
            parse("-o ConnectTimeout=soon server")
                .unwrap_err()
                .contains("seconds")
        );
        assert!(parse("-p").unwrap_err().contains("needs a value"));
        assert!(parse("-n").unwrap_err().contains("usage"));
    }
}
