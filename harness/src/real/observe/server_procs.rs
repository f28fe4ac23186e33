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

/// Processes seen for a shorter time than this (and not alive at the
/// end) are not reported.
pub const SHORT_LIVED: Duration = Duration::from_millis(500);

/// One marked process, as polls saw it.
#[derive(Clone, Debug)]
struct Seen {
    name: String,
    first: Duration,
    last: Duration,
    /// (time, what) in the order seen: `stopped`, `continued`.
    changes: Vec<(Duration, &'static str)>,
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
                        // After an exec (nohup, setsid) the name is the new program's.
                        seen.name = name.trim().to_string();
                    }
                    seen.ignores = IGNORED_OF_NOTE
                        .iter()
                        .filter(|(n, _)| ignored & (1 << (n - 1)) != 0)
                        .map(|(_, name)| *name)
                        .collect();
                    let stopped = letter == 'T';
                    if stopped != seen.stopped {
                        seen.stopped = stopped;
                        let what = if stopped { "stopped" } else { "continued" };
                        seen.changes.push((now, what));
                    }
                }
                _ => seen.ended = Some(now),
            }
        }
    }

    /// The events, as (time, `name[pid]`, text), of the processes worth
    /// reporting; a process still alive at the end gets no `ended`.
    pub fn events(&self) -> Vec<(Duration, String, String)> {
        let mut out = Vec::new();
        for (pid, s) in &self.seen {
            let end = s.ended.unwrap_or(s.last);
            if s.ended.is_some() && end.saturating_sub(s.first) < SHORT_LIVED {
                continue;
            }
            let actor = format!("{}[{pid}]", s.name);
            let started = if s.ignores.is_empty() {
                "started".to_string()
            } else {
                format!("started, ignoring {}", s.ignores.join(" and "))
            };
            out.push((s.first, actor.clone(), started));
            for (at, what) in &s.changes {
                out.push((*at, actor.clone(), what.to_string()));
            }
            if let Some(at) = s.ended {
                out.push((at, actor.clone(), "ended".to_string()));
            }
        }
        out
    }
}
