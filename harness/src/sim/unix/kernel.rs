//! The process table of one simulated host and the rules that act on it.
//!
//! Each process runs as one tokio task on its host's runtime (see
//! [`Kernel::spawn`]); the table here is what the task's program sees through
//! [`Proc`]. Rules, with the page each follows:
//!
//! - fork(2): the child gets a copy of the parent's fd table (sharing the
//!   open file descriptions), its process group and session.
//! - execve(2): caught signals are reset to the default; ignored signals
//!   stay ignored. Every spawn here is a fork followed by an exec or by a
//!   subshell, which resets traps too (XCU 2.12).
//! - _exit(2): all fds are closed; the children are re-parented to init
//!   (pid 1); the parent gets SIGCHLD; the process stays a zombie until the
//!   parent waits for it (init reaps its children at once).
//! - kill(2): a negative pid signals a process group; signal(7) gives the
//!   default actions; SIGKILL and SIGSTOP cannot be caught or ignored;
//!   SIGCONT continues a stopped process whatever its disposition.
//! - setsid(2): fails with EPERM for a process group leader; otherwise the
//!   caller leads a new session and process group, without a controlling
//!   terminal.
//! - credentials(7), ioctl_tty(2) TIOCSCTTY: a session leader acquires a
//!   controlling terminal; tcsetpgrp(3) sets its foreground group.
//! - XBD 11.1.4 "Terminal Access Control": a process of a background group
//!   reading its controlling terminal gets SIGTTIN (EIO if it ignores it or
//!   its group is orphaned); writing with TOSTOP set, or changing the
//!   terminal's settings, gets SIGTTOU unless it ignores it.
//! - _exit(2): when a controlling process exits, SIGHUP goes to the
//!   terminal's foreground group and the terminal loses its session; a
//!   process group orphaned by the exit that has a stopped member gets
//!   SIGHUP then SIGCONT (kernel/exit.c kill_orphaned_pgrp: only a group
//!   the exiting process linked to its session, through its parent or as
//!   the parent of a member, can be orphaned by it).
//! - pty(7), Linux's tty_signal_session_leader (drivers/tty/tty_jobctrl.c):
//!   closing the master hangs the terminal up: SIGHUP and SIGCONT to the
//!   session leader only; the foreground group of that moment is kept as
//!   the leader's tty_old_pgrp and gets SIGHUP and SIGCONT when the leader
//!   exits (disassociate_ctty(1)), whatever group is foreground by then.
//! - waitpid(2) WUNTRACED: a parent learns that a child stopped as well as
//!   that it exited.
//! - systemd.scope(5): a process stays in the scope (control group) of its
//!   parent whatever it does with sessions, so a scope can be killed whole.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, watch};

use super::cpu::Work;
use super::file::{FdTable, OpenFile};
use super::pipe::{Pipe, PipeEnd};
use super::signal::{DefaultAction, Disposition, Signal, WaitStatus};
use super::tty::{SlaveRead, Termios, Tty};
use crate::trace::{ProcessEvent, SignalOutcome, Trace, TtyEvent};

pub type Pid = u32;

/// The most one read(2) of /dev/zero or /dev/urandom returns here: read(2)
/// may return fewer bytes than asked, and a huge request must not take
/// the memory of the machine running the simulation.
const DEVICE_READ: usize = 1 << 20;

/// init(1): adopts orphans and reaps them.
pub const INIT_PID: Pid = 1;

/// A program a process runs; its output is the exit code.
pub type Program = Pin<Box<dyn Future<Output = i32> + Send + 'static>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState {
    Running,
    Stopped,
    Zombie(WaitStatus),
}

struct Process {
    ppid: Pid,
    /// Who started it, as a trace label (kept after re-parenting).
    started_by: String,
    pgid: Pid,
    sid: Pid,
    name: String,
    state: RunState,
    fds: FdTable,
    dispositions: BTreeMap<Signal, Disposition>,
    /// Signals delivered but not yet acted on by the process's task.
    pending: VecDeque<Signal>,
    /// Caught signals whose trap the shell has not run yet.
    caught: VecDeque<Signal>,
    /// Wakes the process's task when a signal arrives.
    wake: Arc<Notify>,
    /// Wakes the program (a shell) when a caught signal awaits its trap.
    trap_wake: Arc<Notify>,
    exited: watch::Sender<Option<WaitStatus>>,
    /// The signal that stopped it, while it is stopped.
    stopped: watch::Sender<Option<Signal>>,
    /// The control group it belongs to (`None`: the root).
    scope: Option<u32>,
    /// Its work at the current instant, for its time slice (cpu.rs).
    work: Work,
    /// A session leader whose terminal hung up: the terminal's foreground
    /// group then, signalled when the leader exits (Linux's
    /// signal->tty_old_pgrp, set in tty_signal_session_leader).
    tty_old_pgrp: Option<Pid>,
}

/// What waitpid(2) with WUNTRACED reports about a child.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildChange {
    Exited(WaitStatus),
    Stopped(Signal),
}

struct KernelState {
    procs: BTreeMap<Pid, Process>,
    next_pid: Pid,
    next_pipe: u32,
    pipe_capacity: usize,
    /// Pause the host's utilities take between two writes of a stream.
    write_pacing: std::time::Duration,
    /// Declared virtual files: name -> size.
    virtual_files: BTreeMap<String, u64>,
    /// Bytes written to regular files, by name: every regular file a
    /// process created, with its size.
    written: BTreeMap<String, u64>,
    /// Directories made by mkdir(2).
    dirs: BTreeSet<String>,
    /// Every terminal of the host, for the exit of controlling processes.
    ttys: Vec<Arc<Tty>>,
    next_scope: u32,
    /// Every name a process ran under, in the order they were taken.
    names: Vec<(Pid, String)>,
    /// Every exit: who, how and when (virtual time).
    exits: Vec<(Pid, WaitStatus, std::time::Duration)>,
}

/// Handle to one host's kernel; clones share it.
#[derive(Clone)]
pub struct Kernel {
    host: &'static str,
    trace: Trace,
    state: Arc<Mutex<KernelState>>,
}

/// How a process's name is shown in traces: `server sleep[5]`.
pub fn proc_label(host: &str, name: &str, pid: Pid) -> String {
    format!("{host} {name}[{pid}]")
}

impl Kernel {
    /// A host with only init (pid 1) running.
    pub fn new(host: &'static str, trace: Trace, virtual_files: BTreeMap<String, u64>) -> Kernel {
        let kernel = Kernel {
            host,
            trace,
            state: Arc::new(Mutex::new(KernelState {
                procs: BTreeMap::new(),
                next_pid: INIT_PID,
                next_pipe: 1,
                pipe_capacity: super::pipe::PIPE_CAPACITY,
                write_pacing: std::time::Duration::ZERO,
                virtual_files,
                written: BTreeMap::new(),
                dirs: BTreeSet::new(),
                ttys: Vec::new(),
                next_scope: 1,
                names: Vec::new(),
                exits: Vec::new(),
            })),
        };
        kernel.insert(None, "init", FdTable::default());
        kernel
    }

    pub fn host(&self) -> &'static str {
        self.host
    }

    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    pub fn label(&self, pid: Pid) -> String {
        let name = self.name(pid).unwrap_or_else(|| "?".into());
        proc_label(self.host, &name, pid)
    }

    pub fn set_pipe_capacity(&self, capacity: usize) {
        self.state.lock().unwrap().pipe_capacity = capacity;
    }

    pub fn set_write_pacing(&self, pacing: std::time::Duration) {
        self.state.lock().unwrap().write_pacing = pacing;
    }

    /// Waits the host's write pacing (none by default): utilities that
    /// stream output call it between writes, so a seed can make a writer
    /// slow or fast relative to its reader.
    pub async fn pace(&self) {
        let pacing = self.state.lock().unwrap().write_pacing;
        if !pacing.is_zero() {
            crate::sim::clock::sleep(pacing).await;
        }
    }

    /// Counts `units` of work `pid` did now; returns how long it must
    /// wait before it goes on, if its time slice is used up (cpu.rs).
    fn charge(&self, pid: Pid, units: u64) -> Option<std::time::Duration> {
        let now = tokio::time::Instant::now();
        let mut st = self.state.lock().unwrap();
        st.procs.get_mut(&pid)?.work.charge(now, units)
    }

    /// pipe(2): a new pipe's read and write ends.
    pub fn pipe(&self) -> (PipeEnd, PipeEnd) {
        let mut st = self.state.lock().unwrap();
        let id = st.next_pipe;
        st.next_pipe += 1;
        Pipe::create(id, st.pipe_capacity)
    }

    pub fn virtual_file(&self, name: &str) -> Option<u64> {
        self.state.lock().unwrap().virtual_files.get(name).copied()
    }

    pub fn add_written(&self, name: &str, bytes: u64) {
        *self
            .state
            .lock()
            .unwrap()
            .written
            .entry(path_key(name))
            .or_default() += bytes;
    }

    /// open(2) with O_CREAT, and O_TRUNC for `>`: the file exists from
    /// now on, empty when truncated.
    pub fn create_file(&self, name: &str, truncate: bool) {
        let name = path_key(name);
        let mut st = self.state.lock().unwrap();
        if truncate {
            st.virtual_files.remove(&name);
            st.written.insert(name, 0);
        } else if !st.virtual_files.contains_key(&name) {
            st.written.entry(name).or_default();
        }
    }

    /// stat(2): what `name` is, if anything.
    pub fn stat(&self, name: &str) -> Option<FileKind> {
        let name = path_key(name);
        let st = self.state.lock().unwrap();
        if st.dirs.contains(&name) {
            return Some(FileKind::Directory);
        }
        st.written
            .get(&name)
            .or(st.virtual_files.get(&name))
            .map(|size| FileKind::Regular(*size))
    }

    /// unlink(2) of a regular file (EISDIR for a directory unless
    /// `recursive`, which takes everything under it, as rm -r does);
    /// ENOENT when there is nothing.
    pub fn remove(&self, name: &str, recursive: bool) -> Result<(), &'static str> {
        let name = path_key(name);
        let mut st = self.state.lock().unwrap();
        if st.dirs.contains(&name) {
            if !recursive {
                return Err("Is a directory");
            }
            let inside = format!("{name}/");
            let under = |path: &String| *path == name || path.starts_with(&inside);
            st.dirs.retain(|d| !under(d));
            st.written.retain(|f, _| !under(f));
            st.virtual_files.retain(|f, _| !under(f));
            return Ok(());
        }
        let removed = st.written.remove(&name).is_some() | st.virtual_files.remove(&name).is_some();
        removed.then_some(()).ok_or("No such file or directory")
    }

    /// mkdir(2): EEXIST when the name is taken.
    pub fn mkdir(&self, name: &str) -> Result<(), &'static str> {
        if self.stat(name).is_some() {
            return Err("File exists");
        }
        self.state.lock().unwrap().dirs.insert(path_key(name));
        Ok(())
    }

    pub fn written(&self, name: &str) -> u64 {
        self.state
            .lock()
            .unwrap()
            .written
            .get(&path_key(name))
            .copied()
            .unwrap_or(0)
    }

    fn insert(&self, parent: Option<Pid>, name: &str, fds: FdTable) -> Pid {
        let mut st = self.state.lock().unwrap();
        let pid = st.next_pid;
        st.next_pid += 1;
        let (ppid, pgid, sid, dispositions, scope) = match parent.and_then(|p| st.procs.get(&p)) {
            Some(p) => (
                parent.unwrap_or(INIT_PID),
                p.pgid,
                p.sid,
                // execve(2): caught signals revert to the default.
                p.dispositions
                    .iter()
                    .filter(|(_, d)| **d == Disposition::Ignore)
                    .map(|(s, d)| (*s, d.clone()))
                    .collect(),
                p.scope,
            ),
            None => (INIT_PID, pid, pid, BTreeMap::new(), None),
        };
        st.names.push((pid, name.to_string()));
        let (exited, _) = watch::channel(None);
        let started_by = match parent.and_then(|p| st.procs.get(&p).map(|pp| (p, pp))) {
            Some((p, pp)) => proc_label(self.host, &pp.name, p),
            None => "the kernel".to_string(),
        };
        st.procs.insert(
            pid,
            Process {
                started_by,
                ppid,
                pgid,
                sid,
                name: name.to_string(),
                state: RunState::Running,
                fds,
                dispositions,
                pending: VecDeque::new(),
                caught: VecDeque::new(),
                wake: Arc::new(Notify::new()),
                trap_wake: Arc::new(Notify::new()),
                exited,
                stopped: watch::channel(None).0,
                scope,
                work: Work::default(),
                // copy_signal zero-fills it: a child inherits none.
                tty_old_pgrp: None,
            },
        );
        pid
    }

    /// fork(2) + exec: a child of `parent` named `name` with descriptor table
    /// `fds`, running `program` as a task on the current host's runtime.
    pub fn spawn<F>(&self, parent: Pid, name: &str, fds: FdTable, program: F) -> Pid
    where
        F: FnOnce(Proc) -> Program,
    {
        let pid = self.insert(Some(parent), name, fds);
        let proc = Proc {
            kernel: self.clone(),
            pid,
        };
        self.trace.log(
            self.label(pid),
            ProcessEvent::Started {
                parent: self.label(parent),
            },
        );
        let program = program(proc.clone());
        tokio::spawn(drive(proc, program));
        pid
    }

    pub fn name(&self, pid: Pid) -> Option<String> {
        self.state
            .lock()
            .unwrap()
            .procs
            .get(&pid)
            .map(|p| p.name.clone())
    }

    /// The first process that ran under `name`, alive or not.
    pub fn first_named(&self, name: &str) -> Option<Pid> {
        let st = self.state.lock().unwrap();
        st.names
            .iter()
            .find(|(_, n)| n == name)
            .map(|(pid, _)| *pid)
    }

    /// How and when `pid` exited, if it did.
    pub fn exit_of(&self, pid: Pid) -> Option<(WaitStatus, std::time::Duration)> {
        let st = self.state.lock().unwrap();
        st.exits
            .iter()
            .find(|(p, _, _)| *p == pid)
            .map(|(_, status, at)| (*status, *at))
    }

    /// The signal that stopped `pid`, while it is stopped.
    pub fn stop_signal(&self, pid: Pid) -> Option<Signal> {
        let st = self.state.lock().unwrap();
        st.procs.get(&pid).and_then(|p| *p.stopped.borrow())
    }

    /// Resolves once `pid` is not stopped (at once when it is not, or is
    /// gone).
    pub async fn until_not_stopped(&self, pid: Pid) {
        let stopped = {
            let st = self.state.lock().unwrap();
            st.procs.get(&pid).map(|p| p.stopped.subscribe())
        };
        if let Some(mut stopped) = stopped {
            let _ = stopped.wait_for(|sig| sig.is_none()).await;
        }
    }

    pub fn state_of(&self, pid: Pid) -> Option<RunState> {
        self.state.lock().unwrap().procs.get(&pid).map(|p| p.state)
    }

    /// Who started `pid`, as a trace label, even after it was re-parented.
    pub fn started_by(&self, pid: Pid) -> Option<String> {
        self.state
            .lock()
            .unwrap()
            .procs
            .get(&pid)
            .map(|p| p.started_by.clone())
    }

    pub fn parent(&self, pid: Pid) -> Option<Pid> {
        self.state.lock().unwrap().procs.get(&pid).map(|p| p.ppid)
    }

    pub fn pgid(&self, pid: Pid) -> Option<Pid> {
        self.state.lock().unwrap().procs.get(&pid).map(|p| p.pgid)
    }

    pub fn sid(&self, pid: Pid) -> Option<Pid> {
        self.state.lock().unwrap().procs.get(&pid).map(|p| p.sid)
    }

    /// Live (not zombie) processes other than init, in pid order.
    pub fn live(&self) -> Vec<(Pid, String)> {
        let st = self.state.lock().unwrap();
        st.procs
            .iter()
            .filter(|(pid, p)| **pid != INIT_PID && !matches!(p.state, RunState::Zombie(_)))
            .map(|(pid, p)| (*pid, p.name.clone()))
            .collect()
    }

    /// Who holds a descriptor of the write end of `pipe_id`, as `(pid, fd)`.
    pub fn holders_of_pipe(&self, pipe_id: u32) -> Vec<(Pid, u32)> {
        let st = self.state.lock().unwrap();
        let mut out = Vec::new();
        for (pid, p) in &st.procs {
            for (fd, file) in p.fds.iter() {
                if let OpenFile::Pipe(end) = &**file
                    && end.pipe.id == pipe_id
                    && end.end == super::pipe::End::Write
                {
                    out.push((*pid, fd));
                }
            }
        }
        out
    }

    pub fn fds(&self, pid: Pid) -> FdTable {
        self.state
            .lock()
            .unwrap()
            .procs
            .get(&pid)
            .map(|p| p.fds.clone())
            .unwrap_or_default()
    }

    pub fn set_fds(&self, pid: Pid, fds: FdTable) {
        let old = {
            let mut st = self.state.lock().unwrap();
            match st.procs.get_mut(&pid) {
                Some(p) => std::mem::replace(&mut p.fds, fds),
                None => fds,
            }
        };
        drop(old);
    }

    /// execve(2) of the program `name`: the trace says so when the program
    /// changes (`server sh[4] execs sleep`), as the real lane's observer
    /// does, so that a wait for a program's start sees it in both lanes.
    pub fn rename(&self, pid: Pid, name: &str) {
        let execs = {
            let mut st = self.state.lock().unwrap();
            st.names.push((pid, name.to_string()));
            st.procs.get_mut(&pid).and_then(|p| {
                let before = std::mem::replace(&mut p.name, name.to_string());
                // execve(2): caught signals revert to the default.
                p.dispositions.retain(|_, d| *d == Disposition::Ignore);
                (before != name).then(|| proc_label(self.host, &before, pid))
            })
        };
        if let Some(label) = execs {
            self.trace.log(
                label,
                ProcessEvent::Execs {
                    program: name.to_string(),
                },
            );
        }
    }

    pub fn set_disposition(&self, pid: Pid, sig: Signal, disposition: Disposition) {
        let mut st = self.state.lock().unwrap();
        if let Some(p) = st.procs.get_mut(&pid) {
            if disposition == Disposition::Default {
                p.dispositions.remove(&sig);
            } else {
                p.dispositions.insert(sig, disposition);
            }
        }
    }

    pub fn disposition(&self, pid: Pid, sig: Signal) -> Disposition {
        let st = self.state.lock().unwrap();
        st.procs
            .get(&pid)
            .and_then(|p| p.dispositions.get(&sig).cloned())
            .unwrap_or_default()
    }

    /// setsid(2).
    pub fn setsid(&self, pid: Pid) -> Result<(), &'static str> {
        let mut st = self.state.lock().unwrap();
        let p = st.procs.get_mut(&pid).ok_or("ESRCH")?;
        if p.pgid == pid {
            return Err("EPERM");
        }
        p.sid = pid;
        p.pgid = pid;
        Ok(())
    }

    /// setpgid(pid, pid): make `pid` lead its own process group.
    pub fn setpgid_self(&self, pid: Pid) {
        self.setpgid(pid, pid);
    }

    /// setpgid(2): move `pid` into group `pgid` of its session.
    pub fn setpgid(&self, pid: Pid, pgid: Pid) {
        if let Some(p) = self.state.lock().unwrap().procs.get_mut(&pid) {
            p.pgid = pgid;
        }
    }

    /// daemon(3)'s double fork, in one step: `pid` becomes a child of init.
    pub fn reparent_to_init(&self, pid: Pid) {
        if let Some(p) = self.state.lock().unwrap().procs.get_mut(&pid) {
            p.ppid = INIT_PID;
        }
    }

    /// posix_openpt(3): a new terminal of this host.
    pub fn open_pty(&self) -> Arc<Tty> {
        let mut st = self.state.lock().unwrap();
        let tty = Arc::new(Tty::new(st.ttys.len() as u32));
        st.ttys.push(tty.clone());
        tty
    }

    /// The terminal `/dev/pts/<id>`, if it exists.
    pub fn tty(&self, id: u32) -> Option<Arc<Tty>> {
        self.state.lock().unwrap().ttys.get(id as usize).cloned()
    }

    /// ioctl_tty(2) TIOCSCTTY: `pid`, a session leader, makes `tty` its
    /// session's controlling terminal; its group becomes the foreground.
    pub fn set_controlling_tty(&self, pid: Pid, tty: &Tty) -> Result<(), &'static str> {
        let (sid, pgid) = {
            let st = self.state.lock().unwrap();
            let p = st.procs.get(&pid).ok_or("ESRCH")?;
            (p.sid, p.pgid)
        };
        if sid != pid || tty.is_hung_up() {
            return Err("EPERM");
        }
        tty.set_session(Some(sid));
        tty.set_foreground(Some(pgid));
        // __proc_set_tty (tty_jobctrl.c) drops the old group.
        if let Some(p) = self.state.lock().unwrap().procs.get_mut(&pid) {
            p.tty_old_pgrp = None;
        }
        Ok(())
    }

    /// Bytes written to the master side of `tty` (keystrokes): through the
    /// line discipline, with the signals it generates (termios(3) ISIG)
    /// delivered to the foreground group. `from` names the typist.
    pub fn type_into(&self, tty: &Tty, bytes: &[u8], from: &str) {
        for (pgid, sig) in tty.type_bytes(bytes) {
            self.signal_group(pgid, sig, from);
        }
    }

    /// The master side of `tty` closed: hang it up and signal its session.
    /// Linux, drivers/tty/tty_jobctrl.c tty_signal_session_leader as called
    /// by __tty_hangup(tty, 0) from pty_close: SIGHUP and SIGCONT go to the
    /// session leader only; the foreground group is not signalled now
    /// (exit_session is 0) but kept as the leader's tty_old_pgrp, which
    /// disassociate_ctty(1) signals when the leader exits (see `exit`).
    pub fn hang_up(&self, tty: &Tty) {
        let Some((session, foreground)) = tty.hang_up() else {
            return;
        };
        let from = format!("the kernel (hangup of /dev/{})", tty.name());
        self.trace.log(
            format!("{} kernel", self.host),
            TtyEvent::HungUp {
                tty: tty.name().to_string(),
            },
        );
        let Some(leader) = session else {
            return;
        };
        if let (Some(p), Some(_)) = (
            self.state.lock().unwrap().procs.get_mut(&leader),
            foreground,
        ) {
            p.tty_old_pgrp = foreground;
        }
        self.signal(leader, Signal::Hup, &from);
        self.signal(leader, Signal::Cont, &from);
    }

    /// Puts `pid` in a new control group (a login session's scope).
    pub fn new_scope(&self, pid: Pid) -> u32 {
        let mut st = self.state.lock().unwrap();
        let scope = st.next_scope;
        st.next_scope += 1;
        if let Some(p) = st.procs.get_mut(&pid) {
            p.scope = Some(scope);
        }
        scope
    }

    /// Live processes of a control group, in pid order.
    pub fn scope_members(&self, scope: u32) -> Vec<Pid> {
        let st = self.state.lock().unwrap();
        st.procs
            .iter()
            .filter(|(_, p)| p.scope == Some(scope) && !matches!(p.state, RunState::Zombie(_)))
            .map(|(pid, _)| *pid)
            .collect()
    }

    /// Whether `pid` is in a background group of the session `tty`
    /// controls (XBD 11.1.4); a process of another session is not.
    fn in_background_of(&self, pid: Pid, tty: &Tty) -> Option<Pid> {
        let st = self.state.lock().unwrap();
        let p = st.procs.get(&pid)?;
        (tty.session() == Some(p.sid) && tty.foreground() != Some(p.pgid)).then_some(p.pgid)
    }

    /// XBD 3.265: no member has a parent in another group of the session.
    fn is_orphaned(st: &KernelState, pgid: Pid) -> bool {
        let members: Vec<&Process> = st.procs.values().filter(|p| p.pgid == pgid).collect();
        !members.iter().any(|p| {
            st.procs
                .get(&p.ppid)
                .is_some_and(|parent| parent.pgid != pgid && parent.sid == p.sid)
        })
    }

    /// kill(2) to one process. `from` names the sender in the trace.
    /// Returns false when there is no such live process (ESRCH).
    pub fn signal(&self, pid: Pid, sig: Signal, from: &str) -> bool {
        let (label, wake, trap_wake, outcome) = {
            let mut st = self.state.lock().unwrap();
            let Some(p) = st.procs.get_mut(&pid) else {
                return false;
            };
            if matches!(p.state, RunState::Zombie(_)) {
                return false;
            }
            let label = proc_label(self.host, &p.name, pid);
            let disposition = p.dispositions.get(&sig).cloned().unwrap_or_default();
            let outcome = if sig == Signal::Cont && p.state == RunState::Stopped {
                // signal(7): SIGCONT continues the process even if ignored.
                p.state = RunState::Running;
                p.stopped.send_replace(None);
                match disposition {
                    Disposition::Trap(_) => {
                        add_pending(&mut p.caught, sig);
                        SignalOutcome::ContinuedTrapPending
                    }
                    _ => SignalOutcome::Continued,
                }
            } else if !sig.can_be_handled() {
                add_pending(&mut p.pending, sig);
                SignalOutcome::Delivered
            } else {
                match disposition {
                    Disposition::Ignore => SignalOutcome::Ignored,
                    Disposition::Trap(_) => {
                        add_pending(&mut p.caught, sig);
                        SignalOutcome::CaughtByTrap
                    }
                    Disposition::Default => match sig.default_action() {
                        DefaultAction::Ignore => SignalOutcome::IgnoredByDefault,
                        DefaultAction::Continue => SignalOutcome::NoEffectNotStopped,
                        _ => {
                            add_pending(&mut p.pending, sig);
                            SignalOutcome::Delivered
                        }
                    },
                }
            };
            (label, p.wake.clone(), p.trap_wake.clone(), outcome)
        };
        if sig != Signal::Chld {
            self.trace.log(
                label,
                ProcessEvent::Signal {
                    signal: sig.to_string(),
                    from: from.to_string(),
                    outcome,
                },
            );
        }
        wake.notify_one();
        trap_wake.notify_one();
        true
    }

    /// kill(2) with a negative pid: every process of group `pgid`.
    pub fn signal_group(&self, pgid: Pid, sig: Signal, from: &str) -> bool {
        let members: Vec<Pid> = {
            let st = self.state.lock().unwrap();
            st.procs
                .iter()
                .filter(|(_, p)| p.pgid == pgid && !matches!(p.state, RunState::Zombie(_)))
                .map(|(pid, _)| *pid)
                .collect()
        };
        for pid in &members {
            self.signal(*pid, sig, from);
        }
        !members.is_empty()
    }

    /// Power loss: every process but init vanishes at once, without exit
    /// statuses or signals (their tasks are dropped with the host's runtime).
    pub fn power_off(&self) {
        let gone: Vec<Process> = {
            let mut st = self.state.lock().unwrap();
            let pids: Vec<Pid> = st
                .procs
                .keys()
                .copied()
                .filter(|p| *p != INIT_PID)
                .collect();
            pids.into_iter()
                .filter_map(|p| st.procs.remove(&p))
                .collect()
        };
        let names: Vec<String> = gone.iter().map(|p| p.name.clone()).collect();
        // Descriptors close outside the lock.
        drop(gone);
        self.trace.log(
            format!("{} kernel", self.host),
            ProcessEvent::PowerLost { gone: names },
        );
    }

    /// The next caught signal whose trap has not run, if any.
    pub fn take_caught(&self, pid: Pid) -> Option<(Signal, String)> {
        let mut st = self.state.lock().unwrap();
        let p = st.procs.get_mut(&pid)?;
        while let Some(sig) = p.caught.pop_front() {
            if let Some(Disposition::Trap(action)) = p.dispositions.get(&sig) {
                return Some((sig, action.clone()));
            }
        }
        None
    }

    pub fn has_caught(&self, pid: Pid) -> bool {
        self.next_caught(pid).is_some()
    }

    /// The oldest caught signal whose trap has not run, left in place.
    pub fn next_caught(&self, pid: Pid) -> Option<Signal> {
        let st = self.state.lock().unwrap();
        st.procs.get(&pid).and_then(|p| p.caught.front().copied())
    }

    fn wake_handle(&self, pid: Pid) -> Option<Arc<Notify>> {
        self.state
            .lock()
            .unwrap()
            .procs
            .get(&pid)
            .map(|p| p.wake.clone())
    }

    fn trap_wake_handle(&self, pid: Pid) -> Option<Arc<Notify>> {
        self.state
            .lock()
            .unwrap()
            .procs
            .get(&pid)
            .map(|p| p.trap_wake.clone())
    }

    /// Takes the next pending signal the task must act on.
    fn take_pending(&self, pid: Pid) -> Option<Signal> {
        self.state
            .lock()
            .unwrap()
            .procs
            .get_mut(&pid)?
            .pending
            .pop_front()
    }

    fn stop(&self, pid: Pid, sig: Signal) {
        if let Some(p) = self.state.lock().unwrap().procs.get_mut(&pid) {
            p.state = RunState::Stopped;
            p.stopped.send_replace(Some(sig));
        }
    }

    /// _exit(2): close every fd, re-parent children, notify the parent.
    fn exit(&self, pid: Pid, status: WaitStatus) {
        let (fds, parent, label, hangup_group, old_pgrp, orphaned) = {
            let mut st = self.state.lock().unwrap();
            let children: Vec<Pid> = st
                .procs
                .iter()
                .filter(|(_, p)| p.ppid == pid)
                .map(|(c, _)| *c)
                .collect();
            // Groups this exit may orphan (kernel/exit.c kill_orphaned_pgrp):
            // its own, if its parent is in another group of its session,
            // and each child's in another group of its session: only then
            // was it a link that kept the group attached.
            let linked = |a: &Process, b: &Process| a.pgid != b.pgid && a.sid == b.sid;
            let mut groups: Vec<Pid> = Vec::new();
            if let Some(me) = st.procs.get(&pid) {
                groups.extend(
                    children
                        .iter()
                        .filter_map(|c| st.procs.get(c))
                        .filter(|child| linked(child, me))
                        .map(|child| child.pgid),
                );
                if st
                    .procs
                    .get(&me.ppid)
                    .is_some_and(|parent| linked(me, parent))
                {
                    groups.push(me.pgid);
                }
            }
            // A controlling process: the terminal loses its session.
            let mut hangup_group = None;
            for tty in &st.ttys {
                if tty.session() == Some(pid) {
                    hangup_group = tty.foreground();
                    tty.set_session(None);
                    tty.set_foreground(None);
                }
            }
            // disassociate_ctty(1) of a leader whose terminal hung up
            // (tty_jobctrl.c): the group in the foreground at the hangup
            // gets SIGHUP and SIGCONT.
            let old_pgrp = st.procs.get_mut(&pid).and_then(|p| p.tty_old_pgrp.take());
            for &child in &children {
                let orphan = st.procs.get_mut(&child).unwrap();
                orphan.ppid = INIT_PID;
                if matches!(orphan.state, RunState::Zombie(_)) {
                    // init reaps adopted zombies at once.
                    st.procs.remove(&child);
                }
            }
            let Some(p) = st.procs.get_mut(&pid) else {
                return;
            };
            p.state = RunState::Zombie(status);
            let fds = p.fds.take_all();
            let now = self.trace.now();
            let parent = p.ppid;
            let label = proc_label(self.host, &p.name, pid);
            p.exited.send_replace(Some(status));
            if parent == INIT_PID || !st.procs.contains_key(&parent) {
                st.procs.remove(&pid);
            }
            st.exits.push((pid, status, now));
            groups.sort_unstable();
            groups.dedup();
            let orphaned: Vec<Pid> = groups
                .into_iter()
                .filter(|g| {
                    Self::is_orphaned(&st, *g)
                        && st
                            .procs
                            .values()
                            .any(|p| p.pgid == *g && p.state == RunState::Stopped)
                })
                .collect();
            (fds, parent, label, hangup_group, old_pgrp, orphaned)
        };
        let ended = match status {
            WaitStatus::Exited(code) => ProcessEvent::Exited { code },
            WaitStatus::Signaled(sig) => ProcessEvent::Killed {
                signal: sig.to_string(),
            },
        };
        self.trace.log(label.clone(), ended);
        // Closing the fds may wake pipe readers; do it outside the lock.
        drop(fds);
        let from = format!("the kernel (exit of {label})");
        if let Some(group) = hangup_group {
            self.signal_group(group, Signal::Hup, &from);
        }
        if let Some(group) = old_pgrp {
            self.signal_group(group, Signal::Hup, &from);
            self.signal_group(group, Signal::Cont, &from);
        }
        for group in orphaned {
            self.signal_group(group, Signal::Hup, "the kernel (its group was orphaned)");
            self.signal_group(group, Signal::Cont, "the kernel (its group was orphaned)");
        }
        self.signal(parent, Signal::Chld, "the kernel");
    }

    /// waitpid(2) with WUNTRACED: resolves when the child has exited (and
    /// reaps it) or is stopped.
    pub async fn wait_change(&self, pid: Pid) -> Option<ChildChange> {
        let (mut exited, mut stopped) = {
            let st = self.state.lock().unwrap();
            let p = st.procs.get(&pid)?;
            (p.exited.subscribe(), p.stopped.subscribe())
        };
        loop {
            if let Some(status) = *exited.borrow_and_update() {
                self.state.lock().unwrap().procs.remove(&pid);
                return Some(ChildChange::Exited(status));
            }
            if let Some(sig) = *stopped.borrow_and_update() {
                return Some(ChildChange::Stopped(sig));
            }
            tokio::select! {
                changed = exited.changed() => changed.ok()?,
                changed = stopped.changed() => changed.ok()?,
            }
        }
    }

    /// waitpid(2) for one child: resolves when it has exited, and reaps it.
    pub async fn wait(&self, pid: Pid) -> Option<WaitStatus> {
        let mut rx = {
            let st = self.state.lock().unwrap();
            st.procs.get(&pid)?.exited.subscribe()
        };
        let status = loop {
            if let Some(status) = *rx.borrow_and_update() {
                break status;
            }
            if rx.changed().await.is_err() {
                return None;
            }
        };
        self.state.lock().unwrap().procs.remove(&pid);
        Some(status)
    }

    /// Resolves when the process has exited (without reaping it). A
    /// process already gone from the table (reaped, or a child of init,
    /// which reaps at once) is answered from the record of exits: pids are
    /// never reused here, so the record is unambiguous.
    pub async fn exited(&self, pid: Pid) -> Option<WaitStatus> {
        let mut rx = {
            let st = self.state.lock().unwrap();
            match st.procs.get(&pid) {
                Some(p) => p.exited.subscribe(),
                None => {
                    return st
                        .exits
                        .iter()
                        .find(|(p, _, _)| *p == pid)
                        .map(|(_, status, _)| *status);
                }
            }
        };
        loop {
            if let Some(status) = *rx.borrow_and_update() {
                return Some(status);
            }
            rx.changed().await.ok()?;
        }
    }
}

/// signal(7) "Queueing and delivery semantics for standard signals": a
/// standard signal is pending at most once; another instance while it is
/// pending is lost. So a process's pending signals stay a small set
/// however many arrive before it runs.
fn add_pending(queue: &mut VecDeque<Signal>, sig: Signal) {
    if !queue.contains(&sig) {
        queue.push_back(sig);
    }
}

fn terminal_sender(sig: Signal) -> String {
    let why = if sig == Signal::Ttin {
        "read from its controlling tty in the background"
    } else {
        "tty output or settings in the background"
    };
    format!("the kernel ({why})")
}

/// The task of one process: runs its program and acts on signals.
async fn drive(proc: Proc, program: Program) {
    let kernel = proc.kernel.clone();
    let pid = proc.pid;
    let Some(wake) = kernel.wake_handle(pid) else {
        return;
    };
    let mut program = program;
    let status = 'run: loop {
        while let Some(sig) = kernel.take_pending(pid) {
            match sig.default_action() {
                DefaultAction::Terminate | DefaultAction::Core => {
                    break 'run WaitStatus::Signaled(sig);
                }
                DefaultAction::Stop => {
                    kernel.stop(pid, sig);
                    kernel.trace.log(
                        kernel.label(pid),
                        ProcessEvent::Stopped {
                            signal: sig.to_string(),
                        },
                    );
                }
                DefaultAction::Ignore | DefaultAction::Continue => {}
            }
        }
        if kernel.state_of(pid) == Some(RunState::Stopped) {
            wake.notified().await;
            continue;
        }
        tokio::select! {
            biased;
            _ = wake.notified() => continue,
            code = &mut program => break WaitStatus::Exited(code),
        }
    };
    // Drop the program first: its locals may hold descriptors.
    drop(program);
    kernel.exit(pid, status);
}

/// What a running program sees of its process: its pid and the kernel.
#[derive(Clone)]
pub struct Proc {
    pub kernel: Kernel,
    pub pid: Pid,
}

/// What stat(2) finds at a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file of this many bytes.
    Regular(u64),
    Directory,
}

/// A path as the host's file store keys it: relative to the home every
/// process starts in (`./done` and `done/` are `done`).
fn path_key(name: &str) -> String {
    let name = name.trim_end_matches('/');
    let name = name.strip_prefix("./").unwrap_or(name);
    name.to_string()
}

/// Errors of the I/O calls, with their errno names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Errno {
    Ebadf,
    Epipe,
    /// I/O error: a hung-up terminal, or a background read that may not stop.
    Eio,
    /// A caught signal interrupted the call.
    Eintr,
}

impl Errno {
    /// strerror(3) of the error, as glibc words it.
    pub fn strerror(self) -> &'static str {
        match self {
            Errno::Ebadf => "Bad file descriptor",
            Errno::Epipe => "Broken pipe",
            Errno::Eio => "Input/output error",
            Errno::Eintr => "Interrupted system call",
        }
    }
}

impl Proc {
    pub fn label(&self) -> String {
        self.kernel.label(self.pid)
    }

    pub fn fds(&self) -> FdTable {
        self.kernel.fds(self.pid)
    }

    pub fn fd(&self, fd: u32) -> Option<Arc<OpenFile>> {
        self.kernel.fds(self.pid).get(fd)
    }

    /// `file` at descriptor `fd`, as open(2) or dup2(2) leave it; what
    /// was there is closed.
    pub fn set_fd(&self, fd: u32, file: Arc<OpenFile>) {
        let mut fds = self.fds();
        fds.set(fd, file);
        self.kernel.set_fds(self.pid, fds);
    }

    /// close(2): the description closes once no other descriptor holds it.
    pub fn close_fd(&self, fd: u32) {
        let mut fds = self.fds();
        let file = fds.close(fd);
        self.kernel.set_fds(self.pid, fds);
        drop(file);
    }

    /// read(2) of at most `max` bytes; empty is end-of-file.
    pub async fn read(&self, fd: u32, max: usize) -> Result<Vec<u8>, Errno> {
        let file = self.fd(fd).ok_or(Errno::Ebadf)?;
        match &*file {
            OpenFile::DevNull => Ok(Vec::new()),
            OpenFile::DevZero => Ok(vec![0; max.min(DEVICE_READ)]),
            OpenFile::DevUrandom { offset } => {
                let n = max.min(DEVICE_READ);
                let mut offset = offset.lock().unwrap();
                let bytes = super::file::urandom_bytes(*offset, n);
                *offset = offset.saturating_add(n as u64);
                Ok(bytes)
            }
            OpenFile::Pipe(end) => {
                let pipe = end.pipe.clone();
                drop(file);
                Ok(pipe.read(max).await)
            }
            OpenFile::Virtual { size, offset, .. } => {
                let mut offset = offset.lock().unwrap();
                // lseek(2) may set the offset past the end: reads there give 0.
                let n = size.saturating_sub(*offset).min(max as u64);
                let bytes = crate::run::virtual_bytes(*offset, n as usize);
                *offset += n;
                Ok(bytes)
            }
            OpenFile::Output { .. } => Err(Errno::Ebadf),
            OpenFile::Tty(tty) => {
                let tty = tty.clone();
                drop(file);
                self.terminal_access(&tty, Signal::Ttin).await?;
                match tty.read(max).await {
                    SlaveRead::Data(bytes) => Ok(bytes),
                    SlaveRead::Eof | SlaveRead::Empty => Ok(Vec::new()),
                }
            }
        }
    }

    /// select(2) for reading on one fd: resolves when a read would not
    /// block (a background read of a terminal is then what stops).
    pub async fn readable(&self, fd: u32) {
        if let Some(OpenFile::Tty(tty)) = self.fd(fd).as_deref() {
            tty.readable().await;
        }
    }

    /// XBD 11.1.4: what a background process meets when it reads (`Ttin`)
    /// or writes or sets up (`Ttou`) its controlling terminal. Returns once
    /// it may go on; a stop suspends it here until SIGCONT.
    async fn terminal_access(&self, tty: &Tty, sig: Signal) -> Result<(), Errno> {
        while let Some(pgid) = self.kernel.in_background_of(self.pid, tty) {
            let orphaned = Kernel::is_orphaned(&self.kernel.state.lock().unwrap(), pgid);
            match self.kernel.disposition(self.pid, sig) {
                Disposition::Ignore if sig == Signal::Ttou => return Ok(()),
                Disposition::Ignore => return Err(Errno::Eio),
                _ if orphaned => return Err(Errno::Eio),
                Disposition::Trap(_) => {
                    self.kernel.signal_group(pgid, sig, &terminal_sender(sig));
                    return Err(Errno::Eintr);
                }
                Disposition::Default => {
                    self.kernel.signal_group(pgid, sig, &terminal_sender(sig));
                    // The task stops here and resumes on SIGCONT; then the
                    // check runs again (the job may still be in the background).
                    tokio::task::yield_now().await;
                }
            }
        }
        Ok(())
    }

    /// tcgetattr(3).
    pub fn tcgetattr(&self, fd: u32) -> Result<Termios, Errno> {
        let file = self.fd(fd).ok_or(Errno::Ebadf)?;
        file.as_tty().map(|t| t.termios()).ok_or(Errno::Ebadf)
    }

    /// tcsetattr(3): from a background group it raises SIGTTOU first.
    pub async fn tcsetattr(&self, fd: u32, termios: Termios) -> Result<(), Errno> {
        let file = self.fd(fd).ok_or(Errno::Ebadf)?;
        let tty = file.as_tty().ok_or(Errno::Ebadf)?.clone();
        self.terminal_access(&tty, Signal::Ttou).await?;
        tty.set_termios(termios);
        Ok(())
    }

    /// tcsetpgrp(3): from a background group it raises SIGTTOU first
    /// (shells ignore SIGTTOU so that they can take the terminal back).
    pub async fn tcsetpgrp(&self, fd: u32, pgid: Pid) -> Result<(), Errno> {
        let file = self.fd(fd).ok_or(Errno::Ebadf)?;
        let tty = file.as_tty().ok_or(Errno::Ebadf)?.clone();
        self.terminal_access(&tty, Signal::Ttou).await?;
        tty.set_foreground(Some(pgid));
        Ok(())
    }

    /// Work done by the process (cpu.rs): once its free work at this
    /// instant is used up, it waits out a time slice.
    pub async fn work(&self, units: u64) {
        if let Some(wait) = self.kernel.charge(self.pid, units) {
            crate::sim::clock::sleep(wait).await;
        }
    }

    /// write(2) of all of `data`. A broken pipe raises SIGPIPE (pipe(7)) and
    /// fails with EPIPE if the process survives it. The bytes written are
    /// the process's work (cpu.rs).
    pub async fn write(&self, fd: u32, data: &[u8]) -> Result<(), Errno> {
        self.write_now(fd, data).await?;
        self.work(data.len() as u64).await;
        Ok(())
    }

    async fn write_now(&self, fd: u32, data: &[u8]) -> Result<(), Errno> {
        let file = self.fd(fd).ok_or(Errno::Ebadf)?;
        match &*file {
            OpenFile::DevNull | OpenFile::DevZero | OpenFile::DevUrandom { .. } => Ok(()),
            OpenFile::Pipe(end) => {
                let pipe = end.pipe.clone();
                drop(file);
                match pipe.write(data).await {
                    Ok(()) => Ok(()),
                    Err(_) => {
                        self.kernel.signal(
                            self.pid,
                            Signal::Pipe,
                            "the kernel (write to a pipe with no reader)",
                        );
                        // Let the process's task act on the signal first.
                        tokio::task::yield_now().await;
                        Err(Errno::Epipe)
                    }
                }
            }
            OpenFile::Output { name } => {
                self.kernel.add_written(name, data.len() as u64);
                Ok(())
            }
            OpenFile::Virtual { .. } => Err(Errno::Ebadf),
            OpenFile::Tty(tty) => {
                let tty = tty.clone();
                drop(file);
                if tty.termios().tostop {
                    self.terminal_access(&tty, Signal::Ttou).await?;
                }
                if tty.write(data).await {
                    Ok(())
                } else {
                    Err(Errno::Eio)
                }
            }
        }
    }

    /// Spawn a child with the given descriptor table.
    pub fn spawn<F>(&self, name: &str, fds: FdTable, program: F) -> Pid
    where
        F: FnOnce(Proc) -> Program,
    {
        self.kernel.spawn(self.pid, name, fds, program)
    }

    pub async fn wait(&self, child: Pid) -> Option<WaitStatus> {
        self.kernel.wait(child).await
    }

    /// Resolves when a caught signal is waiting for its trap.
    pub async fn caught_signal(&self) {
        let Some(trap_wake) = self.kernel.trap_wake_handle(self.pid) else {
            return;
        };
        while !self.kernel.has_caught(self.pid) {
            trap_wake.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    use crate::sim::unix::block_on;

    fn kernel() -> Kernel {
        Kernel::new("host", Trace::default(), BTreeMap::new())
    }

    fn sleeper(secs: u64) -> impl FnOnce(Proc) -> Program {
        move |_| -> Program {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_secs(secs)).await;
                0
            })
        }
    }

    #[test]
    fn an_exited_child_stays_a_zombie_until_its_parent_waits() {
        block_on(async {
            let k = kernel();
            let parent = k.spawn(INIT_PID, "parent", FdTable::default(), sleeper(100));
            let child = k.spawn(parent, "child", FdTable::default(), sleeper(1));
            k.exited(child).await;
            assert_eq!(
                k.state_of(child),
                Some(RunState::Zombie(WaitStatus::Exited(0)))
            );
            assert_eq!(k.wait(child).await, Some(WaitStatus::Exited(0)));
            assert_eq!(k.state_of(child), None, "reaped");
        });
    }

    #[test]
    fn the_status_of_a_child_of_init_stays_observable_after_it_was_reaped() {
        block_on(async {
            let k = kernel();
            let pid = k.spawn(INIT_PID, "true", FdTable::default(), |_| -> Program {
                Box::pin(async { 3 })
            });
            tokio::task::yield_now().await;
            assert_eq!(k.state_of(pid), None, "init reaped it at once");
            assert_eq!(k.exited(pid).await, Some(WaitStatus::Exited(3)));
            assert_eq!(k.exited(99).await, None, "no such process ever ran");
        });
    }

    #[test]
    fn orphans_are_adopted_and_reaped_by_init() {
        block_on(async {
            let k = kernel();
            let parent = k.spawn(INIT_PID, "parent", FdTable::default(), sleeper(1));
            let child = k.spawn(parent, "child", FdTable::default(), sleeper(2));
            k.exited(parent).await;
            assert_eq!(k.parent(child), Some(INIT_PID));
            tokio::time::sleep(Duration::from_secs(2)).await;
            assert_eq!(k.state_of(child), None, "init reaped it");
        });
    }

    #[test]
    fn exit_closes_every_fd_so_the_reader_sees_eof() {
        block_on(async {
            let k = kernel();
            let (r, w) = k.pipe();
            let mut fds = FdTable::default();
            fds.set(1, OpenFile::pipe(w));
            let started = tokio::time::Instant::now();
            k.spawn(INIT_PID, "writer", fds, sleeper(1));
            assert_eq!(r.pipe.read(10).await, Vec::<u8>::new());
            // Virtual time: EOF comes exactly when the writer exits.
            assert_eq!(started.elapsed(), Duration::from_secs(1));
        });
    }

    #[test]
    fn sigkill_cannot_be_ignored_and_term_can() {
        block_on(async {
            let k = kernel();
            let pid = k.spawn(INIT_PID, "p", FdTable::default(), sleeper(10));
            k.set_disposition(pid, Signal::Term, Disposition::Ignore);
            k.set_disposition(pid, Signal::Kill, Disposition::Ignore);
            k.signal(pid, Signal::Term, "test");
            tokio::task::yield_now().await;
            assert_eq!(k.state_of(pid), Some(RunState::Running));
            k.signal(pid, Signal::Kill, "test");
            assert_eq!(
                k.exited(pid).await,
                Some(WaitStatus::Signaled(Signal::Kill))
            );
        });
    }

    #[test]
    fn a_signal_pending_already_is_not_queued_twice() {
        block_on(async {
            let k = kernel();
            let pid = k.spawn(INIT_PID, "sh", FdTable::default(), sleeper(10));
            k.set_disposition(pid, Signal::Term, Disposition::Trap("echo".into()));
            for _ in 0..1000 {
                k.signal(pid, Signal::Term, "test");
            }
            k.set_disposition(pid, Signal::Hup, Disposition::Trap("echo".into()));
            k.signal(pid, Signal::Hup, "test");
            k.signal(pid, Signal::Term, "test");
            assert_eq!(k.take_caught(pid).map(|(s, _)| s), Some(Signal::Term));
            assert_eq!(k.take_caught(pid).map(|(s, _)| s), Some(Signal::Hup));
            assert_eq!(k.take_caught(pid), None, "one instance of each");
        });
    }

    #[test]
    fn sigstop_stops_and_sigcont_resumes_where_it_was() {
        block_on(async {
            let k = kernel();
            let pid = k.spawn(INIT_PID, "p", FdTable::default(), sleeper(2));
            tokio::task::yield_now().await;
            k.signal(pid, Signal::Stop, "test");
            tokio::time::sleep(Duration::from_secs(5)).await;
            assert_eq!(
                k.state_of(pid),
                Some(RunState::Stopped),
                "a stopped process does not finish"
            );
            k.signal(pid, Signal::Cont, "test");
            assert_eq!(k.exited(pid).await, Some(WaitStatus::Exited(0)));
        });
    }

    #[test]
    fn writing_to_a_pipe_without_reader_raises_sigpipe() {
        block_on(async {
            let k = kernel();
            let (r, w) = k.pipe();
            drop(r);
            let mut fds = FdTable::default();
            fds.set(1, OpenFile::pipe(w));
            let pid = k.spawn(INIT_PID, "yes", fds, |proc: Proc| -> Program {
                Box::pin(async move {
                    let _ = proc.write(1, b"y\n").await;
                    0
                })
            });
            assert_eq!(
                k.exited(pid).await,
                Some(WaitStatus::Signaled(Signal::Pipe))
            );
        });
    }

    #[test]
    fn setsid_fails_for_a_group_leader() {
        let k = kernel();
        block_on(async {
            let leader = k.spawn(INIT_PID, "p", FdTable::default(), sleeper(1));
            let child = k.spawn(leader, "c", FdTable::default(), sleeper(1));
            k.setpgid_self(leader);
            assert_eq!(k.setsid(leader), Err("EPERM"));
            assert_eq!(k.setsid(child), Ok(()));
            assert_eq!((k.sid(child), k.pgid(child)), (Some(child), Some(child)));
        });
    }

    /// A session leader `sh` with `tty` as controlling terminal, and a
    /// child `job` in its own group reading the terminal.
    fn session_with_reader(k: &Kernel, tty: &Arc<Tty>) -> (Pid, Pid) {
        let mut fds = FdTable::default();
        fds.set(0, OpenFile::tty(tty));
        let leader = k.spawn(INIT_PID, "sh", fds.clone(), sleeper(100));
        k.setsid(leader).unwrap();
        k.set_controlling_tty(leader, tty).unwrap();
        let job = k.spawn(leader, "cat", fds, |proc: Proc| -> Program {
            Box::pin(async move { proc.read(0, 100).await.map_or(1, |b| b.len() as i32) })
        });
        k.setpgid_self(job);
        (leader, job)
    }

    #[test]
    fn a_background_read_of_the_controlling_tty_stops_the_group_with_sigttin() {
        block_on(async {
            let k = kernel();
            let tty = k.open_pty();
            let (_, job) = session_with_reader(&k, &tty);
            assert_eq!(
                k.wait_change(job).await,
                Some(ChildChange::Stopped(Signal::Ttin))
            );
            // Brought to the foreground and continued, it reads.
            tty.set_foreground(Some(job));
            tty.type_bytes(b"hi\r");
            k.signal_group(job, Signal::Cont, "test");
            assert_eq!(
                k.wait_change(job).await,
                Some(ChildChange::Exited(WaitStatus::Exited(3)))
            );
        });
    }

    #[test]
    fn a_background_read_with_sigttin_ignored_fails_with_eio() {
        block_on(async {
            let k = kernel();
            let tty = k.open_pty();
            let mut fds = FdTable::default();
            fds.set(0, OpenFile::tty(&tty));
            let leader = k.spawn(INIT_PID, "sh", fds.clone(), sleeper(100));
            k.setsid(leader).unwrap();
            k.set_controlling_tty(leader, &tty).unwrap();
            let job = k.spawn(leader, "reader", fds, |proc: Proc| -> Program {
                Box::pin(async move {
                    proc.kernel
                        .set_disposition(proc.pid, Signal::Ttin, Disposition::Ignore);
                    match proc.read(0, 10).await {
                        Err(Errno::Eio) => 5,
                        _ => 0,
                    }
                })
            });
            k.setpgid_self(job);
            assert_eq!(k.wait(job).await, Some(WaitStatus::Exited(5)));
        });
    }

    #[test]
    fn background_output_stops_only_with_tostop_and_settings_always_do() {
        block_on(async {
            let k = kernel();
            let tty = k.open_pty();
            let (leader, _) = session_with_reader(&k, &tty);
            let mut fds = FdTable::default();
            fds.set(1, OpenFile::tty(&tty));
            let writer = k.spawn(leader, "echo", fds.clone(), |proc: Proc| -> Program {
                Box::pin(async move { proc.write(1, b"out\n").await.map_or(1, |_| 0) })
            });
            k.setpgid_self(writer);
            assert_eq!(
                k.wait(writer).await,
                Some(WaitStatus::Exited(0)),
                "TOSTOP is off"
            );
            let raw = k.spawn(leader, "ssh", fds, |proc: Proc| -> Program {
                Box::pin(async move {
                    let raw = proc.tcgetattr(1).unwrap().raw();
                    proc.tcsetattr(1, raw).await.map_or(1, |_| 0)
                })
            });
            k.setpgid_self(raw);
            assert_eq!(
                k.wait_change(raw).await,
                Some(ChildChange::Stopped(Signal::Ttou))
            );
            assert!(tty.termios().icanon, "the settings did not change");
        });
    }

    #[test]
    fn hangup_signals_the_leader_and_its_exit_signals_the_old_foreground_group() {
        block_on(async {
            let k = kernel();
            let tty = k.open_pty();
            let mut fds = FdTable::default();
            fds.set(0, OpenFile::tty(&tty));
            let leader = k.spawn(INIT_PID, "sh", fds, sleeper(100));
            k.setsid(leader).unwrap();
            k.set_controlling_tty(leader, &tty).unwrap();
            let job = k.spawn(leader, "fg", FdTable::default(), sleeper(100));
            k.setpgid_self(job);
            tty.set_foreground(Some(job));
            k.set_disposition(leader, Signal::Hup, Disposition::Ignore);
            k.hang_up(&tty);
            tokio::task::yield_now().await;
            assert_eq!(
                k.state_of(job),
                Some(RunState::Running),
                "the foreground group is not signalled at the hangup"
            );
            k.signal(leader, Signal::Term, "test");
            let (_, job_end) = tokio::join!(k.exited(leader), k.exited(job));
            assert_eq!(job_end, Some(WaitStatus::Signaled(Signal::Hup)));
        });
    }

    #[test]
    fn after_a_hangup_the_leaders_exit_signals_its_own_group_with_its_jobs() {
        block_on(async {
            let k = kernel();
            let tty = k.open_pty();
            let mut fds = FdTable::default();
            fds.set(0, OpenFile::tty(&tty));
            let leader = k.spawn(INIT_PID, "sh", fds, sleeper(100));
            k.setsid(leader).unwrap();
            k.set_controlling_tty(leader, &tty).unwrap();
            // A shell without job control: `&` jobs stay in its group.
            let job = k.spawn(leader, "sleep", FdTable::default(), sleeper(100));
            k.hang_up(&tty);
            assert_eq!(k.exited(job).await, Some(WaitStatus::Signaled(Signal::Hup)));
        });
    }

    #[test]
    fn exit_of_the_controlling_process_hangs_up_the_foreground_group_only() {
        block_on(async {
            let k = kernel();
            let tty = k.open_pty();
            let mut fds = FdTable::default();
            fds.set(0, OpenFile::tty(&tty));
            let leader = k.spawn(INIT_PID, "sh", fds, sleeper(1));
            k.setsid(leader).unwrap();
            k.set_controlling_tty(leader, &tty).unwrap();
            let foreground = k.spawn(leader, "fg", FdTable::default(), sleeper(100));
            let background = k.spawn(leader, "bg", FdTable::default(), sleeper(100));
            k.setpgid_self(foreground);
            k.setpgid_self(background);
            tty.set_foreground(Some(foreground));
            let (_, fg) = tokio::join!(k.exited(leader), k.exited(foreground));
            assert_eq!(fg, Some(WaitStatus::Signaled(Signal::Hup)));
            assert_eq!(k.state_of(background), Some(RunState::Running));
            assert_eq!(tty.session(), None, "the terminal lost its session");
        });
    }

    #[test]
    fn a_stopped_group_orphaned_by_an_exit_gets_sighup_and_sigcont() {
        block_on(async {
            let k = kernel();
            let leader = k.spawn(INIT_PID, "sh", FdTable::default(), sleeper(1));
            k.setsid(leader).unwrap();
            let job = k.spawn(leader, "job", FdTable::default(), sleeper(100));
            k.setpgid_self(job);
            k.signal(job, Signal::Stop, "test");
            assert_eq!(
                k.wait_change(job).await,
                Some(ChildChange::Stopped(Signal::Stop))
            );
            assert_eq!(k.exited(job).await, Some(WaitStatus::Signaled(Signal::Hup)));
        });
    }

    #[test]
    fn an_exit_that_was_no_link_of_the_group_hangs_nobody_up() {
        block_on(async {
            let k = kernel();
            let leader = k.spawn(INIT_PID, "sh", FdTable::default(), sleeper(100));
            k.setsid(leader).unwrap();
            // Two children in the leader's own group: one stops, the other
            // exits; its parent is in its group, so nothing is orphaned by
            // it (kill_orphaned_pgrp needs a parent in another group).
            let stopped = k.spawn(leader, "ssh", FdTable::default(), sleeper(100));
            let sibling = k.spawn(leader, "pkill", FdTable::default(), sleeper(1));
            k.signal(stopped, Signal::Stop, "test");
            assert_eq!(
                k.wait_change(stopped).await,
                Some(ChildChange::Stopped(Signal::Stop))
            );
            k.exited(sibling).await;
            tokio::task::yield_now().await;
            assert_eq!(k.state_of(stopped), Some(RunState::Stopped));
        });
    }

    #[test]
    fn a_scope_keeps_its_members_across_setsid() {
        block_on(async {
            let k = kernel();
            let sshd = k.spawn(INIT_PID, "sshd", FdTable::default(), sleeper(100));
            let scope = k.new_scope(sshd);
            let child = k.spawn(sshd, "nohup", FdTable::default(), sleeper(100));
            k.setsid(child).unwrap();
            assert_eq!(k.scope_members(scope), vec![sshd, child]);
        });
    }

    #[test]
    fn exec_resets_traps_but_keeps_ignored_signals() {
        let k = kernel();
        block_on(async {
            let pid = k.spawn(INIT_PID, "sh", FdTable::default(), sleeper(1));
            k.set_disposition(pid, Signal::Hup, Disposition::Ignore);
            k.set_disposition(pid, Signal::Term, Disposition::Trap("echo".into()));
            k.rename(pid, "sleep");
            assert_eq!(k.disposition(pid, Signal::Hup), Disposition::Ignore);
            assert_eq!(k.disposition(pid, Signal::Term), Disposition::Default);
        });
    }
}
