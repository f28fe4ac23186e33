//! The `[seeds]` expectations of the catalog: each scenario that states
//! one is explored over its seeds on each target it names, and the share
//! of seeds that lose bytes must match (`none`, `some` or `all`).

use std::path::PathBuf;

use hangar::catalog::load;
use hangar::explore::{ExploreOptions, SeedRange, explore};
use rstest::rstest;

#[rstest]
fn seed_expectations_hold(#[files("../scenarios/**/*.toml")] path: PathBuf) {
    let scenario = load(&path).unwrap_or_else(|e| panic!("{e}"));
    let Some(seeds) = &scenario.seeds else {
        // Scenarios without `[seeds]` are checked on one seed by the
        // snapshot tests; here there is nothing more to check.
        return;
    };
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
        let found = explore(&scenario, &options).unwrap();
        let losing: u64 = found
            .groups
            .iter()
            .filter(|g| g.key.lost_bytes > 0)
            .map(|g| g.count)
            .sum();
        assert!(
            quantifier.holds(losing, found.seeds_run),
            "{} [{target}]: expected {} seeds to lose bytes, {losing} of {} did",
            scenario.path,
            quantifier.name(),
            found.seeds_run
        );
    }
}
