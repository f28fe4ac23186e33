//! `hangar run --format junit` and `--junit FILE`: the XML a CI system
//! reads, read back here as one would (quick-junit's deserializer).

use std::path::PathBuf;
use std::process::{Command, Output};

use quick_junit::{NonSuccessKind, Report, TestCaseStatus};

fn hangar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(args)
        .output()
        .unwrap()
}

/// A directory of this test's own, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hangar-junit-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn format_junit_prints_one_case_per_scenario_and_target_and_the_tally_on_stderr() {
    let out = hangar(&["run", "../scenarios/exit", "--format", "junit"]);
    assert_eq!(out.status.code(), Some(0));
    let xml = String::from_utf8(out.stdout).unwrap();
    let report = Report::deserialize_from_str(&xml).expect(&xml);
    assert_eq!(report.tests, 16, "4 files x 4 targets");
    assert_eq!((report.failures, report.errors), (0, 0));
    assert_eq!(report.test_suites.len(), 4);
    let suite = &report.test_suites[0];
    assert_eq!(suite.test_cases[0].name.as_str(), "[openssh] seed=0");
    let trace = suite.test_cases[0].system_out.as_ref().unwrap().as_str();
    assert!(trace.contains("\ntrace:\n"), "{trace}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("16 passed, 0 failed"), "{stderr}");
}

#[test]
fn junit_file_names_the_broken_expectation_and_the_replay_next_to_the_text() {
    let dir = scratch("fail");
    let scenario = dir.join("wrong-status.toml");
    std::fs::write(
        &scenario,
        "title = \"expects the wrong status\"\nsource = \"ssh(1) EXIT STATUS\"\n\
         [[step]]\nrun = \"ssh server 'exit 3'\"\n[expect]\nclient = { exit = 5 }\n",
    )
    .unwrap();
    let file = dir.join("hangar.xml");
    let out = hangar(&[
        "run",
        scenario.to_str().unwrap(),
        "--target",
        "openssh",
        "--seed",
        "4",
        "--junit",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("0 passed, 1 failed"),
        "the text stays: {text}"
    );
    let xml = std::fs::read_to_string(&file).unwrap();
    let report = Report::deserialize_from_str(&xml).expect(&xml);
    assert_eq!((report.tests, report.failures), (1, 1));
    let case = &report.test_suites[0].test_cases[0];
    assert_eq!(case.name.as_str(), "[openssh] seed=4");
    let TestCaseStatus::NonSuccess {
        kind: NonSuccessKind::Failure,
        message: Some(message),
        description: Some(description),
        ..
    } = &case.status
    else {
        panic!("not a failure: {xml}");
    };
    assert_eq!(
        message.as_str(),
        "fail: client exit: expected 5, got 3",
        "{xml}"
    );
    assert!(
        description.as_str().contains("--target openssh --seed 4"),
        "{xml}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn junit_with_lane_both_or_an_unwritable_file_is_bad_input() {
    let out = hangar(&[
        "run",
        "../scenarios/exit/exit-status.toml",
        "--lane",
        "both",
        "--junit",
        "x.xml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("--lane both reports how the lanes agree"),
        "{stderr}"
    );

    let dir = scratch("unwritable");
    let out = hangar(&[
        "run",
        "../scenarios/exit/exit-status.toml",
        "--target",
        "openssh",
        "--junit",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "bad input: nothing runs");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("error: --junit"), "{stderr}");
    assert!(stderr.contains("example: --junit hangar.xml"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explore_junit_has_one_case_per_outcome_group() {
    let dir = scratch("explore");
    let file = dir.join("explore.xml");
    let args = [
        "explore",
        "../scenarios/race/cat-big.toml",
        "--seeds",
        "0..40",
        "--target",
        "hangar:close-on-exit",
    ];
    let out = hangar(&[&args[..], &["--junit", file.to_str().unwrap()]].concat());
    let text = String::from_utf8(out.stdout).unwrap();
    let groups = text.lines().filter(|l| l.contains("first seed")).count();
    assert!(groups >= 1, "{text}");
    let xml = std::fs::read_to_string(&file).unwrap();
    let report = Report::deserialize_from_str(&xml).expect(&xml);
    assert_eq!(report.tests, groups, "{xml}");
    let case = &report.test_suites[0].test_cases[0];
    assert!(
        case.name
            .as_str()
            .starts_with("[hangar:close-on-exit] outcome 1: "),
        "{xml}"
    );
    assert!(case.name.as_str().ends_with(" of 40 seeds)"), "{xml}");
    let _ = std::fs::remove_dir_all(&dir);
}
