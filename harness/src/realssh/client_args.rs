//! The command line of `hangar-ssh`, read as ssh(1) reads it
//! ([`crate::ssh::args`]):
//!
//! ```text
//! hangar-ssh [-n] [-N] [-T] [-t] [-tt] [-s] [-p PORT] [-i KEY] [-l USER] [-o Key=Value]... [-E EVENTS_FILE]
//!            HOST [COMMAND...]
//! ```
//!
//! `HOST` is the alias that messages name; `-o HostName=...` is where the
//! connection goes, and it must be the loopback host.

use crate::ssh::args::{Dialect, OPTIONS, parse_ssh_args};
pub use crate::ssh::args::{SshArgs as ClientArgs, TtyRequest};

pub const USAGE: &str = "usage: hangar-ssh [-n] [-N] [-T] [-t] [-tt] [-s] [-p PORT] [-i KEY] [-l USER] \
[-o Key=Value]... [-E EVENTS_FILE] HOST [COMMAND...]";

/// What hangar-ssh takes: no `-f`, and no `-e` (its escape character is `~`).
const HANGAR_SSH: Dialect = Dialect {
    flags: "nNTtspiloE",
    options: OPTIONS,
    unknown_flag: |other| {
        format!(
            "unknown option -{other}; known: -n -N -T -t -tt -s -p PORT -i KEY -l USER -o Key=Value -E FILE"
        )
    },
    unknown_option: |name| {
        format!(
            "-o {name} is not supported; known: HostName, Port, User, IdentityFile, \
             ServerAliveInterval, ServerAliveCountMax, ConnectTimeout"
        )
    },
    no_host: USAGE,
};

/// Parses `argv` (without the program name). Errors say what is wrong.
pub fn parse_client_args(argv: &[String]) -> Result<ClientArgs, String> {
    parse_ssh_args(argv, &HANGAR_SSH)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<ClientArgs, String> {
        parse_client_args(&line.split(' ').map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn takes_what_hangar_ssh_does_and_refuses_the_rest() {
        let args = parse(
            "-n -p 2200 -i key -o HostName=127.0.0.1 -o StrictHostKeyChecking=no -E ev server true",
        )
        .unwrap();
        assert_eq!(args.host_name.as_deref(), Some("127.0.0.1"));
        assert!(
            parse("-X server")
                .unwrap_err()
                .contains("unknown option -X")
        );
        assert!(
            parse("-f server")
                .unwrap_err()
                .contains("unknown option -f")
        );
        assert!(
            parse("-o Foo=1 server")
                .unwrap_err()
                .contains("not supported")
        );
        assert!(parse("-n").unwrap_err().contains("usage"));
    }
}
