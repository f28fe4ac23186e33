//! `hangar shrink` turns a failing seed into a smaller scenario file that
//! loads and still fails the same way.

use std::process::Command;

use hangar::catalog::load;
use hangar::verdict::{check, expectations_for};
use hangar_scenario::LaneKind;
use hangar_scenario::{Policy, Target};

const PADDED: &str = r#"title = "cat big loses bytes over close-on-exit, with noise around it"
source = "000_7bc76eb44a87564d.txt"
targets = ["hangar:close-on-exit"]

[world]
horizon = "60s"
files = { big = "1MiB", other = "64KiB" }

[[step]]
at = "0s"
run = "ssh server 'sleep 4; cat big'"

[[step]]
at = "1s"
net = "latency 20ms"

[[step]]
at = "2s"
run = "ssh server 'sleep 2'"

[expect]
lost_bytes = 0
"#;

#[test]
fn a_failing_seed_shrinks_to_a_smaller_file_that_still_fails() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("shrink");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("padded.toml");
    std::fs::write(&path, PADDED).unwrap();
    let target = Target::Hangar(Policy::CloseOnExit);
    let original = load(&path).unwrap();
    // Find a failing seed the way a user would, then shrink it.
    let seed = (0..50)
        .find(|s| {
            let o = hangar::sim::run(&original, target, *s).unwrap().outcome;
            check(&expectations_for(&original, target, LaneKind::Sim), &o).name() == "fail"
        })
        .expect("some seed truncates");
    let out = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args([
            "shrink",
            path.to_str().unwrap(),
            "--seed",
            &seed.to_string(),
            "--target",
            "hangar:close-on-exit",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let shrunk = load(&dir.join("padded.min.toml")).unwrap();
    assert!(shrunk.steps.len() < original.steps.len());
    assert!(shrunk.world.horizon < original.world.horizon);
    assert!(shrunk.world.files.len() < original.world.files.len());
    let outcome = hangar::sim::run(&shrunk, target, seed).unwrap().outcome;
    assert_eq!(
        check(&expectations_for(&shrunk, target, LaneKind::Sim), &outcome).name(),
        "fail"
    );
}

#[test]
fn a_passing_seed_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args([
            "shrink",
            "../scenarios/exit/exit-status.toml",
            "--seed",
            "0",
            "--target",
            "openssh",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to shrink"));
}
