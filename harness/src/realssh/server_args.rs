//! The command line of `hangar-sshd`:
//!
//! ```text
//! hangar-sshd --listen 127.0.0.1:PORT --host-key PATH --authorized-keys PATH \
//!             --policy wait-eof|close-on-exit|drain=DUR \
//!             [--setenv NAME=VALUE]... [--subsystem NAME=COMMAND]...
//!             [--client-alive-interval SECS] [--client-alive-count-max N]
//! ```

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use hangar_scenario::{Policy, Target};

pub const USAGE: &str = "usage: hangar-sshd --listen 127.0.0.1:PORT --host-key PATH \
--authorized-keys PATH --policy wait-eof|close-on-exit|drain=DUR [--setenv NAME=VALUE]... \
[--subsystem NAME=COMMAND]... [--client-alive-interval SECS] [--client-alive-count-max N]";

#[derive(Clone, Debug, PartialEq)]
pub struct ServerArgs {
    pub listen: SocketAddr,
    pub host_key: PathBuf,
    pub authorized_keys: PathBuf,
    pub policy: Policy,
    /// Set in every session's environment, in order (sshd_config(5) `SetEnv`).
    pub setenv: Vec<(String, String)>,
    /// sshd_config(5) `Subsystem`: a `subsystem` request for the name runs
    /// the command as an `exec` would (e.g. `sftp=/usr/lib/openssh/sftp-server`).
    pub subsystems: Vec<(String, String)>,
    /// sshd_config(5) `ClientAliveInterval`: `None` (the default, 0) is off.
    pub client_alive_interval: Option<Duration>,
    /// sshd_config(5) `ClientAliveCountMax` (default 3).
    pub client_alive_count_max: u32,
}

/// Parses `argv` (without the program name). Errors say what is wrong.
pub fn parse_server_args(argv: &[String]) -> Result<ServerArgs, String> {
    let mut listen = None;
    let mut host_key = None;
    let mut authorized_keys = None;
    let mut policy = None;
    let mut setenv = Vec::new();
    let mut subsystems = Vec::new();
    let mut client_alive_interval = None;
    let mut client_alive_count_max = 3;
    let mut words = argv.iter();
    while let Some(flag) = words.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
            _ => (flag.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| words.next().cloned())
                .ok_or(format!("{name} needs a value"))
        };
        match name {
            "--listen" => listen = Some(loopback_address(&value()?)?),
            "--host-key" => host_key = Some(PathBuf::from(value()?)),
            "--authorized-keys" => authorized_keys = Some(PathBuf::from(value()?)),
            "--policy" => policy = Some(parse_policy(&value()?)?),
            "--setenv" => setenv.push(name_value(name, &value()?, "NAME=VALUE")?),
            "--subsystem" => subsystems.push(name_value(name, &value()?, "NAME=COMMAND")?),
            "--client-alive-interval" => {
                let secs = value()?;
                let secs: u64 = secs.parse().map_err(|_| {
                    format!("--client-alive-interval `{secs}`: expected a number of seconds")
                })?;
                client_alive_interval = (secs > 0).then(|| Duration::from_secs(secs));
            }
            "--client-alive-count-max" => {
                let count = value()?;
                client_alive_count_max = count
                    .parse()
                    .map_err(|_| format!("--client-alive-count-max `{count}`: expected a count"))?;
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    let missing = |what: &str| format!("{what} is required");
    Ok(ServerArgs {
        listen: listen.ok_or_else(|| missing("--listen"))?,
        host_key: host_key.ok_or_else(|| missing("--host-key"))?,
        authorized_keys: authorized_keys.ok_or_else(|| missing("--authorized-keys"))?,
        policy: policy.ok_or_else(|| missing("--policy"))?,
        setenv,
        subsystems,
        client_alive_interval,
        client_alive_count_max,
    })
}

/// `NAME=VALUE` with a non-empty name; the value may hold `=` itself.
fn name_value(flag: &str, pair: &str, shape: &str) -> Result<(String, String), String> {
    match pair.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("{flag} `{pair}`: expected {shape}")),
    }
}

/// hangar-sshd serves 127.0.0.1 only: it runs processes for anyone who
/// holds an authorized key, so it must never be reachable from outside.
fn loopback_address(text: &str) -> Result<SocketAddr, String> {
    let addr: SocketAddr = text
        .parse()
        .map_err(|_| format!("--listen `{text}`: expected 127.0.0.1:PORT"))?;
    if addr.ip() != Ipv4Addr::LOCALHOST {
        return Err(format!(
            "--listen `{text}`: hangar-sshd listens on 127.0.0.1 only"
        ));
    }
    Ok(addr)
}

/// The policy part of a `hangar:` target (`wait-eof`, `close-on-exit`,
/// `drain=2s`), with the scenario crate's duration syntax.
fn parse_policy(text: &str) -> Result<Policy, String> {
    match format!("hangar:{text}").parse::<Target>() {
        Ok(Target::Hangar(policy)) => Ok(policy),
        Err(e) if text.starts_with("drain=") => Err(format!("--policy: {e}")),
        _ => Err(format!(
            "--policy `{text}`: expected wait-eof, close-on-exit or drain=DURATION (e.g. drain=2s)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<ServerArgs, String> {
        parse_server_args(&line.split(' ').map(String::from).collect::<Vec<_>>())
    }

    const BASE: &str = "--listen 127.0.0.1:2222 --host-key k --authorized-keys a";

    #[test]
    fn reads_every_option() {
        let args = parse(&format!(
            "{BASE} --policy drain=250ms --setenv A=1 --setenv B=x=y \
             --subsystem sftp=/usr/lib/openssh/sftp-server \
             --client-alive-interval 2 --client-alive-count-max 1"
        ))
        .unwrap();
        assert_eq!(
            args.subsystems,
            [("sftp".into(), "/usr/lib/openssh/sftp-server".into())]
        );
        assert_eq!(args.listen, "127.0.0.1:2222".parse().unwrap());
        assert_eq!(args.policy, Policy::Drain(Duration::from_millis(250)));
        assert_eq!(
            args.setenv,
            [("A".into(), "1".into()), ("B".into(), "x=y".into())]
        );
        assert_eq!(args.client_alive_interval, Some(Duration::from_secs(2)));
        assert_eq!(args.client_alive_count_max, 1);
    }

    #[test]
    fn defaults_match_sshd() {
        let args = parse(&format!("{BASE} --policy wait-eof")).unwrap();
        assert_eq!(args.client_alive_interval, None);
        assert_eq!(args.client_alive_count_max, 3);
        assert!(args.setenv.is_empty());
        assert!(args.subsystems.is_empty());
    }

    #[test]
    fn refuses_other_addresses_than_loopback() {
        for addr in ["0.0.0.0:22", "192.168.1.2:22", "[::1]:22", "localhost:22"] {
            let err = parse(&format!(
                "--listen {addr} --host-key k --authorized-keys a --policy wait-eof"
            ))
            .unwrap_err();
            assert!(err.contains("127.0.0.1"), "{addr}: {err}");
        }
    }

    #[test]
    fn bad_policies_and_missing_options_are_explained() {
        assert!(
            parse(&format!("{BASE} --policy drain=2"))
                .unwrap_err()
                .contains("a number needs a unit")
        );
        assert!(
            parse(&format!("{BASE} --policy later"))
                .unwrap_err()
                .contains("wait-eof, close-on-exit")
        );
        assert!(
            parse("--listen 127.0.0.1:1 --policy wait-eof")
                .unwrap_err()
                .contains("--host-key")
        );
        assert!(
            parse(&format!("{BASE} --policy"))
                .unwrap_err()
                .contains("needs a value")
        );
        assert_eq!(
            parse(&format!("{BASE} --policy wait-eof --subsystem sftp")).unwrap_err(),
            "--subsystem `sftp`: expected NAME=COMMAND"
        );
        assert!(
            parse(&format!("{BASE} --bogus"))
                .unwrap_err()
                .contains("--bogus")
        );
    }
}
