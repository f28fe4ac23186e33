//! Builds the simulated world for a scenario and drives it.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hangar_scenario::{Action, Host, NetFault, Scenario, Target};
use tokio::sync::mpsc;

use super::outcome::Outcome;
use super::swarm::Swarm;
use super::terminal::{Terminal, start_login_shell};
use super::timeline::{Due, Timeline, UserTerminal};
use crate::clock::{Quiet, RunClock};
use crate::host::{HostEnv, SessionReport, serve_sshd, start_command_line};
use crate::net::{Network, host_name};
use crate::trace::{Event, Trace};
use crate::unix::{Kernel, RunState, Tty};

/// How long the world must stay quiet after the last command line ended
/// and the server has no process left but its listener, before the run
/// stops: a few round trips, for the last segments in flight.
const SETTLE: Duration = Duration::from_millis(10);

/// Everything one run produced.
pub struct RunResult {
    /// The target whose expectations the run is checked against.
    pub target: Target,
    /// The real lane's user-defined target that ran, `like` `target`.
    pub user_target: Option<crate::real::targets::UserTarget>,
    pub seed: u64,
    /// `sim` or `real`.
    pub lane: &'static str,
    pub swarm: Swarm,
    pub events: Vec<Event>,
    pub outcome: Outcome,
    /// Wall-clock time the run took (reports only; never in snapshots).
    pub wall: Duration,
}

/// A failure of the harness itself (not of the scenario's expectations).
#[derive(Debug)]
pub struct RunError(pub String);

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "simulation failed: {}", self.0)
    }
}

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
    stdout: u64,
    stderr: u64,
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
            tmux: crate::host::TmuxServer::default(),
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

    let run_steps = scenario
        .steps
        .iter()
        .filter(|s| matches!(s.action, Action::Run { .. }))
        .count();
    let finished: Finished = Arc::new(Mutex::new(vec![None; run_steps]));
    let captured: Arc<Mutex<Captured>> = Arc::default();
    let (step_tx, step_rx) = mpsc::unbounded_channel::<RunStep>();
    let step_rx = Arc::new(Mutex::new(Some(step_rx)));
    let mut terminal = scenario
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

    let kernel_of = |host| match host {
        Host::Client => &client_kernel,
        Host::Server => &server_kernel,
    };
    let mut timeline = Timeline::new(&swarm.step_at, &scenario.steps);
    let mut run_index = 0;
    let mut settled_since: Option<Duration> = None;
    let mut timed_out = None;
    let hit_horizon = loop {
        let now = sim.elapsed() + clock.skipped();
        trace.set_outer_clock(now);
        if let Some(term) = terminal.as_mut() {
            term.refresh();
        }
        let keyboard = terminal.as_mut().map(|t| t as &mut dyn UserTerminal);
        let due = match timeline.advance(now, keyboard, &trace) {
            Ok(due) => due,
            Err(out) => {
                timed_out = Some(out.0);
                break true;
            }
        };
        if !due.is_empty() {
            // The hosts act on these in the next step, at this time.
            crate::clock::note_activity_at(now);
        }
        for step in due {
            match step {
                Due::Run { script, .. } => {
                    let _ = step_tx.send(RunStep {
                        index: run_index,
                        script: script.clone(),
                    });
                    run_index += 1;
                }
                Due::Net(fault) => {
                    // The network learns first, so that the crashed host's
                    // sockets vanish without a FIN when its tasks are dropped.
                    net.apply(fault);
                    match fault {
                        NetFault::Crash(host) => {
                            kernel_of(*host).power_off();
                            sim.crash(host_name(*host));
                        }
                        NetFault::Restart(host) => sim.bounce(host_name(*host)),
                        _ => {}
                    }
                }
            }
        }
        // At a terminal, the session is over when no ssh runs any more.
        let client_busy =
            terminal.is_some() && client_kernel.live().iter().any(|(_, name)| name == "ssh");
        let all_done = timeline.is_done()
            && !client_busy
            && finished.lock().unwrap().iter().all(Option::is_some);
        let mut next_step = timeline.next_due().unwrap_or(world.horizon);
        if all_done {
            let since = *settled_since.get_or_insert(now);
            let server_quiet = server_kernel.live().len() <= 1;
            if (server_quiet && now >= since + SETTLE) || now >= since.saturating_add(world.linger)
            {
                break false;
            }
            let settled = if server_quiet { SETTLE } else { world.linger };
            next_step = next_step.min(since + settled);
        }
        if now >= world.horizon {
            break true;
        }
        let jump = clock.plan_jump(&Quiet {
            now,
            tick: world.tick,
            in_flight: swarm.latency,
            next_step: next_step.min(world.horizon),
        });
        sim.step().map_err(|e| RunError(e.to_string()))?;
        if let Some(jump) = jump {
            clock.jumped(jump, world.tick);
        }
    };
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
        .map(|s| (s.stdout.lost() + s.stderr.lost()) as u64)
        .sum();
    let captured = captured.lock().unwrap();
    let mut survivors: Vec<String> = server_kernel
        .live()
        .into_iter()
        .filter(|(_, name)| name != "sshd")
        .map(|(pid, name)| format!("{name}[{pid}]"))
        .collect();
    survivors.sort();
    let outcome = Outcome {
        client_exit: first.map(|(code, _)| code),
        client_ended_at: first.map(|(_, at)| at),
        stdout_bytes: captured.stdout,
        stderr_bytes: captured.stderr,
        lost_bytes,
        lost_bytes_unmeasured: false,
        survivors,
        stopped_at,
        hit_horizon,
        waiting: wait_graph(&client_kernel, &server_kernel, &sessions, &net),
        screen: terminal.as_ref().map(Terminal::text),
        timed_out,
    };
    Ok(RunResult {
        target,
        user_target: None,
        seed,
        lane: crate::report::LANE_SIM,
        swarm,
        events: trace.events(),
        outcome,
        wall: started.elapsed(),
    })
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
    crate::clock::start_hand("client");
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
                let count = if is_err { &mut c.stderr } else { &mut c.stdout };
                *count += block.len() as u64;
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
