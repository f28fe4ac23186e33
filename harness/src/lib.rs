//! hangar: a deterministic simulation and test harness for SSH hang and
//! teardown scenarios.
//!
//! A scenario file (see the `hangar-scenario` crate) describes a client
//! host, a server host, the network between them and a timeline of what
//! happens. The sim lane runs it in a turmoil simulation: every host is a
//! small Unix model ([`sim::unix`]) interpreting a POSIX-sh subset
//! ([`sim::host`]), the SSH endpoints are russh over turmoil TCP with
//! faults of our own ([`sim::net`]). The real lane runs the same file
//! against real SSH servers and clients on 127.0.0.1 ([`real`]). Both
//! lanes drive one step loop ([`run`]) and the result is a teardown trace ([`trace`]) that is
//! checked ([`verdict`]) and reported ([`report`]).
//!
//! # Layout
//!
//! In the order data flows through a run:
//!
//! - [`validate`]: load-time checks of `run` lines that need the host model.
//! - [`catalog`]: a set of scenario files, each run against each of its targets
//!   (on one seed, or over a range of seeds grouped by outcome).
//! - [`run`]: what both lanes share: the timeline, the step loop, the screen, the result.
//! - [`sim`]: the sim lane: one run with one seed in a turmoil world; its determinism rules.
//!   - [`sim::unix`]: process table, fd tables, pipes, signals.
//!   - [`sim::host`]: the shell interpreter and the utilities it runs, `ssh` and `sshd` models.
//!   - [`sim::net`]: TCP semantics over turmoil: partitions that heal, retransmission budgets, crashes.
//!   - [`sim::clock`]: the hosts' timers in the run's books, and jumps over idle virtual time.
//! - [`real`]: the real lane: real servers on 127.0.0.1 behind a fault proxy.
//! - [`ssh`]: what the simulated ssh/sshd and hangar's real programs share: the command line,
//!   the teardown orders, escapes, ServerAlive, algorithms.
//! - [`realssh`]: hangar's own server and client as real programs (`hangar-sshd`, `hangar-ssh`).
//! - [`trace`]: the event log and its text form.
//! - [`verdict`]: expectations checked against a run's outcome.
//! - [`report`]: terminal, JSON, JUnit and HTML output (sequence diagrams), exit codes.
//! - [`explore`]: one scenario over a range of seeds, grouped by outcome.
//! - [`merge`]: the shards of a run over seeds put back together.
//! - [`shrink`]: a failing run made smaller, kept as a regression.

pub mod catalog;
pub mod explore;
pub mod merge;
pub mod real;
pub mod realssh;
pub mod report;
pub mod run;
pub mod shrink;
pub mod sim;
pub mod ssh;
pub mod trace;
pub mod validate;
pub mod verdict;
