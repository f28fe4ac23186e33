//! Running one scenario on one target over many seeds, on every core.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hangar_scenario::{Scenario, Target};

use super::groups::{Group, OutcomeKey};
use super::seeds::{SeedRange, Shard};
use crate::sim::{self, RunError};
use crate::verdict::{Verdict, check, expectations_for};

pub struct ExploreOptions {
    pub target: Target,
    pub seeds: SeedRange,
    pub shard: Option<Shard>,
    /// Stop handing out seeds once a run does not pass.
    pub until_fail: bool,
    pub workers: usize,
    /// Called after each run with (runs done, runs planned): progress.
    pub on_progress: Option<Box<dyn Fn(u64, u64) + Sync>>,
}

/// What an exploration found.
pub struct Exploration {
    /// Outcome groups in key order (verdict, exit, bytes, survivors).
    pub groups: Vec<Group>,
    /// Seeds actually run (fewer than planned when stopped early).
    pub seeds_run: u64,
    pub wall: Duration,
}

impl Exploration {
    /// Merges explorations of shards of one range: the result equals the
    /// unsharded exploration's groups.
    pub fn merge(parts: Vec<Exploration>) -> Exploration {
        let mut groups: BTreeMap<OutcomeKey, Group> = BTreeMap::new();
        let mut seeds_run = 0;
        let mut wall = Duration::ZERO;
        for part in parts {
            seeds_run += part.seeds_run;
            wall = wall.max(part.wall);
            for group in part.groups {
                add(&mut groups, group);
            }
        }
        Exploration {
            groups: groups.into_values().collect(),
            seeds_run,
            wall,
        }
    }

    /// How many of the seeds run lost bytes.
    pub fn seeds_losing_bytes(&self) -> u64 {
        self.groups
            .iter()
            .filter(|g| g.key.lost_bytes > 0)
            .map(|g| g.count)
            .sum()
    }

    pub fn seeds_per_second(&self) -> f64 {
        self.seeds_run as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

fn add(groups: &mut BTreeMap<OutcomeKey, Group>, group: Group) {
    match groups.get_mut(&group.key) {
        Some(existing) => existing.merge(group),
        None => {
            groups.insert(group.key.clone(), group);
        }
    }
}

pub fn explore(scenario: &Scenario, options: &ExploreOptions) -> Result<Exploration, RunError> {
    let started = Instant::now();
    let seeds = options.seeds.seeds(options.shard);
    let expect = expectations_for(scenario, options.target);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let groups: Mutex<BTreeMap<OutcomeKey, Group>> = Mutex::default();
    let error: Mutex<Option<RunError>> = Mutex::default();
    std::thread::scope(|scope| {
        for _ in 0..options.workers.clamp(1, seeds.len().max(1)) {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let Some(&seed) = seeds.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    let result = match sim::run(scenario, options.target, seed) {
                        Ok(result) => result,
                        Err(e) => {
                            *error.lock().unwrap() = Some(e);
                            stop.store(true, Ordering::Relaxed);
                            break;
                        }
                    };
                    let verdict = check(&expect, &result.outcome);
                    if options.until_fail && verdict != Verdict::Pass {
                        stop.store(true, Ordering::Relaxed);
                    }
                    let key = OutcomeKey::of(&result.outcome, &verdict);
                    add(
                        &mut groups.lock().unwrap(),
                        Group::new(key, seed, result.swarm),
                    );
                    let finished = done.fetch_add(1, Ordering::Relaxed) as u64 + 1;
                    if let Some(progress) = &options.on_progress {
                        progress(finished, seeds.len() as u64);
                    }
                }
            });
        }
    });
    if let Some(e) = error.into_inner().unwrap() {
        return Err(e);
    }
    Ok(Exploration {
        groups: groups.into_inner().unwrap().into_values().collect(),
        seeds_run: done.into_inner() as u64,
        wall: started.elapsed(),
    })
}
