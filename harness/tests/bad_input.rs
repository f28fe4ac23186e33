//! Bad scenario files and arguments get a clear error, `file:line:col`,
//! what was expected and an example, exit code 2, and nothing runs.

use std::path::PathBuf;
use std::process::Command;

use hangar::catalog::load;

/// Writes `text` to a fresh file under the target dir and returns its path.
fn scenario_file(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bad-input");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn error_of(name: &str, text: &str) -> String {
    let path = scenario_file(name, text);
    let err = load(&path).expect_err("the file is bad");
    err.to_string()
        .replace(&format!("{}", path.display()), name)
}

const HEAD: &str = "title = \"t\"\nsource = \"s\"\n";

#[test]
fn an_unknown_key_names_the_valid_ones() {
    let err = error_of("k.toml", &format!("{HEAD}horizn = \"1s\"\n"));
    assert!(
        err.starts_with("k.toml:3:1: horizn: unknown key `horizn`"),
        "{err}"
    );
}

#[test]
fn a_bad_duration_says_what_a_duration_looks_like() {
    let err = error_of(
        "d.toml",
        &format!("{HEAD}[[step]]\nat = \"30 seconds\"\nrun = \"true\"\n"),
    );
    assert!(
        err.starts_with("d.toml:4:6: step[1].at: expected a duration"),
        "{err}"
    );
    assert!(err.contains("example:"), "{err}");
}

#[test]
fn a_bad_target_lists_the_targets() {
    let err = error_of("t.toml", &format!("{HEAD}targets = [\"opensshh\"]\n"));
    assert!(err.starts_with("t.toml:3:12: targets"), "{err}");
    assert!(err.contains("openssh"), "{err}");
}

#[test]
fn an_unsupported_shell_construct_points_into_the_run_line() {
    let err = error_of(
        "p.toml",
        &format!("{HEAD}[[step]]\nat = \"0s\"\nrun = \"ssh server true |& cat\"\n"),
    );
    assert!(err.starts_with("p.toml:5:24: step[1].run:"), "{err}");
    assert!(err.contains("`|&` is a bash extension"), "{err}");
    assert!(
        err.contains("2>&1 |"),
        "the hint shows the POSIX way: {err}"
    );
}

#[test]
fn an_unknown_remote_command_is_found_inside_the_quotes() {
    let err = error_of(
        "x.toml",
        &format!("{HEAD}[[step]]\nat = \"0s\"\nrun = \"ssh server 'vim &'\"\n"),
    );
    assert!(err.starts_with("x.toml:5:20: step[1].run:"), "{err}");
    assert!(err.contains("vim"), "{err}");
    assert!(err.contains("sleep"), "the hint offers a stand-in: {err}");
}

#[test]
fn a_bad_control_key_points_at_the_caret() {
    let err = error_of("k.toml", &format!("{HEAD}[[step]]\ntype = \"sleep 9^3\"\n"));
    assert!(err.starts_with("k.toml:4:16: step[1].type:"), "{err}");
    assert!(err.contains("^C"), "{err}");
    assert!(err.contains("example:"), "{err}");
}

#[test]
fn a_regex_that_does_not_compile_is_rejected_at_load_time() {
    let err = error_of(
        "r.toml",
        &format!("{HEAD}[[step]]\nwait_for = {{ screen = '(unclosed', timeout = \"5s\" }}\n"),
    );
    assert!(err.starts_with("r.toml:4:"), "{err}");
    assert!(err.contains("does not compile"), "{err}");
}

#[test]
fn a_wait_without_a_timeout_is_rejected_with_an_example() {
    let err = error_of(
        "w.toml",
        &format!("{HEAD}[[step]]\nwait_for = {{ screen = 'server' }}\n"),
    );
    assert!(err.starts_with("w.toml:4:"), "{err}");
    assert!(err.contains("needs a timeout"), "{err}");
    assert!(err.contains("timeout = "), "{err}");
}

#[test]
fn garbage_never_panics() {
    for text in [
        "",
        "\u{0}",
        "[[step]]",
        "title = 1",
        "[expect]\nclient = 3",
        "a = [",
        &"[".repeat(500),
    ] {
        let _ = error_of("g.toml", text);
    }
}

#[test]
fn the_command_line_exits_2_and_runs_nothing() {
    let path = scenario_file(
        "cli.toml",
        &format!("{HEAD}[[step]]\nat = \"soon\"\nrun = \"true\"\n"),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .arg("run")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cli.toml:4:6: step[1].at"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).is_empty());

    let out = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args([
            "run",
            "../scenarios/exit/exit-status.toml",
            "--target",
            "putty",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--target"));
}

#[test]
fn an_ssh_option_time_over_30_days_is_refused_at_its_option() {
    let err = error_of(
        "o.toml",
        &format!("{HEAD}[[step]]\nrun = \"ssh -o ServerAliveInterval=1e300 server true\"\n"),
    );
    assert!(
        err.starts_with(
            "o.toml:4:8: step[1].run: ssh: -o ServerAliveInterval: `1e300` is longer than 30 days"
        ),
        "{err}"
    );
    assert!(err.contains("\n  example: ssh "), "{err}");
}

#[test]
fn ssh_and_sh_hints_say_example_once() {
    for line in ["ssh -L 8080:localhost:80 server true", "sh 'sleep 1'"] {
        let err = error_of("l.toml", &format!("{HEAD}[[step]]\nrun = \"{line}\"\n"));
        assert!(err.contains("\n  example: "), "{err}");
        assert!(!err.contains("example: example:"), "{err}");
    }
}

#[test]
fn bytes_that_are_not_utf8_are_reported_where_they_are() {
    let path = scenario_file("u.toml", "");
    std::fs::write(&path, b"title = \"t\"\nsource = \"ab\xffc\"\n").unwrap();
    let err = load(&path).expect_err("not UTF-8").to_string();
    let err = err.replace(&path.display().to_string(), "u.toml");
    assert_eq!(
        err,
        "u.toml:2:13: the file is not UTF-8 text: the byte 0xFF here starts no character"
    );
}

/// Reading a FIFO blocks until a writer comes, which may be never.
#[test]
fn a_path_that_is_not_a_regular_file_is_refused_before_reading() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bad-input");
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("fifo.toml");
    let _ = std::fs::remove_file(&fifo);
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let err = load(&fifo).expect_err("a FIFO").to_string();
    assert!(
        err.ends_with("fifo.toml:1:1: not a regular file (a FIFO); a scenario is a .toml file"),
        "{err}"
    );
    let err = load(&dir).expect_err("a directory").to_string();
    assert!(
        err.ends_with("not a regular file (a directory); a scenario is a .toml file"),
        "{err}"
    );
    std::fs::remove_file(&fifo).unwrap();
}

#[test]
fn zero_jobs_are_refused() {
    for command in ["run", "explore"] {
        let mut args = vec![command, "../scenarios/exit/exit-status.toml", "--jobs", "0"];
        if command == "explore" {
            args.extend(["--seeds", "0..1"]);
        }
        let out = Command::new(env!("CARGO_BIN_EXE_hangar"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{command}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("'0' for '--jobs"), "{command}: {stderr}");
        assert!(String::from_utf8_lossy(&out.stdout).is_empty(), "{command}");
    }
}

/// A remote file the simulated server does not have is refused at load
/// time, not found missing only when the run reads it.
#[test]
fn a_remote_file_that_is_not_declared_is_refused_at_its_path() {
    let err = error_of(
        "f.toml",
        &format!("{HEAD}[[step]]\nrun = \"ssh server 'head -c 5 /var/log/app.log'\"\n"),
    );
    assert_eq!(
        err,
        "f.toml:4:30: step[1].run: `/var/log/app.log` is not a file of the simulated server: \
         it has the files declared in [world] files (none), /dev/null, /dev/zero, \
         /dev/urandom and /dev/tty\n  example: [world]\n           \
         files = { \"/var/log/app.log\" = \"1MiB\" }"
    );
    let declared = format!(
        "{HEAD}[world]\nfiles = {{ \"/var/log/app.log\" = 10 }}\n[[step]]\n\
         run = \"ssh server 'head -c 5 /var/log/app.log; cat /dev/zero'\"\n"
    );
    assert!(load(&scenario_file("f2.toml", &declared)).is_ok());
}

/// The inputs in harness/fuzz/regressions/<target>/ once made a fuzz
/// target panic; each goes through the same calls as its target, on
/// stable Rust, and must not panic.
#[test]
fn fuzz_regressions_never_panic() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    let mut replayed = 0;
    for target in ["scenario_loader", "shell_parser", "targets_file"] {
        let dir = root.join(target);
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "{} is empty", dir.display());
        for input in inputs {
            let bytes = std::fs::read(&input).unwrap();
            // libFuzzer's &str targets skip what is not UTF-8.
            let Ok(text) = std::str::from_utf8(&bytes) else {
                continue;
            };
            let ran = std::panic::catch_unwind(|| match target {
                "scenario_loader" => {
                    if let Ok(s) = hangar_scenario::load_str("fuzz.toml", text) {
                        let _ = hangar::validate::check_scenario(&s, text);
                    }
                }
                "shell_parser" => {
                    if let Ok(script) = hangar_shell::parse(text) {
                        let _ = hangar::validate::check_script(&script, 0);
                    }
                }
                _ => {
                    let _ = hangar::real::targets::file::parse("fuzz.toml", text, false);
                    let _ = hangar::real::targets::file::parse("fuzz.toml", text, true);
                }
            });
            assert!(ran.is_ok(), "{} panicked", input.display());
            replayed += 1;
        }
    }
    assert!(replayed >= 3, "{replayed} inputs replayed");
}

#[test]
fn every_unknown_key_is_reported_in_file_order() {
    let path = scenario_file(
        "two.toml",
        &format!(
            "{HEAD}foo = 1\nbar = 2\n[[step]]\nat = \"0s\"\nrun = \"true\"\n\
             [expect]\nbaz = 1\n[expect.dropbear]\nqux = 2\n"
        ),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_hangar"))
        .arg("run")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let places: Vec<usize> = [
        "two.toml:3:1: foo: unknown key `foo`",
        "two.toml:4:1: bar: unknown key `bar`",
        "two.toml:9:1: expect.baz: unknown key `baz`",
        "two.toml:11:1: expect.dropbear.qux: unknown key `qux`",
    ]
    .iter()
    .map(|block| {
        stderr
            .find(block)
            .unwrap_or_else(|| panic!("{block} in:\n{stderr}"))
    })
    .collect();
    assert!(places.is_sorted(), "{stderr}");
}
