//! Shared, append-only event log of one run.
//!
//! Data messages are folded as they arrive into the run of data they
//! continue (same actor, direction and stream, nothing else in between):
//! exactly the runs the text form prints as one line, so the log grows with
//! the trace's lines, not with the messages of a stream that never ends.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::event::{DataRun, Event, What};

/// A handle to the run's event log; clones share the log.
#[derive(Clone, Default)]
pub struct Trace {
    events: Arc<Mutex<Vec<Event>>>,
    /// The runner's clock, for events logged between simulation steps
    /// (outside any host, where turmoil has no current time).
    outer_clock: Arc<Mutex<Duration>>,
}

impl Trace {
    /// The virtual time of the current simulation step. Outside a running
    /// simulation (unit tests of host parts) time stands at zero.
    pub fn now(&self) -> Duration {
        crate::sim::clock::now().unwrap_or_else(|| *self.outer_clock.lock().unwrap())
    }

    /// Sets the time used for events logged outside a host.
    pub fn set_outer_clock(&self, now: Duration) {
        *self.outer_clock.lock().unwrap() = now;
    }

    /// Records `what` at the current time.
    pub fn log(&self, actor: impl Into<String>, what: impl Into<What>) {
        self.push(actor.into(), what.into());
    }

    pub fn push(&self, actor: String, what: What) {
        let now = self.now();
        crate::sim::clock::note_activity_at(now);
        self.push_at(now, actor, what);
    }

    pub fn push_at(&self, at: Duration, actor: String, what: What) {
        let mut events = self.events.lock().unwrap();
        let run = match what {
            What::Data { dir, stream, bytes } => DataRun::one(dir, stream, bytes, at),
            What::DataRun(run) => run,
            what => {
                events.push(Event { at, actor, what });
                return;
            }
        };
        if let Some(Event {
            actor: last_actor,
            what: What::DataRun(last),
            ..
        }) = events.last_mut()
            && *last_actor == actor
            && last.continued_by(run.dir, run.stream)
        {
            last.extend(&run);
            return;
        }
        events.push(Event {
            at,
            actor,
            what: What::DataRun(run),
        });
    }

    /// The events so far. The last one, when it is a [`What::DataRun`], may
    /// still grow.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    /// The events from index `start` on (the ones not looked at yet).
    pub fn events_from(&self, start: usize) -> Vec<Event> {
        let events = self.events.lock().unwrap();
        events
            .get(start..)
            .map(<[Event]>::to_vec)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Dir, Stream, render_events};

    fn data(dir: Dir, stream: Stream, bytes: u64) -> What {
        What::Data { dir, stream, bytes }
    }

    #[test]
    fn a_stream_of_data_messages_is_kept_as_one_event() {
        let trace = Trace::default();
        for ms in 0..100_000u64 {
            let what = data(Dir::ServerToClient, Stream::Stdout, 16_384);
            trace.push_at(Duration::from_millis(ms), "server sshd[3]".into(), what);
        }
        let events = trace.events();
        assert_eq!(events.len(), 1);
        assert_eq!(
            render_events(&events),
            "   0.000s  server sshd[3]     -> data 1638400000 bytes \
             (stdout, 100000 messages until 99.999s)\n"
        );
    }

    /// A small deterministic generator (xorshift), so the mix below is the
    /// same on every run.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn folding_as_recorded_renders_every_byte_as_the_messages_one_by_one() {
        let actors = ["server sshd[3]", "client ssh[2]", "client ssh[4]"];
        let dirs = [Dir::ServerToClient, Dir::ClientToServer];
        let streams = [Stream::Stdin, Stream::Stdout, Stream::Stderr];
        let trace = Trace::default();
        let mut raw = Vec::new();
        let (mut state, mut ms, mut actor) = (0x9e37_79b9_7f4a_7c15u64, 0, actors[0]);
        for _ in 0..20_000 {
            let r = next(&mut state);
            // Mostly data, now and then a text line or another actor between
            // runs; time moves on in some steps and stands still in others.
            ms += r % 3;
            if r.is_multiple_of(11) {
                actor = actors[(r >> 8) as usize % actors.len()];
            }
            let what = if r.is_multiple_of(13) {
                What::Process(crate::trace::ProcessEvent::Exited {
                    code: (r % 5) as i32,
                })
            } else {
                let dir = dirs[usize::from(r.is_multiple_of(29))];
                let stream = streams
                    [1 + usize::from(r.is_multiple_of(31)) - usize::from(r.is_multiple_of(37))];
                data(dir, stream, (r >> 20) % 40_000)
            };
            let at = Duration::from_millis(ms);
            raw.push(Event {
                at,
                actor: actor.to_string(),
                what: what.clone(),
            });
            trace.push_at(at, actor.to_string(), what);
        }
        let folded = trace.events();
        assert!(folded.len() < raw.len() / 2, "{} events", folded.len());
        assert_eq!(render_events(&folded), render_events(&raw));
        // Reading the log as it grows sees the same lines.
        let start = folded.len() / 2;
        assert_eq!(trace.events_from(start), folded[start..]);
    }
}
