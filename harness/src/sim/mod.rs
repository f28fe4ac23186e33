//! One run of one scenario against one target with one seed, in the
//! simulated world.
//!
//! The runner builds the turmoil simulation and drives it through the
//! step loop both lanes share ([`crate::run`]), one tick at a time.

mod runner;
mod swarm;
mod terminal;

pub use runner::run;
pub use swarm::Swarm;
#[cfg(test)]
pub(crate) use terminal::{Terminal, start_login_shell};
