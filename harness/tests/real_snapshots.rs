//! One test per scenario file and real target (rstest `#[files]` x
//! `#[values]`): the scenario runs against the real peers on 127.0.0.1,
//! must meet its expectations, and its normalized trace with the stable
//! facts of its outcome must match the snapshot in `snapshots/real/`.
//! What the real lane cannot run (`hangar::real::unsupported`) is skipped
//! with the reason.
//!
//! Runs take two turns at the peers at most at a time (`common/`), so the
//! catalog costs about half its serial time: the longest scenario waits
//! 30 s for a background job, as its sim twin does.

mod common;

use std::path::{Path, PathBuf};

use hangar::catalog::load_named;
use hangar::real::RealTarget;
use hangar::real::observe::snapshot_text;
use hangar::verdict::{Verdict, check, expectations_for};
use hangar_scenario::LaneKind;
use hangar_scenario::Target;
use rstest::rstest;

/// The file's path relative to `scenarios/`, with `/` separators.
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

#[rstest]
fn real_scenario(
    #[files("../scenarios/**/*.toml")] path: PathBuf,
    #[values("openssh", "dropbear", "hangar:wait-eof")] target: &str,
) {
    let relative = relative_path(&path);
    let scenario =
        load_named(&path, &format!("scenarios/{relative}")).unwrap_or_else(|e| panic!("{e}"));
    let target: Target = target.parse().unwrap();
    let real_target = RealTarget::builtin(target);
    if let Some(why) = hangar::real::unsupported(&scenario, &real_target) {
        eprintln!("SKIPPED: {} [{target}] lane=real: {why}", scenario.path);
        return;
    }
    let Some(_turn) = common::real_peers_shared() else {
        return;
    };
    let result = hangar::real::run(&scenario, &real_target).unwrap_or_else(|e| panic!("{e}"));
    let verdict = check(
        &expectations_for(&scenario, target, LaneKind::Real),
        &result.outcome,
    );
    let text = snapshot_text(&scenario, &result, &verdict);
    assert_eq!(verdict, Verdict::Pass, "{verdict:?}\n{text}");
    if scenario
        .tags
        .iter()
        .any(|t| t == hangar::catalog::REAL_RACE)
    {
        eprintln!(
            "NOT FROZEN: {} [{target}]: tagged `real-race`",
            scenario.path
        );
        return;
    }

    let name = format!(
        "{}@{}",
        relative.trim_end_matches(".toml").replace('/', "__"),
        target.to_string().replace(':', "-")
    );
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots/real");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text));
}
