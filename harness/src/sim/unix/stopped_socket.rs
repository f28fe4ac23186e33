//! A socket of a process that can be stopped. signal(7): SIGSTOP and
//! SIGTSTP stop the process until SIGCONT, and a stopped process runs no
//! code, so it neither reads its sockets nor answers on them: what arrives
//! waits in the socket's buffer, and the peer's keepalive requests go
//! unanswered (measured: OpenSSH's and Dropbear's ClientAlive and
//! hangar-sshd's keepalive all dropped an ssh stopped for 7 s, which
//! exited 255 at SIGCONT). The simulated ssh's SSH library runs in a task
//! of its own, so its socket is gated on the process instead.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::{Kernel, Pid};

/// The process a socket belongs to; it changes when a child carries the
/// connection on (`ssh -f`, the `~&` escape).
#[derive(Clone)]
pub struct SocketOwner(Arc<AtomicU32>);

impl SocketOwner {
    pub fn new(pid: Pid) -> SocketOwner {
        SocketOwner(Arc::new(AtomicU32::new(pid)))
    }

    pub fn hand_over(&self, pid: Pid) {
        self.0.store(pid, Ordering::Relaxed);
    }

    fn pid(&self) -> Pid {
        self.0.load(Ordering::Relaxed)
    }
}

type Continued = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The socket, idle while its owner is stopped.
pub struct StoppedSocket<S> {
    stream: S,
    kernel: Kernel,
    owner: SocketOwner,
    /// The wait for SIGCONT, while the owner is stopped.
    continued: Option<Continued>,
}

impl<S> StoppedSocket<S> {
    pub fn new(stream: S, kernel: Kernel, owner: SocketOwner) -> StoppedSocket<S> {
        StoppedSocket {
            stream,
            kernel,
            owner,
            continued: None,
        }
    }

    /// Ready when the owner runs; pending, woken at SIGCONT, while it is
    /// stopped.
    fn poll_running(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let pid = self.owner.pid();
            if self.kernel.stop_signal(pid).is_none() {
                self.continued = None;
                return Poll::Ready(());
            }
            let kernel = self.kernel.clone();
            let continued = self.continued.get_or_insert_with(|| {
                Box::pin(async move { kernel.until_not_stopped(pid).await })
            });
            match continued.as_mut().poll(cx) {
                Poll::Ready(()) => self.continued = None,
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for StoppedSocket<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.poll_running(cx).is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for StoppedSocket<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.poll_running(cx).is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.poll_running(cx).is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.poll_running(cx).is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
