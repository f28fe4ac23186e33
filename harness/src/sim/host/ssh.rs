//! The simulated `ssh` client: russh over the simulated network, with the
//! exit and teardown behaviour of OpenSSH's ssh(1) (clientloop.c):
//!
//! - it exits when the session channel is closed; its status is the remote
//!   exit-status, or 255 when there was none (exit-signal, CLOSE without a
//!   status, connection failure, keepalive timeout);
//! - stdin is forwarded as channel data and its end as EOF (`-n`: at once);
//! - ServerAliveInterval/CountMax: a probe after an interval with nothing
//!   received; "Timeout, server ... not responding." once more than CountMax
//!   probes went unanswered, so CountMax 0 gives up at the first quiet
//!   interval (clientloop.c server_alive_check; see `server_alive.rs`);
//! - `-f` forks after authentication; the parent exits 0;
//! - SIGPIPE is ignored (ssh.c main); when writing the channel's data to
//!   stdout fails, the rest is dropped and, to an OpenSSH server only,
//!   `eow@openssh.com` is sent (nchan.c chan_write_failed and
//!   chan_send_eow2, which checks the peer's version for SSH_NEW_OPENSSH):
//!   that server then stops reading the command's stdout, and the command
//!   dies of SIGPIPE at its next write. Other servers never hear of it,
//!   and a command that writes forever keeps the session open;
//! - `-t`/`-tt`/`-T` and a login shell on a terminal decide the pty; with
//!   one, the local terminal goes raw for the session and is restored at
//!   the end ("Connection to server closed.", but not after a keepalive
//!   timeout, which exits at once), and the escapes of `escapes.rs` apply.

use std::sync::Arc;
use std::time::Duration;

use hangar_scenario::{Host, Target};
use russh::ChannelMsg;

use super::env::HostEnv;
use super::ssh_args::{SshArgs, TtyRequest, parse_ssh_args};
use crate::sim::unix::{
    Disposition, OpenFile, Proc, Program, Signal, SocketOwner, StoppedSocket, Termios, saturating,
};
use crate::ssh::algorithms::AcceptAnyHostKey;
use crate::ssh::escapes::{self, Escape, Escapes};
use crate::ssh::server_alive::{is_server_alive_timeout, server_alive};
use crate::ssh::strerror::strerror;
use crate::trace::{ClientEnd, Dir, EofCause, SshEvent, Stream, Way, What};

/// ssh(1)'s status for every failure of its own.
const SSH_FAILURE: i32 = 255;

/// The disposition ssh gives SIGHUP, SIGINT, SIGQUIT and SIGTERM
/// (clientloop.c signal_handler): the loop ends, the terminal is restored,
/// and ssh exits 255.
const QUIT_ON_SIGNAL: &str = "\0ssh quits";

/// The disposition of SIGWINCH in a pty session: ssh sends the new size
/// (clientloop.c client_check_window_change).
const WINDOW_CHANGED: &str = "\0ssh sends window-change";

async fn say(proc: &Proc, text: &str) {
    let _ = proc.write(2, format!("{text}\r\n").as_bytes()).await;
}

pub async fn ssh(proc: Proc, env: Arc<HostEnv>, argv: Vec<String>) -> i32 {
    let args = match parse_ssh_args(&argv[1..]) {
        Ok(args) => args,
        Err(message) => {
            say(&proc, &format!("ssh: {message}")).await;
            return SSH_FAILURE;
        }
    };
    proc.kernel
        .set_disposition(proc.pid, Signal::Pipe, Disposition::Ignore);
    // The server's version string says whether it is OpenSSH (compat.c).
    let tells_eow = env.target == Target::OpenSsh;
    if args.null_stdin {
        let mut fds = proc.fds();
        fds.set(0, OpenFile::dev_null());
        proc.kernel.set_fds(proc.pid, fds);
    }
    let trace = proc.kernel.trace().clone();
    let me = proc.label();
    let connect_timeout = args.connect_timeout.or(env.client.connect_timeout);
    let stream = match env
        .net
        .connect(env.host, Host::Server, args.port, connect_timeout)
        .await
    {
        Ok(stream) => stream,
        Err(e) => {
            let why = strerror(e.kind());
            trace.log(
                &me,
                SshEvent::ConnectFailed {
                    port: args.port,
                    why: why.to_string(),
                },
            );
            say(
                &proc,
                &format!("ssh: connect to host server port {}: {why}", args.port),
            )
            .await;
            return SSH_FAILURE;
        }
    };
    trace.log(&me, SshEvent::Connected { port: args.port });
    // A stopped ssh neither reads nor answers its connection.
    let owner = SocketOwner::new(proc.pid);
    let stream = StoppedSocket::new(stream, proc.kernel.clone(), owner.clone());
    let config = client_config(&args, &env);
    let mut handle =
        match russh::client::connect_stream(Arc::new(config), stream, AcceptAnyHostKey).await {
            Ok(handle) => handle,
            Err(e) => {
                trace.log(&me, SshEvent::KexFailed { why: e.to_string() });
                say(&proc, &format!("ssh: connection to server closed: {e}")).await;
                return SSH_FAILURE;
            }
        };
    match handle.authenticate_none("user").await {
        Ok(result) if result.success() => trace.log(&me, SshEvent::Authenticated),
        _ => {
            trace.log(&me, SshEvent::AuthenticationFailed);
            say(&proc, "user@server: Permission denied (publickey).").await;
            return SSH_FAILURE;
        }
    }
    if args.background {
        // ssh -f: the child carries the session on; the parent returns.
        let mut fds = proc.fds();
        fds.set(0, OpenFile::dev_null());
        let connection = Connection {
            handle,
            tells_eow,
            owner: owner.clone(),
        };
        let child = proc.spawn("ssh", fds, move |child: Proc| -> Program {
            Box::pin(logged_in(child, connection, args))
        });
        owner.hand_over(child);
        trace.log(
            &me,
            SshEvent::Background {
                child: proc.kernel.label(child),
                escape: false,
            },
        );
        return 0;
    }
    let connection = Connection {
        handle,
        tells_eow,
        owner,
    };
    logged_in(proc, connection, args).await
}

/// An authenticated connection, as the process that carries it holds it.
struct Connection {
    handle: russh::client::Handle<AcceptAnyHostKey>,
    /// The server is OpenSSH: a failed stdout write is told with `eow`.
    tells_eow: bool,
    /// Whose stopping stops the connection.
    owner: SocketOwner,
}

/// After authentication: the session, or with `-N` the connection alone.
async fn logged_in(proc: Proc, connection: Connection, args: SshArgs) -> i32 {
    if args.no_session {
        connection_only(proc, connection.handle).await
    } else {
        session(proc, connection, args).await
    }
}

/// `-N`: no channel, the connection alone until the server ends it or a
/// signal ends ssh (clientloop.c client_loop without a session); ssh's
/// status is then 255.
async fn connection_only(proc: Proc, mut handle: russh::client::Handle<AcceptAnyHostKey>) -> i32 {
    let trace = proc.kernel.trace().clone();
    let me = proc.label();
    quit_on_signals(&proc);
    tokio::select! {
        ended = &mut handle => {
            let (why, _) = client_end(Some(ended));
            let message = why.to_string();
            trace.log(&me, SshEvent::ClientDisconnected { why });
            say(&proc, &message).await;
        }
        _ = proc.caught_signal() => trace.log(&me, caught_signal(&proc)),
    }
    SSH_FAILURE
}

/// The signal that ends ssh, taken off the process, as a trace event
/// (clientloop.c signal_handler, then cleanup_exit(255): no goodbye on the
/// wire; the socket closes).
fn caught_signal(proc: &Proc) -> SshEvent {
    let sig = proc.kernel.take_caught(proc.pid).map(|(s, _)| s);
    let signal = sig.map_or("a signal".into(), |s| s.to_string());
    SshEvent::CaughtSignal { signal }
}

/// clientloop.c signal_handler: SIGHUP, SIGINT, SIGQUIT and SIGTERM end
/// the loop.
fn quit_on_signals(proc: &Proc) {
    for sig in [Signal::Hup, Signal::Int, Signal::Quit, Signal::Term] {
        proc.kernel
            .set_disposition(proc.pid, sig, Disposition::Trap(QUIT_ON_SIGNAL.into()));
    }
}

/// Why the connection ended under ssh, as ssh(1) says it, and whether
/// ssh still says goodbye after it (`None`: it had not ended a second
/// after the channel did, so the server closed it).
fn client_end(ended: Option<Result<(), russh::Error>>) -> (ClientEnd, bool) {
    match ended {
        // clientloop.c server_alive_check: logit, then cleanup_exit(255):
        // no goodbye (measured, 9.2).
        Some(Err(e)) if is_server_alive_timeout(&e) => (ClientEnd::KeepaliveTimeout, false),
        // The server closed the socket without a word (a timeout of its
        // own): clientloop.c's "closed by remote host".
        Some(Err(russh::Error::IO(e))) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            (ClientEnd::ClosedByRemote, true)
        }
        // fatal(): also no goodbye.
        Some(Err(russh::Error::IO(e))) => {
            (ClientEnd::SendFailed(strerror(e.kind()).to_string()), false)
        }
        Some(Err(e)) => (ClientEnd::Ended(e.to_string()), true),
        Some(Ok(())) | None => (ClientEnd::ClosedByRemote, true),
    }
}

fn client_config(args: &SshArgs, env: &HostEnv) -> russh::client::Config {
    let interval = args
        .server_alive_interval
        .or(env.client.server_alive_interval);
    let count_max = args
        .server_alive_count_max
        .unwrap_or(env.client.server_alive_count_max);
    // russh adds it to the clock: capped, as any user duration.
    let alive = server_alive(interval.map(saturating::capped), count_max);
    let timers = [alive.keepalive_interval, alive.inactivity_timeout];
    for every in timers.into_iter().flatten() {
        crate::sim::clock::note_rearmed_timer(every);
    }
    russh::client::Config {
        keepalive_interval: alive.keepalive_interval,
        keepalive_max: alive.keepalive_max,
        inactivity_timeout: alive.inactivity_timeout,
        window_size: env.swarm.window.min(u32::MAX as u64) as u32,
        preferred: crate::ssh::algorithms::preferred(),
        limits: crate::ssh::algorithms::limits(),
        ..Default::default()
    }
}

/// A session in progress: what `~&` hands over to the child it forks.
struct Live {
    handle: russh::client::Handle<AcceptAnyHostKey>,
    channel: russh::Channel<russh::client::Msg>,
    writer: Box<dyn tokio::io::AsyncWrite + Send + Unpin>,
    stdin_open: bool,
    /// Until a write of the channel's data to stdout fails.
    stdout_open: bool,
    /// The server is OpenSSH: a failed stdout write is told with `eow`.
    tells_eow: bool,
    exit_status: Option<i32>,
    /// Whether the session has a pty (ssh then says goodbye at the end).
    pty: bool,
    /// The local terminal's settings before raw mode, to restore.
    saved: Option<Termios>,
    escapes: Option<Escapes>,
    /// Whose stopping stops the connection.
    owner: SocketOwner,
    /// The request that started the session (`shell`, `exec`,
    /// `subsystem`), named when the server refuses it.
    start_request: &'static str,
}

/// Opens the session channel, asks for a pty when ssh(1) would, starts the
/// command or a shell, and runs it until it closes; returns ssh's status.
async fn session(proc: Proc, connection: Connection, args: SshArgs) -> i32 {
    let Connection {
        handle,
        tells_eow,
        owner,
    } = connection;
    let trace = proc.kernel.trace().clone();
    let me = proc.label();
    trace.log(&me, SshEvent::ChannelOpen { way: Way::Sent });
    let channel = match handle.channel_open_session().await {
        Ok(channel) => channel,
        Err(e) => {
            say(&proc, &format!("ssh: channel open failed: {e}")).await;
            return SSH_FAILURE;
        }
    };
    let stdin_tty = proc.fd(0).and_then(|f| f.as_tty().cloned());
    let pty = match args.tty {
        TtyRequest::No => false,
        TtyRequest::Force => true,
        TtyRequest::Auto => args.command.is_empty() && stdin_tty.is_some(),
        TtyRequest::Yes if stdin_tty.is_none() => {
            say(
                &proc,
                "Pseudo-terminal will not be allocated because stdin is not a terminal.",
            )
            .await;
            false
        }
        TtyRequest::Yes => true,
    };
    if pty {
        let (cols, rows) = stdin_tty.as_ref().map_or((80, 24), |t| t.size());
        trace.log(
            &me,
            SshEvent::PtyReq {
                way: Way::Sent,
                term: "xterm".into(),
                cols: cols.into(),
                rows: rows.into(),
            },
        );
        let sent = channel
            .request_pty(false, "xterm", cols.into(), rows.into(), 0, 0, &[])
            .await;
        if sent.is_err() {
            return SSH_FAILURE;
        }
    }
    let start_request = match (args.command.is_empty(), args.subsystem) {
        (true, _) => "shell",
        (false, true) => "subsystem",
        (false, false) => "exec",
    };
    let started = if args.command.is_empty() {
        trace.log(&me, SshEvent::Shell { way: Way::Sent });
        channel.request_shell(true).await
    } else if args.subsystem {
        trace.log(
            &me,
            SshEvent::Subsystem {
                way: Way::Sent,
                name: args.command.clone(),
            },
        );
        channel.request_subsystem(true, &args.command).await
    } else {
        trace.log(
            &me,
            SshEvent::Exec {
                way: Way::Sent,
                command: args.command.clone(),
            },
        );
        channel.exec(true, args.command.as_bytes()).await
    };
    if started.is_err() {
        return SSH_FAILURE;
    }
    // clientloop.c enter_raw_mode: only when a pty was granted and stdin
    // is a terminal; from a background job this raises SIGTTOU.
    let saved = match (&stdin_tty, pty) {
        (Some(_), true) => enter_raw_mode(&proc).await,
        _ => None,
    };
    let escapes = match (&stdin_tty, pty, args.escape) {
        (Some(_), true, Some(c)) => Some(Escapes::new(c)),
        _ => None,
    };
    let writer = Box::new(channel.make_writer());
    let live = Live {
        handle,
        channel,
        writer,
        stdin_open: true,
        stdout_open: true,
        tells_eow,
        exit_status: None,
        pty,
        saved,
        escapes,
        owner,
        start_request,
    };
    serve(proc, live).await
}

/// cfmakeraw(3) on the local terminal; returns the settings to restore.
async fn enter_raw_mode(proc: &Proc) -> Option<Termios> {
    let saved = proc.tcgetattr(0).ok()?;
    proc.tcsetattr(0, saved.raw()).await.ok()?;
    Some(saved)
}

/// What ends the loop of [`serve`].
enum Ended {
    Closed,
    /// The connection went away under the channel.
    Lost,
    /// `~.`
    Disconnected,
    /// `~&`: a child carries the session on.
    Background,
    /// SIGHUP, SIGINT, SIGQUIT or SIGTERM.
    Signaled,
}

/// The client loop: channel messages to stdout/stderr, stdin (through the
/// escapes) to the channel, until the channel closes.
fn serve(proc: Proc, mut live: Live) -> Program {
    Box::pin(async move {
        let trace = proc.kernel.trace().clone();
        let me = proc.label();
        quit_on_signals(&proc);
        if live.pty {
            proc.kernel.set_disposition(
                proc.pid,
                Signal::Winch,
                Disposition::Trap(WINDOW_CHANGED.into()),
            );
        }
        // One read at a time, kept across turns of the loop: a select(2)
        // that saw input must not be forgotten when a message comes first.
        let mut reading = Box::pin(read_stdin(proc.clone()));
        let ended = loop {
            tokio::select! {
                biased;
                msg = live.channel.wait() => match msg {
                    Some(msg) => {
                        if channel_message(&proc, &mut live, msg).await {
                            break Ended::Closed;
                        }
                    }
                    None => break Ended::Lost,
                },
                _ = proc.caught_signal() => {
                    if proc.kernel.next_caught(proc.pid) != Some(Signal::Winch) {
                        break Ended::Signaled;
                    }
                    proc.kernel.take_caught(proc.pid);
                    window_change(&proc, &live.channel).await;
                }
                input = &mut reading, if live.stdin_open => {
                    let block = match input {
                        // ssh leaves a terminal stdin blocking (ssh.c: "enable
                        // nonblocking unless tty"): once select(2) saw input,
                        // read(2) holds the whole loop, even when the input
                        // went to another reader meanwhile, or the read
                        // stopped ssh (SIGTTIN) and the line is gone when it
                        // goes on: then it waits there for the next line.
                        Input::Ready => proc.read(0, 16 * 1024).await.unwrap_or_default(),
                        Input::Block(block) => block,
                    };
                    reading = Box::pin(read_stdin(proc.clone()));
                    if let Some(ended) = typed(&proc, &mut live, block).await {
                        break ended;
                    }
                }
            }
        };
        drop(reading);
        let Live {
            mut handle,
            channel,
            pty,
            saved,
            exit_status,
            ..
        } = match ended {
            Ended::Background => {
                let mut fds = proc.fds();
                fds.set(0, OpenFile::dev_null());
                live.stdin_open = false;
                live.escapes = None;
                let owner = live.owner.clone();
                let child = proc.spawn("ssh", fds, move |child: Proc| serve(child, live));
                owner.hand_over(child);
                trace.log(
                    &me,
                    SshEvent::Background {
                        child: proc.kernel.label(child),
                        escape: true,
                    },
                );
                return 0;
            }
            _ => live,
        };
        drop(channel);
        if let Some(saved) = saved {
            let _ = proc.tcsetattr(0, saved).await;
        }
        let mut goodbye = true;
        match ended {
            Ended::Closed => {
                let _ = handle
                    .disconnect(russh::Disconnect::ByApplication, "", "")
                    .await;
            }
            Ended::Disconnected => {
                trace.log(&me, SshEvent::EscapeDisconnect);
                let _ = handle
                    .disconnect(russh::Disconnect::ByApplication, "", "")
                    .await;
            }
            Ended::Signaled => trace.log(&me, caught_signal(&proc)),
            _ => {
                // The connection ended under the channel: say why, as ssh(1) does.
                let ended = crate::sim::clock::timeout(Duration::from_secs(1), &mut handle).await;
                let (why, says_goodbye) = client_end(ended);
                goodbye = says_goodbye;
                let message = why.to_string();
                trace.log(&me, SshEvent::ClientDisconnected { why });
                say(&proc, &message).await;
            }
        }
        if pty && goodbye && !matches!(ended, Ended::Signaled) {
            // clientloop.c: with a pty, ssh says goodbye (LogLevel INFO).
            let _ = proc.write(2, b"Connection to server closed.\r\n").await;
        }
        match ended {
            Ended::Disconnected | Ended::Signaled => SSH_FAILURE,
            _ => exit_status.unwrap_or(SSH_FAILURE),
        }
    })
}

/// The local terminal's size, as a window-change request.
async fn window_change(proc: &Proc, channel: &russh::Channel<russh::client::Msg>) {
    let Some(tty) = proc.fd(0).and_then(|f| f.as_tty().cloned()) else {
        return;
    };
    let (cols, rows) = tty.size();
    proc.kernel
        .trace()
        .log(proc.label(), SshEvent::WindowChange { cols, rows });
    let _ = channel.window_change(cols.into(), rows.into(), 0, 0).await;
}

/// Channel data: traced, then written to stdout or stderr. Once a write
/// to stdout failed, stdout data is dropped (the channel's output state
/// is closed, nchan.c).
async fn received(proc: &Proc, live: &mut Live, stream: Stream, data: &[u8]) {
    proc.kernel.trace().push(
        proc.label(),
        What::Data {
            dir: Dir::ServerToClient,
            stream,
            bytes: data.len() as u64,
        },
    );
    if stream == Stream::Stderr {
        let _ = proc.write(2, data).await;
        return;
    }
    if !live.stdout_open {
        return;
    }
    let Err(e) = proc.write(1, data).await else {
        return;
    };
    live.stdout_open = false;
    let trace = proc.kernel.trace();
    trace.log(
        proc.label(),
        SshEvent::StdoutWriteFailed {
            why: e.strerror().to_string(),
        },
    );
    if live.tells_eow {
        trace.log(proc.label(), SshEvent::Eow { way: Way::Sent });
        // russh has no call for a request of its own naming; the sim
        // carries eow as a `signal` request of that name, which only the
        // simulated sshd reads.
        let _ = live
            .channel
            .signal(russh::Sig::Custom(EOW.to_string()))
            .await;
    }
}

/// OpenSSH's channel request for "end of write" (PROTOCOL, 2.1).
pub(super) const EOW: &str = "eow@openssh.com";

/// One channel message; true when it was CLOSE.
async fn channel_message(proc: &Proc, live: &mut Live, msg: ChannelMsg) -> bool {
    let trace = proc.kernel.trace();
    let me = proc.label();
    match msg {
        // RFC 4254 5.2: extended data type 1 is stderr.
        ChannelMsg::Data { data } => received(proc, live, Stream::Stdout, &data).await,
        ChannelMsg::ExtendedData { data, .. } => received(proc, live, Stream::Stderr, &data).await,
        ChannelMsg::ExitStatus { exit_status: code } => {
            trace.log(
                &me,
                SshEvent::ExitStatus {
                    way: Way::Received,
                    code,
                },
            );
            live.exit_status = Some(code as i32);
        }
        ChannelMsg::ExitSignal { signal_name, .. } => {
            trace.log(
                &me,
                SshEvent::ExitSignal {
                    way: Way::Received,
                    signal: format!("{signal_name:?}"),
                },
            );
        }
        ChannelMsg::Eof => trace.log(
            &me,
            SshEvent::Eof {
                way: Way::Received,
                cause: EofCause::Plain,
            },
        ),
        // The one request sent with want-reply is the one that starts the
        // session; refused, ssh gives up the session (clientloop.c
        // client_status_confirm: CONFIRM_CLOSE) and ends with 255.
        ChannelMsg::Failure => {
            let refused = format!("{} request failed on channel 0", live.start_request);
            say(proc, &refused).await;
            return true;
        }
        ChannelMsg::Close => {
            trace.log(
                &me,
                SshEvent::Close {
                    way: Way::Received,
                    answer: false,
                },
            );
            // RFC 4254 5.3: the receiver answers with CLOSE (russh does).
            trace.log(
                &me,
                SshEvent::Close {
                    way: Way::Sent,
                    answer: true,
                },
            );
            return true;
        }
        _ => {}
    }
    false
}

/// What select(2) on stdin gives the client loop.
enum Input {
    /// The terminal has input: the loop reads it (and may block there).
    Ready,
    /// A block read from a pipe or file, which ssh reads non-blocking.
    Block(Vec<u8>),
}

/// select(2) on stdin, as clientloop.c does: a background ssh reading its
/// terminal is stopped only once there is input, by the read that follows.
async fn read_stdin(proc: Proc) -> Input {
    let on_terminal = proc.fd(0).is_some_and(|f| f.as_tty().is_some());
    if on_terminal {
        proc.readable(0).await;
        return Input::Ready;
    }
    Input::Block(proc.read(0, 16 * 1024).await.unwrap_or_default())
}

/// A block read from stdin: through the escapes into the channel; its
/// end becomes the channel's EOF.
async fn typed(proc: &Proc, live: &mut Live, block: Vec<u8>) -> Option<Ended> {
    use tokio::io::AsyncWriteExt;
    let trace = proc.kernel.trace();
    let me = proc.label();
    if block.is_empty() {
        trace.log(
            &me,
            SshEvent::Eof {
                way: Way::Sent,
                cause: EofCause::EndOfStdin,
            },
        );
        live.stdin_open = false;
        let _ = live.writer.shutdown().await;
        return None;
    }
    let actions = match &mut live.escapes {
        Some(escapes) => escapes.feed(&block),
        None => vec![Escape::Send(block)],
    };
    let escape = live
        .escapes
        .as_ref()
        .map_or('~', |e| e.escape_char() as char);
    for action in actions {
        let note = match action {
            Escape::Send(bytes) => {
                trace.push(
                    me.clone(),
                    What::Data {
                        dir: Dir::ClientToServer,
                        stream: Stream::Stdin,
                        bytes: bytes.len() as u64,
                    },
                );
                if live.writer.write_all(&bytes).await.is_err() {
                    live.stdin_open = false;
                }
                continue;
            }
            // clientloop.c process_escapes writes "~." to the channel's
            // stderr buffer, which is dropped when ssh quits at once: the
            // screen shows only the goodbye (measured, OpenSSH 9.2).
            Escape::Disconnect => return Some(Ended::Disconnected),
            Escape::Background => {
                let _ = proc
                    .write(2, format!("{escape}& [backgrounded]\r\n").as_bytes())
                    .await;
                if let Some(saved) = live.saved.take() {
                    let _ = proc.tcsetattr(0, saved).await;
                }
                return Some(Ended::Background);
            }
            Escape::Suspend => {
                let _ = proc
                    .write(2, format!("{escape}^Z [suspend ssh]\r\n").as_bytes())
                    .await;
                if let Some(saved) = live.saved {
                    let _ = proc.tcsetattr(0, saved).await;
                }
                trace.log(&me, SshEvent::EscapeSuspend);
                proc.kernel.signal(proc.pid, Signal::Tstp, "itself (~^Z)");
                tokio::task::yield_now().await;
                // Continued: back to raw mode.
                if live.saved.is_some() {
                    live.saved = enter_raw_mode(proc).await;
                }
                continue;
            }
            Escape::List => format!(
                "{escape}#\r\nThe following connections are open:\r\n  #0 client-session (t4 r0 i0/0 o0/0)\r\n"
            ),
            Escape::Help => format!("{escape}?\r\n{}", escapes::HELP),
        };
        let _ = proc.write(2, note.as_bytes()).await;
    }
    None
}
