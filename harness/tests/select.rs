//! Selection on the command line: `hangar list` and `hangar run` take the
//! same files for the same `--tag`, `--exclude-tag`, `--filter` and
//! `--partition`, and the parts of a partition add up to the whole.

use std::process::{Command, Output};

use serde_json::Value;

fn hangar(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(args)
        .output()
        .unwrap()
}

/// The files `hangar list --format json` gives for `args`.
fn listed(args: &[&str]) -> Vec<String> {
    let out = hangar(&[&["list", "../scenarios", "--format", "json"], args].concat());
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["scenario"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn list_says_where_each_file_runs_and_run_takes_the_same_files() {
    let out = hangar(&[
        "list",
        "../scenarios/race",
        "--tag",
        "sftp",
        "--format",
        "json",
    ]);
    let first: Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(first["scenario"], "../scenarios/race/sftp-scp-big.toml");
    assert_eq!(first["sim"].as_array().unwrap().len(), 4);
    assert_eq!(
        first["real"][0],
        serde_json::json!({"target": "openssh", "runs": true})
    );

    let sftp = listed(&["--tag", "sftp"]);
    assert_eq!(sftp.len(), 3, "{sftp:?}");
    let run = hangar(&[
        "run",
        "../scenarios",
        "--tag",
        "sftp",
        "--target",
        "openssh",
    ]);
    let text = String::from_utf8(run.stdout).unwrap();
    assert!(text.contains("3 scenario file(s), 3 run(s)"), "{text}");

    let text =
        String::from_utf8(hangar(&["list", "../scenarios", "--filter", "tilde"]).stdout).unwrap();
    assert!(
        text.contains("tty/tilde-dot-ends-a-hung-session.toml  [tty,"),
        "{text}"
    );
    assert!(text.contains("  real: openssh, dropbear"), "{text}");
}

#[test]
fn the_parts_of_a_partition_add_up_to_the_catalog() {
    let mut whole = listed(&[]);
    for kind in ["hash", "count"] {
        let mut parts: Vec<String> = (1..=3)
            .flat_map(|k| listed(&["--partition", &format!("{kind}:{k}/3")]))
            .collect();
        parts.sort();
        whole.sort();
        assert_eq!(parts, whole, "{kind}");
    }
}

#[test]
fn a_tag_no_file_has_and_a_bad_partition_are_bad_input() {
    let out = hangar(&["run", "../scenarios", "--tag", "keepalivee"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("the tags in these files: "), "{stderr}");
    assert!(stderr.contains("keepalive"), "{stderr}");
    let out = hangar(&["list", "../scenarios", "--partition", "count:3/2"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("example: --partition hash:1/3"), "{stderr}");
}

#[test]
fn piped_output_is_plain_text_without_color_or_progress() {
    let out = hangar(&["run", "../scenarios/exit", "--target", "openssh"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stdout.starts_with("hangar: 4 scenario file(s)"), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("pass    ")),
        "{stdout}"
    );
    assert!(
        !stdout.contains('\x1b') && !stderr.contains('\x1b'),
        "{stdout}{stderr}"
    );
}
