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

    #[test]
    fn times_have_millisecond_resolution() {
        assert_eq!(format_time(Duration::from_micros(12_004_900)), "12.004s");
    }
}
