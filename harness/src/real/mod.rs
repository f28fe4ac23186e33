//! The real lane: the same scenario files against real SSH servers and
//! OpenSSH's client on 127.0.0.1, through a fault-injecting proxy.
//!
//! - [`peer`]: a server (OpenSSH's sshd or Dropbear) with fresh keys and a
//!   private configuration, and the client configuration that reaches it.
//! - [`proxy`]: partitions, heals, latency, bandwidth, RST and FIN, crashes
//!   and restarts between client and server, preserving half-close.
//! - [`processes`]: process groups, the run's marker, and the end of every
//!   process a run started.
//! - [`runner`]: one run, with its watchdog.
//! - [`observe`]: the client's log and the server's processes as trace
//!   events, and the normalized trace real snapshots freeze.

pub mod observe;
pub mod peer;
pub mod processes;
pub mod proxy;
pub mod runner;

pub use runner::{run, unsupported};
