//! One event of a teardown trace.

use std::fmt;
use std::time::Duration;

use serde::{Serialize, Serializer};

pub use super::harness::HarnessEvent;
pub use super::io::{PipeEvent, PipesClosed, TtyEvent};
pub use super::process::{ProcessEvent, SignalOutcome};
pub use super::ssh::{
    ClientEnd, ClientEvent, EofCause, ScpEvent, ServerEnd, ServerTimeout, SshEvent, Way,
};
pub use super::tcp::{ProxyLine, Segment, SynWait, TcpEvent};

/// Something that happened at a virtual time to an actor.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Virtual time since the start of the run.
    pub at: Duration,
    /// Who did or saw it: `client ssh[3]`, `server sshd`, `net`,
    /// `server sleep[5]`, `harness`.
    pub actor: String,
    pub what: What,
}

/// What happened, typed by what it happened to. The text form of each
/// (its `Display`) is what the trace's lines and trace conditions read.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "group", rename_all = "snake_case")]
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
    /// A simulated SSH peer's messages and decisions.
    Ssh(SshEvent),
    /// What a real client's own log tells.
    Client(ClientEvent),
    Scp(ScpEvent),
    Tcp(TcpEvent),
    Process(ProcessEvent),
    Pipe(PipeEvent),
    Tty(TtyEvent),
    Harness(HarnessEvent),
}

/// The text of an event. Data is the exception: the text form folds it
/// into runs and points its arrow from the actor (`render.rs`, which
/// gives the trace's words for it); alone, it names its direction.
impl fmt::Display for What {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            What::Data { dir, stream, bytes } => {
                write!(f, "{dir} data {bytes} bytes ({})", stream.name())
            }
            What::DataRun(run) => write!(
                f,
                "{} data {} bytes ({}, {} messages)",
                run.dir,
                run.bytes,
                run.stream.name(),
                run.messages
            ),
            What::Ssh(e) => e.fmt(f),
            What::Client(e) => e.fmt(f),
            What::Scp(e) => e.fmt(f),
            What::Tcp(e) => e.fmt(f),
            What::Process(e) => e.fmt(f),
            What::Pipe(e) => e.fmt(f),
            What::Tty(e) => e.fmt(f),
            What::Harness(e) => e.fmt(f),
        }
    }
}

macro_rules! what_from {
    ($($group:ident($event:ty)),*) => {
        $(impl From<$event> for What {
            fn from(event: $event) -> What {
                What::$group(event)
            }
        })*
    };
}

what_from!(
    Ssh(SshEvent),
    Client(ClientEvent),
    Scp(ScpEvent),
    Tcp(TcpEvent),
    Process(ProcessEvent),
    Pipe(PipeEvent),
    Tty(TtyEvent),
    Harness(HarnessEvent)
);

/// Consecutive data messages: everything the text form and the trace
/// conditions can see of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DataRun {
    pub dir: Dir,
    pub stream: Stream,
    /// The bytes of all the messages.
    pub bytes: u64,
    pub messages: u64,
    /// When the last message was recorded (the event's `at` is the first's).
    #[serde(rename = "until_us", serialize_with = "micros")]
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
            _ => None,
        }
    }
}

/// Microseconds, as the JSON form gives times.
fn micros<S: Serializer>(at: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u128(at.as_micros())
}

/// Direction of an SSH message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dir {
    ClientToServer,
    ServerToClient,
}

/// Which stream channel data belongs to (RFC 4254 5.2: extended data type 1
/// is stderr).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdin,
    Stdout,
    Stderr,
}

impl Stream {
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdin => "stdin",
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}
