//! Runs command lines on a lone simulated host, for the unit tests of the
//! shell and the utilities (no network, no SSH).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hangar_scenario::{ClientOptions, Host, ServerOptions, Target};

use super::env::HostEnv;
use super::shell::{sh_program, start_command_line};
use crate::sim::net::Network;
use crate::sim::unix::{FdTable, INIT_PID, Kernel, OpenFile, Pid, PipeEnd, WaitStatus};
use crate::sim::{Swarm, Terminal, start_login_shell};
use crate::trace::{Trace, render_events};

/// What a command line left behind.
pub struct Ran {
    pub status: WaitStatus,
    pub stdout: String,
    pub stderr: String,
    /// When the command line ended (virtual time).
    pub ended_at: Duration,
    pub kernel: Kernel,
    pub trace: String,
}

fn lone_host_env(trace: &Trace) -> Arc<HostEnv> {
    Arc::new(HostEnv {
        host: Host::Server,
        net: Network::new(trace.clone(), Duration::from_secs(1), None),
        target: Target::OpenSsh,
        client: ClientOptions::default(),
        server: ServerOptions::default(),
        swarm: Swarm::default(),
        sessions: Arc::default(),
        tmux: super::tmux::TmuxServer::default(),
    })
}

/// What a terminal session left behind.
pub struct Typed {
    /// The screen text at the end.
    pub screen: String,
    pub kernel: Kernel,
    pub trace: String,
    /// The login shell's pid.
    pub shell: Pid,
}

/// A login shell on a terminal of a lone host (session leader, the
/// terminal its controlling tty); each `(keys, pause)` is typed keystroke
/// by keystroke, then virtual time runs for `pause`. A pause of
/// `HANG_UP` closes the terminal's master side instead.
pub fn type_session(steps: &[(&str, Duration)]) -> Typed {
    crate::sim::unix::block_on(async {
        let trace = Trace::default();
        let kernel = Kernel::new("host", trace.clone(), BTreeMap::new());
        // The runner's own terminal emulator, driven by hand.
        let mut terminal = Terminal::new(&kernel);
        let shell = start_login_shell(&kernel, terminal.tty(), lone_host_env(&trace));
        tokio::time::sleep(Duration::from_millis(1)).await;
        for (keys, pause) in steps {
            if *pause == HANG_UP {
                kernel.hang_up(&terminal.tty());
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            for key in keys.bytes() {
                terminal.type_key(key);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            tokio::time::sleep(*pause).await;
            terminal.refresh();
        }
        terminal.refresh();
        Typed {
            screen: terminal.text(),
            kernel,
            trace: render_events(&trace.events()),
            shell,
        }
    })
}

/// The pause of [`type_session`] that hangs the terminal up.
pub const HANG_UP: Duration = Duration::from_nanos(1);

/// Runs `line` as bash -c runs it (a login shell's command: sshd's
/// session), with no stdio; the trace.
pub fn run_bash_line(line: &str) -> String {
    crate::sim::unix::block_on(async {
        let trace = Trace::default();
        let kernel = Kernel::new("host", trace.clone(), BTreeMap::new());
        let env = lone_host_env(&trace);
        let script = hangar_shell::parse(line).expect("test line parses");
        let mut fds = FdTable::default();
        for fd in 0..3 {
            fds.set(fd, OpenFile::dev_null());
        }
        let pid = kernel.spawn(INIT_PID, "sh", fds, sh_program(script, env, None));
        kernel.exited(pid).await.expect("the line ran");
        render_events(&trace.events())
    })
}

/// Runs `line` with `sh -c` on a host with the given virtual files, with
/// stdin from /dev/null and stdout/stderr captured; virtual time runs.
pub fn run_line(line: &str, files: &[(&str, u64)]) -> Ran {
    crate::sim::unix::block_on(async {
        let trace = Trace::default();
        let files: BTreeMap<String, u64> = files.iter().map(|(n, s)| (n.to_string(), *s)).collect();
        let kernel = Kernel::new("host", trace.clone(), files);
        let env = lone_host_env(&trace);
        let script = hangar_shell::parse(line).expect("test line parses");
        let started = tokio::time::Instant::now();
        let (pid, out_r, err_r) = start_command_line(&kernel, env, script);
        let collect = |reader: PipeEnd| {
            let text = Arc::new(Mutex::new(Vec::new()));
            let sink = text.clone();
            tokio::spawn(
                reader.for_each_block(move |block| sink.lock().unwrap().extend_from_slice(block)),
            );
            text
        };
        let stdout = collect(out_r);
        let stderr = collect(err_r);
        let status = kernel.exited(pid).await.expect("the command line ran");
        let ended_at = started.elapsed();
        // Let background jobs run their course (bounded), then read.
        tokio::time::sleep(Duration::from_secs(120)).await;
        let text =
            |t: Arc<Mutex<Vec<u8>>>| String::from_utf8_lossy(&t.lock().unwrap()).into_owned();
        Ran {
            status,
            stdout: text(stdout),
            stderr: text(stderr),
            ended_at,
            kernel,
            trace: render_events(&trace.events()),
        }
    })
}
