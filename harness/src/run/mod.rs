//! What both lanes share: the scenario's timeline, the step loop that
//! drives a lane through it, the client's screen, and what a run
//! produced.
//!
//! - [`timeline`]: the steps in the order they happen, typing and
//!   `wait_for` included.
//! - [`steps`]: the loop, and the [`Lane`] trait the sim and the real lane
//!   implement.
//! - [`screen`]: the client terminal's screen, as an emulator shows it.
//! - [`client_output`]: what the command lines wrote, counted and kept.
//! - [`teardown_order`]: the client's teardown events in the order seen.
//! - [`files_seen`]: what a run left on the hosts' disks.
//! - [`outcome`], [`result`]: the facts expectations are checked against,
//!   and the rest of a run's result.

mod client_output;
mod files_seen;
mod outcome;
mod result;
mod screen;
mod steps;
mod teardown_order;
pub(crate) mod timeline;
mod virtual_file;

pub use client_output::ClientOutput;
pub use files_seen::{FileAtEnd, FileSeen, files_line, host_path};
pub use outcome::Outcome;
pub use result::{LaneRun, RunError, RunResult, UserTarget};
pub use screen::{COLUMNS, SCROLLBACK, Screen, screen_regex};
pub use steps::{HARNESS, Lane, Settle, Stopped, Wake, run_steps};
pub use teardown_order::{StreamOrder, TeardownEvent, client_teardown, teardown_orders};
pub use timeline::{Due, Timeline, UserTerminal, trace_lines};
pub use virtual_file::{virtual_byte, virtual_bytes};
