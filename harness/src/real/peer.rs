//! A real SSH server for one run, as its target ([`super::targets`])
//! describes it: fresh keys, the target's files and setup commands, and its
//! server command on an ephemeral port on 127.0.0.1, all in a temporary
//! directory that is removed with it. The server runs in a process group
//! of its own, which is killed when the peer is dropped.
//!
//! The keys are OpenSSH's ed25519 (ssh-keygen): `{host_key}`, and
//! `{user_key}`, the only key in `{home}/.ssh/authorized_keys`.
//!
//! A target with a private home (Dropbear always, OpenSSH as root, hangar's
//! own server always) runs its server in a private mount namespace
//! (unshare(1)) where `{home}` is bind-mounted over `/root`, and the client
//! logs in as root: the sessions start in the run's home, and the real
//! `~/.ssh` is never touched. Without root the namespace is also a user
//! namespace that maps the user to root, so the same works unprivileged.
//!
//! The client side is the target's client command: a wrapper named `ssh`
//! (and `scp` when the target has one) first in PATH runs it with the
//! scenario's arguments, so a scenario's `ssh server '...'` runs literally
//! (the command's `HostName=127.0.0.1` wins over the name `server`).

use std::fmt;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hangar_scenario::{ClientOptions, ServerOptions, Target, whole_seconds};

use super::processes::{MARKER, kill_group};
use super::targets::template::{Placeholder, Template, shell_quote};
use super::targets::{ClientSetting, RealTarget};

/// The PATH of an OpenSSH session (sshd's _PATH_STDPATH for root), after
/// the run's own utilities.
const SESSION_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The directory of the run's `pkill` and `killall` (`scoped_kill.rs`),
/// first in PATH on both hosts.
pub fn scoped_bin(run_dir: &Path) -> PathBuf {
    run_dir.join("scoped-bin")
}

/// Writes the run's `pkill` and `killall` into [`scoped_bin`].
fn write_scoped_bin(run_dir: &Path) -> Result<(), PeerError> {
    let dir = scoped_bin(run_dir);
    std::fs::create_dir_all(&dir).map_err(|e| PeerError(format!("{}: {e}", dir.display())))?;
    let hangar = super::at_terminal::hangar_exe().ok();
    for (name, script) in super::scoped_kill::wrappers(hangar.as_deref()) {
        let file = dir.join(name);
        write(&file, &script)?;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| PeerError(format!("{}: {e}", file.display())))?;
    }
    Ok(())
}

/// How long a server may take to accept connections.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// How long a target's setup command may take.
const SETUP_WITHIN: Duration = Duration::from_secs(30);

/// A peer that could not be set up; the message says what to do.
#[derive(Debug)]
pub struct PeerError(pub String);

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A running server and the client configuration that reaches it.
pub struct Peer {
    pub dir: PathBuf,
    pub addr: SocketAddr,
    /// Directory to put first in PATH: its `ssh` reaches the server.
    pub bin: PathBuf,
    /// The value of the run's marker variable, set in every server-side
    /// session (see `processes.rs`).
    pub run_id: String,
    /// The user the client logs in as.
    login: String,
    /// The directory the sessions see as their home and start in, when
    /// the server runs with the run's own (see [`Peer::home`]).
    private_home: bool,
    /// The server program's name as proc(5) shows it (`comm`).
    server_name: String,
    target: RealTarget,
    options: ServerOptions,
    server: Child,
}

/// The program a peer needs and the Debian package that has it.
fn require(program: &str, package: &str) -> Result<PathBuf, PeerError> {
    let candidates = [
        PathBuf::from(program),
        Path::new("/usr/sbin").join(program),
        Path::new("/usr/bin").join(program),
    ];
    candidates
        .into_iter()
        .find(|p| p.is_absolute() && p.exists())
        .ok_or_else(|| missing(program, package))
}

fn missing(program: &str, package: &str) -> PeerError {
    let name = program.rsplit('/').next().unwrap_or(program);
    PeerError(format!(
        "`{name}` is not installed; it comes with the Debian package `{package}`: \
         `apt-get install -y {package}` (or run ci/install-peers)"
    ))
}

/// A free port on 127.0.0.1 (bound and released; the server binds it next).
fn free_port() -> Result<u16, PeerError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| PeerError(format!("no free port on 127.0.0.1: {e}")))
}

fn run_quietly(command: &mut Command, what: &str) -> Result<(), PeerError> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| PeerError(format!("{what}: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(PeerError(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

fn write(path: &Path, text: &str) -> Result<(), PeerError> {
    std::fs::write(path, text).map_err(|e| PeerError(format!("{}: {e}", path.display())))
}

/// A run's private directory, removed when dropped unless a [`Peer`] took
/// it over.
struct RunDir(Option<PathBuf>);

impl RunDir {
    fn create(run_id: &str) -> Result<RunDir, PeerError> {
        let dir = std::env::temp_dir().join(format!("hangar-{run_id}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("home/.ssh"))
            .map_err(|e| PeerError(format!("{}: {e}", dir.display())))?;
        Ok(RunDir(Some(dir)))
    }

    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }

    fn keep(mut self) -> PathBuf {
        self.0.take().unwrap_or_default()
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// What the placeholders of one run stand for.
struct Values<'a> {
    dir: &'a Path,
    /// The port of `{port}`: the server's, or the proxy's for the client.
    port: u16,
    login: &'a str,
    run_id: &'a str,
    like: Target,
    server: &'a ServerOptions,
    client: &'a ClientOptions,
}

/// Whole seconds of a setting ([`whole_seconds`]); 0 (off) when unset.
fn secs(d: Option<Duration>) -> String {
    d.map_or(0, whole_seconds).to_string()
}

impl Values<'_> {
    fn get(&self, p: Placeholder) -> Result<String, PeerError> {
        let path = |p: PathBuf| p.display().to_string();
        Ok(match p {
            Placeholder::Port => self.port.to_string(),
            Placeholder::HostKey => path(self.dir.join("host_key")),
            Placeholder::HostKeyPub => path(self.dir.join("host_key.pub")),
            Placeholder::UserKey => path(self.dir.join("user_key")),
            Placeholder::UserKeyPub => path(self.dir.join("user_key.pub")),
            Placeholder::AuthorizedKeys => path(self.dir.join("home/.ssh/authorized_keys")),
            Placeholder::ConfigDir => path(self.dir.to_path_buf()),
            Placeholder::Home => path(self.dir.join("home")),
            Placeholder::User => self.login.to_string(),
            Placeholder::RunId => self.run_id.to_string(),
            Placeholder::Marker => format!("{MARKER}={}", self.run_id),
            Placeholder::SessionPath => format!("{}:{SESSION_PATH}", path(scoped_bin(self.dir))),
            Placeholder::Policy => match self.like {
                Target::Hangar(policy) => policy.to_string(),
                // The loader lets `{policy}` only into hangar-like targets.
                other => return Err(PeerError(format!("{{policy}}: `{other}` has no policy"))),
            },
            Placeholder::HangarSshd => path(hangar_binary("hangar-sshd")?),
            Placeholder::HangarSsh => path(hangar_binary("hangar-ssh")?),
            Placeholder::ClientAliveInterval => secs(self.server.client_alive_interval),
            Placeholder::ClientAliveCountMax => self.server.client_alive_count_max.to_string(),
            Placeholder::DropbearKeepalive => secs(self.server.dropbear_keepalive),
            Placeholder::ChannelTimeout => match self.server.channel_timeouts.as_slice() {
                [] => "none".to_string(),
                pairs => pairs
                    .iter()
                    .map(|t| t.to_sshd_config())
                    .collect::<Vec<_>>()
                    .join(" "),
            },
            Placeholder::UnusedConnectionTimeout => match self.server.unused_connection_timeout {
                None => "none".to_string(),
                some => secs(some),
            },
            Placeholder::DropbearIdleTimeout => secs(self.server.dropbear_idle_timeout),
            Placeholder::ServerAliveInterval => secs(self.client.server_alive_interval),
            Placeholder::ServerAliveCountMax => self.client.server_alive_count_max.to_string(),
            Placeholder::ConnectTimeout => secs(self.client.connect_timeout),
        })
    }

    /// `template` filled in: shell-quoted for a command, as is for a file.
    fn fill(&self, template: &Template, shell: bool) -> Result<String, PeerError> {
        template.expand(shell, |p| self.get(p))
    }
}

/// hangar's own `name` binary, built next to the running one (in tests,
/// next to the directory of the test binary, `deps`).
fn hangar_binary(name: &str) -> Result<PathBuf, PeerError> {
    let exe =
        std::env::current_exe().map_err(|e| PeerError(format!("where hangar runs from: {e}")))?;
    let mut dir = exe.parent().unwrap_or(Path::new("/"));
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir.parent().unwrap_or(dir);
    }
    let path = dir.join(name);
    if path.exists() {
        Ok(path)
    } else {
        Err(PeerError(format!(
            "`{name}` is not built next to {}: build hangar's binaries with \
             `cargo build -p hangar --bins` (or install them with `cargo install --path harness`)",
            exe.display()
        )))
    }
}

/// The program a command line starts: its first word after `env`, `exec`
/// and variable assignments (with quotes taken off).
fn first_program(command: &str) -> Option<&str> {
    command
        .split_whitespace()
        .map(|w| w.trim_matches('\''))
        .find(|w| !matches!(*w, "env" | "exec") && !w.contains('=') && !w.starts_with('-'))
}

impl Peer {
    /// Starts the server of `target`.
    pub fn start(
        target: &RealTarget,
        run_id: &str,
        server: &ServerOptions,
    ) -> Result<Peer, PeerError> {
        for (program, package) in &target.packages {
            if !Path::new(program).exists() {
                return Err(match &target.file {
                    None => missing(program, package),
                    Some(file) => PeerError(format!(
                        "target `{}` ({file}): `{program}` does not exist; it comes with the package `{package}`",
                        target.name
                    )),
                });
            }
        }
        let ssh_keygen = require("ssh-keygen", "openssh-client")?;
        let dir = RunDir::create(run_id)?;
        for key in ["user_key", "host_key"] {
            run_quietly(
                Command::new(&ssh_keygen)
                    .args(["-q", "-t", "ed25519", "-N", "", "-C", key, "-f"])
                    .arg(dir.path().join(key)),
                &format!("ssh-keygen ({key})"),
            )?;
        }
        let public = std::fs::read_to_string(dir.path().join("user_key.pub"))
            .map_err(|e| PeerError(format!("user key: {e}")))?;
        write_scoped_bin(dir.path())?;
        let authorized = dir.path().join("home/.ssh/authorized_keys");
        write(&authorized, &public)?;
        let _ = std::fs::set_permissions(&authorized, std::fs::Permissions::from_mode(0o600));
        // In a private mount namespace the run's home is over /root, and
        // the client logs in as root (mapped to the user without root).
        let private_home = target.has_private_home();
        let login = if private_home {
            "root".to_string()
        } else {
            user_name()
        };
        let port = free_port()?;
        let client = ClientOptions::default();
        let values = Values {
            dir: dir.path(),
            port,
            login: &login,
            run_id,
            like: target.like,
            server,
            client: &client,
        };
        for (name, template) in &target.files {
            write(&dir.path().join(name), &values.fill(template, false)?)?;
        }
        for template in &target.setup {
            run_setup(dir.path(), &values.fill(template, true)?)?;
        }
        let script = values.fill(&target.server, true)?;
        if let Some(program) = first_program(&script).filter(|p| p.starts_with('/'))
            && !Path::new(program).exists()
        {
            return Err(PeerError(format!(
                "target `{}`: its server `{program}` does not exist",
                target.name
            )));
        }
        let server_name = first_program(&script)
            .map(|p| {
                let base = p.rsplit('/').next().unwrap_or(p);
                // proc(5): comm is the name cut to 15 bytes.
                base.chars().take(15).collect()
            })
            .unwrap_or_default();
        let mut command = if private_home {
            in_private_home(dir.path(), &script)?
        } else {
            let mut command = Command::new("/bin/sh");
            command.args(["-c", &script]);
            command
        };
        let child = command
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.path().join("server.log"))
                    .map_err(|e| PeerError(format!("server log: {e}")))?,
            ))
            .process_group(0)
            .spawn()
            .map_err(|e| PeerError(format!("starting the server: {e}")))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let dir = dir.keep();
        let mut peer = Peer {
            login,
            private_home,
            server_name,
            target: target.clone(),
            options: server.clone(),
            bin: dir.join("bin"),
            dir,
            addr,
            run_id: run_id.to_string(),
            server: child,
        };
        peer.wait_until_ready()?;
        Ok(peer)
    }

    fn wait_until_ready(&mut self) -> Result<(), PeerError> {
        let started = Instant::now();
        while started.elapsed() < READY_WITHIN {
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.server.try_wait() {
                let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
                return Err(PeerError(format!(
                    "the server of `{}` exited ({status}) before accepting connections: {}",
                    self.target.label(),
                    log.trim()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(PeerError(format!(
            "the server of `{}` did not accept connections on {} within {}s",
            self.target.label(),
            self.addr,
            READY_WITHIN.as_secs()
        )))
    }

    /// The sessions' home directory, when the server runs with the run's
    /// own (always for Dropbear, for OpenSSH when running as root).
    pub fn home(&self) -> Option<PathBuf> {
        self.private_home.then(|| self.dir.join("home"))
    }

    /// Whether a process named `name` (proc(5) `comm`) is the server's own
    /// rather than a session's: Dropbear's listener and its connections
    /// carry the marker they pass on.
    pub fn is_server(&self, name: &str) -> bool {
        name == self.server_name
    }

    /// Writes the client side: the `ssh` (and `scp`) wrapper that runs the
    /// target's client command against `via` (the proxy).
    pub fn write_client(&self, via: SocketAddr, client: &ClientOptions) -> Result<(), PeerError> {
        let values = Values {
            dir: &self.dir,
            port: via.port(),
            login: &self.login,
            run_id: &self.run_id,
            like: self.target.like,
            server: &self.options,
            client,
        };
        std::fs::create_dir_all(&self.bin).map_err(|e| PeerError(format!("bin: {e}")))?;
        for (program, template) in [
            ("ssh", Some(&self.target.client)),
            ("scp", self.target.scp.as_ref()),
        ] {
            let Some(template) = template else { continue };
            let mut command = values.fill(template, true)?;
            for setting in ClientSetting::ALL {
                if setting.is_set(client)
                    && let Some(option) = self.target.client_option(setting)
                {
                    command.push(' ');
                    command.push_str(&values.fill(option, true)?);
                }
            }
            let wrapper = self.bin.join(program);
            // ssh, given a log directory (`run` steps, never a terminal):
            // its own log, one per process (`$$` is kept by exec), which
            // the real lane's observer reads (`observe/ssh_log.rs`).
            let log = if program == "ssh" {
                client_log(&self.target)
            } else {
                ""
            };
            // scp names itself by argv[0] in its messages (log.c); bash's
            // `exec -a` gives it the name a user's shell would, not the
            // template's path.
            let script = match program {
                "scp" => format!("#!/bin/bash\nexec -a scp {command} \"$@\"\n"),
                _ => format!("#!/bin/sh\nexec {command} {log}\"$@\"\n"),
            };
            write(&wrapper, &script)?;
            std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| PeerError(format!("{program} wrapper: {e}")))?;
        }
        Ok(())
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        kill_group(self.server.id());
        let _ = self.server.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A setup command of the target, in the run's directory and a process
/// group of its own, bounded by [`SETUP_WITHIN`].
fn run_setup(dir: &Path, script: &str) -> Result<(), PeerError> {
    let log_path = dir.join("setup.log");
    let log = std::fs::File::create(&log_path).map_err(|e| PeerError(format!("setup log: {e}")))?;
    let log2 = log
        .try_clone()
        .map_err(|e| PeerError(format!("setup log: {e}")))?;
    let mut child = Command::new("/bin/sh")
        .args(["-c", script])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(log2))
        .process_group(0)
        .spawn()
        .map_err(|e| PeerError(format!("setup `{script}`: {e}")))?;
    let started = Instant::now();
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Some(status);
        }
        if started.elapsed() >= SETUP_WITHIN {
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    kill_group(child.id());
    let _ = child.wait();
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    match status {
        Some(s) if s.success() => Ok(()),
        Some(s) => Err(PeerError(format!(
            "setup `{script}` failed ({s}): {}",
            output.trim()
        ))),
        None => Err(PeerError(format!(
            "setup `{script}` did not end within {}s",
            SETUP_WITHIN.as_secs()
        ))),
    }
}

fn user_name() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| {
            let out = Command::new("id").arg("-un").output();
            out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_else(|_| "root".into())
        })
}

/// The log options of a built-in target's client, for the observer: the
/// OpenSSH client's `-vvv` and hangar-ssh's own event log. A user's
/// client is not assumed to take either.
fn client_log(target: &RealTarget) -> &'static str {
    match (target.file.is_none(), target.like) {
        (false, _) => "",
        (true, Target::Hangar(_)) => "${HANGAR_SSH_LOG:+-E \"$HANGAR_SSH_LOG/hangar-ssh-$$.log\"} ",
        (true, _) => "${HANGAR_SSH_LOG:+-vvv -E \"$HANGAR_SSH_LOG/ssh-$$.log\"} ",
    }
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// `script` in a private mount namespace (unshare(1)) in which the run's
/// home is bind-mounted over /root; without root, in a user namespace
/// that maps the user to root as well.
fn in_private_home(dir: &Path, script: &str) -> Result<Command, PeerError> {
    let unshare = require("unshare", "util-linux")?;
    let home = dir.join("home");
    let script = format!(
        "mount --bind {} /root && cd /root && {script}",
        shell_quote(&home.to_string_lossy())
    );
    let mut command = Command::new(unshare);
    if !is_root() {
        command.args(["--user", "--map-root-user"]);
    }
    command.args(["--mount", "--propagation", "private", "sh", "-c", &script]);
    Ok(command)
}
