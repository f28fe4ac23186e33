//! Running a set of scenario files: load and check them all first (bad
//! input runs nothing), then run each against each of its targets.
//!
//! - [`load`](mod@load): scenario files, with every check.
//! - [`command`]: `hangar run`: the options' checks and the job list.
//! - [`pool`]: the worker pool that runs jobs, isolated from each other.
//! - [`judge`]: a job's runs judged against the expectations, retried.
//! - [`output`]: what a run prints: lines, headers, replay lines, the tally.
//! - [`select`]: which files a run takes (tags, name, partition);
//!   [`list`] shows them.
//! - [`both`]: `--lane both`, the sim lane compared with the real lane
//!   ([`compare`]) on the times of the steps ([`step_times`]).

mod both;
mod command;
mod compare;
mod isolation;
mod judge;
mod lane;
mod list;
mod load;
mod output;
mod pool;
mod seed_range;
mod select;
mod step_times;

pub use command::run_paths;
pub use isolation::{RunFailure, isolated, run_isolated};
pub use lane::Lane;
pub use list::{ListOptions, list_paths};
pub use load::{load, load_all, load_named};
pub use pool::run_parallel;
pub use select::{Partition, Selection};

use std::path::PathBuf;

/// What `hangar run` was asked to do.
pub struct RunOptions {
    /// Target names; empty means each scenario's own list.
    pub targets: Vec<String>,
    /// A number, or `random`.
    pub seed: String,
    /// `--seeds A..B`: every job on every seed of the range (sim lane).
    pub seeds: Option<String>,
    /// `--shard k/n`: the k-th of n interleaved parts of the seed range.
    pub shard: Option<String>,
    /// `--until fail`: a job stops at its first seed that does not pass.
    pub until_fail: bool,
    pub lane: Lane,
    pub verbose: bool,
    pub json: bool,
    /// `--events`: the JSON lines carry each run's events.
    pub events: bool,
    /// Simulations run in parallel, one per worker thread.
    pub workers: usize,
    /// `--targets`: the real lane's user-defined targets.
    pub targets_file: Option<PathBuf>,
    /// Runs of each scenario and target, whose traces must be the same;
    /// `None` when not given (each lane has its default).
    pub repeat: Option<usize>,
    /// Real lane: how many more times a job that did not pass is run.
    pub retries: usize,
    /// `--format junit`: JUnit XML on stdout in place of the text lines.
    pub junit_stdout: bool,
    /// `--junit FILE`: JUnit XML written to FILE as well.
    pub junit_file: Option<PathBuf>,
    /// `--html DIR`: a page per run with its sequence diagram, and an index.
    pub html: Option<PathBuf>,
    /// Which of the files found run.
    pub selection: Selection,
}

/// The tag of a scenario whose real runs differ by nature (which of two
/// readers gets a line): its real traces are neither frozen nor compared.
pub const REAL_RACE: &str = "real-race";

/// The variable that names a targets file when `--targets` does not.
pub const TARGETS_ENV: &str = "HANGAR_TARGETS";
