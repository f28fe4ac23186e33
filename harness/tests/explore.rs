//! Exploring seeds: outcome groups, shards that merge to the whole, and
//! replay commands that reproduce their group's outcome exactly.

use hangar::catalog::load_named;
use hangar::explore::{Exploration, ExploreOptions, SeedRange, Shard, explore};
use hangar::verdict::{check, expectations_for};
use hangar_scenario::LaneKind;
use hangar_scenario::{Policy, Scenario, Target};

const TARGET: Target = Target::Hangar(Policy::CloseOnExit);

fn cat_big() -> Scenario {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/race/cat-big.toml");
    load_named(&path, "scenarios/race/cat-big.toml").unwrap()
}

fn run(scenario: &Scenario, shard: Option<Shard>, until_fail: bool) -> Exploration {
    let options = ExploreOptions {
        target: TARGET,
        seeds: SeedRange { start: 0, end: 60 },
        shard,
        until_fail,
        workers: 2,
        on_progress: None,
    };
    explore(scenario, &options)
}

#[test]
fn close_on_exit_shows_complete_and_truncated_groups_whose_first_seeds_replay() {
    let scenario = cat_big();
    let found = run(&scenario, None, false);
    assert_eq!(found.seeds_run, 60);
    assert!(found.groups.iter().any(|g| g.key.lost_bytes == 0));
    assert!(found.groups.iter().any(|g| g.key.lost_bytes > 0));
    for group in &found.groups {
        let replay = hangar::sim::run(&scenario, TARGET, group.first_seed).unwrap();
        assert_eq!(
            replay.outcome.lost_bytes, group.key.lost_bytes,
            "seed {}",
            group.first_seed
        );
        assert_eq!(replay.outcome.stdout_bytes, group.key.stdout_bytes);
    }
}

#[test]
fn shards_merge_to_the_unsharded_exploration() {
    let scenario = cat_big();
    let whole = run(&scenario, None, false);
    let parts = (1..=3)
        .map(|k| run(&scenario, Some(Shard { index: k, count: 3 }), false))
        .collect();
    let merged = Exploration::merge(parts);
    assert_eq!(merged.seeds_run, whole.seeds_run);
    assert_eq!(merged.groups, whole.groups);
}

#[test]
fn until_fail_stops_early_on_a_failing_expectation() {
    // Ask for no loss: close-on-exit fails on some seed, and explore stops.
    let mut scenario = cat_big();
    scenario.expect.lost_bytes = Some(0);
    scenario.expect_by_target.clear();
    let found = run(&scenario, None, true);
    assert!(found.seeds_run < 60, "ran {} seeds", found.seeds_run);
    assert!(found.groups.iter().any(|g| g.key.verdict == "fail"));
    let expect = expectations_for(&scenario, TARGET, LaneKind::Sim);
    let failing = found
        .groups
        .iter()
        .find(|g| g.key.verdict == "fail")
        .unwrap();
    let replay = hangar::sim::run(&scenario, TARGET, failing.first_seed).unwrap();
    assert_eq!(check(&expect, &replay.outcome).name(), "fail");
}
