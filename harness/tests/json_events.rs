//! `hangar run --format json --events`: each run's JSON object carries its
//! trace as typed events, and the events read back give the trace text.

use std::process::Command;
use std::time::Duration;

use hangar::trace::format_time;
use serde_json::Value;

const SCENARIO: &str = "../scenarios/exit/killed-by-signal.toml";

fn hangar(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(args)
        .output()
        .unwrap()
}

/// The lines of the `trace:` section of `-v` output.
fn trace_section(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| *l != "trace:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_events_parse_back_and_give_the_trace_lines() {
    let args = ["run", SCENARIO, "--target", "openssh", "--seed", "3"];
    let json = hangar(&[&args[..], &["--format", "json", "--events"]].concat());
    let text = hangar(&[&args[..], &["-v"]].concat());
    assert_eq!(json.status.code(), text.status.code());
    let stdout = String::from_utf8(json.stdout).unwrap();
    let runs: Vec<Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(runs.len(), 1, "{stdout}");
    let events = runs[0]["events"].as_array().expect("an events array");
    let lines: Vec<String> = events
        .iter()
        .map(|e| {
            for field in ["group", "kind", "actor", "text"] {
                assert!(e[field].is_string(), "{field} in {e}");
            }
            let at = Duration::from_micros(e["at_us"].as_u64().unwrap());
            let actor = e["actor"].as_str().unwrap();
            let what = e["text"].as_str().unwrap();
            format!("{:>9}  {actor:<18} {what}", format_time(at))
        })
        .collect();
    let expected = trace_section(&String::from_utf8(text.stdout).unwrap());
    assert!(!expected.is_empty());
    assert_eq!(lines, expected);
    // The fields say what the text says.
    let signal = events
        .iter()
        .find(|e| e["group"] == "ssh" && e["kind"] == "exit_signal" && e["way"] == "sent")
        .expect("the server's exit-signal");
    assert_eq!(signal["signal"], "TERM");
    assert!(signal["actor"].as_str().unwrap().starts_with("server sshd"));
}

#[test]
fn events_without_json_is_bad_input() {
    let out = hangar(&["run", SCENARIO, "--events"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--format json"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn without_events_the_json_has_none() {
    let out = hangar(&["run", SCENARIO, "--target", "openssh", "--format", "json"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let run: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert!(run.get("events").is_none(), "{run}");
}
