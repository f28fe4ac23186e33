//! One run of one scenario against one target with one seed, in the
//! simulated world.
//!
//! The runner builds the turmoil simulation and drives it through the
//! step loop both lanes share ([`crate::run`]), one tick at a time.
//!
//! # Determinism
//!
//! What must hold: the same scenario, target, seed and hangar commit give
//! the same trace bytes, on any machine, with or without jumps over idle
//! time. Everything in [`crate::sim::unix`], [`crate::sim::host`], [`crate::sim::net`],
//! [`crate::sim::clock`] and here follows from that:
//!
//! - Randomness comes from the seed only: turmoil's RNG (`rng_seed`, which
//!   orders the network's deliveries) and [`Swarm::draw`] (its own stream
//!   from the same seed, for the values a scenario gives as ranges). No
//!   `rand::rng()`, no OS random source.
//! - Time is virtual: every timer of a simulated host goes through
//!   `crate::sim::clock::{sleep, sleep_until, timeout, Alarm}`, so that the
//!   runner sees its deadline; `tokio::time::Instant` is the hosts' clock.
//!   Never `std::time::Instant` or `SystemTime` (the wall time a run took
//!   is measured for reports only, and never printed in a trace).
//! - Order comes from the model, never from the machine: no iteration
//!   over a `HashMap` or `HashSet` whose order can reach the output (use
//!   `BTreeMap` or a `Vec`), no OS threads, no dependence on how fast
//!   anything runs. All hosts run on the caller's thread.
//!
//! How it is tested: every catalog scenario's snapshot test runs its seed
//! twice and without jumps and compares the traces, and more seeds twice
//! (`tests/scenarios.rs`); `tests/idle_time.rs` checks jumps change no
//! byte; `ci/test` runs the whole catalog twice and compares the output.

pub mod clock;
pub mod host;
pub mod net;
mod runner;
mod swarm;
mod terminal;
pub mod unix;

pub use runner::run;
pub use swarm::Swarm;
#[cfg(test)]
pub(crate) use terminal::{Terminal, start_login_shell};
