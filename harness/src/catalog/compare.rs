//! The sim lane compared with the real lane on one scenario and target:
//! what each run shows of its end, in terms both lanes share, and the
//! values the real runs gave that the sim's seeds never did.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use hangar_scenario::Scenario;

use super::step_times::step_times;
use crate::run::{Outcome, RunResult, teardown_orders};
use crate::verdict::Verdict;

/// How soon after the last step before it a client's end counts as "at
/// once": real peers start and answer in tenths of a second on a busy
/// machine, where the sim's take hundredths; a wait in a scenario is a
/// timeout or a `sleep` of a second or more, which no real run ends
/// before and the sim's network latency only adds to.
pub(crate) const AT_ONCE: Duration = Duration::from_secs(1);

/// When the client ended, in classes that real timing jitter does not
/// move a run across.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EndClass {
    /// Within [`AT_ONCE`] of the last step before its end.
    AtOnce,
    /// Later: something had to time out or finish first.
    AfterWait,
    /// Still running when the run stopped.
    AtHorizon,
}

impl EndClass {
    fn name(self) -> &'static str {
        match self {
            EndClass::AtOnce => "ended at once",
            EndClass::AfterWait => "ended after a wait",
            EndClass::AtHorizon => "still running at the horizon",
        }
    }
}

/// The class of a run's end: from the client's end in the outcome, and
/// when the last step before it happened.
pub(crate) fn end_class(outcome: &Outcome, steps: &[Duration]) -> EndClass {
    let (Some(_), Some(ended)) = (outcome.client_exit, outcome.client_ended_at) else {
        return EndClass::AtHorizon;
    };
    let last_step = steps
        .iter()
        .copied()
        .filter(|at| *at <= ended)
        .max()
        .unwrap_or_default();
    if ended - last_step < AT_ONCE {
        EndClass::AtOnce
    } else {
        EndClass::AfterWait
    }
}

/// A process name as both lanes call it. A remote command line runs in
/// the user's shell: the sim models it as `sh`, the real lane's user has
/// `bash` (a `sh -c` that bash runs as itself).
pub(crate) fn process_name(name: &str) -> &str {
    match name {
        "bash" => "sh",
        other => other,
    }
}

/// What one run shows of its end, each aspect worded as a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Observed {
    /// Aspect (`verdict`, `exit`, `order of client ssh`...) -> value.
    pub(crate) aspects: BTreeMap<String, String>,
}

/// The verdict as a word, without its reasons.
fn verdict_word(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Fail(_) => "fail",
        Verdict::Unknown(_) => "unknown",
    }
}

/// ssh's exit status when it fails itself (ssh(1), EXIT STATUS).
const SSH_FAILED: i32 = 255;

/// The aspect of the run's teardown order on a stream.
const ORDER: &str = "order of ";

/// Observes a run: `racy` leaves out what a `real-race` scenario's real
/// runs vary in by nature: the teardown orders, and the other command
/// lines' exits (two readers of one terminal: which gets the `^D`).
pub(crate) fn observe(
    scenario: &Scenario,
    result: &RunResult,
    verdict: &Verdict,
    racy: bool,
) -> Observed {
    let outcome = &result.outcome;
    let mut aspects = BTreeMap::new();
    let mut set = |aspect: &str, value: String| {
        aspects.insert(aspect.to_string(), value);
    };
    set("verdict", verdict_word(verdict).to_string());
    set(
        "client exit",
        outcome
            .client_exit
            .map_or("none".to_string(), |code| code.to_string()),
    );
    // The other command lines (a `pkill`, a second ssh): the first one's
    // is the client's exit above, unless the client is a terminal's ssh.
    if !racy {
        let others = if scenario.uses_terminal() { 0 } else { 1 };
        for (i, code) in outcome.command_exits.iter().enumerate().skip(others) {
            set(
                &format!("exit of command line {}", i + 1),
                code.map_or("none".to_string(), |code| code.to_string()),
            );
        }
    }
    set(
        "end",
        end_class(outcome, &step_times(scenario, result))
            .name()
            .to_string(),
    );
    // A terminal's output is the remote prompt and echo, which differ
    // between the sim's shell and bash; only command lines' bytes compare.
    if !scenario.uses_terminal() {
        set("stdout bytes", outcome.stdout_bytes.to_string());
        // ssh that fails (exit 255) writes why to stderr; the real lane
        // logs that message (`-E`) instead, so its stderr lacks it.
        if outcome.client_exit != Some(SSH_FAILED) {
            set("stderr bytes", outcome.stderr_bytes.to_string());
        }
    }
    let mut survivors: Vec<String> = outcome
        .survivor_names()
        .iter()
        .map(|name| process_name(name).to_string())
        .collect();
    survivors.sort_unstable();
    set(
        "survivors",
        if survivors.is_empty() {
            "none".to_string()
        } else {
            survivors.join(", ")
        },
    );
    if !racy {
        for order in teardown_orders(&result.events) {
            let events: Vec<&str> = order.events.iter().map(|e| e.name()).collect();
            set(&format!("{ORDER}{}", order.stream), events.join(", "));
        }
    }
    Observed { aspects }
}

/// How the lanes compare on one scenario and target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Comparison {
    /// What real runs gave that no sim seed did: disagreements.
    pub(crate) differences: Vec<String>,
    /// What sim seeds gave that no real run did: notes (the real runs are
    /// few).
    pub(crate) notes: Vec<String>,
}

/// Compares the sets of values each lane gave, aspect by aspect.
pub(crate) fn compare(sim: &[Observed], real: &[Observed], seeds: &str) -> Comparison {
    let aspects: BTreeSet<&String> = sim
        .iter()
        .chain(real)
        .flat_map(|o| o.aspects.keys())
        .collect();
    let values = |runs: &[Observed], aspect: &str| -> BTreeSet<String> {
        runs.iter()
            .map(|o| {
                o.aspects
                    .get(aspect)
                    .cloned()
                    .unwrap_or_else(|| "none".into())
            })
            .collect()
    };
    let mut comparison = Comparison::default();
    for aspect in aspects {
        if aspect.starts_with(ORDER) && !real.iter().any(|o| o.aspects.contains_key(aspect)) {
            // The real lane logs the ssh of a command line only, not a
            // terminal's nor scp's: what it did not see is no value.
            comparison.notes.push(format!(
                "{aspect}: not seen in the real lane (it logs the channel of a command line's ssh only)"
            ));
            continue;
        }
        let in_sim = values(sim, aspect);
        let in_real = values(real, aspect);
        let listed = |set: &BTreeSet<String>| {
            set.iter()
                .map(|v| format!("[{v}]"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        for value in in_real.difference(&in_sim) {
            comparison.differences.push(format!(
                "{aspect}: real produced [{value}], the sim never did over {seeds} (sim: {})",
                listed(&in_sim)
            ));
        }
        for value in in_sim.difference(&in_real) {
            comparison.notes.push(format!(
                "{aspect}: the sim produced [{value}], not seen in {} real run(s) (real: {})",
                real.len(),
                listed(&in_real)
            ));
        }
    }
    comparison
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::LaneRun;
    use crate::sim::Swarm;
    use crate::trace::{
        ClientEnd, ClientEvent, EofCause, Event, ProcessEvent, SshEvent, TcpEvent, TtyEvent, Way,
        What,
    };
    use hangar_scenario::{NetFault, Target, load_str};

    fn scenario(steps: &str) -> Scenario {
        load_str("t.toml", &format!("title = \"t\"\nsource = \"s\"\n{steps}")).unwrap()
    }

    fn one_command() -> Scenario {
        scenario("[[step]]\nat = \"0s\"\nrun = \"ssh server 'exit 7'\"\n")
    }

    fn ended(exit: i32, at_ms: u64) -> Outcome {
        Outcome {
            client_exit: Some(exit),
            client_ended_at: Some(Duration::from_millis(at_ms)),
            ..Outcome::default()
        }
    }

    /// A run whose client ssh logged `lines`, in order.
    fn run(actor: &str, lines: &[What], outcome: Outcome) -> RunResult {
        let events = lines
            .iter()
            .enumerate()
            .map(|(i, what)| Event {
                at: Duration::from_millis(i as u64),
                actor: actor.to_string(),
                what: what.clone(),
            })
            .collect();
        RunResult {
            target: Target::OpenSsh,
            lane: LaneRun::Sim {
                seed: 0,
                swarm: Swarm::default(),
            },
            events,
            outcome,
            wall: Duration::ZERO,
        }
    }

    const RECEIVED: Way = Way::Received;
    const SIM_STATUS: What = What::Ssh(SshEvent::ExitStatus {
        way: RECEIVED,
        code: 7,
    });
    const SIM_EOF: What = What::Ssh(SshEvent::Eof {
        way: RECEIVED,
        cause: EofCause::Plain,
    });
    const SIM_CLOSE: What = What::Ssh(SshEvent::Close {
        way: RECEIVED,
        answer: false,
    });
    const REAL_STATUS: What = What::Client(ClientEvent::ExitStatus { code: Some(7) });
    const REAL_EOF: What = What::Client(ClientEvent::EofReceived);
    const REAL_CLOSE: What = What::Client(ClientEvent::CloseReceived);
    const SIM_STATUS_FIRST: &[What] = &[SIM_STATUS, SIM_EOF, SIM_CLOSE];
    const SIM_EOF_FIRST: &[What] = &[SIM_EOF, SIM_STATUS, SIM_CLOSE];
    const REAL_STATUS_FIRST: &[What] = &[
        What::Client(ClientEvent::EofSent),
        REAL_STATUS,
        REAL_EOF,
        REAL_CLOSE,
    ];
    const REAL_EOF_FIRST: &[What] = &[REAL_EOF, REAL_STATUS, REAL_CLOSE];

    fn observed(scenario: &Scenario, runs: &[(&str, &[What], Outcome)]) -> Vec<Observed> {
        runs.iter()
            .map(|(actor, lines, outcome)| {
                observe(
                    scenario,
                    &run(actor, lines, outcome.clone()),
                    &Verdict::Pass,
                    false,
                )
            })
            .collect()
    }

    #[test]
    fn every_command_line_s_exit_compares_not_only_the_first() {
        let s = scenario(
            "[[step]]\nrun = \"ssh server 'sleep 5'\"\n[[step]]\nat = \"1s\"\nrun = \"pkill sleep\"\n",
        );
        let lines = |second: Option<i32>| Outcome {
            command_exits: vec![Some(0), second],
            ..ended(0, 2000)
        };
        let sim = observed(&s, &[("client ssh[2]", &[], lines(Some(1)))]);
        let real = observed(&s, &[("client ssh[800]", &[], lines(Some(0)))]);
        let c = compare(&sim, &real, "20 seeds");
        assert_eq!(
            c.differences,
            vec![
                "exit of command line 2: real produced [0], the sim never did over 20 seeds (sim: [1])"
            ]
        );
        let still_running = observed(&s, &[("client ssh[800]", &[], lines(None))]);
        assert_eq!(
            still_running[0].aspects["exit of command line 2"],
            "none".to_string()
        );
    }

    #[test]
    fn a_real_order_the_sim_never_produced_differs_and_a_sim_order_real_never_showed_is_a_note() {
        let s = one_command();
        let sim_both = observed(
            &s,
            &[
                ("client ssh[2]", SIM_STATUS_FIRST, ended(7, 65)),
                ("client ssh[2]", SIM_EOF_FIRST, ended(7, 65)),
            ],
        );
        let real_status_first = observed(
            &s,
            &[
                ("client ssh[800]", REAL_STATUS_FIRST, ended(7, 218)),
                ("client ssh[900]", REAL_STATUS_FIRST, ended(7, 240)),
            ],
        );
        // Orders compare as sets: every real order is among the sim's.
        let c = compare(&sim_both, &real_status_first, "20 seeds");
        assert_eq!(c.differences, Vec::<String>::new());
        assert_eq!(
            c.notes,
            vec![
                "order of client ssh: the sim produced [eof, exit-status, close], not seen in 2 real run(s) (real: [exit-status, eof, close])"
            ]
        );
        let sim_status_first = observed(&s, &[("client ssh[2]", SIM_STATUS_FIRST, ended(7, 65))]);
        let real_eof_first = observed(&s, &[("client ssh[800]", REAL_EOF_FIRST, ended(7, 218))]);
        let c = compare(&sim_status_first, &real_eof_first, "20 seeds");
        assert_eq!(
            c.differences,
            vec![
                "order of client ssh: real produced [eof, exit-status, close], the sim never did over 20 seeds (sim: [exit-status, eof, close])"
            ]
        );
    }

    #[test]
    fn a_real_race_scenario_compares_outcomes_but_not_orders() {
        let s = one_command();
        let sim = observe(
            &s,
            &run("client ssh[2]", SIM_STATUS_FIRST, ended(7, 65)),
            &Verdict::Pass,
            true,
        );
        let real = observe(
            &s,
            &run("client ssh[8]", REAL_EOF_FIRST, ended(3, 65)),
            &Verdict::Pass,
            true,
        );
        let c = compare(&[sim], &[real], "20 seeds");
        assert_eq!(
            c.differences,
            vec!["client exit: real produced [3], the sim never did over 20 seeds (sim: [7])"]
        );
    }

    #[test]
    fn a_client_the_real_lane_does_not_log_and_the_message_of_a_failed_ssh_are_not_compared() {
        let s = one_command();
        let failed = |stderr: u64| Outcome {
            stderr_bytes: stderr,
            ..ended(255, 65)
        };
        // The sim's ssh wrote "client_loop: send disconnect: ..." to
        // stderr; the real lane's logged it.
        let sim = observed(
            &s,
            &[(
                "client ssh[2]",
                &[What::Ssh(SshEvent::ClientDisconnected {
                    why: ClientEnd::SendFailed("Connection reset by peer".into()),
                })],
                failed(56),
            )],
        );
        let real = observed(
            &s,
            &[(
                "client ssh[9]",
                &[What::Client(ClientEvent::ConnectionLost {
                    why: "broken pipe".into(),
                })],
                failed(0),
            )],
        );
        assert_eq!(compare(&sim, &real, "20 seeds"), Comparison::default());
        // No client log in the real lane (a terminal's ssh): a note.
        let unlogged = observed(&s, &[("client ssh[9]", &[], failed(0))]);
        let c = compare(&sim, &unlogged, "20 seeds");
        assert_eq!(c.differences, Vec::<String>::new());
        assert_eq!(
            c.notes,
            vec![
                "order of client ssh: not seen in the real lane (it logs the channel of a command line's ssh only)"
            ]
        );
    }

    #[test]
    fn a_remote_shell_is_sh_in_both_lanes() {
        assert_eq!(process_name("bash"), "sh");
        assert_eq!(process_name("sleep"), "sleep");
        let s = one_command();
        let with = |survivors: &[&str]| Outcome {
            survivors: survivors.iter().map(|s| s.to_string()).collect(),
            ..ended(0, 100)
        };
        let sim = observed(&s, &[("client ssh[2]", &[], with(&["sh[4]", "sleep[5]"]))]);
        let real = observed(
            &s,
            &[("client ssh[7]", &[], with(&["bash[9120]", "sleep[9121]"]))],
        );
        assert_eq!(compare(&sim, &real, "20 seeds"), Comparison::default());
        let other = observed(&s, &[("client ssh[7]", &[], with(&["sleep[9121]"]))]);
        assert_eq!(
            compare(&sim, &other, "20 seeds").differences,
            vec![
                "survivors: real produced [sleep], the sim never did over 20 seeds (sim: [sh, sleep])"
            ]
        );
    }

    #[test]
    fn end_classes_count_from_the_last_step_and_tolerate_real_startup_time() {
        // Steps at 0 s and 5 s, as the trace shows them.
        let steps = [Duration::ZERO, Duration::from_secs(5)];
        let class = |outcome: Outcome| end_class(&outcome, &steps);
        // The sim's quick end and a slow real peer's are both at once.
        assert_eq!(class(ended(0, 65)), EndClass::AtOnce);
        assert_eq!(class(ended(0, 900)), EndClass::AtOnce);
        // `sleep 1` in the sim (network latency added) and in a real run.
        assert_eq!(class(ended(0, 1065)), EndClass::AfterWait);
        assert_eq!(class(ended(0, 1386)), EndClass::AfterWait);
        // Counted from the step at 5 s, the last one before the end.
        assert_eq!(class(ended(255, 5300)), EndClass::AtOnce);
        assert_eq!(class(ended(0, 30_065)), EndClass::AfterWait);
        assert_eq!(class(Outcome::default()), EndClass::AtHorizon);
    }

    #[test]
    fn steps_are_read_from_the_trace_of_either_lane() {
        let mut result = run("client ssh[2]", &[], Outcome::default());
        let at = Duration::from_millis;
        let started_by = |parent: &str| {
            What::Process(ProcessEvent::Started {
                parent: parent.into(),
            })
        };
        for (ms, actor, what) in [
            (0, "client sh[2]", started_by("client init[1]")),
            (10, "client ssh[3]", What::Client(ClientEvent::Connected)),
            (
                700,
                "client terminal",
                What::Tty(TtyEvent::Typed {
                    text: "logout\n".into(),
                }),
            ),
            (
                900,
                "net",
                What::Tcp(TcpEvent::Fault {
                    fault: NetFault::Partition,
                }),
            ),
            (950, "client sh[9]", started_by("client bash[4]")),
        ] {
            result.events.push(Event {
                at: at(ms),
                actor: actor.to_string(),
                what,
            });
        }
        let s = scenario(
            "[[step]]\nat = \"0s\"\nrun = \"ssh server 'sleep 9'\"\n\n[[step]]\nat = \"1s\"\nnet = \"partition\"\n",
        );
        assert_eq!(step_times(&s, &result), vec![at(0), at(700), at(900)]);
    }
}
