//! Client events from a client's own log, one parser per client:
//!
//! - OpenSSH's `ssh -vvv -E FILE`: the debug lines of the channel state
//!   machine (nchan.c `send eof`, `rcvd eof`, `rcvd close`), of the
//!   request handler (clientloop.c `client_input_channel_req` with its
//!   `rtype`, and `Exit status N` as ssh returns), of the connection
//!   (sshconnect.c `Connection established.`, packet.c `sshpkt_vfatal`'s
//!   `Connection closed by`, `Connection reset by`, `Connection to ...
//!   timed out`) and the keepalive (clientloop.c `server_alive_check`:
//!   a `keepalive@openssh.com` global request, type 80, then `Timeout,
//!   server ... not responding.`).
//! - hangar's own client (`hangar-ssh -E FILE`): one event a line,
//!   `<ms since start> <event>`.
//!
//! Both give the same words ([`ClientEvent`]), so traces of either client
//! read alike. Lines that mean nothing here are skipped; odd text never
//! fails a run.

use std::time::Duration;

use crate::trace::ClientEvent;

/// OpenSSH's `-vvv` log, fed a line at a time as it grows.
#[derive(Default)]
pub struct OpensshLog {
    events: Vec<(Duration, ClientEvent)>,
    /// The exit-status event, whose value ssh logs only as it returns.
    status_at: Option<usize>,
    /// Past `Entering interactive session.`: a global request from here
    /// on is a keepalive (before it, type 80 is host key proof).
    interactive: bool,
}

impl OpensshLog {
    pub fn line(&mut self, at: Duration, line: &str) {
        if let Some(event) = self.parse(line) {
            if event == (ClientEvent::ExitStatus { code: None }) {
                self.status_at = Some(self.events.len());
            }
            self.events.push((at, event));
        }
    }

    pub fn events(&self) -> &[(Duration, ClientEvent)] {
        &self.events
    }

    fn parse(&mut self, line: &str) -> Option<ClientEvent> {
        let line = line.trim_end();
        if line.starts_with("debug") && split_debug(line).is_none() {
            // A debug line cut short (ssh killed mid-write): nothing to tell.
            return None;
        }
        let Some((level, text)) = split_debug(line) else {
            return own_message(line);
        };
        // Channel numbers: the session is the only channel of a run.
        let on_channel = |what: &str| {
            text.strip_prefix("channel ")
                .and_then(|t| t.split_once(": "))
                .is_some_and(|(n, rest)| n.parse::<u32>().is_ok() && rest == what)
        };
        match level {
            1 if text == "Connection established." => Some(ClientEvent::Connected),
            1 if text == "Entering interactive session." => {
                self.interactive = true;
                None
            }
            // clientloop.c: `client_input_channel_req: channel %d rtype %s reply %d`.
            1 if text.starts_with("client_input_channel_req: ") => {
                match text.split(" rtype ").nth(1)?.split(' ').next()? {
                    "exit-status" => Some(ClientEvent::ExitStatus { code: None }),
                    "exit-signal" => Some(ClientEvent::ExitSignal { signal: None }),
                    _ => None,
                }
            }
            // clientloop.c, as client_loop returns: the remote status, or
            // -1 when none came.
            1 if text.starts_with("Exit status ") => {
                let n: i32 = text["Exit status ".len()..].trim().parse().ok()?;
                if let Some(i) = self.status_at.take().filter(|_| n >= 0)
                    && let Some((_, e)) = self.events.get_mut(i)
                {
                    *e = ClientEvent::ExitStatus { code: Some(n) };
                }
                None
            }
            2 if on_channel("send eof") => Some(ClientEvent::EofSent),
            2 if on_channel("rcvd eof") => Some(ClientEvent::EofReceived),
            2 if on_channel("rcvd close") => Some(ClientEvent::CloseReceived),
            // clientloop.c client_status_confirm: `%s request accepted on
            // channel %d` with the request type `PTY allocation`.
            2 if text.starts_with("PTY allocation request accepted") => {
                Some(ClientEvent::PtyAllocated)
            }
            // SSH2_MSG_GLOBAL_REQUEST (RFC 4254 4); in a session the client
            // sends one only as a keepalive.
            3 if self.interactive && text == "send packet: type 80" => {
                Some(ClientEvent::KeepaliveSent)
            }
            _ => None,
        }
    }
}

/// `debugN: text` -> (N, text).
fn split_debug(line: &str) -> Option<(u8, &str)> {
    let rest = line.strip_prefix("debug")?;
    let (level, text) = rest.split_once(": ")?;
    Some((level.parse().ok()?, text))
}

/// A line ssh logs at a level above debug: errors, fatal ones, notices.
fn own_message(line: &str) -> Option<ClientEvent> {
    let line = line.trim();
    if line.is_empty()
        || line.starts_with("OpenSSH_")
        || line.starts_with("Authenticated to ")
        || line.starts_with("Warning: Permanently added ")
        // Statistics (clientloop.c): counts and rates that differ per run.
        || line.starts_with("Transferred: ")
        || line.starts_with("Bytes per second: ")
        // The continuation of a multi-line debug3 status dump.
        || line.starts_with('#')
    {
        return None;
    }
    // clientloop.c server_alive_check.
    if line.starts_with("Timeout, server ") && line.ends_with(" not responding.") {
        return Some(ClientEvent::KeepaliveTimeout);
    }
    if let Some(n) = line
        .strip_prefix("Killed by signal ")
        .and_then(|n| n.trim_end_matches('.').parse().ok())
    {
        return Some(ClientEvent::KilledBySignal { signal: n });
    }
    // packet.c sshpkt_vfatal.
    let lost = |why: &str| {
        Some(ClientEvent::ConnectionLost {
            why: why.to_string(),
        })
    };
    if line.starts_with("Connection closed by ") {
        return lost("closed");
    }
    if line.starts_with("Connection reset by ") {
        return lost("reset");
    }
    if line.starts_with("Connection to ") && line.ends_with(" timed out") {
        return lost("timed out");
    }
    if line.ends_with(": Broken pipe") {
        return lost("broken pipe");
    }
    if line.ends_with(": Connection reset by peer") {
        return lost("reset");
    }
    Some(ClientEvent::Says {
        text: without_addresses(line),
    })
}

/// A line of OpenSSH's stderr that its `-E` log lacks: clientloop.c's
/// `quit_message()` writes to fd 2 only. `Connection to HOST closed by
/// remote host.` is how ssh tells that the server's FIN came under an
/// open channel (client_process_net_input, a read of 0 bytes): the
/// connection is lost as surely as by a reset, and ssh exits 255.
pub fn openssh_stderr_line(line: &str) -> Option<ClientEvent> {
    let line = line.trim_end_matches(['\r', '\n']);
    let host = line
        .strip_prefix("Connection to ")?
        .strip_suffix(" closed by remote host.")?;
    (!host.is_empty() && !host.contains(' ')).then(|| ClientEvent::ConnectionLost {
        why: "closed by remote host".into(),
    })
}

/// Takes the run's addresses and ports out of a message: `127.0.0.1 port
/// 4711` and `[127.0.0.1]:4711` become `server`.
pub fn without_addresses(text: &str) -> String {
    let mut out = text.replace("[127.0.0.1]", "127.0.0.1");
    for marker in ["127.0.0.1 port ", "127.0.0.1:"] {
        while let Some(i) = out.find(marker) {
            let digits_from = i + marker.len();
            let digits = out[digits_from..]
                .chars()
                .take_while(char::is_ascii_digit)
                .count();
            if digits == 0 {
                break;
            }
            out.replace_range(i..digits_from + digits, "server");
        }
    }
    out.replace("127.0.0.1", "server")
}

/// hangar's client log: `<ms since start> <event>` a line, the events
/// `connected`, `sent-eof`, `exit-status N`, `exit-signal NAME`, `eof`,
/// `close`, `keepalive-timeout`, `connection-lost <reason>`.
pub fn hangar_log(text: &str) -> Vec<(Duration, ClientEvent)> {
    text.lines().filter_map(hangar_line).collect()
}

fn hangar_line(line: &str) -> Option<(Duration, ClientEvent)> {
    let (ms, event) = line.trim().split_once(' ')?;
    let at = Duration::from_millis(ms.parse().ok()?);
    let (word, arg) = match event.trim().split_once(' ') {
        Some((w, a)) => (w, Some(a.trim())),
        None => (event.trim(), None),
    };
    let event = match (word, arg) {
        ("connected", None) => ClientEvent::Connected,
        ("sent-eof", None) => ClientEvent::EofSent,
        ("exit-status", Some(n)) => ClientEvent::ExitStatus {
            code: Some(n.parse().ok()?),
        },
        ("exit-signal", name) => ClientEvent::ExitSignal {
            signal: name.map(str::to_string),
        },
        ("eof", None) => ClientEvent::EofReceived,
        ("close", None) => ClientEvent::CloseReceived,
        ("keepalive-timeout", None) => ClientEvent::KeepaliveTimeout,
        ("connection-lost", why) => ClientEvent::ConnectionLost {
            why: without_addresses(why.unwrap_or("unknown")),
        },
        _ => return None,
    };
    Some((at, event))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn openssh(text: &str) -> Vec<String> {
        let mut log = OpensshLog::default();
        for line in text.lines() {
            log.line(Duration::ZERO, line);
        }
        log.events().iter().map(|(_, e)| e.to_string()).collect()
    }

    /// Measured: OpenSSH 9.2p1 against sshd, `ssh server 'exit 7'`, trimmed.
    const EXIT_7: &str = "\
OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026
debug1: Connection established.
debug3: send packet: type 80
Warning: Permanently added '[127.0.0.1]:42222' (ED25519) to the list of known hosts.
Authenticated to 127.0.0.1 ([127.0.0.1]:42222) using \"publickey\".
debug1: Entering interactive session.
debug2: exec request accepted on channel 0
debug2: channel 0: read failed rfd 5 maxlen 32768: Broken pipe
debug2: channel 0: send eof
debug3: send packet: type 96
debug1: client_input_channel_req: channel 0 rtype exit-status reply 0
debug2: channel 0: rcvd eof
debug2: channel 0: rcvd close
debug2: channel 0: send close
debug3: channel 0: status: The following connections are open:
  #0 client-session (t4 [session] r0 i3/0 o3/0 e[write]/0 fd -1/-1/7 sock -1 cc -1 io 0x00/0x00)

Transferred: sent 3480, received 3292 bytes, in 0.2 seconds
Bytes per second: sent 19774.3, received 18706.1
debug1: Exit status 7
";

    #[test]
    fn an_exit_status_session_reads_in_protocol_order() {
        assert_eq!(
            openssh(EXIT_7),
            [
                "connected",
                "channel eof sent",
                "exit-status 7",
                "channel eof received",
                "channel close received"
            ]
        );
    }

    #[test]
    fn a_signal_leaves_no_exit_status_and_ssh_logs_minus_one() {
        let text = "\
debug1: Entering interactive session.
debug2: channel 0: rcvd eof
debug1: client_input_channel_req: channel 0 rtype exit-signal reply 0
debug2: channel 0: rcvd close
debug1: Exit status -1
";
        assert_eq!(
            openssh(text),
            [
                "channel eof received",
                "exit-signal",
                "channel close received"
            ]
        );
    }

    #[test]
    fn keepalives_and_their_timeout() {
        let text = "\
debug3: send packet: type 80
debug1: Entering interactive session.
debug3: send packet: type 80
debug3: receive packet: type 82
debug3: send packet: type 80
Timeout, server 127.0.0.1 not responding.
";
        assert_eq!(
            openssh(text),
            ["keepalive sent", "keepalive sent", "keepalive timeout"]
        );
    }

    #[test]
    fn the_servers_fin_is_read_from_stderr_as_a_lost_connection() {
        let lost = |line| openssh_stderr_line(line).map(|e| e.to_string());
        assert_eq!(
            lost("Connection to 127.0.0.1 closed by remote host.\r\n").as_deref(),
            Some("connection lost: closed by remote host")
        );
        // The pty goodbye is no loss; a remote program's own words are not ssh's.
        assert_eq!(lost("Connection to 127.0.0.1 closed.\r\n"), None);
        assert_eq!(lost("Connection to a b closed by remote host."), None);
        assert_eq!(lost("closed by remote host."), None);
    }

    #[test]
    fn fatal_connection_messages_and_other_messages() {
        let text = "\
Connection reset by 127.0.0.1 port 36363
Connection closed by 127.0.0.1 port 4711
client_loop: send disconnect: Broken pipe
Connection to 127.0.0.1 port 22 timed out
debug2: PTY allocation request accepted on channel 0
Killed by signal 15.
Something new from [127.0.0.1]:4711 and 127.0.0.1 port 9
debug1: client_input_channel_req: channel 0 rtype eow@openssh.com reply 0
debugX: odd
debug1
debug2: channel 0: rcvd close\r
";
        assert_eq!(
            openssh(text),
            [
                "connection lost: reset",
                "connection lost: closed",
                "connection lost: broken pipe",
                "connection lost: timed out",
                "pty allocated",
                "killed by signal 15",
                "says \"Something new from server and server\"",
                // With a pty ssh's log lines end in CR LF.
                "channel close received",
            ]
        );
    }

    #[test]
    fn the_hangar_client_log_gives_the_same_events() {
        let text = "\
3 connected
40 sent-eof
52 exit-status 7
52 eof
53 close
what is this
x connected
60 exit-signal TERM
61 exit-signal
7000 keepalive-timeout
7001 connection-lost reset by 127.0.0.1 port 4711
";
        let events: Vec<String> = hangar_log(text)
            .iter()
            .map(|(_, e)| e.to_string())
            .collect();
        assert_eq!(
            events,
            [
                "connected",
                "channel eof sent",
                "exit-status 7",
                "channel eof received",
                "channel close received",
                "exit-signal TERM",
                "exit-signal",
                "keepalive timeout",
                "connection lost: reset by server",
            ]
        );
        assert_eq!(hangar_log(text)[2].0, Duration::from_millis(52));
        let exit_7: Vec<String> = openssh(EXIT_7);
        let hangar: Vec<String> =
            hangar_log("3 connected\n40 sent-eof\n52 exit-status 7\n52 eof\n53 close\n")
                .iter()
                .map(|(_, e)| e.to_string())
                .collect();
        assert_eq!(exit_7, hangar);
    }
}
