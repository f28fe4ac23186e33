//! Shared, append-only event log of one run.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::event::{Event, What};

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
        crate::clock::now().unwrap_or_else(|| *self.outer_clock.lock().unwrap())
    }

    /// Sets the time used for events logged outside a host.
    pub fn set_outer_clock(&self, now: Duration) {
        *self.outer_clock.lock().unwrap() = now;
    }

    pub fn log(&self, actor: impl Into<String>, text: impl Into<String>) {
        self.push(actor.into(), What::Text(text.into()));
    }

    pub fn push(&self, actor: String, what: What) {
        let now = self.now();
        crate::clock::note_activity_at(now);
        self.push_at(now, actor, what);
    }

    pub fn push_at(&self, at: Duration, actor: String, what: What) {
        self.events.lock().unwrap().push(Event { at, actor, what });
    }

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
