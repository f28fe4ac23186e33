//! The command line of the simulated `ssh`, as ssh(1) reads it, for the
//! flags that matter to session teardown.

use std::time::Duration;

use super::utils::parse_seconds;

#[derive(Clone, Debug, PartialEq, Default)]
pub struct SshArgs {
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
        port: 22,
        ..SshArgs::default()
    };
    let mut i = 0;
    while i < argv.len() && argv[i].starts_with('-') && argv[i].len() > 1 {
        let flag = &argv[i];
        let mut letters = flag[1..].chars();
        while let Some(letter) = letters.next() {
            match letter {
                'n' => args.null_stdin = true,
                'T' => {}
                'f' => {
                    args.background = true;
                    args.null_stdin = true;
                }
                't' => {
                    return Err(
                        "`ssh -t` asks for a pty, and terminals are not modelled yet; drop -t (the session then has no pty, as with -T)"
                            .into(),
                    );
                }
                'o' | 'p' => {
                    let rest: String = letters.by_ref().collect();
                    let value = if rest.is_empty() {
                        i += 1;
                        argv.get(i)
                            .cloned()
                            .ok_or(format!("option -{letter} needs a value"))?
                    } else {
                        rest
                    };
                    if letter == 'p' {
                        args.port = value.parse().map_err(|_| format!("bad port `{value}`"))?;
                    } else {
                        set_option(&mut args, &value)?;
                    }
                }
                other => {
                    return Err(format!(
                        "ssh option -{other} is not modelled; known: -n -T -f -o Option=value -p PORT"
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

/// `-o Name=value` (or `Name value`), names case-insensitive (ssh_config(5)).
fn set_option(args: &mut SshArgs, text: &str) -> Result<(), String> {
    let (name, value) = text
        .split_once('=')
        .or_else(|| text.split_once(' '))
        .ok_or(format!("-o `{text}`: expected Option=value"))?;
    let seconds =
        || parse_seconds(value).ok_or(format!("-o {name}: `{value}` is not a number of seconds"));
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
    fn pty_and_unknown_hosts_are_rejected_with_advice() {
        assert!(parse("-t server").unwrap_err().contains("pty"));
        assert!(parse("-tt server").unwrap_err().contains("pty"));
        assert!(parse("example.org true").unwrap_err().contains("`server`"));
        assert!(parse("-X server").unwrap_err().contains("not modelled"));
    }
}
