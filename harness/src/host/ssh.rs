//! The simulated `ssh` client: russh over the simulated network, with the
//! exit and teardown behaviour of OpenSSH's ssh(1) (clientloop.c):
//!
//! - it exits when the session channel is closed; its status is the remote
//!   exit-status, or 255 when there was none (exit-signal, CLOSE without a
//!   status, connection failure, keepalive timeout);
//! - stdin is forwarded as channel data and its end as EOF (`-n`: at once);
//! - ServerAliveInterval/CountMax: a probe after an interval with nothing
//!   received; "Timeout, server ... not responding." once more than CountMax
//!   probes went unanswered (russh's keepalive follows the same rule);
//! - `-f` forks after authentication; the parent exits 0.

use std::sync::Arc;
use std::time::Duration;

use hangar_scenario::Host;
use russh::ChannelMsg;

use super::env::HostEnv;
use super::ssh_args::{SshArgs, parse_ssh_args};
use crate::trace::{Dir, Stream, What};
use crate::unix::{OpenFile, Proc, Program};

/// ssh(1)'s status for every failure of its own.
const SSH_FAILURE: i32 = 255;

struct AcceptAnyHostKey;

impl russh::client::Handler for AcceptAnyHostKey {
    type Error = russh::Error;

    /// The simulated server's key is generated per run; there is no
    /// known_hosts to check it against.
    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

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
        .connect(Host::Client, Host::Server, args.port, connect_timeout)
        .await
    {
        Ok(stream) => stream,
        Err(e) => {
            let why = strerror(e.kind());
            trace.log(
                &me,
                format!("connect to server port {} failed: {why}", args.port),
            );
            say(
                &proc,
                &format!("ssh: connect to host server port {}: {why}", args.port),
            )
            .await;
            return SSH_FAILURE;
        }
    };
    trace.log(&me, format!("connected to server port {}", args.port));
    let config = client_config(&args, &env);
    let mut handle =
        match russh::client::connect_stream(Arc::new(config), stream, AcceptAnyHostKey).await {
            Ok(handle) => handle,
            Err(e) => {
                trace.log(&me, format!("key exchange failed: {e}"));
                say(&proc, &format!("ssh: connection to server closed: {e}")).await;
                return SSH_FAILURE;
            }
        };
    match handle.authenticate_none("user").await {
        Ok(result) if result.success() => trace.log(&me, "authenticated"),
        _ => {
            trace.log(&me, "authentication failed");
            say(&proc, "user@server: Permission denied (publickey).").await;
            return SSH_FAILURE;
        }
    }
    if args.background {
        // ssh -f: the child carries the session on; the parent returns.
        let mut fds = proc.fds();
        fds.set(0, OpenFile::dev_null());
        let child = proc.spawn("ssh", fds, move |child: Proc| -> Program {
            Box::pin(session(child, handle, args))
        });
        trace.log(
            &me,
            format!("goes to the background as {}", proc.kernel.label(child)),
        );
        return 0;
    }
    session(proc, handle, args).await
}

fn client_config(args: &SshArgs, env: &HostEnv) -> russh::client::Config {
    let interval = args
        .server_alive_interval
        .or(env.client.server_alive_interval);
    let count_max = args
        .server_alive_count_max
        .unwrap_or(env.client.server_alive_count_max);
    russh::client::Config {
        // ServerAliveInterval 0 means off.
        keepalive_interval: interval.filter(|d| !d.is_zero()),
        keepalive_max: count_max as usize,
        inactivity_timeout: None,
        window_size: env.swarm.window.min(u32::MAX as u64) as u32,
        preferred: super::algorithms::preferred(),
        ..Default::default()
    }
}

/// Runs the session channel until it closes; returns ssh's exit status.
async fn session(
    proc: Proc,
    mut handle: russh::client::Handle<AcceptAnyHostKey>,
    args: SshArgs,
) -> i32 {
    let trace = proc.kernel.trace().clone();
    let me = proc.label();
    let mut channel = match handle.channel_open_session().await {
        Ok(channel) => channel,
        Err(e) => {
            say(&proc, &format!("ssh: channel open failed: {e}")).await;
            return SSH_FAILURE;
        }
    };
    trace.log(&me, format!("-> exec {:?}", args.command));
    if channel.exec(true, args.command.as_bytes()).await.is_err() {
        return SSH_FAILURE;
    }
    let writer = channel.make_writer();
    let stdin_pump = tokio::spawn(forward_stdin(proc.clone(), writer, channel.id()));
    let mut exit_status = None;
    let mut closed = false;
    while let Some(msg) = channel.wait().await {
        match msg {
            ChannelMsg::Data { data } => {
                trace.push(
                    me.clone(),
                    What::Data {
                        dir: Dir::ServerToClient,
                        stream: Stream::Stdout,
                        bytes: data.len() as u64,
                    },
                );
                let _ = proc.write(1, &data).await;
            }
            ChannelMsg::ExtendedData { data, .. } => {
                trace.push(
                    me.clone(),
                    What::Data {
                        dir: Dir::ServerToClient,
                        stream: Stream::Stderr,
                        bytes: data.len() as u64,
                    },
                );
                let _ = proc.write(2, &data).await;
            }
            ChannelMsg::ExitStatus { exit_status: code } => {
                trace.log(&me, format!("<- exit-status {code}"));
                exit_status = Some(code as i32);
            }
            ChannelMsg::ExitSignal { signal_name, .. } => {
                trace.log(&me, format!("<- exit-signal {signal_name:?}"));
            }
            ChannelMsg::Eof => trace.log(&me, "<- EOF"),
            ChannelMsg::Close => {
                trace.log(&me, "<- CLOSE");
                // RFC 4254 5.3: the receiver answers with CLOSE (russh does).
                trace.log(&me, "-> CLOSE (the answer)");
                closed = true;
                break;
            }
            _ => {}
        }
    }
    stdin_pump.abort();
    drop(channel);
    if closed {
        let _ = handle
            .disconnect(russh::Disconnect::ByApplication, "", "")
            .await;
    } else {
        // The connection ended under the channel: say why, as ssh(1) does.
        let why = match tokio::time::timeout(Duration::from_secs(1), &mut handle).await {
            Ok(Err(russh::Error::KeepaliveTimeout)) => {
                "Timeout, server server not responding.".to_string()
            }
            Ok(Err(russh::Error::IO(e))) => {
                format!("client_loop: send disconnect: {}", strerror(e.kind()))
            }
            Ok(Err(e)) => format!("Connection to server closed: {e}"),
            Ok(Ok(())) | Err(_) => "Connection to server closed by remote host.".to_string(),
        };
        trace.log(&me, why.clone());
        say(&proc, &why).await;
    }
    exit_status.unwrap_or(SSH_FAILURE)
}

/// The C library's wording of an errno, as ssh(1) prints it.
fn strerror(kind: std::io::ErrorKind) -> &'static str {
    match kind {
        std::io::ErrorKind::ConnectionReset => "Connection reset by peer",
        std::io::ErrorKind::TimedOut => "Connection timed out",
        std::io::ErrorKind::BrokenPipe => "Broken pipe",
        std::io::ErrorKind::ConnectionRefused => "Connection refused",
        _ => "Connection closed",
    }
}

/// Copies stdin into the channel; its end-of-file becomes the channel's EOF.
async fn forward_stdin(
    proc: Proc,
    mut writer: impl tokio::io::AsyncWrite + Unpin,
    _id: russh::ChannelId,
) {
    use tokio::io::AsyncWriteExt;
    let trace = proc.kernel.trace().clone();
    let me = proc.label();
    loop {
        match proc.read(0, 32 * 1024).await {
            Ok(block) if !block.is_empty() => {
                trace.push(
                    me.clone(),
                    What::Data {
                        dir: Dir::ClientToServer,
                        stream: Stream::Stdin,
                        bytes: block.len() as u64,
                    },
                );
                if writer.write_all(&block).await.is_err() {
                    return;
                }
            }
            _ => break,
        }
    }
    trace.log(&me, "-> EOF (end of its stdin)");
    let _ = writer.shutdown().await;
}
