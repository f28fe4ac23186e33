//! What a session's child does between fork and exec, as sshd's child
//! does (session.c do_exec_no_pty, do_exec_pty): it leaves hangar-sshd's
//! session with setsid(2), so it leads a session and a process group of
//! its own, and on a pty makes the pty its controlling terminal.
//!
//! It also starts with every signal at its default disposition: a server
//! started from a script's `cmd &` inherits SIGINT and SIGQUIT ignored
//! (POSIX sh, asynchronous lists), and exec(2) keeps ignored signals
//! ignored, which would make the session's ^C and kill -INT do nothing.

use nix::sys::signal::{SigHandler, Signal, signal};
use tokio::process::Command;

use super::tty;

/// Sets `command` up to run as a session's child.
pub fn prepare(command: &mut Command, on_pty: bool) {
    // SAFETY: only async-signal-safe calls (signal(2), setsid(2),
    // ioctl(2)); on a pty the closure runs after the slave became fds 0-2.
    unsafe {
        command.pre_exec(move || {
            for sig in Signal::iterator() {
                if !matches!(sig, Signal::SIGKILL | Signal::SIGSTOP) {
                    let _ = signal(sig, SigHandler::SigDfl);
                }
            }
            nix::unistd::setsid()?;
            if on_pty {
                tty::acquire_controlling_tty()?;
            }
            Ok(())
        });
    }
}
