//! What runs on the simulated hosts: the shell, the utilities, and the SSH
//! client and server models.
//!
//! Everything here is a program of the [`crate::sim::unix`] model: it reads and
//! writes descriptors and spawns processes through [`crate::sim::unix::Proc`].

mod env;
mod file_utils;
mod jobs;
mod login;
mod pipeline;
mod redirect;
mod scp;
mod sftp;
mod shell;
mod ssh;
mod ssh_args;
mod sshd;
mod sshd_pty;
mod sshd_timeouts;
#[cfg(test)]
pub(crate) mod testing;
mod tmux;
mod utils;
mod wrappers;

pub use env::HostEnv;
pub use login::{login_shell, prompt};
pub use shell::{Shell, sh_program, start_command_line};
pub use ssh_args::{SshArgs, parse_ssh_args};
pub use sshd::{SessionReport, serve_sshd};
pub use tmux::TmuxServer;
