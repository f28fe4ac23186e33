//! Seed ranges on the command line: `explore` and `run --seeds` take the
//! seeds one at a time, so a range of ten billion seeds starts at once and
//! stops at the first failure, and a shard of it too.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A scenario that fails on every seed: `exit 7` is expected to be 8.
const FAILS_ON_EVERY_SEED: &str = r#"title = "expects the wrong exit status"
source = "test"

[[step]]
at = "0s"
run = "ssh server 'exit 7'"

[expect]
client = { exit = 8 }
"#;

fn scenario_file(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("seed-ranges");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `hangar` with `args`, killing it after `limit`: a command that
/// does not end in time fails the test instead of hanging it.
fn hangar(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "hangar {args:?} still running after {limit:?}; stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn explore_over_ten_billion_seeds_stops_at_the_first_failure() {
    let path = scenario_file("fails.toml", FAILS_ON_EVERY_SEED);
    for shard in [None, Some("3/4")] {
        let mut args = vec![
            "explore",
            path.to_str().unwrap(),
            "--seeds",
            "0..10000000000",
            "--target",
            "openssh",
            "--until",
            "fail",
            "-j",
            "2",
            "--format",
            "json",
        ];
        if let Some(shard) = shard {
            args.extend(["--shard", shard]);
        }
        let out = hangar(&args, LIMIT);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{shard:?}: {stdout}");
        let summary: serde_json::Value =
            serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
        // Two workers: each stops after the run it has in hand.
        let seeds = summary["seeds"].as_u64().unwrap();
        assert!((1..=2).contains(&seeds), "{shard:?}: ran {seeds} seeds");
        let group: serde_json::Value =
            serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
        assert_eq!(group["verdict"], "fail");
        // Shard 3/4 of 0..: seeds 2, 6, 10, ...
        let first = group["first_seed"].as_u64().unwrap();
        assert_eq!(first % 4, if shard.is_some() { 2 } else { first % 4 });
    }
}

#[test]
fn run_seeds_runs_every_job_on_every_seed_and_prints_the_groups_of_what_fails() {
    let path = scenario_file("fails-too.toml", FAILS_ON_EVERY_SEED);
    let out = hangar(
        &[
            "run",
            path.to_str().unwrap(),
            "--target",
            "openssh",
            "--seeds",
            "5..8",
        ],
        LIMIT,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("3 run(s), lane sim, seeds 5..8"),
        "{stdout}"
    );
    // One outcome group: its first seed with its replay, the others listed.
    assert!(
        stdout.contains("3 of 3 seeds did not pass, 1 outcome(s)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--target openssh --seed 5 -v"),
        "the replay of the first seed: {stdout}"
    );
    for seed in 6..8 {
        assert!(
            stdout.contains(&format!("also seed {seed} ")),
            "{seed}: {stdout}"
        );
    }
    assert!(
        stdout.contains("0 passed on every seed, 1 failed or unknown (1 job(s), 3 runs)"),
        "{stdout}"
    );

    // A job that passes on every seed is one line with its count: files x
    // 4 targets.
    let catalog = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/exit");
    let files = std::fs::read_dir(&catalog)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "toml"))
        })
        .count();
    let out = hangar(
        &["run", catalog.to_str().unwrap(), "--seeds", "0..3"],
        LIMIT,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let jobs = files * 4;
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("pass ")).count(),
        jobs,
        "{stdout}"
    );
    assert!(stdout.contains(": 3 of 3 seeds passed, "), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "{jobs} passed on every seed, 0 failed or unknown ({jobs} job(s), {} runs)",
            jobs * 3
        )),
        "{stdout}"
    );
}

#[test]
fn bad_seed_ranges_are_bad_input() {
    let catalog = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/exit");
    let catalog = catalog.to_str().unwrap();
    for (args, says) in [
        (vec!["run", catalog, "--seeds", "9..3"], "empty"),
        (vec!["run", catalog, "--seeds", "x"], "0..2000"),
        (
            vec!["run", catalog, "--seeds", "0..3", "--lane", "real"],
            "sim lane",
        ),
    ] {
        let out = hangar(&args, LIMIT);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let out = hangar(&["run", catalog, "--seeds", "0..3", "--seed", "4"], LIMIT);
    assert_eq!(out.status.code(), Some(2), "--seed and --seeds together");
}

#[test]
fn run_over_ten_billion_seeds_stops_each_job_at_its_first_failure() {
    let path = scenario_file("fails-until.toml", FAILS_ON_EVERY_SEED);
    let out = hangar(
        &[
            "run",
            path.to_str().unwrap(),
            "--target",
            "openssh",
            "--seeds",
            "0..10000000000",
            "--until",
            "fail",
            "-j",
            "1",
        ],
        LIMIT,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("1 of 1 seeds did not pass")
            || stdout.contains("2 of 2 seeds did not pass"),
        "{stdout}"
    );
}

#[test]
fn shard_and_until_need_a_seed_range() {
    let catalog = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/exit");
    let catalog = catalog.to_str().unwrap();
    for extra in [&["--shard", "1/2"][..], &["--until", "fail"][..]] {
        let out = hangar(&[&["run", catalog][..], extra].concat(), LIMIT);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--seeds"),
            "{extra:?}"
        );
    }
    let out = hangar(&["run", catalog, "--seeds", "0..3", "--repeat", "2"], LIMIT);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error: --repeat"));
}
