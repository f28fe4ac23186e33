//! `hangar run --seeds A..B`: each scenario and target over a range of
//! seeds, grouped by outcome as `explore` groups them. A job that passes
//! on every seed is one line with its count; any other job prints its
//! groups with their first seeds and replays. `hangar merge` prints the
//! same from the shards' JSON, so both go through here.

use std::fmt::Write;

use serde_json::json;

use super::explore::{Explored, group_lines, seed_check};
use super::run::replay_command;
use crate::explore::{Exploration, SeedRange, Shard};

/// A job's word: `error` when the harness failed on some seed, else
/// `fail` when some seed failed (or the `[seeds]` expectation, once the
/// range is as large as its `count`, does not hold), else `unknown` when
/// some seed ended unknown, else `pass`.
pub fn job_verdict(what: &Explored, found: &Exploration) -> &'static str {
    let has = |word: &str| found.groups.iter().any(|g| g.key.verdict == word);
    if has("error") {
        "error"
    } else if has("fail") || seeds_expectation_fails(what, found) {
        "fail"
    } else if has("unknown") {
        "unknown"
    } else {
        "pass"
    }
}

/// `[seeds] count = N` is the sample its quantifier speaks of: a smaller
/// range is not judged by it.
fn seeds_expectation_fails(what: &Explored, found: &Exploration) -> bool {
    let judged = what
        .scenario
        .seeds
        .as_ref()
        .is_some_and(|seeds| found.seeds_run >= seeds.count);
    judged && seed_check(what, found).is_some_and(|check| !check.holds)
}

/// The job's line, and its groups when it did not pass (or `verbose`).
pub fn job_text(what: &Explored, found: &Exploration, verbose: bool) -> String {
    let verdict = job_verdict(what, found);
    let passed: u64 = found
        .groups
        .iter()
        .filter(|g| g.key.verdict == "pass")
        .map(|g| g.count)
        .sum();
    let count = if verdict == "pass" {
        format!("{passed} of {} seeds passed", found.seeds_run)
    } else {
        format!(
            "{} of {} seeds did not pass",
            found.seeds_run - passed,
            found.seeds_run
        )
    };
    let mut out = format!(
        "{verdict:<7} {} [{}] seeds {}: {count}, {} outcome(s)\n",
        what.scenario.path,
        what.target,
        what.seeds,
        found.groups.len()
    );
    if verdict != "pass" || verbose {
        out.push_str(&group_lines(what, found));
        if let Some(check) = seed_check(what, found) {
            let _ = writeln!(out, "          {}", check.line);
        }
    }
    out
}

/// What a job over seeds prints: its JSON lines, or its text (one line,
/// or its groups). `run --seeds` and `merge` print through here alike.
pub fn job_report(
    what: &Explored,
    found: &Exploration,
    identity: &ShardIdentity,
    json: bool,
    verbose: bool,
) -> Vec<String> {
    if json {
        job_json(what, found, identity)
    } else {
        vec![job_text(what, found, verbose).trim_end().to_string()]
    }
}

/// The first line of a run over seeds: what `merge` prints again, so it
/// names nothing of the machine (no worker count).
pub fn seeds_header(files: usize, runs: u64, range: SeedRange, shard: Option<Shard>) -> String {
    let shard = shard.map_or(String::new(), |s| format!(" shard {s}"));
    format!("hangar: {files} scenario file(s), {runs} run(s), lane sim, seeds {range}{shard}")
}

/// The job as JSON lines: one per outcome group, then the job's own,
/// which says what a shard of it is (see `merge`).
pub fn job_json(what: &Explored, found: &Exploration, identity: &ShardIdentity) -> Vec<String> {
    let mut lines: Vec<String> = found
        .groups
        .iter()
        .map(|g| {
            let mut line = g.json(&replay_command(what.scenario, what.target, g.first_seed));
            line["scenario"] = json!(what.scenario.path);
            line["target"] = json!(what.target.to_string());
            line.to_string()
        })
        .collect();
    let mut summary = identity.json(what);
    summary["seeds"] = json!(found.seeds_run);
    summary["verdict"] = json!(job_verdict(what, found));
    summary["wall_ms"] = json!(found.wall.as_secs_f64() * 1000.0);
    summary["seeds_per_s"] = json!(found.seeds_per_second());
    lines.push(summary.to_string());
    lines
}

/// What makes shards of one run belong together: the command, the
/// hangar that ran them, and whether they stopped at a failure.
pub struct ShardIdentity {
    /// `run` or `explore`.
    pub command: &'static str,
    pub until_fail: bool,
}

/// The version of hangar that ran a shard.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

impl ShardIdentity {
    /// A job's summary object, without its counts.
    pub fn json(&self, what: &Explored) -> serde_json::Value {
        json!({
            "scenario": what.scenario.path,
            "target": what.target.to_string(),
            "command": self.command,
            "range": what.seeds.to_string(),
            "shard": what.shard.map(|s| s.to_string()),
            "until_fail": self.until_fail,
            "source_hash": file_hash(&what.scenario.path),
            "hangar_version": VERSION,
        })
    }
}

/// The hash of a scenario file's bytes as they are on disk: shards of a
/// run name the file they ran, and `merge` refuses shards whose files
/// differ, or differ from the file it reads now.
pub fn file_hash(path: &str) -> String {
    match std::fs::read(path) {
        Ok(bytes) => fnv1a(&bytes),
        Err(e) => format!("unreadable: {e}"),
    }
}

/// FNV-1a, 64 bits: stable across machines and Rust versions, unlike the
/// standard library's hasher.
fn fnv1a(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// The exit code of jobs over seeds: 3 when the harness failed on some
/// seed, else 1 when some job did not pass, else 0.
pub fn seeds_exit_code(verdicts: &[&str]) -> i32 {
    if verdicts.contains(&"error") {
        super::EXIT_HARNESS_ERROR
    } else if verdicts.iter().any(|v| *v != "pass") {
        super::EXIT_FAIL
    } else {
        super::EXIT_PASS
    }
}

/// The run's last line: jobs by verdict, and the runs they made.
pub fn seeds_summary(verdicts: &[&str], runs: u64) -> String {
    let count = |word: &str| verdicts.iter().filter(|v| **v == word).count();
    let mut line = format!(
        "\n{} passed on every seed, {} failed or unknown",
        count("pass"),
        count("fail") + count("unknown")
    );
    if count("error") > 0 {
        line.push_str(&format!(", {} error(s) of the harness", count("error")));
    }
    line.push_str(&format!(" ({} job(s), {runs} runs)", verdicts.len()));
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_hash_is_fnv_1a() {
        // FNV-1a's published test values.
        assert_eq!(fnv1a(b""), "cbf29ce484222325");
        assert_eq!(fnv1a(b"a"), "af63dc4c8601ec8c");
    }

    #[test]
    fn the_summary_counts_jobs_by_verdict() {
        assert_eq!(
            seeds_summary(&["pass", "fail", "unknown", "pass"], 400),
            "\n2 passed on every seed, 2 failed or unknown (4 job(s), 400 runs)"
        );
        assert_eq!(
            seeds_summary(&["error"], 10),
            "\n0 passed on every seed, 0 failed or unknown, 1 error(s) of the harness (1 job(s), 10 runs)"
        );
    }
}
