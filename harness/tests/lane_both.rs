//! `hangar run --lane both` on quick scenarios against OpenSSH: the sim
//! over seeds and the real lane over repeated runs agree, and the output
//! says so in its documented form.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};

use common::real_peers;

/// Two scenarios that end at once, whose lanes agree on OpenSSH.
const AGREEING: [&str; 2] = [
    "scenarios/exit/killed-by-signal.toml",
    "scenarios/pipes/late-writer.toml",
];

/// A real run can lose a scheduler race while the other tests load the
/// machine: the pair then runs again and is reported as flaky (the
/// format of that report is part of what these tests check).
const RETRIES: &str = "2";

fn hangar(args: &[&str]) -> Output {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(args)
        .current_dir(repo)
        .output()
        .unwrap()
}

fn both(extra: &[&str]) -> Output {
    let mut args = vec!["run"];
    args.extend(AGREEING);
    args.extend([
        "--lane", "both", "--target", "openssh", "--seeds", "0..5", "--repeat", "2",
    ]);
    args.extend(extra);
    hangar(&args)
}

#[test]
fn quick_scenarios_agree_on_openssh_one_line_each_and_a_summary() {
    let Some(_turn) = real_peers() else {
        return;
    };
    let out = both(&["--retries", RETRIES]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    // A flaky pair's line goes on with the differences of its earlier
    // tries, indented: the pair lines are those that are not indented.
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|line| !line.starts_with(' '))
        .collect();
    assert!(
        lines[0].starts_with(
            "hangar: 2 scenario file(s), 2 scenario x target pair(s), lane both, sim seeds 0..5, 2 real run(s) each, "
        ),
        "{stdout}"
    );
    for (line, path) in lines[1..].iter().zip(AGREEING) {
        let agreed = format!("agree   {path} [openssh]: 5 sim seed(s), 2 real run(s)");
        assert!(
            *line == agreed || line.starts_with(&format!("{agreed} (flaky: agreed on try ")),
            "{stdout}"
        );
    }
    let summary = lines.last().unwrap();
    assert!(
        summary.starts_with("sim agrees with real on 2 of 2 scenario x target pairs"),
        "{stdout}"
    );
}

#[test]
fn json_rows_name_the_pair_and_its_differences() {
    let Some(_turn) = real_peers() else {
        return;
    };
    let out = both(&["--format", "json", "--retries", RETRIES]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let rows: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    for (row, path) in rows.iter().zip(AGREEING) {
        assert_eq!(row["scenario"], path);
        assert_eq!(row["target"], "openssh");
        assert_eq!(row["lane"], "both");
        assert_eq!(row["agree"], true);
        assert_eq!(row["sim_seeds"], "0..5");
        assert_eq!(row["real_runs"], 2);
        assert_eq!(row["differences"], serde_json::json!([]));
        // A retry is for a pair that differs: each try given up on left
        // its differences, and a pair that agreed at once has none.
        let tries = row["tries"].as_u64().unwrap();
        let earlier = row["earlier_differences"].as_array().unwrap();
        assert_eq!(earlier.len() as u64, tries - 1, "{stdout}");
        assert!(
            earlier
                .iter()
                .all(|try_| !try_.as_array().unwrap().is_empty()),
            "{stdout}"
        );
    }
}

#[test]
fn unknown_lanes_are_bad_input() {
    let out = hangar(&["run", AGREEING[0], "--lane", "bth"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("the lanes are `sim`, `real` and `both`"),
        "{stderr}"
    );
}

#[test]
fn html_shows_each_pair_in_both_lanes_side_by_side() {
    let Some(_turn) = real_peers() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("hangar-both-html-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = hangar(&[
        "run",
        AGREEING[0],
        "--lane",
        "both",
        "--target",
        "openssh",
        "--seeds",
        "0..2",
        "--repeat",
        "1",
        "--retries",
        RETRIES,
        "--html",
        dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(
        index.contains("<span class=\"verdict pass\">agree</span>"),
        "{index}"
    );
    let page = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !p.ends_with("index.html"))
        .unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(html.contains("<b>sim against real</b>: agree"), "{html}");
    // The sim's run and the real one, each with its diagram.
    assert_eq!(html.matches("<svg class=\"sequence\"").count(), 2);
    assert!(html.contains("openssh, sim lane, seed 0"), "{html}");
    assert!(html.contains("openssh, real lane"), "{html}");
}
