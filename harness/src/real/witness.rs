//! `hangar witness --record FILE -- PROGRAM ARGS...`: runs the real `ssh`
//! at the terminal and writes down what happens to it (started, its exit
//! status or the signal that killed it), which nothing else can see: the
//! interactive shell reaps its jobs itself.
//!
//! Two processes share the work:
//!
//! - The witness proper is the shell's child and stands in for the
//!   program in the shell's job table, so it must look like it: it stays
//!   in the job's process group, stops when the program stops (bash
//!   reports the job `Stopped` only when its own child stops: waitpid(2)
//!   WUNTRACED) and ends as the program ends, with the same status.
//!   Signals the terminal sends to the foreground group reach it and the
//!   program; it ignores those that would end it first.
//! - Its keeper, forked from it, leads a process group of its own and is
//!   the program's parent, the program being put in the job's group
//!   (setpgid(2) is allowed within a session). A signal to the whole job,
//!   bash's `kill -9 %1`, kills the witness and the program, never the
//!   keeper: it reaps the program, records how it ended, and tells the
//!   witness through a pipe, if the witness is still there to hear.
//!
//! Stops are not recorded: the kernel and the terminal send SIGTTIN,
//! SIGTTOU and SIGTSTP to the whole group (tty_ioctl(4), termios(3)), so
//! the witness stops with the program at once, as one job, and the runner
//! sees both stopped in proc(5). A stop the program gives itself (ssh's
//! `~^Z` raises SIGTSTP) reaches the keeper, which sends the witness the
//! same signal. After a group stop that signal is redundant: a stop
//! signal already pending is not queued twice, and SIGCONT discards the
//! pending ones (signal(7)).

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nix::sys::signal::{SigHandler, Signal, kill, raise, signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, getpgrp, getpid, setpgid};

use crate::trace::ProcessEvent;

/// How the program ended, as the keeper tells the witness: two bytes,
/// `0, code` after an exit, `1, signal` after a death by signal.
enum End {
    Exit(i32),
    Killed(Signal),
}

/// Runs `program` and records its life in `record`; returns the exit code
/// to exit with (after a death by signal the witness dies the same way).
pub fn witness(record: &Path, program: &str, args: &[String]) -> i32 {
    let (mut from_keeper, to_witness) = match std::io::pipe() {
        Ok(pipe) => pipe,
        Err(e) => {
            eprintln!("hangar witness: pipe: {e}");
            return 255;
        }
    };
    let job = getpgrp();
    let witness = getpid();
    // SAFETY: the witness has one thread (nothing before it started any),
    // so the child may do anything the parent could.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            drop(from_keeper);
            let _ = setpgid(Pid::from_raw(0), Pid::from_raw(0));
            std::process::exit(keep(record, program, args, job, witness, to_witness));
        }
        Ok(ForkResult::Parent { .. }) => drop(to_witness),
        Err(e) => {
            eprintln!("hangar witness: fork: {e}");
            return 255;
        }
    }
    // Not before the fork: the program would inherit SIG_IGN (execve(2)).
    let ignored = [
        Signal::SIGHUP,
        Signal::SIGINT,
        Signal::SIGQUIT,
        Signal::SIGTERM,
        Signal::SIGPIPE,
    ];
    for sig in ignored {
        // SAFETY: SIG_IGN installs no handler code.
        let _ = unsafe { signal(sig, SigHandler::SigIgn) };
    }
    let mut end = [0u8; 2];
    loop {
        match from_keeper.read_exact(&mut end) {
            Ok(()) => break,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // The keeper is gone without a word: it was killed.
            Err(_) => return 255,
        }
    }
    match end {
        [0, code] => i32::from(code),
        [_, sig] => {
            let Ok(sig) = Signal::try_from(i32::from(sig)) else {
                return 255;
            };
            // SAFETY: restoring the default disposition.
            let _ = unsafe { signal(sig, SigHandler::SigDfl) };
            let _ = raise(sig);
            128 + sig as i32
        }
    }
}

/// The keeper: starts `program` in the job's group `job`, records its
/// life, and tells `witness` how it ended; returns the keeper's status.
fn keep(
    record: &Path,
    program: &str,
    args: &[String],
    job: Pid,
    witness: Pid,
    mut to_witness: std::io::PipeWriter,
) -> i32 {
    let mut log = Record::open(record);
    let child = match std::os::unix::process::CommandExt::process_group(
        &mut Command::new(program),
        job.as_raw(),
    )
    .args(args)
    .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            eprintln!("hangar witness: {program}: {e}");
            let _ = to_witness.write_all(&[0, 127]);
            return 0;
        }
    };
    let pid = Pid::from_raw(child.id() as i32);
    log.write(&format!("started {pid}"));
    let end = loop {
        match waitpid(pid, Some(WaitPidFlag::WUNTRACED)) {
            // Still stopped when the keeper hears of it: the witness
            // stops with it (see the module's comment).
            Ok(WaitStatus::Stopped(_, sig)) if is_stopped(pid) => {
                let _ = kill(witness, sig);
            }
            Ok(WaitStatus::Exited(_, code)) => {
                log.write(&format!("exit {code}"));
                break End::Exit(code);
            }
            Ok(WaitStatus::Signaled(_, sig, _)) => {
                log.write(&format!("killed by {}", sig.as_str()));
                break End::Killed(sig);
            }
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => {
                eprintln!("hangar witness: waitpid: {e}");
                break End::Exit(255);
            }
        }
    };
    let message = match end {
        End::Exit(code) => [0, code as u8],
        End::Killed(sig) => [1, sig as u8],
    };
    // The witness may be gone (killed with the job): nobody to tell.
    let _ = to_witness.write_all(&message);
    0
}

/// proc(5): state `T` in `/proc/<pid>/stat`.
fn is_stopped(pid: Pid) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| Some(stat.rsplit_once(") ")?.1.starts_with('T')))
        .unwrap_or(false)
}

/// The record file: one line per event, `<ms since the epoch> <event>`:
/// `started <child pid>`, `exit <code>`, `killed by <SIGNAL>`.
struct Record(Option<std::fs::File>);

impl Record {
    fn open(path: &Path) -> Record {
        Record(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .ok(),
        )
    }

    fn write(&mut self, event: &str) {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        // One write(2) per line: the runner reads the file while it grows,
        // and `writeln!` on a File would write the pieces one by one.
        let line = format!("{ms} {event}\n");
        if let Some(file) = self.0.as_mut() {
            let _ = file.write_all(line.as_bytes());
        }
    }
}

/// One witnessed event, its time since the epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witnessed {
    pub at: Duration,
    pub what: Witness,
}

/// What a record's line tells: `started PID`, `exit CODE`, `killed by
/// SIGNAL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Witness {
    Started { pid: u32 },
    Ended(ProcessEvent),
}

impl Witness {
    fn parse(line: &str) -> Option<Witness> {
        if let Some(pid) = line.strip_prefix("started ") {
            return Some(Witness::Started {
                pid: pid.parse().ok()?,
            });
        }
        if let Some(code) = line.strip_prefix("exit ") {
            let code = code.parse().ok()?;
            return Some(Witness::Ended(ProcessEvent::Exited { code }));
        }
        let signal = line.strip_prefix("killed by ")?.to_string();
        Some(Witness::Ended(ProcessEvent::Killed { signal }))
    }
}

/// Reads a record file (what is there so far; odd lines are skipped, and
/// so is a last line without its newline: it is still being written).
pub fn read_record(path: &Path) -> Vec<Witnessed> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete
        .lines()
        .filter_map(|line| {
            let (ms, what) = line.split_once(' ')?;
            Some(Witnessed {
                at: Duration::from_millis(ms.parse().ok()?),
                what: Witness::parse(what)?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_back_and_skips_odd_and_unfinished_lines() {
        let path = std::env::temp_dir().join(format!("hangar-witness-{}", std::process::id()));
        std::fs::write(
            &path,
            "12 started 7\nnonsense\n15 exit 3\nx y\n14 \n15 exit x\n17 killed by SIGHUP\n16 ex",
        )
        .unwrap();
        let record = read_record(&path);
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            record,
            vec![
                Witnessed {
                    at: Duration::from_millis(12),
                    what: Witness::Started { pid: 7 }
                },
                Witnessed {
                    at: Duration::from_millis(15),
                    what: Witness::Ended(ProcessEvent::Exited { code: 3 })
                },
                Witnessed {
                    at: Duration::from_millis(17),
                    what: Witness::Ended(ProcessEvent::Killed {
                        signal: "SIGHUP".into()
                    })
                },
            ]
        );
    }
}
