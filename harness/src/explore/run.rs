//! Running one scenario on one target over many seeds, on every core.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hangar_scenario::{Scenario, Target};

use super::groups::{Group, OutcomeKey};
use super::seeds::{SeedRange, Shard};
use crate::catalog::{RunFailure, isolated};
use crate::sim::{self, Swarm};
use crate::verdict::{check, expectations_for};
use hangar_scenario::LaneKind;

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

/// Explores `scenario` over the seeds of `options`. A seed whose run
/// panics or fails in the harness is a group of its own, verdict `error`,
/// and the other seeds still run.
pub fn explore(scenario: &Scenario, options: &ExploreOptions) -> Exploration {
    let started = Instant::now();
    let (range, shard) = (options.seeds, options.shard);
    let planned = range.count(shard);
    let expect = expectations_for(scenario, options.target, LaneKind::Sim);
    // The next index into the shard's seeds: workers share the range
    // through it, so no list of seeds is ever built.
    let next = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let groups: Mutex<BTreeMap<OutcomeKey, Group>> = Mutex::default();
    let workers = options
        .workers
        .clamp(1, usize::try_from(planned).unwrap_or(usize::MAX).max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let Some(seed) = range.nth(shard, next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    let ran = isolated(|| sim::run(scenario, options.target, seed))
                        .and_then(|r| r.map_err(|e| RunFailure(e.to_string())));
                    let group = match ran {
                        Ok(result) => {
                            let verdict = check(&expect, &result.outcome);
                            Group::new(
                                OutcomeKey::of(&result.outcome, &verdict),
                                seed,
                                result.drawn(),
                            )
                        }
                        Err(RunFailure(message)) => {
                            let drawn = isolated(|| Swarm::draw(seed, scenario).describe())
                                .unwrap_or_default();
                            Group::new(OutcomeKey::error(message), seed, drawn)
                        }
                    };
                    if options.until_fail && group.key.verdict != "pass" {
                        stop.store(true, Ordering::Relaxed);
                    }
                    add(&mut groups.lock().unwrap_or_else(|e| e.into_inner()), group);
                    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if let Some(progress) = &options.on_progress {
                        progress(finished, planned);
                    }
                }
            });
        }
    });
    Exploration {
        groups: groups
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_values()
            .collect(),
        seeds_run: done.into_inner(),
        wall: started.elapsed(),
    }
}
