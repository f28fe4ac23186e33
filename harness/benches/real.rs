//! `cargo bench --bench real`: what the real lane adds to a peer's own
//! cost, release build, side by side in one run.
//!
//! Prints, per peer (OpenSSH's sshd, Dropbear):
//! - starting the peer (keys, config, listening);
//! - the peer's own cost of a session: `ssh server 'exit 7'` against the
//!   running peer, straight to its port;
//! - a whole real-lane run of the same session (peer, proxy, watchdog,
//!   cleanup), and its overhead beyond the bare session;
//!
//! and the wall time of the whole real catalog.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use hangar::catalog::load_all;
use hangar::real::RealTarget;
use hangar::real::peer::Peer;
use hangar_scenario::{ClientOptions, Policy, ServerOptions, Target, load_str};

const SESSION: &str = r#"
title = "bench: one short session"
source = "bench"
[[step]]
run = "ssh server 'exit 7'"
"#;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    if !std::path::Path::new("/usr/sbin/sshd").exists() {
        eprintln!("SKIPPED: the real peers are not installed (run ci/install-peers)");
        return;
    }
    let session = load_str("bench/session.toml", SESSION).unwrap();
    println!("real lane, release build");
    for (target, id) in [
        (Target::OpenSsh, "bench-openssh"),
        (Target::Dropbear, "bench-dropbear"),
        (Target::Hangar(Policy::WaitEof), "bench-hangar"),
    ] {
        let started = Instant::now();
        let peer = Peer::start(&RealTarget::builtin(target), id, &ServerOptions::default())
            .expect("peer starts");
        let start = started.elapsed();
        peer.write_client(peer.addr, &ClientOptions::default())
            .unwrap();
        let bare = median(
            (0..10)
                .map(|_| {
                    let t = Instant::now();
                    let status = Command::new(peer.bin.join("ssh"))
                        .args(["server", "exit 7"])
                        .status()
                        .unwrap();
                    assert_eq!(status.code(), Some(7));
                    t.elapsed()
                })
                .collect(),
        );
        drop(peer);
        let whole = median(
            (0..10)
                .map(|_| {
                    hangar::real::run(&session, &RealTarget::builtin(target))
                        .expect("run")
                        .wall
                })
                .collect(),
        );
        println!("  {target}:");
        println!("    peer start:                       {}", ms(start));
        println!("    bare session (ssh straight in):   {}", ms(bare));
        println!(
            "    real-lane run of the same session: {}  (overhead {} = {:.1}x the bare session)",
            ms(whole),
            ms(whole.saturating_sub(bare)),
            whole.as_secs_f64() / bare.as_secs_f64()
        );
    }
    let catalog = load_all(&[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios")])
        .expect("catalog loads");
    let started = Instant::now();
    let mut runs = 0;
    for scenario in &catalog {
        for target in [Target::OpenSsh, Target::Dropbear].map(RealTarget::builtin) {
            if hangar::real::unsupported(scenario, &target).is_none() {
                hangar::real::run(scenario, &target).expect("run");
                runs += 1;
            }
        }
    }
    println!(
        "  real catalog, one worker ({runs} runs): {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
