//! `scp -O` through the whole simulation: the local scp, its ssh child,
//! the server's sshd and the remote `scp -f`. The size of the copy is in
//! the sink's trace line (`client scp[2] wrote copy: N bytes`).

use hangar::run::RunResult;
use hangar::sim::run;
use hangar::trace::render_events;
use hangar_scenario::{Policy, Target, load_str};

const BIG: u64 = 1 << 20;
const SEEDS: u64 = 40;

fn run_line(line: &str, target: Target, seed: u64) -> RunResult {
    let scenario = load_str(
        "scp-test.toml",
        &format!(
            "title = \"t\"\nsource = \"s\"\n[world]\nfiles = {{ big = \"1MiB\" }}\n\
             [[step]]\nat = \"0s\"\nrun = \"{line}\"\n"
        ),
    )
    .unwrap();
    run(&scenario, target, seed).unwrap()
}

/// What the local sink wrote, from its trace line.
fn copy_size(result: &RunResult) -> Option<u64> {
    let trace = render_events(&result.events);
    trace.lines().find_map(|line| {
        let (_, rest) = line.split_once("client scp[3]")?;
        let rest = rest.trim_start().strip_prefix("wrote copy: ")?;
        rest.split(' ').next()?.parse().ok()
    })
}

#[test]
fn a_download_over_openssh_copies_the_whole_file() {
    let result = run_line("scp -O server:big copy", Target::OpenSsh, 0);
    let trace = render_events(&result.events);
    assert_eq!(result.outcome.client_exit, Some(0), "{trace}");
    assert_eq!(copy_size(&result), Some(BIG), "{trace}");
    assert!(trace.contains("exec \"scp -f big\""), "{trace}");
    assert_eq!(result.outcome.lost_bytes, 0);
    assert_eq!(
        result.outcome.stdout_bytes, 0,
        "scp writes the file, not stdout"
    );
}

/// The source exits only after the sink acknowledged the whole file
/// (scp.c source(): the last response()), so a server that closes the
/// channel at the child's exit finds the pipe empty: unlike `ssh server
/// cat big`, no seed truncates.
#[test]
fn no_target_and_no_seed_truncates_the_copy() {
    for target in [
        Target::OpenSsh,
        Target::Hangar(Policy::WaitEof),
        Target::Hangar(Policy::CloseOnExit),
    ] {
        for seed in 0..SEEDS {
            let result = run_line("scp -O server:big copy", target, seed);
            let o = &result.outcome;
            assert_eq!(
                (o.client_exit, copy_size(&result), o.lost_bytes),
                (Some(0), Some(BIG), 0),
                "{target} seed {seed}"
            );
        }
    }
}

#[test]
fn a_missing_remote_file_is_reported_and_scp_exits_1() {
    let result = run_line("scp -O server:nothing copy", Target::OpenSsh, 0);
    assert_eq!(result.outcome.client_exit, Some(1));
    assert_eq!(
        result.outcome.stderr_bytes,
        "scp: nothing: No such file or directory\n".len() as u64
    );
    assert_eq!(copy_size(&result), None);
}

/// The client host has no declared files, so an upload from it fails at
/// the open, after the connection is made (scp.c toremote() connects
/// first, then source() opens the file).
#[test]
fn an_upload_of_a_file_the_client_lacks_fails_after_connecting() {
    let result = run_line("scp -O big server:copy", Target::OpenSsh, 0);
    let trace = render_events(&result.events);
    assert_eq!(result.outcome.client_exit, Some(1), "{trace}");
    assert!(trace.contains("exec \"scp -t copy\""), "{trace}");
    assert_eq!(
        result.outcome.stderr_bytes,
        "big: No such file or directory\n".len() as u64
    );
}
