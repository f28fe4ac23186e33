//! TCP as the simulated network and the real lane's fault proxy see it.

use std::fmt;

use hangar_scenario::{Host, NetFault};
use serde::{Serialize, Serializer};

use super::event::Dir;

/// A TCP event of the simulated network.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TcpEvent {
    /// The simulated network applies a fault step.
    Fault {
        #[serde(serialize_with = "as_text")]
        fault: NetFault,
    },
    /// A real run's fault step, as the scenario writes it; the proxy
    /// tells what it does.
    FaultStep {
        #[serde(serialize_with = "as_text")]
        fault: NetFault,
    },
    /// A SYN dropped at a full accept queue, sent again in `retry_s`.
    AcceptQueueFull {
        #[serde(serialize_with = "as_text")]
        host: Host,
        port: u16,
        #[serde(serialize_with = "as_text")]
        from: Host,
        queue: usize,
        retry_s: u64,
    },
    /// One side's socket fails (RST, or a retransmission timeout).
    SideFails {
        #[serde(serialize_with = "as_text")]
        side: Host,
        why: String,
    },
    /// A FIN or RST of the simulated network leaves for the peer, on the
    /// connection from the client's `port`.
    Segment {
        port: u16,
        dir: Dir,
        segment: Segment,
    },
    /// A line of the real lane's fault proxy.
    Proxy(ProxyLine),
}

/// Why a SYN waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SynWait {
    Partition,
    ServerDown,
}

/// A segment the proxy passes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    Fin,
    Rst,
}

/// What the real lane's fault proxy logs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "proxy", rename_all = "snake_case")]
pub enum ProxyLine {
    Listening {
        addr: String,
        upstream: String,
    },
    Opened {
        conn: u64,
    },
    /// A FIN or RST passed on one way.
    Passed {
        conn: u64,
        dir: Dir,
        segment: Segment,
    },
    /// The connection's task ended, with the bytes it carried each way.
    Ended {
        conn: u64,
        client_to_server: u64,
        server_to_client: u64,
    },
    /// A partition healed: what it held goes on.
    Heal {
        bytes: u64,
        fins: u64,
    },
    /// Everything held both ways, FINs included: a pulled cable.
    Partition,
    PartitionOneWay {
        dir: Dir,
    },
    Latency {
        ms: u128,
    },
    /// `None`: the cap is lifted.
    Bandwidth {
        bytes_per_s: Option<u64>,
    },
    Crash {
        #[serde(serialize_with = "as_text")]
        side: Host,
    },
    Restart {
        #[serde(serialize_with = "as_text")]
        side: Host,
    },
    /// Every current connection aborted: RST both ways.
    Reset {
        connections: usize,
    },
    /// Every current connection closed: FIN both ways.
    Close {
        connections: usize,
    },
    Stop,
    AcceptFailed {
        why: String,
    },
    /// The client's SYN waits for the way to the server.
    SynWaits {
        conn: u64,
        why: SynWait,
    },
    /// The client gets RST: `why` the proxy could not connect upstream.
    SynRefused {
        conn: u64,
        why: String,
    },
    /// The client's host crashed while its SYN waited.
    ClientCrashedFirst {
        conn: u64,
    },
    /// A restarted host answers a segment of an old connection with RST.
    RstFromRestarted {
        conn: u64,
        #[serde(serialize_with = "as_text")]
        to: Host,
        #[serde(serialize_with = "as_text")]
        restarted: Host,
    },
    /// What became of a connection, worded by the proxy: a SYN or a
    /// segment held or lost.
    OnConnection {
        conn: u64,
        text: String,
    },
}

fn as_text<T: fmt::Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

impl fmt::Display for Dir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dir::ClientToServer => "client -> server",
            Dir::ServerToClient => "server -> client",
        })
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Segment::Fin => "FIN",
            Segment::Rst => "RST",
        })
    }
}

impl fmt::Display for TcpEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TcpEvent::Fault { fault } => simulated_fault(f, fault),
            TcpEvent::FaultStep { fault } => write!(f, "{fault}"),
            TcpEvent::AcceptQueueFull {
                host,
                port,
                from,
                queue,
                retry_s,
            } => write!(
                f,
                "the accept queue of {host}:{port} is full ({queue}): a SYN from {from} \
                 is dropped and sent again in {retry_s}s"
            ),
            TcpEvent::SideFails { side, why } => {
                write!(f, "{side} side of the connection fails: {why}")
            }
            TcpEvent::Segment { port, dir, segment } => {
                write!(f, "connection from port {port}: {dir} {segment}")
            }
            TcpEvent::Proxy(line) => write!(f, "{line}"),
        }
    }
}

/// What the simulated network does on a fault step.
fn simulated_fault(f: &mut fmt::Formatter<'_>, fault: &NetFault) -> fmt::Result {
    match fault {
        NetFault::Partition => f.write_str("partition: no segment crosses in either direction"),
        NetFault::PartitionOneWay { from, to } => {
            write!(f, "partition {from} -> {to}: segments that way are lost")
        }
        NetFault::Heal => {
            f.write_str("heal: segments cross again; unacknowledged data is retransmitted")
        }
        NetFault::Hold => f.write_str("hold: segments are queued in both directions"),
        NetFault::Release => f.write_str("release: queued segments are delivered"),
        NetFault::Latency(extra) => write!(
            f,
            "latency: every segment now takes {}ms longer",
            extra.as_millis()
        ),
        NetFault::Crash(host) => write!(
            f,
            "crash {host}: the host loses power; it sends nothing, not even FIN or RST"
        ),
        NetFault::Restart(host) => write!(
            f,
            "restart {host}: the host is up with no TCP state; old connections get RST"
        ),
    }
}

impl fmt::Display for ProxyLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyLine::Listening { addr, upstream } => {
                write!(f, "listening on {addr}, forwarding to {upstream}")
            }
            ProxyLine::Opened { conn } => write!(f, "connection {conn} opened"),
            ProxyLine::Passed { conn, dir, segment } => {
                write!(f, "connection {conn}: {dir} {segment}")
            }
            ProxyLine::Ended {
                conn,
                client_to_server,
                server_to_client,
            } => write!(
                f,
                "connection {conn} ended: {client_to_server} bytes client -> server, \
                 {server_to_client} bytes server -> client"
            ),
            ProxyLine::Heal { bytes, fins: 0 } => {
                write!(f, "heal: {bytes} bytes held are forwarded")
            }
            ProxyLine::Heal { bytes, fins } => {
                write!(
                    f,
                    "heal: {bytes} bytes held are forwarded, then {fins} FIN(s)"
                )
            }
            ProxyLine::Partition => {
                f.write_str("partition: nothing crosses either way; bytes and FINs are held")
            }
            ProxyLine::PartitionOneWay { dir } => {
                write!(f, "partition {dir}: bytes and FINs that way are held")
            }
            ProxyLine::Latency { ms } => {
                write!(f, "latency: every chunk now takes {ms}ms longer each way")
            }
            ProxyLine::Bandwidth {
                bytes_per_s: Some(rate),
            } => write!(f, "bandwidth: {rate} bytes/s each way"),
            ProxyLine::Bandwidth { bytes_per_s: None } => f.write_str("bandwidth: unlimited"),
            ProxyLine::Crash { side } => {
                write!(f, "crash {side}: everything from and to it is dropped")
            }
            ProxyLine::Restart { side } => write!(
                f,
                "restart {side}: the next segment on an old connection gets RST"
            ),
            ProxyLine::Reset { connections } => {
                write!(f, "reset: RST both ways on {connections} connection(s)")
            }
            ProxyLine::Close { connections } => {
                write!(f, "close: FIN both ways on {connections} connection(s)")
            }
            ProxyLine::Stop => f.write_str("stop"),
            ProxyLine::AcceptFailed { why } => write!(f, "accept failed: {why}"),
            ProxyLine::SynWaits {
                conn,
                why: SynWait::Partition,
            } => write!(
                f,
                "connection {conn}: SYN to the server held by the partition"
            ),
            ProxyLine::SynWaits {
                conn,
                why: SynWait::ServerDown,
            } => write!(
                f,
                "connection {conn}: SYN to the server unanswered while the server is down"
            ),
            ProxyLine::SynRefused { conn, why } => {
                write!(f, "connection {conn}: {why}; RST to client")
            }
            ProxyLine::ClientCrashedFirst { conn } => write!(
                f,
                "connection {conn}: the client crashed before the server answered"
            ),
            ProxyLine::RstFromRestarted {
                conn,
                to,
                restarted,
            } => write!(
                f,
                "connection {conn}: RST to the {to} (the {restarted} restarted)"
            ),
            ProxyLine::OnConnection { conn, text } => write!(f, "connection {conn}: {text}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn fault(fault: NetFault) -> TcpEvent {
        TcpEvent::Fault { fault }
    }

    fn proxy(line: ProxyLine) -> TcpEvent {
        TcpEvent::Proxy(line)
    }

    /// Each TCP event and its trace text: the simulated network's words
    /// for a fault, the scenario's for a real run's step, the proxy's.
    #[test]
    fn every_tcp_event_renders_as_the_trace_words_it() {
        let (client, server) = (Host::Client, Host::Server);
        let table: Vec<(TcpEvent, &str)> = vec![
            (
                fault(NetFault::Partition),
                "partition: no segment crosses in either direction",
            ),
            (
                fault(NetFault::PartitionOneWay {
                    from: server,
                    to: client,
                }),
                "partition server -> client: segments that way are lost",
            ),
            (
                fault(NetFault::Heal),
                "heal: segments cross again; unacknowledged data is retransmitted",
            ),
            (
                fault(NetFault::Hold),
                "hold: segments are queued in both directions",
            ),
            (
                fault(NetFault::Release),
                "release: queued segments are delivered",
            ),
            (
                fault(NetFault::Latency(Duration::from_millis(200))),
                "latency: every segment now takes 200ms longer",
            ),
            (
                fault(NetFault::Crash(server)),
                "crash server: the host loses power; it sends nothing, not even FIN or RST",
            ),
            (
                fault(NetFault::Restart(server)),
                "restart server: the host is up with no TCP state; old connections get RST",
            ),
            (
                TcpEvent::FaultStep {
                    fault: NetFault::PartitionOneWay {
                        from: client,
                        to: server,
                    },
                },
                "partition client->server",
            ),
            (
                TcpEvent::AcceptQueueFull {
                    host: server,
                    port: 22,
                    from: client,
                    queue: 64,
                    retry_s: 1,
                },
                "the accept queue of server:22 is full (64): a SYN from client \
                 is dropped and sent again in 1s",
            ),
            (
                TcpEvent::SideFails {
                    side: client,
                    why: "server answered RST: it restarted and has no such connection".into(),
                },
                "client side of the connection fails: server answered RST: it restarted and \
                 has no such connection",
            ),
            (
                proxy(ProxyLine::Listening {
                    addr: "127.0.0.1:4000".into(),
                    upstream: "127.0.0.1:4001".into(),
                }),
                "listening on 127.0.0.1:4000, forwarding to 127.0.0.1:4001",
            ),
            (proxy(ProxyLine::Opened { conn: 1 }), "connection 1 opened"),
            (
                proxy(ProxyLine::Passed {
                    conn: 1,
                    dir: Dir::ClientToServer,
                    segment: Segment::Fin,
                }),
                "connection 1: client -> server FIN",
            ),
            (
                proxy(ProxyLine::Passed {
                    conn: 2,
                    dir: Dir::ServerToClient,
                    segment: Segment::Rst,
                }),
                "connection 2: server -> client RST",
            ),
            (
                proxy(ProxyLine::Ended {
                    conn: 1,
                    client_to_server: 5,
                    server_to_client: 7,
                }),
                "connection 1 ended: 5 bytes client -> server, 7 bytes server -> client",
            ),
            (
                proxy(ProxyLine::Heal { bytes: 52, fins: 0 }),
                "heal: 52 bytes held are forwarded",
            ),
            (
                proxy(ProxyLine::Heal { bytes: 0, fins: 1 }),
                "heal: 0 bytes held are forwarded, then 1 FIN(s)",
            ),
            (
                proxy(ProxyLine::OnConnection {
                    conn: 2,
                    text: "client -> server FIN held by the partition".into(),
                }),
                "connection 2: client -> server FIN held by the partition",
            ),
            (
                proxy(ProxyLine::Partition),
                "partition: nothing crosses either way; bytes and FINs are held",
            ),
            (
                proxy(ProxyLine::PartitionOneWay {
                    dir: Dir::ServerToClient,
                }),
                "partition server -> client: bytes and FINs that way are held",
            ),
            (
                proxy(ProxyLine::Latency { ms: 200 }),
                "latency: every chunk now takes 200ms longer each way",
            ),
            (
                proxy(ProxyLine::Bandwidth {
                    bytes_per_s: Some(1000),
                }),
                "bandwidth: 1000 bytes/s each way",
            ),
            (
                proxy(ProxyLine::Bandwidth { bytes_per_s: None }),
                "bandwidth: unlimited",
            ),
            (
                proxy(ProxyLine::Crash { side: server }),
                "crash server: everything from and to it is dropped",
            ),
            (
                proxy(ProxyLine::Restart { side: client }),
                "restart client: the next segment on an old connection gets RST",
            ),
            (
                proxy(ProxyLine::Reset { connections: 1 }),
                "reset: RST both ways on 1 connection(s)",
            ),
            (
                proxy(ProxyLine::Close { connections: 2 }),
                "close: FIN both ways on 2 connection(s)",
            ),
            (proxy(ProxyLine::Stop), "stop"),
            (
                proxy(ProxyLine::AcceptFailed {
                    why: "too many open files".into(),
                }),
                "accept failed: too many open files",
            ),
            (
                proxy(ProxyLine::SynWaits {
                    conn: 2,
                    why: SynWait::Partition,
                }),
                "connection 2: SYN to the server held by the partition",
            ),
            (
                proxy(ProxyLine::SynWaits {
                    conn: 1,
                    why: SynWait::ServerDown,
                }),
                "connection 1: SYN to the server unanswered while the server is down",
            ),
            (
                proxy(ProxyLine::SynRefused {
                    conn: 1,
                    why: "no way to the server within the SYN budget".into(),
                }),
                "connection 1: no way to the server within the SYN budget; RST to client",
            ),
            (
                proxy(ProxyLine::ClientCrashedFirst { conn: 3 }),
                "connection 3: the client crashed before the server answered",
            ),
            (
                proxy(ProxyLine::RstFromRestarted {
                    conn: 1,
                    to: client,
                    restarted: server,
                }),
                "connection 1: RST to the client (the server restarted)",
            ),
        ];
        for (event, text) in table {
            assert_eq!(event.to_string(), text, "{event:?}");
        }
    }
}
