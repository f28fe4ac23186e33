//! The order of a run's teardown events, stream by stream, read from the
//! typed events of its trace in one place: the sim's SSH messages and
//! the real client's log name the same events with different types.

use crate::trace::{ClientEnd, ClientEvent, Event, SshEvent, Way, What};

/// A teardown event both lanes see, from the client's side of the
/// session: what it received on the channel, and how the connection
/// under it ended when it did not end cleanly. The sim's trace has no
/// TCP FIN (its network model does not log segments), so the client's
/// view is what both lanes can put in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TeardownEvent {
    ExitStatus,
    ExitSignal,
    Eof,
    Close,
    /// The connection failed under the session: closed or reset by the
    /// peer, or a write after the RST failed (the sim's ssh reports the
    /// reset itself, the real one often the broken pipe of its next
    /// write; on loopback the real one may see the RST that answered its
    /// last write before the FIN that came first, where the sim's reads
    /// the FIN: both are ssh's fatal "connection lost").
    ConnectionLost,
    /// The client's keepalives went unanswered and it gave up.
    KeepaliveTimeout,
}

impl TeardownEvent {
    pub fn name(self) -> &'static str {
        match self {
            TeardownEvent::ExitStatus => "exit-status",
            TeardownEvent::ExitSignal => "exit-signal",
            TeardownEvent::Eof => "eof",
            TeardownEvent::Close => "close",
            TeardownEvent::ConnectionLost => "connection-lost",
            TeardownEvent::KeepaliveTimeout => "keepalive-timeout",
        }
    }
}

/// The teardown events of the first client ssh that showed one: the
/// client whose order `[expect] order` checks.
pub fn client_teardown(events: &[Event]) -> Vec<TeardownEvent> {
    teardown_orders(events)
        .into_iter()
        .next()
        .map(|order| order.events)
        .unwrap_or_default()
}

/// One stream's teardown events in the order they were seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamOrder {
    /// `client ssh`, then `client ssh 2`... in the order the clients
    /// first showed a teardown event (pids differ between runs).
    pub stream: String,
    pub events: Vec<TeardownEvent>,
}

/// The teardown events of every client ssh of a run, one stream each.
pub fn teardown_orders(events: &[Event]) -> Vec<StreamOrder> {
    let mut actors: Vec<&str> = Vec::new();
    let mut orders: Vec<StreamOrder> = Vec::new();
    for event in events {
        if !event.actor.starts_with("client ssh") {
            continue;
        }
        let Some(kind) = teardown_kind(&event.what) else {
            continue;
        };
        let n = match actors.iter().position(|a| *a == event.actor) {
            Some(n) => n,
            None => {
                actors.push(&event.actor);
                let stream = match actors.len() {
                    1 => "client ssh".to_string(),
                    n => format!("client ssh {n}"),
                };
                orders.push(StreamOrder {
                    stream,
                    events: Vec::new(),
                });
                actors.len() - 1
            }
        };
        orders[n].events.push(kind);
    }
    orders
}

/// A client's event as a teardown event: the sim's messages received
/// (`<- exit-status 7`, `<- EOF`) and the real client's log
/// (`exit-status 7`, `channel eof received`). What the client sends is
/// not in the order: its EOF races the server's in the real lane (a
/// command line's stdin is /dev/null).
fn teardown_kind(what: &What) -> Option<TeardownEvent> {
    let lost = |why: &str| why.contains("Connection reset") || why.contains("Broken pipe");
    match what {
        What::Ssh(SshEvent::ExitStatus {
            way: Way::Received, ..
        })
        | What::Client(ClientEvent::ExitStatus { .. }) => Some(TeardownEvent::ExitStatus),
        What::Ssh(SshEvent::ExitSignal {
            way: Way::Received, ..
        })
        | What::Client(ClientEvent::ExitSignal { .. }) => Some(TeardownEvent::ExitSignal),
        What::Ssh(SshEvent::Eof {
            way: Way::Received, ..
        })
        | What::Client(ClientEvent::EofReceived) => Some(TeardownEvent::Eof),
        What::Ssh(SshEvent::Close {
            way: Way::Received, ..
        })
        | What::Client(ClientEvent::CloseReceived) => Some(TeardownEvent::Close),
        // ssh's fatal error on the connection (packet.c sshpkt_vfatal):
        // closed, reset, timed out, or a write that a reset broke; or the
        // server's FIN under an open channel (clientloop.c "closed by
        // remote host"). The real lane's log and stderr name each; the
        // sim's ssh says which errno it got.
        What::Client(ClientEvent::ConnectionLost { .. })
        | What::Ssh(SshEvent::ClientDisconnected {
            why: ClientEnd::SendFailed(_) | ClientEnd::ClosedByRemote,
        }) => Some(TeardownEvent::ConnectionLost),
        What::Ssh(SshEvent::ClientDisconnected {
            why: ClientEnd::Ended(why),
        }) if lost(why) => Some(TeardownEvent::ConnectionLost),
        What::Ssh(SshEvent::ClientDisconnected {
            why: ClientEnd::KeepaliveTimeout,
        })
        | What::Client(ClientEvent::KeepaliveTimeout) => Some(TeardownEvent::KeepaliveTimeout),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::EofCause;

    #[test]
    fn both_lanes_events_give_the_same_teardown_events() {
        let received = Way::Received;
        let sent = Way::Sent;
        let sim_lost = |why: &str| SshEvent::ClientDisconnected {
            why: ClientEnd::SendFailed(why.into()),
        };
        for (sim, real, kind) in [
            (
                What::Ssh(SshEvent::ExitStatus {
                    way: received,
                    code: 7,
                }),
                What::Client(ClientEvent::ExitStatus { code: Some(7) }),
                TeardownEvent::ExitStatus,
            ),
            (
                What::Ssh(SshEvent::ExitSignal {
                    way: received,
                    signal: "TERM".into(),
                }),
                What::Client(ClientEvent::ExitSignal { signal: None }),
                TeardownEvent::ExitSignal,
            ),
            (
                What::Ssh(SshEvent::Eof {
                    way: received,
                    cause: EofCause::Plain,
                }),
                What::Client(ClientEvent::EofReceived),
                TeardownEvent::Eof,
            ),
            (
                What::Ssh(SshEvent::Close {
                    way: received,
                    answer: false,
                }),
                What::Client(ClientEvent::CloseReceived),
                TeardownEvent::Close,
            ),
            (
                What::Ssh(sim_lost("Connection reset by peer")),
                What::Client(ClientEvent::ConnectionLost {
                    why: "broken pipe".into(),
                }),
                TeardownEvent::ConnectionLost,
            ),
            (
                What::Ssh(sim_lost("Connection closed")),
                What::Client(ClientEvent::ConnectionLost {
                    why: "closed".into(),
                }),
                TeardownEvent::ConnectionLost,
            ),
            (
                What::Ssh(sim_lost("Broken pipe")),
                What::Client(ClientEvent::ConnectionLost {
                    why: "reset".into(),
                }),
                TeardownEvent::ConnectionLost,
            ),
            (
                What::Ssh(SshEvent::ClientDisconnected {
                    why: ClientEnd::ClosedByRemote,
                }),
                What::Client(ClientEvent::ConnectionLost {
                    why: "closed by remote host".into(),
                }),
                TeardownEvent::ConnectionLost,
            ),
            (
                What::Ssh(SshEvent::ClientDisconnected {
                    why: ClientEnd::KeepaliveTimeout,
                }),
                What::Client(ClientEvent::KeepaliveTimeout),
                TeardownEvent::KeepaliveTimeout,
            ),
        ] {
            assert_eq!(teardown_kind(&sim), Some(kind), "{sim}");
            assert_eq!(teardown_kind(&real), Some(kind), "{real}");
        }
        for sent in [
            What::Ssh(SshEvent::Eof {
                way: sent,
                cause: EofCause::Plain,
            }),
            What::Client(ClientEvent::EofSent),
            What::Ssh(SshEvent::Close {
                way: sent,
                answer: true,
            }),
        ] {
            assert_eq!(teardown_kind(&sent), None, "{sent}");
        }
    }

    #[test]
    fn scenario_files_name_every_teardown_event() {
        let all = [
            TeardownEvent::ExitStatus,
            TeardownEvent::ExitSignal,
            TeardownEvent::Eof,
            TeardownEvent::Close,
            TeardownEvent::ConnectionLost,
            TeardownEvent::KeepaliveTimeout,
        ];
        let names: Vec<&str> = all.iter().map(|e| e.name()).collect();
        assert_eq!(names, hangar_scenario::TEARDOWN_EVENTS);
    }
}
