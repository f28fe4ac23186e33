//! The sim lane compared with the real lane on one scenario and target:
//! what each run shows of its end, in terms both lanes share, and the
//! values the real runs gave that the sim's seeds never did.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use hangar_scenario::Scenario;

use super::teardown::teardown_orders;
use crate::sim::{Outcome, RunResult};
use crate::verdict::Verdict;

/// How long after the last step before it a client's end still counts as
/// "at once": real peers start and answer in tenths of a second on a busy
/// machine, where the sim's take hundredths; a wait in a scenario is a
/// timeout or a `sleep` of seconds.
pub(crate) const AT_ONCE: Duration = Duration::from_millis(1500);

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
/// the step times of the scenario (the earliest time of a drawn one).
pub(crate) fn end_class(scenario: &Scenario, outcome: &Outcome) -> EndClass {
    let (Some(_), Some(ended)) = (outcome.client_exit, outcome.client_ended_at) else {
        return EndClass::AtHorizon;
    };
    let last_step = scenario
        .steps
        .iter()
        .map(|step| step.at.min)
        .filter(|at| *at <= ended)
        .max()
        .unwrap_or_default();
    if ended - last_step <= AT_ONCE {
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

/// The aspect of the run's teardown order on a stream.
const ORDER: &str = "order of ";

/// Observes a run: `orders` false leaves out the teardown orders (a
/// `real-race` scenario's differ by nature).
pub(crate) fn observe(
    scenario: &Scenario,
    result: &RunResult,
    verdict: &Verdict,
    orders: bool,
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
    set("end", end_class(scenario, outcome).name().to_string());
    // A terminal's output is the remote prompt and echo, which differ
    // between the sim's shell and bash; only command lines' bytes compare.
    if !scenario.uses_terminal() {
        set(
            "bytes delivered",
            format!(
                "stdout {} / stderr {}",
                outcome.stdout_bytes, outcome.stderr_bytes
            ),
        );
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
    if orders {
        for order in teardown_orders(result) {
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
