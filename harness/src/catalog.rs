//! Running a set of scenario files: load and check them all first (bad
//! input runs nothing), then run each against each of its targets.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use hangar_scenario::{LoadError, Scenario, Target, discover, load_str};

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
    /// Runs of each scenario and target, whose traces must be the same.
    pub repeat: usize,
}

/// Loads one scenario file with every check, the host model's included.
pub fn load(path: &std::path::Path) -> Result<Scenario, LoadError> {
    load_named(path, &path.display().to_string())
}

/// Like [`load`], calling the file `name` in messages and reports.
pub fn load_named(path: &std::path::Path, name: &str) -> Result<Scenario, LoadError> {
    let name = name.to_string();
    let text = std::fs::read_to_string(path).map_err(|e| LoadError {
        file: name.clone(),
        line: 1,
        col: 1,
        key: None,
        message: format!("cannot read the file: {e}"),
        example: None,
    })?;
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
    let mut chosen = Vec::new();
    for name in &options.targets {
        match name.parse::<Target>() {
            Ok(t) => chosen.push(t),
            Err(e) => {
                eprintln!("error: --target: {e}");
                return EXIT_BAD_INPUT;
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
    if real && chosen.is_empty() {
        // The sim targets are models; the real lane needs real peers named.
        chosen = vec![Target::OpenSsh, Target::Dropbear];
    }
    let mut jobs: Vec<(&Scenario, Target)> = scenarios
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
    let mut out = Output::default();
    let mut skipped = 0;
    if real {
        // Said loudly, per run, and counted: a skip is never a pass.
        jobs.retain(
            |(scenario, target)| match crate::real::unsupported(scenario, *target) {
                Some(why) => {
                    skipped += 1;
                    out.line(&format!(
                        "skipped {} [{target}] lane=real: {why}",
                        scenario.path
                    ));
                    false
                }
                None => true,
            },
        );
    }
    if !options.json {
        out.line(&format!(
            "hangar: {} scenario file(s), {} run(s), lane {}, seed {seed}, {} worker(s)",
            scenarios.len(),
            jobs.len(),
            options.lane,
            options.workers
        ));
    }
    // `--repeat N`: each job N times in a row, compared below.
    let repeat = options.repeat.max(1);
    let repeated: Vec<(&Scenario, Target)> = jobs
        .iter()
        .flat_map(|job| std::iter::repeat_n(*job, repeat))
        .collect();
    let mut results = if real {
        run_parallel_with(&repeated, options.workers, |scenario, target| {
            crate::real::run(scenario, target)
        })
    } else {
        run_parallel(&repeated, seed, options.workers)
    }
    .into_iter();
    let mut code = EXIT_PASS;
    let (mut passed, mut failed) = (0, 0);
    for (scenario, target) in &jobs {
        let mut runs = Vec::with_capacity(repeat);
        for result in results.by_ref().take(repeat) {
            match result {
                Ok(r) => runs.push(r),
                Err(e) => {
                    eprintln!("{} [{target}] seed={seed}: {e}", scenario.path);
                    return EXIT_HARNESS_ERROR;
                }
            }
        }
        let expectations = expectations_for(scenario, *target);
        let texts: Vec<String> = runs
            .iter()
            .map(|r| {
                let verdict = check(&expectations, &r.outcome);
                if real {
                    crate::real::observe::snapshot_text(scenario, r, &verdict)
                } else {
                    report::trace_text(scenario, r, &verdict)
                }
            })
            .collect();
        let result = runs.swap_remove(0);
        let mut verdict = check(&expectations, &result.outcome);
        if let Some(diff) = crate::real::observe::repeat_difference(&texts) {
            let text = format!(
                "{} [{target}]: {repeat} runs, traces differ; {diff}",
                scenario.path
            );
            if options.json {
                // Standard output stays one JSON object a line.
                eprintln!("{text}");
            } else {
                out.line(&text);
            }
            let why = format!("the trace differs between repeated runs (--repeat {repeat})");
            verdict = match verdict {
                Verdict::Pass => Verdict::Fail(vec![why]),
                Verdict::Fail(mut d) | Verdict::Unknown(mut d) => {
                    d.push(why);
                    Verdict::Fail(d)
                }
            };
        }
        if verdict == Verdict::Pass {
            passed += 1;
        } else {
            failed += 1;
            code = EXIT_FAIL;
        }
        if options.json {
            out.line(&report::json_line(scenario, &result, &verdict));
        } else {
            if options.verbose {
                out.line(&format!(
                    "\n{}",
                    report::trace_text(scenario, &result, &verdict)
                ));
            }
            out.line(&report::summary_line(scenario, &result, &verdict));
        }
    }
    if !options.json {
        let skipped = if skipped > 0 {
            format!(", {skipped} skipped")
        } else {
            String::new()
        };
        out.line(&format!(
            "\n{passed} passed, {failed} failed or unknown{skipped}"
        ));
    }
    code
}

/// Runs every (scenario, target) on `workers` threads, each with its own
/// simulation; results come back in the order of `jobs`, so the report
/// does not depend on which worker ran what.
pub fn run_parallel(
    jobs: &[(&Scenario, Target)],
    seed: u64,
    workers: usize,
) -> Vec<Result<sim::RunResult, sim::RunError>> {
    run_parallel_with(jobs, workers, |scenario, target| {
        sim::run(scenario, target, seed)
    })
}

/// [`run_parallel`] with any lane's run function.
fn run_parallel_with(
    jobs: &[(&Scenario, Target)],
    workers: usize,
    run: impl Fn(&Scenario, Target) -> Result<sim::RunResult, sim::RunError> + Sync,
) -> Vec<Result<sim::RunResult, sim::RunError>> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<sim::RunResult, sim::RunError>>>> =
        jobs.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, jobs.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((scenario, target)) = jobs.get(i) else {
                        break;
                    };
                    *slots[i].lock().unwrap() = Some(run(scenario, *target));
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
