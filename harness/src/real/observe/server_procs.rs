//! What became of the run's server-side processes, seen from proc(5).
//!
//! The run's processes carry its marker (`processes.rs`); every poll
//! reads the marked ones' `/proc/<pid>/stat` and `/proc/<pid>/status`:
//!
//! - a process first seen is `started`; one that is gone, or a zombie
//!   (state `Z`: it has ended and waits for its parent), has `ended`;
//! - state `T` (stopped by SIGSTOP, SIGTSTP, SIGTTIN or SIGTTOU) is
//!   `stopped`, and leaving it `continued` (SIGCONT);
//! - `SigIgn` (the ignored signals' mask) tells a process that ignores
//!   SIGHUP (nohup(1)) or SIGINT; it is read at the last sighting, after
//!   any exec.
//!
//! What proc(5) does not give: which signal ended a process that is not
//! ours to wait for (a process's exit status goes to its parent only), a
//! signal delivered and handled between two polls, and processes that
//! lived shorter than a poll. Processes seen for less than
//! [`SHORT_LIVED`] (shells that only start a job, `echo`) are left out,
//! so that the trace does not depend on whether a poll caught them.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::real::processes::marked;
use crate::trace::ProcessEvent;

/// Processes seen for a shorter time than this (and not alive at the
/// end) are not reported.
pub const SHORT_LIVED: Duration = Duration::from_millis(500);

/// One marked process, as polls saw it.
#[derive(Clone, Debug)]
struct Seen {
    /// The program it runs now, and since when.
    name: String,
    name_since: Duration,
    /// The program it ran longest before that, and for how long.
    held_longest: Option<(String, Duration)>,
    first: Duration,
    last: Duration,
    /// (time, what) in the order seen: `stopped`, `continued`.
    changes: Vec<(Duration, ProcessEvent)>,
    stopped: bool,
    ignores: Vec<&'static str>,
    ended: Option<Duration>,
}

/// The processes of one run, polled.
#[derive(Default)]
pub struct ServerProcs {
    seen: BTreeMap<u32, Seen>,
}

/// A process's state letter and its ignored-signal mask (proc(5): `stat`
/// field 3, `status` line `SigIgn:`); `None` when it is gone.
fn state(pid: u32) -> Option<(char, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(") ")?;
    let letter = rest.chars().next()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let ignored = status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .unwrap_or(0);
    Some((letter, ignored))
}

impl Seen {
    /// An exec(3) seen: the program it held until `now` is measured.
    fn renamed(&mut self, name: &str, now: Duration) {
        if name == self.name {
            return;
        }
        let held = now.saturating_sub(self.name_since);
        if self
            .held_longest
            .as_ref()
            .is_none_or(|(_, longest)| held > *longest)
        {
            self.held_longest = Some((std::mem::take(&mut self.name), held));
        }
        self.name = name.to_string();
        self.name_since = now;
    }

    /// The program the process ran longest while seen: `sleep` for
    /// `nohup sleep 30` (nohup execs sleep at once), `bash` for `bash -c
    /// 'sleep 2; touch done'` (bash execs its last command, touch, for a
    /// moment a poll may or may not catch).
    fn reported_name(&self, end: Duration) -> &str {
        let current = end.saturating_sub(self.name_since);
        match &self.held_longest {
            Some((name, held)) if *held > current => name,
            _ => &self.name,
        }
    }
}

/// Signals whose being ignored matters to a teardown (signal(7) numbers).
const IGNORED_OF_NOTE: [(u32, &str); 2] = [(1, "SIGHUP"), (2, "SIGINT")];

impl ServerProcs {
    /// One poll at `now`: new marked processes, and the state of every
    /// one seen before. The servers themselves are not session processes.
    pub fn poll(&mut self, run_id: &str, now: Duration) {
        for m in marked(run_id) {
            if matches!(m.name.as_str(), "sshd" | "dropbear") {
                continue;
            }
            self.seen.entry(m.pid).or_insert_with(|| Seen {
                name: m.name.clone(),
                name_since: now,
                held_longest: None,
                first: now,
                last: now,
                changes: Vec::new(),
                stopped: false,
                ignores: Vec::new(),
                ended: None,
            });
        }
        for (pid, seen) in self.seen.iter_mut().filter(|(_, s)| s.ended.is_none()) {
            match state(*pid) {
                Some((letter, ignored)) if !matches!(letter, 'Z' | 'X') => {
                    seen.last = now;
                    if let Ok(name) = std::fs::read_to_string(format!("/proc/{pid}/comm")) {
                        seen.renamed(name.trim(), now);
                    }
                    seen.ignores = IGNORED_OF_NOTE
                        .iter()
                        .filter(|(n, _)| ignored & (1 << (n - 1)) != 0)
                        .map(|(_, name)| *name)
                        .collect();
                    let stopped = letter == 'T';
                    if stopped != seen.stopped {
                        seen.stopped = stopped;
                        let what = if stopped {
                            ProcessEvent::SeenStopped
                        } else {
                            ProcessEvent::SeenContinued
                        };
                        seen.changes.push((now, what));
                    }
                }
                _ => seen.ended = Some(now),
            }
        }
    }

    /// The events, as (time, `name[pid]`, text), of the processes worth
    /// reporting; a process still alive at the end gets no `ended`.
    pub fn events(&self) -> Vec<(Duration, String, ProcessEvent)> {
        let mut out = Vec::new();
        for (pid, s) in &self.seen {
            let end = s.ended.unwrap_or(s.last);
            if s.ended.is_some() && end.saturating_sub(s.first) < SHORT_LIVED {
                continue;
            }
            let actor = format!("{}[{pid}]", s.reported_name(end));
            let ignoring = s.ignores.iter().map(|n| n.to_string()).collect();
            out.push((s.first, actor.clone(), ProcessEvent::Seen { ignoring }));
            for (at, what) in &s.changes {
                out.push((*at, actor.clone(), what.clone()));
            }
            if let Some(at) = s.ended {
                out.push((at, actor.clone(), ProcessEvent::Ended));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt;
    use std::process::Command;
    use std::time::Instant;

    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;

    use super::*;
    use crate::real::processes::{MARKER, kill_marked};

    /// Polls until `done` holds, for at most 5 s.
    fn poll_until(
        procs: &mut ServerProcs,
        run_id: &str,
        t0: Instant,
        done: impl Fn(&[(Duration, String, ProcessEvent)]) -> bool,
    ) {
        for _ in 0..500 {
            procs.poll(run_id, t0.elapsed());
            if done(&procs.events()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("not seen within 5 s: {:?}", procs.events());
    }

    #[test]
    fn a_process_is_named_by_the_program_it_ran_longest() {
        let ms = Duration::from_millis;
        let mut seen = Seen {
            name: "sh".into(),
            name_since: ms(0),
            held_longest: None,
            first: ms(0),
            last: ms(0),
            changes: Vec::new(),
            stopped: false,
            ignores: Vec::new(),
            ended: None,
        };
        // `sh -c 'sleep 2; touch done'`: touch caught by one poll.
        seen.renamed("bash", ms(25));
        seen.renamed("touch", ms(2025));
        assert_eq!(seen.reported_name(ms(2050)), "bash");
        // `nohup sleep 30`: nohup for a poll, sleep to the end.
        let mut nohup = Seen {
            name: "nohup".into(),
            ..seen.clone()
        };
        nohup.held_longest = None;
        nohup.name_since = ms(0);
        nohup.renamed("sleep", ms(25));
        assert_eq!(nohup.reported_name(ms(3000)), "sleep");
    }

    #[test]
    fn a_marked_process_is_seen_started_stopped_continued_and_ended_and_a_short_one_is_not() {
        let run_id = format!("observe-test-{}", std::process::id());
        let t0 = Instant::now();
        let mut child = Command::new("sh")
            .args(["-c", "true; nohup sleep 30 >/dev/null 2>&1 & exec sleep 30"])
            .env(MARKER, &run_id)
            .process_group(0)
            .spawn()
            .unwrap();
        let pid = Pid::from_raw(child.id() as i32);
        let mut procs = ServerProcs::default();
        let texts = |events: &[(Duration, String, ProcessEvent)]| -> Vec<String> {
            events
                .iter()
                .map(|(_, a, t)| format!("{} {t}", a.split('[').next().unwrap()))
                .collect()
        };
        poll_until(&mut procs, &run_id, t0, |e| texts(e).len() >= 2);
        std::thread::sleep(SHORT_LIVED);
        kill(pid, Signal::SIGSTOP).unwrap();
        poll_until(&mut procs, &run_id, t0, |e| {
            texts(e).contains(&"sleep stopped".to_string())
        });
        kill(pid, Signal::SIGCONT).unwrap();
        poll_until(&mut procs, &run_id, t0, |e| {
            texts(e).contains(&"sleep continued".to_string())
        });
        kill(pid, Signal::SIGKILL).unwrap();
        child.wait().unwrap();
        poll_until(&mut procs, &run_id, t0, |e| {
            texts(e).contains(&"sleep ended".to_string())
        });
        let mut seen = texts(&procs.events());
        seen.sort();
        kill_marked(&run_id);
        assert_eq!(
            seen,
            [
                "sleep continued",
                "sleep ended",
                "sleep started",
                "sleep started, ignoring SIGHUP and SIGINT",
                "sleep stopped"
            ],
            "the short-lived `true` and sh are left out; nohup's sleep ignores SIGHUP (and, as a background job of sh, SIGINT)"
        );
    }
}
