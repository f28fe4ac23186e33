//! Pipes, ptys and the client's terminal.

use std::fmt;

use serde::Serialize;

use super::event::Stream;

/// When sshd closes the child's pipes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PipesClosed {
    AtChildExit,
    AfterTheDrain,
    AfterFlushingAtChildExit,
    /// The channel went quiet for its ChannelTimeout.
    OnChannelTimeout,
}

impl fmt::Display for PipesClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PipesClosed::AtChildExit => "at child exit",
            PipesClosed::AfterTheDrain => "after the drain",
            PipesClosed::AfterFlushingAtChildExit => "after flushing at child exit",
            PipesClosed::OnChannelTimeout => "on the channel's timeout",
        })
    }
}

/// sshd's side of the child's pipes and pty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PipeEvent {
    /// read(2) returned 0 on the child's `stream` pipe.
    EofRead { stream: Stream },
    /// The pipe is still open in these processes (`sleep[5] (fd 1)`).
    HeldBy {
        stream: Stream,
        holders: Vec<String>,
    },
    /// sshd closes the child's pipes; `lost` unread bytes go with them.
    Closed { when: PipesClosed, lost: u64 },
    /// sshd closes the child's stdout pipe on the client's
    /// `eow@openssh.com`; `lost` unread bytes go with it.
    StdoutClosedOnEow { lost: u64 },
    /// The drain after the child's exit hit its limit.
    DrainLimit { ms: u128 },
    /// sshd closes the pty at the child's exit with bytes unread.
    PtyClosedAtExit { lost: usize },
    /// Nothing more to read from the pty: taken as EOF.
    PtyDrained,
}

impl fmt::Display for PipeEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipeEvent::EofRead { stream } => {
                write!(f, "reads EOF on the child's {} pipe", stream.name())
            }
            PipeEvent::HeldBy { stream, holders } => write!(
                f,
                "waits for EOF on the child's {} pipe, still open in {}",
                stream.name(),
                holders.join(", ")
            ),
            PipeEvent::Closed { when, lost: 0 } => write!(f, "closes the child's pipes {when}"),
            PipeEvent::Closed { when, lost } => {
                write!(
                    f,
                    "closes the child's pipes {when}: {lost} unread bytes lost"
                )
            }
            PipeEvent::StdoutClosedOnEow { lost } => write!(
                f,
                "closes the child's stdout pipe: the client wants no more ({lost} unread bytes dropped)"
            ),
            PipeEvent::DrainLimit { ms } => write!(f, "drain limit {ms}ms reached"),
            PipeEvent::PtyClosedAtExit { lost } => {
                write!(f, "closes the pty at child exit: {lost} unread bytes lost")
            }
            PipeEvent::PtyDrained => {
                f.write_str("the pty has nothing more to read now: treats it as EOF")
            }
        }
    }
}

/// Terminals: the client's keyboard and screen, hangups, tmux.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TtyEvent {
    /// Keys typed at the client's terminal, as the scenario wrote them.
    Typed {
        text: String,
    },
    Resized {
        cols: u16,
        rows: u16,
    },
    /// The master side closed: the tty is hung up (`pts/0`).
    HungUp {
        tty: String,
    },
    /// tmux starts session `name` on a new pty.
    NewSession {
        name: String,
        tty: String,
    },
    /// A tmux client attaches to session `name`.
    Attaches {
        name: String,
    },
}

impl fmt::Display for TtyEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TtyEvent::Typed { text } => write!(f, "types {text:?}"),
            TtyEvent::Resized { cols, rows } => write!(f, "resized to {cols}x{rows}"),
            TtyEvent::HungUp { tty } => write!(f, "/dev/{tty} hung up"),
            TtyEvent::NewSession { name, tty } => write!(f, "new session {name} on /dev/{tty}"),
            TtyEvent::Attaches { name } => write!(f, "attaches to session {name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each pipe, pty and terminal event and its trace text.
    #[test]
    fn every_pipe_and_tty_event_renders_as_the_trace_words_it() {
        let pipes: Vec<(PipeEvent, &str)> = vec![
            (
                PipeEvent::EofRead {
                    stream: Stream::Stderr,
                },
                "reads EOF on the child's stderr pipe",
            ),
            (
                PipeEvent::HeldBy {
                    stream: Stream::Stdout,
                    holders: vec![
                        "server sleep[5] (fd 1)".into(),
                        "server sh[6] (fd 1)".into(),
                    ],
                },
                "waits for EOF on the child's stdout pipe, still open in server sleep[5] (fd 1), \
                 server sh[6] (fd 1)",
            ),
            (
                PipeEvent::Closed {
                    when: PipesClosed::AtChildExit,
                    lost: 0,
                },
                "closes the child's pipes at child exit",
            ),
            (
                PipeEvent::Closed {
                    when: PipesClosed::AfterTheDrain,
                    lost: 10,
                },
                "closes the child's pipes after the drain: 10 unread bytes lost",
            ),
            (
                PipeEvent::Closed {
                    when: PipesClosed::AfterFlushingAtChildExit,
                    lost: 0,
                },
                "closes the child's pipes after flushing at child exit",
            ),
            (
                PipeEvent::DrainLimit { ms: 2000 },
                "drain limit 2000ms reached",
            ),
            (
                PipeEvent::PtyClosedAtExit { lost: 4 },
                "closes the pty at child exit: 4 unread bytes lost",
            ),
            (
                PipeEvent::PtyDrained,
                "the pty has nothing more to read now: treats it as EOF",
            ),
        ];
        for (event, text) in pipes {
            assert_eq!(event.to_string(), text, "{event:?}");
        }
        let ttys: Vec<(TtyEvent, &str)> = vec![
            (
                TtyEvent::Typed {
                    text: "sleep 30 &\n".into(),
                },
                "types \"sleep 30 &\\n\"",
            ),
            (
                TtyEvent::Resized {
                    cols: 100,
                    rows: 40,
                },
                "resized to 100x40",
            ),
            (
                TtyEvent::HungUp {
                    tty: "pts/0".into(),
                },
                "/dev/pts/0 hung up",
            ),
            (
                TtyEvent::NewSession {
                    name: "work".into(),
                    tty: "pts/1".into(),
                },
                "new session work on /dev/pts/1",
            ),
            (
                TtyEvent::Attaches {
                    name: "work".into(),
                },
                "attaches to session work",
            ),
        ];
        for (event, text) in ttys {
            assert_eq!(event.to_string(), text, "{event:?}");
        }
    }
}
