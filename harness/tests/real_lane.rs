//! The real lane against the real peers: OpenSSH's sshd and Dropbear on
//! 127.0.0.1, OpenSSH's ssh, the fault proxy between them. `ci/test`
//! installs the peers; outside CI a machine without them skips these
//! tests with a message, in CI their absence fails.

mod common;

use common::real_peers;
use hangar::real::processes::leftovers_of_this_process;
use hangar::run::RunResult;
use hangar::verdict::{Verdict, check, expectations_for};
use hangar_scenario::LaneKind;
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
    let verdict = check(
        &expectations_for(s, target, LaneKind::Real),
        &result.outcome,
    );
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

/// A copy of sleep(1) under a name no other process of the machine has, so
/// that a pkill that escaped the run would harm nothing but this test.
struct Napper {
    dir: std::path::PathBuf,
    name: String,
}

impl Napper {
    fn new(tag: &str) -> Napper {
        // proc(5) comm: at most 15 bytes.
        let name = format!("nap{tag}{}", std::process::id());
        let dir = std::env::temp_dir().join(format!("hangar-test-{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy("/bin/sleep", dir.join(&name)).unwrap();
        Napper { dir, name }
    }

    fn path(&self) -> String {
        self.dir.join(&self.name).display().to_string()
    }

    /// A napper outside every run: no run marker in its environment.
    fn decoy(&self) -> std::process::Child {
        std::process::Command::new(self.path())
            .arg("300")
            .env_remove(hangar::real::processes::MARKER)
            .spawn()
            .unwrap()
    }
}

impl Drop for Napper {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether the decoy is still alive; it is killed and reaped either way.
fn survived(mut decoy: std::process::Child) -> bool {
    let alive = decoy.try_wait().unwrap().is_none();
    let _ = decoy.kill();
    let _ = decoy.wait();
    alive
}

#[test]
fn a_pkill_of_a_command_line_reaches_the_runs_processes_only() {
    let Some(_serial) = real_peers() else {
        return;
    };
    let nap = Napper::new("c");
    let decoy = nap.decoy();
    let s = scenario(&format!(
        r#"
[[step]]
run = "sh -c 'exec {path} 30'"
[[step]]
at = "1s"
run = "pkill -KILL {name}"
[world]
horizon = "10s"
[expect]
client = {{ exit = 137, within = "5s" }}
"#,
        path = nap.path(),
        name = nap.name
    ));
    let (result, verdict) = run(&s, Target::OpenSsh);
    assert!(
        survived(decoy),
        "the pkill of a run killed a process outside it"
    );
    assert_eq!(verdict, Verdict::Pass, "{:?}", result.outcome);
    assert_nothing_left();
}

#[test]
fn a_pkill_in_a_remote_command_reaches_the_runs_processes_only() {
    let Some(_serial) = real_peers() else {
        return;
    };
    let nap = Napper::new("s");
    let s = scenario(&format!(
        r#"
[[step]]
run = "ssh server '{path} 30 & sleep 1; pkill -KILL {name}; wait $!'"
[world]
horizon = "10s"
[expect]
client = {{ exit = 137, within = "5s" }}
"#,
        path = nap.path(),
        name = nap.name
    ));
    for target in [Target::OpenSsh, Target::Dropbear] {
        let decoy = nap.decoy();
        let (result, verdict) = run(&s, target);
        assert!(
            survived(decoy),
            "{target}: the remote pkill killed a process outside the run"
        );
        assert_eq!(verdict, Verdict::Pass, "{target}: {:?}", result.outcome);
        assert_nothing_left();
    }
}

/// tmux(1)'s default socket directory for this user.
fn default_tmux_dir() -> std::path::PathBuf {
    std::path::Path::new("/tmp").join(format!("tmux-{}", nix::unistd::getuid()))
}

/// What is in a directory (names), or `None` when it does not exist.
fn listing(dir: &std::path::Path) -> Option<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    Some(names)
}

#[test]
fn a_remote_tmux_keeps_its_server_in_the_run_and_goes_with_it() {
    let Some(_serial) = real_peers() else {
        return;
    };
    let s = scenario(
        r#"
[[step]]
run = "ssh -tt server 'tmux new -d -s work sleep 100'"
[world]
horizon = "10s"
[expect]
client = { exit = 0, within = "5s" }
"#,
    );
    for target in [Target::OpenSsh, Target::Dropbear] {
        let before = listing(&default_tmux_dir());
        let (result, verdict) = run(&s, target);
        assert_eq!(verdict, Verdict::Pass, "{target}: {:?}", result.outcome);
        assert_eq!(
            result.outcome.survivors.len(),
            2,
            "{target}: the tmux server and its sleep run in the run: {:?}",
            result.outcome.survivors
        );
        assert_eq!(
            listing(&default_tmux_dir()),
            before,
            "{target}: the run's tmux used the machine's default socket directory"
        );
        assert_nothing_left();
    }
}

#[test]
fn a_job_killed_with_its_witness_is_reported_killed_not_unknown() {
    let Some(_serial) = real_peers() else {
        return;
    };
    // `kill -9 %1` sends SIGKILL to the job's whole process group.
    let s = scenario(
        r#"
[[step]]
type = "ssh -n server 'sleep 30' &\n"
[[step]]
wait_for = { trace = 'server sleep\[\d+\] +started|execs sleep', timeout = "5s" }
[[step]]
type = "kill -9 %1\n"
[world]
horizon = "15s"
[expect]
client = { exit = 137, within = "10s" }
"#,
    );
    let (result, verdict) = run(&s, Target::Dropbear);
    assert_eq!(
        verdict,
        Verdict::Pass,
        "{:?}\n{:?}",
        result.outcome,
        result.events
    );
    assert!(!result.outcome.hit_horizon, "{:?}", result.outcome);
    assert_nothing_left();
}

/// SIGTERM (a CI job's timeout) or Ctrl-C to `hangar run --lane real` in
/// the middle of a run: the server, the client and the remote command
/// end with it, and so do the run's directories.
#[test]
fn an_interrupted_harness_leaves_nothing_behind() {
    use std::os::unix::process::ExitStatusExt;
    use std::time::{Duration, Instant};

    let Some(_serial) = real_peers() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("hangar-interrupt-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("long.toml");
    std::fs::write(
        &file,
        "title = \"t\"\nsource = \"s\"\n[world]\nhorizon = \"90s\"\n[[step]]\nrun = \"ssh server 'sleep 60'\"\n",
    )
    .unwrap();
    for signal in [
        nix::sys::signal::Signal::SIGTERM,
        nix::sys::signal::Signal::SIGINT,
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hangar"))
            .args(["run", "--lane", "real", "--target", "openssh"])
            .arg(&file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let started = Instant::now();
        while !hangar::real::processes::leftovers_of(pid)
            .iter()
            .any(|m| m.name == "sleep")
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the remote sleep never started"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), signal).unwrap();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(60) {
                let _ = child.kill();
                panic!("hangar did not exit on {signal}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let left = hangar::real::processes::leftovers_of(pid);
        // Whatever the verdict, this test leaves nothing either.
        hangar::real::processes::kill_all(|| hangar::real::processes::leftovers_of(pid));
        assert!(
            left.is_empty(),
            "{signal}: processes outlived hangar: {left:?}"
        );
        let mut said = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut stderr, &mut said);
        }
        assert_eq!(
            status.code(),
            Some(128 + signal as i32),
            "{status:?}; hangar said: {said}"
        );
        assert_eq!(status.signal(), None);
        let prefix = hangar::real::processes::run_dir_prefix(pid);
        let dirs: Vec<_> = std::fs::read_dir(std::env::temp_dir())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .collect();
        assert!(dirs.is_empty(), "{signal}: run directories left: {dirs:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
