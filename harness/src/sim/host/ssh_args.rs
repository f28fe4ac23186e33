//! The simulated `ssh`'s dialect of the ssh command line
//! ([`crate::ssh::args`]): the flags that matter to session teardown, and
//! the world's one server.

use crate::ssh::args::Dialect;
pub use crate::ssh::args::{SshArgs, TtyRequest};

/// What the simulated `ssh` models.
const SIM_SSH: Dialect = Dialect {
    flags: "nNTtfoeps",
    options: &[
        "serveraliveinterval",
        "serveralivecountmax",
        "connecttimeout",
        "batchmode",
        "stricthostkeychecking",
        "loglevel",
    ],
    unknown_flag: |other| {
        format!(
            "ssh option -{other} is not modelled; known: -n -N -T -t -tt -f -s -e CHAR -o Option=value -p PORT"
        )
    },
    unknown_option: |name| {
        format!(
            "-o {name} is not modelled; known: ServerAliveInterval, ServerAliveCountMax, ConnectTimeout"
        )
    },
    no_host: "ssh needs a host: `ssh server 'command'`",
};

/// Parses `argv` (without `ssh`). Errors say what is wrong and what to do.
pub fn parse_ssh_args(argv: &[String]) -> Result<SshArgs, String> {
    let args = crate::ssh::args::parse_ssh_args(argv, &SIM_SSH)?;
    if args.alias != "server" {
        return Err(format!(
            "unknown host `{}`: the simulated world has one server, named `server`",
            args.alias
        ));
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<SshArgs, String> {
        parse_ssh_args(&line.split(' ').map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn reads_the_flags_the_sim_models() {
        let args = parse("-f -e none -o ServerAliveCountMax=1 server sleep 30").unwrap();
        assert!(args.background && args.null_stdin);
        assert_eq!(args.escape, None);
        assert_eq!(args.server_alive_count_max, Some(1));
        assert_eq!(args.command, "sleep 30");
    }

    #[test]
    fn unknown_hosts_and_options_are_rejected_with_advice() {
        assert!(parse("example.org true").unwrap_err().contains("`server`"));
        assert!(parse("-X server").unwrap_err().contains("not modelled"));
        assert!(parse("-i key server").unwrap_err().contains("not modelled"));
        assert!(
            parse("-o HostName=x server")
                .unwrap_err()
                .contains("not modelled")
        );
        assert!(parse("-n").unwrap_err().contains("needs a host"));
    }
}
