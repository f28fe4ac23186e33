//! Watching a run's real processes through proc(5), for trace lines in
//! the sim's words: `started by <parent>`, `stopped`, `continued`, `exit`.
//!
//! proc(5) shows a process's state (`T` while stopped) and its parent, but
//! not which signal stopped it nor how it ended: a stop is reported
//! without its signal and an end without its status (the ssh at the
//! terminal has both, from its witness: `witness.rs`). A process that
//! lives less than one poll may go unseen.

use std::collections::BTreeMap;

use crate::trace::ProcessEvent;

/// What proc(5) says of one live process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcInfo {
    pub pid: u32,
    pub ppid: u32,
    pub session: u32,
    pub name: String,
    pub stopped: bool,
}

/// Every live (not zombie) process.
pub fn all_processes() -> Vec<ProcInfo> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            parse_stat(
                pid,
                &std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?,
            )
        })
        .collect()
}

/// proc(5) `/proc/<pid>/stat`: "pid (comm) state ppid pgrp session ...",
/// where comm may hold spaces and parentheses; `None` for a zombie.
fn parse_stat(pid: u32, stat: &str) -> Option<ProcInfo> {
    let (head, rest) = stat.rsplit_once(") ")?;
    let name = head.split_once(" (")?.1.to_string();
    let mut fields = rest.split(' ');
    let state = fields.next()?;
    if state.starts_with(['Z', 'X']) {
        return None;
    }
    let ppid = fields.next()?.parse().ok()?;
    let _pgrp = fields.next()?;
    let session = fields.next()?.parse().ok()?;
    Some(ProcInfo {
        pid,
        ppid,
        session,
        name,
        stopped: state.starts_with(['T', 't']),
    })
}

/// Whether `pid` has a SIGCHLD waiting to be handled: proc(5)
/// `/proc/<pid>/status` lists the pending signals as hex masks, `SigPnd`
/// for the thread and `ShdPnd` for the whole process, bit `n - 1` for
/// signal `n` (SIGCHLD is 17 on Linux, signal(7)).
pub fn child_signal_pending(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    sigchld_in_status(&status)
}

fn sigchld_in_status(status: &str) -> bool {
    let bit = 1u64 << (nix::sys::signal::Signal::SIGCHLD as u32 - 1);
    status
        .lines()
        .filter_map(|line| {
            let mask = line
                .strip_prefix("SigPnd:")
                .or_else(|| line.strip_prefix("ShdPnd:"))?;
            u64::from_str_radix(mask.trim(), 16).ok()
        })
        .any(|mask| mask & bit != 0)
}

/// The processes of one host seen so far, and what changed since the
/// last look.
pub struct ProcessWatch {
    host: &'static str,
    known: BTreeMap<u32, ProcInfo>,
}

impl ProcessWatch {
    pub fn new(host: &'static str) -> ProcessWatch {
        ProcessWatch {
            host,
            known: BTreeMap::new(),
        }
    }

    /// Compares `now` (the host's processes in this poll, taken from
    /// `all`) with the last poll; returns `(actor, event)` trace lines.
    pub fn update(&mut self, now: &[ProcInfo], all: &[ProcInfo]) -> Vec<(String, ProcessEvent)> {
        let mut lines = Vec::new();
        let names: BTreeMap<u32, &str> = all.iter().map(|p| (p.pid, p.name.as_str())).collect();
        // The parent by name only (pids change from run to run); an
        // orphan's parent is init, whatever this machine's pid 1 is.
        let name_of = |pid: u32| match (pid, names.get(&pid)) {
            (1, _) => "init".to_string(),
            (_, Some(name)) => name.to_string(),
            (_, None) => "a process gone since".to_string(),
        };
        let live: std::collections::BTreeSet<u32> = now.iter().map(|p| p.pid).collect();
        for p in now {
            let actor = format!("{} {}[{}]", self.host, p.name, p.pid);
            match self.known.get(&p.pid) {
                None => {
                    let parent = format!("{} {}", self.host, name_of(p.ppid));
                    lines.push((actor.clone(), ProcessEvent::Started { parent }));
                    if p.stopped {
                        lines.push((actor, ProcessEvent::SeenStopped));
                    }
                }
                Some(before) => {
                    if before.name != p.name {
                        lines.push((
                            format!("{} {}[{}]", self.host, before.name, p.pid),
                            ProcessEvent::Execs {
                                program: p.name.clone(),
                            },
                        ));
                    }
                    if p.stopped && !before.stopped {
                        lines.push((actor, ProcessEvent::SeenStopped));
                    } else if before.stopped && !p.stopped {
                        lines.push((actor, ProcessEvent::SeenContinued));
                    }
                }
            }
        }
        let gone: Vec<u32> = self
            .known
            .keys()
            .filter(|pid| !live.contains(*pid))
            .copied()
            .collect();
        for pid in gone {
            if let Some(p) = self.known.remove(&pid) {
                let actor = format!("{} {}[{pid}]", self.host, p.name);
                lines.push((actor, ProcessEvent::Vanished));
            }
        }
        for p in now {
            self.known.insert(p.pid, p.clone());
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc(pid: u32, ppid: u32, name: &str, stopped: bool) -> ProcInfo {
        ProcInfo {
            pid,
            ppid,
            session: 1,
            name: name.into(),
            stopped,
        }
    }

    #[test]
    fn a_pending_sigchld_is_read_from_either_mask() {
        let status = |sig, shd| format!("Name:\tbash\nSigPnd:\t{sig}\nShdPnd:\t{shd}\n");
        assert!(!sigchld_in_status(&status(
            "0000000000000000",
            "0000000000000000"
        )));
        assert!(sigchld_in_status(&status(
            "0000000000000000",
            "0000000000010000"
        )));
        assert!(sigchld_in_status(&status(
            "0000000000010002",
            "0000000000000000"
        )));
        assert!(!sigchld_in_status(&status(
            "0000000000000002",
            "0000000000020000"
        )));
        assert!(!sigchld_in_status("no such fields"));
    }

    #[test]
    fn stat_with_a_parenthesised_name_parses() {
        let p = parse_stat(42, "42 (tmux: server) S 1 42 42 0 -1 4194560").unwrap();
        assert_eq!(
            (p.name.as_str(), p.ppid, p.session),
            ("tmux: server", 1, 42)
        );
        assert!(parse_stat(43, "43 (sleep) Z 1 43 43 0").is_none());
        assert!(parse_stat(44, "44 (cat) T 1 44 1 0").unwrap().stopped);
    }

    #[test]
    fn starts_stops_continues_execs_and_exits_are_reported() {
        let mut watch = ProcessWatch::new("client");
        let bash = proc(10, 1, "bash", false);
        let all = [bash.clone(), proc(11, 10, "cat", false)];
        let mut update = |now: &[ProcInfo], all: &[ProcInfo]| -> Vec<(String, String)> {
            let lines = watch.update(now, all);
            lines.into_iter().map(|(a, e)| (a, e.to_string())).collect()
        };
        let lines = update(&all[1..], &all);
        assert_eq!(
            lines,
            vec![("client cat[11]".into(), "started by client bash".into())]
        );
        let all = [bash.clone(), proc(11, 10, "cat", true)];
        assert_eq!(update(&all[1..], &all)[0].1, "stopped");
        let all = [bash.clone(), proc(11, 10, "sleep", false)];
        let lines = update(&all[1..], &all);
        assert_eq!(lines[0], ("client cat[11]".into(), "execs sleep".into()));
        assert_eq!(lines[1].1, "continued");
        assert_eq!(
            update(&[], &[bash]),
            vec![("client sleep[11]".into(), "exit".into())]
        );
    }
}
