//! The order of a run's teardown events, stream by stream, and the times
//! its steps happened, read from its trace in one place: the only code of
//! the lane comparison that reads event text, so that it can read typed
//! events instead when the trace has them.

use std::time::Duration;

use hangar_scenario::{Action, Scenario};

use crate::sim::RunResult;
use crate::trace::What;

/// A teardown event both lanes see, from the client's side of the
/// session: what it received on the channel, and how the connection
/// under it ended when it did not end cleanly. The sim's trace has no
/// TCP FIN (its network model does not log segments), so the client's
/// view is what both lanes can put in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Teardown {
    ExitStatus,
    ExitSignal,
    Eof,
    Close,
    /// The connection failed under the session: reset by the peer (RST),
    /// or a write after the RST failed (the sim's ssh reports the reset
    /// itself, the real one often the broken pipe of its next write).
    ConnectionLost,
    /// The client's keepalives went unanswered and it gave up.
    KeepaliveTimeout,
}

impl Teardown {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Teardown::ExitStatus => "exit-status",
            Teardown::ExitSignal => "exit-signal",
            Teardown::Eof => "eof",
            Teardown::Close => "close",
            Teardown::ConnectionLost => "connection-lost",
            Teardown::KeepaliveTimeout => "keepalive-timeout",
        }
    }
}

/// One stream's teardown events in the order they were seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StreamOrder {
    /// `client ssh`, then `client ssh 2`... in the order the clients
    /// first showed a teardown event (pids differ between runs).
    pub(crate) stream: String,
    pub(crate) events: Vec<Teardown>,
}

/// The teardown events of every client ssh of a run, one stream each.
pub(crate) fn teardown_orders(result: &RunResult) -> Vec<StreamOrder> {
    let mut actors: Vec<&str> = Vec::new();
    let mut orders: Vec<StreamOrder> = Vec::new();
    for event in &result.events {
        let What::Text(text) = &event.what else {
            continue;
        };
        if !event.actor.starts_with("client ssh") {
            continue;
        }
        let Some(kind) = teardown_kind(text) else {
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

/// When the run's steps happened, as its trace shows them in both lanes:
/// a command line's shell started by the client's init, a terminal's
/// keystrokes or resize, one of the scenario's network faults (the sim's
/// network also logs what a fault led to, which is no step). A
/// `wait_for` and the real lane's slower typing put steps later than the
/// scenario's times.
pub(crate) fn step_times(scenario: &Scenario, result: &RunResult) -> Vec<Duration> {
    let faults: Vec<String> = scenario
        .steps
        .iter()
        .filter_map(|step| match &step.action {
            Action::Net(fault) => Some(fault.to_string()),
            _ => None,
        })
        .collect();
    result
        .events
        .iter()
        .filter(|event| {
            let What::Text(text) = &event.what else {
                return false;
            };
            match event.actor.as_str() {
                "net" => faults.iter().any(|fault| text.starts_with(fault.as_str())),
                "client terminal" => true,
                actor => actor.starts_with("client sh[") && text == "started by client init[1]",
            }
        })
        .map(|event| event.at)
        .collect()
}

/// A client's trace line as a teardown event: the sim's words
/// (`<- exit-status 7`, `<- EOF`) and the real lane's, from the client's
/// log (`exit-status 7`, `channel eof received`).
fn teardown_kind(text: &str) -> Option<Teardown> {
    let text = text.strip_prefix("<- ").unwrap_or(text);
    if text.starts_with("exit-status") {
        Some(Teardown::ExitStatus)
    } else if text.starts_with("exit-signal") {
        Some(Teardown::ExitSignal)
    } else if text == "EOF" || text == "channel eof received" {
        Some(Teardown::Eof)
    } else if text == "CLOSE" || text == "channel close received" {
        Some(Teardown::Close)
    } else if text.starts_with("connection lost: ")
        || text.contains("Connection reset")
        || text.contains("Broken pipe")
    {
        Some(Teardown::ConnectionLost)
    } else if text.starts_with("Timeout, server") || text == "keepalive timeout" {
        Some(Teardown::KeepaliveTimeout)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_lanes_words_give_the_same_events() {
        for (sim, real, kind) in [
            ("<- exit-status 7", "exit-status 7", Teardown::ExitStatus),
            ("<- exit-signal TERM", "exit-signal", Teardown::ExitSignal),
            ("<- EOF", "channel eof received", Teardown::Eof),
            ("<- CLOSE", "channel close received", Teardown::Close),
            (
                "client_loop: send disconnect: Connection reset by peer",
                "connection lost: broken pipe",
                Teardown::ConnectionLost,
            ),
            (
                "client_loop: send disconnect: Broken pipe",
                "connection lost: reset",
                Teardown::ConnectionLost,
            ),
            (
                "Timeout, server server not responding.",
                "keepalive timeout",
                Teardown::KeepaliveTimeout,
            ),
        ] {
            assert_eq!(teardown_kind(sim), Some(kind), "{sim}");
            assert_eq!(teardown_kind(real), Some(kind), "{real}");
        }
        // What the client sends is not in the order: its EOF races the
        // server's in the real lane (a command line's stdin is /dev/null).
        assert_eq!(teardown_kind("-> EOF (end of its stdin)"), None);
        assert_eq!(teardown_kind("channel eof sent"), None);
        assert_eq!(teardown_kind("-> CLOSE (the answer)"), None);
    }
}
