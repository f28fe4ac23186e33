//! A fault-injecting TCP proxy between a real client and a real server on
//! 127.0.0.1.
//!
//! The proxy gives the faults of the simulated network ([`crate::sim::net`]) the
//! same meaning on real sockets. It reads what each side sends into a
//! queue per direction and writes it to the other side when the way is
//! open: a partition holds the queue, bytes and FIN alike, and a heal
//! delivers it in order, as retransmission would after a pulled cable is
//! plugged back in. A shutdown(2) of one side's write half is passed on as
//! a shutdown of the proxy's write half toward the other side, and the
//! other direction goes on (half-close, RFC 9293 3.6). A read that fails
//! with ECONNRESET is passed on as an RST (RFC 9293 3.5.2).
//!
//! A crashed host ([`Proxy::crash`]) loses power: nothing it sent and the
//! proxy still holds, nor anything it sends later (its FIN or RST as its
//! processes die included), is passed on, and what the other side sends
//! is held as behind a partition. A restarted host ([`Proxy::restart`])
//! has no TCP state: the next data or FIN that reaches it on a connection
//! made before the crash, held bytes included (a real sender retransmits
//! them), is answered with RST (RFC 9293 3.5.2, a segment for a connection
//! that does not exist), which the proxy gives the sender as an abortive
//! close. Connections made after the restart work as usual.
//!
//! What it leaves out: the proxy's kernel acknowledges what the proxy
//! reads, so a sender behind a partition never runs out of its
//! retransmission budget (tcp(7) `tcp_retries2`) the way it does in the
//! sim; its send buffer fills only once the proxy holds [`HOLD_CHUNKS`]
//! chunks of one direction. A client's connect(2) succeeds at once, as the
//! proxy's kernel completes the handshake; only the connection onward to
//! the server waits for the way to open. For the same reason TCP's own
//! keepalive probes (tcp(7) `SO_KEEPALIVE`) are answered by the proxy's
//! kernel: only data and FIN find out that a host restarted.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::trace::{ProxyLine, SynWait};

/// The most one read takes from a socket: one chunk of a queue.
const CHUNK: usize = 16 * 1024;

/// Chunks one direction of a connection holds before the proxy stops
/// reading, so a long partition ends in the sender's full send buffer
/// rather than in unbounded memory.
pub const HOLD_CHUNKS: usize = 1024;

/// Linux's connect budget with the default `tcp_syn_retries` = 6: 1 + 2 +
/// ... + 64 s of SYN retransmissions, then ETIMEDOUT (tcp(7)).
const SYN_BUDGET: Duration = Duration::from_secs(127);

/// A pause after a failed accept(2) (EMFILE, ENFILE), so the loop does not
/// spin while the condition lasts.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Link time a paced write covers: bandwidth caps send small pieces so a
/// slow link delivers steadily rather than in bursts of whole chunks.
const PIECES_PER_SECOND: u64 = 50;

/// One end of every connection: the host it runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Client,
    Server,
}

impl Side {
    fn index(self) -> usize {
        match self {
            Side::Client => 0,
            Side::Server => 1,
        }
    }
}

impl From<Side> for hangar_scenario::Host {
    fn from(side: Side) -> Self {
        match side {
            Side::Client => hangar_scenario::Host::Client,
            Side::Server => hangar_scenario::Host::Server,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Client => "client",
            Side::Server => "server",
        })
    }
}

/// A direction of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dir {
    ClientToServer,
    ServerToClient,
}

impl From<Dir> for crate::trace::Dir {
    fn from(dir: Dir) -> Self {
        match dir {
            Dir::ClientToServer => crate::trace::Dir::ClientToServer,
            Dir::ServerToClient => crate::trace::Dir::ServerToClient,
        }
    }
}

impl Dir {
    fn index(self) -> usize {
        match self {
            Dir::ClientToServer => 0,
            Dir::ServerToClient => 1,
        }
    }

    /// The side that sends in this direction.
    pub fn sender(self) -> Side {
        match self {
            Dir::ClientToServer => Side::Client,
            Dir::ServerToClient => Side::Server,
        }
    }

    /// The side that receives in this direction.
    pub fn receiver(self) -> Side {
        match self {
            Dir::ClientToServer => Side::Server,
            Dir::ServerToClient => Side::Client,
        }
    }
}

impl fmt::Display for Dir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}", self.sender(), self.receiver())
    }
}

/// One line of the proxy's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyEvent {
    /// Time since the proxy started.
    pub at: Duration,
    pub what: ProxyLine,
}

/// The faults in force; every connection watches them.
#[derive(Clone, Copy, Debug, Default)]
struct Faults {
    /// Per [`Dir::index`]: whether that direction holds what it carries.
    blocked: [bool; 2],
    /// Per [`Side::index`]: whether that host is down (crashed, not yet
    /// restarted).
    down: [bool; 2],
    /// Per [`Side::index`]: crashes of that host so far. A connection made
    /// before the latest one is dead on that side, even after a restart.
    crashes: [u32; 2],
    latency: Duration,
    /// Bytes per second each direction of a connection carries.
    bandwidth: Option<u64>,
}

/// What a connection is told to do by [`Proxy::reset`] and [`Proxy::close`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    Run,
    Reset,
    Close,
}

/// The books of one connection, kept after it ends for [`Proxy::bytes`].
struct Conn {
    id: u64,
    order: watch::Sender<Order>,
    live: AtomicBool,
    /// Bytes written to the receiving side, per direction.
    forwarded: [AtomicU64; 2],
    /// Bytes read and not yet written, per direction.
    queued: [AtomicU64; 2],
    /// A FIN read and not yet passed on, per direction.
    fin_queued: [AtomicBool; 2],
    /// Whether the loss of a crashed sender's bytes is logged, per
    /// direction: once is enough.
    loss_logged: [AtomicBool; 2],
    /// Per [`Side::index`]: the host's crash count when its end of the
    /// connection was made; a later crash leaves that end dead.
    born: [AtomicU32; 2],
}

impl Conn {
    fn dead(&self, faults: &Faults, side: Side) -> bool {
        let i = side.index();
        faults.crashes[i] != self.born[i].load(Ordering::SeqCst)
    }
}

struct Shared {
    started: std::time::Instant,
    upstream: SocketAddr,
    faults: watch::Sender<Faults>,
    events: Mutex<Vec<ProxyEvent>>,
    conns: Mutex<BTreeMap<u64, Arc<Conn>>>,
}

impl Shared {
    fn log(&self, what: ProxyLine) {
        let mut events = self.events.lock().unwrap();
        let at = self.started.elapsed();
        events.push(ProxyEvent { at, what });
    }

    fn live(&self) -> Vec<Arc<Conn>> {
        let conns = self.conns.lock().unwrap();
        let live = conns.values().filter(|c| c.live.load(Ordering::SeqCst));
        live.cloned().collect()
    }

    fn register(&self) -> Arc<Conn> {
        let mut conns = self.conns.lock().unwrap();
        let id = conns.len() as u64 + 1;
        let conn = Arc::new(Conn {
            id,
            order: watch::Sender::new(Order::Run),
            live: AtomicBool::new(true),
            forwarded: Default::default(),
            queued: Default::default(),
            fin_queued: Default::default(),
            loss_logged: Default::default(),
            // The server's end is made later, at connect: see `serve`.
            born: self.faults.borrow().crashes.map(AtomicU32::new),
        });
        conns.insert(id, conn.clone());
        conn
    }

    /// Tells every live connection `order`; returns how many there were.
    fn order_all(&self, order: Order) -> usize {
        let live = self.live();
        for conn in &live {
            conn.order.send_replace(order);
        }
        live.len()
    }
}

/// A fault-injecting proxy listening on 127.0.0.1 in front of `upstream`.
/// Dropping it aborts every task it started, which closes every socket
/// they hold.
pub struct Proxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
    stopped: AtomicBool,
}

impl Proxy {
    /// Listens on 127.0.0.1 (an ephemeral port) and forwards each accepted
    /// connection to `upstream`, which must be a loopback address: the real
    /// lane never sends a byte off the machine.
    pub async fn start(upstream: SocketAddr) -> io::Result<Proxy> {
        if !upstream.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the fault proxy forwards to loopback only, not to {upstream}"),
            ));
        }
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        assert_eq!(
            addr.ip(),
            Ipv4Addr::LOCALHOST,
            "the proxy listens on 127.0.0.1 only"
        );
        let shared = Arc::new(Shared {
            started: std::time::Instant::now(),
            upstream,
            faults: watch::Sender::new(Faults::default()),
            events: Mutex::new(Vec::new()),
            conns: Mutex::new(BTreeMap::new()),
        });
        shared.log(ProxyLine::Listening {
            addr: addr.to_string(),
            upstream: upstream.to_string(),
        });
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(Proxy {
            addr,
            shared,
            accept,
            stopped: AtomicBool::new(false),
        })
    }

    /// Where clients connect.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The moment [`ProxyEvent::at`] counts from.
    pub fn started(&self) -> std::time::Instant {
        self.shared.started
    }

    /// The log so far, in order.
    pub fn events(&self) -> Vec<ProxyEvent> {
        self.shared.events.lock().unwrap().clone()
    }

    /// Bytes connection `conn` (numbered from 1 in accept order) has
    /// delivered in direction `dir`; 0 for a connection never seen.
    pub fn bytes(&self, conn: u64, dir: Dir) -> u64 {
        let conns = self.shared.conns.lock().unwrap();
        let count = conns.get(&conn).map(|c| &c.forwarded[dir.index()]);
        count.map_or(0, |n| n.load(Ordering::SeqCst))
    }

    /// Holds everything both ways, FINs included, with both sockets of
    /// every connection open: a pulled cable.
    pub fn partition(&self) {
        self.shared.faults.send_modify(|f| f.blocked = [true; 2]);
        self.shared.log(ProxyLine::Partition);
    }

    /// Holds everything in direction `dir` only.
    pub fn partition_one_way(&self, dir: Dir) {
        self.shared
            .faults
            .send_modify(|f| f.blocked[dir.index()] = true);
        self.shared
            .log(ProxyLine::PartitionOneWay { dir: dir.into() });
    }

    /// Opens both directions: what was held goes on in order, FINs last.
    pub fn heal(&self) {
        let was = *self.shared.faults.borrow();
        let (bytes, fins) = held(&self.shared.live(), &was);
        self.shared.faults.send_modify(|f| f.blocked = [false; 2]);
        self.shared.log(ProxyLine::Heal {
            bytes,
            fins: fins as u64,
        });
    }

    /// Adds `extra` one-way delay to every chunk read from now on.
    pub fn latency(&self, extra: Duration) {
        self.shared.faults.send_modify(|f| f.latency = extra);
        self.shared.log(ProxyLine::Latency {
            ms: extra.as_millis(),
        });
    }

    /// Caps each direction of each connection at `bytes_per_sec` (at
    /// least 1); `None` lifts the cap.
    pub fn bandwidth(&self, bytes_per_sec: Option<u64>) {
        let rate = bytes_per_sec.map(|r| r.max(1));
        self.shared.faults.send_modify(|f| f.bandwidth = rate);
        self.shared.log(ProxyLine::Bandwidth { bytes_per_s: rate });
    }

    /// `side`'s host loses power: from now on nothing it sends is passed
    /// on, what it sent and the proxy still holds is dropped, and nothing
    /// reaches it. Its sockets closing as its processes die send nothing
    /// either: the proxy drops their FIN or RST.
    pub fn crash(&self, side: Side) {
        let i = side.index();
        self.shared.faults.send_modify(|f| {
            f.down[i] = true;
            f.crashes[i] += 1;
        });
        self.shared.log(ProxyLine::Crash { side: side.into() });
    }

    /// `side`'s host is up again with no TCP state: on each connection made
    /// before its crash, the next data or FIN that reaches it gets RST
    /// (RFC 9293 3.5.2). A host that was not down is rebooted: its old
    /// connections are dead as after a crash.
    pub fn restart(&self, side: Side) {
        let i = side.index();
        self.shared.faults.send_modify(|f| {
            if !f.down[i] {
                f.crashes[i] += 1;
            }
            f.down[i] = false;
        });
        self.shared.log(ProxyLine::Restart { side: side.into() });
    }

    /// Whether `side`'s host is down: crashed and not restarted.
    pub fn is_down(&self, side: Side) -> bool {
        self.shared.faults.borrow().down[side.index()]
    }

    /// Aborts every current connection: both sides get RST.
    pub fn reset(&self) {
        let n = self.shared.order_all(Order::Reset);
        self.shared.log(ProxyLine::Reset { connections: n });
    }

    /// Closes every current connection: both sides get FIN.
    pub fn close(&self) {
        let n = self.shared.order_all(Order::Close);
        self.shared.log(ProxyLine::Close { connections: n });
    }

    /// Stops accepting and ends every connection's task, which closes its
    /// sockets. Dropping the proxy does the same.
    pub fn stop(&self) {
        if !self.stopped.swap(true, Ordering::SeqCst) {
            self.shared.log(ProxyLine::Stop);
        }
        // Aborting the accept task drops its JoinSet, which aborts every
        // connection task with it.
        self.accept.abort();
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Bytes and FINs a heal of `faults` releases: what the partition holds,
/// but for what waits for a host that is down and what a crashed host sent.
fn held(conns: &[Arc<Conn>], faults: &Faults) -> (u64, usize) {
    let mut bytes = 0;
    let mut fins = 0;
    for conn in conns {
        for dir in [Dir::ClientToServer, Dir::ServerToClient] {
            let i = dir.index();
            if faults.blocked[i]
                && !faults.down[dir.receiver().index()]
                && !conn.dead(faults, dir.sender())
            {
                bytes += conn.queued[i].load(Ordering::SeqCst);
                fins += usize::from(conn.fin_queued[i].load(Ordering::SeqCst));
            }
        }
    }
    (bytes, fins)
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    // Owned here so that ending this task ends every connection's task.
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((client, _)) => {
                    let conn = shared.register();
                    shared.log(ProxyLine::Opened { conn: conn.id });
                    tasks.spawn(serve(Live { shared: shared.clone(), conn }, client));
                }
                Err(e) => {
                    shared.log(ProxyLine::AcceptFailed { why: e.to_string() });
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                }
            },
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
}

/// A connection while its task runs; the summary is logged however the
/// task ends, aborted included.
struct Live {
    shared: Arc<Shared>,
    conn: Arc<Conn>,
}

impl Drop for Live {
    fn drop(&mut self) {
        self.conn.live.store(false, Ordering::SeqCst);
        let [up, down] = &self.conn.forwarded;
        self.shared.log(ProxyLine::Ended {
            conn: self.conn.id,
            client_to_server: up.load(Ordering::SeqCst),
            server_to_client: down.load(Ordering::SeqCst),
        });
    }
}

/// How the forwarding of a connection ended.
enum Outcome {
    /// Both directions carried their FIN: an orderly close.
    Finished,
    /// One side is gone abruptly; the other is to get RST.
    Aborted,
    Ordered(Order),
}

/// One side failed abruptly (RST, or a write the receiver refused).
struct Aborted;

async fn serve(live: Live, mut client: TcpStream) {
    let (shared, conn) = (&*live.shared, &*live.conn);
    let mut order = conn.order.subscribe();
    let client_born = conn.born[Side::Client.index()].load(Ordering::SeqCst);
    let connected = tokio::select! {
        biased;
        o = ordered(&mut order) => return end(Outcome::Ordered(o), client, None).await,
        s = connect_upstream(shared, conn, client_born) => s,
    };
    let Some((mut server, server_born)) = connected else {
        return end(Outcome::Aborted, client, None).await;
    };
    conn.born[Side::Server.index()].store(server_born, Ordering::SeqCst);
    let outcome = tokio::select! {
        // An order given together with a heal is carried out first, so a
        // reset is never preceded by the bytes the heal releases.
        biased;
        o = ordered(&mut order) => Outcome::Ordered(o),
        o = forward_both(shared, conn, &mut client, &mut server) => o,
    };
    end(outcome, client, Some(server)).await;
}

/// Resolves with the first order other than [`Order::Run`].
async fn ordered(order: &mut watch::Receiver<Order>) -> Order {
    // wait_for looks at the current value first, so an order given before
    // the task subscribed is not missed.
    let given = order.wait_for(|o| *o != Order::Run).await.map(|o| *o);
    match given {
        Ok(o) => o,
        // The sender lives in the connection's books as long as the task.
        Err(_) => std::future::pending().await,
    }
}

/// Connects to the server once the way is open both ways and the server
/// is up: a SYN behind a partition or to a crashed host is lost and
/// retried until the SYN budget runs out (tcp(7) `tcp_syn_retries`).
/// Returns the server's socket and the server's crash count it was made
/// in; `None` when the client is to get RST instead, or crashed itself
/// (`client_born` is the client's crash count at accept).
async fn connect_upstream(
    shared: &Shared,
    conn: &Conn,
    client_born: u32,
) -> Option<(TcpStream, u32)> {
    let (client, server) = (Side::Client.index(), Side::Server.index());
    let mut faults = shared.faults.subscribe();
    let now = *faults.borrow();
    if now.blocked.contains(&true) {
        shared.log(ProxyLine::SynWaits {
            conn: conn.id,
            why: SynWait::Partition,
        });
    } else if now.down[server] {
        shared.log(ProxyLine::SynWaits {
            conn: conn.id,
            why: SynWait::ServerDown,
        });
    }
    let open = faults.wait_for(|f| {
        f.crashes[client] != client_born || (!f.blocked.contains(&true) && !f.down[server])
    });
    let seen = match tokio::time::timeout(SYN_BUDGET, open).await {
        // The sender lives in `Shared`, which outlives this task.
        Ok(seen) => seen.map(|f| *f).unwrap_or_else(|_| *shared.faults.borrow()),
        Err(_) => {
            shared.log(ProxyLine::SynRefused {
                conn: conn.id,
                why: "no way to the server within the SYN budget".to_string(),
            });
            return None;
        }
    };
    if seen.crashes[client] != client_born {
        shared.log(ProxyLine::ClientCrashedFirst { conn: conn.id });
        return None;
    }
    match TcpStream::connect(shared.upstream).await {
        Ok(socket) => Some((socket, seen.crashes[server])),
        Err(e) => {
            shared.log(ProxyLine::SynRefused {
                conn: conn.id,
                why: format!("connect to the server failed ({e})"),
            });
            None
        }
    }
}

/// Closes both sides as `outcome` requires.
async fn end(outcome: Outcome, client: TcpStream, server: Option<TcpStream>) {
    let sides = [Some(client), server].into_iter().flatten();
    match outcome {
        // Both write halves are shut down and both sides read to EOF:
        // close(2) has nothing left to send but what is already sent.
        Outcome::Finished => {}
        Outcome::Aborted | Outcome::Ordered(Order::Reset | Order::Run) => sides.for_each(rst),
        Outcome::Ordered(Order::Close) => {
            for side in sides {
                fin(side).await;
            }
        }
    }
}

/// Closes with RST: SO_LINGER on with a zero timeout makes close(2) discard
/// unsent data and reset the connection (socket(7)).
fn rst(side: TcpStream) {
    // If this fails the socket still closes, with FIN: the log says RST
    // was meant, and the peer's next read tells what it got.
    let _ = side.set_zero_linger();
    drop(side);
}

/// Closes with FIN: shutdown(2) of the write half, then close(2).
async fn fin(mut side: TcpStream) {
    let _ = side.shutdown().await;
    // close(2) with received data unread sends RST instead of FIN
    // (RFC 1122 4.2.2.13), so read what has arrived first. Plain reads on
    // the std socket: tokio's try_read trusts its cached readiness.
    if let Ok(mut side) = side.into_std() {
        let mut sink = [0u8; CHUNK];
        while matches!(side.read(&mut sink), Ok(n) if n > 0) {}
    }
}

/// Forwards both directions until both have carried their FIN, or until
/// either fails.
async fn forward_both(
    shared: &Shared,
    conn: &Conn,
    client: &mut TcpStream,
    server: &mut TcpStream,
) -> Outcome {
    let (mut client_rx, mut client_tx) = client.split();
    let (mut server_rx, mut server_tx) = server.split();
    let up = Way {
        shared,
        conn,
        dir: Dir::ClientToServer,
    };
    let down = Way {
        dir: Dir::ServerToClient,
        ..up
    };
    let both = tokio::try_join!(
        up.forward(&mut client_rx, &mut server_tx),
        down.forward(&mut server_rx, &mut client_tx),
    );
    match both {
        Ok(_) => Outcome::Finished,
        Err(Aborted) => Outcome::Aborted,
    }
}

/// What a direction carries, in order: data, then one end.
enum Segment {
    Data(Bytes),
    Fin,
    Rst,
}

/// A segment in a direction's queue.
struct Queued {
    /// Read time plus the latency in force when it was read.
    due: Instant,
    segment: Segment,
}

/// What becomes of the segment at the head of a direction's queue.
enum Fate {
    /// The way is open: it goes to the receiver.
    Deliver,
    /// The sender crashed: it never left, or was lost with the host.
    Lose,
    /// The receiver restarted and has no such connection: it answers RST.
    Reset,
}

/// One direction of one connection.
#[derive(Clone, Copy)]
struct Way<'a> {
    shared: &'a Shared,
    conn: &'a Conn,
    dir: Dir,
}

impl Way<'_> {
    fn log(&self, what: &str) {
        self.shared.log(ProxyLine::OnConnection {
            conn: self.conn.id,
            text: format!("{} {what}", self.dir),
        });
    }

    /// A FIN or RST passed on this way.
    fn passed(&self, segment: crate::trace::Segment) {
        self.shared.log(ProxyLine::Passed {
            conn: self.conn.id,
            dir: self.dir.into(),
            segment,
        });
    }

    fn faults(self) -> Faults {
        *self.shared.faults.borrow()
    }

    fn dead(self, faults: &Faults, side: Side) -> bool {
        self.conn.dead(faults, side)
    }

    /// Why a segment that way waits, if it does.
    fn held(self, faults: &Faults) -> Option<String> {
        let to = self.dir.receiver();
        if faults.blocked[self.dir.index()] {
            Some("by the partition".into())
        } else if faults.down[to.index()] {
            Some(format!("while the {to} is down"))
        } else {
            None
        }
    }

    /// Reads from `src` into a queue and writes the queue to `dst`, at the
    /// same time: reading goes on while a partition holds the writing.
    async fn forward(self, src: &mut ReadHalf<'_>, dst: &mut WriteHalf<'_>) -> Result<(), Aborted> {
        let (tx, rx) = mpsc::channel(HOLD_CHUNKS);
        let read = async {
            self.read_side(src, tx).await;
            Ok(())
        };
        tokio::try_join!(read, self.write_side(rx, dst)).map(|_| ())
    }

    async fn read_side(self, src: &mut ReadHalf<'_>, tx: mpsc::Sender<Queued>) {
        let mut buf = vec![0u8; CHUNK];
        loop {
            let segment = match src.read(&mut buf).await {
                Ok(0) => self.fin_read(),
                Ok(n) => self.data_read(&buf[..n]),
                Err(e) => self.error_read(&e),
            };
            let end = !matches!(segment, Segment::Data(_));
            let due = Instant::now() + self.shared.faults.borrow().latency;
            if tx.send(Queued { due, segment }).await.is_err() || end {
                return;
            }
        }
    }

    fn data_read(self, data: &[u8]) -> Segment {
        let queued = &self.conn.queued[self.dir.index()];
        queued.fetch_add(data.len() as u64, Ordering::SeqCst);
        Segment::Data(Bytes::copy_from_slice(data))
    }

    /// read(2) returned 0: the sender shut down its write half.
    fn fin_read(self) -> Segment {
        self.conn.fin_queued[self.dir.index()].store(true, Ordering::SeqCst);
        let faults = self.faults();
        // A crashed sender's FIN is logged as lost when it is dropped.
        if !self.dead(&faults, self.dir.sender())
            && let Some(why) = self.held(&faults)
        {
            self.log(&format!("FIN held {why}"));
        }
        Segment::Fin
    }

    /// Any failed read ends the sender's side abruptly; ECONNRESET is its
    /// RST (RFC 9293 3.5.2), passed on as such.
    fn error_read(self, e: &io::Error) -> Segment {
        let reset = e.kind() == io::ErrorKind::ConnectionReset;
        let what = if reset {
            "RST".to_string()
        } else {
            format!("read failed ({e}), passed on as RST")
        };
        let faults = self.faults();
        let to = self.dir.receiver();
        if self.dead(&faults, self.dir.sender()) {
            // Logged as lost when it is dropped.
        } else if self.dead(&faults, to) {
            // A host with no such connection drops an RST (RFC 9293 3.5.2).
            self.log(&format!("{what}, lost: the {to} crashed"));
        } else if let Some(why) = self.held(&faults) {
            self.log(&format!("{what}, held {why}"));
        } else if reset {
            self.passed(crate::trace::Segment::Rst);
        } else {
            self.log(&what);
        }
        Segment::Rst
    }

    async fn write_side(
        self,
        mut rx: mpsc::Receiver<Queued>,
        dst: &mut WriteHalf<'_>,
    ) -> Result<(), Aborted> {
        let mut faults = self.shared.faults.subscribe();
        let mut pacer = Pacer::new();
        while let Some(Queued { due, segment }) = rx.recv().await {
            let now = self.faults();
            let fate = match segment {
                // An RST toward a crashed host is dropped there, and the
                // sender's socket is gone: nothing is left to carry.
                Segment::Rst
                    if self.dead(&now, self.dir.receiver())
                        && !self.dead(&now, self.dir.sender()) =>
                {
                    return Err(Aborted);
                }
                _ => self.fate(&mut faults, due).await,
            };
            match (fate, segment) {
                (Fate::Deliver, Segment::Data(data)) => {
                    self.send(&mut faults, &mut pacer, data, dst).await?;
                }
                (Fate::Deliver, Segment::Fin) => return self.send_fin(&mut faults, dst).await,
                (Fate::Deliver, Segment::Rst) => return Err(Aborted),
                (Fate::Lose, segment) => self.lose(segment).await,
                (Fate::Reset, _) => return Err(self.reset_sender()),
            }
        }
        Ok(())
    }

    /// Waits until `at`, then until the segment at the head of the queue can
    /// go on, and tells what becomes of it.
    async fn fate(self, faults: &mut watch::Receiver<Faults>, at: Instant) -> Fate {
        // A timer already due still waits for the timer wheel's next tick.
        if at > Instant::now() && !self.dead(&self.faults(), self.dir.sender()) {
            tokio::time::sleep_until(at).await;
        }
        let (i, to) = (self.dir.index(), self.dir.receiver().index());
        let seen = faults
            .wait_for(|f| self.dead(f, self.dir.sender()) || (!f.blocked[i] && !f.down[to]))
            .await;
        // The sender lives in `Shared`, which outlives this task.
        let now = seen.map(|f| *f).unwrap_or_else(|_| self.faults());
        if self.dead(&now, self.dir.sender()) {
            Fate::Lose
        } else if self.dead(&now, self.dir.receiver()) {
            Fate::Reset
        } else {
            Fate::Deliver
        }
    }

    /// Drops what a crashed sender sent. After its FIN or RST the direction
    /// never ends: the host is silent, and the connection lasts until the
    /// other side's next segment finds the restarted host, or the proxy
    /// stops.
    async fn lose(self, segment: Segment) {
        let (i, from) = (self.dir.index(), self.dir.sender());
        match segment {
            Segment::Data(data) => {
                let queued = &self.conn.queued[i];
                queued.fetch_sub(data.len() as u64, Ordering::SeqCst);
                if !self.conn.loss_logged[i].swap(true, Ordering::SeqCst) {
                    self.log(&format!("bytes lost from now on: the {from} crashed"));
                }
                return;
            }
            Segment::Fin => {
                self.conn.fin_queued[i].store(false, Ordering::SeqCst);
                self.log(&format!("FIN lost: the {from} crashed"));
            }
            Segment::Rst => self.log(&format!("RST lost: the {from} crashed")),
        }
        std::future::pending::<()>().await;
    }

    /// The receiver restarted since the connection was made: it answers
    /// the sender's segment with RST (RFC 9293 3.5.2), given to the sender
    /// as an abortive close; the receiver's socket, whose process died
    /// with the crash, is closed with it.
    fn reset_sender(self) -> Aborted {
        let (from, to) = (self.dir.sender(), self.dir.receiver());
        self.shared.log(ProxyLine::RstFromRestarted {
            conn: self.conn.id,
            to: from.into(),
            restarted: to.into(),
        });
        Aborted
    }

    /// Writes `data` at the bandwidth in force, piece by piece, stopping
    /// between pieces if a partition starts or a host crashes.
    async fn send(
        self,
        faults: &mut watch::Receiver<Faults>,
        pacer: &mut Pacer,
        mut data: Bytes,
        dst: &mut WriteHalf<'_>,
    ) -> Result<(), Aborted> {
        while !data.is_empty() {
            let rate = faults.borrow().bandwidth;
            let piece = data.split_to(piece_len(rate, data.len()));
            if let Some(rate) = rate {
                let at = pacer.leaves_at(piece.len(), rate);
                match self.fate(faults, at).await {
                    Fate::Deliver => {}
                    Fate::Lose => {
                        self.lose(Segment::Data(piece)).await;
                        self.lose(Segment::Data(data)).await;
                        return Ok(());
                    }
                    Fate::Reset => return Err(self.reset_sender()),
                }
            }
            if let Err(e) = dst.write_all(&piece).await {
                return Err(self.write_failed(faults, &e).await);
            }
            let (i, n) = (self.dir.index(), piece.len() as u64);
            self.conn.queued[i].fetch_sub(n, Ordering::SeqCst);
            self.conn.forwarded[i].fetch_add(n, Ordering::SeqCst);
        }
        Ok(())
    }

    /// Half-close: the proxy shuts down its write half toward the receiver
    /// and the other direction goes on (RFC 9293 3.6).
    async fn send_fin(
        self,
        faults: &mut watch::Receiver<Faults>,
        dst: &mut WriteHalf<'_>,
    ) -> Result<(), Aborted> {
        self.conn.fin_queued[self.dir.index()].store(false, Ordering::SeqCst);
        if let Err(e) = dst.shutdown().await {
            return Err(self.write_failed(faults, &e).await);
        }
        self.passed(crate::trace::Segment::Fin);
        Ok(())
    }

    /// A write the receiver's kernel refused (EPIPE, ECONNRESET): the
    /// receiver is gone, and the sender is to get RST as it would from it.
    /// A receiver that crashed while the write was under way sends nothing:
    /// the sender hears of it only from the restarted host, as with any
    /// segment to it.
    async fn write_failed(self, faults: &mut watch::Receiver<Faults>, e: &io::Error) -> Aborted {
        if self.dead(&self.faults(), self.dir.receiver()) {
            return match self.fate(faults, Instant::now()).await {
                Fate::Lose => std::future::pending().await,
                Fate::Deliver | Fate::Reset => self.reset_sender(),
            };
        }
        let to = self.dir.receiver();
        let from = self.dir.sender();
        self.log(&format!(
            "write failed ({e}): the {to} is gone; RST to the {from}"
        ));
        Aborted
    }
}

/// Bytes of a paced piece: about 1/[`PIECES_PER_SECOND`] s of link time.
fn piece_len(rate: Option<u64>, left: usize) -> usize {
    let Some(rate) = rate else {
        return left;
    };
    let piece = usize::try_from(rate / PIECES_PER_SECOND).unwrap_or(CHUNK);
    piece.clamp(1, CHUNK).min(left)
}

/// Serialisation on a link of limited bandwidth: a piece leaves once the
/// ones before it have, and takes its length over the rate.
struct Pacer {
    free_at: Instant,
}

impl Pacer {
    fn new() -> Pacer {
        Pacer {
            free_at: Instant::now(),
        }
    }

    fn leaves_at(&mut self, len: usize, rate: u64) -> Instant {
        let on_wire = Duration::from_secs_f64(len as f64 / rate as f64);
        self.free_at = self.free_at.max(Instant::now()) + on_wire;
        self.free_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::net::Ipv6Addr;
    use tokio::sync::mpsc::UnboundedReceiver;
    use tokio::time::timeout;

    /// Bound of every wait: a bug fails the test rather than hanging it.
    const WAIT: Duration = Duration::from_secs(5);
    /// How long "nothing arrives" is watched.
    const QUIET: Duration = Duration::from_millis(300);

    async fn within<F: Future>(what: &str, f: F) -> F::Output {
        match timeout(WAIT, f).await {
            Ok(out) => out,
            Err(_) => panic!("{what}: nothing within {WAIT:?}"),
        }
    }

    /// A server on 127.0.0.1 that hands each accepted connection to the test.
    async fn upstream() -> (SocketAddr, UnboundedReceiver<TcpStream>) {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while let Ok((server, _)) = listener.accept().await {
                if tx.send(server).is_err() {
                    return;
                }
            }
        });
        (addr, rx)
    }

    struct Setup {
        proxy: Proxy,
        accepted: UnboundedReceiver<TcpStream>,
    }

    async fn setup() -> Setup {
        let (addr, accepted) = upstream().await;
        let proxy = Proxy::start(addr).await.unwrap();
        Setup { proxy, accepted }
    }

    impl Setup {
        /// A connection through the proxy: (client end, server end).
        async fn pair(&mut self) -> (TcpStream, TcpStream) {
            let connect = TcpStream::connect(self.proxy.addr());
            let client = within("connect", connect).await.unwrap();
            let server = within("accept", self.accepted.recv()).await.unwrap();
            (client, server)
        }

        /// Waits for a log line containing `needle`.
        async fn event(&self, needle: &str) -> ProxyEvent {
            let found = async {
                loop {
                    let events = self.proxy.events();
                    if let Some(e) = events
                        .into_iter()
                        .find(|e| e.what.to_string().contains(needle))
                    {
                        return e;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            };
            within(needle, found).await
        }
    }

    async fn read_n(side: &mut TcpStream, n: usize) -> Vec<u8> {
        let mut buf = vec![0u8; n];
        within("read", side.read_exact(&mut buf)).await.unwrap();
        buf
    }

    async fn nothing_arrives(side: &mut TcpStream) {
        let mut buf = [0u8; 64];
        let read = timeout(QUIET, side.read(&mut buf)).await;
        assert!(read.is_err(), "expected nothing, got {read:?}");
    }

    async fn eof(side: &mut TcpStream) {
        let mut buf = [0u8; 64];
        let n = within("EOF", side.read(&mut buf)).await.unwrap();
        assert_eq!(n, 0, "expected EOF");
    }

    async fn read_error(side: &mut TcpStream) -> io::ErrorKind {
        let mut buf = [0u8; 64];
        match within("error", side.read(&mut buf)).await {
            Ok(n) => panic!("expected an error, read {n} bytes"),
            Err(e) => e.kind(),
        }
    }

    #[tokio::test]
    async fn bytes_pass_both_ways_and_are_counted() {
        let mut s = setup().await;
        let (mut client, mut server) = s.pair().await;
        client.write_all(b"hello").await.unwrap();
        assert_eq!(read_n(&mut server, 5).await, b"hello");
        server.write_all(b"welcome").await.unwrap();
        assert_eq!(read_n(&mut client, 7).await, b"welcome");
        drop(client);
        drop(server);
        let ended = s.event("connection 1 ended").await;
        assert_eq!(
            ended.what,
            ProxyLine::Ended {
                conn: 1,
                client_to_server: 5,
                server_to_client: 7
            }
        );
        assert_eq!(s.proxy.bytes(1, Dir::ClientToServer), 5);
        assert_eq!(s.proxy.bytes(1, Dir::ServerToClient), 7);
        assert_eq!(s.proxy.events()[1].what, ProxyLine::Opened { conn: 1 });
    }

    #[tokio::test]
    async fn a_large_transfer_both_ways_at_once_arrives_whole() {
        let mut s = setup().await;
        let (client, server) = s.pair().await;
        let up: Vec<u8> = (0..4_000_000u32).map(|i| (i % 251) as u8).collect();
        let down: Vec<u8> = up.iter().rev().copied().collect();
        // Each end writes everything, shuts down, and reads to EOF, all at
        // once: neither direction may wait for the other.
        async fn exchange(mut side: TcpStream, out: Vec<u8>) -> Vec<u8> {
            let (mut rx, mut tx) = side.split();
            let send = async {
                tx.write_all(&out).await.unwrap();
                tx.shutdown().await.unwrap();
            };
            let mut got = Vec::new();
            let receive = rx.read_to_end(&mut got);
            let ((), read) = tokio::join!(send, receive);
            read.unwrap();
            got
        }
        let both =
            async { tokio::join!(exchange(client, up.clone()), exchange(server, down.clone())) };
        let (at_client, at_server) = within("the transfer", both).await;
        assert!(at_server == up, "client -> server bytes differ");
        assert!(at_client == down, "server -> client bytes differ");
    }

    #[tokio::test]
    async fn partition_holds_bytes_and_heal_delivers_them_in_order() {
        let mut s = setup().await;
        let (mut client, mut server) = s.pair().await;
        s.proxy.partition();
        client.write_all(b"abc").await.unwrap();
        client.write_all(b"def").await.unwrap();
        server.write_all(b"xyz").await.unwrap();
        nothing_arrives(&mut server).await;
        nothing_arrives(&mut client).await;
        s.proxy.heal();
        assert_eq!(read_n(&mut server, 6).await, b"abcdef");
        assert_eq!(read_n(&mut client, 3).await, b"xyz");
        s.event("heal: 9 bytes held are forwarded").await;
    }

    #[tokio::test]
    async fn one_way_partition_stops_one_direction_only() {
        let mut s = setup().await;
        let (mut client, mut server) = s.pair().await;
        s.proxy.partition_one_way(Dir::ClientToServer);
        client.write_all(b"up").await.unwrap();
        server.write_all(b"down").await.unwrap();
        assert_eq!(read_n(&mut client, 4).await, b"down");
        nothing_arrives(&mut server).await;
        s.proxy.heal();
        assert_eq!(read_n(&mut server, 2).await, b"up");
    }

    #[tokio::test]
    async fn fin_is_held_until_heal_and_half_close_keeps_the_other_way() {
        let mut s = setup().await;
        let (mut client, mut server) = s.pair().await;
        s.proxy.partition();
        client.write_all(b"request").await.unwrap();
        client.shutdown().await.unwrap();
        nothing_arrives(&mut server).await;
        s.event("client -> server FIN held by the partition").await;
        s.proxy.heal();
        let mut got = Vec::new();
        within("request and EOF", server.read_to_end(&mut got))
            .await
            .unwrap();
        assert_eq!(got, b"request");
        server.write_all(b"response").await.unwrap();
        assert_eq!(read_n(&mut client, 8).await, b"response");
        server.shutdown().await.unwrap();
        eof(&mut client).await;
        s.event("connection 1: server -> client FIN").await;
        s.event("connection 1 ended").await;
    }

    #[tokio::test]
    async fn reset_gives_both_ends_connection_reset() {
        let mut s = setup().await;
        let (mut client, mut server) = s.pair().await;
        client.write_all(b"x").await.unwrap();
        assert_eq!(read_n(&mut server, 1).await, b"x");
        s.proxy.reset();
        assert_eq!(
            read_error(&mut client).await,
            io::ErrorKind::ConnectionReset
        );
        assert_eq!(
            read_error(&mut server).await,
            io::ErrorKind::ConnectionReset
        );
        s.event("reset: RST both ways on 1 connection(s)").await;
    }

    #[tokio::test]
    async fn reset_wins_over_a_heal_given_with_it() {
        let mut s = setup().await;
        let (mut client, mut server) = s.pair().await;
        s.proxy.partition();
        client.write_all(b"held").await.unwrap();
        s.event("partition").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        s.proxy.reset();
        s.proxy.heal();
        assert_eq!(
            read_error(&mut server).await,
            io::ErrorKind::ConnectionReset
        );
        assert_eq!(
            read_error(&mut client).await,
            io::ErrorKind::ConnectionReset
        );
    }

    #[tokio::test]
    async fn an_rst_from_one_end_reaches_the_other() {
        let mut s = setup().await;
        let (mut client, server) = s.pair().await;
        server.set_zero_linger().unwrap();
        drop(server);
        assert_eq!(
            read_error(&mut client).await,
            io::ErrorKind::ConnectionReset
        );
        s.event("connection 1: server -> client RST").await;
    }

    #[tokio::test]
    async fn close_gives_both_ends_eof() {
        let mut s = setup().await;
        let (mut client, mut server) = s.pair().await;
        client.write_all(b"x").await.unwrap();
        assert_eq!(read_n(&mut server, 1).await, b"x");
        s.proxy.close();
        eof(&mut client).await;
        eof(&mut server).await;
        s.event("close: FIN both ways on 1 connection(s)").await;
    }

    #[tokio::test]
    async fn a_crashed_server_answers_nothing_and_its_fin_and_rst_are_lost() {
        let mut s = setup().await;
        let (mut client1, mut server1) = s.pair().await;
        let (mut client2, server2) = s.pair().await;
        s.proxy.crash(Side::Server);
        assert!(s.proxy.is_down(Side::Server));
        // What the server sends as its processes die never leaves it.
        server1.write_all(b"late").await.unwrap();
        client1.write_all(b"anyone?").await.unwrap();
        nothing_arrives(&mut server1).await;
        nothing_arrives(&mut client1).await;
        drop(server1);
        server2.set_zero_linger().unwrap();
        drop(server2);
        s.event("connection 1: server -> client bytes lost from now on: the server crashed")
            .await;
        s.event("connection 1: server -> client FIN lost: the server crashed")
            .await;
        s.event("connection 2: server -> client RST lost: the server crashed")
            .await;
        nothing_arrives(&mut client1).await;
        nothing_arrives(&mut client2).await;
        s.event("crash server: everything from and to it is dropped")
            .await;
    }

    #[tokio::test]
    async fn what_a_crashed_server_sent_and_the_proxy_held_is_lost() {
        let mut s = setup().await;
        let (mut client, mut server) = s.pair().await;
        s.proxy.partition();
        server.write_all(b"in flight").await.unwrap();
        s.event("partition").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        s.proxy.crash(Side::Server);
        s.proxy.heal();
        nothing_arrives(&mut client).await;
        s.event("heal: 0 bytes held are forwarded").await;
    }

    #[tokio::test]
    async fn after_a_restart_the_next_write_is_answered_with_rst_and_new_connections_work() {
        let mut s = setup().await;
        let (mut client, server) = s.pair().await;
        s.proxy.crash(Side::Server);
        drop(server);
        s.event("connection 1: server -> client FIN lost").await;
        s.proxy.restart(Side::Server);
        assert!(!s.proxy.is_down(Side::Server));
        // The restart itself sends nothing: an idle client does not know.
        nothing_arrives(&mut client).await;
        client.write_all(b"ping").await.unwrap();
        assert_eq!(
            read_error(&mut client).await,
            io::ErrorKind::ConnectionReset
        );
        s.event("restart server: the next segment on an old connection gets RST")
            .await;
        s.event("connection 1: RST to the client (the server restarted)")
            .await;
        let (mut client, mut server) = s.pair().await;
        client.write_all(b"again").await.unwrap();
        assert_eq!(read_n(&mut server, 5).await, b"again");
        server.write_all(b"welcome back").await.unwrap();
        assert_eq!(read_n(&mut client, 12).await, b"welcome back");
    }

    #[tokio::test]
    async fn bytes_held_since_the_crash_are_answered_with_rst_at_the_restart() {
        let mut s = setup().await;
        let (mut client, _server) = s.pair().await;
        s.proxy.crash(Side::Server);
        client.write_all(b"retransmitted").await.unwrap();
        nothing_arrives(&mut client).await;
        s.proxy.restart(Side::Server);
        assert_eq!(
            read_error(&mut client).await,
            io::ErrorKind::ConnectionReset
        );
    }

    #[tokio::test]
    async fn a_fin_to_a_restarted_server_is_answered_with_rst() {
        let mut s = setup().await;
        let (mut client, _server) = s.pair().await;
        s.proxy.crash(Side::Server);
        s.proxy.restart(Side::Server);
        client.shutdown().await.unwrap();
        assert_eq!(
            read_error(&mut client).await,
            io::ErrorKind::ConnectionReset
        );
    }

    #[tokio::test]
    async fn a_connection_made_while_the_server_is_down_reaches_it_after_the_restart() {
        let mut s = setup().await;
        s.proxy.crash(Side::Server);
        let connect = TcpStream::connect(s.proxy.addr());
        let mut client = within("connect", connect).await.unwrap();
        client.write_all(b"hello").await.unwrap();
        let accepted = timeout(QUIET, s.accepted.recv()).await;
        assert!(accepted.is_err(), "the crashed server saw a connection");
        s.event("connection 1: SYN to the server unanswered while the server is down")
            .await;
        s.proxy.restart(Side::Server);
        let mut server = within("accept", s.accepted.recv()).await.unwrap();
        assert_eq!(read_n(&mut server, 5).await, b"hello");
    }

    #[tokio::test]
    async fn a_crashed_client_is_silent_and_a_restarted_one_resets_the_server() {
        let mut s = setup().await;
        let (mut client, mut server) = s.pair().await;
        s.proxy.crash(Side::Client);
        client.write_all(b"late").await.unwrap();
        server.write_all(b"to a dead host").await.unwrap();
        nothing_arrives(&mut client).await;
        drop(client);
        s.event("connection 1: client -> server FIN lost: the client crashed")
            .await;
        nothing_arrives(&mut server).await;
        s.proxy.restart(Side::Client);
        assert_eq!(
            read_error(&mut server).await,
            io::ErrorKind::ConnectionReset
        );
        s.event("connection 1: RST to the server (the client restarted)")
            .await;
    }

    #[tokio::test]
    async fn latency_delays_each_direction_by_at_least_the_latency() {
        let mut s = setup().await;
        let (mut client, mut server) = s.pair().await;
        let extra = Duration::from_millis(200);
        s.proxy.latency(extra);
        let sent = std::time::Instant::now();
        client.write_all(b"ping").await.unwrap();
        assert_eq!(read_n(&mut server, 4).await, b"ping");
        assert!(sent.elapsed() >= extra);
        let sent = std::time::Instant::now();
        server.write_all(b"pong").await.unwrap();
        assert_eq!(read_n(&mut client, 4).await, b"pong");
        assert!(sent.elapsed() >= extra);
    }

    #[tokio::test]
    async fn bandwidth_paces_a_direction() {
        let mut s = setup().await;
        let (mut client, mut server) = s.pair().await;
        s.proxy.bandwidth(Some(10_000));
        let sent = std::time::Instant::now();
        client.write_all(&[7u8; 3_000]).await.unwrap();
        assert_eq!(read_n(&mut server, 3_000).await, vec![7u8; 3_000]);
        // 3000 bytes at 10000 bytes/s take 300 ms on the link.
        assert!(sent.elapsed() >= Duration::from_millis(300));
    }

    #[tokio::test]
    async fn faults_apply_to_every_connection_including_later_ones() {
        let mut s = setup().await;
        let (mut client1, mut server1) = s.pair().await;
        s.proxy.partition();
        client1.write_all(b"one").await.unwrap();
        // A connection opened during the partition reaches the server
        // only at heal: its SYN is held.
        let connect = TcpStream::connect(s.proxy.addr());
        let mut client2 = within("connect", connect).await.unwrap();
        client2.write_all(b"two").await.unwrap();
        let accepted = timeout(QUIET, s.accepted.recv()).await;
        assert!(
            accepted.is_err(),
            "the server saw a connection during the partition"
        );
        nothing_arrives(&mut server1).await;
        s.proxy.heal();
        let mut server2 = within("accept", s.accepted.recv()).await.unwrap();
        assert_eq!(read_n(&mut server1, 3).await, b"one");
        assert_eq!(read_n(&mut server2, 3).await, b"two");
        s.proxy.reset();
        assert_eq!(
            read_error(&mut client1).await,
            io::ErrorKind::ConnectionReset
        );
        assert_eq!(
            read_error(&mut client2).await,
            io::ErrorKind::ConnectionReset
        );
        s.event("reset: RST both ways on 2 connection(s)").await;
        s.event("connection 2: SYN to the server held by the partition")
            .await;
    }

    #[tokio::test]
    async fn listens_on_127_0_0_1_and_refuses_a_non_loopback_upstream() {
        let s = setup().await;
        assert_eq!(s.proxy.addr().ip(), Ipv4Addr::LOCALHOST);
        for far in ["10.0.0.1:22", "0.0.0.0:22", "[2001:db8::1]:22"] {
            let err = Proxy::start(far.parse().unwrap()).await.err();
            let kind = err.map(|e| e.kind());
            assert_eq!(kind, Some(io::ErrorKind::InvalidInput), "{far}");
        }
        let v6 = SocketAddr::from((Ipv6Addr::LOCALHOST, 22));
        assert!(Proxy::start(v6).await.is_ok());
    }

    #[tokio::test]
    async fn dropping_the_proxy_closes_its_sockets() {
        let mut s = setup().await;
        let (mut client, mut server) = s.pair().await;
        let addr = s.proxy.addr();
        drop(s.proxy);
        let mut buf = [0u8; 8];
        let client_read = within("client end", client.read(&mut buf)).await;
        assert!(matches!(client_read, Ok(0) | Err(_)), "{client_read:?}");
        let server_read = within("server end", server.read(&mut buf)).await;
        assert!(matches!(server_read, Ok(0) | Err(_)), "{server_read:?}");
        let refused = async {
            while TcpStream::connect(addr).await.is_ok() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        within("the listener to close", refused).await;
    }
}
