//! TCP semantics of the network faults, each checked on a small scenario
//! against the OpenSSH model.

use std::time::Duration;

use hangar::run::Outcome;
use hangar::sim::run;
use hangar_scenario::{Target, load_str};

fn outcome(toml: &str) -> Outcome {
    let scenario = load_str(
        "net-test.toml",
        &format!("title = \"t\"\nsource = \"s\"\n{toml}"),
    )
    .unwrap();
    run(&scenario, Target::OpenSsh, 0).unwrap().outcome
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

#[test]
fn held_segments_are_delivered_on_release_with_no_retransmission_budget() {
    let o = outcome(
        r#"
[world]
retransmission_timeout = "1s"
[[step]]
at = "0s"
run = "ssh server 'sleep 2; echo hi'"
[[step]]
at = "1s"
net = "hold"
[[step]]
at = "10s"
net = "release"
"#,
    );
    assert_eq!(o.client_exit, Some(0));
    assert_eq!(o.stdout_bytes, 3);
    assert!(o.client_ended_at.unwrap() >= secs(10.0));
}

#[test]
fn data_sent_during_a_partition_is_retransmitted_after_the_heal() {
    let o = outcome(
        r#"
[world]
files = { big = "1MiB" }
retransmission_timeout = "10s"
[[step]]
at = "0s"
run = "ssh server 'sleep 1; cat big'"
[[step]]
at = "0.5s"
net = "partition"
[[step]]
at = "5s"
net = "heal"
"#,
    );
    assert_eq!(
        (o.client_exit, o.stdout_bytes, o.lost_bytes),
        (Some(0), 1 << 20, 0)
    );
    assert!(o.client_ended_at.unwrap() >= secs(5.0));
}

#[test]
fn a_one_way_partition_starves_the_keepalive_replies() {
    let o = outcome(
        r#"
[world]
horizon = "30s"
[[step]]
at = "0s"
run = "ssh -o ServerAliveInterval=1 -o ServerAliveCountMax=2 server 'sleep 60'"
[[step]]
at = "2s"
net = "partition server->client"
"#,
    );
    assert_eq!(o.client_exit, Some(255));
    let at = o.client_ended_at.unwrap();
    assert!(at > secs(4.0) && at < secs(5.5), "{at:?}");
}

#[test]
fn added_latency_slows_every_round_trip() {
    let fast = outcome("[[step]]\nat = \"0s\"\nrun = \"ssh server 'exit 3'\"\n");
    let slow = outcome(
        "[[step]]\nat = \"0s\"\nnet = \"latency 200ms\"\n[[step]]\nat = \"0s\"\nrun = \"ssh server 'exit 3'\"\n",
    );
    assert_eq!((fast.client_exit, slow.client_exit), (Some(3), Some(3)));
    assert!(slow.client_ended_at.unwrap() >= fast.client_ended_at.unwrap() + secs(1.0));
}

#[test]
fn connecting_through_a_partition_times_out_with_connect_timeout() {
    let o = outcome(
        r#"
[[step]]
at = "0s"
net = "partition"
[[step]]
at = "0s"
run = "ssh -o ConnectTimeout=3 server true"
"#,
    );
    assert_eq!(o.client_exit, Some(255));
    assert_eq!(
        o.stderr_bytes,
        "ssh: connect to host server port 22: Connection timed out\r\n".len() as u64
    );
    let at = o.client_ended_at.unwrap();
    assert!(at >= secs(3.0) && at < secs(3.2), "{at:?}");
}

#[test]
fn an_idle_partition_that_heals_is_invisible() {
    let o = outcome(
        r#"
[[step]]
at = "0s"
run = "ssh server 'sleep 5'"
[[step]]
at = "1s"
net = "partition"
[[step]]
at = "4s"
net = "heal"
"#,
    );
    assert_eq!(o.client_exit, Some(0));
    assert!(o.client_ended_at.unwrap() < secs(5.1));
}
