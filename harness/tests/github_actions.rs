//! In GitHub Actions (`GITHUB_ACTIONS=true`), as the example workflow
//! `ci/examples/github-actions.yml` runs hangar: a failed run is an
//! `::error` annotation at the broken expectation's line, relative to the
//! checkout, and the job summary gets a table of what did not pass.

use std::path::PathBuf;
use std::process::Command;

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hangar-gha-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("hangar-scenarios")).unwrap();
    dir
}

#[test]
fn a_failed_run_is_annotated_at_its_expectation_and_summarized() {
    let workspace = scratch();
    let scenario = workspace.join("hangar-scenarios/wrong-status.toml");
    std::fs::write(
        &scenario,
        "title = \"expects the wrong status\"\nsource = \"ssh(1) EXIT STATUS\"\n\n\
         [[step]]\nrun = \"ssh server 'exit 3'\"\n\n[expect]\nstdout_bytes = 0\nclient = { exit = 5 }\n",
    )
    .unwrap();
    let summary = workspace.join("summary.md");
    // As the example runs it: JSON on stdout, from a directory of its own.
    let out = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args([
            "run",
            scenario.to_str().unwrap(),
            "--target",
            "openssh",
            "--format",
            "json",
        ])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_WORKSPACE", &workspace)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.lines().all(|l| l.starts_with('{')),
        "stdout stays JSON: {stdout}"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    let annotation = stderr
        .lines()
        .find(|l| l.starts_with("::error "))
        .expect(&stderr);
    assert!(
        annotation.starts_with("::error file=hangar-scenarios/wrong-status.toml,line=9,title="),
        "the path from the checkout, the line of `client`: {annotation}"
    );
    assert!(
        annotation.contains(
            " [openssh seed=0]%3A fail::client exit: expected 5, got 3%0Areplay: hangar run "
        ),
        "{annotation}"
    );
    let table = std::fs::read_to_string(&summary).unwrap();
    assert!(
        table.starts_with("### hangar: 0 passed, 1 failed or unknown\n"),
        "{table}"
    );
    assert!(
        table.contains("| openssh seed=0 | fail | client exit: expected 5, got 3 |"),
        "{table}"
    );

    // Outside GitHub Actions: no annotation, no summary.
    std::fs::remove_file(&summary).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(["run", scenario.to_str().unwrap(), "--target", "openssh"])
        .env_remove("GITHUB_ACTIONS")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert!(!String::from_utf8(out.stderr).unwrap().contains("::error"));
    assert!(!summary.exists());
    let _ = std::fs::remove_dir_all(&workspace);
}
