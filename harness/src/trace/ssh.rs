//! What the SSH peers of the simulation send, receive and decide, and
//! what a real client's own log tells.

use std::fmt;

use serde::Serialize;

/// Which way an SSH message went, seen from the actor: `->` sent, `<-`
/// received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Way {
    Sent,
    Received,
}

impl fmt::Display for Way {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Way::Sent => "->",
            Way::Received => "<-",
        })
    }
}

/// What an EOF did besides being sent or received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EofCause {
    /// Nothing more to say.
    Plain,
    /// The client sends it at the end of its stdin.
    EndOfStdin,
    /// The server closes the child's stdin on it.
    ClosesChildStdin,
}

/// An SSH event of a simulated client or server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SshEvent {
    /// The client's TCP connection to sshd is up.
    Connected {
        port: u16,
    },
    ConnectFailed {
        port: u16,
        why: String,
    },
    KexFailed {
        why: String,
    },
    Authenticated,
    AuthenticationFailed,
    /// sshd accepted a connection.
    Accepted,
    /// `ssh -f`, or the `~&` escape: the session goes on in `child`.
    Background {
        child: String,
        escape: bool,
    },
    /// A session channel opened (RFC 4254 6.1).
    ChannelOpen {
        way: Way,
    },
    PtyReq {
        way: Way,
        term: String,
        cols: u32,
        rows: u32,
    },
    /// A shell request; received, sshd starts a login shell.
    Shell {
        way: Way,
    },
    Exec {
        way: Way,
        command: String,
    },
    /// RFC 4254 6.5: a subsystem (`sftp`) instead of a command line.
    Subsystem {
        way: Way,
        name: String,
    },
    WindowChange {
        cols: u16,
        rows: u16,
    },
    Eof {
        way: Way,
        cause: EofCause,
    },
    /// `answer`: the CLOSE that answers the peer's (RFC 4254 5.3).
    Close {
        way: Way,
        answer: bool,
    },
    ExitStatus {
        way: Way,
        code: u32,
    },
    ExitSignal {
        way: Way,
        signal: String,
    },
    /// Writing the channel's data to the client's stdout failed (its
    /// reader is gone): the client drops what comes after.
    StdoutWriteFailed {
        why: String,
    },
    /// `eow@openssh.com`: the client will write no more of the channel's
    /// data, so the server may stop reading the child's stdout.
    Eow {
        way: Way,
    },
    /// The `~.` escape.
    EscapeDisconnect,
    /// The `~^Z` escape.
    EscapeSuspend,
    /// The client caught `signal`, restores the terminal and exits 255.
    CaughtSignal {
        signal: String,
    },
    /// The client's connection ended under the channel, and why, in the
    /// words ssh(1) prints.
    ClientDisconnected {
        why: ClientEnd,
    },
    /// sshd's connection ended, and why.
    ServerDisconnected {
        why: ServerEnd,
    },
    /// A timeout of the server's own options fired.
    ServerTimeout {
        timeout: ServerTimeout,
    },
}

/// Which of the server's timeouts fired (`[server]` options).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "timeout", content = "secs", rename_all = "snake_case")]
pub enum ServerTimeout {
    /// OpenSSH ChannelTimeout: the session channel went that long without
    /// data; sshd closes it and leaves the command running.
    Channel(u64),
    /// OpenSSH UnusedConnectionTimeout: no channel was open for that long.
    UnusedConnection(u64),
    /// Dropbear `-I`: no packet went either way for that long.
    Idle(u64),
}

/// How the client's connection ended under its channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "end", content = "detail", rename_all = "snake_case")]
pub enum ClientEnd {
    /// ServerAliveInterval's keepalives went unanswered.
    KeepaliveTimeout,
    /// Writing to the connection failed (strerror of the error).
    SendFailed(String),
    Ended(String),
    /// The server closed the connection.
    ClosedByRemote,
}

impl fmt::Display for ClientEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientEnd::KeepaliveTimeout => f.write_str("Timeout, server server not responding."),
            ClientEnd::SendFailed(e) => write!(f, "client_loop: send disconnect: {e}"),
            ClientEnd::Ended(e) => write!(f, "Connection to server closed: {e}"),
            ClientEnd::ClosedByRemote => f.write_str("Connection to server closed by remote host."),
        }
    }
}

/// How sshd's connection ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "end", content = "detail", rename_all = "snake_case")]
pub enum ServerEnd {
    Closed,
    /// ClientAliveInterval's keepalives went unanswered.
    KeepaliveTimeout,
    Lost(String),
    Ended(String),
}

impl fmt::Display for SshEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SshEvent::Connected { port } => write!(f, "connected to server port {port}"),
            SshEvent::ConnectFailed { port, why } => {
                write!(f, "connect to server port {port} failed: {why}")
            }
            SshEvent::KexFailed { why } => write!(f, "key exchange failed: {why}"),
            SshEvent::Authenticated => f.write_str("authenticated"),
            SshEvent::AuthenticationFailed => f.write_str("authentication failed"),
            SshEvent::Accepted => f.write_str("accepted a connection"),
            SshEvent::Background { child, escape } => {
                let escape = if *escape { "~& " } else { "" };
                write!(f, "{escape}goes to the background as {child}")
            }
            SshEvent::ChannelOpen { way } => write!(f, "{way} channel open session"),
            SshEvent::PtyReq {
                way,
                term,
                cols,
                rows,
            } => write!(f, "{way} pty-req {term} {cols}x{rows}"),
            SshEvent::Shell { way: Way::Sent } => f.write_str("-> shell"),
            SshEvent::Shell { way: Way::Received } => f.write_str("<- shell: a login shell"),
            SshEvent::Exec { way, command } => write!(f, "{way} exec {command:?}"),
            SshEvent::Subsystem { way, name } => write!(f, "{way} subsystem {name:?}"),
            SshEvent::WindowChange { cols, rows } => write!(f, "-> window-change {cols}x{rows}"),
            SshEvent::Eof { way, cause } => {
                let cause = match cause {
                    EofCause::Plain => "",
                    EofCause::EndOfStdin => " (end of its stdin)",
                    EofCause::ClosesChildStdin => ": closes the child's stdin",
                };
                write!(f, "{way} EOF{cause}")
            }
            SshEvent::Close { way, answer } => {
                let answer = if *answer { " (the answer)" } else { "" };
                write!(f, "{way} CLOSE{answer}")
            }
            SshEvent::ExitStatus { way, code } => write!(f, "{way} exit-status {code}"),
            SshEvent::ExitSignal { way, signal } => write!(f, "{way} exit-signal {signal}"),
            SshEvent::StdoutWriteFailed { why } => {
                write!(
                    f,
                    "write to stdout failed: {why}; drops the rest of the data"
                )
            }
            SshEvent::Eow { way } => write!(f, "{way} eow@openssh.com"),
            SshEvent::EscapeDisconnect => f.write_str("~. disconnects"),
            SshEvent::EscapeSuspend => f.write_str("~^Z suspends ssh"),
            SshEvent::CaughtSignal { signal } => {
                write!(f, "caught {signal}: restores the terminal and exits 255")
            }
            SshEvent::ClientDisconnected { why } => why.fmt(f),
            SshEvent::ServerTimeout { timeout } => match timeout {
                // sshd's own words (channels.c channel_handler).
                ServerTimeout::Channel(secs) => {
                    write!(f, "channel 0: closing after {secs} seconds of inactivity")
                }
                // serverloop.c server_loop2.
                ServerTimeout::UnusedConnection(secs) => write!(
                    f,
                    "terminating inactive connection: no channel open for {secs} s"
                ),
                // common-session.c checktimeouts.
                ServerTimeout::Idle(secs) => {
                    write!(
                        f,
                        "Idle timeout: no packet for {secs} s; closes the connection"
                    )
                }
            },
            SshEvent::ServerDisconnected { why } => match why {
                ServerEnd::Closed => f.write_str("connection closed"),
                ServerEnd::KeepaliveTimeout => {
                    f.write_str("Timeout, client not responding: connection dropped")
                }
                ServerEnd::Lost(e) => write!(f, "connection lost: {e}"),
                ServerEnd::Ended(e) => write!(f, "connection ended: {e}"),
            },
        }
    }
}

/// The events a real client's log tells, worded for the trace: OpenSSH's
/// `-vvv` log and hangar's client log give the same words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClientEvent {
    Connected,
    PtyAllocated,
    EofSent,
    ExitStatus {
        code: Option<i32>,
    },
    ExitSignal {
        signal: Option<String>,
    },
    EofReceived,
    CloseReceived,
    KeepaliveSent,
    KeepaliveTimeout,
    ConnectionLost {
        why: String,
    },
    KilledBySignal {
        signal: i32,
    },
    /// Any other message of the client's own (not a debug line), with the
    /// run's addresses and ports taken out.
    Says {
        text: String,
    },
}

impl fmt::Display for ClientEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientEvent::Connected => f.write_str("connected"),
            ClientEvent::PtyAllocated => f.write_str("pty allocated"),
            ClientEvent::EofSent => f.write_str("channel eof sent"),
            ClientEvent::ExitStatus { code: Some(n) } => write!(f, "exit-status {n}"),
            ClientEvent::ExitStatus { code: None } => f.write_str("exit-status"),
            ClientEvent::ExitSignal { signal: Some(name) } => write!(f, "exit-signal {name}"),
            ClientEvent::ExitSignal { signal: None } => f.write_str("exit-signal"),
            ClientEvent::EofReceived => f.write_str("channel eof received"),
            ClientEvent::CloseReceived => f.write_str("channel close received"),
            ClientEvent::KeepaliveSent => f.write_str("keepalive sent"),
            ClientEvent::KeepaliveTimeout => f.write_str("keepalive timeout"),
            ClientEvent::ConnectionLost { why } => write!(f, "connection lost: {why}"),
            ClientEvent::KilledBySignal { signal } => write!(f, "killed by signal {signal}"),
            ClientEvent::Says { text } => write!(f, "says {text:?}"),
        }
    }
}

/// scp's protocol (the `C` record, the one-byte answers) and its files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScpEvent {
    /// A control record sent (`C0644 5 notes`).
    SentRecord { record: String },
    /// A control record received.
    ReceivedRecord { record: String },
    /// The sink acknowledged the file.
    Acknowledged { name: String },
    /// The sink wrote `bytes` to `path`; `cut` when the input ended after
    /// `received` of `size` bytes.
    Wrote {
        path: String,
        bytes: u64,
        cut: Option<(u64, u64)>,
    },
    /// A step of the SFTP mode's conversation with sftp-server.
    Sftp { step: String },
}

impl fmt::Display for ScpEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScpEvent::SentRecord { record } => write!(f, "-> {record}"),
            ScpEvent::ReceivedRecord { record } => write!(f, "<- {record}"),
            ScpEvent::Acknowledged { name } => write!(f, "<- {name} acknowledged"),
            ScpEvent::Sftp { step } => write!(f, "sftp: {step}"),
            ScpEvent::Wrote {
                path,
                bytes,
                cut: None,
            } => write!(f, "wrote {path}: {bytes} bytes"),
            ScpEvent::Wrote {
                path,
                bytes,
                cut: Some((received, size)),
            } => write!(
                f,
                "wrote {path}: {bytes} bytes (its input ended after {received} of {size})"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eof(way: Way, cause: EofCause) -> SshEvent {
        SshEvent::Eof { way, cause }
    }

    fn close(way: Way, answer: bool) -> SshEvent {
        SshEvent::Close { way, answer }
    }

    /// Each SSH event and its trace text.
    #[test]
    fn every_ssh_event_renders_as_the_trace_words_it() {
        let lost = |e: &str| SshEvent::ServerDisconnected {
            why: ServerEnd::Lost(e.into()),
        };
        let table: Vec<(SshEvent, &str)> = vec![
            (
                SshEvent::Connected { port: 22 },
                "connected to server port 22",
            ),
            (
                SshEvent::ConnectFailed {
                    port: 22,
                    why: "Connection timed out".into(),
                },
                "connect to server port 22 failed: Connection timed out",
            ),
            (
                SshEvent::KexFailed { why: "eof".into() },
                "key exchange failed: eof",
            ),
            (SshEvent::Authenticated, "authenticated"),
            (SshEvent::AuthenticationFailed, "authentication failed"),
            (SshEvent::Accepted, "accepted a connection"),
            (
                SshEvent::ChannelOpen { way: Way::Sent },
                "-> channel open session",
            ),
            (
                SshEvent::Background {
                    child: "client ssh[4]".into(),
                    escape: false,
                },
                "goes to the background as client ssh[4]",
            ),
            (
                SshEvent::Background {
                    child: "client ssh[4]".into(),
                    escape: true,
                },
                "~& goes to the background as client ssh[4]",
            ),
            (
                SshEvent::PtyReq {
                    way: Way::Sent,
                    term: "xterm".into(),
                    cols: 80,
                    rows: 24,
                },
                "-> pty-req xterm 80x24",
            ),
            (
                SshEvent::PtyReq {
                    way: Way::Received,
                    term: "xterm".into(),
                    cols: 80,
                    rows: 24,
                },
                "<- pty-req xterm 80x24",
            ),
            (SshEvent::Shell { way: Way::Sent }, "-> shell"),
            (
                SshEvent::Shell { way: Way::Received },
                "<- shell: a login shell",
            ),
            (
                SshEvent::Exec {
                    way: Way::Sent,
                    command: "sleep 30 &".into(),
                },
                "-> exec \"sleep 30 &\"",
            ),
            (
                SshEvent::Exec {
                    way: Way::Received,
                    command: "kill -TERM $$".into(),
                },
                "<- exec \"kill -TERM $$\"",
            ),
            (
                SshEvent::Subsystem {
                    way: Way::Sent,
                    name: "sftp".into(),
                },
                "-> subsystem \"sftp\"",
            ),
            (
                SshEvent::WindowChange {
                    cols: 100,
                    rows: 40,
                },
                "-> window-change 100x40",
            ),
            (eof(Way::Sent, EofCause::Plain), "-> EOF"),
            (eof(Way::Received, EofCause::Plain), "<- EOF"),
            (
                eof(Way::Sent, EofCause::EndOfStdin),
                "-> EOF (end of its stdin)",
            ),
            (
                eof(Way::Received, EofCause::ClosesChildStdin),
                "<- EOF: closes the child's stdin",
            ),
            (close(Way::Sent, false), "-> CLOSE"),
            (close(Way::Received, false), "<- CLOSE"),
            (close(Way::Sent, true), "-> CLOSE (the answer)"),
            (
                SshEvent::ExitStatus {
                    way: Way::Sent,
                    code: 7,
                },
                "-> exit-status 7",
            ),
            (
                SshEvent::ExitStatus {
                    way: Way::Received,
                    code: 0,
                },
                "<- exit-status 0",
            ),
            (
                SshEvent::ExitSignal {
                    way: Way::Sent,
                    signal: "TERM".into(),
                },
                "-> exit-signal TERM",
            ),
            (
                SshEvent::ExitSignal {
                    way: Way::Received,
                    signal: "TERM".into(),
                },
                "<- exit-signal TERM",
            ),
            (SshEvent::EscapeDisconnect, "~. disconnects"),
            (
                SshEvent::ServerTimeout {
                    timeout: ServerTimeout::Channel(3),
                },
                "channel 0: closing after 3 seconds of inactivity",
            ),
            (
                SshEvent::ServerTimeout {
                    timeout: ServerTimeout::Idle(2),
                },
                "Idle timeout: no packet for 2 s; closes the connection",
            ),
            (SshEvent::EscapeSuspend, "~^Z suspends ssh"),
            (
                SshEvent::CaughtSignal {
                    signal: "SIGTERM".into(),
                },
                "caught SIGTERM: restores the terminal and exits 255",
            ),
            (
                SshEvent::ClientDisconnected {
                    why: ClientEnd::KeepaliveTimeout,
                },
                "Timeout, server server not responding.",
            ),
            (
                SshEvent::ClientDisconnected {
                    why: ClientEnd::SendFailed("Connection reset by peer".into()),
                },
                "client_loop: send disconnect: Connection reset by peer",
            ),
            (
                SshEvent::ClientDisconnected {
                    why: ClientEnd::Ended("odd".into()),
                },
                "Connection to server closed: odd",
            ),
            (
                SshEvent::ClientDisconnected {
                    why: ClientEnd::ClosedByRemote,
                },
                "Connection to server closed by remote host.",
            ),
            (
                SshEvent::ServerDisconnected {
                    why: ServerEnd::Closed,
                },
                "connection closed",
            ),
            (
                SshEvent::ServerDisconnected {
                    why: ServerEnd::KeepaliveTimeout,
                },
                "Timeout, client not responding: connection dropped",
            ),
            (lost("early eof"), "connection lost: early eof"),
            (
                SshEvent::ServerDisconnected {
                    why: ServerEnd::Ended("odd".into()),
                },
                "connection ended: odd",
            ),
        ];
        for (event, text) in table {
            assert_eq!(event.to_string(), text, "{event:?}");
        }
    }

    #[test]
    fn every_client_log_event_and_scp_event_renders_as_the_trace_words_it() {
        let client: Vec<(ClientEvent, &str)> = vec![
            (ClientEvent::Connected, "connected"),
            (ClientEvent::PtyAllocated, "pty allocated"),
            (ClientEvent::EofSent, "channel eof sent"),
            (ClientEvent::ExitStatus { code: Some(7) }, "exit-status 7"),
            (ClientEvent::ExitStatus { code: None }, "exit-status"),
            (
                ClientEvent::ExitSignal {
                    signal: Some("TERM".into()),
                },
                "exit-signal TERM",
            ),
            (ClientEvent::ExitSignal { signal: None }, "exit-signal"),
            (ClientEvent::EofReceived, "channel eof received"),
            (ClientEvent::CloseReceived, "channel close received"),
            (ClientEvent::KeepaliveSent, "keepalive sent"),
            (ClientEvent::KeepaliveTimeout, "keepalive timeout"),
            (
                ClientEvent::ConnectionLost {
                    why: "reset".into(),
                },
                "connection lost: reset",
            ),
            (
                ClientEvent::KilledBySignal { signal: 15 },
                "killed by signal 15",
            ),
            (
                ClientEvent::Says {
                    text: "hello".into(),
                },
                "says \"hello\"",
            ),
        ];
        for (event, text) in client {
            assert_eq!(event.to_string(), text, "{event:?}");
        }
        let scp: Vec<(ScpEvent, &str)> = vec![
            (
                ScpEvent::SentRecord {
                    record: "C0644 5 big".into(),
                },
                "-> C0644 5 big",
            ),
            (
                ScpEvent::ReceivedRecord {
                    record: "C0644 5 big".into(),
                },
                "<- C0644 5 big",
            ),
            (
                ScpEvent::Acknowledged { name: "big".into() },
                "<- big acknowledged",
            ),
            (
                ScpEvent::Wrote {
                    path: "copy".into(),
                    bytes: 5,
                    cut: None,
                },
                "wrote copy: 5 bytes",
            ),
            (
                ScpEvent::Wrote {
                    path: "copy".into(),
                    bytes: 3,
                    cut: Some((3, 5)),
                },
                "wrote copy: 3 bytes (its input ended after 3 of 5)",
            ),
            (
                ScpEvent::Sftp {
                    step: "OPEN big for reading".into(),
                },
                "sftp: OPEN big for reading",
            ),
        ];
        for (event, text) in scp {
            assert_eq!(event.to_string(), text, "{event:?}");
        }
    }
}
