//! The real lane against the real peers: OpenSSH's sshd and Dropbear on
//! 127.0.0.1, OpenSSH's ssh, the fault proxy between them. `ci/test`
//! installs the peers; outside CI a machine without them skips these
//! tests with a message, in CI their absence fails.

mod common;

use common::real_peers;
use hangar::real::processes::leftovers_of_this_process;
use hangar::sim::RunResult;
use hangar::verdict::{Verdict, check, expectations_for};
use hangar_scenario::{Scenario, Target, load_str};

fn scenario(toml: &str) -> Scenario {
    load_str(
        "real-test.toml",
        &format!("title = \"t\"\nsource = \"s\"\n{toml}"),
    )
    .unwrap()
}

fn run(s: &Scenario, target: Target) -> (RunResult, Verdict) {
    let result = hangar::real::run(s, &hangar::real::RealTarget::builtin(target))
        .unwrap_or_else(|e| panic!("{e}"));
    let verdict = check(&expectations_for(s, target), &result.outcome);
    (result, verdict)
}

/// Every test ends with nothing of its runs left alive.
fn assert_nothing_left() {
    let left = leftovers_of_this_process();
    assert!(left.is_empty(), "processes outlived their runs: {left:?}");
}

#[test]
fn the_exit_status_comes_through_on_both_peers() {
    let Some(_serial) = real_peers() else {
        return;
    };
    let s = scenario(
        "[[step]]\nrun = \"ssh server 'echo hi; exit 7'\"\n[expect]\nclient = { exit = 7, within = \"5s\" }\nstdout_bytes = 3\n",
    );
    for target in [Target::OpenSsh, Target::Dropbear] {
        let (result, verdict) = run(&s, target);
        assert_eq!(verdict, Verdict::Pass, "{target}: {:?}", result.outcome);
    }
    assert_nothing_left();
}

#[test]
fn a_background_job_holds_an_openssh_session_and_not_a_dropbear_one() {
    let Some(_serial) = real_peers() else {
        return;
    };
    let s = scenario(
        r#"
[[step]]
run = "ssh server 'sleep 3 &'"
[world]
horizon = "10s"
[expect]
client = { exit = 0, after = "3s", within = "5s" }
survivors = []
[expect.dropbear]
client = { exit = 0, within = "1.5s" }
survivors = ["sleep"]
"#,
    );
    for target in [Target::OpenSsh, Target::Dropbear] {
        let (result, verdict) = run(&s, target);
        assert_eq!(verdict, Verdict::Pass, "{target}: {:?}", result.outcome);
    }
    assert_nothing_left();
}

#[test]
fn a_healed_partition_delivers_what_was_held() {
    let Some(_serial) = real_peers() else {
        return;
    };
    let s = scenario(
        r#"
[[step]]
run = "ssh server 'sleep 1; echo hi'"
[[step]]
at = "0.5s"
net = "partition"
[[step]]
at = "2.5s"
net = "heal"
[world]
horizon = "15s"
[expect]
client = { exit = 0, after = "2.4s", within = "8s" }
stdout_bytes = 3
"#,
    );
    let (result, verdict) = run(&s, Target::OpenSsh);
    assert_eq!(
        verdict,
        Verdict::Pass,
        "{:?}\n{:?}",
        result.outcome,
        result.events
    );
    assert_nothing_left();
}

#[test]
fn a_hanging_run_is_cut_at_the_horizon_as_unknown_and_leaves_nothing_behind() {
    let Some(_serial) = real_peers() else {
        return;
    };
    let s = scenario(
        r#"
[[step]]
run = "ssh server 'sleep 100 & sleep 100'"
[world]
horizon = "2s"
[expect]
client = { exit = 0 }
"#,
    );
    for target in [Target::OpenSsh, Target::Dropbear] {
        let (result, verdict) = run(&s, target);
        assert_eq!(verdict.name(), "unknown", "{target}: {verdict:?}");
        assert!(result.outcome.hit_horizon);
        assert_eq!(result.outcome.client_exit, None, "the watchdog cut it");
        assert_nothing_left();
    }
}
