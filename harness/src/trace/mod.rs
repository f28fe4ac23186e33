//! The teardown trace: the ordered events of how a session ended.
//!
//! The trace is the contract between the backends, which record it, and the
//! checking and rendering code, which reads it. See `render.rs` for the
//! text form that snapshots freeze.

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
    ProcessEvent, ProxyLine, ScpEvent, Segment, ServerEnd, SignalOutcome, SshEvent, Stream,
    SynWait, TcpEvent, TtyEvent, Way, What, micros,
};
pub use recorder::Trace;
pub use render::{event_text, format_time, render_events};
