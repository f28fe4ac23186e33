//! The client terminal as scenarios drive it: waits that run out give
//! `unknown` and name what they waited for, the screen ends up in the
//! trace, and trace conditions see both hosts.

use std::time::Duration;

use hangar::report::trace_text;
use hangar::run::RunResult;
use hangar::sim::run;
use hangar::verdict::{Verdict, check, expectations_for};
use hangar_scenario::LaneKind;
use hangar_scenario::{Scenario, Target, load_str};

fn scenario(toml: &str) -> Scenario {
    load_str(
        "terminal-test.toml",
        &format!("title = \"t\"\nsource = \"s\"\n{toml}"),
    )
    .unwrap()
}

fn run_openssh(s: &Scenario) -> (RunResult, Verdict) {
    let result = run(s, Target::OpenSsh, 0).unwrap();
    let verdict = check(
        &expectations_for(s, Target::OpenSsh, LaneKind::Sim),
        &result.outcome,
    );
    (result, verdict)
}

#[test]
fn a_wait_that_runs_out_is_unknown_and_names_what_it_waited_for() {
    let s = scenario(
        r#"
[[step]]
type = "ssh server\n"
[[step]]
wait_for = { screen = 'never shown', timeout = "2s" }
[[step]]
type = "logout\n"
[expect]
client = { exit = 0 }
"#,
    );
    let (result, verdict) = run_openssh(&s);
    assert_eq!(verdict.name(), "unknown");
    assert!(
        verdict.details()[0].starts_with("waited 2s for the screen to match /never shown/"),
        "{verdict:?}"
    );
    assert!(
        verdict
            .details()
            .iter()
            .any(|d| d.contains("user@server:~$")),
        "the report shows the end of the screen: {verdict:?}"
    );
    assert!(result.outcome.stopped_at < Duration::from_secs(3));
    assert!(
        !result
            .events
            .iter()
            .any(|e| e.what.to_string().contains("logout")),
        "the steps after the wait never ran"
    );
}

#[test]
fn the_screen_at_the_end_is_part_of_the_trace() {
    let s = scenario(
        r#"
[[step]]
type = "echo hello\n"
[[step]]
wait_for = { screen = '^hello$', timeout = "1s" }
"#,
    );
    let (result, verdict) = run_openssh(&s);
    assert_eq!(verdict, Verdict::Pass);
    let text = trace_text(&s, &result, &verdict);
    assert!(
        text.contains("screen:\n  | user@client:~$ echo hello\n  | hello\n  | user@client:~$\n"),
        "{text}"
    );
}

#[test]
fn a_trace_condition_sees_the_events_of_both_hosts() {
    let s = scenario(
        r#"
[[step]]
type = "ssh server 'exit 3'\n"
[[step]]
wait_for = { trace = 'server sshd\[\d+\] +-> exit-status 3', timeout = "2s" }
[expect]
client = { exit = 3 }
"#,
    );
    let (_, verdict) = run_openssh(&s);
    assert_eq!(verdict, Verdict::Pass);
}
