//! What runs look like to people and to CI: the trace text that snapshots
//! freeze, JSON lines, exploration and seed-range summaries, JUnit XML,
//! GitHub annotations, HTML pages with sequence diagrams, and the process
//! exit codes.
//!
//! Every report starts with the seed and the values drawn from it, and
//! every failure ends with the command that replays it.

mod events;
mod explore;
pub mod github;
pub mod html;
pub mod junit;
mod run;
pub mod seed_jobs;
pub mod terminal;

pub use events::events_json;
pub use explore::{Explored, explore_cases, explore_json, explore_junit, explore_text};
pub use run::{
    error_json, error_summary_line, header, json_line, json_value, replay_command, summary_line,
    trace_text,
};

/// Every scenario and target passed.
pub const EXIT_PASS: i32 = 0;
/// Some run failed or ended `unknown`.
pub const EXIT_FAIL: i32 = 1;
/// A scenario file or an argument is wrong: nothing ran.
pub const EXIT_BAD_INPUT: i32 = 2;
/// The harness itself failed.
pub const EXIT_HARNESS_ERROR: i32 = 3;

/// The lanes a run belongs to.
pub const LANE_SIM: &str = "sim";
pub const LANE_REAL: &str = "real";
