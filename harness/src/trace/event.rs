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
    /// Channel data in one SSH message, as a backend reports it. The trace
    /// keeps it folded into a [`DataRun`]; consecutive ones are rendered as
    /// one line with a total, so a 1 MiB transfer reads as one event.
    Data {
        dir: Dir,
        stream: Stream,
        bytes: u64,
    },
    /// Consecutive data messages of one actor, direction and stream, folded
    /// as they are recorded: a command that streams without end costs one
    /// event per trace line, not one per message.
    DataRun(DataRun),
    /// Anything else, already worded for a person who knows SSH.
    Text(String),
}

/// Consecutive data messages: everything the text form and the trace
/// conditions can see of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataRun {
    pub dir: Dir,
    pub stream: Stream,
    /// The bytes of all the messages.
    pub bytes: u64,
    pub messages: u64,
    /// When the last message was recorded (the event's `at` is the first's).
    pub until: Duration,
    /// The distinct sizes of the messages, ascending. A trace condition
    /// matches each message on its own (`server sshd[3] data 16384 bytes`);
    /// messages of one size read alike. Bounded by the channel's maximum
    /// packet size (RFC 4254 5.2), in practice one or two sizes.
    pub sizes: Vec<u64>,
}

impl DataRun {
    /// A run of the one message `bytes` long, recorded at `at`.
    pub fn one(dir: Dir, stream: Stream, bytes: u64, at: Duration) -> Self {
        DataRun {
            dir,
            stream,
            bytes,
            messages: 1,
            until: at,
            sizes: vec![bytes],
        }
    }

    /// Whether a message of this direction and stream continues the run.
    pub fn continued_by(&self, dir: Dir, stream: Stream) -> bool {
        self.dir == dir && self.stream == stream
    }

    /// Adds the messages of `next`, which came after this run's.
    pub fn extend(&mut self, next: &DataRun) {
        self.bytes += next.bytes;
        self.messages += next.messages;
        self.until = next.until;
        for &size in &next.sizes {
            if let Err(i) = self.sizes.binary_search(&size) {
                self.sizes.insert(i, size);
            }
        }
    }
}

impl Event {
    /// The event as a run of data messages, when it is data.
    pub fn data_run(&self) -> Option<DataRun> {
        match &self.what {
            What::Data { dir, stream, bytes } => Some(DataRun::one(*dir, *stream, *bytes, self.at)),
            What::DataRun(run) => Some(run.clone()),
            What::Text(_) => None,
        }
    }
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
