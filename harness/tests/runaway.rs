//! Runs that would never end or would eat the machine: a writer that
//! never blocks, output at a terminal nobody reads fast enough, a trap that
//! re-sends its own signal, many connections at once, durations beyond any
//! clock. Each must end by its horizon with a verdict, without a panic.

use std::time::{Duration, Instant};

use hangar::run::RunResult;
use hangar::sim::run;
use hangar::trace::{SshEvent, What, render_events};
use hangar::verdict::{check, expectations_for};
use hangar_scenario::LaneKind;
use hangar_scenario::{Scenario, Target, load_str};

fn scenario(toml: &str) -> Scenario {
    load_str(
        "runaway-test.toml",
        &format!("title = \"t\"\nsource = \"s\"\n{toml}"),
    )
    .unwrap()
}

/// Runs `toml` on the OpenSSH model and checks it ended by its horizon
/// within `wall` of real time.
fn run_within(toml: &str, wall: Duration) -> RunResult {
    let s = scenario(toml);
    let started = Instant::now();
    let result = run(&s, Target::OpenSsh, 0).unwrap();
    assert!(
        started.elapsed() < wall,
        "the run took {:?} of real time",
        started.elapsed()
    );
    assert!(result.outcome.stopped_at <= s.world.horizon + Duration::from_secs(1));
    result
}

fn verdict(toml: &str) -> String {
    let s = scenario(toml);
    let result = run(&s, Target::OpenSsh, 0).unwrap();
    let verdict = check(
        &expectations_for(&s, Target::OpenSsh, LaneKind::Sim),
        &result.outcome,
    );
    format!("{} {:?}", verdict.name(), verdict.details())
}

#[test]
fn a_command_line_that_exits_at_once_has_its_status_seen() {
    for (line, code) in [
        ("true", 0),
        ("echo hi", 0),
        ("exit 3", 3),
        ("sh -c true", 0),
    ] {
        let toml = format!(
            "[world]\nhorizon = \"5s\"\n[[step]]\nrun = '{line}'\n[expect]\nclient = {{ exit = {code} }}\n"
        );
        assert!(
            verdict(&toml).starts_with("pass"),
            "{line}: {}",
            verdict(&toml)
        );
    }
}

#[test]
fn huge_sleep_durations_saturate_and_the_run_ends_at_its_horizon() {
    for line in [
        "sleep 1e300",
        "sleep 18446744073709551615",
        "sleep 1e19 1e19",
        "timeout 1e300 sleep 1",
    ] {
        let result = run_within(
            &format!("[world]\nhorizon = \"2s\"\n[[step]]\nrun = '{line}'\n"),
            Duration::from_secs(60),
        );
        let o = &result.outcome;
        if line.starts_with("timeout") {
            assert_eq!(o.client_exit, Some(0), "{line}");
        } else {
            assert!(o.hit_horizon && o.client_exit.is_none(), "{line}");
        }
    }
}

#[test]
fn a_writer_that_never_blocks_lets_time_reach_the_horizon() {
    for line in [
        "yes > /dev/null",
        "yes > copy",
        "yes",
        "yes > /dev/null & yes",
        "cat /dev/zero > /dev/null",
    ] {
        let result = run_within(
            &format!("[world]\nhorizon = \"1s\"\n[[step]]\nrun = '{line}'\n"),
            Duration::from_secs(60),
        );
        assert!(result.outcome.hit_horizon, "{line}");
    }
}

#[test]
fn yes_at_the_terminal_ends_by_its_horizon_in_bounded_memory() {
    let result = run_within(
        r#"
[world]
horizon = "200ms"
[[step]]
type = "yes\n"
"#,
        Duration::from_secs(60),
    );
    let screen = result.outcome.screen.unwrap();
    assert!(
        screen.contains("\ny\ny\n"),
        "{}",
        &screen[..200.min(screen.len())]
    );
    assert!(screen.len() < 1 << 20, "{} bytes of screen", screen.len());
}

#[test]
fn a_trap_that_resends_its_own_signal_runs_until_the_horizon() {
    let result = run_within(
        r#"
[world]
horizon = "1s"
[[step]]
run = 'trap "kill $$" TERM; kill $$'
"#,
        Duration::from_secs(60),
    );
    assert!(result.outcome.hit_horizon);
    assert!(
        result.events.len() < 100_000,
        "{} events",
        result.events.len()
    );
}

#[test]
fn sixty_five_simultaneous_connections_are_all_served() {
    let line = vec!["ssh server true &"; 65].join(" ");
    let result = run_within(
        &format!("[world]\nhorizon = \"30s\"\n[[step]]\nrun = '{line} wait'\n"),
        Duration::from_secs(120),
    );
    let accepted = result
        .events
        .iter()
        .filter(|e| e.what == What::Ssh(SshEvent::Accepted))
        .count();
    assert_eq!(accepted, 65);
    assert_eq!(result.outcome.client_exit, Some(0));
}

#[test]
fn dev_zero_streams_zero_bytes_over_ssh() {
    let result = run_within(
        r#"
[world]
horizon = "10s"
[[step]]
run = "ssh server 'head -c 100000 /dev/zero'"
[expect]
client = { exit = 0 }
"#,
        Duration::from_secs(60),
    );
    assert_eq!(result.outcome.client_exit, Some(0));
    assert_eq!(result.outcome.stdout_bytes, 100_000);
}

#[test]
fn a_command_that_streams_without_end_keeps_one_event_per_trace_line() {
    let result = run_within(
        r#"
[world]
horizon = "5s"
[[step]]
run = "ssh server 'cat /dev/zero'"
"#,
        Duration::from_secs(120),
    );
    assert!(result.outcome.hit_horizon);
    // Some 60,000 data messages in 5 s; the trace keeps the ~2,000 lines
    // they are printed as.
    let lines = render_events(&result.events).lines().count();
    assert_eq!(result.events.len(), lines);
    assert!(
        result.events.len() < 5_000,
        "{} events",
        result.events.len()
    );
}
