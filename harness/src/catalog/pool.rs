//! The worker pool: jobs run on worker threads, each isolated from the
//! others, their results back in the order of the jobs.

use hangar_scenario::{Scenario, Target};

use super::isolation::{RunFailure, run_isolated};
use crate::sim;

/// One run as the worker pool returns it: a panic is the outer error, a
/// harness error the lane reported the inner one.
pub(crate) type RunOutcome =
    Result<Result<crate::run::RunResult, crate::run::RunError>, RunFailure>;

/// Runs every (scenario, target) on `workers` threads, each with its own
/// simulation and isolated from the others; results come back in the
/// order of `jobs`, so the report does not depend on which worker ran
/// what.
pub fn run_parallel(jobs: &[(&Scenario, Target)], seed: u64, workers: usize) -> Vec<RunOutcome> {
    run_isolated(jobs, workers, |(scenario, target)| {
        sim::run(scenario, *target, seed)
    })
}

/// Each job `n` times in a row.
pub(crate) fn repeat_each<T: Clone>(jobs: &[T], n: usize) -> Vec<T> {
    jobs.iter()
        .flat_map(|job| std::iter::repeat_n(job.clone(), n))
        .collect()
}

/// Results back in groups of `n`, one group per job.
pub(crate) fn in_groups<R>(results: Vec<R>, n: usize) -> Vec<Vec<R>> {
    let mut results = results.into_iter();
    let mut groups = Vec::new();
    loop {
        let group: Vec<R> = results.by_ref().take(n).collect();
        if group.is_empty() {
            return groups;
        }
        groups.push(group);
    }
}
