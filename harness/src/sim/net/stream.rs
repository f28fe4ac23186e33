//! A TCP stream as one side's kernel handles it under faults.
//!
//! Writes go into a send queue (the socket's send buffer); a segment leaves
//! the queue when its latency has passed and the way to the peer is open.
//! While a partition blocks the way, the oldest unacknowledged byte ages;
//! past the retransmission budget the connection fails with ETIMEDOUT, as
//! Linux does after `tcp_retries2` retransmissions (tcp(7)). A peer that
//! restarted since the connection was made answers the next segment with
//! RST (RFC 793 3.4 "Reset Generation": a segment for a connection that
//! does not exist). A stream on a crashed host freezes and, when dropped,
//! sends nothing.

use std::collections::VecDeque;

use bytes::{Buf, Bytes};
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use hangar_scenario::Host;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use super::network::{Block, Network, host_name};
use crate::sim::unix::saturating;
use crate::trace::{Dir, Segment, TcpEvent};

pub struct SimStream {
    net: Network,
    /// `None` once dropped without a FIN (crash).
    inner: Option<turmoil::net::TcpStream>,
    local: Host,
    peer: Host,
    /// The peer's boot count when the connection was made.
    peer_epoch: u32,
    /// This host's boot count when the connection was made.
    local_epoch: u32,
    /// Bytes written but not yet handed to the wire, with when they may go.
    /// `Bytes`, so that a partial send drops its prefix without copying.
    queue: VecDeque<(Instant, Bytes)>,
    /// Since when the oldest queued byte has been blocked by a partition.
    unacked_since: Option<Instant>,
    failed: Option<io::ErrorKind>,
    timer: Option<Pin<Box<Sleep>>>,
    /// The timer's deadline in the run's books.
    alarm: crate::sim::clock::Alarm,
    /// Set once the application shut down its write side (FIN queued).
    shutdown_pending: bool,
    /// Set once this side's FIN left: close(2) after shutdown(2) sends
    /// no second one.
    fin_sent: bool,
    /// When the last queued segment finishes leaving (bandwidth pacing).
    wire_free_at: Instant,
    /// The connection's name in the network's books: the client's port.
    client_port: u16,
    /// Whether this side made the connection (connect(2)) rather than
    /// accepted it: its segments go client -> server. Both ends of a
    /// connection within one host (a server's ssh to its own sshd) are on
    /// one host, so the host cannot tell.
    dialed: bool,
    /// The dialing side's port, which names the connection in the trace.
    dialer_port: u16,
}

impl SimStream {
    pub(super) fn new(
        net: Network,
        inner: turmoil::net::TcpStream,
        local: Host,
        peer: Host,
        dialed: bool,
    ) -> SimStream {
        let dialer_addr = if dialed {
            inner.local_addr()
        } else {
            inner.peer_addr()
        };
        let dialer_port = dialer_addr.map(|a| a.port()).unwrap_or(0);
        let peer_epoch = net.epoch(peer);
        let local_epoch = net.epoch(local);
        let client_addr = match local {
            Host::Client => inner.local_addr(),
            Host::Server => inner.peer_addr(),
        };
        let client_port = client_addr.map(|a| a.port()).unwrap_or(0);
        SimStream {
            wire_free_at: Instant::now(),
            client_port,
            local_epoch,
            net,
            inner: Some(inner),
            local,
            peer,
            peer_epoch,
            queue: VecDeque::new(),
            unacked_since: None,
            failed: None,
            timer: None,
            alarm: crate::sim::clock::Alarm::default(),
            shutdown_pending: false,
            fin_sent: false,
            dialed,
            dialer_port,
        }
    }

    /// Wraps the accepted side of a connection on `local` from `peer`.
    pub fn accepted(
        net: Network,
        inner: turmoil::net::TcpStream,
        local: Host,
        peer: Host,
    ) -> SimStream {
        SimStream::new(net, inner, local, peer, false)
    }

    /// The direction of this side's segments.
    fn outbound(&self) -> Dir {
        if self.dialed {
            Dir::ClientToServer
        } else {
            Dir::ServerToClient
        }
    }

    /// Logs a segment that leaves this side (`Fin`) or that the peer
    /// answers with (`Rst`, the other way).
    fn log_segment(&self, segment: Segment) {
        let dir = match (segment, self.outbound()) {
            (Segment::Fin, out) => out,
            (Segment::Rst, Dir::ClientToServer) => Dir::ServerToClient,
            (Segment::Rst, Dir::ServerToClient) => Dir::ClientToServer,
        };
        self.net.trace.log(
            "net",
            TcpEvent::Segment {
                port: self.dialer_port,
                dir,
                segment,
            },
        );
    }

    fn fail(&mut self, kind: io::ErrorKind, why: &str) -> io::Error {
        if self.failed.is_none() {
            self.net.trace.log(
                "net",
                TcpEvent::SideFails {
                    side: self.local,
                    why: why.to_string(),
                },
            );
        }
        self.failed = Some(kind);
        self.queue.clear();
        io::Error::new(kind, why.to_string())
    }

    /// A stream of a crashed host, or of a host's earlier life, does nothing.
    fn frozen(&self) -> bool {
        self.net.is_down(self.local) || self.net.epoch(self.local) != self.local_epoch
    }

    /// Moves queued bytes onto the wire as far as the faults allow, and arms
    /// the timer for the next moment something can change.
    fn flush_queue(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if let Some(kind) = self.failed {
            return Err(io::Error::new(kind, "connection failed"));
        }
        let peer_restarted =
            self.net.epoch(self.peer) != self.peer_epoch && !self.net.is_down(self.peer);
        let now = Instant::now();
        let mut next_wake: Option<Instant> = None;
        while let Some((ready_at, _)) = self.queue.front() {
            if *ready_at > now {
                next_wake = Some(*ready_at);
                break;
            }
            let block = if self.net.is_down(self.peer) {
                Some(Block::Partition)
            } else {
                self.net.blocked(self.local, self.peer)
            };
            match block {
                Some(Block::Partition) => {
                    let since = *self.unacked_since.get_or_insert(now);
                    let deadline = since + self.net.state.lock().unwrap().retransmission_timeout;
                    if now >= deadline {
                        return Err(self.fail(
                            io::ErrorKind::TimedOut,
                            "unacknowledged data outlived the retransmission budget (ETIMEDOUT)",
                        ));
                    }
                    next_wake = Some(deadline);
                    self.net.wake_on_change(cx);
                    break;
                }
                Some(Block::Hold) => {
                    self.net.wake_on_change(cx);
                    break;
                }
                None => {}
            }
            let peer_forgot = self
                .net
                .state
                .lock()
                .unwrap()
                .forgotten
                .contains(&(self.client_port, self.peer));
            if peer_forgot {
                self.log_segment(Segment::Rst);
                return Err(self.fail(
                    io::ErrorKind::ConnectionReset,
                    &format!(
                        "{} answered RST: it had given up on the connection",
                        host_name(self.peer)
                    ),
                ));
            }
            if peer_restarted {
                self.log_segment(Segment::Rst);
                return Err(self.fail(
                    io::ErrorKind::ConnectionReset,
                    &format!(
                        "{} answered RST: it restarted and has no such connection",
                        host_name(self.peer)
                    ),
                ));
            }
            self.unacked_since = None;
            let Some(inner) = self.inner.as_mut() else {
                break;
            };
            let (_, bytes) = self.queue.front_mut().unwrap();
            // A segment leaves: it is in flight until the peer reads it.
            crate::sim::clock::note_activity();
            match Pin::new(&mut *inner).poll_write(cx, bytes) {
                Poll::Ready(Ok(n)) if n == bytes.len() => {
                    self.queue.pop_front();
                }
                Poll::Ready(Ok(n)) => {
                    bytes.advance(n);
                }
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => break,
            }
        }
        let unsent = self.queue.iter().map(|(_, b)| b.len()).sum();
        self.net
            .state
            .lock()
            .unwrap()
            .unsent
            .insert((self.client_port, self.local), unsent);
        if self.queue.is_empty() {
            self.unacked_since = None;
            if self.shutdown_pending
                && let Some(inner) = self.inner.as_mut()
                && let Poll::Ready(Ok(())) = Pin::new(inner).poll_shutdown(cx)
            {
                self.shutdown_pending = false;
                if !self.fin_sent {
                    self.fin_sent = true;
                    self.log_segment(Segment::Fin);
                }
            }
        }
        match next_wake {
            Some(at) => {
                self.alarm.set(at);
                let timer = self
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
                timer.as_mut().reset(at);
                if timer.as_mut().poll(cx).is_ready() {
                    cx.waker().wake_by_ref();
                }
            }
            None => {
                self.timer = None;
                self.alarm.clear();
            }
        }
        Ok(())
    }
}

impl AsyncRead for SimStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.frozen() {
            this.net.wake_on_change(cx);
            return Poll::Pending;
        }
        if let Err(e) = this.flush_queue(cx) {
            return Poll::Ready(Err(e));
        }
        let read = match this.inner.as_mut() {
            Some(inner) => Pin::new(inner).poll_read(cx, buf),
            None => Poll::Pending,
        };
        if read.is_ready() {
            crate::sim::clock::note_activity();
        }
        read
    }
}

impl AsyncWrite for SimStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.frozen() {
            this.net.wake_on_change(cx);
            return Poll::Pending;
        }
        if let Some(kind) = this.failed {
            return Poll::Ready(Err(io::Error::new(kind, "connection failed")));
        }
        let (latency, bandwidth) = {
            let st = this.net.state.lock().unwrap();
            (st.extra_latency, st.bandwidth)
        };
        // A segment leaves once the ones before it have (serialisation at
        // the link's bandwidth), then travels for the added latency.
        let mut ready_at = saturating::deadline(Instant::now(), latency);
        if let Some(rate) = bandwidth {
            // A rate of 0 never sends: the segment waits "forever".
            let on_wire = saturating::from_secs(buf.len() as f64 / rate as f64)
                .unwrap_or(saturating::FOREVER);
            this.wire_free_at =
                saturating::deadline(this.wire_free_at.max(Instant::now()), on_wire);
            ready_at = ready_at.max(this.wire_free_at);
        }
        crate::sim::clock::note_activity();
        this.queue
            .push_back((ready_at, Bytes::copy_from_slice(buf)));
        this.flush_queue(cx)?;
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.frozen() {
            return Poll::Pending;
        }
        this.flush_queue(cx)?;
        // Queued bytes are the kernel's business now, as after write(2).
        match this.inner.as_mut() {
            Some(inner) if this.queue.is_empty() => Pin::new(inner).poll_flush(cx),
            _ => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.frozen() {
            return Poll::Pending;
        }
        // shutdown(2) queues a FIN behind the data already queued.
        crate::sim::clock::note_activity();
        this.shutdown_pending = true;
        this.flush_queue(cx)?;
        Poll::Ready(Ok(()))
    }
}

impl Drop for SimStream {
    /// close(2) of the socket, as the kernel carries it out.
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        crate::sim::clock::note_activity();
        if self.frozen() {
            // Power loss: the kernel is gone and sends no FIN or RST. The
            // socket stays open in turmoil, silent, for the rest of the run.
            std::mem::forget(inner);
        } else if self.failed.is_some() {
            // The kernel gave up on the connection (ETIMEDOUT or RST): it
            // sends nothing more and answers the peer's next segment with RST.
            self.net
                .state
                .lock()
                .unwrap()
                .forgotten
                .insert((self.client_port, self.local));
            std::mem::forget(inner);
        } else if !self.net.open(self.local, self.peer) || !self.queue.is_empty() {
            // The FIN queues behind the unsent data and leaves when the way
            // opens (the socket lingers in the kernel after close).
            let net = self.net.clone();
            let (local, peer) = (self.local, self.peer);
            let queue = std::mem::take(&mut self.queue);
            let fin = (!self.fin_sent).then(|| TcpEvent::Segment {
                port: self.dialer_port,
                dir: self.outbound(),
                segment: Segment::Fin,
            });
            tokio::spawn(async move {
                let mut inner = inner;
                net.until_open(local, peer).await;
                for (_, bytes) in queue {
                    if tokio::io::AsyncWriteExt::write_all(&mut inner, &bytes)
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                if let Some(fin) = fin {
                    net.trace.log("net", fin);
                }
            });
        } else if !self.fin_sent {
            // The FIN leaves now, as `inner` is dropped.
            self.log_segment(Segment::Fin);
        }
    }
}
