//! hangar-sshd and hangar-ssh as real programs on 127.0.0.1: sessions,
//! the teardown policies over real pipes, ptys, keepalives, the event log,
//! and OpenSSH's ssh as a client of hangar-sshd.
//!
//! Every server runs in a process group of its own and marks its sessions
//! with a variable of the test's own; a guard kills both when the test
//! ends, and every wait is bounded.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

const SSHD: &str = env!("CARGO_BIN_EXE_hangar-sshd");
const SSH: &str = env!("CARGO_BIN_EXE_hangar-ssh");
const MARKER: &str = "HANGAR_BINARIES_TEST";
/// No test waits longer than this for anything.
const PATIENCE: Duration = Duration::from_secs(20);

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A fresh directory with a host key, a user key and authorized_keys.
struct Keys {
    dir: PathBuf,
}

impl Keys {
    fn new() -> Keys {
        let id = format!(
            "{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let dir = std::env::temp_dir().join(format!("hangar-binaries-{id}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for key in ["host", "user"] {
            let made = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(dir.join(key))
                .stdin(Stdio::null())
                .status()
                .expect("ssh-keygen (apt-get install -y openssh-client)");
            assert!(made.success());
        }
        std::fs::copy(dir.join("user.pub"), dir.join("authorized_keys")).unwrap();
        Keys { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running hangar-sshd; killed, with every session process it marked,
/// when dropped.
struct Server {
    keys: Keys,
    port: u16,
    marker: String,
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Server {
    fn start(policy: &str) -> Server {
        Server::start_with(policy, &[])
    }

    fn start_with(policy: &str, extra: &[&str]) -> Server {
        Server::start_from(Command::new(SSHD), policy, extra)
    }

    /// A server started as `cmd &` in a script starts it: SIGINT and
    /// SIGQUIT ignored (POSIX sh, asynchronous lists).
    fn start_in_background_of_a_script(policy: &str) -> Server {
        let mut sshd = Command::new(SSHD);
        // SAFETY: signal(2) is async-signal-safe.
        unsafe {
            sshd.pre_exec(|| {
                for sig in [Signal::SIGINT, Signal::SIGQUIT] {
                    nix::sys::signal::signal(sig, nix::sys::signal::SigHandler::SigIgn)?;
                }
                Ok(())
            });
        }
        Server::start_from(sshd, policy, &[])
    }

    fn start_from(mut sshd: Command, policy: &str, extra: &[&str]) -> Server {
        let keys = Keys::new();
        let marker = keys.dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut child = sshd
            .args(["--listen", "127.0.0.1:0", "--policy", policy])
            .arg("--host-key")
            .arg(keys.path("host"))
            .arg("--authorized-keys")
            .arg(keys.path("authorized_keys"))
            .args(["--setenv", &format!("{MARKER}={marker}")])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (port_tx, port_rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(port) = line
                    .split("listening on 127.0.0.1:")
                    .nth(1)
                    .and_then(|rest| rest.split(' ').next())
                    .and_then(|p| p.parse::<u16>().ok())
                {
                    let _ = port_tx.send(port);
                }
                let mut log = lines.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let port = port_rx
            .recv_timeout(PATIENCE)
            .expect("hangar-sshd did not say where it listens");
        Server {
            keys,
            port,
            marker,
            child,
            log,
        }
    }

    /// hangar-ssh to this server, with `args` before the host.
    fn ssh(&self, args: &[&str], command: &str) -> Command {
        let mut ssh = Command::new(SSH);
        ssh.args([
            "-p",
            &self.port.to_string(),
            "-o",
            "HostName=127.0.0.1",
            "-i",
        ])
        .arg(self.keys.path("user"))
        .args(args)
        .arg("server");
        if !command.is_empty() {
            ssh.arg(command);
        }
        ssh
    }

    /// The server's log so far.
    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the log has `text`.
    fn wait_for_log(&self, text: &str) {
        let start = Instant::now();
        while !self.log().contains(text) {
            assert!(
                start.elapsed() < PATIENCE,
                "no `{text}` in:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Session processes of this server still alive.
    fn survivors(&self) -> Vec<u32> {
        marked(&format!("{MARKER}={}", self.marker))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = killpg(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL);
        let _ = self.child.wait();
        for pid in self.survivors() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
        }
    }
}

/// Live processes whose environment has `needle` (proc(5)).
fn marked(needle: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat
                .rsplit(')')
                .next()
                .is_some_and(|s| s.trim_start().starts_with('Z'));
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            !zombie && environ.split(|b| *b == 0).any(|v| v == needle.as_bytes())
        })
        .collect()
}

/// What a finished client did.
struct Ran {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
    took: Duration,
}

impl Ran {
    fn code(&self) -> Option<i32> {
        self.status.code()
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs a client in its own process group with stdin from `input` (or
/// /dev/null), killing it if it outlives the test's patience.
fn run(mut command: Command, input: Option<&[u8]>) -> Ran {
    let start = Instant::now();
    let mut child = command
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    if let Some(input) = input {
        // From a thread: a client that does not read must not block the test.
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_vec();
        std::thread::spawn(move || stdin.write_all(&input));
    }
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let status = wait_bounded(&mut child);
    let took = start.elapsed();
    Ran {
        status,
        stdout: stdout.recv_timeout(PATIENCE).unwrap(),
        stderr: String::from_utf8_lossy(&stderr.recv_timeout(PATIENCE).unwrap()).into_owned(),
        took,
    }
}

/// The first line a running client prints, within the test's patience.
fn first_line(client: &mut Child) -> String {
    let stdout = client.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    rx.recv_timeout(PATIENCE).unwrap_or_else(|_| {
        let _ = killpg(Pid::from_raw(client.id() as i32), Signal::SIGKILL);
        let _ = client.wait();
        panic!("the client printed no line within {PATIENCE:?}");
    })
}

fn drain(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send(bytes);
    });
    rx
}

fn wait_bounded(child: &mut Child) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > PATIENCE {
            let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
            let _ = child.wait();
            panic!("the client did not finish within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The events of a `-E` log without their times.
fn events(path: &Path) -> Vec<(u64, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let (ms, event) = line.split_once(' ').unwrap();
            (ms.parse().unwrap(), event.to_string())
        })
        .collect()
}

#[test]
fn exec_returns_the_exit_status_and_both_streams() {
    let server = Server::start("wait-eof");
    let ran = run(server.ssh(&[], "echo out; echo err >&2; exit 3"), None);
    assert_eq!(ran.code(), Some(3), "{}", ran.stderr);
    assert_eq!(ran.stdout(), "out\n");
    assert_eq!(ran.stderr, "err\n");
}

#[test]
fn sessions_run_like_sshd_runs_them() {
    let server = Server::start_with("wait-eof", &["--setenv", "EXTRA=yes"]);
    let ran = run(
        server.ssh(
            &["-n"],
            "echo \"$PATH|$EXTRA|$HOME|$SHELL\"; pwd; \
             read -r _ _ _ _ pgid sid _ < /proc/$$/stat; echo $sid $pgid $$",
        ),
        None,
    );
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    let out = ran.stdout();
    let mut lines = out.lines();
    let home = nix::unistd::User::from_uid(nix::unistd::getuid())
        .unwrap()
        .unwrap();
    assert_eq!(
        lines.next().unwrap(),
        format!(
            "/usr/local/bin:/usr/bin:/bin|yes|{}|{}",
            home.dir.display(),
            home.shell.display()
        )
    );
    assert_eq!(lines.next().unwrap(), home.dir.display().to_string());
    // The child leads its own session and process group.
    let ids: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert!(
        ids[0] == ids[1] && ids[1] == ids[2],
        "sid pgid pid: {ids:?}"
    );
}

#[test]
fn sessions_start_with_default_signal_dispositions() {
    let server = Server::start_in_background_of_a_script("wait-eof");
    let ran = run(server.ssh(&["-n"], "grep SigIgn /proc/self/status"), None);
    let ignored = ran.stdout();
    let mask =
        u64::from_str_radix(ignored.trim().trim_start_matches("SigIgn:").trim(), 16).unwrap();
    // Bit n-1 is signal n (proc(5)): SIGINT is 2, SIGQUIT 3.
    assert_eq!(mask & 0b110, 0, "{ignored}");
}

#[test]
fn a_terminating_signal_ends_the_client_with_255() {
    let server = Server::start("wait-eof");
    let mut client = server
        .ssh(&["-n"], "echo up; sleep 10")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    assert_eq!(first_line(&mut client), "up\n");
    kill(Pid::from_raw(client.id() as i32), Signal::SIGTERM).unwrap();
    assert_eq!(wait_bounded(&mut client).code(), Some(255));
}

#[test]
fn stdin_is_forwarded_and_its_end_is_eof() {
    let server = Server::start("wait-eof");
    let ran = run(server.ssh(&[], "wc -c"), Some(&[b'x'; 100_000]));
    assert_eq!(ran.code(), Some(0), "{}", ran.stderr);
    assert_eq!(ran.stdout().trim(), "100000");
}

#[test]
fn wait_eof_waits_for_a_background_job_holding_stdout_close_on_exit_does_not() {
    let command = "echo started; sleep 2 &";
    let waits = Server::start("wait-eof");
    let ran = run(waits.ssh(&["-n"], command), None);
    assert_eq!((ran.code(), ran.stdout().as_str()), (Some(0), "started\n"));
    assert!(ran.took >= Duration::from_millis(1900), "{:?}", ran.took);

    let closes = Server::start("close-on-exit");
    let ran = run(closes.ssh(&["-n"], command), None);
    assert_eq!((ran.code(), ran.stdout().as_str()), (Some(0), "started\n"));
    assert!(ran.took < Duration::from_millis(1500), "{:?}", ran.took);
}

#[test]
fn a_job_with_redirected_stdio_does_not_hold_the_session() {
    let server = Server::start("wait-eof");
    let ran = run(
        server.ssh(&["-n"], "sleep 3 </dev/null >/dev/null 2>&1 &"),
        None,
    );
    assert_eq!(ran.code(), Some(0));
    assert!(ran.took < Duration::from_millis(2000), "{:?}", ran.took);
    // The job lives on after the session, as with sshd.
    assert!(!server.survivors().is_empty());
}

#[test]
fn drain_reads_for_its_limit_then_closes() {
    let server = Server::start("drain=500ms");
    let ran = run(
        server.ssh(&["-n"], "echo a; (sleep 0.1; echo b; sleep 3; echo c) &"),
        None,
    );
    assert_eq!((ran.code(), ran.stdout().as_str()), (Some(0), "a\nb\n"));
    assert!(ran.took < Duration::from_millis(2500), "{:?}", ran.took);
    server.wait_for_log("drain limit 500ms reached");
}

#[test]
fn close_on_exit_can_lose_the_tail_that_wait_eof_delivers() {
    const SIZE: usize = 2_000_000;
    let command = format!("head -c {SIZE} /dev/zero");
    let waits = Server::start("wait-eof");
    for _ in 0..3 {
        let ran = run(waits.ssh(&["-n"], &command), None);
        assert_eq!((ran.code(), ran.stdout.len()), (Some(0), SIZE));
    }
    // Whether the pipe still held the tail when the child's exit was seen
    // is a race; a few tries show it.
    let closes = Server::start("close-on-exit");
    let lengths: Vec<usize> = (0..5)
        .map(|_| run(closes.ssh(&["-n"], &command), None).stdout.len())
        .collect();
    assert!(lengths.iter().all(|n| *n <= SIZE), "{lengths:?}");
    assert!(lengths.iter().any(|n| *n < SIZE), "{lengths:?}");
    assert!(
        closes.log().contains("unread bytes lost"),
        "{}",
        closes.log()
    );
}

#[test]
fn the_event_log_has_exit_status_then_eof_then_close() {
    let server = Server::start("wait-eof");
    let log = server.keys.path("events");
    let ran = run(
        server.ssh(&["-n", "-E", log.to_str().unwrap()], "sleep 0.5 &"),
        None,
    );
    assert_eq!(ran.code(), Some(0));
    let events = events(&log);
    let names: Vec<&str> = events.iter().map(|(_, e)| e.as_str()).collect();
    assert_eq!(names.first(), Some(&"connected"));
    let ending: Vec<&str> = names
        .iter()
        .copied()
        .filter(|e| !matches!(*e, "connected" | "sent-eof"))
        .collect();
    assert_eq!(ending, ["exit-status 0", "eof", "close"], "{names:?}");
    assert!(names.contains(&"sent-eof"));
    let at = |name: &str| events.iter().find(|(_, e)| e == name).unwrap().0;
    assert!(at("eof") >= at("exit-status 0") + 400, "{events:?}");
}

#[test]
fn exit_signal_gives_255_and_is_logged() {
    let server = Server::start("close-on-exit");
    let log = server.keys.path("events");
    let ran = run(
        server.ssh(&["-n", "-E", log.to_str().unwrap()], "kill -TERM $$"),
        None,
    );
    assert_eq!(ran.code(), Some(255));
    let names: Vec<String> = events(&log).into_iter().map(|(_, e)| e).collect();
    assert!(names.contains(&"exit-signal TERM".to_string()), "{names:?}");
}

#[test]
fn a_pty_session_runs_on_a_terminal_and_says_goodbye() {
    let server = Server::start("wait-eof");
    let mut ssh = server.ssh(&["-tt"], "tty; echo $TERM; stty size; exit 4");
    ssh.env("TERM", "vt220");
    let ran = run(ssh, None);
    assert_eq!(ran.code(), Some(4), "{}", ran.stderr);
    let out = ran.stdout();
    assert!(out.starts_with("/dev/pts/"), "{out:?}");
    assert!(out.contains("vt220\r\n"), "{out:?}");
    assert!(out.contains("24 80\r\n"), "{out:?}");
    assert!(
        ran.stderr.ends_with("Connection to server closed.\r\n"),
        "{:?}",
        ran.stderr
    );
}

#[test]
fn no_command_without_a_terminal_gets_no_pty() {
    let server = Server::start("wait-eof");
    let ran = run(server.ssh(&[], ""), Some(b"echo $0; tty\n"));
    assert_eq!(ran.code(), Some(1), "{}", ran.stderr);
    assert_eq!(ran.stdout(), "-bash\nnot a tty\n");
    assert_eq!(
        ran.stderr,
        "Pseudo-terminal will not be allocated because stdin is not a terminal.\r\n"
    );
}

#[test]
fn losing_the_connection_hangs_the_pty_up() {
    let server = Server::start("wait-eof");
    let flag = server.keys.path("hup");
    let mut ssh = server.ssh(
        &["-tt"],
        &format!(
            "trap 'echo hup > {}; exit' HUP; echo ready; sleep 20 & wait",
            flag.display()
        ),
    );
    let mut client = ssh
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    assert_eq!(first_line(&mut client), "ready\r\n");
    let _ = killpg(Pid::from_raw(client.id() as i32), Signal::SIGKILL);
    let _ = client.wait();
    let start = Instant::now();
    while !flag.exists() {
        assert!(start.elapsed() < PATIENCE, "no SIGHUP reached the shell");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_stopped_server_times_the_client_out() {
    let server = Server::start("wait-eof");
    let log = server.keys.path("events");
    let mut ssh = server.ssh(
        &[
            "-n",
            "-o",
            "ServerAliveInterval=1",
            "-o",
            "ServerAliveCountMax=1",
            "-E",
            log.to_str().unwrap(),
        ],
        "echo up; sleep 10",
    );
    let mut client = ssh
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    assert_eq!(first_line(&mut client), "up\n");
    let sshd = Pid::from_raw(server.child.id() as i32);
    kill(sshd, Signal::SIGSTOP).unwrap();
    let stderr = drain(client.stderr.take().unwrap());
    let status = wait_bounded(&mut client);
    let _ = kill(sshd, Signal::SIGCONT);
    let stderr = String::from_utf8_lossy(&stderr.recv_timeout(PATIENCE).unwrap()).into_owned();
    assert_eq!(status.code(), Some(255));
    assert_eq!(stderr, "Timeout, server server not responding.\r\n");
    let names: Vec<String> = events(&log).into_iter().map(|(_, e)| e).collect();
    assert_eq!(names.last().map(String::as_str), Some("keepalive-timeout"));
}

#[test]
fn a_killed_server_closes_the_connection_under_the_client() {
    let server = Server::start("wait-eof");
    let log = server.keys.path("events");
    let mut client = server
        .ssh(&["-n", "-E", log.to_str().unwrap()], "echo up; sleep 10")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    assert_eq!(first_line(&mut client), "up\n");
    kill(Pid::from_raw(server.child.id() as i32), Signal::SIGKILL).unwrap();
    let stderr = drain(client.stderr.take().unwrap());
    assert_eq!(wait_bounded(&mut client).code(), Some(255));
    let stderr = String::from_utf8_lossy(&stderr.recv_timeout(PATIENCE).unwrap()).into_owned();
    assert_eq!(stderr, "Connection to server closed by remote host.\r\n");
    let names: Vec<String> = events(&log).into_iter().map(|(_, e)| e).collect();
    assert_eq!(
        names.last().map(String::as_str),
        Some("connection-lost closed by remote host")
    );
}

#[test]
fn a_stopped_client_is_dropped_by_client_alive() {
    let server = Server::start_with(
        "wait-eof",
        &[
            "--client-alive-interval",
            "1",
            "--client-alive-count-max",
            "1",
        ],
    );
    let mut client = server
        .ssh(&["-n"], "sleep 10")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    server.wait_for_log("<- exec");
    let pid = Pid::from_raw(client.id() as i32);
    kill(pid, Signal::SIGSTOP).unwrap();
    server.wait_for_log("Timeout, client not responding");
    let _ = killpg(pid, Signal::SIGKILL);
    let _ = client.wait();
}

#[test]
fn refuses_addresses_other_than_loopback() {
    let keys = Keys::new();
    let mut sshd = Command::new(SSHD);
    sshd.args(["--listen", "0.0.0.0:0", "--policy", "wait-eof"])
        .arg("--host-key")
        .arg(keys.path("host"))
        .arg("--authorized-keys")
        .arg(keys.path("authorized_keys"));
    let refused = run(sshd, None);
    assert_eq!(refused.code(), Some(1));
    assert!(
        refused.stderr.contains("127.0.0.1 only"),
        "{}",
        refused.stderr
    );

    let ran = run(
        {
            let mut ssh = Command::new(SSH);
            ssh.args(["-o", "HostName=192.0.2.1", "server", "true"]);
            ssh
        },
        None,
    );
    assert_eq!(ran.code(), Some(255));
    assert!(ran.stderr.contains("127.0.0.1 only"), "{}", ran.stderr);
}

#[test]
fn bad_arguments_are_explained_not_panicked_on() {
    let command = |program: &str, args: &[&str]| {
        let mut command = Command::new(program);
        command.args(args);
        command
    };
    let sshd = run(
        command(SSHD, &["--listen", "127.0.0.1:0", "--policy", "drain=2"]),
        None,
    );
    assert_eq!(sshd.code(), Some(1));
    assert!(
        sshd.stderr.contains("a number needs a unit"),
        "{}",
        sshd.stderr
    );
    let ssh = run(command(SSH, &["-X", "server"]), None);
    assert_eq!(ssh.code(), Some(255));
    assert!(ssh.stderr.contains("unknown option -X"), "{}", ssh.stderr);
    let refused = run(
        command(
            SSH,
            &[
                "-p",
                "1",
                "-o",
                "HostName=127.0.0.1",
                "-i",
                "/nonexistent",
                "server",
                "true",
            ],
        ),
        None,
    );
    assert_eq!(refused.code(), Some(255));
    assert!(refused.stderr.contains("Load key"), "{}", refused.stderr);
}

#[test]
fn openssh_ssh_works_against_hangar_sshd() {
    let server = Server::start("wait-eof");
    let ran = run(
        {
            let mut ssh = Command::new("/usr/bin/ssh");
            ssh.args([
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "LogLevel=ERROR",
                "-o",
                "BatchMode=yes",
                "-i",
            ])
            .arg(server.keys.path("user"))
            .args(["-p", &server.port.to_string(), "127.0.0.1"])
            .arg("echo out; echo err >&2; sleep 0.5 & exit 7");
            ssh
        },
        None,
    );
    assert_eq!(ran.code(), Some(7), "{}\n{}", ran.stderr, server.log());
    assert_eq!(ran.stdout(), "out\n");
    assert_eq!(ran.stderr, "err\n");
    assert!(ran.took >= Duration::from_millis(400), "{:?}", ran.took);
}

/// A terminal for hangar-ssh: a pty whose slave is its stdin, stdout and
/// stderr and controlling terminal, as in a terminal emulator.
#[test]
fn on_a_terminal_it_goes_raw_honours_escapes_and_restores_the_terminal() {
    use nix::sys::termios::{LocalFlags, tcgetattr};
    let server = Server::start("wait-eof");
    let pty = nix::pty::openpty(None, None).unwrap();
    let before = tcgetattr(&pty.slave).unwrap();
    assert!(before.local_flags.contains(LocalFlags::ICANON));
    let mut ssh = server.ssh(&[], "");
    let slave: &OwnedFd = &pty.slave;
    ssh.stdin(slave.try_clone().unwrap())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave.try_clone().unwrap());
    // SAFETY: setsid(2) and ioctl(2) are async-signal-safe.
    unsafe {
        ssh.pre_exec(|| {
            nix::unistd::setsid()?;
            if nix::libc::ioctl(0, nix::libc::TIOCSCTTY, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut client = ssh.spawn().unwrap();
    let pgid = Pid::from_raw(client.id() as i32);
    let mut master = std::fs::File::from(pty.master);
    let screen = Arc::new(Mutex::new(Vec::new()));
    {
        let mut reader = master.try_clone().unwrap();
        let screen = screen.clone();
        std::thread::spawn(move || {
            let mut block = [0; 4096];
            while let Ok(n) = reader.read(&mut block) {
                if n == 0 {
                    break;
                }
                screen.lock().unwrap().extend_from_slice(&block[..n]);
            }
        });
    }
    let wait_for = |text: &str| {
        let start = Instant::now();
        loop {
            let seen = String::from_utf8_lossy(&screen.lock().unwrap()).into_owned();
            if seen.contains(text) {
                return;
            }
            if start.elapsed() > PATIENCE {
                let _ = kill(pgid, Signal::SIGKILL);
                panic!("no `{text}` on the screen: {seen:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    // A login shell on a pty: the remote side echoes what is typed.
    master.write_all(b"echo \"$0 $TERM\" $((6*7))\r").unwrap();
    wait_for("42");
    let during = tcgetattr(slave.as_fd()).unwrap();
    assert!(!during.local_flags.contains(LocalFlags::ICANON), "not raw");
    // A new size of the local terminal (SIGWINCH) reaches the remote pty.
    let size = nix::libc::winsize {
        ws_row: 30,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one winsize from the struct we own.
    assert_eq!(
        unsafe { nix::libc::ioctl(master.as_raw_fd(), nix::libc::TIOCSWINSZ, &size) },
        0
    );
    master.write_all(b"stty size\r").unwrap();
    wait_for("30 100");
    // `~~` at the start of a line sends one `~`; `~.` disconnects.
    master.write_all(b"~~x\r").unwrap();
    wait_for("~x: command not found");
    master.write_all(b"\r~.").unwrap();
    let status = wait_bounded(&mut client);
    assert_eq!(status.code(), Some(255));
    wait_for("Connection to server closed.\r");
    let after = tcgetattr(slave.as_fd()).unwrap();
    assert_eq!(after.local_flags, before.local_flags);
    assert_eq!(after.input_flags, before.input_flags);
    assert_eq!(after.output_flags, before.output_flags);
}

#[test]
fn nothing_started_by_a_server_survives_it() {
    let server = Server::start("close-on-exit");
    let ran = run(server.ssh(&["-n"], "sleep 30 >/dev/null 2>&1 &"), None);
    assert_eq!(ran.code(), Some(0));
    let needle = format!("{MARKER}={}", server.marker);
    assert!(!marked(&needle).is_empty(), "the job should still run");
    let sshd = server.child.id();
    drop(server);
    assert!(
        marked(&needle).is_empty(),
        "survivors: {:?}",
        marked(&needle)
    );
    assert!(
        !Path::new(&format!("/proc/{sshd}")).exists(),
        "hangar-sshd still runs"
    );
}

/// A russh client, for the requests neither hangar-ssh nor OpenSSH's ssh
/// sends on their own (`signal`) or sends only on a terminal
/// (`window-change`).
mod requests {
    use std::sync::Arc;

    use russh::ChannelMsg;
    use russh::keys::PrivateKeyWithHashAlg;

    use super::{PATIENCE, Server};

    use hangar::ssh::algorithms::AcceptAnyHostKey as AnyHostKey;

    /// Reads the channel until its output has `text`; returns the exit
    /// status if the channel ends first.
    async fn read_until(
        channel: &mut russh::Channel<russh::client::Msg>,
        seen: &mut String,
        text: &str,
    ) -> Option<u32> {
        while !seen.contains(text) {
            match channel.wait().await? {
                ChannelMsg::Data { data } => seen.push_str(&String::from_utf8_lossy(&data)),
                ChannelMsg::ExitStatus { exit_status } => return Some(exit_status),
                _ => {}
            }
        }
        None
    }

    #[test]
    fn window_change_resizes_the_pty_and_signal_reaches_the_child() {
        let server = Server::start("wait-eof");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let session = async {
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
                .await
                .unwrap();
            let config = Arc::new(russh::client::Config::default());
            let mut handle = russh::client::connect_stream(config, stream, AnyHostKey)
                .await
                .unwrap();
            let key = russh::keys::load_secret_key(server.keys.path("user"), None).unwrap();
            // Any user name is accepted; the session runs as the server's user.
            let auth = handle
                .authenticate_publickey("anyone", PrivateKeyWithHashAlg::new(Arc::new(key), None))
                .await
                .unwrap();
            assert!(auth.success());
            let mut channel = handle.channel_open_session().await.unwrap();
            channel
                .request_pty(false, "xterm", 80, 24, 0, 0, &[])
                .await
                .unwrap();
            channel
                .exec(
                    true,
                    "trap 'stty size' WINCH; trap 'echo usr1; exit 5' USR1; \
                     echo ready; while :; do sleep 0.05; done",
                )
                .await
                .unwrap();
            let mut seen = String::new();
            assert_eq!(read_until(&mut channel, &mut seen, "ready").await, None);
            channel.window_change(100, 30, 0, 0).await.unwrap();
            assert_eq!(read_until(&mut channel, &mut seen, "30 100").await, None);
            channel.signal(russh::Sig::USR1).await.unwrap();
            // The pty's last output follows the exit status (the flush at
            // child exit): read to the end of the channel.
            let mut status = None;
            while let Some(msg) = channel.wait().await {
                match msg {
                    ChannelMsg::Data { data } => seen.push_str(&String::from_utf8_lossy(&data)),
                    ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                    _ => {}
                }
            }
            assert_eq!(status, Some(5), "{seen:?}");
            assert!(seen.contains("usr1"), "{seen:?}");
        };
        runtime.block_on(async {
            tokio::time::timeout(PATIENCE, session)
                .await
                .expect("the session did not end in time")
        });
    }
}
