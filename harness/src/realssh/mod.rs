//! hangar's own SSH server and client as real programs, so that the real
//! lane can run the `hangar:*` targets against real processes:
//!
//! - `hangar-sshd` ([`server`]): russh's server on 127.0.0.1 with one of
//!   hangar's teardown policies (`wait-eof`, `close-on-exit`, `drain=D`),
//!   running sessions as sshd(8) does: the user's shell in the user's
//!   home, the child leading its own session, on pipes ([`session`]) or
//!   on a pty ([`pty`]).
//! - `hangar-ssh` ([`client`]): russh's client behaving as OpenSSH's
//!   ssh(1) does where teardown is concerned (exit status, keepalive,
//!   pty and escapes), with an observer log of the channel's end
//!   ([`events`]).
//!
//! Both talk to 127.0.0.1 only.

mod child;
pub mod client;
pub mod client_args;
mod client_stdin;
pub mod events;
mod local_tty;
mod log;
mod login;
mod modes;
mod output;
mod pty;
pub mod server;
pub mod server_args;
mod session;
mod signals;
mod tty;
