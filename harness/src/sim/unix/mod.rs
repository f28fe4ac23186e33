//! The simulated Unix host: processes, descriptors, pipes and signals.
//!
//! What it models is listed, rule by rule with the man page followed, at the
//! top of each module. What it leaves out: users and permissions, a file
//! system beyond declared virtual files and write-only outputs, memory,
//! scheduling priorities.

pub mod cpu;
mod file;
mod kernel;
mod pipe;
pub mod saturating;
mod signal;
mod stopped_socket;
mod tty;

/// Runs `f` on a single-threaded runtime with paused time, as a turmoil
/// host would: unit tests of the host model use it.
#[cfg(test)]
pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
        .block_on(f)
}

pub use crate::run::{virtual_byte, virtual_bytes};
pub use file::{FdTable, OpenFile};
pub use kernel::{
    ChildChange, Errno, FileKind, INIT_PID, Kernel, Pid, Proc, Program, RunState, proc_label,
};
pub use pipe::{End, PIPE_CAPACITY, Pipe, PipeEnd};
pub use signal::{DefaultAction, Disposition, Signal, WaitStatus};
pub use stopped_socket::{SocketOwner, StoppedSocket};
pub use tty::{SlaveRead, Termios, Tty};
