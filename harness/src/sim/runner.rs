//! Builds the simulated world for a scenario and drives it.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hangar_scenario::{Action, Host, NetFault, Scenario, Target};
use tokio::sync::mpsc;

use super::swarm::Swarm;
use super::terminal::{Terminal, start_login_shell};
use crate::run::{
    ClientOutput, Due, FileAtEnd, FileSeen, Lane, LaneRun, Outcome, RunError, RunResult, Settle,
    Timeline, UserTerminal, Wake, client_teardown, run_steps,
};
use crate::sim::clock::{Quiet, RunClock};
use crate::sim::host::{HostEnv, SessionReport, serve_sshd, start_command_line};
use crate::sim::net::{Network, host_name};
use crate::sim::unix::{FileKind, Kernel, RunState, Tty};
use crate::trace::Trace;

/// How long the world must stay quiet after the last command line ended
/// and the server has no process left but its listener, before the run
/// stops: a few round trips, for the last segments in flight.
const SETTLE: Duration = Duration::from_millis(10);

/// A finished command line of a `run` step: exit status and time.
type Finished = Arc<Mutex<Vec<Option<(i32, Duration)>>>>;

/// What the client host's command loop receives from the runner.
struct RunStep {
    index: usize,
    script: hangar_shell::ast::Script,
}

/// Bytes written to the command lines' stdout and stderr.
#[derive(Default)]
struct Captured {
    stdout: ClientOutput,
    stderr: ClientOutput,
}

pub fn run(scenario: &Scenario, target: Target, seed: u64) -> Result<RunResult, RunError> {
    let started = Instant::now();
    let swarm = Swarm::draw(seed, scenario);
    let trace = Trace::default();
    let world = &scenario.world;
    let net = Network::new(
        trace.clone(),
        world.net.retransmission_timeout,
        world.net.bandwidth,
    );
    let files: BTreeMap<String, u64> = world
        .files
        .iter()
        .map(|f| (f.name.clone(), f.size))
        .collect();
    let client_kernel = Kernel::new("client", trace.clone(), BTreeMap::new());
    let server_kernel = Kernel::new("server", trace.clone(), files);
    for kernel in [&client_kernel, &server_kernel] {
        kernel.set_pipe_capacity(swarm.pipe_buffer as usize);
        kernel.set_write_pacing(swarm.write_pacing);
    }
    let sessions: Arc<Mutex<Vec<Arc<SessionReport>>>> = Arc::default();
    let env_for = |host| {
        Arc::new(HostEnv {
            host,
            net: net.clone(),
            target,
            client: world.client.clone(),
            server: world.server.clone(),
            swarm: swarm.clone(),
            sessions: sessions.clone(),
            tmux: crate::sim::host::TmuxServer::default(),
        })
    };
    let client_env = env_for(Host::Client);
    let server_env = env_for(Host::Server);

    let clock = RunClock::install();
    let mut sim = turmoil::Builder::new()
        .rng_seed(seed)
        .tick_duration(world.tick)
        .simulation_duration(world.horizon.saturating_add(Duration::from_secs(60)))
        .min_message_latency(swarm.latency)
        .max_message_latency(swarm.latency)
        .build();

    {
        let kernel = server_kernel.clone();
        sim.host("server", move || {
            serve_sshd(kernel.clone(), server_env.clone())
        });
    }

    let run_lines = scenario
        .steps
        .iter()
        .filter(|s| matches!(s.action, Action::Run { .. }))
        .count();
    let finished: Finished = Arc::new(Mutex::new(vec![None; run_lines]));
    let captured: Arc<Mutex<Captured>> = Arc::default();
    let (step_tx, step_rx) = mpsc::unbounded_channel::<RunStep>();
    let step_rx = Arc::new(Mutex::new(Some(step_rx)));
    let terminal = scenario
        .uses_terminal()
        .then(|| Terminal::new(&client_kernel));
    {
        let kernel = client_kernel.clone();
        let finished = finished.clone();
        let captured = captured.clone();
        let tty = terminal.as_ref().map(Terminal::tty);
        sim.host("client", move || {
            client_host(
                kernel.clone(),
                client_env.clone(),
                tty.clone(),
                step_rx.lock().unwrap().take(),
                finished.clone(),
                captured.clone(),
            )
        });
    }

    let mut timeline = Timeline::new(&swarm.step_at, &scenario.steps);
    let mut lane = SimLane {
        sim,
        clock,
        terminal,
        net: &net,
        client_kernel: &client_kernel,
        server_kernel: &server_kernel,
        step_tx,
        run_index: 0,
        finished: &finished,
        tick: world.tick,
        in_flight: swarm.latency,
    };
    let settle = Settle {
        quiet: SETTLE,
        linger: world.linger,
        horizon: world.horizon,
    };
    let stopped = run_steps(&mut lane, &mut timeline, &trace, &settle)?;
    let SimLane {
        sim,
        clock,
        mut terminal,
        ..
    } = lane;
    if let Some(term) = terminal.as_mut() {
        term.refresh();
    }

    let stopped_at = sim.elapsed() + clock.skipped();
    // The client: at a terminal the first ssh, else the first command line.
    let first = if terminal.is_none() {
        finished.lock().unwrap().first().cloned().flatten()
    } else {
        client_kernel
            .first_named("ssh")
            .and_then(|pid| client_kernel.exit_of(pid))
            .map(|(status, at)| (status.shell_status(), at))
    };
    let sessions = sessions.lock().unwrap().clone();
    let lost_bytes = sessions
        .iter()
        .map(|s| {
            let unwanted = s.stdout_unwanted.load(std::sync::atomic::Ordering::Relaxed);
            let stdout = if unwanted { 0 } else { s.stdout.lost() };
            (stdout + s.stderr.lost()) as u64
        })
        .sum();
    let captured = captured.lock().unwrap();
    let mut survivors: Vec<String> = server_kernel
        .live()
        .into_iter()
        .filter(|(_, name)| name != "sshd")
        .map(|(pid, name)| format!("{name}[{pid}]"))
        .collect();
    survivors.sort();
    let events = trace.events();
    let files = scenario
        .expected_files()
        .into_iter()
        .map(|(host, path)| {
            let kernel = match host {
                Host::Client => &client_kernel,
                Host::Server => &server_kernel,
            };
            let seen = match kernel.stat(&path) {
                None => FileSeen::Absent,
                Some(FileKind::Regular(bytes)) => FileSeen::Regular(bytes),
                Some(FileKind::Directory) => FileSeen::Directory,
            };
            FileAtEnd { host, path, seen }
        })
        .collect();
    let command_exits = finished
        .lock()
        .unwrap()
        .iter()
        .map(|ended| ended.map(|(code, _)| code))
        .collect();
    let outcome = Outcome {
        client_exit: first.map(|(code, _)| code),
        client_ended_at: first.map(|(_, at)| at),
        command_exits,
        stdout_bytes: captured.stdout.bytes,
        stderr_bytes: captured.stderr.bytes,
        stdout_start: captured.stdout.start.clone(),
        stderr_start: captured.stderr.start.clone(),
        client_teardown: client_teardown(&events),
        files,
        lost_bytes,
        lost_bytes_unmeasured: false,
        survivors,
        stopped_at,
        hit_horizon: stopped.hit_horizon,
        waiting: wait_graph(&client_kernel, &server_kernel, &sessions, &net),
        screen: terminal.as_ref().map(Terminal::text),
        timed_out: stopped.timed_out,
    };
    Ok(RunResult {
        target,
        lane: LaneRun::Sim { seed, swarm },
        events,
        outcome,
        wall: started.elapsed(),
    })
}

/// The simulated world as the step loop drives it.
struct SimLane<'a, 'w> {
    sim: turmoil::Sim<'w>,
    clock: RunClock,
    terminal: Option<Terminal>,
    net: &'a Network,
    client_kernel: &'a Kernel,
    server_kernel: &'a Kernel,
    step_tx: mpsc::UnboundedSender<RunStep>,
    /// The next `run` step's index.
    run_index: usize,
    finished: &'a Finished,
    tick: Duration,
    in_flight: Duration,
}

impl Lane for SimLane<'_, '_> {
    fn now(&self) -> Duration {
        self.sim.elapsed() + self.clock.skipped()
    }

    fn look(&mut self, _trace: &Trace) {
        if let Some(term) = self.terminal.as_mut() {
            term.refresh();
        }
    }

    fn terminal(&mut self) -> Option<&mut dyn UserTerminal> {
        self.terminal.as_mut().map(|t| t as &mut dyn UserTerminal)
    }

    fn apply(&mut self, now: Duration, step: Due<'_>) -> Result<(), RunError> {
        // The hosts act on it in the next step, at this time.
        crate::sim::clock::note_activity_at(now);
        match step {
            Due::Run { script, .. } => {
                let _ = self.step_tx.send(RunStep {
                    index: self.run_index,
                    script: script.clone(),
                });
                self.run_index += 1;
            }
            Due::Net(fault) => {
                // The network learns first, so that the crashed host's
                // sockets vanish without a FIN when its tasks are dropped.
                self.net.apply(fault);
                match fault {
                    NetFault::Crash(host) => {
                        let kernel = match host {
                            Host::Client => self.client_kernel,
                            Host::Server => self.server_kernel,
                        };
                        kernel.power_off();
                        self.sim.crash(host_name(*host));
                    }
                    NetFault::Restart(host) => self.sim.bounce(host_name(*host)),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn poll(&mut self, _trace: &Trace) {
        // The client host's tasks note their command lines' ends themselves.
    }

    fn running(&self) -> bool {
        // At a terminal, the session is over when no ssh runs any more.
        let ssh_at_terminal = self.terminal.is_some()
            && self
                .client_kernel
                .live()
                .iter()
                .any(|(_, name)| name == "ssh");
        ssh_at_terminal || !self.finished.lock().unwrap().iter().all(Option::is_some)
    }

    fn server_quiet(&self) -> bool {
        self.server_kernel.live().len() <= 1
    }

    fn advance(&mut self, now: Duration, wake: Wake) -> Result<(), RunError> {
        let jump = self.clock.plan_jump(&Quiet {
            now,
            tick: self.tick,
            in_flight: self.in_flight,
            next_step: wake.at,
        });
        self.sim.step().map_err(|e| RunError(e.to_string()))?;
        if let Some(jump) = jump {
            self.clock.jumped(jump, self.tick);
        }
        Ok(())
    }
}

/// The client host's software: starts each `run` step's command line as
/// `sh -c`, with stdin from /dev/null and stdout/stderr captured.
async fn client_host(
    kernel: Kernel,
    env: Arc<HostEnv>,
    tty: Option<Arc<Tty>>,
    steps: Option<mpsc::UnboundedReceiver<RunStep>>,
    finished: Finished,
    captured: Arc<Mutex<Captured>>,
) -> turmoil::Result {
    crate::sim::clock::start_hand("client");
    let Some(mut steps) = steps else {
        return Ok(());
    };
    if let Some(tty) = tty {
        start_login_shell(&kernel, tty, env.clone());
    }
    while let Some(step) = steps.recv().await {
        let (pid, out_r, err_r) = start_command_line(&kernel, env.clone(), step.script);
        for (reader, is_err) in [(out_r, false), (err_r, true)] {
            let captured = captured.clone();
            tokio::spawn(reader.for_each_block(move |block| {
                let mut c = captured.lock().unwrap();
                let output = if is_err { &mut c.stderr } else { &mut c.stdout };
                output.take(block);
            }));
        }
        let exited = kernel.clone();
        let finished = finished.clone();
        let trace = kernel.trace().clone();
        tokio::spawn(async move {
            if let Some(status) = exited.exited(pid).await {
                let code = status.shell_status();
                finished.lock().unwrap()[step.index] = Some((code, trace.now()));
            }
        });
    }
    std::future::pending().await
}

/// Who still waits for whom when the run stops: each open session's
/// chain from the client to the processes holding the server's pipes.
fn wait_graph(
    client: &Kernel,
    server: &Kernel,
    sessions: &[Arc<SessionReport>],
    net: &Network,
) -> Vec<String> {
    let mut lines = Vec::new();
    for (pid, name) in client.live() {
        if name != "ssh" {
            continue;
        }
        let line = match client.stop_signal(pid) {
            Some(sig) if client.state_of(pid) == Some(RunState::Stopped) => format!(
                "{} is stopped by {sig}: it waits for `fg` (or SIGCONT)",
                client.label(pid)
            ),
            _ => format!(
                "{} is still running: it waits for the session channel to close",
                client.label(pid)
            ),
        };
        lines.push(line);
    }
    for session in sessions {
        if session.closed.load(Ordering::Relaxed) {
            continue;
        }
        if !session.child_exited.load(Ordering::Relaxed) {
            lines.push(
                "the server's session has not sent CLOSE: its child is still running".to_string(),
            );
        }
        for (pipe, name) in [(&session.stdout, "stdout"), (&session.stderr, "stderr")] {
            let holders: Vec<String> = server
                .holders_of_pipe(pipe.id)
                .into_iter()
                .map(|(pid, fd)| {
                    let by = server.started_by(pid).unwrap_or_default();
                    format!("{} (fd {fd}, started by {by})", server.label(pid))
                })
                .collect();
            if !holders.is_empty() {
                lines.push(format!(
                    "the server waits for EOF on the session's {name} pipe, held open by {}; \
                     released when they exit or close it",
                    holders.join(", ")
                ));
            }
        }
    }
    lines.extend(net.waiting());
    lines
}
