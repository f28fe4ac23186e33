//! Running a set of scenario files: load and check them all first (bad
//! input runs nothing), then run each against each of its targets.

use std::io::Write;
use std::path::PathBuf;
mod isolation;

pub use isolation::{RunFailure, isolated, run_isolated};

use hangar_scenario::{LoadError, Scenario, Target, discover, load_str};

use crate::explore::SeedRange;
use crate::real::{RealTarget, TargetsFile};
use crate::report::{self, EXIT_BAD_INPUT, EXIT_FAIL, EXIT_HARNESS_ERROR, EXIT_PASS};
use crate::sim;
use crate::validate::check_scenario;
use crate::verdict::{Verdict, check, expectations_for};

/// What `hangar run` was asked to do.
pub struct RunOptions {
    /// Target names; empty means each scenario's own list.
    pub targets: Vec<String>,
    /// A number, or `random`.
    pub seed: String,
    /// `--seeds A..B`: every job on every seed of the range (sim lane).
    pub seeds: Option<String>,
    pub lane: String,
    pub verbose: bool,
    pub json: bool,
    /// `--events`: the JSON lines carry each run's events.
    pub events: bool,
    /// Simulations run in parallel, one per worker thread.
    pub workers: usize,
    /// `--targets`: the real lane's user-defined targets.
    pub targets_file: Option<PathBuf>,
    /// Runs of each scenario and target, whose traces must be the same.
    pub repeat: usize,
    /// Real lane: how many more times a job that did not pass is run.
    pub retries: usize,
}

/// The tag of a scenario whose real runs differ by nature (which of two
/// readers gets a line): its real traces are neither frozen nor compared.
pub const REAL_RACE: &str = "real-race";

/// The variable that names a targets file when `--targets` does not.
pub const TARGETS_ENV: &str = "HANGAR_TARGETS";

/// Loads one scenario file with every check, the host model's included.
pub fn load(path: &std::path::Path) -> Result<Scenario, LoadError> {
    load_named(path, &path.display().to_string())
}

/// Like [`load`], calling the file `name` in messages and reports.
pub fn load_named(path: &std::path::Path, name: &str) -> Result<Scenario, LoadError> {
    let name = name.to_string();
    let text = hangar_scenario::read_text(path, &name)?;
    let scenario = load_str(&name, &text)?;
    check_scenario(&scenario, &text)?;
    Ok(scenario)
}

/// Loads every scenario under `paths`; all errors, not just the first file's.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Scenario>, Vec<LoadError>> {
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match discover(path) {
            Ok(files) => {
                for file in files {
                    match load(&file) {
                        Ok(s) => scenarios.push(s),
                        Err(e) => errors.push(e),
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(errors)
    }
}

/// `hangar run`: returns the process exit code.
pub fn run_paths(paths: &[PathBuf], options: &RunOptions) -> i32 {
    let real = match options.lane.as_str() {
        report::LANE_SIM => false,
        report::LANE_REAL => true,
        other => {
            eprintln!(
                "error: unknown lane `{other}`: the lanes are `sim` and `real`\n  example: hangar run scenarios/ --lane real --target openssh"
            );
            return EXIT_BAD_INPUT;
        }
    };
    let seed = match parse_seed(&options.seed) {
        Ok(seed) => seed,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_BAD_INPUT;
        }
    };
    let seed_range = match options
        .seeds
        .as_deref()
        .map(str::parse::<SeedRange>)
        .transpose()
    {
        Ok(range) => range,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_BAD_INPUT;
        }
    };
    if real && seed_range.is_some() {
        eprintln!(
            "error: --seeds: the real lane has no seed; seeds are for the sim lane\n  example: hangar run scenarios/ --seeds 0..100"
        );
        return EXIT_BAD_INPUT;
    }
    if !real && options.retries > 0 {
        eprintln!(
            "error: --retries: the sim lane gives the same run for the same seed; retries are for the real lane\n  example: hangar run scenarios/ --lane real --retries 1"
        );
        return EXIT_BAD_INPUT;
    }
    if !real && options.targets_file.is_some() {
        eprintln!(
            "error: --targets: the targets of a targets file run in the real lane\n  example: hangar run scenarios/ --lane real --targets ci/targets.example.toml"
        );
        return EXIT_BAD_INPUT;
    }
    // Checked before any scenario runs: a bad file runs nothing.
    let real_targets = if real {
        match real_targets(options) {
            Ok(targets) => targets,
            Err(message) => {
                eprintln!("{message}");
                return EXIT_BAD_INPUT;
            }
        }
    } else {
        Vec::new()
    };
    let mut chosen = Vec::new();
    if !real {
        for name in &options.targets {
            match name.parse::<Target>() {
                Ok(t) => chosen.push(t),
                Err(e) => {
                    eprintln!("error: --target: {e}");
                    return EXIT_BAD_INPUT;
                }
            }
        }
    }
    let scenarios = match load_all(paths) {
        Ok(s) => s,
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            return EXIT_BAD_INPUT;
        }
    };
    if scenarios.is_empty() {
        eprintln!("error: no scenario files (*.toml) under the given paths");
        return EXIT_BAD_INPUT;
    }
    let mut out = Output::default();
    let mut tally = Tally::default();
    // `--repeat N`: each job N times in a row, compared below.
    let repeat = options.repeat.max(1);
    if real {
        let mut jobs: Vec<(&Scenario, &RealTarget)> = scenarios
            .iter()
            .flat_map(|scenario| real_targets.iter().map(move |t| (scenario, t)))
            .collect();
        // Said loudly, per run, and counted: a skip is never a pass.
        jobs.retain(
            |(scenario, target)| match crate::real::unsupported(scenario, target) {
                Some(why) => {
                    tally.skipped += 1;
                    out.line(&format!(
                        "skipped {} [{}] lane=real: {why}",
                        scenario.path,
                        target.label()
                    ));
                    false
                }
                None => true,
            },
        );
        out_header(
            &mut out,
            options,
            scenarios.len(),
            jobs.len() as u64,
            &seed.to_string(),
        );
        let repeated = repeat_each(&jobs, repeat);
        let results = run_isolated(&repeated, options.workers, |(scenario, target)| {
            crate::real::run(scenario, target)
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
    } else {
        let jobs: Vec<(&Scenario, Target)> = scenarios
            .iter()
            .flat_map(|scenario| {
                let targets = if chosen.is_empty() {
                    scenario.targets.clone()
                } else {
                    chosen.clone()
                };
                targets.into_iter().map(move |t| (scenario, t))
            })
            .collect();
        // `--seeds A..B`: every job on every seed, one seed after the
        // other (never a list of the range); only the runs that do not
        // pass are printed.
        let (seeds, which) = match seed_range {
            Some(range) => (range, format!("seeds {range}")),
            None => (
                SeedRange {
                    start: seed,
                    end: seed.saturating_add(1),
                },
                format!("seed {seed}"),
            ),
        };
        let runs = (jobs.len() as u64).saturating_mul(seeds.count(None));
        out_header(&mut out, options, scenarios.len(), runs, &which);
        tally.hide_passes = seed_range.is_some() && !options.json;
        for seed in seeds.iter(None) {
            let results = run_isolated(&repeat_each(&jobs, repeat), options.workers, |(s, t)| {
                sim::run(s, *t, seed)
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
        }
    }
    if !options.json {
        out.line(&tally.summary());
    }
    tally.exit_code()
}

/// What a `hangar run` counted, for its last line and its exit code.
#[derive(Default)]
struct Tally {
    passed: u64,
    failed: u64,
    /// Runs that passed only on a retry.
    flaky: u64,
    skipped: u64,
    /// Runs in which the harness failed (verdict `error`).
    errors: u64,
    /// `--seeds`: passing runs are counted, not printed.
    hide_passes: bool,
}

impl Tally {
    fn summary(&self) -> String {
        let mut line = format!("\n{} passed", self.passed);
        if self.flaky > 0 {
            line.push_str(&format!(" ({} of them only on a retry: flaky)", self.flaky));
        }
        line.push_str(&format!(", {} failed or unknown", self.failed));
        if self.errors > 0 {
            line.push_str(&format!(", {} error(s) of the harness", self.errors));
        }
        if self.skipped > 0 {
            line.push_str(&format!(", {} skipped", self.skipped));
        }
        line
    }

    /// 3 when the harness failed on some run, else 1 when some run did
    /// not pass, else 0.
    fn exit_code(&self) -> i32 {
        if self.errors > 0 {
            EXIT_HARNESS_ERROR
        } else if self.failed > 0 {
            EXIT_FAIL
        } else {
            EXIT_PASS
        }
    }
}

/// Judges one job's runs (retrying a real job that did not pass, under
/// `--retries`), reports it and counts it.
fn report_job(
    out: &mut Output,
    options: &RunOptions,
    job: &JobRef,
    results: Vec<RunOutcome>,
    tally: &mut Tally,
) {
    let mut tries: Vec<Judged> = Vec::new();
    let mut results = results;
    loop {
        let judged = match judge(job, results) {
            Ok(judged) => judged,
            Err(failure) => {
                // The harness failed: reported in the run's place, not
                // retried (a retry is for a lost race, not a broken
                // harness).
                tally.errors += 1;
                report_error(out, options, job, &failure.0);
                return;
            }
        };
        let retry = may_retry(
            &judged.verdict,
            judged.difference.is_some(),
            judged.every_run_passed,
        );
        let again = job
            .real_target
            .filter(|_| retry && tries.len() < options.retries);
        tries.push(judged);
        let Some(real_target) = again else { break };
        let repeated = vec![(job.scenario, real_target); job.repeat];
        results = run_isolated(&repeated, 1, |(scenario, target)| {
            crate::real::run(scenario, target)
        });
    }
    let Some(judged) = tries.last() else { return };
    if judged.verdict == Verdict::Pass {
        tally.passed += 1;
        tally.flaky += u64::from(tries.len() > 1);
        if tally.hide_passes && tries.len() == 1 {
            return;
        }
    } else {
        tally.failed += 1;
    }
    let of = tries.len();
    for (n, one) in tries.iter().enumerate() {
        report_try(out, options, job, one, (of > 1).then_some((n + 1, of)));
    }
}

/// Prints a run in which the harness failed, in the run's place: verdict
/// `error`, the panic's message and place, and the replay line.
fn report_error(out: &mut Output, options: &RunOptions, job: &JobRef, message: &str) {
    let replay = job_replay(job);
    if options.json {
        let lane = if job.real_target.is_some() {
            report::LANE_REAL
        } else {
            report::LANE_SIM
        };
        let line = report::error_json(job.scenario, lane, job.label, job.seed, message, &replay);
        out.line(&line.to_string());
    } else {
        out.line(&report::error_summary_line(
            &job.scenario.path,
            job.label,
            job.seed,
            message,
            &replay,
        ));
    }
}

/// The command that runs a job again.
fn job_replay(job: &JobRef) -> String {
    let path = &job.scenario.path;
    match job.real_target {
        Some(RealTarget {
            name,
            file: Some(file),
            ..
        }) => {
            format!("hangar run {path} --lane real --targets {file} --target {name} -v")
        }
        Some(target) => format!("hangar run {path} --lane real --target {} -v", target.name),
        None => report::replay_command(job.scenario, job.target, job.seed),
    }
}

/// One job of a `hangar run`, as its runs are judged and reported.
struct JobRef<'a> {
    scenario: &'a Scenario,
    label: &'a str,
    /// The target whose expectations apply.
    target: Target,
    /// The real lane's target that ran it; `None` in the sim lane.
    real_target: Option<&'a RealTarget>,
    seed: u64,
    repeat: usize,
}

/// A job's runs judged: the first run, its verdict, and how the repeated
/// runs' traces differ, if they do.
struct Judged {
    result: crate::run::RunResult,
    verdict: Verdict,
    difference: Option<String>,
    /// Whether every repeated run met the expectations on its own.
    every_run_passed: bool,
}

/// Whether `--retries` may run a job again: it did not pass, and not
/// because runs that all met the expectations gave different traces. That
/// is the finding of `--repeat`; a run that failed its expectations makes
/// its trace differ anyway, and is a lost race like any other failed try.
fn may_retry(verdict: &Verdict, traces_differ: bool, every_run_passed: bool) -> bool {
    *verdict != Verdict::Pass && (!traces_differ || !every_run_passed)
}

fn judge(job: &JobRef, results: Vec<RunOutcome>) -> Result<Judged, RunFailure> {
    let mut done = results
        .into_iter()
        .map(|r| r?.map_err(|e| RunFailure(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    if done.is_empty() {
        return Err(RunFailure("the job did not run".to_string()));
    }
    let expectations = expectations_for(job.scenario, job.target);
    let mut verdicts: Vec<Verdict> = done
        .iter()
        .map(|r| check(&expectations, &r.outcome))
        .collect();
    let texts: Vec<String> = done
        .iter()
        .zip(&verdicts)
        .map(|(r, verdict)| {
            if job.real_target.is_some() {
                crate::real::observe::snapshot_text(job.scenario, r, verdict)
            } else {
                report::trace_text(job.scenario, r, verdict)
            }
        })
        .collect();
    let every_run_passed = verdicts.iter().all(|v| *v == Verdict::Pass);
    let result = done.swap_remove(0);
    let mut verdict = verdicts.swap_remove(0);
    let racy = job.real_target.is_some() && job.scenario.tags.iter().any(|t| t == REAL_RACE);
    let difference = crate::real::observe::repeat_difference(&texts).filter(|_| !racy);
    if difference.is_some() {
        let why = format!(
            "the trace differs between repeated runs (--repeat {})",
            job.repeat
        );
        verdict = match verdict {
            Verdict::Pass => Verdict::Fail(vec![why]),
            Verdict::Fail(mut d) | Verdict::Unknown(mut d) => {
                d.push(why);
                Verdict::Fail(d)
            }
        };
    }
    Ok(Judged {
        result,
        verdict,
        difference,
        every_run_passed,
    })
}

/// Prints one try of a job: `try` is `(n, of)` when the job ran more than
/// once. A real run that did not pass is printed in full even without
/// `-v`: unlike a seed, it cannot be replayed exactly.
fn report_try(
    out: &mut Output,
    options: &RunOptions,
    job: &JobRef,
    judged: &Judged,
    r#try: Option<(usize, usize)>,
) {
    let (scenario, result, verdict) = (job.scenario, &judged.result, &judged.verdict);
    if let Some(diff) = &judged.difference {
        let text = format!(
            "{} [{}]: {} runs, traces differ; {diff}",
            scenario.path, job.label, job.repeat
        );
        if options.json {
            // Standard output stays one JSON object a line.
            eprintln!("{text}");
        } else {
            out.line(&text);
        }
    }
    if options.json {
        let mut line = report::json_value(scenario, result, verdict);
        if options.events {
            line["events"] = report::events_json(&result.events);
        }
        if let Some((n, of)) = r#try {
            line["try"] = serde_json::json!(n);
            line["tries"] = serde_json::json!(of);
        }
        out.line(&line.to_string());
        return;
    }
    if options.verbose || (job.real_target.is_some() && *verdict != Verdict::Pass) {
        out.line(&format!(
            "\n{}",
            report::trace_text(scenario, result, verdict)
        ));
    }
    let mut line = report::summary_line(scenario, result, verdict);
    match r#try {
        Some((n, of)) if n < of => {
            line.push_str(&format!("\n          try {n} of {of}: run again"))
        }
        Some((n, _)) if *verdict == Verdict::Pass => line.push_str(&format!(
            "\n          flaky: passed on try {n}, after failing before"
        )),
        Some((n, _)) => line.push_str(&format!("\n          try {n}: still not passing")),
        None => {}
    }
    out.line(&line);
}

/// One run as the worker pool returns it: a panic is the outer error, a
/// harness error the lane reported the inner one.
type RunOutcome = Result<Result<crate::run::RunResult, crate::run::RunError>, RunFailure>;

/// Each job `n` times in a row.
fn repeat_each<T: Clone>(jobs: &[T], n: usize) -> Vec<T> {
    jobs.iter()
        .flat_map(|job| std::iter::repeat_n(job.clone(), n))
        .collect()
}

/// Results back in groups of `n`, one group per job.
fn in_groups(results: Vec<RunOutcome>, n: usize) -> Vec<Vec<RunOutcome>> {
    let mut results = results.into_iter();
    let mut groups = Vec::new();
    loop {
        let group: Vec<RunOutcome> = results.by_ref().take(n).collect();
        if group.is_empty() {
            return groups;
        }
        groups.push(group);
    }
}

fn out_header(out: &mut Output, options: &RunOptions, files: usize, runs: u64, seeds: &str) {
    if !options.json {
        out.line(&format!(
            "hangar: {files} scenario file(s), {runs} run(s), lane {}, {seeds}, {} worker(s)",
            options.lane, options.workers
        ));
    }
}

/// The real lane's targets: `--target` names among the built-ins and the
/// targets file's (`--targets`, else `HANGAR_TARGETS`).
fn real_targets(options: &RunOptions) -> Result<Vec<RealTarget>, String> {
    let path = options
        .targets_file
        .clone()
        .or_else(|| std::env::var_os(TARGETS_ENV).map(PathBuf::from));
    let file = match path {
        Some(path) => Some(TargetsFile::load(&path).map_err(|e| e.to_string())?),
        None => None,
    };
    crate::real::targets::resolve(&options.targets, file.as_ref())
        .map_err(|message| format!("error: {message}"))
}

/// Runs every (scenario, target) on `workers` threads, each with its own
/// simulation and isolated from the others; results come back in the
/// order of `jobs`, so the report does not depend on which worker ran
/// what.
pub fn run_parallel(jobs: &[(&Scenario, Target)], seed: u64, workers: usize) -> Vec<RunOutcome> {
    run_isolated(jobs, workers, |(scenario, target)| {
        sim::run(scenario, *target, seed)
    })
}

/// Standard output that stops quietly when its reader goes away
/// (`hangar run ... | head`), instead of panicking.
#[derive(Default)]
struct Output {
    closed: bool,
}

impl Output {
    fn line(&mut self, text: &str) {
        if !self.closed && writeln!(std::io::stdout().lock(), "{text}").is_err() {
            self.closed = true;
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_run_is_retried_and_a_difference_among_passing_runs_is_not() {
        let fail = Verdict::Fail(vec!["exit 3, expected 7".into()]);
        assert!(!may_retry(&Verdict::Pass, false, true));
        assert!(may_retry(&fail, false, false));
        // One of the repeated runs failed: its trace differs, retried.
        assert!(may_retry(&fail, true, false));
        // Every run passed and the traces still differ: not a lost race.
        assert!(!may_retry(&fail, true, true));
    }

    fn exit_status() -> Scenario {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios/exit/exit-status.toml");
        load_named(&path, "scenarios/exit/exit-status.toml").unwrap()
    }

    #[test]
    fn a_run_that_panicked_is_counted_as_an_error_with_its_replay_and_the_others_still_count() {
        let scenario = exit_status();
        let target = Target::OpenSsh;
        let options = RunOptions {
            targets: Vec::new(),
            seed: "7".into(),
            seeds: None,
            lane: "sim".into(),
            verbose: false,
            json: false,
            events: false,
            workers: 1,
            targets_file: None,
            repeat: 1,
            retries: 0,
        };
        let job = JobRef {
            scenario: &scenario,
            label: "openssh",
            target,
            real_target: None,
            seed: 7,
            repeat: 1,
        };
        let mut tally = Tally::default();
        // A job whose run panicked, then one that ran.
        let panicked: Vec<RunOutcome> = vec![Err(RunFailure("panicked at x.rs:1: boom".into()))];
        report_job(&mut Output::default(), &options, &job, panicked, &mut tally);
        let ran = run_parallel(&[(&scenario, target)], 7, 1);
        report_job(&mut Output::default(), &options, &job, ran, &mut tally);
        assert_eq!((tally.errors, tally.passed, tally.failed), (1, 1, 0));
        assert_eq!(tally.exit_code(), EXIT_HARNESS_ERROR);
        assert!(
            tally.summary().contains("1 error(s) of the harness"),
            "{}",
            tally.summary()
        );
        assert_eq!(
            job_replay(&job),
            "hangar run scenarios/exit/exit-status.toml --target openssh --seed 7 -v"
        );
        let line = report::error_summary_line(
            &scenario.path,
            job.label,
            job.seed,
            "panicked at x.rs:1: boom",
            &job_replay(&job),
        );
        assert_eq!(
            line,
            "error   scenarios/exit/exit-status.toml [openssh] seed=7\n          panicked at x.rs:1: boom\n          replay: hangar run scenarios/exit/exit-status.toml --target openssh --seed 7 -v"
        );
    }

    #[test]
    fn failures_outrank_passes_and_errors_outrank_failures() {
        let mut tally = Tally {
            passed: 3,
            ..Tally::default()
        };
        assert_eq!(tally.exit_code(), EXIT_PASS);
        tally.failed = 1;
        assert_eq!(tally.exit_code(), EXIT_FAIL);
        tally.errors = 1;
        assert_eq!(tally.exit_code(), EXIT_HARNESS_ERROR);
    }
}
