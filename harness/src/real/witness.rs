//! `hangar witness --record FILE -- PROGRAM ARGS...`: runs the real `ssh`
//! at the terminal as its only child and writes down what happens to it
//! (started, stopped by which signal, continued, its exit status), which
//! nothing else can see: the interactive shell reaps its jobs itself.
//!
//! The witness stands in for the program in the shell's job table, so it
//! must look like it: it stays in the program's process group and mirrors
//! each stop with the same signal (bash reports the job `Stopped` only
//! when its own child stops: waitpid(2) WUNTRACED), and each death with
//! the same status. Signals the terminal sends to the foreground group
//! reach both; the witness ignores them once the child runs, so that it
//! is always there to report how the child ended.
//!
//! Stops are not recorded: the kernel and the terminal send SIGTTIN,
//! SIGTTOU and SIGTSTP to the whole group (tty_ioctl(4), termios(3)), so
//! the witness stops with its child at once, as one job, and the runner
//! sees both stopped in proc(5). Staying awake to record the signal would
//! delay the job's stop past the shell's next prompt. A stop the child
//! gives itself (ssh's `~^Z` raises SIGTSTP) is mirrored by the witness.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nix::sys::signal::{SigHandler, Signal, kill, raise, signal};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

/// Runs `program` and records its life in `record`; returns the exit code
/// to exit with (after a death by signal the witness dies the same way).
pub fn witness(record: &Path, program: &str, args: &[String]) -> i32 {
    let mut log = Record::open(record);
    let child = match Command::new(program).args(args).spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!("hangar witness: {program}: {e}");
            return 127;
        }
    };
    let pid = Pid::from_raw(child.id() as i32);
    log.write(&format!("started {pid}"));
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
    let flags = WaitPidFlag::WUNTRACED;
    loop {
        match waitpid(pid, Some(flags)) {
            // Still stopped when the witness hears of it: the child
            // stopped alone. (After a group stop the witness hears only
            // once the job was continued.)
            Ok(WaitStatus::Stopped(_, sig)) if is_stopped(pid) => {
                // The default action of a stop signal stops this process
                // too; raise returns once the job is continued.
                let _ = raise(sig);
                // `fg` continues the whole group; a SIGCONT to the witness
                // alone must reach the child as well.
                let _ = kill(pid, Signal::SIGCONT);
            }
            Ok(WaitStatus::Exited(_, code)) => {
                log.write(&format!("exit {code}"));
                return code;
            }
            Ok(WaitStatus::Signaled(_, sig, _)) => {
                log.write(&format!("killed by {}", sig.as_str()));
                // SAFETY: restoring the default disposition.
                let _ = unsafe { signal(sig, SigHandler::SigDfl) };
                let _ = raise(sig);
                return 128 + sig as i32;
            }
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => {
                eprintln!("hangar witness: waitpid: {e}");
                return 255;
            }
        }
    }
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
    pub what: String,
}

/// Reads a record file (what is there so far; odd lines are skipped, and
/// so is a last line without its newline: it is still being written).
pub fn read_record(path: &Path) -> Vec<Witnessed> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete
        .lines()
        .filter_map(|line| {
            let (ms, what) = line.split_once(' ').filter(|(_, what)| !what.is_empty())?;
            Some(Witnessed {
                at: Duration::from_millis(ms.parse().ok()?),
                what: what.to_string(),
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
        std::fs::write(&path, "12 started 7\nnonsense\n15 exit 3\nx y\n14 \n16 ex").unwrap();
        let record = read_record(&path);
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            record,
            vec![
                Witnessed {
                    at: Duration::from_millis(12),
                    what: "started 7".into()
                },
                Witnessed {
                    at: Duration::from_millis(15),
                    what: "exit 3".into()
                },
            ]
        );
    }
}
