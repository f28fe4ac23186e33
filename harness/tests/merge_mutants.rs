//! Mutants of shard files through `hangar merge`: no input may panic it.
//! Each mutant edits one of two valid shards (bytes flipped, lines dropped
//! or doubled or moved, a field's value swapped for a hostile one, both
//! shards end to end in one file) and
//! merge must answer 0 or 1 with its report, or 2 with an `error:`; the
//! generator's seed is fixed, so a failure replays, and the mutant that
//! failed is printed. Inputs that once crashed it are kept in
//! `mutants/merge-crashes/` and merged on every run.

mod mutants {
    // The scenario catalog's reader is for tests/mutants.rs.
    #[allow(dead_code)]
    pub mod mutate;
}

mod common;

use common::hangar_in_repo as hangar;
use std::path::{Path, PathBuf};

use mutants::mutate::{Rng, hostile_lines, hostile_values, mutate};

const MUTANTS: usize = 160;
const SEED: u64 = 0x006d_6572_6765;

/// Values a field of a shard's JSON may be swapped for.
const HOSTILE_JSON: [&str; 14] = [
    "null",
    "-1",
    "18446744073709551616",
    "1e308",
    "\"\"",
    "\"0..0\"",
    "\"9..3\"",
    "\"0/0\"",
    "\"5/4\"",
    "\"nonsense\"",
    "[]",
    "{}",
    "true",
    "\"pass\"",
];

/// Swaps the value of one field of one line for a hostile one.
fn swap_field(text: &str, rng: &mut Rng) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let at = rng.below(lines.len().max(1));
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let Ok(serde_json::Value::Object(mut object)) = serde_json::from_str(line) else {
                return line.to_string();
            };
            if i != at || object.is_empty() {
                return line.to_string();
            }
            let keys: Vec<String> = object.keys().cloned().collect();
            let key = rng.pick(&keys).clone();
            let hostile: &str = HOSTILE_JSON[rng.below(HOSTILE_JSON.len())];
            let value = serde_json::from_str(hostile).unwrap();
            object.insert(key, value);
            serde_json::Value::Object(object).to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Moves one line to the end.
fn move_line(text: &str, rng: &mut Rng) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return text.to_string();
    }
    let line = lines.remove(rng.below(lines.len()));
    lines.push(line);
    lines.join("\n") + "\n"
}

/// Merges `files`; the failure message when merge did not answer as it must.
fn misanswered(files: &[&Path]) -> Option<String> {
    let mut args = vec!["merge"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = hangar(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let ok = match out.status.code() {
        Some(0 | 1) => !out.stdout.is_empty() && !stderr.contains("panicked"),
        Some(2) => stderr.starts_with("error: ") && out.stdout.is_empty(),
        _ => false,
    };
    (!ok).then(|| format!("{:?}\nstderr: {stderr}", out.status))
}

#[test]
fn mutated_shards_are_merged_or_refused_never_a_panic() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("merge-mutants");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let shards: Vec<String> = (1..=2)
        .map(|k| {
            let shard = format!("{k}/2");
            let out = hangar(&[
                "run",
                "scenarios/exit/exit-status.toml",
                "scenarios/race/cat-big.toml",
                "--seeds",
                "0..6",
                "--shard",
                &shard,
                "--format",
                "json",
            ]);
            String::from_utf8(out.stdout).unwrap()
        })
        .collect();
    let (values, lines) = (hostile_values(), hostile_lines());
    let mut rng = Rng::new(SEED);
    let mutant = dir.join("mutant.json");
    let mut failures = Vec::new();
    for n in 0..MUTANTS {
        let which = rng.below(2);
        let text = match rng.below(5) {
            0 => swap_field(&shards[which], &mut rng),
            1 => move_line(&shards[which], &mut rng),
            // Both shards end to end, one of them mutated.
            2 => shards[1 - which].clone() + &swap_field(&shards[which], &mut rng),
            _ => mutate(&shards[which], &mut rng, &values, &lines),
        };
        std::fs::write(&mutant, &text).unwrap();
        let other = dir.join("other.json");
        std::fs::write(&other, &shards[1 - which]).unwrap();
        if let Some(why) = misanswered(&[&mutant, &other]) {
            failures.push(format!("mutant {n}: {why}\n--- mutant:\n{text}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn shards_that_once_crashed_merge_are_answered() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/mutants/merge-crashes");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for file in &files {
        if let Some(why) = misanswered(&[file]) {
            panic!("{}: {why}", file.display());
        }
    }
}
