//! hangar-ssh: russh's client with the exit and teardown behaviour of
//! OpenSSH's ssh(1) (clientloop.c), as the simulated client models it
//! (`sim/host/ssh.rs`):
//!
//! - it exits when the session channel is closed; its status is the remote
//!   exit-status, or 255 when there was none (exit-signal, CLOSE without a
//!   status, connection failure, `~.`, a signal); a keepalive timeout or a
//!   failed read or write exits 255 whatever status came before;
//! - stdin is forwarded as channel data and its end as EOF (`-n`: at once);
//! - ServerAliveInterval/CountMax: russh's keepalive; "Timeout, server
//!   HOST not responding." once more than CountMax probes went unanswered,
//!   at the first quiet interval with CountMax 0 (`ssh/server_alive.rs`);
//! - `-t`/`-tt`/`-T` and a login shell on a terminal decide the pty; with
//!   one, the local terminal goes raw for the session and is restored at
//!   the end ("Connection to HOST closed."), SIGWINCH sends window-change
//!   (RFC 4254 6.7), and the escapes `~.`, `~~`, `~^Z`, `~#`, `~?` apply;
//! - SIGHUP, SIGINT, SIGQUIT and SIGTERM end it with 255 after restoring
//!   the terminal (clientloop.c signal_handler).
//!
//! Messages go to stderr with CRLF, as OpenSSH's log does.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use russh::ChannelMsg;
use russh::client::Handle;
use russh::keys::PrivateKeyWithHashAlg;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use super::client_args::{ClientArgs, TtyRequest, USAGE, parse_client_args};
use super::client_stdin::{FromStdin, forward_stdin, stdin_blocks};
use super::events::Events;
use super::local_tty::{self, RawMode};
use super::signals;
use crate::ssh::algorithms::AcceptAnyHostKey;
use crate::ssh::escapes::{self, Escape, Escapes};
use crate::ssh::server_alive::{is_server_alive_timeout, server_alive};
use crate::ssh::strerror::strerror;

/// ssh(1)'s status for every failure of its own.
pub const SSH_FAILURE: i32 = 255;

/// The hosts hangar-ssh connects to: the loopback host only.
const LOOPBACK_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

/// Runs hangar-ssh with `argv` (without the program name); returns the
/// exit status.
pub fn main_with(argv: &[String]) -> i32 {
    let args = match parse_client_args(argv) {
        Ok(args) => args,
        Err(message) if message == USAGE => {
            say(&message);
            return SSH_FAILURE;
        }
        Err(message) => {
            say(&format!("hangar-ssh: {message}"));
            say(USAGE);
            return SSH_FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            say(&format!("hangar-ssh: {e}"));
            return SSH_FAILURE;
        }
    };
    runtime.block_on(run(args))
}

/// One line on stderr, CRLF-terminated as ssh(1) writes it (log.c).
fn say(text: &str) {
    eprint!("{text}\r\n");
}

async fn run(args: ClientArgs) -> i32 {
    let mut events = match Events::open(args.events.as_deref()) {
        Ok(events) => events,
        Err(e) => {
            let path = args.events.as_deref().unwrap_or("-".as_ref());
            say(&format!("hangar-ssh: -E {}: {e}", path.display()));
            return SSH_FAILURE;
        }
    };
    let host_name = args.host_name.as_deref().unwrap_or(&args.alias);
    if !LOOPBACK_NAMES.contains(&host_name) {
        say(&format!(
            "hangar-ssh: connects to 127.0.0.1 only, not `{host_name}` (use -o HostName=127.0.0.1)"
        ));
        return SSH_FAILURE;
    }
    let key = match load_identity(&args) {
        Ok(key) => key,
        Err(message) => {
            say(&message);
            return SSH_FAILURE;
        }
    };
    let stream = match connect(&args).await {
        Ok(stream) => stream,
        Err(why) => {
            say(&format!(
                "ssh: connect to host {} port {}: {why}",
                args.alias, args.port
            ));
            return SSH_FAILURE;
        }
    };
    events.note("connected");
    // ssh_config(5): ServerAliveCountMax is 3 by default.
    let alive = server_alive(
        args.server_alive_interval,
        args.server_alive_count_max.unwrap_or(3),
    );
    let config = russh::client::Config {
        keepalive_interval: alive.keepalive_interval,
        keepalive_max: alive.keepalive_max,
        inactivity_timeout: alive.inactivity_timeout,
        preferred: crate::ssh::algorithms::preferred(),
        nodelay: true,
        ..Default::default()
    };
    let mut handle =
        match russh::client::connect_stream(Arc::new(config), stream, AcceptAnyHostKey).await {
            Ok(handle) => handle,
            Err(e) => {
                events.note(&format!("connection-lost {e}"));
                say(&format!("ssh: connection to {} closed: {e}", args.alias));
                return SSH_FAILURE;
            }
        };
    let user = args.user.clone().unwrap_or_else(local_user);
    let authenticated = handle
        .authenticate_publickey(&user, PrivateKeyWithHashAlg::new(Arc::new(key), None))
        .await;
    if !matches!(authenticated, Ok(result) if result.success()) {
        say(&format!(
            "{user}@{}: Permission denied (publickey).",
            args.alias
        ));
        return SSH_FAILURE;
    }
    if args.no_session {
        return connection_only(handle, &args, events).await;
    }
    session(handle, args, events).await
}

/// `-N`: no channel, the connection alone, until the server ends it or a
/// signal ends ssh (clientloop.c client_loop runs without a session).
async fn connection_only(
    mut handle: Handle<AcceptAnyHostKey>,
    args: &ClientArgs,
    mut events: Events,
) -> i32 {
    let Some(mut quit) = Quit::installed() else {
        return SSH_FAILURE;
    };
    tokio::select! {
        ended = &mut handle => {
            let lost = lost_as(ended, &args.alias);
            events.note(&lost.event);
            say(&lost.message);
        }
        _ = quit.caught() => {}
    }
    SSH_FAILURE
}

/// `-i`, or ~/.ssh/id_ed25519 as ssh(1) tries by default.
fn load_identity(args: &ClientArgs) -> Result<russh::keys::PrivateKey, String> {
    let path = match &args.identity {
        Some(path) => path.clone(),
        None => {
            let home = std::env::var_os("HOME").unwrap_or_default();
            std::path::Path::new(&home).join(".ssh/id_ed25519")
        }
    };
    russh::keys::load_secret_key(&path, None)
        .map_err(|e| format!("Load key \"{}\": {e}", path.display()))
}

/// The TCP connection, within ConnectTimeout when one is set; the error
/// is worded as the C library words it, as ssh(1) prints it.
async fn connect(args: &ClientArgs) -> Result<TcpStream, &'static str> {
    let connecting = TcpStream::connect(("127.0.0.1", args.port));
    let connected = match args.connect_timeout.filter(|d| !d.is_zero()) {
        Some(limit) => tokio::time::timeout(limit, connecting)
            .await
            .map_err(|_| "Connection timed out")?,
        None => connecting.await,
    };
    let stream = connected.map_err(|e| strerror(e.kind()))?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

fn local_user() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.name)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "root".into())
}

/// What ends the client loop.
enum Ended {
    Closed,
    /// The connection went away under the channel.
    Lost,
    /// `~.`
    Disconnected,
    /// SIGHUP, SIGINT, SIGQUIT or SIGTERM.
    Signaled,
    /// The server refused the shell or command.
    Refused,
}

/// A request of the session that waits for the server's answer.
enum Request {
    Pty,
    /// `shell` or `exec`.
    Start,
}

/// Opens the session channel, asks for a pty when ssh(1) would, starts the
/// command or a shell, and runs it until it closes; returns ssh's status.
async fn session(handle: Handle<AcceptAnyHostKey>, args: ClientArgs, mut events: Events) -> i32 {
    let channel = match handle.channel_open_session().await {
        Ok(channel) => channel,
        Err(e) => {
            say(&format!("hangar-ssh: channel open failed: {e}"));
            return SSH_FAILURE;
        }
    };
    let stdin_tty = !args.null_stdin && local_tty::stdin_is_terminal();
    let wants_pty = match args.tty {
        TtyRequest::No => false,
        TtyRequest::Force => true,
        TtyRequest::Auto => args.command.is_empty(),
        TtyRequest::Yes => true,
    };
    // ssh.c: without a terminal on stdin only -tt gets a pty.
    let pty = wants_pty && (stdin_tty || args.tty == TtyRequest::Force);
    if wants_pty && !pty {
        say("Pseudo-terminal will not be allocated because stdin is not a terminal.");
    }
    // clientloop.c signal_handler, in place before the terminal goes raw.
    let Some(mut quit) = Quit::installed() else {
        return SSH_FAILURE;
    };
    // The requests that want a reply, in order (RFC 4254 6.2, 6.5).
    let mut awaiting = VecDeque::new();
    if pty {
        awaiting.push_back(Request::Pty);
        let term = std::env::var("TERM").unwrap_or_default();
        let (cols, rows) = local_tty::size();
        let modes = local_tty::encoded_modes();
        let requested = channel
            .request_pty(true, &term, cols.into(), rows.into(), 0, 0, &modes)
            .await;
        if requested.is_err() {
            return SSH_FAILURE;
        }
    }
    awaiting.push_back(Request::Start);
    let started = if args.command.is_empty() {
        channel.request_shell(true).await
    } else if args.subsystem {
        channel.request_subsystem(true, &args.command).await
    } else {
        channel.exec(true, args.command.as_bytes()).await
    };
    if started.is_err() {
        return SSH_FAILURE;
    }
    // clientloop.c: raw mode and escapes only with a pty and a terminal.
    let raw = (pty && stdin_tty).then(RawMode::enter).flatten();
    let escapes = (pty && stdin_tty).then(|| Escapes::new(b'~'));
    let (mut reader, writer) = channel.split();
    let writer = Arc::new(writer);
    let (to_loop, mut from_stdin) = mpsc::unbounded_channel();
    let reading = Arc::new(tokio::sync::RwLock::new(()));
    let forwarding = tokio::spawn(forward_stdin(
        stdin_blocks(args.null_stdin, stdin_tty.then(|| reading.clone())),
        writer.clone(),
        escapes,
        to_loop,
    ));
    let mut stdout = tokio::io::stdout();
    let mut stderr = tokio::io::stderr();
    let mut exit_status = None;
    let mut winch = pty
        .then(|| signal(SignalKind::window_change()).ok())
        .flatten();
    // Once the forwarder has ended, its channel has nothing more to say.
    let mut stdin_done = false;
    let ended = loop {
        tokio::select! {
            biased;
            msg = reader.wait() => match (reading.read().await, msg).1 {
                None => break Ended::Lost,
                Some(ChannelMsg::Data { data }) => write(&mut stdout, &data).await,
                // RFC 4254 5.2: extended data type 1 is stderr.
                Some(ChannelMsg::ExtendedData { data, ext: 1 }) => write(&mut stderr, &data).await,
                Some(ChannelMsg::ExitStatus { exit_status: code }) => {
                    events.note(&format!("exit-status {code}"));
                    exit_status = Some(code as i32);
                }
                Some(ChannelMsg::ExitSignal { signal_name, .. }) => {
                    events.note(&format!("exit-signal {}", signals::russh_name(&signal_name)));
                }
                Some(ChannelMsg::Eof) => events.note("eof"),
                // RFC 4254 5.3: russh answers with CLOSE.
                Some(ChannelMsg::Close) => {
                    events.note("close");
                    break Ended::Closed;
                }
                Some(ChannelMsg::Success) => {
                    awaiting.pop_front();
                }
                Some(ChannelMsg::Failure) => match awaiting.pop_front() {
                    // ssh.c: the session goes on without a terminal.
                    Some(Request::Pty) => say("PTY allocation request failed on channel 0"),
                    _ => break Ended::Refused,
                },
                Some(_) => {}
            },
            _ = quit.caught() => break Ended::Signaled,
            _ = next_winch(&mut winch) => {
                let (cols, rows) = local_tty::size();
                let _ = writer.window_change(cols.into(), rows.into(), 0, 0).await;
            }
            told = from_stdin.recv(), if !stdin_done => match told {
                None => stdin_done = true,
                Some(FromStdin::SentEof) => events.note("sent-eof"),
                Some(FromStdin::Escape(escape)) => {
                    if let Some(ended) = escaped(escape, raw.as_ref(), &mut stderr).await {
                        break ended;
                    }
                }
            },
        }
    };
    forwarding.abort();
    let _ = stdout.flush().await;
    drop(raw);
    let mut goodbye = true;
    match ended {
        Ended::Closed | Ended::Disconnected => {
            let _ = handle
                .disconnect(russh::Disconnect::ByApplication, "", "")
                .await;
        }
        Ended::Refused => {
            let what = match (args.command.is_empty(), args.subsystem) {
                (true, _) => "shell",
                (false, true) => "subsystem",
                (false, false) => "exec",
            };
            say(&format!("{what} request failed on channel 0"));
        }
        Ended::Signaled => {}
        Ended::Lost => {
            let lost = why_lost(handle, &args.alias).await;
            events.note(&lost.event);
            say(&lost.message);
            if lost.fatal {
                exit_status = None;
                // cleanup_exit(255) leaves before the goodbye (measured,
                // OpenSSH 9.2).
                goodbye = false;
            }
        }
    }
    if pty && goodbye && !matches!(ended, Ended::Signaled) {
        // clientloop.c: with a pty, ssh says goodbye (LogLevel INFO).
        say(&format!("Connection to {} closed.", args.alias));
    }
    let _ = stderr.flush().await;
    match ended {
        Ended::Closed | Ended::Lost => exit_status.unwrap_or(SSH_FAILURE),
        _ => SSH_FAILURE,
    }
}

/// An escape typed at the start of a line (clientloop.c process_escapes);
/// `~&` is not supported (it needs forwarded connections to wait for).
async fn escaped(
    escape: Escape,
    raw: Option<&RawMode>,
    stderr: &mut (impl AsyncWrite + Unpin),
) -> Option<Ended> {
    let note = match escape {
        // OpenSSH queues "~." on the channel's stderr buffer and drops it
        // as it quits (measured, 9.2): only the goodbye shows.
        Escape::Disconnect => return Some(Ended::Disconnected),
        Escape::Suspend => {
            say("~^Z [suspend ssh]");
            if let Some(raw) = raw {
                raw.leave();
            }
            // Stops here until continued (SIGCONT), then raw again.
            let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGTSTP);
            if let Some(raw) = raw {
                raw.resume();
            }
            return None;
        }
        Escape::List => {
            "~#\r\nThe following connections are open:\r\n  #0 client-session (t4 r0 i0/0 o0/0)\r\n"
                .to_string()
        }
        Escape::Help => format!("~?\r\n{}", escapes::HELP),
        Escape::Send(_) | Escape::Background => return None,
    };
    write(stderr, note.as_bytes()).await;
    None
}

async fn write(out: &mut (impl AsyncWrite + Unpin), data: &[u8]) {
    let _ = out.write_all(data).await;
    let _ = out.flush().await;
}

/// How the connection ended under the channel.
struct Lost {
    /// ssh(1)'s words for it.
    message: String,
    /// The line of the event log.
    event: String,
    /// A fatal error (keepalive timeout, a failed read or write): ssh(1)
    /// exits 255 through cleanup_exit whatever status it had received. A
    /// connection the server closed ends the loop normally, and the
    /// status received counts.
    fatal: bool,
}

async fn why_lost(mut handle: Handle<AcceptAnyHostKey>, alias: &str) -> Lost {
    match tokio::time::timeout(Duration::from_secs(1), &mut handle).await {
        Ok(ended) => lost_as(ended, alias),
        // Not over a second after the channel: the server closed it.
        Err(_) => lost_as(Ok(()), alias),
    }
}

/// What ssh(1) says of a connection that ended this way.
fn lost_as(ended: Result<(), russh::Error>, alias: &str) -> Lost {
    let closed = || Lost {
        message: format!("Connection to {alias} closed by remote host."),
        event: "connection-lost closed by remote host".into(),
        fatal: false,
    };
    match ended {
        Err(e) if is_server_alive_timeout(&e) => Lost {
            message: format!("Timeout, server {alias} not responding."),
            event: "keepalive-timeout".into(),
            fatal: true,
        },
        Err(russh::Error::IO(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => closed(),
        Err(russh::Error::IO(e)) => {
            let why = strerror(e.kind());
            Lost {
                message: format!("client_loop: send disconnect: {why}"),
                event: format!("connection-lost {why}"),
                fatal: true,
            }
        }
        Err(e) => Lost {
            message: format!("Connection to {alias} closed: {e}"),
            event: format!("connection-lost {e}"),
            fatal: true,
        },
        Ok(()) => closed(),
    }
}

/// The signals that end ssh(1) (clientloop.c signal_handler).
struct Quit {
    hangup: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
    quit: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Quit {
    /// The handlers, or `None` after saying why they could not be set.
    fn installed() -> Option<Quit> {
        Quit::new()
            .map_err(|e| say(&format!("hangar-ssh: signal handlers: {e}")))
            .ok()
    }

    fn new() -> std::io::Result<Quit> {
        Ok(Quit {
            hangup: signal(SignalKind::hangup())?,
            interrupt: signal(SignalKind::interrupt())?,
            quit: signal(SignalKind::quit())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn caught(&mut self) {
        tokio::select! {
            _ = self.hangup.recv() => {}
            _ = self.interrupt.recv() => {}
            _ = self.quit.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

async fn next_winch(winch: &mut Option<tokio::signal::unix::Signal>) {
    match winch {
        Some(stream) => {
            stream.recv().await;
        }
        None => std::future::pending().await,
    }
}
