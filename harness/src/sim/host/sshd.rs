//! The simulated sshd: russh's server over the simulated network, with the
//! session teardown of the target it models ([`crate::ssh::teardown`]: `openssh`
//! and `hangar:wait-eof` wait for EOF on the child's pipes, `dropbear`
//! flushes them at child exit and sends EOF before the exit status,
//! `hangar:close-on-exit` and `hangar:drain=D` close them at child exit or
//! after D). For close-on-exit, whether the last block was read first is a
//! race, and so is OpenSSH's order of exit-status and EOF; the seed decides
//! how many scheduling turns each gets.
//!
//! Without a pty nobody gets SIGHUP when the connection ends: sshd closes
//! its ends of the pipes and the remote processes live on. Sessions with a
//! pty end as `sshd_pty.rs` describes.
//!
//! The server's own timeouts (ChannelTimeout, UnusedConnectionTimeout,
//! Dropbear's `-I`) are kept as `sshd_timeouts.rs` describes.
//!
//! logind.conf(5) `KillUserProcesses=yes`: when the connection (the login
//! session) ends, every process of its scope gets SIGTERM and SIGCONT, and
//! SIGKILL after TimeoutStopSec (90 s) if still there, whatever session or
//! process group it moved to.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hangar_scenario::{Host, SESSION_COMMAND, SESSION_SHELL, Target};
use russh::server::{Auth, ChannelOpenHandle, Msg, Session};
use russh::{Channel, ChannelId};
use tokio::sync::{mpsc, watch};

use super::env::HostEnv;
use super::login::login_shell;
use super::shell::sh_program;
use super::sshd_timeouts::{Activity, channel_idle, channel_timeout, connection_timeout};
use crate::sim::net::{Closable, SSH_PORT, SimStream};
use crate::sim::unix::{
    FdTable, Kernel, OpenFile, Pid, Pipe, PipeEnd, Proc, Program, Signal, Tty, WaitStatus,
    saturating,
};
use crate::ssh::teardown::{ChannelEnd, Order, SessionEnd, tear_down};
use crate::trace::{
    Dir, EofCause, PipeEvent, PipesClosed, ProcessEvent, ServerEnd, ServerTimeout, SshEvent,
    Stream, Trace, Way, What,
};

/// systemd.kill(5): how long a stopping scope's processes get after SIGTERM
/// before SIGKILL (TimeoutStopSec's default).
const STOP_TIMEOUT: Duration = Duration::from_secs(90);

/// OpenSSH's read from a session pipe per loop iteration (channels.c:
/// CHAN_RBUF, 16 KiB).
const READ_BLOCK: usize = 16 * 1024;

/// What the run's summary needs to know about one exec session.
pub struct SessionReport {
    pub stdout: Arc<Pipe>,
    pub stderr: Arc<Pipe>,
    /// Set when the server sent CLOSE or the connection ended.
    pub closed: AtomicBool,
    /// Set once the child has exited.
    pub child_exited: AtomicBool,
    /// Set when the client's `eow@openssh.com` closed the stdout pipe:
    /// what it held was dropped at the client's word, not lost.
    pub stdout_unwanted: AtomicBool,
}

/// The sshd host's software: init, the listening sshd, one sshd process
/// per connection. Runs until the simulation ends.
pub async fn serve_sshd(kernel: Kernel, env: Arc<HostEnv>) -> turmoil::Result {
    crate::sim::clock::start_hand("server");
    let listener = turmoil::net::TcpListener::bind(("0.0.0.0", SSH_PORT)).await?;
    let config = Arc::new(server_config(&env));
    // The listening sshd: parent of the per-connection ones; it never exits.
    let sshd = kernel.spawn(
        crate::sim::unix::INIT_PID,
        "sshd",
        FdTable::default(),
        |_| -> Program { Box::pin(std::future::pending()) },
    );
    loop {
        let (stream, _) = listener.accept().await?;
        if env.net.is_down(Host::Server) {
            continue;
        }
        let stream = SimStream::accepted(env.net.clone(), stream, Host::Server, Host::Client);
        let config = config.clone();
        let env = env.clone();
        kernel.spawn(
            sshd,
            "sshd",
            FdTable::default(),
            move |proc: Proc| -> Program { Box::pin(connection(proc, env, config, stream)) },
        );
    }
}

fn server_config(env: &HostEnv) -> russh::server::Config {
    let key = russh::keys::PrivateKey::from(
        russh::keys::ssh_key::private::Ed25519Keypair::from_seed(&[7; 32]),
    );
    // russh probes after each quiet interval and gives up when more than
    // `keepalive_max` went unanswered (0: never).
    let (interval, count_max) = match env.target {
        // dropbear(8) -K, common-session.c checktimeouts: the connection is
        // dropped once nothing came for DEFAULT_KEEPALIVE_LIMIT (3) times
        // `secs`: at the third quiet interval, after two unanswered probes
        // (measured: -K 1 and -K 2 give up 3 and 6 s after the last reply).
        Target::Dropbear => (env.server.dropbear_keepalive, 2),
        // serverloop.c: a check only when ppoll timed out and
        // `now > last_client_time + ClientAliveInterval` in whole seconds
        // of monotime(), so an idle connection is checked every second
        // timeout, every 2 x interval; client_alive_check gives up when more
        // than CountMax went unanswered, never with CountMax 0 (measured:
        // interval 1 / CountMax 3 gave up 8 s, 2 / 1 8 s after the last
        // reply; 1 / 0 never).
        Target::OpenSsh => (
            env.server
                .client_alive_interval
                .map(|i| i.saturating_mul(2)),
            env.server.client_alive_count_max,
        ),
        _ => (
            env.server.client_alive_interval,
            env.server.client_alive_count_max,
        ),
    };
    // russh adds it to the clock: capped, as any user duration.
    let keepalive_interval = interval.filter(|d| !d.is_zero()).map(saturating::capped);
    if let Some(every) = keepalive_interval {
        crate::sim::clock::note_rearmed_timer(every);
    }
    russh::server::Config {
        keys: vec![key],
        auth_rejection_time: Duration::ZERO,
        auth_rejection_time_initial: Some(Duration::ZERO),
        keepalive_interval,
        keepalive_max: count_max as usize,
        inactivity_timeout: None,
        window_size: env.swarm.window.min(u32::MAX as u64) as u32,
        preferred: crate::ssh::algorithms::preferred(),
        limits: crate::ssh::algorithms::limits(),
        ..Default::default()
    }
}

/// One connection, in its own sshd process: exits when the connection ends.
async fn connection(
    proc: Proc,
    env: Arc<HostEnv>,
    config: Arc<russh::server::Config>,
    stream: SimStream,
) -> i32 {
    let trace = proc.kernel.trace().clone();
    let me = proc.label();
    trace.log(&me, SshEvent::Accepted);
    // pam_systemd: the login session's processes form one scope.
    let scope = proc.kernel.new_scope(proc.pid);
    let (stream, closer) = Closable::new(stream);
    let activity = Arc::new(Activity::new());
    let (channels, channels_seen) = watch::channel((false, 0));
    let handler = Conn {
        proc: proc.clone(),
        env: env.clone(),
        stdin: None,
        sessions: Vec::new(),
        pty_size: None,
        tty: None,
        stdout_unwanted: watch::channel(false).0,
        activity: activity.clone(),
        channels,
    };
    let session = async {
        match russh::server::run_stream(config, stream, handler).await {
            Ok(running) => running.await,
            Err(e) => Err(e),
        }
    };
    // A timeout of the server's own closes the socket; the session then
    // reads end-of-file and ends.
    let closed_by_timeout = AtomicBool::new(false);
    let timeouts = async {
        let timeout = connection_timeout(&env, &activity, channels_seen).await;
        trace.log(&me, SshEvent::ServerTimeout { timeout });
        closed_by_timeout.store(true, Ordering::Relaxed);
        closer.close();
        std::future::pending().await
    };
    let ended = tokio::select! {
        ended = session => ended,
        never = timeouts => never,
    };
    let why = match ended {
        _ if closed_by_timeout.load(Ordering::Relaxed) => ServerEnd::Closed,
        Ok(()) => ServerEnd::Closed,
        Err(russh::Error::KeepaliveTimeout) => ServerEnd::KeepaliveTimeout,
        Err(russh::Error::IO(e)) => ServerEnd::Lost(e.to_string()),
        Err(e) => ServerEnd::Ended(e.to_string()),
    };
    trace.log(&me, SshEvent::ServerDisconnected { why });
    if env.server.kill_user_processes {
        stop_scope(&proc, scope);
    }
    0
}

/// KillUserProcesses=yes at the end of a login session: the scope stops.
fn stop_scope(proc: &Proc, scope: u32) {
    let kernel = proc.kernel.clone();
    let logind = "server systemd-logind";
    let members: Vec<Pid> = kernel
        .scope_members(scope)
        .into_iter()
        .filter(|pid| *pid != proc.pid)
        .collect();
    kernel.trace().log(
        logind,
        ProcessEvent::ScopeStopped {
            processes: members.len(),
        },
    );
    for pid in &members {
        kernel.signal(*pid, Signal::Term, logind);
        kernel.signal(*pid, Signal::Cont, logind);
    }
    tokio::spawn(async move {
        crate::sim::clock::sleep(STOP_TIMEOUT).await;
        for pid in kernel.scope_members(scope) {
            kernel.signal(pid, Signal::Kill, logind);
        }
    });
}

struct Conn {
    proc: Proc,
    env: Arc<HostEnv>,
    /// Channel data for the child's stdin; dropping it closes the pipe.
    stdin: Option<mpsc::UnboundedSender<Vec<u8>>>,
    /// Session tasks, aborted when the connection ends (their pipe ends
    /// close with them, and a pty's master, which hangs it up).
    sessions: Vec<tokio::task::JoinHandle<()>>,
    /// The size a `pty-req` asked for, until the shell or exec uses it.
    pty_size: Option<(u16, u16)>,
    /// The session's terminal, once it has one: channel data is typed into it.
    tty: Option<Arc<Tty>>,
    /// Set when the client sends `eow@openssh.com`.
    stdout_unwanted: watch::Sender<bool>,
    /// When the connection last carried something (the server's timeouts).
    activity: Arc<Activity>,
    /// Whether the login is done, and how many channels are open.
    channels: watch::Sender<(bool, usize)>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        for task in &self.sessions {
            task.abort();
        }
        if let Some(report) = self.env.sessions.lock().unwrap().last() {
            report.closed.store(true, Ordering::Relaxed);
        }
    }
}

impl Conn {
    /// The session's program: `sh -c command`, or a login shell; on the
    /// pty a `pty-req` asked for, or on fresh pipes.
    /// `channel_type` is sshd_config(5)'s name for it in ChannelTimeout.
    fn start(
        &mut self,
        channel: ChannelId,
        command: Option<String>,
        channel_type: &str,
        session: &mut Session,
    ) -> Result<(), russh::Error> {
        let kernel = self.proc.kernel.clone();
        let trace = kernel.trace().clone();
        let env = self.env.clone();
        let name = if command.is_some() { "sh" } else { "bash" };
        let idle_after = channel_timeout(&self.env, channel_type);
        let program = move |proc: Proc| -> Program {
            match command {
                None => login_shell(env)(proc),
                Some(command) => match hangar_shell::parse(&command) {
                    Ok(script) => sh_program(script, env, None)(proc),
                    Err(e) => Box::pin(async move {
                        let _ = proc
                            .write(2, format!("sh: syntax error: {}\n", e.message).as_bytes())
                            .await;
                        2
                    }),
                },
            }
        };
        let mut fds = FdTable::default();
        // sshd closes the child's stdin when it frees the channel.
        let (close_stdin, stdin_closed) = watch::channel(false);
        let tty = self.pty_size.take().map(|size| {
            let tty = kernel.open_pty();
            tty.set_size(size);
            tty
        });
        let (stdout_r, stderr_r) = match &tty {
            Some(tty) => {
                for fd in 0..3 {
                    fds.set(fd, OpenFile::tty(tty));
                }
                // The report's pipes stay empty: the pty carries the output.
                (kernel.pipe().0, kernel.pipe().0)
            }
            None => {
                let (stdin_r, stdin_w) = kernel.pipe();
                let (stdout_r, stdout_w) = kernel.pipe();
                let (stderr_r, stderr_w) = kernel.pipe();
                fds.set(0, OpenFile::pipe(stdin_r));
                fds.set(1, OpenFile::pipe(stdout_w));
                fds.set(2, OpenFile::pipe(stderr_w));
                let (tx, rx) = mpsc::unbounded_channel();
                self.stdin = Some(tx);
                self.sessions
                    .push(tokio::spawn(feed_stdin(rx, stdin_w, stdin_closed)));
                (stdout_r, stderr_r)
            }
        };
        let controlling = tty.clone();
        let child = self.proc.spawn(name, fds, move |proc: Proc| -> Program {
            // session.c: the child starts a new session (do_exec_no_pty);
            // on a pty it also makes the pty its controlling terminal
            // (do_exec_pty, pty_make_controlling_tty).
            let _ = proc.kernel.setsid(proc.pid);
            if let Some(tty) = &controlling {
                let _ = proc.kernel.set_controlling_tty(proc.pid, tty);
            }
            program(proc)
        });
        let report = Arc::new(SessionReport {
            stdout: stdout_r.pipe.clone(),
            stderr: stderr_r.pipe.clone(),
            closed: AtomicBool::new(false),
            child_exited: AtomicBool::new(false),
            stdout_unwanted: AtomicBool::new(false),
        });
        self.env.sessions.lock().unwrap().push(report.clone());
        let teardown = Teardown {
            kernel: kernel.clone(),
            trace,
            me: self.proc.label(),
            handle: session.handle(),
            channel,
            child,
            report,
            target: self.env.target,
            scheduling_turns: self.env.swarm.sigchld_turns,
            stdout_unwanted: self.stdout_unwanted.subscribe(),
            activity: self.activity.clone(),
            idle_after,
            clock_phase: self.env.swarm.clock_phase,
            close_stdin,
            eof_sent: AtomicBool::new(false),
        };
        let task = match tty {
            Some(tty) => {
                self.tty = Some(tty.clone());
                tokio::spawn(teardown.run_pty(tty))
            }
            None => tokio::spawn(teardown.run(stdout_r, stderr_r)),
        };
        self.sessions.push(task);
        session.channel_success(channel)?;
        Ok(())
    }
}

impl russh::server::Handler for Conn {
    type Error = russh::Error;

    async fn auth_none(&mut self, _user: &str) -> Result<Auth, Self::Error> {
        self.activity.packet();
        self.channels
            .send_modify(|(logged_in, _)| *logged_in = true);
        Ok(Auth::Accept)
    }

    async fn channel_close(
        &mut self,
        _channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.activity.packet();
        self.channels
            .send_modify(|(_, open)| *open = open.saturating_sub(1));
        Ok(())
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // A new channel's inactivity counts from its opening.
        self.activity.data();
        self.channels.send_modify(|(_, open)| *open += 1);
        self.proc.kernel.trace().log(
            self.proc.label(),
            SshEvent::ChannelOpen { way: Way::Received },
        );
        // Data arrives through `data`; an unread Channel would block russh.
        drop(channel);
        reply.accept().await;
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        term: &str,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.activity.packet();
        self.proc.kernel.trace().log(
            self.proc.label(),
            SshEvent::PtyReq {
                way: Way::Received,
                term: term.to_string(),
                cols: col_width,
                rows: row_height,
            },
        );
        self.pty_size = Some((col_width as u16, row_height as u16));
        session.channel_success(channel)?;
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.activity.packet();
        self.proc
            .kernel
            .trace()
            .log(self.proc.label(), SshEvent::Shell { way: Way::Received });
        self.start(channel, None, SESSION_SHELL, session)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.activity.packet();
        let command = String::from_utf8_lossy(data).into_owned();
        self.proc.kernel.trace().log(
            self.proc.label(),
            SshEvent::Exec {
                way: Way::Received,
                command: command.clone(),
            },
        );
        self.start(channel, Some(command), SESSION_COMMAND, session)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.activity.packet();
        self.proc.kernel.trace().log(
            self.proc.label(),
            SshEvent::Subsystem {
                way: Way::Received,
                name: name.to_string(),
            },
        );
        match subsystem_command(self.env.target, name) {
            // session.c do_exec: the subsystem's command runs as an exec
            // of it would, through the user's shell.
            Some(command) => {
                let channel_type = format!("session:subsystem:{name}");
                self.start(channel, Some(command.to_string()), &channel_type, session)
            }
            None => {
                session.channel_failure(channel)?;
                Ok(())
            }
        }
    }

    async fn window_change_request(
        &mut self,
        _channel: ChannelId,
        col_width: u32,
        row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.activity.packet();
        if let Some(tty) = &self.tty
            && let Some(pgid) = tty.set_size((col_width as u16, row_height as u16))
        {
            let from = format!("the kernel (size of /dev/{})", tty.name());
            self.proc.kernel.signal_group(pgid, Signal::Winch, &from);
        }
        Ok(())
    }

    async fn data(
        &mut self,
        _channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.activity.data();
        self.proc.kernel.trace().push(
            self.proc.label(),
            What::Data {
                dir: Dir::ClientToServer,
                stream: Stream::Stdin,
                bytes: data.len() as u64,
            },
        );
        if let Some(tty) = &self.tty {
            let from = format!("the terminal (/dev/{} typed by sshd)", tty.name());
            self.proc.kernel.type_into(tty, data, &from);
        } else if let Some(stdin) = &self.stdin {
            let _ = stdin.send(data.to_vec());
        }
        Ok(())
    }

    /// nchan.c chan_rcvd_eow: OpenSSH's sshd stops reading the child's
    /// stdout (chan_shutdown_read), so the child's next write raises
    /// SIGPIPE. Dropbear and hangar-sshd ignore requests they do not know
    /// (RFC 4254 5.4), and the client sends it to OpenSSH only.
    async fn signal(
        &mut self,
        _channel: ChannelId,
        signal: russh::Sig,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.activity.packet();
        if matches!(&signal, russh::Sig::Custom(name) if name == super::ssh::EOW) {
            self.proc
                .kernel
                .trace()
                .log(self.proc.label(), SshEvent::Eow { way: Way::Received });
            if self.env.target == Target::OpenSsh {
                self.stdout_unwanted.send_replace(true);
            }
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        _channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.activity.packet();
        self.proc.kernel.trace().log(
            self.proc.label(),
            SshEvent::Eof {
                way: Way::Received,
                cause: EofCause::ClosesChildStdin,
            },
        );
        self.stdin = None;
        Ok(())
    }
}

/// Writes channel data into the child's stdin pipe, blocking when it is
/// full; closes the pipe when the channel's EOF drops the sender, or when
/// sshd frees the channel (`closed`).
/// The command a subsystem name runs, as each server is set up: the
/// built-in targets' `Subsystem sftp /usr/lib/openssh/sftp-server`
/// (sshd_config(5)) and `--subsystem sftp=...` of hangar-sshd, and
/// Dropbear's compiled-in SFTPSERVER_PATH (Debian's, a link to the same
/// program). No other subsystem is configured.
fn subsystem_command(target: Target, name: &str) -> Option<&'static str> {
    match (name, target) {
        ("sftp", Target::Dropbear) => Some("/usr/lib/sftp-server"),
        ("sftp", _) => Some("/usr/lib/openssh/sftp-server"),
        _ => None,
    }
}

async fn feed_stdin(
    mut rx: mpsc::UnboundedReceiver<Vec<u8>>,
    stdin: PipeEnd,
    mut closed: watch::Receiver<bool>,
) {
    let feed = async {
        while let Some(block) = rx.recv().await {
            if stdin.pipe.write(&block).await.is_err() {
                break;
            }
        }
    };
    tokio::select! {
        () = feed => {}
        _ = closed.wait_for(|c| *c) => {}
    }
}

/// The server side of one session, from the child's start to CLOSE.
pub(super) struct Teardown {
    pub(super) kernel: Kernel,
    pub(super) trace: Trace,
    pub(super) me: String,
    pub(super) handle: russh::server::Handle,
    pub(super) channel: ChannelId,
    pub(super) child: Pid,
    pub(super) report: Arc<SessionReport>,
    pub(super) target: Target,
    /// Turns the pipe readers get between the child's exit and an OpenSSH
    /// or close-on-exit server acting on it (drawn from the seed).
    scheduling_turns: u32,
    /// Becomes true on the client's `eow@openssh.com`.
    stdout_unwanted: watch::Receiver<bool>,
    /// When the connection last carried something.
    pub(super) activity: Arc<Activity>,
    /// The channel's ChannelTimeout in whole seconds, if it has one.
    idle_after: Option<u64>,
    clock_phase: Duration,
    /// Closes the child's stdin (the channel is freed).
    close_stdin: watch::Sender<bool>,
    eof_sent: AtomicBool,
}

impl Teardown {
    async fn run(self, stdout: PipeEnd, stderr: PipeEnd) {
        let (stop_tx, stop) = watch::channel(false);
        let (stop_stdout_tx, stop_stdout) = watch::channel(false);
        let out = tokio::spawn(pump(
            self.pump_ctx(Stream::Stdout),
            stdout.pipe.clone(),
            stop_stdout,
        ));
        let err = tokio::spawn(pump(
            self.pump_ctx(Stream::Stderr),
            stderr.pipe.clone(),
            stop,
        ));
        let pumps = async {
            let _ = out.await;
            let _ = err.await;
        };
        let side = PipeSession {
            teardown: &self,
            pipes: Mutex::new(Some((stdout, stderr))),
            stop: stop_tx,
            stop_stdout: stop_stdout_tx,
        };
        let mut unwanted = self.stdout_unwanted.clone();
        let on_eow = async {
            if unwanted.wait_for(|u| *u).await.is_ok() {
                side.close_stdout_on_eow();
            }
            std::future::pending::<()>().await
        };
        tokio::select! {
            biased;
            _ = tear_down(&side, Order::of_target(self.target), pumps) => {}
            _ = on_eow => {}
            () = self.channel_idle() => side.close_idle().await,
        }
    }

    /// Resolves when the channel's ChannelTimeout has passed without data.
    pub(super) async fn channel_idle(&self) {
        channel_idle(&self.activity, self.idle_after, self.clock_phase).await;
        self.trace.log(
            &self.me,
            SshEvent::ServerTimeout {
                timeout: ServerTimeout::Channel(self.idle_after.unwrap_or_default()),
            },
        );
    }

    /// channels.c channel_force_close, then session.c
    /// session_close_by_channel: sshd stops reading the command, sends EOF
    /// if it had not, frees the channel (the command's stdin closes) and
    /// sends CLOSE. The command is not signalled.
    pub(super) async fn force_close(&self) {
        let _ = self.close_stdin.send(true);
        if !self.eof_sent.load(Ordering::Relaxed) {
            ChannelEnd::send_eof(self).await;
        }
        ChannelEnd::send_close(self).await;
    }

    pub(super) fn pump_ctx(&self, stream: Stream) -> PumpCtx {
        PumpCtx {
            trace: self.trace.clone(),
            me: self.me.clone(),
            handle: self.handle.clone(),
            channel: self.channel,
            stream,
            activity: self.activity.clone(),
        }
    }

    /// waitpid(2) on the child (sshd's SIGCHLD handling).
    pub(super) async fn reap(&self) -> WaitStatus {
        let child = self.kernel.label(self.child);
        let status = self
            .kernel
            .wait(self.child)
            .await
            .unwrap_or(WaitStatus::Exited(255));
        self.report.child_exited.store(true, Ordering::Relaxed);
        self.trace.log(
            &self.me,
            ProcessEvent::Reaps {
                child,
                status: status.to_string(),
            },
        );
        status
    }

    /// Names who still holds the pipes the session waits on.
    fn explain_wait(&self) {
        for (pipe, stream) in [
            (&self.report.stdout, Stream::Stdout),
            (&self.report.stderr, Stream::Stderr),
        ] {
            let holders: Vec<String> = self
                .kernel
                .holders_of_pipe(pipe.id)
                .into_iter()
                .map(|(pid, fd)| format!("{} (fd {fd})", self.kernel.label(pid)))
                .collect();
            if !holders.is_empty() {
                self.trace
                    .log(&self.me, PipeEvent::HeldBy { stream, holders });
            }
        }
    }

    pub(super) async fn send_status(&self, status: WaitStatus) {
        self.activity.packet();
        match status {
            WaitStatus::Exited(code) => {
                self.trace.log(
                    &self.me,
                    SshEvent::ExitStatus {
                        way: Way::Sent,
                        code: code as u32,
                    },
                );
                let _ = self
                    .handle
                    .exit_status_request(self.channel, code as u32)
                    .await;
            }
            WaitStatus::Signaled(sig) => {
                self.trace.log(
                    &self.me,
                    SshEvent::ExitSignal {
                        way: Way::Sent,
                        signal: sig.name().to_string(),
                    },
                );
                let _ = self
                    .handle
                    .exit_signal_request(
                        self.channel,
                        russh_sig(sig),
                        false,
                        String::new(),
                        String::new(),
                    )
                    .await;
            }
        }
    }

    pub(super) async fn send_eof(&self) {
        self.eof_sent.store(true, Ordering::Relaxed);
        self.activity.packet();
        self.trace.log(
            &self.me,
            SshEvent::Eof {
                way: Way::Sent,
                cause: EofCause::Plain,
            },
        );
        let _ = self.handle.eof(self.channel).await;
    }

    pub(super) async fn send_data(&self, stream: Stream, block: Vec<u8>) -> bool {
        self.pump_ctx(stream).send(block).await
    }
}

/// A session on pipes as the shared teardown drives it.
struct PipeSession<'a> {
    teardown: &'a Teardown,
    /// The server's read ends of the child's stdout and stderr, until closed.
    pipes: Mutex<Option<(PipeEnd, PipeEnd)>>,
    stop: watch::Sender<bool>,
    stop_stdout: watch::Sender<bool>,
}

impl PipeSession<'_> {
    /// ChannelTimeout on a session without a pty: sshd closes its ends of
    /// the pipes (what they held is lost; the command's next write gets
    /// SIGPIPE), then closes the channel.
    async fn close_idle(&self) {
        self.stop_pumps();
        self.close_pipes(PipesClosed::OnChannelTimeout);
        self.teardown.force_close().await;
    }

    /// close(2) of sshd's read end of the child's stdout: what it held is
    /// dropped, and the child's writes fail with EPIPE. The slot gets the
    /// read end of an empty pipe without writers, which reads as EOF.
    fn close_stdout_on_eow(&self) {
        let _ = self.stop_stdout.send(true);
        let mut pipes = self.pipes.lock().unwrap();
        let Some((stdout, _)) = pipes.as_mut() else {
            return;
        };
        let lost = stdout.pipe.pending() as u64;
        *stdout = self.teardown.kernel.pipe().0;
        let report = &self.teardown.report;
        report.stdout_unwanted.store(true, Ordering::Relaxed);
        drop(pipes);
        self.log(PipeEvent::StdoutClosedOnEow { lost });
    }
}

impl ChannelEnd for Teardown {
    type Status = WaitStatus;

    async fn send_data(&self, block: Vec<u8>) {
        Teardown::send_data(self, Stream::Stdout, block).await;
    }

    async fn send_status(&self, status: WaitStatus) {
        Teardown::send_status(self, status).await
    }

    async fn send_eof(&self) {
        Teardown::send_eof(self).await
    }

    async fn send_close(&self) {
        self.trace.log(
            &self.me,
            SshEvent::Close {
                way: Way::Sent,
                answer: false,
            },
        );
        self.report.closed.store(true, Ordering::Relaxed);
        self.activity.packet();
        let _ = self.handle.close(self.channel).await;
    }

    fn log(&self, event: PipeEvent) {
        self.trace.log(&self.me, event);
    }
}

impl ChannelEnd for PipeSession<'_> {
    type Status = WaitStatus;

    async fn send_data(&self, block: Vec<u8>) {
        ChannelEnd::send_data(self.teardown, block).await
    }

    async fn send_status(&self, status: WaitStatus) {
        self.teardown.send_status(status).await
    }

    async fn send_eof(&self) {
        // chan_rcvd_eow closed the input side: no EOF is sent for it.
        if !self.teardown.report.stdout_unwanted.load(Ordering::Relaxed) {
            self.teardown.send_eof().await
        }
    }

    async fn send_close(&self) {
        // Read to EOF (wait-eof) or closed already.
        drop(self.pipes.lock().unwrap().take());
        ChannelEnd::send_close(self.teardown).await
    }

    fn log(&self, event: PipeEvent) {
        ChannelEnd::log(self.teardown, event);
    }
}

impl SessionEnd for PipeSession<'_> {
    async fn reap(&self) -> WaitStatus {
        self.teardown.reap().await
    }

    fn waits_for_pipes(&self) {
        let report = &self.teardown.report;
        if !(report.stdout.writers() == 0 && report.stderr.writers() == 0) {
            self.teardown.explain_wait();
        }
    }

    async fn before_acting_on_exit(&self) {
        for _ in 0..self.teardown.scheduling_turns {
            tokio::task::yield_now().await;
        }
    }

    fn stop_pumps(&self) {
        let _ = self.stop.send(true);
        let _ = self.stop_stdout.send(true);
    }

    async fn flush_pending(&self) {
        let Some(pipes) = self.pipes.lock().unwrap().as_ref().map(|(out, err)| {
            [
                (out.pipe.clone(), Stream::Stdout),
                (err.pipe.clone(), Stream::Stderr),
            ]
        }) else {
            return;
        };
        // Flush what is pending now, without waiting for more.
        for (pipe, stream) in pipes {
            while let Some(block) = pipe.try_read(READ_BLOCK) {
                if block.is_empty() || !self.teardown.send_data(stream, block).await {
                    break;
                }
            }
        }
    }

    fn close_pipes(&self, when: PipesClosed) {
        let Some((stdout, stderr)) = self.pipes.lock().unwrap().take() else {
            return;
        };
        let lost = (stdout.pipe.pending() + stderr.pipe.pending()) as u64;
        drop((stdout, stderr));
        self.log(PipeEvent::Closed { when, lost });
    }

    async fn within<F: Future>(&self, limit: Duration, work: F) -> Option<F::Output> {
        crate::sim::clock::timeout(limit, work).await
    }
}

pub(super) struct PumpCtx {
    trace: Trace,
    me: String,
    handle: russh::server::Handle,
    channel: ChannelId,
    stream: Stream,
    activity: Arc<Activity>,
}

impl PumpCtx {
    pub(super) async fn send(&self, block: Vec<u8>) -> bool {
        self.activity.data();
        self.trace.push(
            self.me.clone(),
            What::Data {
                dir: Dir::ServerToClient,
                stream: self.stream,
                bytes: block.len() as u64,
            },
        );
        match self.stream {
            Stream::Stderr => self
                .handle
                .extended_data(self.channel, 1, block)
                .await
                .is_ok(),
            _ => self.handle.data(self.channel, block).await.is_ok(),
        }
    }
}

/// Reads a pipe into the channel until EOF, or until told to stop between
/// reads (a block already read is always sent).
async fn pump(ctx: PumpCtx, pipe: Arc<Pipe>, mut stop: watch::Receiver<bool>) {
    loop {
        let block = tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => return,
            block = pipe.read(READ_BLOCK) => block,
        };
        if block.is_empty() {
            let stream = if ctx.stream == Stream::Stderr {
                Stream::Stderr
            } else {
                Stream::Stdout
            };
            ctx.trace.log(&ctx.me, PipeEvent::EofRead { stream });
            return;
        }
        if !ctx.send(block).await {
            return;
        }
        // One read per fd per iteration of the server's event loop: other
        // work (such as acting on SIGCHLD) gets its turn in between.
        tokio::task::yield_now().await;
    }
}

fn russh_sig(sig: Signal) -> russh::Sig {
    match sig {
        Signal::Hup => russh::Sig::HUP,
        Signal::Int => russh::Sig::INT,
        Signal::Quit => russh::Sig::QUIT,
        Signal::Kill => russh::Sig::KILL,
        Signal::Pipe => russh::Sig::PIPE,
        Signal::Alrm => russh::Sig::ALRM,
        Signal::Term => russh::Sig::TERM,
        other => russh::Sig::Custom(other.name().to_string()),
    }
}
