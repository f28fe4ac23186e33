//! One run of one scenario against one target with one seed, in the
//! simulated world.
//!
//! The runner owns the turmoil simulation and steps it tick by tick: it
//! applies the scenario's steps at their times, then stops when every
//! command line has ended and the world has settled, or at the horizon.

mod outcome;
mod runner;
mod screen;
mod swarm;
mod terminal;
pub(crate) mod timeline;

pub use outcome::Outcome;
pub use runner::{RunError, RunResult, run};
pub use screen::{COLUMNS, SCROLLBACK, Screen, screen_regex};
pub use swarm::Swarm;
#[cfg(test)]
pub(crate) use terminal::{Terminal, start_login_shell};
pub use timeline::trace_lines;
