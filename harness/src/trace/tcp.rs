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
    /// A line of the real lane's fault proxy.
    Proxy(ProxyLine),
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
    /// What became of a connection, worded by the proxy: a SYN or a
    /// segment held or lost.
    OnConnection {
        conn: u64,
        text: String,
    },
    /// Another fault, worded by the proxy.
    Other {
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
            ProxyLine::OnConnection { conn, text } => write!(f, "connection {conn}: {text}"),
            ProxyLine::Other { text } => f.write_str(text),
        }
    }
}
