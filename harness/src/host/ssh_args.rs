//! The command line of the simulated `ssh`, as ssh(1) reads it, for the
//! flags that matter to session teardown.

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
    pub tty: TtyRequest,
    /// `-e`: the escape character; `None` with `-e none`.
    pub escape: Option<u8>,
    /// `-n`: stdin from /dev/null.
    pub null_stdin: bool,
    /// `-f`: go to the background after authentication (implies `-n`).
    pub background: bool,
    pub server_alive_interval: Option<Duration>,
    pub server_alive_count_max: Option<u32>,
    pub connect_timeout: Option<Duration>,
    pub port: u16,
    /// The remote command, words joined by spaces as ssh(1) does; empty
    /// for a login shell.
    pub command: String,
}

/// Parses `argv` (without `ssh`). Errors say what is wrong and what to do.
pub fn parse_ssh_args(argv: &[String]) -> Result<SshArgs, String> {
    let mut args = SshArgs {
        tty: TtyRequest::Auto,
        escape: Some(b'~'),
        null_stdin: false,
        background: false,
        server_alive_interval: None,
        server_alive_count_max: None,
        connect_timeout: None,
        port: 22,
        command: String::new(),
    };
    let mut i = 0;
    while i < argv.len() && argv[i].starts_with('-') && argv[i].len() > 1 {
        let flag = &argv[i];
        let mut letters = flag[1..].chars();
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
                'f' => {
                    args.background = true;
                    args.null_stdin = true;
                }
                'o' | 'p' | 'e' => {
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
                        'p' => {
                            args.port = value.parse().map_err(|_| format!("bad port `{value}`"))?
                        }
                        'e' => args.escape = escape_char(&value)?,
                        _ => set_option(&mut args, &value)?,
                    }
                }
                other => {
                    return Err(format!(
                        "ssh option -{other} is not modelled; known: -n -T -t -tt -f -e CHAR -o Option=value -p PORT"
                    ));
                }
            }
        }
        i += 1;
    }
    let host = argv
        .get(i)
        .ok_or("ssh needs a host: `ssh server 'command'`")?;
    let host = host.rsplit('@').next().unwrap_or(host);
    if host != "server" {
        return Err(format!(
            "unknown host `{host}`: the simulated world has one server, named `server`"
        ));
    }
    args.command = argv[i + 1..].join(" ");
    Ok(args)
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
fn set_option(args: &mut SshArgs, text: &str) -> Result<(), String> {
    let (name, value) = text
        .split_once('=')
        .or_else(|| text.split_once(' '))
        .ok_or(format!("-o `{text}`: expected Option=value"))?;
    let seconds = || option_seconds(name, value);
    match name.to_ascii_lowercase().as_str() {
        "serveraliveinterval" => args.server_alive_interval = Some(seconds()?),
        "serveralivecountmax" => {
            args.server_alive_count_max = Some(
                value
                    .parse()
                    .map_err(|_| format!("-o {name}: `{value}` is not a count"))?,
            )
        }
        "connecttimeout" => args.connect_timeout = Some(seconds()?),
        "batchmode" | "stricthostkeychecking" | "loglevel" => {}
        _ => {
            return Err(format!(
                "-o {name} is not modelled; known: ServerAliveInterval, ServerAliveCountMax, ConnectTimeout"
            ));
        }
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

    fn parse(line: &str) -> Result<SshArgs, String> {
        parse_ssh_args(&line.split(' ').map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn reads_flags_options_and_command() {
        let args =
            parse("-n -o ServerAliveInterval=2 -oServerAliveCountMax=1 server sleep 30").unwrap();
        assert!(args.null_stdin);
        assert_eq!(args.server_alive_interval, Some(Duration::from_secs(2)));
        assert_eq!(args.server_alive_count_max, Some(1));
        assert_eq!(args.command, "sleep 30");
    }

    #[test]
    fn f_implies_n() {
        let args = parse("-f server true").unwrap();
        assert!(args.background && args.null_stdin);
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
    fn unknown_hosts_and_options_are_rejected_with_advice() {
        assert!(parse("example.org true").unwrap_err().contains("`server`"));
        assert!(parse("-X server").unwrap_err().contains("not modelled"));
    }
}
