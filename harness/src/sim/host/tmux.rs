//! A minimal tmux(1): a server that outlives the login session and keeps
//! each of its sessions' programs on a pty of its own.
//!
//! - `tmux new -d [-s NAME] [COMMAND]` (also `new-session`): starts the
//!   server when none runs (a daemon: child of init, its own session, fds
//!   on /dev/null), which opens a pty and runs COMMAND (`sh -c`) or a login
//!   shell on it, in a new session with that pty as controlling terminal.
//!   Without `-d` the client attaches at once.
//! - `tmux attach [-t NAME]` (also `a`, `attach-session`): the client puts
//!   its terminal in raw mode, redraws the session's output so far, then
//!   relays: the session's output to its stdout, its keystrokes to the
//!   session. `^B d` detaches (`[detached (from session NAME)]`). A hangup
//!   of the client's terminal ends only the client: the session's programs
//!   live in the server's sessions and never see it.
//! - `tmux ls`: one line per session.
//! - When a session's program exits the session closes (its attached
//!   clients print `[exited]`); the server exits with its last session.

use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use super::env::HostEnv;
use super::login::login_shell;
use super::shell::sh_program;
use crate::sim::unix::{FdTable, Kernel, OpenFile, Pid, Proc, Program, Tty};
use crate::trace::TtyEvent;

/// tmux's prefix key, `^B`.
const PREFIX: u8 = 0x02;

/// The tmux server of one host, shared by its clients (tmux's socket).
#[derive(Clone, Default)]
pub struct TmuxServer {
    state: Arc<Mutex<ServerState>>,
    /// Woken when a session's output grows or a session closes.
    changed: Arc<Notify>,
}

#[derive(Default)]
struct ServerState {
    pid: Option<Pid>,
    sessions: Vec<Session>,
    next_name: u32,
}

struct Session {
    name: String,
    tty: Arc<Tty>,
    /// Everything the session's programs wrote, for redraws.
    output: Vec<u8>,
    closed: bool,
}

pub async fn tmux(proc: Proc, env: Arc<HostEnv>, argv: Vec<String>) -> i32 {
    let server = env.tmux.clone();
    let command = argv.get(1).map(String::as_str).unwrap_or("new-session");
    let rest = &argv[argv.len().min(2)..];
    match command {
        "new" | "new-session" => {
            let mut detached = false;
            let mut name = None;
            let mut words = Vec::new();
            let mut args = rest.iter();
            while let Some(arg) = args.next() {
                match arg.as_str() {
                    "-d" => detached = true,
                    "-s" => name = args.next().cloned(),
                    _ => {
                        words.push(arg.clone());
                        words.extend(args.by_ref().cloned());
                    }
                }
            }
            let name = server.new_session(&proc, env, name, words.join(" "));
            if detached {
                0
            } else {
                server.attach(&proc, &name).await
            }
        }
        "attach" | "a" | "attach-session" => {
            let wanted = match rest {
                [t, name, ..] if t == "-t" => Some(name.clone()),
                _ => None,
            };
            let name = {
                let st = server.state.lock().unwrap();
                let open = st.sessions.iter().filter(|s| !s.closed);
                match &wanted {
                    Some(w) => open.map(|s| s.name.clone()).find(|n| n == w),
                    None => open.map(|s| s.name.clone()).next_back(),
                }
            };
            match name {
                Some(name) => server.attach(&proc, &name).await,
                None => {
                    let why = match wanted {
                        Some(w) => format!("can't find session: {w}\n"),
                        None => "no sessions\n".to_string(),
                    };
                    let _ = proc.write(2, why.as_bytes()).await;
                    1
                }
            }
        }
        "ls" | "list-sessions" => {
            let lines: Vec<String> = {
                let st = server.state.lock().unwrap();
                st.sessions
                    .iter()
                    .filter(|s| !s.closed)
                    .map(|s| format!("{}: 1 windows\n", s.name))
                    .collect()
            };
            if lines.is_empty() {
                let _ = proc
                    .write(2, b"no server running on /tmp/tmux-1000/default\n")
                    .await;
                return 1;
            }
            let _ = proc.write(1, lines.concat().as_bytes()).await;
            0
        }
        other => {
            let _ = proc
                .write(2, format!("unknown command: {other}\n").as_bytes())
                .await;
            1
        }
    }
}

impl TmuxServer {
    /// The server's pid, starting the server if none runs.
    fn server_pid(&self, proc: &Proc) -> Pid {
        let kernel = &proc.kernel;
        if let Some(pid) = self.state.lock().unwrap().pid
            && kernel.state_of(pid).is_some()
        {
            return pid;
        }
        // daemon(3): re-parented to init, a session of its own, no terminal.
        let mut fds = FdTable::default();
        for fd in 0..3 {
            fds.set(fd, OpenFile::dev_null());
        }
        let server = self.clone();
        let pid = proc.spawn("tmux: server", fds, move |proc: Proc| -> Program {
            let _ = proc.kernel.setsid(proc.pid);
            Box::pin(async move {
                let _hang_up = HangUpOnExit {
                    kernel: proc.kernel.clone(),
                    server: server.clone(),
                };
                server.until_no_session_left().await;
                0
            })
        });
        kernel.reparent_to_init(pid);
        self.state.lock().unwrap().pid = Some(pid);
        pid
    }

    fn new_session(
        &self,
        proc: &Proc,
        env: Arc<HostEnv>,
        name: Option<String>,
        command: String,
    ) -> String {
        let server_pid = self.server_pid(proc);
        let kernel = proc.kernel.clone();
        let tty = kernel.open_pty();
        let name = {
            let mut st = self.state.lock().unwrap();
            let name = name.unwrap_or_else(|| {
                let n = st.next_name;
                st.next_name += 1;
                n.to_string()
            });
            st.sessions.push(Session {
                name: name.clone(),
                tty: tty.clone(),
                output: Vec::new(),
                closed: false,
            });
            name
        };
        let mut fds = FdTable::default();
        for fd in 0..3 {
            fds.set(fd, OpenFile::tty(&tty));
        }
        let controlling = tty.clone();
        let window = kernel.spawn(server_pid, "sh", fds, move |proc: Proc| -> Program {
            let _ = proc.kernel.setsid(proc.pid);
            let _ = proc.kernel.set_controlling_tty(proc.pid, &controlling);
            match hangar_shell::parse(&command) {
                Ok(script) if !command.trim().is_empty() => sh_program(script, env, None)(proc),
                _ => login_shell(env)(proc),
            }
        });
        kernel.trace().log(
            kernel.label(server_pid),
            TtyEvent::NewSession {
                name: name.clone(),
                tty: tty.name().to_string(),
            },
        );
        tokio::spawn(self.clone().keep_session(kernel, name.clone(), tty, window));
        name
    }

    /// Copies the session's output into its record until its program
    /// exits; then closes the session.
    async fn keep_session(self, kernel: Kernel, name: String, tty: Arc<Tty>, window: Pid) {
        let copy = async {
            loop {
                let block = tty.read_output().await;
                if block.is_empty() {
                    std::future::pending::<()>().await;
                }
                self.with_session(&name, |s| s.output.extend_from_slice(&block));
                self.changed.notify_waiters();
            }
        };
        tokio::select! {
            _ = kernel.exited(window) => {}
            _ = copy => {}
        }
        let rest = tty.take_output();
        self.with_session(&name, |s| {
            s.output.extend_from_slice(&rest);
            s.closed = true;
        });
        kernel.hang_up(&tty);
        self.changed.notify_waiters();
    }

    fn with_session(&self, name: &str, f: impl FnOnce(&mut Session)) {
        let mut st = self.state.lock().unwrap();
        if let Some(s) = st.sessions.iter_mut().find(|s| s.name == name) {
            f(s);
        }
    }

    async fn until_no_session_left(&self) {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.state.lock().unwrap().sessions.iter().all(|s| s.closed) {
                return;
            }
            notified.await;
        }
    }

    /// The attached client: relays until detach, session end or hangup.
    async fn attach(&self, proc: &Proc, name: &str) -> i32 {
        let saved = proc.tcgetattr(0).ok();
        if let Some(t) = saved
            && proc.tcsetattr(0, t.raw()).await.is_err()
        {
            return 1;
        }
        let tty = {
            let st = self.state.lock().unwrap();
            st.sessions
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.tty.clone())
        };
        let Some(tty) = tty else { return 1 };
        proc.kernel.trace().log(
            proc.label(),
            TtyEvent::Attaches {
                name: name.to_string(),
            },
        );
        // terminfo(5) smcup: tmux draws on the terminal's alternate screen
        // (xterm's `CSI ? 1049 h`), and rmcup gives the old one back.
        let _ = proc.write(1, ENTER_ALTERNATE).await;
        let mut shown = 0;
        let mut after_prefix = false;
        let code = loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (fresh, closed) = {
                let st = self.state.lock().unwrap();
                let s = st.sessions.iter().find(|s| s.name == name);
                match s {
                    Some(s) => (s.output[shown..].to_vec(), s.closed),
                    None => (Vec::new(), true),
                }
            };
            if !fresh.is_empty() {
                shown += fresh.len();
                if proc.write(1, &fresh).await.is_err() {
                    break 0;
                }
            }
            if closed {
                let _ = proc.write(1, LEAVE_ALTERNATE).await;
                let _ = proc.write(1, b"[exited]\r\n").await;
                break 0;
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = proc.readable(0) => {
                    let keys = match proc.read(0, 1024).await {
                        Ok(keys) if !keys.is_empty() => keys,
                        // The terminal hung up or went away: the client ends.
                        _ => break 1,
                    };
                    for key in keys {
                        if after_prefix && key == b'd' {
                            let _ = proc.write(1, LEAVE_ALTERNATE).await;
                            let text = format!("[detached (from session {name})]\r\n");
                            let _ = proc.write(1, text.as_bytes()).await;
                            if let Some(t) = saved {
                                let _ = proc.tcsetattr(0, t).await;
                            }
                            return 0;
                        }
                        after_prefix = key == PREFIX && !after_prefix;
                        if !after_prefix {
                            proc.kernel.type_into(&tty, &[key], "the terminal (typed through tmux)");
                        }
                    }
                }
            }
        };
        if let Some(t) = saved {
            let _ = proc.tcsetattr(0, t).await;
        }
        code
    }
}

/// smcup and rmcup of xterm's terminfo entry.
const ENTER_ALTERNATE: &[u8] = b"\x1b[?1049h\x1b[H\x1b[2J";
const LEAVE_ALTERNATE: &[u8] = b"\x1b[?1049l";

/// The server's end of its ptys: when the server dies, they hang up.
struct HangUpOnExit {
    kernel: Kernel,
    server: TmuxServer,
}

impl Drop for HangUpOnExit {
    fn drop(&mut self) {
        let ttys: Vec<Arc<Tty>> = {
            let mut st = self.server.state.lock().unwrap();
            st.pid = None;
            st.sessions.drain(..).map(|s| s.tty).collect()
        };
        for tty in ttys {
            self.kernel.hang_up(&tty);
        }
        self.server.changed.notify_waiters();
    }
}
