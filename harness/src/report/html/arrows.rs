//! What of the trace the sequence diagram draws as arrows and shading:
//! SSH messages each endpoint sent or received, data totals, FIN and RST,
//! and the network faults and host crashes that shade a stretch of time.

use hangar_scenario::{Host, NetFault};

use super::lifelines::Lifeline;
use crate::trace::{ClientEvent, Dir, Event, ProxyLine, Segment, SshEvent, TcpEvent, Way, What};

/// Whether the actor sent the message or received it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Sent,
    Received,
}

/// An SSH message as one endpoint saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Message {
    pub(crate) flow: Flow,
    /// What the arrow says: `exit-status 0`, `EOF`, `data 1048576 B (stdout)`.
    pub(crate) label: String,
    /// Channel data: drawn heavier, and never paired (each side folds its
    /// messages differently, so its totals are drawn as it saw them).
    pub(crate) data: bool,
}

fn way_flow(way: Way) -> Flow {
    match way {
        Way::Sent => Flow::Sent,
        Way::Received => Flow::Received,
    }
}

/// The SSH message an event of an endpoint (`lifeline`) records, if any.
pub(crate) fn message_of(event: &Event, lifeline: Lifeline) -> Option<Message> {
    let message = |flow, label: String| {
        Some(Message {
            flow,
            label,
            data: false,
        })
    };
    match &event.what {
        What::Ssh(ssh) => {
            let (way, label) = ssh_label(ssh)?;
            message(way_flow(way), label)
        }
        What::Client(client) => match client {
            ClientEvent::EofSent => message(Flow::Sent, "EOF".into()),
            ClientEvent::KeepaliveSent => message(Flow::Sent, "keepalive".into()),
            ClientEvent::EofReceived => message(Flow::Received, "EOF".into()),
            ClientEvent::CloseReceived => message(Flow::Received, "CLOSE".into()),
            ClientEvent::ExitStatus { .. } | ClientEvent::ExitSignal { .. } => {
                message(Flow::Received, client.to_string())
            }
            _ => None,
        },
        What::Data { .. } | What::DataRun(_) => {
            let run = event.data_run()?;
            let sends = matches!(
                (lifeline, run.dir),
                (Lifeline::ClientSsh, Dir::ClientToServer) | (Lifeline::Sshd, Dir::ServerToClient)
            );
            Some(Message {
                flow: if sends { Flow::Sent } else { Flow::Received },
                label: format!("data {} B ({})", run.bytes, run.stream.name()),
                data: true,
            })
        }
        _ => None,
    }
}

/// The way and the arrow's words of an SSH message event.
fn ssh_label(event: &SshEvent) -> Option<(Way, String)> {
    Some(match event {
        SshEvent::ChannelOpen { way } => (*way, "channel open".into()),
        SshEvent::PtyReq { way, .. } => (*way, "pty-req".into()),
        SshEvent::Shell { way } => (*way, "shell".into()),
        SshEvent::Exec { way, .. } => (*way, "exec".into()),
        SshEvent::Subsystem { way, name } => (*way, format!("subsystem {name}")),
        SshEvent::Eof { way, .. } => (*way, "EOF".into()),
        SshEvent::Close { way, .. } => (*way, "CLOSE".into()),
        SshEvent::ExitStatus { way, code } => (*way, format!("exit-status {code}")),
        SshEvent::ExitSignal { way, signal } => (*way, format!("exit-signal {signal}")),
        SshEvent::Eow { way } => (*way, "eow@openssh.com".into()),
        _ => return None,
    })
}

/// A FIN or RST on its way, and which way.
pub(crate) fn segment_of(event: &Event) -> Option<(Dir, Segment)> {
    match &event.what {
        What::Tcp(TcpEvent::Segment { dir, segment, .. })
        | What::Tcp(TcpEvent::Proxy(ProxyLine::Passed { dir, segment, .. })) => {
            Some((*dir, *segment))
        }
        _ => None,
    }
}

/// What a fault does to the diagram's shading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shading {
    /// The network stops delivering (a partition or a hold).
    PartitionStarts,
    /// Every partition ends.
    PartitionEnds,
    CrashStarts(Host),
    CrashEnds(Host),
}

/// The shading an event starts or ends, in either lane.
pub(crate) fn shading_of(event: &Event) -> Option<Shading> {
    let fault = match &event.what {
        What::Tcp(TcpEvent::Fault { fault } | TcpEvent::FaultStep { fault }) => fault,
        _ => return None,
    };
    Some(match fault {
        NetFault::Partition | NetFault::PartitionOneWay { .. } | NetFault::Hold => {
            Shading::PartitionStarts
        }
        NetFault::Heal | NetFault::Release => Shading::PartitionEnds,
        NetFault::Crash(host) => Shading::CrashStarts(*host),
        NetFault::Restart(host) => Shading::CrashEnds(*host),
        NetFault::Latency(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::trace::{EofCause, Stream};

    fn event(actor: &str, what: impl Into<What>) -> Event {
        Event {
            at: Duration::ZERO,
            actor: actor.into(),
            what: what.into(),
        }
    }

    #[test]
    fn an_endpoints_ssh_messages_are_arrows_sent_or_received() {
        let sent = event(
            "server sshd[3]",
            SshEvent::ExitStatus {
                way: Way::Sent,
                code: 0,
            },
        );
        assert_eq!(
            message_of(&sent, Lifeline::Sshd),
            Some(Message {
                flow: Flow::Sent,
                label: "exit-status 0".into(),
                data: false
            })
        );
        let received = event(
            "client ssh[3]",
            SshEvent::Eof {
                way: Way::Received,
                cause: EofCause::Plain,
            },
        );
        assert_eq!(
            message_of(&received, Lifeline::ClientSsh).map(|m| (m.flow, m.label)),
            Some((Flow::Received, "EOF".to_string()))
        );
        let said = event("client ssh[3]", SshEvent::Authenticated);
        assert_eq!(message_of(&said, Lifeline::ClientSsh), None);
    }

    #[test]
    fn data_is_sent_by_the_side_its_direction_leaves() {
        let data = Event {
            at: Duration::ZERO,
            actor: "server sshd[3]".into(),
            what: What::Data {
                dir: Dir::ServerToClient,
                stream: Stream::Stdout,
                bytes: 32768,
            },
        };
        let at_server = message_of(&data, Lifeline::Sshd).unwrap();
        assert_eq!(at_server.flow, Flow::Sent);
        assert_eq!(at_server.label, "data 32768 B (stdout)");
        assert!(at_server.data);
        assert_eq!(
            message_of(&data, Lifeline::ClientSsh).unwrap().flow,
            Flow::Received
        );
    }

    #[test]
    fn faults_shade_and_heals_end_the_shade() {
        let fault = |fault| event("net", TcpEvent::Fault { fault });
        assert_eq!(
            shading_of(&fault(NetFault::Partition)),
            Some(Shading::PartitionStarts)
        );
        assert_eq!(
            shading_of(&fault(NetFault::Heal)),
            Some(Shading::PartitionEnds)
        );
        assert_eq!(
            shading_of(&fault(NetFault::Crash(Host::Server))),
            Some(Shading::CrashStarts(Host::Server))
        );
        assert_eq!(
            shading_of(&fault(NetFault::Latency(Duration::from_millis(5)))),
            None
        );
    }
}
