//! The `[seeds]` expectations of the catalog: each scenario that states
//! one is explored over its seeds on each target it names, and the share
//! of seeds that lose bytes must match (`none`, `some` or `all`).

use std::path::PathBuf;

use hangar::catalog::load_all;
use hangar::explore::{ExploreOptions, SeedRange, explore};

#[test]
fn seed_expectations_of_the_catalog_hold() {
    let catalog = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let scenarios = load_all(&[catalog]).unwrap_or_else(|e| panic!("{e:?}"));
    let with_seeds: Vec<_> = scenarios.iter().filter(|s| s.seeds.is_some()).collect();
    assert!(
        !with_seeds.is_empty(),
        "the race scenarios state [seeds] expectations"
    );
    for scenario in with_seeds {
        let seeds = scenario.seeds.as_ref().unwrap();
        for (target, quantifier) in &seeds.lost_bytes {
            let options = ExploreOptions {
                target: *target,
                seeds: SeedRange {
                    start: 0,
                    end: seeds.count,
                },
                shard: None,
                until_fail: false,
                workers: 2,
                on_progress: None,
            };
            let found = explore(scenario, &options);
            let losing = found.seeds_losing_bytes();
            assert!(
                quantifier.holds(losing, found.seeds_run),
                "{} [{target}]: expected {} seeds to lose bytes, {losing} of {} did",
                scenario.path,
                quantifier.name(),
                found.seeds_run
            );
        }
    }
}
