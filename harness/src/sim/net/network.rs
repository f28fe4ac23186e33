//! Fault state of the simulated network, shared by every stream of a run.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::sync::{Arc, Mutex};
use std::task::Waker;
use std::time::Duration;

use hangar_scenario::{Host, NetFault};

use super::stream::SimStream;
use crate::trace::{TcpEvent, Trace};

/// sshd's port on the server host.
pub const SSH_PORT: u16 = 22;

/// Linux's connect budget with the default `tcp_syn_retries` = 6: 1 + 2 +
/// ... + 64 s of SYN retransmissions, then ETIMEDOUT (tcp(7)).
const SYN_BUDGET: Duration = Duration::from_secs(127);

/// Connections a listening socket holds before it accepts them. OpenSSH
/// listens with a backlog of SSH_LISTEN_BACKLOG = 128 (ssh.h); turmoil's
/// listener holds 64 pending connections (its `tcp_capacity` default) and
/// panics past that, so the model's queue is 64 long. A SYN that finds the
/// queue full is dropped, as Linux drops it (tcp_conn_request, counted as
/// ListenOverflows), and the client sends it again after its
/// retransmission timeout.
const ACCEPT_QUEUE: usize = 64;

/// The first SYN retransmission timeout, doubled after each (RFC 6298 2.1
/// and 5.5: 1 s, Linux's TCP_TIMEOUT_INIT).
const SYN_RTO: Duration = Duration::from_secs(1);

/// Why a direction does not deliver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    /// Segments are lost and retransmitted; the retransmission budget runs.
    Partition,
    /// Segments wait in a queue and go out on release; no budget runs.
    Hold,
}

pub(super) struct NetState {
    pub blocked: BTreeMap<(Host, Host), Block>,
    pub extra_latency: Duration,
    pub retransmission_timeout: Duration,
    /// Bytes per second a direction carries; `None` = unlimited.
    pub bandwidth: Option<u64>,
    /// A crashed host neither sends nor answers.
    pub down: BTreeMap<Host, bool>,
    /// Boot count: a stream opened in an earlier epoch of its peer is reset.
    pub epoch: BTreeMap<Host, u32>,
    /// Streams waiting for a direction to open again.
    pub waiting: Vec<Waker>,
    /// Connections (by the client's port) whose socket on the given host
    /// is gone without a FIN reaching the peer: the peer's next segment
    /// is answered with RST.
    pub forgotten: BTreeSet<(u16, Host)>,
    /// Bytes each stream (client port, sending host) has not put on the
    /// wire yet, for the wait graph.
    pub unsent: BTreeMap<(u16, Host), usize>,
    /// Connections in each listener's accept queue (host, port): SYNs sent
    /// and not yet accepted.
    pub accept_queue: BTreeMap<(Host, u16), usize>,
}

/// Handle to the network of one run; clones share it.
#[derive(Clone)]
pub struct Network {
    pub(super) state: Arc<Mutex<NetState>>,
    pub(super) trace: Trace,
}

pub fn host_name(host: Host) -> &'static str {
    match host {
        Host::Client => "client",
        Host::Server => "server",
    }
}

impl Network {
    pub fn new(trace: Trace, retransmission_timeout: Duration, bandwidth: Option<u64>) -> Network {
        Network {
            state: Arc::new(Mutex::new(NetState {
                blocked: BTreeMap::new(),
                extra_latency: Duration::ZERO,
                retransmission_timeout,
                bandwidth,
                down: BTreeMap::new(),
                epoch: BTreeMap::new(),
                waiting: Vec::new(),
                forgotten: BTreeSet::new(),
                unsent: BTreeMap::new(),
                accept_queue: BTreeMap::new(),
            })),
            trace,
        }
    }

    pub fn is_down(&self, host: Host) -> bool {
        self.state
            .lock()
            .unwrap()
            .down
            .get(&host)
            .copied()
            .unwrap_or(false)
    }

    pub fn epoch(&self, host: Host) -> u32 {
        self.state
            .lock()
            .unwrap()
            .epoch
            .get(&host)
            .copied()
            .unwrap_or(0)
    }

    pub fn blocked(&self, from: Host, to: Host) -> Option<Block> {
        self.state.lock().unwrap().blocked.get(&(from, to)).copied()
    }

    /// What the network still holds back when a run stops, in words.
    pub fn waiting(&self) -> Vec<String> {
        let st = self.state.lock().unwrap();
        st.unsent
            .iter()
            .filter(|(_, bytes)| **bytes > 0)
            .map(|((_, from), bytes)| {
                let to = match from {
                    Host::Client => Host::Server,
                    Host::Server => Host::Client,
                };
                let why = match st.blocked.get(&(*from, to)) {
                    Some(Block::Partition) => {
                        "behind the partition, retransmitted until it heals or the budget runs out"
                    }
                    Some(Block::Hold) => "held until release",
                    None if st.down.get(&to).copied().unwrap_or(false) => "towards a crashed host",
                    None => "in the send queue",
                };
                format!(
                    "{bytes} bytes from {} to {} wait {why}",
                    host_name(*from),
                    host_name(to)
                )
            })
            .collect()
    }

    /// Whether segments from `from` reach `to` now.
    pub fn open(&self, from: Host, to: Host) -> bool {
        !self.is_down(to) && !self.is_down(from) && self.blocked(from, to).is_none()
    }

    /// Registers the task of `cx` to be woken at the next fault step.
    pub(super) fn wake_on_change(&self, cx: &std::task::Context<'_>) {
        self.state.lock().unwrap().waiting.push(cx.waker().clone());
    }

    /// Resolves once segments from `from` reach `to` again.
    pub async fn until_open(&self, from: Host, to: Host) {
        std::future::poll_fn(|cx| {
            if self.open(from, to) {
                return std::task::Poll::Ready(());
            }
            self.wake_on_change(cx);
            std::task::Poll::Pending
        })
        .await
    }

    /// Applies a fault step. Crash and restart of the hosts' software are the
    /// runner's job; this records what the network sees of them.
    pub fn apply(&self, fault: &NetFault) {
        let mut st = self.state.lock().unwrap();
        let both = [(Host::Client, Host::Server), (Host::Server, Host::Client)];
        match fault {
            NetFault::Partition => {
                for d in both {
                    st.blocked.insert(d, Block::Partition);
                }
            }
            NetFault::PartitionOneWay { from, to } => {
                st.blocked.insert((*from, *to), Block::Partition);
            }
            NetFault::Heal => {
                st.blocked.retain(|_, b| *b != Block::Partition);
            }
            NetFault::Hold => {
                for d in both {
                    st.blocked.entry(d).or_insert(Block::Hold);
                }
            }
            NetFault::Release => {
                st.blocked.retain(|_, b| *b != Block::Hold);
            }
            NetFault::Latency(extra) => {
                st.extra_latency = *extra;
            }
            NetFault::Crash(host) => {
                st.down.insert(*host, true);
            }
            NetFault::Restart(host) => {
                st.down.insert(*host, false);
                *st.epoch.entry(*host).or_default() += 1;
            }
        }
        for waker in st.waiting.drain(..) {
            waker.wake();
        }
        drop(st);
        self.trace.log(
            "net",
            TcpEvent::Fault {
                fault: fault.clone(),
            },
        );
    }

    /// connect(2) from `local` to `port` on `peer` (sshd listens on 22). While the way is blocked
    /// or the peer is down, SYNs go unanswered until `timeout` (ssh's
    /// ConnectTimeout) or the kernel's SYN budget.
    pub async fn connect(
        &self,
        local: Host,
        peer: Host,
        port: u16,
        timeout: Option<Duration>,
    ) -> io::Result<SimStream> {
        let deadline = crate::sim::unix::saturating::deadline(
            tokio::time::Instant::now(),
            timeout.unwrap_or(SYN_BUDGET),
        );
        let mut rto = SYN_RTO;
        let queued = loop {
            let open = !self.is_down(peer)
                && self.blocked(local, peer).is_none()
                && self.blocked(peer, local).is_none();
            let queued = if open { self.enqueue(peer, port) } else { None };
            if queued.is_some() {
                break queued;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "Connection timed out",
                ));
            }
            if open {
                self.trace.log(
                    "net",
                    TcpEvent::AcceptQueueFull {
                        host: peer,
                        port,
                        from: local,
                        queue: ACCEPT_QUEUE,
                        retry_s: rto.as_secs(),
                    },
                );
                crate::sim::clock::sleep(rto).await;
                rto = rto.saturating_mul(2);
            } else {
                crate::sim::clock::sleep(Duration::from_millis(100)).await;
            }
        };
        crate::sim::clock::note_activity();
        let inner = turmoil::net::TcpStream::connect((host_name(peer), port)).await?;
        // Accepted: it left the queue.
        drop(queued);
        Ok(SimStream::new(self.clone(), inner, local, peer, true))
    }

    /// A place in the accept queue of `port` on `peer`, if there is room;
    /// dropping it (accepted, refused or given up) frees the place.
    fn enqueue(&self, peer: Host, port: u16) -> Option<Queued> {
        let mut st = self.state.lock().unwrap();
        let waiting = st.accept_queue.entry((peer, port)).or_default();
        if *waiting >= ACCEPT_QUEUE {
            return None;
        }
        *waiting += 1;
        Some(Queued {
            net: self.clone(),
            at: (peer, port),
        })
    }
}

/// A connection in a listener's accept queue (see [`ACCEPT_QUEUE`]).
struct Queued {
    net: Network,
    at: (Host, u16),
}

impl Drop for Queued {
    fn drop(&mut self) {
        let mut st = self.net.state.lock().unwrap();
        if let Some(waiting) = st.accept_queue.get_mut(&self.at) {
            *waiting = waiting.saturating_sub(1);
        }
    }
}
