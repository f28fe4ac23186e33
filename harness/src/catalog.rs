//! Running a set of scenario files: load and check them all first (bad
//! input runs nothing), then run each against each of its targets.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use hangar_scenario::{LoadError, Scenario, Target, discover, load_str};

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
    pub lane: String,
    pub verbose: bool,
    pub json: bool,
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
    let mut skipped = 0;
    // `--repeat N`: each job N times in a row, compared below.
    let repeat = options.repeat.max(1);
    // Each job as (scenario, the name it is reported under, the target
    // whose expectations it is checked against, the real target that ran
    // it, its results).
    type Job<'s> = (
        &'s Scenario,
        String,
        Target,
        Option<&'s RealTarget>,
        Vec<RunOutcome>,
    );
    let runs: Vec<Job> = if real {
        let mut jobs: Vec<(&Scenario, &RealTarget)> = scenarios
            .iter()
            .flat_map(|scenario| real_targets.iter().map(move |t| (scenario, t)))
            .collect();
        // Said loudly, per run, and counted: a skip is never a pass.
        jobs.retain(
            |(scenario, target)| match crate::real::unsupported(scenario, target) {
                Some(why) => {
                    skipped += 1;
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
        out_header(&mut out, options, scenarios.len(), jobs.len(), seed);
        let repeated = repeat_each(&jobs, repeat);
        let results = run_parallel_with(&repeated, options.workers, |(scenario, target)| {
            crate::real::run(scenario, target)
        });
        jobs.iter()
            .zip(in_groups(results, repeat))
            .map(|((s, t), r)| (*s, t.label(), t.like, Some(*t), r))
            .collect()
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
        out_header(&mut out, options, scenarios.len(), jobs.len(), seed);
        let results = run_parallel(&repeat_each(&jobs, repeat), seed, options.workers);
        jobs.iter()
            .zip(in_groups(results, repeat))
            .map(|((s, t), r)| (*s, t.to_string(), *t, None, r))
            .collect()
    };
    let mut code = EXIT_PASS;
    let (mut passed, mut failed, mut flaky) = (0, 0, 0);
    for (scenario, label, target, real_target, results) in runs {
        let job = JobRef {
            scenario,
            label: &label,
            target,
            repeat,
            real,
        };
        // `--retries`: a real job that did not pass runs again, its failed
        // tries reported in full (`may_retry`).
        let mut tries: Vec<Judged> = Vec::new();
        let mut results = results;
        loop {
            let judged = match judge(&job, results) {
                Ok(judged) => judged,
                Err(e) => {
                    eprintln!("{} [{label}] seed={seed}: {e}", scenario.path);
                    return EXIT_HARNESS_ERROR;
                }
            };
            let retry = may_retry(
                &judged.verdict,
                judged.difference.is_some(),
                judged.every_run_passed,
            );
            let again = real_target.filter(|_| retry && tries.len() < options.retries);
            tries.push(judged);
            let Some(real_target) = again else { break };
            results = (0..repeat)
                .map(|_| crate::real::run(scenario, real_target))
                .collect();
        }
        let judged = tries.last().expect("one try at least");
        if judged.verdict == Verdict::Pass {
            passed += 1;
            flaky += usize::from(tries.len() > 1);
        } else {
            failed += 1;
            code = EXIT_FAIL;
        }
        let of = tries.len();
        for (n, one) in tries.iter().enumerate() {
            report_try(
                &mut out,
                options,
                &job,
                one,
                (of > 1).then_some((n + 1, of)),
            );
        }
    }
    if !options.json {
        let skipped = if skipped > 0 {
            format!(", {skipped} skipped")
        } else {
            String::new()
        };
        let flaky = if flaky > 0 {
            format!(" ({flaky} of them only on a retry: flaky)")
        } else {
            String::new()
        };
        out.line(&format!(
            "\n{passed} passed{flaky}, {failed} failed or unknown{skipped}"
        ));
    }
    code
}

/// One job of a `hangar run`, as its runs are judged and reported.
struct JobRef<'a> {
    scenario: &'a Scenario,
    label: &'a str,
    /// The target whose expectations apply.
    target: Target,
    repeat: usize,
    real: bool,
}

/// A job's runs judged: the first run, its verdict, and how the repeated
/// runs' traces differ, if they do.
struct Judged {
    result: sim::RunResult,
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

fn judge(job: &JobRef, results: Vec<RunOutcome>) -> Result<Judged, sim::RunError> {
    let mut done = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    let expectations = expectations_for(job.scenario, job.target);
    let mut verdicts: Vec<Verdict> = done
        .iter()
        .map(|r| check(&expectations, &r.outcome))
        .collect();
    let texts: Vec<String> = done
        .iter()
        .zip(&verdicts)
        .map(|(r, verdict)| {
            if job.real {
                crate::real::observe::snapshot_text(job.scenario, r, verdict)
            } else {
                report::trace_text(job.scenario, r, verdict)
            }
        })
        .collect();
    let every_run_passed = verdicts.iter().all(|v| *v == Verdict::Pass);
    let result = done.swap_remove(0);
    let mut verdict = verdicts.swap_remove(0);
    let racy = job.real && job.scenario.tags.iter().any(|t| t == REAL_RACE);
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
        if let Some((n, of)) = r#try {
            line["try"] = serde_json::json!(n);
            line["tries"] = serde_json::json!(of);
        }
        out.line(&line.to_string());
        return;
    }
    if options.verbose || (job.real && *verdict != Verdict::Pass) {
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

type RunOutcome = Result<sim::RunResult, sim::RunError>;

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

fn out_header(out: &mut Output, options: &RunOptions, files: usize, runs: usize, seed: u64) {
    if !options.json {
        out.line(&format!(
            "hangar: {files} scenario file(s), {runs} run(s), lane {}, seed {seed}, {} worker(s)",
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
/// simulation; results come back in the order of `jobs`, so the report
/// does not depend on which worker ran what.
pub fn run_parallel(jobs: &[(&Scenario, Target)], seed: u64, workers: usize) -> Vec<RunOutcome> {
    run_parallel_with(jobs, workers, |(scenario, target)| {
        sim::run(scenario, *target, seed)
    })
}

/// [`run_parallel`] with any lane's run function.
fn run_parallel_with<J: Sync>(
    jobs: &[J],
    workers: usize,
    run: impl Fn(&J) -> RunOutcome + Sync,
) -> Vec<RunOutcome> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<RunOutcome>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, jobs.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else {
                        break;
                    };
                    *slots[i].lock().unwrap() = Some(run(job));
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| slot.into_inner().unwrap().expect("every job ran"))
        .collect()
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
}
