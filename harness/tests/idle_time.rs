//! Idle virtual time costs (almost) nothing: when every host waits for a
//! timer, the runner jumps to it instead of stepping through each tick,
//! and the trace comes out exactly as when every tick is stepped through.

use hangar::report::trace_text;
use hangar::run::RunResult;
use hangar::sim::clock::{last_run_steps, without_jumps};
use hangar::verdict::{Verdict, check, expectations_for};
use hangar_scenario::LaneKind;
use hangar_scenario::{Scenario, Target, load_str};

fn scenario(toml: &str) -> Scenario {
    load_str(
        "idle-test.toml",
        &format!("title = \"t\"\nsource = \"s\"\n{toml}"),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn run(scenario: &Scenario, target: Target) -> (RunResult, String) {
    let result = hangar::sim::run(scenario, target, 0).unwrap();
    let verdict = check(
        &expectations_for(scenario, target, LaneKind::Sim),
        &result.outcome,
    );
    let text = trace_text(scenario, &result, &verdict);
    assert_eq!(verdict, Verdict::Pass, "\n{text}");
    (result, text)
}

/// A day-long remote command with keepalives every ten minutes: 17,280,000
/// ticks of 5 ms when stepped through one by one.
const IDLE_DAY: &str = r#"
[world]
horizon = "25h"
[[step]]
at = "0s"
run = "ssh -o ServerAliveInterval=600 server 'sleep 86400'"
[expect]
client = { exit = 0, after = "86400s", within = "86401s" }
"#;

#[test]
fn an_idle_day_takes_a_few_thousand_steps() {
    let scenario = scenario(IDLE_DAY);
    for target in [Target::OpenSsh, Target::Dropbear] {
        let (_, text) = run(&scenario, target);
        let steps = last_run_steps();
        // 144 keepalive round trips of a few ticks each, and the session's
        // start and end.
        assert!(steps.steps < 5_000, "{steps:?}\n{text}");
        assert!(steps.jumps >= 144, "{steps:?}");
    }
}

#[test]
fn jumps_change_no_byte_of_an_idle_session_with_keepalives_and_faults() {
    // Keepalives at both ends, a partition long enough to miss probes, a
    // heal, a late writer and a terminal-less sleep: every kind of timer.
    let scenario = scenario(
        r#"
[world]
horizon = "30m"
retransmission_timeout = "15m"
[client]
ServerAliveInterval = "45s"
ServerAliveCountMax = 30
[server]
ClientAliveInterval = "70s"
ClientAliveCountMax = 30
[[step]]
at = "0s"
run = "ssh server 'sleep 400; echo late; sleep 300 &'"
[[step]]
at = "2m"
net = "partition"
[[step]]
at = "5m"
net = "heal"
[expect]
client = { exit = 0 }
"#,
    );
    for target in [
        Target::OpenSsh,
        Target::Dropbear,
        "hangar:wait-eof".parse().unwrap(),
    ] {
        let (_, jumped) = run(&scenario, target);
        let with_jumps = last_run_steps();
        let (_, stepped) = without_jumps(|| run(&scenario, target));
        let without = last_run_steps();
        assert_eq!(jumped, stepped, "{target}: jumps changed the trace");
        assert_eq!(without.jumps, 0);
        assert!(
            with_jumps.steps * 10 < without.steps,
            "{target}: {with_jumps:?} against {without:?}"
        );
    }
}
