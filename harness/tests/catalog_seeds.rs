//! The catalog passes on every seed, not only on seed 0: a race that a
//! scenario's expectations pin to one interleaving fails on the seeds that
//! draw another. `ci/test` runs the whole catalog over seeds 0..100 with
//! the release binary; this test covers the first seeds of every file and
//! target in the test suite (`tests/distributions.rs` runs the `[seeds]`
//! tables' ranges).

use std::path::PathBuf;

use hangar::catalog::load_all;
use hangar::explore::{ExploreOptions, SeedRange, explore};

/// Seeds every scenario must pass on, on each of its targets.
const FIRST_SEEDS: u64 = 6;

#[test]
fn every_catalog_scenario_passes_on_its_first_seeds() {
    let catalog = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let scenarios = load_all(&[catalog]).unwrap_or_else(|e| panic!("{e:?}"));
    let mut failures = Vec::new();
    for scenario in &scenarios {
        for target in &scenario.targets {
            let options = ExploreOptions {
                target: *target,
                seeds: SeedRange {
                    start: 0,
                    end: FIRST_SEEDS,
                },
                shard: None,
                until_fail: false,
                workers: 2,
                on_progress: None,
            };
            let found = explore(scenario, &options);
            for group in found.groups.iter().filter(|g| g.key.verdict != "pass") {
                failures.push(format!(
                    "{} [{target}]: {} seed(s) {}, first seed {}",
                    scenario.path,
                    group.count,
                    group.key.describe(),
                    group.first_seed
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
