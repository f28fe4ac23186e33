//! Mutants of the catalog through the loader and a short simulation: no
//! input may panic or hang the harness. Each mutant (byte flips, lines
//! deleted or doubled, values swapped with each other and with hostile
//! ones) is loaded with every check; one that loads runs on one of its
//! targets with its horizon cut to 2 s of virtual time, each bounded by a
//! wall-clock limit. A few go through the command line, which must exit 0,
//! 1 or 2. The generator's seed is fixed, so a failure replays; the
//! mutant that failed is printed in full. `ci/mutants` runs many more
//! through the release binary.

mod mutants {
    pub mod mutate;
}

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hangar::catalog::isolated;
use hangar::validate::check_scenario;
use hangar_scenario::{Scenario, load_str};
use mutants::mutate::{Rng, catalog, hostile_lines, hostile_values, mutate};

/// Mutants loaded (and run, when they load) in the test suite.
const MUTANTS: usize = 3000;
/// Mutants run through the command line.
const CLI_MUTANTS: usize = 24;
/// The generator's seed.
const SEED: u64 = 0x6d75_7461_6e74;
/// The virtual time a mutant runs for at most.
const HORIZON: Duration = Duration::from_secs(2);
/// The wall-clock time one mutant may take, load and run.
const WALL_LIMIT: Duration = Duration::from_secs(20);

/// The `n`-th mutant: (the catalog file it comes from, its text, the
/// seed its run uses).
fn mutants(count: usize, seed: u64) -> Vec<(String, String, u64)> {
    let files = catalog();
    let (values, lines) = (hostile_values(), hostile_lines());
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|_| {
            let (name, text) = rng.pick(&files);
            let mutant = mutate(text, &mut rng, &values, &lines);
            (name.clone(), mutant, rng.next_u64() % 1000)
        })
        .collect()
}

/// `scenario` cut to [`HORIZON`]: the steps after it are dropped.
fn cut(mut scenario: Scenario) -> Scenario {
    scenario.world.horizon = scenario.world.horizon.min(HORIZON);
    let horizon = scenario.world.horizon;
    scenario.steps.retain(|step| step.at.max <= horizon);
    scenario
}

/// Loads `text` and, when it loads, runs it on one of its targets, its
/// horizon cut to [`HORIZON`] when `short`. `Err` is a panic, with its
/// message.
fn load_and_run(name: &str, text: &str, seed: u64, short: bool) -> Result<(), String> {
    isolated(|| {
        let Ok(scenario) = load_str(name, text) else {
            return;
        };
        if check_scenario(&scenario, text).is_err() || scenario.targets.is_empty() {
            return;
        }
        let target = scenario.targets[seed as usize % scenario.targets.len()];
        // A harness error is reported as such, not a panic: allowed here.
        let scenario = if short { cut(scenario) } else { scenario };
        let _ = hangar::sim::run(&scenario, target, seed);
    })
    .map_err(|failure| failure.0)
}

#[test]
fn mutants_of_the_catalog_load_and_run_without_panicking_or_hanging() {
    let all = mutants(MUTANTS, SEED);
    let next = AtomicUsize::new(0);
    // What each worker is on, and since when: the main thread watches.
    let busy: Mutex<Vec<Option<(usize, Instant)>>> = Mutex::new(vec![None; 2]);
    let panics: Mutex<Vec<String>> = Mutex::default();
    let finished = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for worker in 0..2 {
            let (all, next, busy, panics, finished) = (&all, &next, &busy, &panics, &finished);
            scope.spawn(move || {
                while let Some((name, text, seed)) = all.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let i = next.load(Ordering::Relaxed) - 1;
                    busy.lock().unwrap()[worker] = Some((i, Instant::now()));
                    if let Err(message) = load_and_run(name, text, *seed, true) {
                        panics.lock().unwrap().push(format!(
                            "mutant {i} of {name}, seed {seed}: {message}\n--- mutant ---\n{}\n---",
                            shorten(text)
                        ));
                    }
                    busy.lock().unwrap()[worker] = None;
                }
                finished.fetch_add(1, Ordering::Relaxed);
            });
        }
        while finished.load(Ordering::Relaxed) < 2 {
            std::thread::sleep(Duration::from_millis(100));
            for (i, since) in busy.lock().unwrap().iter().flatten() {
                if since.elapsed() > WALL_LIMIT {
                    let (name, text, seed) = &all[*i];
                    // The worker cannot be stopped: end the whole test.
                    eprintln!(
                        "mutant {i} of {name}, seed {seed}: still running after {WALL_LIMIT:?}\n--- mutant ---\n{}\n---",
                        shorten(text)
                    );
                    std::process::exit(1);
                }
            }
        }
    });
    let panics = panics.into_inner().unwrap();
    assert!(
        panics.is_empty(),
        "{} mutant(s) panicked:\n{}",
        panics.len(),
        panics.join("\n")
    );
}

#[test]
fn mutants_through_the_command_line_exit_0_1_or_2() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("mutants-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let mut bad = Vec::new();
    // Another seed: other mutants than the test above.
    for (i, (name, text, seed)) in mutants(CLI_MUTANTS, SEED + 1).into_iter().enumerate() {
        let path = dir.join(format!("mutant-{i}.toml"));
        std::fs::write(&path, &text).unwrap();
        let code = run_bounded(&path, seed);
        if !matches!(code, Some(0..=2)) {
            bad.push(format!(
                "mutant {i} of {name}, seed {seed}: exit {code:?}\n--- mutant ---\n{}\n---",
                shorten(&text)
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// `hangar run path --seed seed`'s exit code; `None` for a signal or a run
/// still going after [`WALL_LIMIT`] (killed).
fn run_bounded(path: &Path, seed: u64) -> Option<i32> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args([
            "run",
            path.to_str().unwrap(),
            "--seed",
            &seed.to_string(),
            "-j",
            "2",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if started.elapsed() > WALL_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The smallest mutant of each crash class `ci/mutants` found, kept as
/// regressions: each must load (or be refused) and run, its whole
/// horizon, without a panic and within the wall-clock limit.
#[test]
fn saved_crashing_inputs_load_and_run_without_panicking_or_hanging() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mutants/crashes");
    let mut panics = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // In a thread of its own, so that one still running after the
        // wall-clock limit fails the test instead of hanging it.
        let (done, finished) = std::sync::mpsc::channel();
        let input = name.clone();
        std::thread::spawn(move || done.send(load_and_run(&input, &text, 0, false)));
        match finished.recv_timeout(WALL_LIMIT) {
            Ok(Ok(())) => {}
            Ok(Err(message)) => panics.push(format!("{name}: {message}")),
            Err(_) => panics.push(format!("{name}: still running after {WALL_LIMIT:?}")),
        }
    }
    assert!(panics.is_empty(), "{}", panics.join("\n"));
}

/// A mutant for a failure message: a very long value cut short.
fn shorten(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.len() > 200 {
                format!(
                    "{}... ({} bytes)",
                    &line[..line.floor_char_boundary(200)],
                    line.len()
                )
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
