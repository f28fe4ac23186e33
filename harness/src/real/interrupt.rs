//! An interrupted harness ends its runs' processes before it exits.
//!
//! A run's processes lead process groups of their own, so the terminal's
//! Ctrl-C reaches hangar alone, and a CI job's timeout sends SIGTERM to
//! hangar alone: without this, the servers, clients and remote commands
//! of the runs in flight would outlive it. On SIGINT, SIGTERM or SIGHUP
//! the handler only writes the signal's number into a pipe (write(2) is
//! async-signal-safe, signal-safety(7)); a thread reading the pipe kills
//! every process of this harness's runs (`processes::leftovers_of`),
//! removes the runs' directories and exits with 128 + the signal number,
//! as a shell reports a command killed by it.

use std::os::fd::{IntoRawFd, OwnedFd};
use std::sync::Once;
use std::sync::atomic::{AtomicI32, Ordering};

use nix::libc;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

use super::processes::{kill_all, leftovers_of_this_process, run_dir_prefix};

/// The write end of the pipe the handler writes to; -1 until installed.
static WAKE: AtomicI32 = AtomicI32::new(-1);

/// The signal caught, 0 until then: set in the handler itself, so that
/// the main thread, whose run ends as the cleanup kills its processes,
/// cannot exit 0 ahead of the cleanup ([`exit_unless_interrupted`]).
static CAUGHT_SIGNAL: AtomicI32 = AtomicI32::new(0);

const CAUGHT: [Signal; 3] = [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP];

extern "C" fn on_signal(signal: libc::c_int) {
    CAUGHT_SIGNAL.store(signal, Ordering::SeqCst);
    let fd = WAKE.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = signal as u8;
        // SAFETY: write(2) of one byte from a local, async-signal-safe.
        unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
    }
}

/// Installs the handlers, once per process. Programs the runs start get
/// the default actions back at execve(2) (signal(7)).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let Ok((read_end, write_end)) = nix::unistd::pipe() else {
            return;
        };
        WAKE.store(write_end.into_raw_fd(), Ordering::Relaxed);
        let action = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        for signal in CAUGHT {
            // SAFETY: the handler only loads an atomic and calls write(2).
            let _ = unsafe { sigaction(signal, &action) };
        }
        std::thread::spawn(move || wait_and_clean_up(read_end));
    });
}

fn wait_and_clean_up(read_end: OwnedFd) {
    let mut byte = [0u8; 1];
    loop {
        match nix::unistd::read(&read_end, &mut byte) {
            Ok(1) => break,
            Ok(_) => return,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return,
        }
    }
    let signal = i32::from(byte[0]);
    let name = Signal::try_from(signal).map_or("a signal", |s| s.as_str());
    let ended = kill_all(leftovers_of_this_process);
    remove_run_dirs();
    if ended > 0 {
        eprintln!("hangar: {name}: ended {ended} process(es) of the runs in flight");
    }
    std::process::exit(128 + signal);
}

/// The runs' directories (`hangar-<pid>-<n>` in the temporary directory).
fn remove_run_dirs() {
    let prefix = run_dir_prefix(std::process::id());
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The main thread's way out: `code`, unless a signal was caught, in which
/// case the cleanup thread exits once it is done (128 + the signal).
pub fn exit_unless_interrupted(code: i32) -> i32 {
    while CAUGHT_SIGNAL.load(Ordering::SeqCst) != 0 {
        std::thread::park();
    }
    code
}
