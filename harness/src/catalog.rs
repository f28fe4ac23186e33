//! Running a set of scenario files: load and check them all first (bad
//! input runs nothing), then run each against each of its targets.

use std::path::PathBuf;

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
    if options.lane != report::LANE_SIM {
        eprintln!(
            "error: unknown lane `{}`: this build has the `sim` lane only\n  example: hangar run scenarios/ --lane sim",
            options.lane
        );
        return EXIT_BAD_INPUT;
    }
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
    if !options.json {
        println!(
            "hangar: {} scenario file(s), lane sim, seed {seed}",
            scenarios.len()
        );
    }
    let mut code = EXIT_PASS;
    let (mut passed, mut failed) = (0, 0);
    for scenario in &scenarios {
        let targets = if chosen.is_empty() {
            scenario.targets.clone()
        } else {
            chosen.clone()
        };
        for target in targets {
            let result = match sim::run(scenario, target, seed) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("{} [{target}] seed={seed}: {e}", scenario.path);
                    return EXIT_HARNESS_ERROR;
                }
            };
            let verdict = check(&expectations_for(scenario, target), &result.outcome);
            if verdict == Verdict::Pass {
                passed += 1;
            } else {
                failed += 1;
                code = EXIT_FAIL;
            }
            if options.json {
                println!("{}", report::json_line(scenario, &result, &verdict));
            } else {
                if options.verbose {
                    println!("\n{}", report::trace_text(scenario, &result, &verdict));
                }
                println!("{}", report::summary_line(scenario, &result, &verdict));
            }
        }
    }
    if !options.json {
        println!("\n{passed} passed, {failed} failed or unknown");
    }
    code
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
