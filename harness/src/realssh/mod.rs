//! hangar's own SSH server and client as real programs, so that the real
//! lane can run the `hangar:*` targets against real processes:
//!
//! - `hangar-sshd` ([`server`]): russh's server on 127.0.0.1 with one of
//!   hangar's teardown policies (`wait-eof`, `close-on-exit`, `drain=D`),
//!   running sessions as sshd(8) does: the user's shell in the user's
//!   home, the child leading its own session, on pipes (`session.rs`) or
//!   on a pty (`pty.rs`).
//! - `hangar-ssh` ([`client`]): russh's client behaving as OpenSSH's
//!   ssh(1) does where teardown is concerned (exit status, keepalive,
//!   pty and escapes), with an observer log of the channel's end
//!   ([`events`]).
//!
//! Both talk to 127.0.0.1 only.
//!
//! # Command lines
//!
//! ```text
//! hangar-sshd --listen 127.0.0.1:PORT --host-key PATH --authorized-keys PATH \
//!             --policy wait-eof|close-on-exit|drain=DUR \
//!             [--setenv NAME=VALUE]... [--client-alive-interval SECS] [--client-alive-count-max N]
//!
//! hangar-ssh [-n] [-T] [-t] [-tt] [-p PORT] [-i KEY] [-l USER] [-o Key=Value]... [-E EVENTS_FILE]
//!            HOST [COMMAND...]
//! ```
//!
//! hangar-sshd runs in the foreground and logs to stderr; its first line
//! says where it listens (`hangar-sshd: listening on 127.0.0.1:PORT ...`,
//! useful with port 0). It exits 1 on bad arguments, keys or address.
//! The keys are OpenSSH's (`ssh-keygen -t ed25519 -N ''`); DUR is a
//! scenario duration (`2s`, `250ms`).
//!
//! hangar-ssh connects to `-o HostName=` (127.0.0.1 or localhost); HOST
//! is the name its messages use. Besides HostName it reads Port, User,
//! IdentityFile, ServerAliveInterval, ServerAliveCountMax and
//! ConnectTimeout, and accepts and ignores StrictHostKeyChecking,
//! UserKnownHostsFile, BatchMode, LogLevel and IdentitiesOnly. It exits
//! with the remote exit status, or 255. `-E FILE` writes one event a line,
//! `<ms since start> <event>`: `connected`, `sent-eof`, `exit-status N`,
//! `exit-signal NAME`, `eof`, `close`, `keepalive-timeout`,
//! `connection-lost <reason>`.

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
