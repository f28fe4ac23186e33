//! The real lane: the same scenario files against real SSH servers and
//! OpenSSH's client on 127.0.0.1, through a fault-injecting proxy.
//!
//! - [`targets`]: the targets as data: server and client command templates,
//!   the built-ins' and those of a user's targets file.
//! - [`peer`]: a target's server with fresh keys and a private
//!   configuration, and the client wrappers that reach it.
//! - [`proxy`]: partitions, heals, latency, bandwidth, RST and FIN, crashes
//!   and restarts between client and server, preserving half-close.
//! - [`processes`]: process groups, the run's marker, and the end of every
//!   process a run started.
//! - [`runner`]: one run, with its watchdog.
//! - [`interrupt`]: Ctrl-C or SIGTERM ends the runs' processes first.
//! - [`scoped_kill`]: the `pkill` a run's processes get, which reaches
//!   only the run's own; [`literal_kill`]: `kill` of a literal id, refused.
//! - [`observe`]: the client's log and the server's processes as trace
//!   events, and the normalized trace real snapshots freeze.

pub mod at_terminal;
pub mod interrupt;
pub mod literal_kill;
pub mod observe;
pub mod peer;
pub mod processes;
pub mod proxy;
pub mod runner;
pub mod scoped_kill;
pub mod targets;
pub mod terminal;
pub mod watch;
pub mod witness;

pub use runner::{run, unsupported};
pub use targets::{RealTarget, TargetsFile};
