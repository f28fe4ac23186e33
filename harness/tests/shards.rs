//! Sharded runs put back together: a seed range run as four shard
//! processes and merged prints, byte for byte, what the unsharded run
//! prints (wall times aside); shards that do not belong together are
//! refused with what is wrong.

mod common;

use common::{hangar_in_repo as hangar, repo};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CATALOG: [&str; 2] = ["scenarios/exit", "scenarios/race/cat-big.toml"];
const SEEDS: &str = "0..40";

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("shards-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Output without what measures the machine: the wall-time line of an
/// exploration and the JSON's wall_ms and seeds_per_s.
fn without_wall(text: &[u8]) -> String {
    String::from_utf8_lossy(text)
        .lines()
        .filter(|line| !(line.contains(" seeds in ") && line.ends_with("seeds/s)")))
        .map(
            |line| match serde_json::from_str::<serde_json::Value>(line) {
                Ok(mut value) if value.is_object() => {
                    let object = value.as_object_mut().unwrap();
                    object.remove("wall_ms");
                    object.remove("seeds_per_s");
                    value.to_string()
                }
                _ => line.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `args` as `parts` shard processes side by side, each writing its
/// JSON to a file in `dir`; returns the files.
fn shards(dir: &Path, args: &[&str], parts: u64) -> Vec<PathBuf> {
    let children: Vec<(PathBuf, std::process::Child)> = (1..=parts)
        .map(|k| {
            let file = dir.join(format!("shard-{k}.json"));
            let shard = format!("{k}/{parts}");
            let child = Command::new(env!("CARGO_BIN_EXE_hangar"))
                .args(args)
                .args(["--shard", &shard, "--format", "json", "-j", "1"])
                .current_dir(repo())
                .stdout(std::fs::File::create(&file).unwrap())
                .spawn()
                .unwrap();
            (file, child)
        })
        .collect();
    children
        .into_iter()
        .map(|(file, mut child)| {
            let status = child.wait().unwrap();
            assert!(status.code().is_some_and(|c| c <= 1), "{args:?}: {status}");
            file
        })
        .collect()
}

fn merge(files: &[PathBuf], extra: &[&str]) -> Output {
    let mut args = vec!["merge"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    args.extend(extra);
    hangar(&args)
}

#[test]
fn four_shards_of_a_catalog_run_merge_to_the_unsharded_output() {
    let dir = scratch("run");
    let mut args = vec!["run"];
    args.extend(CATALOG);
    args.extend(["--seeds", SEEDS]);
    let whole = hangar(&args);
    let files = shards(&dir, &args, 4);
    // Given in any order.
    let reversed: Vec<PathBuf> = files.iter().rev().cloned().collect();
    let merged = merge(&reversed, &[]);
    assert_eq!(
        without_wall(&merged.stdout),
        without_wall(&whole.stdout),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    assert_eq!(merged.status.code(), whole.status.code());
    // And as JSON.
    let whole_json = hangar(&[&args[..], &["--format", "json"]].concat());
    let merged_json = merge(&files, &["--format", "json"]);
    assert_eq!(
        without_wall(&merged_json.stdout),
        without_wall(&whole_json.stdout)
    );
}

#[test]
fn four_shards_of_an_exploration_merge_to_the_unsharded_output() {
    let dir = scratch("explore");
    let args = [
        "explore",
        "scenarios/race/cat-big.toml",
        "--target",
        "hangar:close-on-exit",
        "--seeds",
        "0..120",
    ];
    let whole = hangar(&args);
    let merged = merge(&shards(&dir, &args, 4), &[]);
    assert_eq!(without_wall(&merged.stdout), without_wall(&whole.stdout));
    assert!(String::from_utf8_lossy(&merged.stdout).contains("first seed 0 "));
}

/// The message of a merge that is refused: exit 2, nothing on stdout.
fn refused(files: &[PathBuf]) -> String {
    let out = merge(files, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty(), "{stderr}");
    stderr
}

#[test]
fn shards_that_do_not_belong_together_are_refused() {
    let dir = scratch("refused");
    let args = ["run", "scenarios/exit/exit-status.toml", "--seeds", "0..8"];
    let files = shards(&dir, &args, 2);
    assert!(refused(&files[..1]).contains("shard(s) 2/2 missing"));
    assert!(refused(&[files[0].clone(), files[0].clone()]).contains("shard 1/2 is given twice"));

    let other_range = scratch("refused-range");
    let wider = shards(
        &other_range,
        &["run", "scenarios/exit/exit-status.toml", "--seeds", "0..9"],
        2,
    );
    assert!(
        refused(&[files[0].clone(), wider[1].clone()])
            .contains("seeds 0..9, the others seeds 0..8")
    );

    let other_jobs = scratch("refused-jobs");
    let more = shards(
        &other_jobs,
        &[
            "run",
            "scenarios/exit/killed-by-signal.toml",
            "--seeds",
            "0..8",
        ],
        2,
    );
    assert!(refused(&[files[0].clone(), more[1].clone()]).contains("holds other jobs"));

    let stopped = scratch("refused-until");
    let until = shards(
        &stopped,
        &[
            "run",
            "scenarios/exit/exit-status.toml",
            "--seeds",
            "0..8",
            "--until",
            "fail",
        ],
        2,
    );
    assert!(refused(&until).contains("--until fail"));

    let not_json = dir.join("not.json");
    std::fs::write(&not_json, "pass scenarios/exit/exit-status.toml\n").unwrap();
    let message = refused(&[not_json]);
    assert!(
        message.contains("not.json:1:1: expected one JSON object a line"),
        "{message}"
    );
    assert!(message.contains("example: hangar run"), "{message}");
}

#[test]
fn a_scenario_file_changed_since_its_shards_ran_is_refused() {
    let dir = scratch("changed");
    let file = dir.join("exit.toml");
    let original = std::fs::read_to_string(repo().join("scenarios/exit/exit-status.toml")).unwrap();
    std::fs::write(&file, &original).unwrap();
    let path = file.to_str().unwrap();
    let files = shards(&dir, &["run", path, "--seeds", "0..4"], 2);
    assert_eq!(merge(&files, &[]).status.code(), Some(0));
    std::fs::write(&file, format!("{original}\n# edited\n")).unwrap();
    assert!(refused(&files).contains("the file changed since the shards ran"));
}
