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

use super::event::{Dir, Event, Stream, What};

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
            What::Text(text) => text.clone(),
            What::Data { dir, stream, .. } => {
                // Merge the run of data messages that continues this one.
                let mut total = 0;
                let mut messages = 0;
                let mut j = i;
                while let Some(Event {
                    actor,
                    what:
                        What::Data {
                            dir: d,
                            stream: s,
                            bytes,
                        },
                    ..
                }) = events.get(j)
                {
                    if actor != &event.actor || d != dir || s != stream {
                        break;
                    }
                    total += bytes;
                    messages += 1;
                    j += 1;
                }
                let last = &events[j - 1];
                i = j - 1;
                let arrow = match dir {
                    Dir::ClientToServer if event.actor.starts_with("client") => "->",
                    Dir::ServerToClient if event.actor.starts_with("server") => "->",
                    _ => "<-",
                };
                let stream = match stream {
                    Stream::Stdin => "stdin",
                    Stream::Stdout => "stdout",
                    Stream::Stderr => "stderr",
                };
                let span = if last.at != event.at {
                    format!(" until {}", format_time(last.at))
                } else {
                    String::new()
                };
                let plural = if messages == 1 { "" } else { "s" };
                format!("{arrow} data {total} bytes ({stream}, {messages} message{plural}{span})")
            }
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

#[cfg(test)]
mod tests {
    use super::*;

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
