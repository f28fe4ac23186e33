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
    /// The `~.` escape.
    EscapeDisconnect,
    /// The `~^Z` escape.
    EscapeSuspend,
    /// The client caught `signal`, restores the terminal and exits 255.
    CaughtSignal {
        signal: String,
    },
    /// The client's connection ended under the channel; `message` is
    /// what ssh(1) prints.
    ClientDisconnected {
        message: String,
    },
    /// sshd's connection ended, and why.
    ServerDisconnected {
        why: ServerEnd,
    },
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
            SshEvent::PtyReq {
                way,
                term,
                cols,
                rows,
            } => write!(f, "{way} pty-req {term} {cols}x{rows}"),
            SshEvent::Shell { way: Way::Sent } => f.write_str("-> shell"),
            SshEvent::Shell { way: Way::Received } => f.write_str("<- shell: a login shell"),
            SshEvent::Exec { way, command } => write!(f, "{way} exec {command:?}"),
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
            SshEvent::EscapeDisconnect => f.write_str("~. disconnects"),
            SshEvent::EscapeSuspend => f.write_str("~^Z suspends ssh"),
            SshEvent::CaughtSignal { signal } => {
                write!(f, "caught {signal}: restores the terminal and exits 255")
            }
            SshEvent::ClientDisconnected { message } => f.write_str(message),
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
}

impl fmt::Display for ScpEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScpEvent::SentRecord { record } => write!(f, "-> {record}"),
            ScpEvent::ReceivedRecord { record } => write!(f, "<- {record}"),
            ScpEvent::Acknowledged { name } => write!(f, "<- {name} acknowledged"),
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
