//! `hangar run`: the options checked before anything runs, the job list of
//! the lane asked for, and the runs.

use std::path::PathBuf;
use std::time::Duration;

use hangar_scenario::{Scenario, Target};

use super::judge::{JobRef, report_job};
use super::load::load_all;
use super::output::{Output, Tally, out_header};
use super::pool::{in_groups, repeat_each};
use super::seed_range::run_seed_range;
use super::select::Selection;
use super::{Lane, RunOptions, TARGETS_ENV, both, run_isolated};
use crate::explore::{SeedRange, Shard};
use crate::real::{RealTarget, TargetsFile};
use crate::report::EXIT_BAD_INPUT;
use crate::report::html::HtmlReport;
use crate::report::junit::{self, CaseResult, JunitCase};
use crate::sim;

/// `hangar run`: returns the process exit code.
pub fn run_paths(paths: &[PathBuf], options: &RunOptions) -> i32 {
    let checked = match check_options(options) {
        Ok(checked) => checked,
        Err(message) => {
            eprintln!("{message}");
            return EXIT_BAD_INPUT;
        }
    };
    let Some(scenarios) = load_selected(paths, &options.selection) else {
        return EXIT_BAD_INPUT;
    };
    let html = match options.html.as_deref().map(HtmlReport::create).transpose() {
        Ok(html) => html,
        Err(message) => {
            eprintln!("{message}");
            return EXIT_BAD_INPUT;
        }
    };
    let out = Output::for_run(options).with_html(html);
    match options.lane {
        Lane::Sim => run_sim(out, &scenarios, options, &checked),
        Lane::Real => run_real(out, &scenarios, options, &checked),
        Lane::Both => both::run_both(out, &scenarios, options, &checked),
    }
}

/// Every file under `paths`, loaded and checked, then selected; `None`
/// (the errors said on stderr) when a file is bad or none is left.
pub(crate) fn load_selected(paths: &[PathBuf], selection: &Selection) -> Option<Vec<Scenario>> {
    let scenarios = match load_all(paths) {
        Ok(s) => s,
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            return None;
        }
    };
    if scenarios.is_empty() {
        eprintln!("error: no scenario files (*.toml) under the given paths");
        return None;
    }
    selection
        .apply(scenarios)
        .map_err(|message| eprintln!("{message}"))
        .ok()
}

/// The options once checked: nothing runs before they all are.
pub(crate) struct Checked {
    pub(crate) seed: u64,
    pub(crate) seed_range: Option<SeedRange>,
    /// `--shard k/n` of the seed range.
    pub(crate) shard: Option<Shard>,
    /// The sim lane's `--target`s; empty: each scenario's own.
    pub(crate) sim_targets: Vec<Target>,
    /// The real lane's targets (the real and both lanes).
    pub(crate) real_targets: Vec<RealTarget>,
}

/// Checks the options against each other and the lane; the message is
/// the error to print.
fn check_options(options: &RunOptions) -> Result<Checked, String> {
    let lane = options.lane;
    let seed = parse_seed(&options.seed).map_err(|m| format!("error: {m}"))?;
    let seed_range = options
        .seeds
        .as_deref()
        .map(str::parse::<SeedRange>)
        .transpose()
        .map_err(|m| format!("error: {m}"))?;
    let shard = options
        .shard
        .as_deref()
        .map(str::parse::<Shard>)
        .transpose()
        .map_err(|m| format!("error: {m}"))?;
    if (shard.is_some() || options.until_fail) && (seed_range.is_none() || lane != Lane::Sim) {
        return Err("error: --shard, --until: they split and stop a sim run over a seed range; give --seeds\n  example: hangar run scenarios/ --seeds 0..1000 --shard 1/4".to_string());
    }
    if seed_range.is_some() && lane == Lane::Sim && options.repeat.is_some() {
        return Err("error: --repeat: over a seed range each seed runs once (a seed gives the same run every time)\n  example: hangar run scenarios/ --seeds 0..1000".to_string());
    }
    if lane == Lane::Real && seed_range.is_some() {
        return Err("error: --seeds: the real lane has no seed; seeds are for the sim lane\n  example: hangar run scenarios/ --seeds 0..100".to_string());
    }
    if lane == Lane::Sim && options.retries > 0 {
        return Err("error: --retries: the sim lane gives the same run for the same seed; retries are for the real lane\n  example: hangar run scenarios/ --lane real --retries 1".to_string());
    }
    if lane == Lane::Both && (options.junit_stdout || options.junit_file.is_some()) {
        return Err("error: --junit, --format junit: JUnit reports the verdicts of one lane; --lane both reports how the lanes agree, in text or JSON\n  example: hangar run scenarios/ --lane real --junit hangar.xml".to_string());
    }
    if let Some(path) = &options.junit_file {
        junit::create(path, "hangar.xml")?;
    }
    if lane == Lane::Sim && options.targets_file.is_some() {
        return Err("error: --targets: the targets of a targets file run in the real lane\n  example: hangar run scenarios/ --lane real --targets ci/targets.example.toml".to_string());
    }
    // Checked before any scenario runs: a bad file runs nothing.
    let real_targets = if lane == Lane::Sim {
        Vec::new()
    } else {
        real_targets(&options.targets, options.targets_file.as_ref())?
    };
    let mut sim_targets = Vec::new();
    if lane == Lane::Sim {
        for name in &options.targets {
            let target = name
                .parse::<Target>()
                .map_err(|e| format!("error: --target: {e}"))?;
            sim_targets.push(target);
        }
    }
    Ok(Checked {
        seed,
        seed_range,
        shard,
        sim_targets,
        real_targets,
    })
}

fn run_real(
    mut out: Output,
    scenarios: &[Scenario],
    options: &RunOptions,
    checked: &Checked,
) -> i32 {
    let mut tally = Tally::default();
    // `--repeat N`: each job N times in a row, compared.
    let repeat = options.repeat.unwrap_or(1).max(1);
    let mut jobs: Vec<(&Scenario, &RealTarget)> = scenarios
        .iter()
        .flat_map(|scenario| checked.real_targets.iter().map(move |t| (scenario, t)))
        .collect();
    // Said loudly, per run, and counted: a skip is never a pass.
    jobs.retain(
        |(scenario, target)| match crate::real::unsupported(scenario, target) {
            Some(why) => {
                tally.skipped += 1;
                out.line(&skipped_line(scenario, target, "real", &why));
                out.case(|| JunitCase {
                    scenario: scenario.path.clone(),
                    name: format!("[{}]", target.label()),
                    result: CaseResult::Skipped { why },
                    time: Duration::ZERO,
                    trace: String::new(),
                });
                false
            }
            None => true,
        },
    );
    let seed = checked.seed;
    out_header(
        &mut out,
        options,
        scenarios.len(),
        jobs.len() as u64,
        &seed.to_string(),
    );
    let repeated = repeat_each(&jobs, repeat);
    let bar = out.expect_runs(repeated.len() as u64);
    let results = run_isolated(&repeated, options.workers, |(scenario, target)| {
        let result = crate::real::run(scenario, target);
        bar.as_ref().inspect(|bar| bar.inc(1));
        result
    });
    for ((scenario, target), results) in jobs.iter().zip(in_groups(results, repeat)) {
        let job = JobRef {
            scenario,
            label: &target.label(),
            target: target.like,
            real_target: Some(target),
            seed,
            repeat,
        };
        report_job(&mut out, options, &job, results, &mut tally);
    }
    out.finish(options, &tally)
}

fn run_sim(
    mut out: Output,
    scenarios: &[Scenario],
    options: &RunOptions,
    checked: &Checked,
) -> i32 {
    let mut tally = Tally::default();
    let repeat = options.repeat.unwrap_or(1).max(1);
    let jobs: Vec<(&Scenario, Target)> = scenarios
        .iter()
        .flat_map(|scenario| {
            let targets = if checked.sim_targets.is_empty() {
                scenario.targets.clone()
            } else {
                checked.sim_targets.clone()
            };
            targets.into_iter().map(move |t| (scenario, t))
        })
        .collect();
    if let Some(range) = checked.seed_range {
        return run_seed_range(out, &jobs, scenarios.len(), options, range, checked.shard);
    }
    let seed = checked.seed;
    out_header(
        &mut out,
        options,
        scenarios.len(),
        jobs.len() as u64,
        &format!("seed {seed}"),
    );
    let bar = out.expect_runs((jobs.len() * repeat) as u64);
    let results = run_isolated(&repeat_each(&jobs, repeat), options.workers, |(s, t)| {
        let result = sim::run(s, *t, seed);
        bar.as_ref().inspect(|bar| bar.inc(1));
        result
    });
    for ((scenario, target), results) in jobs.iter().zip(in_groups(results, repeat)) {
        let job = JobRef {
            scenario,
            label: &target.to_string(),
            target: *target,
            real_target: None,
            seed,
            repeat,
        };
        report_job(&mut out, options, &job, results, &mut tally);
    }
    out.finish(options, &tally)
}

/// A job the real lane cannot run, with the reason.
pub(crate) fn skipped_line(
    scenario: &Scenario,
    target: &RealTarget,
    lane: &str,
    why: &str,
) -> String {
    format!(
        "skipped {} [{}] lane={lane}: {why}",
        scenario.path,
        target.label()
    )
}

/// The real lane's targets: `--target` names among the built-ins and the
/// targets file's (`--targets`, else `HANGAR_TARGETS`).
pub(crate) fn real_targets(
    names: &[String],
    targets_file: Option<&PathBuf>,
) -> Result<Vec<RealTarget>, String> {
    let path = targets_file
        .cloned()
        .or_else(|| std::env::var_os(TARGETS_ENV).map(PathBuf::from));
    let file = match path {
        Some(path) => Some(TargetsFile::load(&path).map_err(|e| e.to_string())?),
        None => None,
    };
    crate::real::targets::resolve(names, file.as_ref())
        .map_err(|message| format!("error: {message}"))
}

fn parse_seed(text: &str) -> Result<u64, String> {
    if text == "random" {
        // A seed from the OS, printed in every report so the run replays.
        let state = std::collections::hash_map::RandomState::new();
        return Ok(std::hash::BuildHasher::hash_one(&state, 0u8));
    }
    text.parse().map_err(|_| {
        format!("--seed: expected a number or `random`, found `{text}`\n  example: --seed 42")
    })
}
