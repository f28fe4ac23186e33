//! The client side of a real run with a terminal: a real pty with an
//! interactive bash ([`RealTerminal`]), the run's `ssh` behind a witness
//! (`witness.rs`) so that its stops and exit status are known, and the
//! processes of both hosts watched through proc(5) (`watch.rs`).
//!
//! The local prompt is `user@client:~$ ` and the remote one
//! `user@server:~$ `, as in the sim lane, so that the same screen patterns
//! hold: the remote one comes from a `.bash_profile` in the run's private
//! home. The server host's own `ssh` (a nested hop) reaches the server
//! directly through a `~/.ssh/config` there. The seed documents' `xterm`
//! (a program that runs until a signal ends it) is, as in the sim, a
//! stand-in in `~/bin`: no display is needed.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::peer::{Peer, scoped_bin};
use super::processes::{MARKER, client_marker, read_marker};
use super::terminal::RealTerminal;
use super::watch::{ProcInfo, ProcessWatch, all_processes, child_signal_pending};
use super::witness::{Witness, read_record};
use crate::trace::{ProcessEvent, Trace, What};

pub struct AtTerminal {
    pub term: RealTerminal,
    /// First in PATH at the terminal and for the run's command lines.
    bin: PathBuf,
    /// The pty's slave, `/dev/pts/N`.
    tty: PathBuf,
    /// Where each witnessed ssh writes its record (`ssh-<pid>`).
    records: PathBuf,
    /// Lines of each record already logged.
    logged: BTreeMap<PathBuf, usize>,
    /// Each witnessed ssh: pid, start, and exit status once it ended.
    ssh: BTreeMap<u32, Ssh>,
    client: ProcessWatch,
    server: ProcessWatch,
    client_marker: String,
    server_marker: String,
    /// Each live process's name and marker (`processes.rs`), read once
    /// per pid and program.
    markers: BTreeMap<u32, (String, Option<String>)>,
    /// The epoch time of the scenario's start, for the witnesses' times.
    epoch_start: SystemTime,
    /// When the programs last wrote to the terminal.
    last_output: std::time::Instant,
    /// Lines logged for `wait_for` only.
    transient: BTreeSet<(String, ProcessEvent)>,
    /// The terminal side's processes stopped at the last poll.
    stopped_before: BTreeSet<u32>,
}

/// How long a terminal stays unwritten before the run counts it at rest.
const QUIET: Duration = Duration::from_millis(200);

#[derive(Default)]
struct Ssh {
    started: Duration,
    status: Option<(i32, Duration)>,
}

/// The executable that holds `hangar witness`: this program when it is
/// `hangar`, else (a test binary in `target/<profile>/deps`) the `hangar`
/// that cargo built beside it; `HANGAR_EXE` overrides both.
pub fn hangar_exe() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("HANGAR_EXE") {
        return Ok(PathBuf::from(path));
    }
    let me = std::env::current_exe().map_err(|e| format!("this program's path: {e}"))?;
    if me.file_name().is_some_and(|n| n == "hangar") {
        return Ok(me);
    }
    me.ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join("hangar"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "the real lane's terminal needs the `hangar` executable (`cargo build`), \
             or HANGAR_EXE naming it"
                .to_string()
        })
}

fn write_file(path: &Path, text: &str, mode: u32) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("{}: {e}", path.display()))
}

impl AtTerminal {
    /// Sets up both homes and starts the terminal's shell.
    pub fn start(peer: &Peer, home: &Path, epoch_start: SystemTime) -> Result<AtTerminal, String> {
        let hangar = hangar_exe()?;
        // The remote login shell's prompt (bash(1): a login shell reads
        // ~/.bash_profile), and the server's own ssh to itself.
        write_file(
            &home.join(".bash_profile"),
            // tmux(1) keeps its server's socket under TMUX_TMPDIR: the
            // run's own, not the machine's /tmp. The run's pkill comes
            // before the machine's (Dropbear sets PATH itself).
            &format!(
                "PS1='user@server:\\w$ '\nPATH=$HOME/bin:{}:$PATH\nexport TMUX_TMPDIR=$HOME\n",
                scoped_bin(&peer.dir).display()
            ),
            0o644,
        )?;
        std::fs::create_dir_all(home.join("bin")).map_err(|e| format!("~/bin: {e}"))?;
        // Named `xterm` in proc(5) (a script's name is its comm); waits
        // forever on a FIFO nobody writes, with no child, never looking at
        // its stdout, and dies of SIGHUP like any program.
        let fifo = home.join(".xterm-fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            return Err(format!("mkfifo {}", fifo.display()));
        }
        write_file(
            &home.join("bin/xterm"),
            "#!/bin/bash\nread -r _ <>\"$HOME/.xterm-fifo\"\n",
            0o755,
        )?;
        let ssh_dir = home.join(".ssh");
        std::fs::copy(peer.dir.join("user_key"), ssh_dir.join("id_ed25519"))
            .map_err(|e| format!("user key: {e}"))?;
        let _ = std::fs::set_permissions(
            ssh_dir.join("id_ed25519"),
            std::fs::Permissions::from_mode(0o600),
        );
        // The host key is known beforehand, so that ssh's messages are the
        // ones a user sees (no "Permanently added" warning).
        write_file(
            &ssh_dir.join("known_hosts"),
            &format!("server {}\n", host_public_key(&peer.dir)?),
            0o600,
        )?;
        write_file(
            &ssh_dir.join("config"),
            &format!(
                "Host server\n  HostName 127.0.0.1\n  Port {}\n  User root\n  \
                 HostKeyAlias server\n  StrictHostKeyChecking yes\n",
                peer.addr.port()
            ),
            0o600,
        )?;
        let client_home = peer.dir.join("client");
        let records = peer.dir.join("witness");
        let bin = peer.dir.join("terminal-bin");
        for dir in [&client_home, &records, &bin] {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        write_file(
            &bin.join("ssh"),
            &format!(
                "#!/bin/sh\nexec {} witness --record {}/ssh-$$ -- {}/ssh \"$@\"\n",
                hangar.display(),
                records.display(),
                peer.bin.display()
            ),
            0o755,
        )?;
        let client_marker = client_marker(peer);
        let env = vec![
            (
                "PATH".to_string(),
                format!(
                    "{}:{}:{}:/usr/local/bin:/usr/bin:/bin",
                    bin.display(),
                    scoped_bin(&peer.dir).display(),
                    peer.bin.display()
                ),
            ),
            ("HOME".into(), client_home.display().to_string()),
            ("PS1".into(), "user@client:\\w$ ".into()),
            ("TERM".into(), "xterm".into()),
            ("LANG".into(), "C.UTF-8".into()),
            (MARKER.into(), client_marker.clone()),
        ];
        let term = RealTerminal::start(&env, &client_home)
            .map_err(|e| format!("the terminal's shell: {e}"))?;
        let tty_path = std::fs::read_link(format!("/proc/{}/fd/0", term.shell_pid()))
            .map_err(|e| format!("the terminal's name: {e}"))?;
        Ok(AtTerminal {
            tty: tty_path,
            bin,
            term,
            records,
            logged: BTreeMap::new(),
            ssh: BTreeMap::new(),
            client: ProcessWatch::new("client"),
            server: ProcessWatch::new("server"),
            client_marker,
            server_marker: peer.run_id.clone(),
            markers: BTreeMap::new(),
            last_output: std::time::Instant::now(),
            transient: BTreeSet::new(),
            stopped_before: BTreeSet::new(),
            epoch_start,
        })
    }

    /// Logs what changed since the last look: the witnesses' records and
    /// both hosts' processes.
    pub fn observe(&mut self, trace: &Trace, peer: &Peer) {
        self.read_witnesses(trace);
        let all = all_processes();
        let shell = self.term.shell_pid();
        // Each process's environment is read once per program: a poll must
        // stay cheap while keys are typed, and sshd's child has sshd's
        // environment until it execs the session's shell with the marker.
        self.markers
            .retain(|pid, _| all.iter().any(|p| p.pid == *pid));
        // Kernel threads (kthreadd, pid 2, and its children) have no
        // environment at all: never a run's, and never worth a read.
        for p in all.iter().filter(|p| p.pid != 2 && p.ppid != 2) {
            let known = self
                .markers
                .get(&p.pid)
                .is_some_and(|(name, _)| *name == p.name);
            if !known {
                match read_marker(p.pid) {
                    Some(marker) => self.markers.insert(p.pid, (p.name.clone(), marker)),
                    // Caught in its execve(2): looked at again next poll.
                    None => self.markers.remove(&p.pid),
                };
            }
        }
        let with_marker = |marker: &str| -> Vec<u32> {
            self.markers
                .iter()
                .filter(|(_, (_, m))| m.as_deref() == Some(marker))
                .map(|(pid, _)| *pid)
                .collect()
        };
        let client_pids: BTreeSet<u32> = with_marker(&self.client_marker).into_iter().collect();
        let server_pids: BTreeSet<u32> = with_marker(&self.server_marker).into_iter().collect();
        let by_pid: BTreeMap<u32, &ProcInfo> = all.iter().map(|p| (p.pid, p)).collect();
        let is_witness = |p: &ProcInfo| p.name == "hangar" && client_pids.contains(&p.pid);
        // The witnesses stand in for their ssh, which the watch reports
        // (stops included) but for its end: the witness knows its status.
        // The shell itself is the terminal.
        let at_terminal =
            |p: &ProcInfo| (client_pids.contains(&p.pid) || p.session == shell) && p.pid != shell;
        let stopped_now: BTreeSet<u32> = all
            .iter()
            .filter(|p| at_terminal(p) && p.stopped)
            .map(|p| p.pid)
            .collect();
        let shell_knows = JobStops {
            shell,
            by_pid: &by_pid,
            stopped_before: &self.stopped_before,
            // One more read of proc(5) per poll, only while a stop is
            // being judged.
            signal_pending: !stopped_now.is_empty() && child_signal_pending(shell),
        };
        let client: Vec<_> = all
            .iter()
            .filter(|p| at_terminal(p))
            .filter(|p| !is_witness(p))
            .map(|p| {
                let mut seen = p.clone();
                seen.stopped = p.stopped && shell_knows.stop_of(p);
                // Whatever the target's client is called, it is the
                // terminal's `ssh`.
                if by_pid.get(&p.ppid).is_some_and(|parent| is_witness(parent)) {
                    seen.ppid = shell;
                    seen.name = "ssh".into();
                }
                seen
            })
            .collect();
        self.stopped_before = stopped_now;
        let server: Vec<_> = all
            .iter()
            .filter(|p| server_pids.contains(&p.pid) && !peer.is_server(&p.name))
            .cloned()
            .collect();
        let ssh_pids: Vec<String> = self.ssh.keys().map(|pid| format!("[{pid}]")).collect();
        // What the polls see is in the trace for `wait_for` only: when a
        // short-lived process is seen, and in which step, is up to the
        // scheduler. The final trace has the witnesses' lines, the
        // observer's (`observe/`, in terms that do not depend on timing)
        // and the screen.
        let client_lines = self.client.update(&client, &all);
        let server_lines = self.server.update(&server, &all);
        for (actor, event) in client_lines.into_iter().chain(server_lines) {
            if event == ProcessEvent::Vanished
                && ssh_pids.iter().any(|p| actor.ends_with(p.as_str()))
            {
                continue;
            }
            self.transient.insert((actor.clone(), event.clone()));
            trace.log(actor, event);
        }
    }

    fn read_witnesses(&mut self, trace: &Trace) {
        let Ok(entries) = std::fs::read_dir(&self.records) else {
            return;
        };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
        files.sort();
        for file in files {
            if !file
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("ssh-"))
            {
                continue;
            }
            let record = read_record(&file);
            // The ssh is named by its own pid, which the record starts with.
            let Some(Witness::Started { pid }) = record.first().map(|e| &e.what) else {
                continue;
            };
            let pid = *pid;
            let seen = self.logged.entry(file.clone()).or_default();
            for event in &record[*seen..] {
                let start = self
                    .epoch_start
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default();
                let at = event.at.saturating_sub(start);
                let ssh = self.ssh.entry(pid).or_default();
                let ended = match &event.what {
                    Witness::Started { .. } => {
                        ssh.started = at;
                        continue;
                    }
                    Witness::Ended(ended) => ended,
                };
                if let Some(code) = exit_code(ended) {
                    ssh.status = Some((code, at));
                }
                trace.push_at(at, format!("client ssh[{pid}]"), ended.clone().into());
            }
            *seen = record.len();
        }
    }

    /// Puts the programs' output on the screen.
    pub fn refresh(&mut self) {
        if self.term.refresh() {
            self.last_output = std::time::Instant::now();
        }
    }

    /// The terminal is at rest: the shell has it and nothing was written
    /// for a moment (the prompt after the last command is out).
    pub fn is_quiet(&self) -> bool {
        self.last_output.elapsed() >= QUIET && self.term.shell_in_front()
    }

    /// Whether an ssh was started at the terminal.
    pub fn ran_ssh(&self) -> bool {
        !self.ssh.is_empty()
    }

    /// Whether a trace event was logged for `wait_for` only (see
    /// [`AtTerminal::observe`]), not for the final trace.
    pub fn is_transient(&self, event: &crate::trace::Event) -> bool {
        match &event.what {
            What::Process(what) => self
                .transient
                .contains(&(event.actor.clone(), what.clone())),
            _ => false,
        }
    }

    /// The directory of the terminal's `ssh`.
    pub fn bin(&self) -> &Path {
        &self.bin
    }

    /// Whether an ssh started at the terminal still runs.
    pub fn ssh_running(&self) -> bool {
        self.ssh.values().any(|s| s.status.is_none())
    }

    /// The first ssh started at the terminal: its exit status and when.
    pub fn client_exit(&self) -> Option<(i32, Duration)> {
        self.ssh
            .iter()
            .min_by_key(|(pid, s)| (s.started, **pid))
            .and_then(|(_, s)| s.status)
    }

    /// `/dev/pts/N` of the terminal.
    pub fn tty_path(&self) -> &Path {
        &self.tty
    }
}

/// When a stop at the terminal is one the shell knows of. A job's process
/// shows `T` in proc(5) before its shell hears of it: the kernel sends the
/// parent SIGCHLD just after the stop (do_signal_stop in kernel/signal.c),
/// and a stop signal reaches each process of the group when that process
/// next runs, so the ssh may be stopped while its witness is not yet. A
/// line typed in between reaches a bash that prints no `Stopped` notice
/// (bash(1) JOB CONTROL: it reports a job's change before its next
/// prompt, once it has reaped it). So a stop counts once the process the
/// shell waits for (its child) was stopped at the last poll as well, and
/// the shell has no SIGCHLD left to handle.
struct JobStops<'a> {
    shell: u32,
    by_pid: &'a BTreeMap<u32, &'a ProcInfo>,
    stopped_before: &'a BTreeSet<u32>,
    signal_pending: bool,
}

impl JobStops<'_> {
    fn stop_of(&self, p: &ProcInfo) -> bool {
        match self.job_process(p) {
            Some(job) => {
                job.stopped && self.stopped_before.contains(&job.pid) && !self.signal_pending
            }
            // Not the shell's job (a daemon, a process of another
            // session): nothing to wait for.
            None => true,
        }
    }

    /// The shell's child that `p` descends from (`p` itself, or the
    /// witness of the ssh).
    fn job_process(&self, p: &ProcInfo) -> Option<&ProcInfo> {
        let mut at = *self.by_pid.get(&p.pid)?;
        // A chain of parents is short; the bound only guards a pid reused
        // while the snapshot was taken.
        for _ in 0..64 {
            if at.ppid == self.shell {
                return Some(at);
            }
            at = *self.by_pid.get(&at.ppid)?;
        }
        None
    }
}

/// The server's public host key line (every target's host key is made
/// by ssh-keygen, `host_key.pub` beside it).
fn host_public_key(dir: &Path) -> Result<String, String> {
    std::fs::read_to_string(dir.join("host_key.pub"))
        .map(|text| text.trim().to_string())
        .map_err(|e| format!("the host's public key: {e}"))
}

/// `exit N` as N, `killed by SIGX` as 128 + X (the shell's `$?`).
/// The status the shell gives for a process that ended so.
fn exit_code(ended: &ProcessEvent) -> Option<i32> {
    match ended {
        ProcessEvent::Exited { code } => Some(*code),
        ProcessEvent::Killed { signal } => signal
            .parse::<nix::sys::signal::Signal>()
            .ok()
            .map(|sig| 128 + sig as i32),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(pid: u32, ppid: u32, stopped: bool) -> ProcInfo {
        ProcInfo {
            pid,
            ppid,
            session: 5,
            name: "p".into(),
            stopped,
        }
    }

    #[test]
    fn a_stop_counts_once_the_shell_can_know_of_it() {
        // bash 5, its job's witness 10, the witness's ssh 11, a daemon 20.
        let knows = |witness_stopped: bool, before: &[u32], pending: bool| {
            let all = [
                process(5, 1, false),
                process(10, 5, witness_stopped),
                process(11, 10, true),
                process(20, 1, true),
            ];
            let by_pid: BTreeMap<u32, &ProcInfo> = all.iter().map(|p| (p.pid, p)).collect();
            let before: BTreeSet<u32> = before.iter().copied().collect();
            let stops = JobStops {
                shell: 5,
                by_pid: &by_pid,
                stopped_before: &before,
                signal_pending: pending,
            };
            (stops.stop_of(&all[2]), stops.stop_of(&all[3]))
        };
        // The ssh alone is stopped: its witness is yet to be.
        assert_eq!(knows(false, &[11], false), (false, true));
        // The witness has just stopped: its SIGCHLD may be on its way.
        assert_eq!(knows(true, &[11], false), (false, true));
        // The shell has not handled it yet.
        assert_eq!(knows(true, &[10, 11], true), (false, true));
        assert_eq!(knows(true, &[10, 11], false), (true, true));
    }

    #[test]
    fn exit_codes_read_as_the_shell_gives_them() {
        let killed = |signal: &str| ProcessEvent::Killed {
            signal: signal.into(),
        };
        assert_eq!(exit_code(&ProcessEvent::Exited { code: 255 }), Some(255));
        assert_eq!(exit_code(&killed("SIGHUP")), Some(129));
        assert_eq!(exit_code(&killed("SIGNOTHING")), None);
        let stopped = ProcessEvent::Stopped {
            signal: "SIGTTIN".into(),
        };
        assert_eq!(exit_code(&stopped), None);
    }
}
