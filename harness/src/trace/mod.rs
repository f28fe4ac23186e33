//! The teardown trace: the ordered events of how a session ended.
//!
//! The trace is the contract between the backends, which record it, and the
//! checking and rendering code, which reads it. See `render.rs` for the
//! text form that snapshots freeze.
//!
//! Events are typed by what they happened to (`event.rs`): SSH messages
//! of the simulated peers and a real client's log (`ssh.rs`), TCP and the
//! real lane's fault proxy (`tcp.rs`), processes (`process.rs`), pipes,
//! ptys and terminals (`io.rs`), the harness's own steps (`harness.rs`).
//! Each type's `Display` is its text in the trace; readers match on the
//! types, never on the text.

mod event;
mod harness;
mod io;
mod process;
mod recorder;
mod render;
mod ssh;
mod tcp;

pub use event::{
    ClientEnd, ClientEvent, DataRun, Dir, EofCause, Event, HarnessEvent, PipeEvent, PipesClosed,
    ProcessEvent, ProxyLine, ScpEvent, Segment, ServerEnd, ServerTimeout, SignalOutcome, SshEvent,
    Stream, SynWait, TcpEvent, TtyEvent, Way, What,
};
pub use recorder::Trace;
pub use render::{event_text, format_time, render_events};
