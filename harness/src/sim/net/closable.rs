//! A socket its owner may close(2) while the SSH library still reads and
//! writes it: a server that ends a connection on a timeout of its own
//! closes the socket without an SSH message (a FIN, as close(2) sends),
//! and the library then reads end-of-file and ends the session.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The socket, until its [`Closer`] closes it.
pub struct Closable<S> {
    stream: Option<S>,
    shared: Arc<Mutex<Shared>>,
}

#[derive(Default)]
struct Shared {
    closed: bool,
    /// The reader waiting on the socket, woken by the close.
    reader: Option<Waker>,
}

/// Closes its [`Closable`] from outside.
#[derive(Clone)]
pub struct Closer(Arc<Mutex<Shared>>);

impl Closer {
    pub fn close(&self) {
        let mut shared = self.0.lock().unwrap();
        shared.closed = true;
        if let Some(reader) = shared.reader.take() {
            reader.wake();
        }
    }
}

impl<S> Closable<S> {
    pub fn new(stream: S) -> (Closable<S>, Closer) {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let closer = Closer(shared.clone());
        let closable = Closable {
            stream: Some(stream),
            shared,
        };
        (closable, closer)
    }

    /// The socket, or `None` once closed (dropping it sends the FIN).
    fn open(&mut self, cx: Option<&mut Context<'_>>) -> Option<&mut S> {
        let mut shared = self.shared.lock().unwrap();
        if shared.closed {
            drop(shared);
            self.stream = None;
            return None;
        }
        if let Some(cx) = cx {
            shared.reader = Some(cx.waker().clone());
        }
        self.stream.as_mut()
    }
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the server closed the socket")
}

impl<S: AsyncRead + Unpin> AsyncRead for Closable<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.open(Some(cx)) {
            Some(stream) => Pin::new(stream).poll_read(cx, buf),
            // End of file: the library ends the session.
            None => Poll::Ready(Ok(())),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Closable<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.open(None) {
            Some(stream) => Pin::new(stream).poll_write(cx, buf),
            None => Poll::Ready(Err(closed())),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.open(None) {
            Some(stream) => Pin::new(stream).poll_flush(cx),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.open(None) {
            Some(stream) => Pin::new(stream).poll_shutdown(cx),
            None => Poll::Ready(Ok(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_closed_socket_reads_end_of_file_and_refuses_writes() {
        let (mine, mut theirs) = tokio::io::duplex(64);
        let (mut socket, closer) = Closable::new(mine);
        theirs.write_all(b"hi").await.unwrap();
        let mut buf = [0; 2];
        socket.read_exact(&mut buf).await.unwrap();
        let reading = tokio::spawn(async move {
            let n = socket.read(&mut [0; 8]).await.unwrap();
            (n, socket.write_all(b"x").await.is_err())
        });
        tokio::task::yield_now().await;
        closer.close();
        assert_eq!(reading.await.unwrap(), (0, true));
        // The other end sees the close.
        assert_eq!(theirs.read(&mut [0; 8]).await.unwrap(), 0);
    }
}
