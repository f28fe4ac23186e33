//! A real SSH server for one run: fresh keys, a private configuration and
//! an ephemeral port on 127.0.0.1, all in a temporary directory that is
//! removed with it. The server runs in a process group of its own, which
//! is killed when the peer is dropped.
//!
//! - `openssh`: Debian's `/usr/sbin/sshd -D -e -f <config>`, with
//!   `StrictModes no` and the test user key as the only authorized key. As
//!   root it runs in a private mount namespace like Dropbear's below, so
//!   that the sessions' home (and working directory) is the run's own.
//! - `dropbear`: `dropbear -F -E -e -p 127.0.0.1:PORT -r <key>`. It reads
//!   only `~/.ssh/authorized_keys` of the user's passwd home, so it runs in
//!   a private mount namespace (unshare(1)) where a temporary home is
//!   bind-mounted over `/root`, and the client logs in as root: the real
//!   `~/.ssh` is never touched. Without root the namespace is also a user
//!   namespace that maps the user to root, so the same works unprivileged.
//!
//! The client side is OpenSSH's `ssh` for both: a wrapper named `ssh`
//! first in PATH adds `-F <config>`, in which the host `server` points at
//! the run's port, so a scenario's `ssh server '...'` runs literally.

use std::fmt;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hangar_scenario::{ClientOptions, ServerOptions, Target};

use super::processes::{MARKER, kill_group};

/// How long a server may take to accept connections.
const READY_WITHIN: Duration = Duration::from_secs(10);

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
    /// the server runs with the run's own home (see [`Peer::home`]).
    private_home: bool,
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
        .ok_or_else(|| {
            PeerError(format!(
                "`{program}` is not installed; it comes with the Debian package `{package}`: \
                 `apt-get install -y {package}` (or run ci/install-peers)"
            ))
        })
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

/// A fresh private directory for one run.
fn temp_dir(run_id: &str) -> Result<PathBuf, PeerError> {
    let dir = std::env::temp_dir().join(format!("hangar-{run_id}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("home/.ssh"))
        .map_err(|e| PeerError(format!("{}: {e}", dir.display())))?;
    Ok(dir)
}

impl Peer {
    /// Starts the server of `target` (`openssh` or `dropbear`).
    pub fn start(target: Target, run_id: &str, server: &ServerOptions) -> Result<Peer, PeerError> {
        let ssh_keygen = require("ssh-keygen", "openssh-client")?;
        require("ssh", "openssh-client")?;
        let dir = temp_dir(run_id)?;
        let user_key = dir.join("user_key");
        run_quietly(
            Command::new(&ssh_keygen)
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(&user_key),
            "ssh-keygen (user key)",
        )?;
        let public = std::fs::read_to_string(dir.join("user_key.pub"))
            .map_err(|e| PeerError(format!("user key: {e}")))?;
        let authorized = dir.join("home/.ssh/authorized_keys");
        write(&authorized, &public)?;
        let _ = std::fs::set_permissions(&authorized, std::fs::Permissions::from_mode(0o600));
        let port = free_port()?;
        let mut command = match target {
            Target::OpenSsh => openssh(&dir, port, run_id, server, &ssh_keygen)?,
            Target::Dropbear => dropbear(&dir, port, run_id, server)?,
            other => {
                return Err(PeerError(format!(
                    "the real lane has the targets `openssh` and `dropbear`; `{other}` runs in the sim lane only"
                )));
            }
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.join("server.log"))
                    .map_err(|e| PeerError(format!("server log: {e}")))?,
            ))
            .process_group(0)
            .spawn()
            .map_err(|e| PeerError(format!("starting the server: {e}")))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        // In a private mount namespace the run's home is over /root, and
        // the client logs in as root (mapped to the user without root).
        let private_home = target == Target::Dropbear || is_root();
        let login = if private_home {
            "root".to_string()
        } else {
            user_name()
        };
        let mut peer = Peer {
            login,
            private_home,
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
                    "the server exited ({status}) before accepting connections: {}",
                    log.trim()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(PeerError(format!(
            "the server did not accept connections on {} within {}s",
            self.addr,
            READY_WITHIN.as_secs()
        )))
    }

    /// The sessions' home directory, when the server runs with the run's
    /// own (always for Dropbear, for OpenSSH when running as root).
    pub fn home(&self) -> Option<PathBuf> {
        self.private_home.then(|| self.dir.join("home"))
    }

    /// Writes the client side: an ssh config in which `server` is reached
    /// at `via` (the proxy), and the `ssh` wrapper that uses it.
    pub fn write_client(&self, via: SocketAddr, client: &ClientOptions) -> Result<(), PeerError> {
        let mut config = format!(
            "Host server\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  IdentityFile {}\n  \
             IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  \
             LogLevel ERROR\n  BatchMode yes\n",
            via.port(),
            self.login,
            self.dir.join("user_key").display(),
        );
        if let Some(interval) = client.server_alive_interval {
            config.push_str(&format!(
                "  ServerAliveInterval {}\n  ServerAliveCountMax {}\n",
                interval.as_secs().max(1),
                client.server_alive_count_max
            ));
        }
        if let Some(timeout) = client.connect_timeout {
            config.push_str(&format!("  ConnectTimeout {}\n", timeout.as_secs().max(1)));
        }
        let config_path = self.dir.join("ssh_config");
        write(&config_path, &config)?;
        std::fs::create_dir_all(&self.bin).map_err(|e| PeerError(format!("bin: {e}")))?;
        for program in ["ssh", "scp"] {
            let wrapper = self.bin.join(program);
            // ssh, given a log directory (`run` steps, never a terminal):
            // -vvv into one log per process (`$$` is kept by exec), which
            // the real lane's observer reads (`observe/ssh_log.rs`).
            let log = if program == "ssh" {
                "${HANGAR_SSH_LOG:+-vvv -E \"$HANGAR_SSH_LOG/ssh-$$.log\"} "
            } else {
                ""
            };
            write(
                &wrapper,
                &format!(
                    "#!/bin/sh\nexec /usr/bin/{program} -F {} {log}\"$@\"\n",
                    config_path.display()
                ),
            )?;
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

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn openssh(
    dir: &Path,
    port: u16,
    run_id: &str,
    server: &ServerOptions,
    ssh_keygen: &Path,
) -> Result<Command, PeerError> {
    let sshd = require("/usr/sbin/sshd", "openssh-server")?;
    run_quietly(
        Command::new(ssh_keygen)
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(dir.join("host_key")),
        "ssh-keygen (host key)",
    )?;
    if is_root() {
        // sshd's privilege separation directory.
        let _ = std::fs::create_dir_all("/run/sshd");
    }
    let mut config = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\n\
         StrictModes no\nUsePAM no\nPidFile none\nPermitRootLogin prohibit-password\n\
         PasswordAuthentication no\nKbdInteractiveAuthentication no\nPrintMotd no\n\
         SetEnv {MARKER}={run_id}\n",
        dir.join("host_key").display(),
        dir.join("home/.ssh/authorized_keys").display(),
    );
    if let Some(interval) = server.client_alive_interval {
        config.push_str(&format!(
            "ClientAliveInterval {}\nClientAliveCountMax {}\n",
            interval.as_secs().max(1),
            server.client_alive_count_max
        ));
    }
    write(&dir.join("sshd_config"), &config)?;
    let sshd_args = format!(
        "{} -D -e -f {}",
        sshd.display(),
        dir.join("sshd_config").display()
    );
    if is_root() {
        return in_private_home(dir, &sshd_args);
    }
    let mut command = Command::new(sshd);
    command
        .args(["-D", "-e", "-f"])
        .arg(dir.join("sshd_config"));
    Ok(command)
}

/// `program` in a private mount namespace (unshare(1)) in which the run's
/// home is bind-mounted over /root; without root, in a user namespace
/// that maps the user to root as well.
fn in_private_home(dir: &Path, program: &str) -> Result<Command, PeerError> {
    let unshare = require("unshare", "util-linux")?;
    let script = format!(
        "mount --bind {} /root && cd /root && exec {program}",
        dir.join("home").display()
    );
    let mut command = Command::new(unshare);
    if !is_root() {
        command.args(["--user", "--map-root-user"]);
    }
    command.args(["--mount", "--propagation", "private", "sh", "-c", &script]);
    Ok(command)
}

fn dropbear(
    dir: &Path,
    port: u16,
    run_id: &str,
    server: &ServerOptions,
) -> Result<Command, PeerError> {
    let dropbear = require("dropbear", "dropbear-bin")?;
    let dropbearkey = require("dropbearkey", "dropbear-bin")?;
    let key = dir.join("dropbear_key");
    run_quietly(
        Command::new(dropbearkey)
            .args(["-t", "ed25519", "-f"])
            .arg(&key),
        "dropbearkey",
    )?;
    let mut dropbear_args = format!(
        "{} -F -E -e -s -p 127.0.0.1:{port} -r {}",
        dropbear.display(),
        key.display()
    );
    if let Some(keepalive) = server.dropbear_keepalive {
        dropbear_args.push_str(&format!(" -K {}", keepalive.as_secs().max(1)));
    }
    let mut command = in_private_home(dir, &dropbear_args)?;
    // dropbear -e passes its environment on to the sessions.
    command.env(MARKER, run_id);
    Ok(command)
}
