//! One event of a teardown trace.

use std::time::Duration;

/// Something that happened at a virtual time to an actor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Virtual time since the start of the run.
    pub at: Duration,
    /// Who did or saw it: `client ssh[3]`, `server sshd`, `net`,
    /// `server sleep[5]`, `harness`.
    pub actor: String,
    pub what: What,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    /// Channel data in one SSH message. Consecutive ones are rendered as
    /// one line with a total, so a 1 MiB transfer reads as one event.
    Data {
        dir: Dir,
        stream: Stream,
        bytes: u64,
    },
    /// Anything else, already worded for a person who knows SSH.
    Text(String),
}

/// Direction of an SSH message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    ClientToServer,
    ServerToClient,
}

/// Which stream channel data belongs to (RFC 4254 5.2: extended data type 1
/// is stderr).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdin,
    Stdout,
    Stderr,
}
