//! One test per scenario file and sim target, generated from the files
//! (rstest `#[files]` x `#[values]`): the run must meet the scenario's
//! expectations, come out byte-identical when repeated with the same seed
//! and when every idle tick is stepped through (no jumps), and match its
//! snapshot in `snapshots/`.

use std::path::{Path, PathBuf};

use hangar::catalog::load_named;
use hangar::report::trace_text;
use hangar::sim::clock::without_jumps;
use hangar::verdict::{Verdict, check, expectations_for};
use hangar_scenario::LaneKind;
use hangar_scenario::Target;
use rstest::rstest;

/// The seed of the snapshotted run.
const SNAPSHOT_SEED: u64 = 0;
/// Further seeds on which repeated runs must be byte-identical.
const DETERMINISM_SEEDS: [u64; 2] = [1, 2];

/// The file's path relative to `scenarios/`, with `/` separators
/// (`pipes/late-writer.toml`): reports and snapshots must not depend on
/// where the repository is checked out.
fn relative_path(path: &Path) -> String {
    let scenarios = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let scenarios = scenarios.canonicalize().unwrap();
    let path = path.canonicalize().unwrap();
    let relative = path.strip_prefix(&scenarios).unwrap();
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// `pipes/late-writer.toml` + `hangar:close-on-exit` ->
/// `pipes__late-writer@hangar-close-on-exit`.
fn snapshot_name(relative: &str, target: Target) -> String {
    let stem = relative.trim_end_matches(".toml").replace('/', "__");
    let target = target.to_string().replace([':', '='], "-");
    format!("{stem}@{target}")
}

#[rstest]
fn scenario(
    #[files("../scenarios/**/*.toml")] path: PathBuf,
    #[values("openssh", "dropbear", "hangar:wait-eof", "hangar:close-on-exit")] target: &str,
) {
    let relative = relative_path(&path);
    let scenario =
        load_named(&path, &format!("scenarios/{relative}")).unwrap_or_else(|e| panic!("{e}"));
    let target: Target = target.parse().unwrap();
    assert!(
        scenario.targets.contains(&target),
        "{}: catalog scenarios run on every sim target; give per-target expectations instead of narrowing `targets`",
        scenario.path
    );
    let run = |seed| hangar::sim::run(&scenario, target, seed).unwrap_or_else(|e| panic!("{e}"));

    let result = run(SNAPSHOT_SEED);
    let verdict = check(
        &expectations_for(&scenario, target, LaneKind::Sim),
        &result.outcome,
    );
    let text = trace_text(&scenario, &result, &verdict);
    assert_eq!(verdict, Verdict::Pass, "\n{text}");
    assert_eq!(
        text,
        trace_text(&scenario, &run(SNAPSHOT_SEED), &verdict),
        "same seed, different trace"
    );
    assert_eq!(
        text,
        trace_text(&scenario, &without_jumps(|| run(SNAPSHOT_SEED)), &verdict),
        "jumping over idle time changed the trace"
    );
    for seed in DETERMINISM_SEEDS {
        let first = run(seed);
        let again = run(seed);
        let verdict = check(
            &expectations_for(&scenario, target, LaneKind::Sim),
            &first.outcome,
        );
        assert_eq!(
            trace_text(&scenario, &first, &verdict),
            trace_text(&scenario, &again, &verdict),
            "seed {seed}: same seed, different trace"
        );
    }

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(snapshot_name(&relative, target), text));
}
