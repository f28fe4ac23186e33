//! Plain-text form of a trace, one event per line:
//!
//! ```text
//!    0.004s  client ssh[2]      -> exec "sleep 30 &"
//!    0.006s  server sh[3]       exit 0
//! ```
//!
//! Columns: virtual time (seconds, millisecond precision), the actor, what
//! happened. `->` is an SSH message the actor sent, `<-` one it received.

use std::fmt::Write;
use std::time::Duration;

use super::event::{DataRun, Dir, Event, What};

/// `12.004s`: seconds with milliseconds, the resolution of the simulated clock.
pub fn format_time(at: Duration) -> String {
    format!("{}.{:03}s", at.as_secs(), at.subsec_millis())
}

pub fn render_events(events: &[Event]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < events.len() {
        let event = &events[i];
        let line = match &event.what {
            What::Data { dir, stream, bytes } => {
                let run = DataRun::one(*dir, *stream, *bytes, event.at);
                data_line(
                    &event.actor,
                    event.at,
                    &merge_following(events, &mut i, run),
                )
            }
            What::DataRun(run) => {
                let run = merge_following(events, &mut i, run.clone());
                data_line(&event.actor, event.at, &run)
            }
            what => what.to_string(),
        };
        let _ = writeln!(
            out,
            "{:>9}  {:<18} {}",
            format_time(event.at),
            event.actor,
            line
        );
        i += 1;
    }
    out
}

/// What happened in one event, as its trace line words it (without the
/// time and the actor); a data event reads as a run of its own.
pub fn event_text(event: &Event) -> String {
    match event.data_run() {
        Some(run) => data_line(&event.actor, event.at, &run),
        None => event.what.to_string(),
    }
}

/// Merges into `run`, the data of `events[*i]`, the data messages that
/// continue it, and leaves `*i` at the last one merged. The log keeps them
/// merged already; a list built by hand may not be.
fn merge_following(events: &[Event], i: &mut usize, mut run: DataRun) -> DataRun {
    let actor = &events[*i].actor;
    while let Some(next) = events.get(*i + 1) {
        match next.data_run() {
            Some(more) if &next.actor == actor && run.continued_by(more.dir, more.stream) => {
                run.extend(&more);
                *i += 1;
            }
            _ => break,
        }
    }
    run
}

/// `-> data 30 bytes (stdout, 2 messages until 0.005s)`
fn data_line(actor: &str, at: Duration, run: &DataRun) -> String {
    let arrow = match run.dir {
        Dir::ClientToServer if actor.starts_with("client") => "->",
        Dir::ServerToClient if actor.starts_with("server") => "->",
        _ => "<-",
    };
    let stream = run.stream.name();
    let span = if run.until != at {
        format!(" until {}", format_time(run.until))
    } else {
        String::new()
    };
    let (total, messages) = (run.bytes, run.messages);
    let plural = if messages == 1 { "" } else { "s" };
    format!("{arrow} data {total} bytes ({stream}, {messages} message{plural}{span})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Stream;

    fn data(at_ms: u64, bytes: u64) -> Event {
        Event {
            at: Duration::from_millis(at_ms),
            actor: "server sshd".into(),
            what: What::Data {
                dir: Dir::ServerToClient,
                stream: Stream::Stdout,
                bytes,
            },
        }
    }

    #[test]
    fn consecutive_data_messages_render_as_one_line() {
        let text = render_events(&[data(4, 10), data(5, 20)]);
        assert_eq!(
            text,
            "   0.004s  server sshd        -> data 30 bytes (stdout, 2 messages until 0.005s)\n"
        );
    }

    /// One event of each group, as a whole trace line: time, actor, text.
    #[test]
    fn every_group_renders_its_line() {
        use crate::trace::{
            ClientEvent, EofCause, HarnessEvent, PipeEvent, ProcessEvent, ScpEvent, SshEvent,
            TtyEvent, Way,
        };
        let at = |ms: u64, actor: &str, what: What| Event {
            at: Duration::from_millis(ms),
            actor: actor.into(),
            what,
        };
        let table: Vec<(Event, &str)> = vec![
            (
                at(
                    11,
                    "client ssh[2]",
                    SshEvent::Eof {
                        way: Way::Sent,
                        cause: EofCause::EndOfStdin,
                    }
                    .into(),
                ),
                "   0.011s  client ssh[2]      -> EOF (end of its stdin)",
            ),
            (
                at(5, "client ssh[77]", ClientEvent::KeepaliveSent.into()),
                "   0.005s  client ssh[77]     keepalive sent",
            ),
            (
                at(
                    7,
                    "client scp[3]",
                    ScpEvent::Acknowledged { name: "big".into() }.into(),
                ),
                "   0.007s  client scp[3]      <- big acknowledged",
            ),
            (
                at(
                    30_012,
                    "server sleep[5]",
                    ProcessEvent::Exited { code: 0 }.into(),
                ),
                "  30.012s  server sleep[5]    exit 0",
            ),
            (
                at(
                    1,
                    "server sshd[3]",
                    PipeEvent::EofRead {
                        stream: Stream::Stdout,
                    }
                    .into(),
                ),
                "   0.001s  server sshd[3]     reads EOF on the child's stdout pipe",
            ),
            (
                at(
                    2,
                    "client terminal",
                    TtyEvent::Typed { text: "~.".into() }.into(),
                ),
                "   0.002s  client terminal    types \"~.\"",
            ),
            (
                at(
                    3,
                    "client",
                    HarnessEvent::CommandLineExit { n: 1, code: 0 }.into(),
                ),
                "   0.003s  client             command line 1 exit 0",
            ),
            (
                data(4, 10),
                "   0.004s  server sshd        -> data 10 bytes (stdout, 1 message)",
            ),
        ];
        for (event, line) in table {
            assert_eq!(
                render_events(std::slice::from_ref(&event)),
                format!("{line}\n")
            );
            assert!(line.ends_with(&event_text(&event)), "{line}");
        }
    }

    #[test]
    fn times_have_millisecond_resolution() {
        assert_eq!(format_time(Duration::from_micros(12_004_900)), "12.004s");
    }
}
