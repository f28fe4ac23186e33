//! The teardown trace: the ordered events of how a session ended.
//!
//! The trace is the contract between the backends, which record it, and the
//! checking and rendering code, which reads it. See `render.rs` for the
//! text form that snapshots freeze.

mod event;
mod recorder;
mod render;

pub use event::{DataRun, Dir, Event, Stream, What};
pub use recorder::Trace;
pub use render::{format_time, render_events};
