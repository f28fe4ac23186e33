//! One run of a scenario in the real lane: a real server on 127.0.0.1
//! ([`super::peer`]), the fault proxy in front of it ([`super::proxy`]),
//! and the scenario's command lines run by /bin/sh with OpenSSH's `ssh`.
//!
//! Steps happen at their times in real time (the start of each drawn
//! range). A watchdog bounds the run at the horizon: then every command
//! line's process group is killed. At the end every process of the run is
//! gone: the server's group, the command lines' groups and every
//! server-side process carrying the run's marker (`processes.rs`).
//!
//! `crash <host>` is a power loss, as in the sim ([`crate::sim::net`]): the
//! proxy first stops passing on anything from the host and delivering
//! anything to it, then the host's processes are killed, so their sockets
//! close unheard. The server host's processes are the run's marked ones
//! and every process below the server's listener; the listener itself is
//! kept, unreachable behind the proxy, and serves again after `restart
//! server` as a rebooted host's sshd would. The client host's processes
//! are the command lines' process groups; a command line that dies in a
//! crash has no exit status, as in the sim. `restart <host>` makes the
//! proxy answer the next segment on each old connection with RST.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use hangar_scenario::{Host, NetFault, Scenario};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::at_terminal::AtTerminal;
use super::observe::SaidOnStderr;
use super::observe::ssh_log::openssh_stderr_line;
use super::peer::Peer;
use super::processes::{MARKER, Marked, client_marker, kill_group, kill_marked, marked};
use super::proxy::{Dir, Proxy, Side};
use super::targets::RealTarget;
use super::watch::{ProcInfo, all_processes};
use crate::run::{
    ClientOutput, Due, FileAtEnd, FileSeen, HARNESS, Lane, LaneRun, Outcome, RunError, RunResult,
    Settle, Timeline, UserTerminal, Wake, client_teardown, run_steps,
};
use crate::trace::{HarnessEvent, ProcessEvent, TcpEvent, Trace};

/// How often the runner looks at its processes.
const POLL: Duration = Duration::from_millis(10);

/// What the real lane cannot run yet, worded for the report; `None` when
/// it can run the scenario.
pub fn unsupported(scenario: &Scenario, target: &RealTarget) -> Option<String> {
    if let Some(why) = target.unsupported(scenario) {
        return Some(why);
    }
    if scenario.uses_terminal() && !target.has_private_home() {
        return Some(format!(
            "terminal steps need the run's own home for the remote prompt: {}",
            target.no_private_home()
        ));
    }
    if let Some(why) = super::literal_kill::literal_kill(scenario) {
        return Some(why);
    }
    if scenario.world.server.kill_user_processes {
        return Some(
            "KillUserProcesses needs systemd-logind and PAM; the real lane's servers run without them".into(),
        );
    }
    if scenario.world.net.retransmission_timeout < scenario.world.horizon {
        // The scenario counts on a retransmission budget running out.
        return Some(
            "the proxy acknowledges what it holds, so a retransmission budget never runs out in the real lane".into(),
        );
    }
    if let Some(f) = scenario.world.files.iter().find(|f| f.name.contains('/')) {
        return Some(format!(
            "[world] file `{}`: the real lane places files in the session's home only",
            f.name
        ));
    }
    None
}

/// A command line of a `run` step, in a process group of its own.
struct CommandLine {
    child: Child,
    ended: Option<(i32, Duration)>,
    /// Killed in a crash of the client host: it never ends, as in the sim.
    vanished: bool,
}

/// Runs `scenario` against the real `target`.
pub fn run(scenario: &Scenario, target: &RealTarget) -> Result<RunResult, RunError> {
    if let Some(why) = unsupported(scenario, target) {
        return Err(RunError(why));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RunError(format!("tokio runtime: {e}")))?;
    // Sync code below starts the proxy's tasks on this runtime; they run
    // while the runner waits in `block_on`.
    let _context = runtime.enter();
    run_on(&runtime, scenario, target)
}

fn run_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn run_on(
    runtime: &tokio::runtime::Runtime,
    scenario: &Scenario,
    target: &RealTarget,
) -> Result<RunResult, RunError> {
    let setup = Instant::now();
    let id = run_id();
    let peer = Peer::start(target, &id, &scenario.world.server).map_err(|e| RunError(e.0))?;
    let proxy = runtime
        .block_on(Proxy::start(peer.addr))
        .map_err(|e| RunError(format!("fault proxy: {e}")))?;
    peer.write_client(proxy.addr(), &scenario.world.client)
        .map_err(|e| RunError(e.0))?;
    if let Some(home) = peer.home() {
        for file in &scenario.world.files {
            write_virtual_file(&home.join(&file.name), file.size)
                .map_err(|e| RunError(format!("[world] file `{}`: {e}", file.name)))?;
        }
    }
    // The scenario's clock starts once the world is up.
    let started = Instant::now();
    let epoch_start = SystemTime::now();
    let terminal = match (scenario.uses_terminal(), peer.home()) {
        (true, Some(home)) => Some(AtTerminal::start(&peer, &home, epoch_start).map_err(RunError)?),
        _ => None,
    };
    let proxy_offset = started.saturating_duration_since(proxy.started());
    let trace = Trace::default();
    // Each step at the start of its range: real time draws nothing.
    let times: Vec<Duration> = scenario.steps.iter().map(|s| s.at.min).collect();
    let mut timeline = Timeline::new(&times, &scenario.steps);
    // The client logs and the server processes (`observe/`).
    let observer =
        super::observe::Observer::start(&peer.run_id, super::observe::log_dir(&peer.dir), started);
    let mut lane = RealLane {
        runtime,
        started,
        terminal,
        peer: &peer,
        proxy: &proxy,
        trace: &trace,
        lines: Vec::new(),
        stdout: Arc::default(),
        stderr: Arc::default(),
        said: Arc::new(Mutex::new(Vec::new())),
        tick: scenario.world.tick,
    };
    let settle = Settle {
        // Real processes are gone when /proc says so: nothing is in flight.
        quiet: Duration::ZERO,
        linger: scenario.world.linger,
        horizon: scenario.world.horizon,
    };
    let stopped = run_steps(&mut lane, &mut timeline, &trace, &settle)?;
    let (hit_horizon, timed_out) = (stopped.hit_horizon, stopped.timed_out);
    let RealLane {
        mut terminal,
        mut lines,
        stdout,
        stderr,
        said,
        ..
    } = lane;
    let stopped_at = started.elapsed();
    trace.set_outer_clock(stopped_at);
    if let Some(at) = terminal.as_mut() {
        at.refresh();
        at.observe(&trace, &peer);
    }
    let said = said.lock().map(|s| s.clone()).unwrap_or_default();
    let observed = observer.finish(&said);
    let mut survivors: Vec<String> = session_processes(&peer)
        .into_iter()
        .map(|m| format!("{}[{}]", m.name, m.pid))
        .collect();
    survivors.sort();
    // The proxy's log up to here: what the cleanup below causes is not the run's.
    let proxy_cut = runtime.block_on(super::observe::connections_ended(&proxy, hit_horizon));
    for (i, line) in lines.iter_mut().enumerate() {
        if line.ended.is_none() && !line.vanished {
            trace.log(HARNESS, HarnessEvent::WatchdogKilled { n: i + 1 });
        }
        kill_group(line.child.id());
        let _ = line.child.wait();
    }
    let screen = terminal.as_ref().map(|at| at.term.text());
    let first = match terminal.as_ref() {
        Some(at) => at.client_exit(),
        None => lines.first().and_then(|l| l.ended),
    };
    let terminal_without_ssh = terminal.as_ref().is_some_and(|at| !at.ran_ssh());
    if let Some(at) = terminal.as_mut() {
        at.term.end();
    }
    // What left the command lines' groups (setsid, a daemon) and the
    // terminal's processes.
    kill_marked(&client_marker(&peer));
    kill_marked(&peer.run_id);
    for e in proxy.events().into_iter().filter(|e| e.at <= proxy_cut) {
        trace.push_at(
            e.at.saturating_sub(proxy_offset),
            "proxy".into(),
            TcpEvent::Proxy(e.what).into(),
        );
    }
    drop(proxy);
    let files = files_at_end(scenario, &peer, terminal.is_some());
    drop(peer);
    let mut events = trace.events();
    if let Some(at) = terminal.as_ref() {
        events.retain(|e| !at.is_transient(e));
    }
    events.extend(observed);
    events.sort_by_key(|e| e.at);
    let waiting = match lines.first() {
        _ if timed_out.is_some() => Vec::new(),
        Some(l) if hit_horizon && l.vanished && screen.is_none() => {
            vec!["the first command line died in the client host's crash".to_string()]
        }
        _ if hit_horizon && first.is_none() && !terminal_without_ssh => {
            vec![if screen.is_some() {
            "the ssh at the terminal was still running at the horizon; the watchdog killed it"
        } else {
            "the first command line was still running at the horizon; the watchdog killed it"
        }
        .to_string()]
        }
        _ => Vec::new(),
    };
    let taken = |output: &Mutex<ClientOutput>| output.lock().map(|o| o.clone()).unwrap_or_default();
    let (stdout, stderr) = (taken(&stdout), taken(&stderr));
    let outcome = Outcome {
        client_exit: first.map(|(code, _)| code),
        client_ended_at: first.map(|(_, at)| at),
        command_exits: lines
            .iter()
            .map(|line| line.ended.map(|(code, _)| code))
            .collect(),
        stdout_bytes: stdout.bytes,
        stderr_bytes: stderr.bytes,
        stdout_start: stdout.start,
        stderr_start: stderr.start,
        client_teardown: client_teardown(&events),
        files,
        lost_bytes: 0,
        lost_bytes_unmeasured: true,
        survivors,
        stopped_at,
        hit_horizon,
        waiting,
        screen,
        timed_out,
    };
    Ok(RunResult {
        target: target.like,
        lane: LaneRun::Real {
            user_target: target.user(),
        },
        events,
        outcome,
        wall: setup.elapsed(),
    })
}

/// The real world as the step loop drives it.
struct RealLane<'a> {
    runtime: &'a tokio::runtime::Runtime,
    /// When the scenario's clock started.
    started: Instant,
    terminal: Option<AtTerminal>,
    peer: &'a Peer,
    proxy: &'a Proxy,
    trace: &'a Trace,
    lines: Vec<CommandLine>,
    stdout: Arc<Mutex<ClientOutput>>,
    stderr: Arc<Mutex<ClientOutput>>,
    /// What the command lines' clients said on stderr only.
    said: Arc<Mutex<Vec<SaidOnStderr>>>,
    tick: Duration,
}

impl Lane for RealLane<'_> {
    fn now(&self) -> Duration {
        self.started.elapsed()
    }

    fn look(&mut self, trace: &Trace) {
        if let Some(at) = self.terminal.as_mut() {
            at.refresh();
            at.observe(trace, self.peer);
        }
    }

    fn terminal(&mut self) -> Option<&mut dyn UserTerminal> {
        self.terminal
            .as_mut()
            .map(|at| &mut at.term as &mut dyn UserTerminal)
    }

    fn apply(&mut self, _now: Duration, step: Due<'_>) -> Result<(), RunError> {
        let trace = self.trace;
        match step {
            Due::Run { line: written, .. } => {
                trace.log(
                    "client",
                    HarnessEvent::Runs {
                        line: written.to_string(),
                    },
                );
                let line = at_this_terminal(written, self.terminal.as_ref());
                let bin = self.terminal.as_ref().map(AtTerminal::bin);
                let output = LineOutput {
                    number: self.lines.len() + 1,
                    started: self.started,
                    stdout: self.stdout.clone(),
                    stderr: self.stderr.clone(),
                    said: self.said.clone(),
                };
                let child = spawn_line(&line, self.peer, bin, output)
                    .map_err(|e| RunError(format!("starting `{line}`: {e}")))?;
                // The harness plays the client host's init.
                trace.log(
                    format!("client sh[{}]", child.id()),
                    ProcessEvent::Started {
                        parent: "client init[1]".into(),
                    },
                );
                self.lines.push(CommandLine {
                    child,
                    ended: None,
                    vanished: false,
                });
            }
            Due::Net(fault) => {
                trace.log(
                    "net",
                    TcpEvent::FaultStep {
                        fault: fault.clone(),
                    },
                );
                if let Some((host, killed)) = apply(fault, self.proxy, self.peer, &mut self.lines) {
                    trace.log(host, killed);
                }
            }
        }
        Ok(())
    }

    fn poll(&mut self, trace: &Trace) {
        for (i, line) in self.lines.iter_mut().enumerate() {
            if line.ended.is_none()
                && !line.vanished
                && let Ok(Some(status)) = line.child.try_wait()
            {
                let code = status.code().unwrap_or_else(|| {
                    128 + std::os::unix::process::ExitStatusExt::signal(&status).unwrap_or(0)
                });
                let at = self.started.elapsed();
                line.ended = Some((code, at));
                trace.push_at(
                    at,
                    "client".into(),
                    HarnessEvent::CommandLineExit { n: i + 1, code }.into(),
                );
            }
        }
    }

    fn running(&self) -> bool {
        // At a terminal, the session is over when no ssh runs any more.
        let at_terminal = self
            .terminal
            .as_ref()
            .is_some_and(|at| at.ssh_running() || !at.is_quiet());
        at_terminal || !self.lines.iter().all(|l| l.ended.is_some())
    }

    fn server_quiet(&self) -> bool {
        session_processes(self.peer).is_empty()
    }

    fn advance(&mut self, _now: Duration, wake: Wake) -> Result<(), RunError> {
        // Keys go at the sim's pace: one per tick.
        let pause = if wake.typing { self.tick } else { POLL };
        self.runtime.block_on(tokio::time::sleep(pause));
        Ok(())
    }
}

/// A scenario names the client's terminal `/dev/pts/0`, as the sim
/// numbers it; a real one has whatever number the kernel gave it.
fn at_this_terminal(line: &str, terminal: Option<&AtTerminal>) -> String {
    match terminal {
        Some(at) => line.replace("/dev/pts/0", &at.tty_path().display().to_string()),
        None => line.to_string(),
    }
}

/// The sim lane's virtual file, for real: the same bytes
/// ([`crate::run::virtual_bytes`]), so output reads the same in both lanes.
fn write_virtual_file(path: &std::path::Path, size: u64) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut offset = 0;
    while offset < size {
        let n = (size - offset).min(1 << 20);
        file.write_all(&crate::run::virtual_bytes(offset, n as usize))?;
        offset += n;
    }
    file.flush()
}

/// The marked processes but the servers themselves (Dropbear's listener
/// carries the marker it passes on with `-e`).
fn session_processes(peer: &Peer) -> Vec<Marked> {
    marked(&peer.run_id)
        .into_iter()
        .filter(|m| !peer.is_server(&m.name))
        .collect()
}

/// Where a command line's output goes: counted, and ssh's words on
/// stderr kept as client events.
struct LineOutput {
    /// The command line, from 1.
    number: usize,
    /// When the scenario's clock started.
    started: Instant,
    stdout: Arc<Mutex<ClientOutput>>,
    stderr: Arc<Mutex<ClientOutput>>,
    said: Arc<Mutex<Vec<SaidOnStderr>>>,
}

/// `sh -c line` with the run's `ssh` and `pkill` first in PATH and the
/// client's marker, stdin from /dev/null, stdout and stderr counted; the
/// leader of a new process group.
fn spawn_line(
    line: &str,
    peer: &Peer,
    terminal_bin: Option<&std::path::Path>,
    output: LineOutput,
) -> std::io::Result<Child> {
    // The run's `pkill` first: it reaches only the processes that carry
    // the client's marker, which the command line passes on.
    let mut path = format!(
        "{}:{}:{}",
        super::peer::scoped_bin(&peer.dir).display(),
        peer.bin.display(),
        std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
    );
    if let Some(bin) = terminal_bin {
        path = format!("{}:{path}", bin.display());
    }
    let LineOutput {
        number,
        started,
        stdout,
        stderr,
        said,
    } = output;
    // `run` steps only: the `ssh` wrapper logs with -vvv to this directory.
    let logs = super::observe::line_log_dir(&peer.dir, number);
    std::fs::create_dir_all(&logs)?;
    let mut child = Command::new("/bin/sh")
        .args(["-c", line])
        .env("PATH", path)
        .env(MARKER, client_marker(peer))
        .env(super::observe::SSH_LOG_VAR, logs)
        .current_dir(&peer.dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()?;
    count(child.stdout.take(), stdout, |_| {});
    let mut partial = Vec::new();
    count(child.stderr.take(), stderr, move |block| {
        let at = started.elapsed();
        for line in whole_lines(&mut partial, block) {
            if let Some(event) = openssh_stderr_line(&String::from_utf8_lossy(&line))
                && let Ok(mut said) = said.lock()
            {
                said.push(SaidOnStderr {
                    at,
                    line: number,
                    event,
                });
            }
        }
    });
    Ok(child)
}

/// Reads a pipe to its end on a thread of its own, taking the bytes as
/// a user's session would have written them ([`as_a_user_reads_it`]) and
/// showing each block to `look`.
fn count(
    pipe: Option<impl Read + Send + 'static>,
    output: Arc<Mutex<ClientOutput>>,
    mut look: impl FnMut(&[u8]) + Send + 'static,
) {
    let Some(mut pipe) = pipe else { return };
    std::thread::spawn(move || {
        let mut block = [0u8; 64 * 1024];
        while let Ok(n) = pipe.read(&mut block) {
            if n == 0 {
                break;
            }
            if let Ok(mut output) = output.lock() {
                output.take(&as_a_user_reads_it(&block[..n]));
            }
            look(&block[..n]);
        }
    });
}

/// The longest line kept whole; ssh's messages are far shorter, and a
/// stream without newlines must not grow without bound.
const LONGEST_LINE: usize = 4096;

/// The lines `block` completes, after what `partial` held of the last one.
fn whole_lines(partial: &mut Vec<u8>, block: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    for &byte in block {
        if byte == b'\n' {
            lines.push(std::mem::take(partial));
        } else if partial.len() < LONGEST_LINE {
            partial.push(byte);
        }
    }
    lines
}

/// ssh's goodbye of a pty session and its word on the server's FIN
/// (clientloop.c: "Connection to %s closed." and "... closed by remote
/// host.") name the host by its HostName, which is the run's address
/// here where a user's names the server: each one counts as the sim's
/// and a user's `Connection to server closed`, so that byte counts
/// compare across lanes. ssh writes the line in one write(2).
fn as_a_user_reads_it(block: &[u8]) -> Vec<u8> {
    const REAL: &[u8] = b"Connection to 127.0.0.1 closed";
    const USER: &[u8] = b"Connection to server closed";
    let mut read = Vec::with_capacity(block.len());
    let mut rest = block;
    while !rest.is_empty() {
        if rest.starts_with(REAL) {
            read.extend_from_slice(USER);
            rest = &rest[REAL.len()..];
        } else {
            read.push(rest[0]);
            rest = &rest[1..];
        }
    }
    read
}

/// The files the scenario's expectations name, as the run left them: the
/// server's under the run's own home (none without one: unmeasured), the
/// client's where its command lines, or its terminal's shell, started.
fn files_at_end(scenario: &Scenario, peer: &Peer, at_terminal: bool) -> Vec<FileAtEnd> {
    let client_dir = if at_terminal {
        peer.dir.join("client")
    } else {
        peer.dir.clone()
    };
    scenario
        .expected_files()
        .into_iter()
        .map(|(host, path)| {
            let dir = match host {
                Host::Client => Some(client_dir.clone()),
                Host::Server => peer.home(),
            };
            let seen = match dir.map(|d| std::fs::symlink_metadata(d.join(&path))) {
                None => FileSeen::Unmeasured,
                Some(Err(_)) => FileSeen::Absent,
                Some(Ok(meta)) if meta.is_dir() => FileSeen::Directory,
                Some(Ok(meta)) => FileSeen::Regular(meta.len()),
            };
            FileAtEnd { host, path, seen }
        })
        .collect()
}

/// A network fault, through the proxy. A crash or restart also kills the
/// host's processes; then the host and what was killed are returned for
/// the log.
fn apply(
    fault: &NetFault,
    proxy: &Proxy,
    peer: &Peer,
    lines: &mut [CommandLine],
) -> Option<(&'static str, HarnessEvent)> {
    match fault {
        NetFault::Partition | NetFault::Hold => proxy.partition(),
        NetFault::PartitionOneWay { from, .. } => proxy.partition_one_way(match from {
            Host::Client => Dir::ClientToServer,
            Host::Server => Dir::ServerToClient,
        }),
        NetFault::Heal | NetFault::Release => proxy.heal(),
        NetFault::Latency(d) => proxy.latency(*d),
        NetFault::Crash(host) => return Some(crash(*host, proxy, peer, lines)),
        NetFault::Restart(host) => {
            // Restarting a host that is up is a crash and a boot at once.
            let killed = (!proxy.is_down(side(*host))).then(|| crash(*host, proxy, peer, lines));
            proxy.restart(side(*host));
            return killed;
        }
    }
    None
}

fn side(host: Host) -> Side {
    match host {
        Host::Client => Side::Client,
        Host::Server => Side::Server,
    }
}

/// Power loss of `host`: the proxy silences it first, so that nothing its
/// processes send as they die gets through, then they are killed.
fn crash(
    host: Host,
    proxy: &Proxy,
    peer: &Peer,
    lines: &mut [CommandLine],
) -> (&'static str, HarnessEvent) {
    proxy.crash(side(host));
    let killed = match host {
        Host::Server => kill_server_host(peer),
        Host::Client => kill_client_host(lines),
    };
    let name = match host {
        Host::Client => "client",
        Host::Server => "server",
    };
    (name, HarnessEvent::CrashKilled { killed })
}

/// SIGKILL to every command line still running; returns their names.
fn kill_client_host(lines: &mut [CommandLine]) -> Vec<String> {
    let mut killed = Vec::new();
    for (i, line) in lines.iter_mut().enumerate() {
        if line.ended.is_none() && !line.vanished {
            kill_group(line.child.id());
            line.vanished = true;
            killed.push(format!("command line {}", i + 1));
        }
    }
    killed
}

/// SIGKILL to the server host's processes but its listener, until none is
/// left (bounded, as in `kill_marked`); returns them as `name[pid]`.
fn kill_server_host(peer: &Peer) -> Vec<String> {
    let mut killed = BTreeSet::new();
    for _ in 0..50 {
        let doomed = server_host_processes(peer);
        if doomed.is_empty() {
            break;
        }
        for m in doomed {
            let _ = kill(Pid::from_raw(m.pid as i32), Signal::SIGKILL);
            killed.insert((m.pid, m.name));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    killed
        .into_iter()
        .map(|(pid, name)| format!("{name}[{pid}]"))
        .collect()
}

/// A process's command line (proc(5) `cmdline`, NULs as spaces).
fn cmdline(pid: u32) -> String {
    let bytes = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    String::from_utf8_lossy(&bytes).replace('\0', " ")
}

/// What dies when the server host crashes: the run's marked processes
/// and every process below the server's listener (OpenSSH's per-connection
/// sshd carries no marker, and holds the connection's socket). The
/// listener stays: Dropbear's carries the marker it passes on with `-e`.
fn server_host_processes(peer: &Peer) -> Vec<Marked> {
    let all = all_processes();
    let dir = peer.dir.to_string_lossy();
    // The run's server processes name its directory in their command line
    // (OpenSSH's listener keeps it in its title).
    let server = |p: &ProcInfo| peer.is_server(&p.name) && cmdline(p.pid).contains(dir.as_ref());
    let by_pid: BTreeMap<u32, &ProcInfo> = all.iter().map(|p| (p.pid, p)).collect();
    let listeners: BTreeSet<u32> = all
        .iter()
        .filter(|p| server(p) && !by_pid.get(&p.ppid).is_some_and(|q| server(q)))
        .map(|p| p.pid)
        .collect();
    let below_a_listener = |p: &ProcInfo| {
        let mut at = p.ppid;
        // Bounded: a parent chain ends at pid 1 within the process count.
        for _ in 0..all.len() {
            if listeners.contains(&at) {
                return true;
            }
            match by_pid.get(&at) {
                Some(q) if q.ppid != at => at = q.ppid,
                _ => return false,
            }
        }
        false
    };
    let marked: BTreeSet<u32> = marked(&peer.run_id).into_iter().map(|m| m.pid).collect();
    all.iter()
        .filter(|p| !listeners.contains(&p.pid))
        .filter(|p| marked.contains(&p.pid) || below_a_listener(p))
        .map(|p| Marked {
            pid: p.pid,
            name: p.name.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{LONGEST_LINE, as_a_user_reads_it, whole_lines};

    #[test]
    fn the_goodbye_reads_as_naming_the_server() {
        assert_eq!(
            as_a_user_reads_it(b"Connection to 127.0.0.1 closed.\r\n"),
            b"Connection to server closed.\r\n"
        );
        assert_eq!(
            as_a_user_reads_it(b"x\nConnection to 127.0.0.1 closed by remote host.\r\n"),
            b"x\nConnection to server closed by remote host.\r\n"
        );
        assert_eq!(as_a_user_reads_it(b"Killed\n"), b"Killed\n");
        assert_eq!(
            as_a_user_reads_it(b"Connection to 127.0.0.2"),
            b"Connection to 127.0.0.2"
        );
        assert!(as_a_user_reads_it(b"").is_empty());
    }

    #[test]
    fn lines_are_whole_across_blocks_and_bounded() {
        let mut partial = Vec::new();
        assert!(whole_lines(&mut partial, b"Connection to ").is_empty());
        assert_eq!(
            whole_lines(&mut partial, b"x closed.\r\nnext"),
            [b"Connection to x closed.\r".to_vec()]
        );
        assert_eq!(partial, b"next");
        let endless = vec![b'a'; 3 * LONGEST_LINE];
        whole_lines(&mut partial, &endless);
        assert_eq!(partial.len(), LONGEST_LINE);
    }
}
