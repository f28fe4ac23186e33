//! The real lane's targets as data: a user's targets file that points at
//! Debian's own sshd, ssh and Dropbear through templates, the command line
//! that takes it (`--targets`), its errors, and hangar's own server and
//! client as the `hangar:<policy>` targets. Outside CI a machine without
//! the peers (or without hangar's binaries built) skips these tests with a
//! message; in CI their absence fails.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use hangar::real::processes::leftovers_of_this_process;
use hangar::real::{RealTarget, TargetsFile};
use hangar::run::RunResult;
use hangar::verdict::{Verdict, check, expectations_for};
use hangar_scenario::LaneKind;
use hangar_scenario::{Policy, Scenario, Target, load_str};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn in_ci() -> bool {
    std::env::var_os("CI").is_some()
}

/// Whether the peers are installed; in CI they must be.
fn peers_installed() -> bool {
    let installed = ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/sbin/dropbear"]
        .iter()
        .all(|p| Path::new(p).exists());
    if !installed {
        assert!(
            !in_ci(),
            "the real lane's peers are missing in CI: ci/install-peers should have installed them"
        );
        eprintln!(
            "SKIPPED: real-lane test: OpenSSH or Dropbear is not installed (run ci/install-peers)"
        );
    }
    installed
}

/// The machine's real peers to this test alone: both turns at them, the
/// file locks `hangar-real-peers.{0,1}.lock` in the temporary directory
/// that every real-lane test takes (flock(2) through `File::lock`, so they
/// hold across the threads of `cargo test` and the processes of `cargo
/// nextest`). `None`, after a message, when the peers are not installed
/// outside CI.
fn real_peers() -> Option<Vec<File>> {
    if !peers_installed() {
        return None;
    }
    let since = Instant::now();
    loop {
        let held: Vec<File> = (0..2)
            .map(|n| {
                let path = std::env::temp_dir().join(format!("hangar-real-peers.{n}.lock"));
                OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            })
            .filter_map(|file| file.try_lock().is_ok().then_some(file))
            .collect();
        if held.len() == 2 {
            return Some(held);
        }
        drop(held);
        assert!(
            since.elapsed() < Duration::from_secs(30 * 60),
            "no turn at the real peers within 30 minutes"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// hangar's own binaries, built next to the test binary's directory (cargo
/// builds a package's binaries for its integration tests).
fn hangar_binaries_built() -> bool {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let built = ["hangar-sshd", "hangar-ssh"]
        .iter()
        .all(|b| dir.join(b).exists());
    if !built {
        assert!(!in_ci(), "hangar-sshd and hangar-ssh are not built in CI");
        eprintln!("SKIPPED: hangar targets: hangar-sshd and hangar-ssh are not built");
    }
    built
}

fn example() -> TargetsFile {
    TargetsFile::load(&repo().join("ci/targets.example.toml")).unwrap_or_else(|e| panic!("{e}"))
}

fn named<'a>(file: &'a TargetsFile, name: &str) -> &'a RealTarget {
    file.targets.iter().find(|t| t.name == name).unwrap()
}

fn catalog(path: &str) -> Scenario {
    hangar::catalog::load(&repo().join(path)).unwrap_or_else(|e| panic!("{e}"))
}

fn scenario(toml: &str) -> Scenario {
    load_str(
        "real-test.toml",
        &format!("title = \"t\"\nsource = \"s\"\n{toml}"),
    )
    .unwrap()
}

fn run(s: &Scenario, target: &RealTarget) -> (RunResult, Verdict) {
    assert_eq!(hangar::real::unsupported(s, target), None);
    let result = hangar::real::run(s, target).unwrap_or_else(|e| panic!("{e}"));
    let verdict = check(
        &expectations_for(s, target.like, LaneKind::Real),
        &result.outcome,
    );
    (result, verdict)
}

fn assert_nothing_left() {
    let left = leftovers_of_this_process();
    assert!(left.is_empty(), "processes outlived their runs: {left:?}");
}

#[test]
fn the_example_targets_run_debians_openssh_and_dropbear_through_templates() {
    let Some(_serial) = real_peers() else {
        return;
    };
    let file = example();
    let s = catalog("scenarios/exit/exit-status.toml");
    for name in ["debian-openssh", "debian-dropbear"] {
        let target = named(&file, name);
        let (result, verdict) = run(&s, target);
        assert_eq!(verdict, Verdict::Pass, "{name}: {:?}", result.outcome);
        let user = result.user_target().expect("a user target");
        assert_eq!(user.name, name);
        assert_eq!(result.target, target.like);
    }
    assert_nothing_left();
}

/// The same server configured on its command line alone, run as it is
/// (no private home): another way a maintainer may write a target.
#[test]
fn a_target_configured_on_the_command_line_runs() {
    let Some(_serial) = real_peers() else {
        return;
    };
    let dir = tempdir("cmdline");
    let path = dir.join("targets.toml");
    std::fs::write(
        &path,
        r#"
[target.sshd-flags]
like = "openssh"
private_home = "never"
setup = ['[ "$(id -u)" != 0 ] || mkdir -p /run/sshd']
server = """/usr/sbin/sshd -D -e -f /dev/null -o Port={port} -o ListenAddress=127.0.0.1 \
  -o HostKey={host_key} -o AuthorizedKeysFile={authorized_keys} -o StrictModes=no -o UsePAM=no \
  -o PidFile=none -o SetEnv={marker}"""
client = "/usr/bin/ssh -F none -o HostName=127.0.0.1 -p {port} -l {user} -i {user_key} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR"
"#,
    )
    .unwrap();
    let file = TargetsFile::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let s = scenario(
        "[[step]]\nrun = \"ssh server 'echo hi; exit 7'\"\n[expect]\nclient = { exit = 7, within = \"5s\" }\nstdout_bytes = 3\n",
    );
    let (result, verdict) = run(&s, named(&file, "sshd-flags"));
    assert_eq!(verdict, Verdict::Pass, "{:?}", result.outcome);
    // It has no scp, and without a private home no [world] files: said.
    let target = named(&file, "sshd-flags");
    let scp = scenario("[[step]]\nrun = \"scp -O server:f .\"\n");
    assert!(
        hangar::real::unsupported(&scp, target)
            .unwrap()
            .contains("has no scp client (no `scp` in its definition)")
    );
    // A scenario option the `like` target honours, passed nowhere here.
    let alive =
        scenario("[server]\nClientAliveInterval = \"1s\"\n[[step]]\nrun = \"ssh server true\"\n");
    assert_eq!(
        hangar::real::unsupported(&alive, target).unwrap(),
        "the scenario sets [server] ClientAliveInterval, and target `sshd-flags` passes it nowhere: \
         add {client_alive_interval} to its server command or files"
    );
    let alive =
        scenario("[client]\nServerAliveInterval = \"1s\"\n[[step]]\nrun = \"ssh server true\"\n");
    assert!(
        hangar::real::unsupported(&alive, target)
            .unwrap()
            .starts_with("the scenario sets [client] ServerAliveInterval, and target `sshd-flags` passes it nowhere: \
             add it under [target.sshd-flags.client_options], e.g. ServerAliveInterval = \"-o ServerAliveInterval={server_alive_interval}\"")
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_nothing_left();
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hangar-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn hangar(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(args)
        .current_dir(repo())
        .env_remove("HANGAR_TARGETS")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn reports_name_the_build_that_ran_and_replay_it() {
    let Some(_serial) = real_peers() else {
        return;
    };
    let (code, out, err) = hangar(&[
        "run",
        "scenarios/exit/exit-status.toml",
        "--lane",
        "real",
        "--targets",
        "ci/targets.example.toml",
        "--target",
        "debian-openssh",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(
            "pass    scenarios/exit/exit-status.toml [debian-openssh (like openssh)] seed=0 exit=7"
        ),
        "{out}"
    );
    let (code, out, err) = hangar(&[
        "run",
        "scenarios/exit/exit-status.toml",
        "--lane",
        "real",
        "--targets",
        "ci/targets.example.toml",
        "--target",
        "debian-dropbear",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let json: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(json["target"], "debian-dropbear");
    assert_eq!(json["like"], "dropbear");
    assert_eq!(json["targets_file"], "ci/targets.example.toml");
    assert_eq!(
        json["replay"],
        "hangar run scenarios/exit/exit-status.toml --lane real --targets ci/targets.example.toml --target debian-dropbear -v"
    );
}

/// `--retries`: a job that failed runs again; passing then counts as a
/// pass reported as flaky, with the failed try printed in full. The
/// target's client fails the first time it is started (it leaves a mark
/// in the test's directory), and works after that.
#[test]
fn a_job_that_fails_once_passes_on_a_retry_and_is_called_flaky() {
    let Some(_serial) = real_peers() else {
        return;
    };
    let dir = tempdir("retries");
    let path = dir.join("targets.toml");
    let mark = dir.join("tried");
    std::fs::write(
        &path,
        format!(
            r#"
[target.fails-once]
like = "dropbear"
private_home = "always"
setup = ["/usr/bin/dropbearconvert openssh dropbear {{host_key}} {{config_dir}}/host_key"]
server = "env {{marker}} /usr/sbin/dropbear -F -E -e -s -m -p 127.0.0.1:{{port}} -r {{config_dir}}/host_key"
client = """sh -c 'mkdir {mark} 2>/dev/null && exit 3; exec /usr/bin/ssh -F none -o HostName=127.0.0.1 \
  -o Port={{port}} -o User={{user}} -o IdentityFile={{user_key}} -o StrictHostKeyChecking=no \
  -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes "$@"' ssh"""
"#,
            mark = mark.display()
        ),
    )
    .unwrap();
    let run = |more: &[&str]| {
        let mut args = vec![
            "run",
            "scenarios/exit/exit-status.toml",
            "--lane",
            "real",
            "--targets",
            path.to_str().unwrap(),
        ];
        args.extend_from_slice(more);
        hangar(&args)
    };
    let (code, out, err) = run(&["--retries", "1"]);
    assert_eq!(code, 0, "{out}{err}");
    for expected in [
        // The failed try, in full, then the pass.
        "verdict: fail",
        "try 1 of 2: run again",
        "pass    scenarios/exit/exit-status.toml [fails-once (like dropbear)] seed=0 exit=7",
        "flaky: passed on try 2, after failing before",
        "1 passed (1 of them only on a retry: flaky), 0 failed or unknown",
    ] {
        assert!(out.contains(expected), "{expected:?} missing:\n{out}");
    }
    // Under --repeat, a try whose first run failed differs from its
    // second run, and is retried like any failed try.
    std::fs::remove_dir(&mark).unwrap();
    let (code, out, err) = run(&["--repeat", "2", "--retries", "1"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("traces differ"), "{out}");
    assert!(
        out.contains("1 passed (1 of them only on a retry: flaky)"),
        "{out}"
    );
    // Without retries the same first failure fails the run.
    std::fs::remove_dir(&mark).unwrap();
    let (code, out, _) = run(&["--retries", "0"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("0 passed, 1 failed or unknown"), "{out}");
    // The sim lane gives the same run for the same seed: nothing to retry.
    let (code, _, err) = hangar(&["run", "scenarios/exit/exit-status.toml", "--retries", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("error: --retries:"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
    assert_nothing_left();
}

#[test]
fn a_bad_targets_file_runs_nothing_and_says_where() {
    let dir = tempdir("bad");
    let path = dir.join("targets.toml");
    std::fs::write(
        &path,
        "[target.mine]\nlike = \"openssh\"\nserver = \"/opt/sshd -p {prot}\"\nclient = \"ssh -p {port}\"\n",
    )
    .unwrap();
    let path_text = path.display().to_string();
    let (code, out, err) = hangar(&[
        "run",
        "scenarios/exit/exit-status.toml",
        "--lane",
        "real",
        "--targets",
        &path_text,
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.starts_with(&format!(
            "{path_text}:3:24: target.mine.server: unknown placeholder `{{prot}}` (did you mean `{{port}}`?)"
        )),
        "{err}"
    );
    assert!(err.contains("\n  example: server = "), "{err}");
    assert!(!out.contains("pass"), "{out}");
    let (code, _, err) = hangar(&[
        "run",
        "scenarios/exit/exit-status.toml",
        "--lane",
        "real",
        "--targets",
        "no/such/targets.toml",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with(
            "no/such/targets.toml:1:1: cannot read the targets file: no such file\n  example: hangar run"
        ),
        "{err}"
    );
    let (code, _, err) = hangar(&[
        "run",
        "scenarios/exit/exit-status.toml",
        "--targets",
        "ci/targets.example.toml",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("run in the real lane"), "{err}");
    let (code, _, err) = hangar(&[
        "run",
        "scenarios/exit/exit-status.toml",
        "--lane",
        "real",
        "--target",
        "debian-openssh",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown target `debian-openssh`") && err.contains("--targets FILE"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn hangar_target(policy: Policy) -> RealTarget {
    RealTarget::builtin(Target::Hangar(policy))
}

#[test]
fn hangar_targets_pass_the_exit_status_through() {
    let Some(_serial) = real_peers() else {
        return;
    };
    if !hangar_binaries_built() {
        return;
    }
    let s = catalog("scenarios/exit/exit-status.toml");
    for policy in [Policy::WaitEof, Policy::CloseOnExit] {
        let target = hangar_target(policy);
        let (result, verdict) = run(&s, &target);
        assert_eq!(
            verdict,
            Verdict::Pass,
            "{}: {:?}\n{:?}",
            target.name,
            result.outcome,
            result.events
        );
    }
    assert_nothing_left();
}

#[test]
fn a_background_job_holds_a_wait_eof_session_and_not_a_close_on_exit_one() {
    let Some(_serial) = real_peers() else {
        return;
    };
    if !hangar_binaries_built() {
        return;
    }
    let s = scenario(
        r#"
[[step]]
run = "ssh server 'sleep 3 &'"
[world]
horizon = "10s"
[expect]
client = { exit = 0, after = "3s", within = "5s" }
survivors = []
[expect."hangar:close-on-exit"]
client = { exit = 0, within = "1.5s" }
survivors = ["sleep"]
"#,
    );
    for policy in [Policy::WaitEof, Policy::CloseOnExit] {
        let target = hangar_target(policy);
        let (result, verdict) = run(&s, &target);
        assert_eq!(
            verdict,
            Verdict::Pass,
            "{}: {:?}\n{:?}",
            target.name,
            result.outcome,
            result.events
        );
    }
    assert_nothing_left();
}

#[test]
fn hangar_targets_copy_with_openssh_scp() {
    let s = catalog("scenarios/race/scp-big.toml");
    for policy in [Policy::WaitEof, Policy::CloseOnExit] {
        assert_eq!(hangar::real::unsupported(&s, &hangar_target(policy)), None);
    }
}
