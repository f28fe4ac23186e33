//! hangar-sshd: russh's server on 127.0.0.1, running real sessions for
//! the invoking user with one of hangar's teardown policies.
//!
//! - Authentication is by public key only, against an OpenSSH
//!   authorized_keys file; any user name is accepted and every session
//!   runs as the user hangar-sshd runs as.
//! - `exec` runs `$SHELL -c COMMAND`; `shell` runs a login shell; with a
//!   `pty-req` first, on a new pty (`pty.rs`), else on pipes
//!   (`session.rs`).
//! - `subsystem` runs the command `--subsystem NAME=COMMAND` gives the
//!   name, as an `exec` of it (sshd_config(5) `Subsystem`); other names
//!   fail.
//! - `signal` requests (RFC 4254 6.9) are delivered to the session's child.
//! - Client-alive (sshd_config(5) ClientAliveInterval/CountMax): russh's
//!   server keepalive ends the connection after `count-max` probes go
//!   unanswered.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use hangar_scenario::Policy;
use nix::sys::signal::kill;
use nix::unistd::Pid;
use russh::keys::ssh_key::{AuthorizedKeys, PublicKey};
use russh::server::{Auth, ChannelOpenHandle, Msg, PublicKeyOffer, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, ChannelWriteHalf, Pty, Sig};
use tokio::net::TcpListener;
use tokio::process::Command;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::log::Log;
use super::login::Login;
use super::output::Output;
use super::pty::{self, Master, PtyRequest};
use super::server_args::ServerArgs;
use super::{session, signals};

/// Channel data waiting for the child to read it, in packets (at most
/// 32 KiB each). russh opens the window again as data arrives, not as
/// the child reads it, so a child that does not read its stdin would let
/// the queue grow without end; when it is full, the connection waits.
const INPUT_QUEUE: usize = 1024;

/// What every connection shares.
struct Shared {
    policy: Policy,
    login: Login,
    setenv: Vec<(String, String)>,
    subsystems: Vec<(String, String)>,
    authorized: Vec<PublicKey>,
}

/// Loads the keys, binds the address and serves connections until the
/// process is killed. Errors are for the person who started it.
pub async fn serve(args: ServerArgs) -> Result<(), String> {
    let host_key = russh::keys::load_secret_key(&args.host_key, None)
        .map_err(|e| format!("host key {}: {e}", args.host_key.display()))?;
    let authorized = authorized_keys(&args)?;
    let shared = Arc::new(Shared {
        policy: args.policy,
        login: Login::invoking_user()?,
        setenv: args.setenv.clone(),
        subsystems: args.subsystems.clone(),
        authorized,
    });
    let config = Arc::new(russh::server::Config {
        keys: vec![host_key],
        auth_rejection_time: Duration::ZERO,
        auth_rejection_time_initial: Some(Duration::ZERO),
        keepalive_interval: args.client_alive_interval,
        keepalive_max: args.client_alive_count_max as usize,
        inactivity_timeout: None,
        preferred: crate::ssh::algorithms::preferred(),
        nodelay: true,
        ..Default::default()
    });
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("listening on {}: {e}", args.listen))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("listening on {}: {e}", args.listen))?;
    eprintln!(
        "hangar-sshd: listening on {local} (policy {}, user {})",
        args.policy, shared.login.user
    );
    let mut connections = 0u64;
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors, say: wait instead of spinning.
                eprintln!("hangar-sshd: accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        connections += 1;
        let log = Log::new(format!("hangar-sshd: connection {connections}"));
        log.say(format!("accepted from {peer}"));
        let _ = stream.set_nodelay(true);
        let handler = Conn {
            shared: shared.clone(),
            log: log.clone(),
            client: peer,
            server: local,
            channels: HashMap::new(),
            tasks: Vec::new(),
        };
        let config = config.clone();
        tokio::spawn(async move {
            let ended = match russh::server::run_stream(config, stream, handler).await {
                Ok(running) => running.await,
                Err(e) => Err(e),
            };
            log.say(match ended {
                Ok(()) => "connection closed".to_string(),
                Err(russh::Error::KeepaliveTimeout) => {
                    "Timeout, client not responding: connection dropped".to_string()
                }
                Err(russh::Error::IO(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    "connection closed by the client".to_string()
                }
                Err(e) => format!("connection ended: {e}"),
            });
        });
    }
}

/// The public keys of an OpenSSH authorized_keys file (sshd(8)
/// AUTHORIZED_KEYS FILE FORMAT; options are read but not enforced).
fn authorized_keys(args: &ServerArgs) -> Result<Vec<PublicKey>, String> {
    let path = &args.authorized_keys;
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("authorized keys {}: {e}", path.display()))?;
    let keys = AuthorizedKeys::new(&text)
        .map(|entry| entry.map(|e| e.public_key().clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("authorized keys {}: {e}", path.display()))?;
    if keys.is_empty() {
        return Err(format!("authorized keys {}: no keys", path.display()));
    }
    Ok(keys)
}

/// One session channel's state between its requests.
#[derive(Default)]
struct ChannelState {
    /// The channel's sending side, until the session starts with it.
    writer: Option<ChannelWriteHalf<Msg>>,
    pty: Option<PtyRequest>,
    /// Channel data for the child's stdin (or the pty); dropping it
    /// closes the stdin pipe.
    input: Option<mpsc::Sender<Vec<u8>>>,
    child: Option<Pid>,
    /// The pty's master when the session runs on one (EOF from the
    /// client then closes nothing: the terminal stays).
    master: Option<Weak<Master>>,
}

/// One connection: russh calls it for each request.
struct Conn {
    shared: Arc<Shared>,
    log: Log,
    client: SocketAddr,
    server: SocketAddr,
    channels: HashMap<ChannelId, ChannelState>,
    /// Session tasks, aborted when the connection ends: their pipe ends
    /// close with them, and a pty's master, which hangs the pty up.
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Conn {
    fn is_authorized(&self, key: &PublicKey) -> bool {
        self.shared
            .authorized
            .iter()
            .any(|k| k.key_data() == key.key_data())
    }

    /// Starts the session's program on the channel: `$SHELL -c command`
    /// or a login shell, on a pty if one was asked for, else on pipes.
    fn start(
        &mut self,
        id: ChannelId,
        command: Option<String>,
        session: &mut Session,
    ) -> Result<(), russh::Error> {
        let shared = self.shared.clone();
        let Some(state) = self.channels.get_mut(&id) else {
            session.channel_failure(id)?;
            return Ok(());
        };
        let Some(writer) = state.writer.take() else {
            // A second shell or exec on the same channel.
            session.channel_failure(id)?;
            return Ok(());
        };
        let pty_request = state.pty.take();
        let login = &shared.login;
        let mut program = Command::new(&login.shell);
        program
            .arg0(login.shell_name(command.is_none()))
            .env_clear()
            .envs(login.environment(
                self.client,
                self.server,
                &shared.setenv,
                pty_request.as_ref().map(|p| p.term.as_str()),
            ))
            .current_dir(login.working_directory());
        if let Some(command) = &command {
            program.arg("-c").arg(command);
        }
        let log = self.log.with(&format!("channel {id}"));
        let out = Output::new(log.clone(), writer, session.handle(), id);
        let (input_tx, input) = mpsc::channel(INPUT_QUEUE);
        let started = match pty_request {
            Some(request) => start_on_pty(&mut program, &request, out, shared.policy, input),
            None => start_on_pipes(&mut program, out, shared.policy, input),
        };
        match started {
            Ok(started) => {
                log.say(format!(
                    "started {} as pid {}",
                    login.shell.display(),
                    started.pid
                ));
                state.child = Some(started.pid);
                state.input = Some(input_tx);
                state.master = started.master;
                self.tasks.extend(started.tasks);
                session.channel_success(id)?;
            }
            Err(e) => {
                log.say(format!("could not start {}: {e}", login.shell.display()));
                session.channel_failure(id)?;
            }
        }
        Ok(())
    }
}

/// A session's child, started, and the tasks that carry the session.
struct Started {
    pid: Pid,
    tasks: Vec<JoinHandle<()>>,
    /// The pty's master, for `window-change`; `None` on pipes.
    master: Option<Weak<Master>>,
}

fn start_on_pipes(
    program: &mut Command,
    out: Output,
    policy: Policy,
    input: mpsc::Receiver<Vec<u8>>,
) -> std::io::Result<Started> {
    let started = session::spawn_on_pipes(program)?;
    let pid = child_pid(&started.child)?;
    let feeding = tokio::spawn(session::feed_stdin(input, started.stdin));
    let running = tokio::spawn(session::run(out, policy, started.child));
    Ok(Started {
        pid,
        tasks: vec![feeding, running],
        master: None,
    })
}

fn start_on_pty(
    program: &mut Command,
    request: &PtyRequest,
    out: Output,
    policy: Policy,
    input: mpsc::Receiver<Vec<u8>>,
) -> std::io::Result<Started> {
    let (master, slave) = pty::open(request)?;
    let child = pty::spawn_on_pty(program, slave)?;
    let pid = child_pid(&child)?;
    let master = Arc::new(master);
    let weak = Arc::downgrade(&master);
    let running = tokio::spawn(pty::run(out, policy, child, master, input));
    Ok(Started {
        pid,
        tasks: vec![running],
        master: Some(weak),
    })
}

fn child_pid(child: &tokio::process::Child) -> std::io::Result<Pid> {
    child
        .id()
        .map(|pid| Pid::from_raw(pid as i32))
        .ok_or_else(|| std::io::Error::other("the child is gone already"))
}

impl russh::server::Handler for Conn {
    type Error = russh::Error;

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(if self.is_authorized(offer.public_key) {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        if self.is_authorized(key.public_key) {
            self.log.say(format!("accepted publickey for {user}"));
            Ok(Auth::Accept)
        } else {
            Ok(Auth::reject())
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Incoming data arrives through the handler's callbacks; the read
        // half is dropped so that russh never waits for it to be read.
        let (read, writer) = channel.split();
        drop(read);
        self.channels.insert(
            writer.id(),
            ChannelState {
                writer: Some(writer),
                ..Default::default()
            },
        );
        reply.accept().await;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        id: ChannelId,
        term: &str,
        cols: u32,
        rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.log.say(format!("<- pty-req {term} {cols}x{rows}"));
        match self.channels.get_mut(&id) {
            Some(state) if state.writer.is_some() => {
                state.pty = Some(PtyRequest {
                    term: term.to_string(),
                    cols: clamp(cols),
                    rows: clamp(rows),
                    modes: modes.to_vec(),
                });
                session.channel_success(id)?;
            }
            _ => session.channel_failure(id)?,
        }
        Ok(())
    }

    async fn shell_request(
        &mut self,
        id: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.log.say("<- shell");
        self.start(id, None, session)
    }

    async fn exec_request(
        &mut self,
        id: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let command = String::from_utf8_lossy(data).into_owned();
        self.log.say(format!("<- exec {command:?}"));
        self.start(id, Some(command), session)
    }

    async fn subsystem_request(
        &mut self,
        id: ChannelId,
        name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let command = self.shared.subsystems.iter().find(|(n, _)| n == name);
        match command.map(|(_, command)| command.clone()) {
            Some(command) => {
                self.log
                    .say(format!("<- subsystem {name}: runs {command:?}"));
                self.start(id, Some(command), session)
            }
            None => {
                self.log.say(format!("<- subsystem {name}: not configured"));
                session.channel_failure(id)?;
                Ok(())
            }
        }
    }

    async fn env_request(
        &mut self,
        id: ChannelId,
        name: &str,
        _value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        // sshd_config(5) AcceptEnv is empty by default: nothing is passed.
        self.log.say(format!("<- env {name}: refused"));
        session.channel_failure(id)?;
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        id: ChannelId,
        cols: u32,
        rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let master = self.channels.get(&id).and_then(|s| s.master.as_ref());
        if let Some(master) = master.and_then(Weak::upgrade) {
            master.resize(clamp(cols), clamp(rows));
        }
        Ok(())
    }

    async fn signal(
        &mut self,
        id: ChannelId,
        signal: Sig,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let name = signals::russh_name(&signal);
        let child = self.channels.get(&id).and_then(|s| s.child);
        match (child, signals::from_russh(&signal)) {
            (Some(pid), Some(signal)) => {
                self.log.say(format!("<- signal {name}: to pid {pid}"));
                let _ = kill(pid, signal);
            }
            _ => self.log.say(format!("<- signal {name}: ignored")),
        }
        Ok(())
    }

    async fn data(
        &mut self,
        id: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let input = self.channels.get(&id).and_then(|s| s.input.clone());
        if let Some(input) = input {
            let _ = input.send(data.to_vec()).await;
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        id: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(state) = self.channels.get_mut(&id) {
            if state.master.is_some() {
                self.log.say("<- EOF");
            } else {
                self.log.say("<- EOF: closes the child's stdin");
                state.input = None;
            }
        }
        Ok(())
    }

    async fn channel_close(
        &mut self,
        id: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.log.say("<- CLOSE");
        if let Some(state) = self.channels.get_mut(&id) {
            state.input = None;
        }
        Ok(())
    }
}

/// A terminal dimension from the wire, as the kernel's 16 bits hold it.
fn clamp(value: u32) -> u16 {
    value.min(u16::MAX as u32) as u16
}
