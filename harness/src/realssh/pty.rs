//! A session with a pty (the rules of the simulated sshd, `sim/host/sshd_pty.rs`):
//!
//! - the child leads a new session with the pty's slave as its controlling
//!   terminal (session.c do_exec_pty: setsid(2), then TIOCSCTTY), set up
//!   with the modes and size of the `pty-req` (RFC 4254 6.2);
//! - `window-change` (RFC 4254 6.7) sets the size with TIOCSWINSZ, and the
//!   kernel sends SIGWINCH to the foreground process group;
//! - when the child exits, what the master holds now is sent without
//!   waiting for more, or lost at `close-on-exit`, in the order of
//!   [`crate::ssh::teardown::end_on_pty`];
//! - then the master is closed: the pty hangs up (pty(7)). When the
//!   connection ends first, the session task is dropped with the master
//!   in it, which hangs the pty up while the shell still runs: the kernel
//!   sends SIGHUP to the session leader.

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

use hangar_scenario::Policy;
use nix::errno::Errno;
use nix::fcntl::{FcntlArg, FdFlag, OFlag, fcntl};
use nix::sys::termios::{SetArg, tcgetattr, tcsetattr};
use russh::Pty;
use tokio::io::unix::AsyncFd;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use super::output::Output;
use super::session::{READ_BLOCK, reap};
use super::{child, modes, tty};
use crate::ssh::teardown::{Order, end_on_pty};

/// What a `pty-req` asked for.
#[derive(Clone, Debug)]
pub struct PtyRequest {
    pub term: String,
    pub cols: u16,
    pub rows: u16,
    pub modes: Vec<(Pty, u32)>,
}

/// sshd's end of the pty; dropping the last reference closes it.
pub struct Master {
    fd: AsyncFd<OwnedFd>,
}

impl Master {
    /// TIOCSWINSZ on the master (`window-change`).
    pub fn resize(&self, cols: u16, rows: u16) {
        let _ = tty::set_window_size(self.fd.get_ref(), cols, rows);
    }

    /// One read; 0 once the pty has hung up (Linux returns EIO on the
    /// master when no slave is open any more).
    async fn read(&self, block: &mut [u8]) -> usize {
        loop {
            let Ok(mut ready) = self.fd.readable().await else {
                return 0;
            };
            match ready.try_io(|fd| read_master(fd.get_ref(), block)) {
                Ok(Ok(n)) => return n,
                Ok(Err(_)) => return 0,
                Err(_would_block) => continue,
            }
        }
    }

    /// What the master holds now, without waiting for more.
    fn read_now(&self) -> Vec<u8> {
        let mut pending = Vec::new();
        let mut block = vec![0; READ_BLOCK];
        while let Ok(n) = read_master(self.fd.get_ref(), &mut block) {
            if n == 0 {
                break;
            }
            pending.extend_from_slice(&block[..n]);
        }
        pending
    }

    async fn write_all(&self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let mut ready = self.fd.writable().await?;
            match ready.try_io(|fd| nix::unistd::write(fd.get_ref(), data).map_err(io::Error::from))
            {
                Ok(Ok(n)) => data = &data[n..],
                Ok(Err(e)) => return Err(e),
                Err(_would_block) => continue,
            }
        }
        Ok(())
    }
}

fn read_master(fd: impl AsFd, block: &mut [u8]) -> io::Result<usize> {
    match nix::unistd::read(fd, block) {
        Err(Errno::EIO) => Ok(0),
        other => other.map_err(io::Error::from),
    }
}

/// Opens a pty set up as `request` asks: its master and its slave.
pub fn open(request: &PtyRequest) -> io::Result<(Master, OwnedFd)> {
    let size = nix::pty::Winsize {
        ws_row: request.rows,
        ws_col: request.cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pair = nix::pty::openpty(&size, None).map_err(io::Error::from)?;
    // openpty(3) leaves both ends inheritable: a child holding the master
    // would keep the pty from ever hanging up.
    for end in [&pair.master, &pair.slave] {
        fcntl(end, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).map_err(io::Error::from)?;
    }
    let mut termios = tcgetattr(&pair.slave).map_err(io::Error::from)?;
    modes::apply(&mut termios, &request.modes);
    tcsetattr(&pair.slave, SetArg::TCSANOW, &termios).map_err(io::Error::from)?;
    fcntl(&pair.master, FcntlArg::F_SETFL(OFlag::O_NONBLOCK)).map_err(io::Error::from)?;
    // SAFETY: the OwnedFd is moved into the AsyncFd, so it stays open and
    // the same descriptor for the AsyncFd's whole life.
    let fd = unsafe { AsyncFd::register(pair.master) }.map_err(io::Error::from)?;
    let master = Master { fd };
    Ok((master, pair.slave))
}

/// Starts `command` on the pty's slave as the leader of a new session
/// whose controlling terminal it is. The parent's copy of the slave is
/// closed on return, so the master hangs up once the session's processes
/// have closed theirs.
pub fn spawn_on_pty(command: &mut Command, slave: OwnedFd) -> io::Result<Child> {
    command
        .stdin(slave.try_clone()?)
        .stdout(slave.try_clone()?)
        .stderr(slave);
    child::prepare(command, true);
    let child = command.spawn();
    // Drop the Command's copies of the slave.
    command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    child
}

/// The session from the child's start to CLOSE; channel data arrives on
/// `input` and is typed into the pty.
pub async fn run(
    out: Output,
    policy: Policy,
    mut child: Child,
    master: Arc<Master>,
    mut input: mpsc::Receiver<Vec<u8>>,
) {
    let forward = async {
        let mut block = vec![0; READ_BLOCK];
        loop {
            let n = master.read(&mut block).await;
            if n == 0 || !out.data(None, &block[..n]).await {
                // Hung up: wait for the child as the other branch does.
                std::future::pending::<()>().await;
            }
        }
    };
    let typing = async {
        while let Some(keys) = input.recv().await {
            if master.write_all(&keys).await.is_err() {
                break;
            }
        }
        std::future::pending::<()>().await;
    };
    let ending = tokio::select! {
        ending = reap(&out, &mut child) => ending,
        _ = forward => unreachable!("the forwarder never ends"),
        _ = typing => unreachable!("typing never ends"),
    };
    let pending = master.read_now();
    end_on_pty(&out, Order::of_policy(policy), ending, pending).await;
    drop(master);
}
