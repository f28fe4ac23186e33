//! `hangar merge FILE...`: the JSON of the shards of a `run --seeds` or an
//! `explore` put back together, printed exactly as the unsharded run
//! prints it (text or JSON). Shards that do not belong together (another
//! command, range, hangar version, scenario file content or job list),
//! and a part missing or given twice, are refused with what is wrong.

mod check;
mod shards;

use std::path::{Path, PathBuf};
use std::time::Duration;

use hangar_scenario::{Scenario, Target};

use crate::catalog::load_named;
use crate::explore::Exploration;
use crate::report::seed_jobs::{
    ShardIdentity, file_hash, job_report, job_verdict, seeds_exit_code, seeds_header, seeds_summary,
};
use crate::report::{EXIT_BAD_INPUT, EXIT_PASS, Explored, explore_json, explore_text};
use shards::{JobShard, read_shard};

/// What `hangar merge` was asked to do.
pub struct MergeArgs<'a> {
    pub files: &'a [PathBuf],
    pub json: bool,
    pub verbose: bool,
}

/// A job put back together.
struct Merged {
    scenario: Scenario,
    target: Target,
    range: crate::explore::SeedRange,
    found: Exploration,
}

/// Runs the command; returns the exit code: that of the unsharded run,
/// or 2 when the shards do not belong together.
pub fn merge_command(args: &MergeArgs) -> i32 {
    match merge(args.files) {
        Ok((command, merged)) => print(command, &merged, args),
        Err(message) => {
            eprintln!("{message}");
            EXIT_BAD_INPUT
        }
    }
}

fn merge(files: &[PathBuf]) -> Result<(String, Vec<Merged>), String> {
    let read = files
        .iter()
        .map(|f| read_shard(f))
        .collect::<Result<Vec<_>, _>>()?;
    let jobs = check::gather(read)?;
    let command = jobs[0][0].command.clone();
    let merged = jobs
        .into_iter()
        .map(merge_job)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((command, merged))
}

/// One job's parts as one exploration, checked against the scenario file
/// as it is now: it names the expectations and the replays printed.
fn merge_job(parts: Vec<JobShard>) -> Result<Merged, String> {
    let first = &parts[0];
    let scenario = load_named(Path::new(&first.scenario), &first.scenario).map_err(|e| {
        format!(
            "error: merge: {}: the shards' scenario file: {e}",
            first.scenario
        )
    })?;
    if file_hash(&scenario.path) != first.source_hash {
        return Err(format!(
            "error: merge: {}: the file changed since the shards ran (run them again, or check out the file they ran)",
            first.scenario
        ));
    }
    let target: Target = first
        .target
        .parse()
        .map_err(|e| format!("error: merge: {}: {e}", first.target))?;
    let range = first.range;
    let found = Exploration::merge(
        parts
            .into_iter()
            .map(|part| Exploration {
                groups: part.groups,
                seeds_run: part.seeds,
                // The shards ran side by side: the merged run took as
                // long as the longest.
                wall: Duration::from_secs_f64(part.wall_ms.max(0.0) / 1000.0),
            })
            .collect(),
    );
    Ok(Merged {
        scenario,
        target,
        range,
        found,
    })
}

fn print(command: String, merged: &[Merged], args: &MergeArgs) -> i32 {
    if command == "explore" {
        let Some(job) = merged.first() else {
            return EXIT_PASS;
        };
        let explored = what(job);
        if args.json {
            for line in explore_json(&explored, &job.found, false) {
                println!("{line}");
            }
        } else {
            print!("{}", explore_text(&explored, &job.found));
        }
        return seeds_exit_code(&[job_verdict(&explored, &job.found)]);
    }
    let identity = ShardIdentity {
        command: "run",
        until_fail: false,
    };
    let mut verdicts = Vec::with_capacity(merged.len());
    let range = merged[0].range;
    let runs = merged.len() as u64 * range.count(None);
    let mut files: Vec<&str> = merged.iter().map(|m| m.scenario.path.as_str()).collect();
    files.dedup();
    if !args.json {
        println!("{}", seeds_header(files.len(), runs, range, None));
    }
    for job in merged {
        let explored = what(job);
        verdicts.push(job_verdict(&explored, &job.found));
        for line in job_report(&explored, &job.found, &identity, args.json, args.verbose) {
            println!("{line}");
        }
    }
    if !args.json {
        println!("{}", seeds_summary(&verdicts, runs));
    }
    seeds_exit_code(&verdicts)
}

/// A merged job as the unsharded run saw it: the whole range.
fn what(m: &Merged) -> Explored<'_> {
    Explored {
        scenario: &m.scenario,
        target: m.target,
        seeds: m.range,
        shard: None,
    }
}
