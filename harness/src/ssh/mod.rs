//! What the simulated `ssh` and `sshd` (`sim::host`) and hangar's real
//! programs (`hangar-ssh`, `hangar-sshd` in `realssh`) share, so that the
//! two cannot drift: the ssh command line, the orders in which a server
//! ends a session, the escape character, ServerAlive*, the algorithms and
//! the wording of a failed connection.
//! Nothing here touches a socket or a process; each side does its own I/O.

pub mod algorithms;
pub mod args;
pub mod escapes;
pub mod server_alive;
pub mod strerror;
pub mod teardown;
