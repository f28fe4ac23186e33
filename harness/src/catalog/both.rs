//! `hangar run --lane both`: each scenario and target in the sim lane over
//! seeds and in the real lane over repeated runs, compared: the values
//! the real runs gave that no seed did are disagreements.

use hangar_scenario::Scenario;

use super::command::{Checked, skipped_line};
use super::compare::{Comparison, Observed, compare, observe};
use super::output::{Output, real_replay};
use super::pool::{RunOutcome, in_groups, repeat_each};
use super::{REAL_RACE, RunOptions, run_isolated};
use crate::explore::SeedRange;
use crate::real::RealTarget;
use crate::report::html::RunView;
use crate::report::{self, EXIT_FAIL, EXIT_HARNESS_ERROR, EXIT_PASS};
use crate::run::RunResult;
use crate::sim;
use crate::verdict::{Verdict, check, expectations_for};

/// The sim seeds of a pair when `--seeds` does not say.
pub(crate) const DEFAULT_SEEDS: SeedRange = SeedRange { start: 0, end: 20 };

/// The real runs of a pair when `--repeat` does not say.
pub(crate) const DEFAULT_REAL_RUNS: usize = 3;

/// One scenario and target: what each lane's runs showed.
struct Pair<'a> {
    scenario: &'a Scenario,
    target: &'a RealTarget,
    sim: Vec<Observed>,
    real: Vec<Observed>,
    /// A run in which the harness failed: no comparison then.
    error: Option<String>,
    /// `--html`: the first sim run and the first real run of the last
    /// try, with their verdicts, for the page that shows them side by side.
    first_sim: Option<(RunResult, Verdict)>,
    first_real: Option<(RunResult, Verdict)>,
    keep_runs: bool,
}

impl Pair<'_> {
    /// Adds a run's observation, or its harness failure.
    fn record(&mut self, outcome: RunOutcome, real: bool) {
        let result = match outcome {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => return self.fail(e.to_string()),
            Err(failure) => return self.fail(failure.0),
        };
        let expectations = expectations_for(self.scenario, self.target.like, result.lane_kind());
        let verdict = check(&expectations, &result.outcome);
        let racy = self.scenario.tags.iter().any(|t| t == REAL_RACE);
        let observed = observe(self.scenario, &result, &verdict, racy);
        let first = if real {
            self.real.push(observed);
            &mut self.first_real
        } else {
            self.sim.push(observed);
            &mut self.first_sim
        };
        if self.keep_runs && first.is_none() {
            *first = Some((result, verdict));
        }
    }

    fn fail(&mut self, message: String) {
        self.error.get_or_insert(message);
    }
}

/// What the comparison counted, for the summary and the exit code.
#[derive(Default)]
struct Count {
    agree: u64,
    /// Pairs that agreed only on a retry.
    flaky: u64,
    differ: u64,
    skipped: u64,
    errors: u64,
}

pub(crate) fn run_both(
    mut out: Output,
    scenarios: &[Scenario],
    options: &RunOptions,
    checked: &Checked,
) -> i32 {
    let mut count = Count::default();
    let seeds = checked.seed_range.unwrap_or(DEFAULT_SEEDS);
    let runs = options.repeat.unwrap_or(DEFAULT_REAL_RUNS).max(1);
    let mut pairs: Vec<Pair> = Vec::new();
    for scenario in scenarios {
        for target in &checked.real_targets {
            // Said loudly and counted: a skip is never an agreement.
            if let Some(why) = crate::real::unsupported(scenario, target) {
                count.skipped += 1;
                if options.json {
                    out.line(&json_skipped(scenario, target, &why).to_string());
                } else {
                    out.line(&skipped_line(scenario, target, "real", &why));
                }
                continue;
            }
            pairs.push(Pair {
                scenario,
                target,
                sim: Vec::new(),
                real: Vec::new(),
                error: None,
                first_sim: None,
                first_real: None,
                keep_runs: options.html.is_some(),
            });
        }
    }
    if !options.json {
        out.line(&format!(
            "hangar: {} scenario file(s), {} scenario x target pair(s), lane both, sim seeds {seeds}, {runs} real run(s) each, {} worker(s)",
            scenarios.len(),
            pairs.len(),
            options.workers
        ));
    }
    let sim_jobs: Vec<(&Scenario, hangar_scenario::Target)> =
        pairs.iter().map(|p| (p.scenario, p.target.like)).collect();
    for seed in seeds.iter(None) {
        let results = run_isolated(&sim_jobs, options.workers, |(s, t)| sim::run(s, *t, seed));
        for (pair, result) in pairs.iter_mut().zip(results) {
            pair.record(result, false);
        }
    }
    // The real runs a few pairs at a time, each pair printed as soon as
    // its runs are done: a catalog's real runs take minutes.
    let which = format!("{} seeds", seeds.count(None));
    for chunk in pairs.chunks_mut(options.workers.max(1)) {
        let real_jobs: Vec<(&Scenario, &RealTarget)> =
            chunk.iter().map(|p| (p.scenario, p.target)).collect();
        let results = run_isolated(
            &repeat_each(&real_jobs, runs),
            options.workers,
            |(scenario, target)| crate::real::run(scenario, target),
        );
        for (pair, group) in chunk.iter_mut().zip(in_groups(results, runs)) {
            for result in group {
                pair.record(result, true);
            }
            let earlier = retry_real(pair, options, runs, &which);
            report_pair(&mut out, options, pair, &which, seeds, &earlier, &mut count);
        }
    }
    let summary = format!(
        "\nsim agrees with real on {} of {} scenario x target pairs{}{}{}{}",
        count.agree,
        pairs.len(),
        match count.flaky {
            0 => String::new(),
            n => format!(" ({n} flaky: agreed on a retry)"),
        },
        match count.differ {
            0 => String::new(),
            n => format!(", {n} differ"),
        },
        match count.errors {
            0 => String::new(),
            n => format!(", {n} error(s) of the harness"),
        },
        match count.skipped {
            0 => String::new(),
            n => format!(", {n} skipped"),
        },
    );
    if !options.json {
        out.line(&summary);
    }
    if !out.finish_html(&summary) {
        return EXIT_HARNESS_ERROR;
    }
    if count.errors > 0 {
        EXIT_HARNESS_ERROR
    } else if count.differ > 0 {
        EXIT_FAIL
    } else {
        EXIT_PASS
    }
}

/// `--retries N`: while the pair's real runs show what no seed did, runs
/// them again, up to N times; the differences of each try given up on.
/// A real run can lose a scheduler race on a busy machine: a pair that
/// agrees on a later try is counted as agreeing and reported as flaky,
/// with what its earlier tries showed.
fn retry_real(pair: &mut Pair, options: &RunOptions, runs: usize, which: &str) -> Vec<Vec<String>> {
    let mut earlier = Vec::new();
    for _ in 0..options.retries {
        if pair.error.is_some() {
            break;
        }
        let differences = compare(&pair.sim, &pair.real, which).differences;
        if differences.is_empty() {
            break;
        }
        earlier.push(differences);
        pair.real.clear();
        pair.first_real = None;
        let job = [(pair.scenario, pair.target)];
        let results = run_isolated(
            &repeat_each(&job, runs),
            options.workers,
            |(scenario, target)| crate::real::run(scenario, target),
        );
        for result in results {
            pair.record(result, true);
        }
    }
    earlier
}

/// Prints one pair's agreement line (or JSON row) and counts it;
/// `earlier` holds the differences of the tries before the last.
fn report_pair(
    out: &mut Output,
    options: &RunOptions,
    pair: &Pair,
    which: &str,
    seeds: SeedRange,
    earlier: &[Vec<String>],
    count: &mut Count,
) {
    let (path, label) = (&pair.scenario.path, pair.target.label());
    if let Some(message) = &pair.error {
        count.errors += 1;
        if options.json {
            let row = serde_json::json!({
                "scenario": path, "target": label, "lane": "both", "error": message,
            });
            out.line(&row.to_string());
        } else {
            out.line(&format!("error   {path} [{label}]\n          {message}"));
        }
        return;
    }
    let Comparison { differences, notes } = compare(&pair.sim, &pair.real, which);
    pair_page(out, pair, seeds, &differences);
    if differences.is_empty() {
        count.agree += 1;
        if !earlier.is_empty() {
            count.flaky += 1;
        }
    } else {
        count.differ += 1;
    }
    if options.json {
        let row = serde_json::json!({
            "scenario": path,
            "target": label,
            "lane": "both",
            "agree": differences.is_empty(),
            "sim_seeds": seeds.to_string(),
            "real_runs": pair.real.len(),
            "differences": differences,
            "notes": notes,
            "tries": earlier.len() + 1,
            "earlier_differences": earlier,
        });
        out.line(&row.to_string());
        return;
    }
    let word = if differences.is_empty() {
        "agree "
    } else {
        "differ"
    };
    let mut text = format!(
        "{word}  {path} [{label}]: {} sim seed(s), {} real run(s)",
        pair.sim.len(),
        pair.real.len()
    );
    if !earlier.is_empty() {
        let last = earlier.len() + 1;
        if differences.is_empty() {
            text.push_str(&format!(" (flaky: agreed on try {last})"));
        } else {
            text.push_str(&format!(" (on each of {last} tries)"));
        }
        for (n, tried) in earlier.iter().enumerate() {
            for difference in tried {
                text.push_str(&format!("\n          try {}: {difference}", n + 1));
            }
        }
    }
    for difference in &differences {
        text.push_str(&format!("\n          {difference}"));
    }
    if options.verbose || !differences.is_empty() {
        for note in &notes {
            text.push_str(&format!("\n          note: {note}"));
        }
    }
    if !differences.is_empty() {
        text.push_str(&format!(
            "\n          replay: {}\n          replay: {}",
            report::replay_command(pair.scenario, pair.target.like, seeds.start),
            real_replay(path, pair.target)
        ));
    }
    out.line(&text);
}

/// `--html`: the pair's page, its first sim run beside its first real run.
fn pair_page(out: &mut Output, pair: &Pair, seeds: SeedRange, differences: &[String]) {
    let (Some((sim, sim_verdict)), Some((real, real_verdict))) =
        (&pair.first_sim, &pair.first_real)
    else {
        return;
    };
    let label = pair.target.label();
    let agreement = if differences.is_empty() {
        format!(
            "agree: what {} real run(s) showed, some of {} sim seed(s) showed",
            pair.real.len(),
            pair.sim.len()
        )
    } else {
        format!("differ: {}", differences.join("; "))
    };
    let view = |result, verdict, replay| RunView {
        scenario: pair.scenario,
        label: &label,
        result,
        verdict,
        replay,
    };
    let sim = view(
        sim,
        sim_verdict,
        report::replay_command(pair.scenario, pair.target.like, seeds.start),
    );
    let real = view(
        real,
        real_verdict,
        real_replay(&pair.scenario.path, pair.target),
    );
    out.page(|html| html.add_pair(&sim, &real, differences.is_empty(), &agreement));
}

fn json_skipped(scenario: &Scenario, target: &RealTarget, why: &str) -> serde_json::Value {
    serde_json::json!({
        "scenario": scenario.path,
        "target": target.label(),
        "lane": "both",
        "skipped": why,
    })
}
