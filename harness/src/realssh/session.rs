//! A session without a pty: the child on three pipes, and the end of the
//! session by the server's teardown policy, as [`crate::ssh::teardown`] orders
//! it (the simulated sshd follows the same order), over real pipes.
//!
//! When the connection ends nobody is signalled: the session task is
//! dropped with the pipes' ends in it, and the remote processes live on.

use std::future::Future;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use hangar_scenario::Policy;
use nix::libc;
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::{mpsc, watch};

use super::child;
use super::output::{Ending, Output, STDERR};
use crate::ssh::teardown::{ChannelEnd, Order, SessionEnd, tear_down};
use crate::trace::{PipeEvent, PipesClosed};

/// OpenSSH's read from a session pipe per loop iteration (channels.c:
/// CHAN_RBUF, 16 KiB).
pub const READ_BLOCK: usize = 16 * 1024;

/// The child of a session on pipes, started.
pub struct PipeChild {
    pub child: Child,
    pub stdin: ChildStdin,
}

/// Starts `command` on fresh pipes as the leader of a new session.
pub fn spawn_on_pipes(command: &mut Command) -> std::io::Result<PipeChild> {
    use std::process::Stdio;
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    child::prepare(command, false);
    let mut child = command.spawn()?;
    let stdin = child.stdin.take().expect("stdin was piped");
    Ok(PipeChild { child, stdin })
}

/// Writes channel data into the child's stdin; the pipe closes when the
/// channel's EOF drops the sender (or a write fails).
pub async fn feed_stdin(mut input: mpsc::Receiver<Vec<u8>>, mut stdin: ChildStdin) {
    while let Some(block) = input.recv().await {
        if stdin.write_all(&block).await.is_err() {
            break;
        }
    }
}

/// The session from the child's start to CLOSE.
pub async fn run(out: Output, policy: Policy, mut child: Child) {
    let stdout = child.stdout.take().expect("stdout was piped");
    let stderr = child.stderr.take().expect("stderr was piped");
    let (stop_tx, stop) = watch::channel(false);
    // The pumps run as tasks of their own so that the policy can wait on
    // the child and the pipes at once; they end with the session, closing
    // the pipes, when the connection ends.
    let mut out_pump = AbortOnDrop(tokio::spawn(pump(out.clone(), stdout, None, stop.clone())));
    let mut err_pump = AbortOnDrop(tokio::spawn(pump(out.clone(), stderr, Some(STDERR), stop)));
    let pumps = async {
        let _ = (&mut out_pump.0).await;
        let _ = (&mut err_pump.0).await;
    };
    let side = PipeSession {
        out,
        child: tokio::sync::Mutex::new(child),
        stop: stop_tx,
    };
    tear_down(&side, Order::of_policy(policy), pumps).await;
}

/// A session on pipes as the shared teardown drives it. The pumps own the
/// pipes: they close them when they stop.
struct PipeSession {
    out: Output,
    child: tokio::sync::Mutex<Child>,
    stop: watch::Sender<bool>,
}

impl ChannelEnd for PipeSession {
    type Status = Ending;

    async fn send_data(&self, block: Vec<u8>) {
        self.out.send_data(block).await
    }

    async fn send_status(&self, status: Ending) {
        self.out.ending(status).await
    }

    async fn send_eof(&self) {
        self.out.eof().await
    }

    async fn send_close(&self) {
        self.out.close().await
    }

    fn log(&self, event: PipeEvent) {
        self.out.log.say(event.to_string());
    }
}

impl SessionEnd for PipeSession {
    async fn reap(&self) -> Ending {
        reap(&self.out, &mut *self.child.lock().await).await
    }

    fn stop_pumps(&self) {
        let _ = self.stop.send(true);
    }

    fn close_pipes(&self, when: PipesClosed) {
        self.log(PipeEvent::Closed { when, lost: 0 });
    }

    async fn within<F: Future>(&self, limit: Duration, work: F) -> Option<F::Output> {
        tokio::time::timeout(limit, work).await.ok()
    }
}

/// A task that is aborted when its handle is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// waitpid(2) on the child (sshd's SIGCHLD handling).
pub async fn reap(out: &Output, child: &mut Child) -> Ending {
    if let Some(pid) = child.id() {
        exited(pid).await;
    }
    let ending = match child.wait().await {
        Ok(status) => Ending::of(status),
        Err(_) => Ending::Exited(255),
    };
    out.log.say(format!("reaps the child ({ending})"));
    ending
}

nix::ioctl_read_bad!(bytes_to_read, libc::FIONREAD, libc::c_int);

/// How many bytes wait in a pipe (FIONREAD, pipe(7)).
fn unread(pipe: &impl AsFd) -> usize {
    let mut count: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int into the variable we own.
    match unsafe { bytes_to_read(pipe.as_fd().as_raw_fd(), &mut count) } {
        Ok(_) => count.max(0) as usize,
        Err(_) => 0,
    }
}

/// Returns once the process `pid` has exited. pidfd_open(2) makes the
/// exit an event of the same poll as the pipes, so the session learns of
/// it between two reads, as sshd's select loop learns of SIGCHLD; a
/// signal-driven wait would let the pumps read on for a while first.
/// Without pidfds (Linux before 5.3) it returns at once and the caller's
/// wait does the waiting.
async fn exited(pid: u32) {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        return;
    }
    // SAFETY: the fd was just opened and nothing else owns it.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
    // SAFETY: the OwnedFd moves into the AsyncFd and stays open with it.
    if let Ok(fd) = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) } {
        let _ = fd.readable().await;
    }
}

/// Reads a pipe into the channel until EOF, or until told to stop between
/// reads (a block already read is always sent). Returning drops the pipe:
/// later writers get EPIPE.
async fn pump(
    out: Output,
    mut pipe: impl AsyncRead + AsFd + Unpin,
    stream: Option<u32>,
    mut stop: watch::Receiver<bool>,
) {
    let name = if stream.is_some() { "stderr" } else { "stdout" };
    let mut block = vec![0; READ_BLOCK];
    loop {
        let read = tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => {
                let lost = unread(&pipe);
                if lost > 0 {
                    out.log.say(format!("closes the child's {name} pipe: {lost} unread bytes lost"));
                }
                return;
            }
            read = pipe.read(&mut block) => read,
        };
        match read {
            Ok(0) | Err(_) => {
                out.log.say(format!("reads EOF on the child's {name} pipe"));
                return;
            }
            Ok(n) => {
                if !out.data(stream, &block[..n]).await {
                    return;
                }
                // One read per pipe per turn of the server's loop: other
                // work (such as acting on the child's exit) comes between.
                tokio::task::yield_now().await;
            }
        }
    }
}
