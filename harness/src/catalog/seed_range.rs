//! `hangar run PATHS --seeds A..B`: every scenario and target over a
//! range of seeds (or one `--shard k/n` of it), each job explored on every
//! worker and reported by outcome group (`report::seed_jobs`).

use hangar_scenario::{Scenario, Target};

use super::RunOptions;
use super::judge::JobRef;
use super::output::Output;
use crate::explore::{ExploreOptions, SeedRange, Shard, explore};
use crate::report::seed_jobs::{
    ShardIdentity, job_report, job_text, job_verdict, seeds_exit_code, seeds_header, seeds_summary,
};
use crate::report::{EXIT_HARNESS_ERROR, Explored, explore_cases};
use crate::verdict::Verdict;

/// Runs every job over the range; returns the exit code.
pub(crate) fn run_seed_range(
    mut out: Output,
    jobs: &[(&Scenario, Target)],
    files: usize,
    options: &RunOptions,
    range: SeedRange,
    shard: Option<Shard>,
) -> i32 {
    let seeds = range.count(shard);
    let runs = (jobs.len() as u64).saturating_mul(seeds);
    if !options.json {
        out.line(&seeds_header(files, runs, range, shard));
    }
    let bar = out.expect_runs(runs);
    let identity = ShardIdentity {
        command: "run",
        until_fail: options.until_fail,
    };
    let mut verdicts = Vec::with_capacity(jobs.len());
    for (scenario, target) in jobs {
        let step = bar.clone();
        let found = explore(
            scenario,
            &ExploreOptions {
                target: *target,
                seeds: range,
                shard,
                until_fail: options.until_fail,
                workers: options.workers,
                on_progress: step
                    .map(|bar| Box::new(move |_, _| bar.inc(1)) as Box<dyn Fn(u64, u64) + Sync>),
            },
        );
        let what = Explored {
            scenario,
            target: *target,
            seeds: range,
            shard,
        };
        let verdict = job_verdict(&what, &found);
        verdicts.push(verdict);
        for line in job_report(&what, &found, &identity, options.json, options.verbose) {
            out.line(&line);
        }
        for case in explore_cases(&what, &found) {
            out.case(|| case);
        }
        out.page(|html| html.add_exploration(&what, &found));
        if verdict != "pass" {
            let first = found
                .groups
                .iter()
                .filter(|g| g.key.verdict != "pass")
                .map(|g| g.first_seed)
                .min()
                .unwrap_or(range.start);
            let label = target.to_string();
            let job = JobRef {
                scenario,
                label: &label,
                target: *target,
                real_target: None,
                seed: first,
                repeat: 1,
            };
            let text = job_text(&what, &found, false);
            out.failed(&job, &Verdict::Fail(vec![text.trim_end().to_string()]));
        }
    }
    let summary = seeds_summary(&verdicts, runs);
    if out.close(options, &summary) {
        seeds_exit_code(&verdicts)
    } else {
        EXIT_HARNESS_ERROR
    }
}
