//! The simulated world's clock: timers whose deadlines the runner can see,
//! and jumps over idle virtual time.
//!
//! turmoil advances every host by one fixed tick per step, so an idle hour
//! costs 720,000 steps at a 5 ms tick. When nothing can happen before a
//! known moment, the runner instead moves every host's paused tokio clock
//! forward in one go ([`RunClock::plan_jump`]), and an idle hour costs what
//! an idle second does. The jump must change no trace byte, so it is taken
//! only when the runner can prove the world is quiet until the next deadline:
//!
//! - every timer of the simulated hosts goes through [`sleep`],
//!   [`sleep_until`], [`timeout`] or an [`Alarm`], which enter their
//!   deadline in the run's books;
//! - the timers inside russh (keepalives) are not ours, but each is re-armed
//!   only in a loop turn that reads or writes the connection, so its
//!   deadline is at most one interval after some [`note_activity`] (the
//!   network streams and the trace note theirs);
//! - nothing is in flight: no activity for longer than a segment takes to
//!   arrive.
//!
//! The jump lands on the tick grid and one tick short of the deadline, so
//! the deadline itself is stepped through as without the jump: same seed,
//! same bytes, with or without jumps (tested in `tests/idle_time.rs`).
//!
//! The books are per thread: a run drives all its hosts on the thread that
//! called the runner, and [`RunClock`] installs them for the run's length.
//! Outside a run (unit tests of host parts) timers are plain tokio timers.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

thread_local! {
    static BOOKS: RefCell<Option<Books>> = const { RefCell::new(None) };
    static JUMPS_OFF: Cell<bool> = const { Cell::new(false) };
    static LAST_RUN: Cell<Steps> = const { Cell::new(Steps { steps: 0, jumps: 0 }) };
}

/// How a run's virtual time went by: turmoil steps taken, and how many of
/// them jumped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Steps {
    pub steps: u64,
    pub jumps: u64,
}

/// The steps of the last run that ended on this thread.
pub fn last_run_steps() -> Steps {
    LAST_RUN.with(Cell::get)
}

/// Runs `f` with idle jumps turned off on this thread: every tick is
/// stepped through, as the check that jumps change nothing needs.
pub fn without_jumps<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            JUMPS_OFF.with(|off| off.set(self.0));
        }
    }
    let _restore = Restore(JUMPS_OFF.with(|off| off.replace(true)));
    f()
}

#[derive(Default)]
struct Books {
    /// Virtual time jumped over, which turmoil's own count of ticks lacks.
    skipped: Duration,
    /// Pending deadlines of the hosts' timers, in virtual time, by alarm id.
    alarms: BTreeMap<u64, Duration>,
    next_alarm: u64,
    /// Distinct virtual times at which something happened, oldest first,
    /// kept for the longest keepalive interval.
    activity: VecDeque<Duration>,
    /// Intervals of timers that are re-armed at activity (russh keepalives).
    rearmed_timers: Vec<Duration>,
    /// Each running host's clock hand, by host name.
    hands: BTreeMap<&'static str, Hand>,
    steps: Steps,
    jumps_off: bool,
}

/// What moves one host's clock: a task on the host waiting for a jump.
#[derive(Clone, Default)]
struct Hand {
    wake: Arc<Notify>,
    jump: Arc<Mutex<Option<Duration>>>,
}

fn with_books<T>(f: impl FnOnce(&mut Books) -> T) -> Option<T> {
    BOOKS.with(|books| books.borrow_mut().as_mut().map(f))
}

/// The virtual time inside a running host, or `None` outside one.
pub fn now() -> Option<Duration> {
    let elapsed = turmoil::sim_elapsed()?;
    Some(elapsed + with_books(|b| b.skipped).unwrap_or_default())
}

/// Something happened on a host now: a segment was read or written, an
/// event logged, a timer fired.
pub fn note_activity() {
    if let Some(at) = now() {
        note_activity_at(at);
    }
}

/// Something happened at virtual time `at` (on a host, or in the runner
/// between steps: a step applied, a key typed).
pub fn note_activity_at(at: Duration) {
    with_books(|b| {
        if b.activity.back() != Some(&at) {
            b.activity.push_back(at);
        }
    });
}

/// A timer outside our reach (russh's keepalive) that is re-armed, `every`
/// from then, whenever the connection is read or written.
pub fn note_rearmed_timer(every: Duration) {
    with_books(|b| {
        if !b.rearmed_timers.contains(&every) {
            b.rearmed_timers.push(every);
        }
    });
}

/// A deadline of a host's timer, entered in the run's books while set.
#[derive(Default)]
pub struct Alarm(Option<u64>);

impl Alarm {
    /// Sets the deadline to `at` on the current host's clock.
    /// A stream re-sets its timer on every poll: the alarm keeps its entry
    /// and only moves the deadline.
    pub fn set(&mut self, at: Instant) {
        let Some(now) = now() else { return };
        let due = now.saturating_add(at.saturating_duration_since(Instant::now()));
        let kept = self.0;
        self.0 = with_books(|b| {
            let id = kept.unwrap_or_else(|| {
                b.next_alarm += 1;
                b.next_alarm
            });
            b.alarms.insert(id, due);
            id
        });
    }

    pub fn clear(&mut self) {
        if let Some(id) = self.0.take() {
            with_books(|b| b.alarms.remove(&id));
        }
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        self.clear();
    }
}

/// `tokio::time::sleep_until` with the deadline in the books.
pub async fn sleep_until(at: Instant) {
    let mut alarm = Alarm::default();
    alarm.set(at);
    tokio::time::sleep_until(at).await;
    alarm.clear();
    note_activity();
}

/// `tokio::time::sleep` with the deadline in the books. A duration past
/// the clock's range sleeps for ever, as sleep(1) does with `inf`.
pub async fn sleep(duration: Duration) {
    match Instant::now().checked_add(duration) {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// `tokio::time::timeout` with the deadline in the books: `None` when
/// `duration` passed first.
pub async fn timeout<F: Future>(duration: Duration, future: F) -> Option<F::Output> {
    tokio::select! {
        out = future => Some(out),
        () = sleep(duration) => None,
    }
}

/// Starts the current host's clock hand: call once from the host's
/// software, each time it starts.
pub fn start_hand(host: &'static str) {
    let Some(hand) = with_books(|b| {
        let hand = Hand::default();
        b.hands.insert(host, hand.clone());
        hand
    }) else {
        return;
    };
    tokio::spawn(async move {
        loop {
            hand.wake.notified().await;
            let jump = hand.jump.lock().unwrap().take();
            if let Some(jump) = jump {
                tokio::time::advance(jump).await;
            }
        }
    });
}

/// The books of one run, installed on this thread while it lives.
pub struct RunClock(());

/// What the runner knows when it looks for a jump.
pub struct Quiet {
    /// The current virtual time.
    pub now: Duration,
    /// turmoil's tick.
    pub tick: Duration,
    /// How long a segment can be on its way (turmoil's latency).
    pub in_flight: Duration,
    /// The runner's own next deadline (a step, the horizon, settling).
    pub next_step: Duration,
}

impl RunClock {
    pub fn install() -> RunClock {
        let books = Books {
            jumps_off: JUMPS_OFF.with(Cell::get),
            ..Books::default()
        };
        BOOKS.with(|b| *b.borrow_mut() = Some(books));
        RunClock(())
    }

    /// Virtual time jumped over so far.
    pub fn skipped(&self) -> Duration {
        with_books(|b| b.skipped).unwrap_or_default()
    }

    /// The jump to take before the next step, if the world is quiet until
    /// some later deadline: a whole number of ticks, at least two, ending
    /// one tick before the deadline. Arms every host's hand with it.
    pub fn plan_jump(&self, quiet: &Quiet) -> Option<Duration> {
        with_books(|b| {
            b.steps.steps += 1;
            let jump = b.jump(quiet)?;
            b.steps.jumps += 1;
            for hand in b.hands.values() {
                *hand.jump.lock().unwrap() = Some(jump);
                hand.wake.notify_one();
            }
            Some(jump)
        })
        .flatten()
    }

    /// A step that jumped by `jump` took that long, where turmoil counted
    /// one tick.
    pub fn jumped(&self, jump: Duration, tick: Duration) {
        with_books(|b| b.skipped += jump.saturating_sub(tick));
    }
}

impl Drop for RunClock {
    fn drop(&mut self) {
        if let Some(books) = BOOKS.with(|b| b.borrow_mut().take()) {
            LAST_RUN.with(|last| last.set(books.steps));
        }
    }
}

impl Books {
    fn jump(&mut self, quiet: &Quiet) -> Option<Duration> {
        let Quiet {
            now,
            tick,
            in_flight,
            next_step,
        } = *quiet;
        if self.jumps_off || tick.is_zero() || self.hands.is_empty() {
            return None;
        }
        let longest = self
            .rearmed_timers
            .iter()
            .max()
            .copied()
            .unwrap_or_default();
        while self
            .activity
            .front()
            .is_some_and(|at| *at + longest < now && self.activity.len() > 1)
        {
            self.activity.pop_front();
        }
        let last = self.activity.back().copied().unwrap_or_default();
        if last + in_flight + tick * 2 > now {
            return None;
        }
        let mut deadline = next_step;
        if let Some(alarm) = self.alarms.values().min() {
            deadline = deadline.min(*alarm);
        }
        // A re-armed timer was last armed at some activity: its deadline
        // is an interval after the first activity it may still be waiting
        // from. One that fell due at the end of the last tick has not run
        // yet (turmoil's own tick timer ends the tick first), so "may still
        // be waiting" reaches a tick back.
        for every in &self.rearmed_timers {
            let armed = self.activity.iter().find(|at| **at + *every + tick >= now);
            if let Some(armed) = armed {
                deadline = deadline.min(*armed + *every);
            }
        }
        let ticks = deadline.saturating_sub(now).as_nanos() / tick.as_nanos();
        let ticks = u32::try_from(ticks.saturating_sub(1)).unwrap_or(u32::MAX);
        (ticks >= 2).then(|| tick * ticks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn books(activity: &[u64], alarms: &[u64], rearmed: &[u64]) -> Books {
        let ms = Duration::from_millis;
        let mut books = Books {
            activity: activity.iter().map(|a| ms(*a)).collect(),
            alarms: alarms
                .iter()
                .map(|a| ms(*a))
                .enumerate()
                .map(|(i, a)| (i as u64, a))
                .collect(),
            rearmed_timers: rearmed.iter().map(|a| ms(*a)).collect(),
            ..Books::default()
        };
        books.hands.insert("host", Hand::default());
        books
    }

    fn quiet(now: u64, next_step: u64) -> Quiet {
        Quiet {
            now: Duration::from_millis(now),
            tick: Duration::from_millis(5),
            in_flight: Duration::from_millis(1),
            next_step: Duration::from_millis(next_step),
        }
    }

    #[test]
    fn a_quiet_world_jumps_to_one_tick_before_the_next_alarm() {
        let mut b = books(&[100], &[10_000], &[]);
        // From 200 ms to 9995 ms: 1959 ticks of 5 ms.
        assert_eq!(
            b.jump(&quiet(200, 60_000)),
            Some(Duration::from_millis(9_795))
        );
    }

    #[test]
    fn recent_activity_or_a_near_deadline_means_no_jump() {
        let mut b = books(&[198], &[10_000], &[]);
        assert_eq!(
            b.jump(&quiet(200, 60_000)),
            None,
            "a segment may be in flight"
        );
        let mut b = books(&[100], &[212], &[]);
        assert_eq!(
            b.jump(&quiet(200, 60_000)),
            None,
            "the alarm is two ticks away"
        );
    }

    #[test]
    fn a_rearmed_timer_counts_from_the_first_activity_it_may_wait_from() {
        // A 1 s keepalive armed at 150 ms or 400 ms is due by 1150 ms.
        let mut b = books(&[150, 400], &[], &[1_000]);
        assert_eq!(
            b.jump(&quiet(500, 60_000)),
            Some(Duration::from_millis(645))
        );
        // Once 150 ms + 1 s is past, it waits from 400 ms at the earliest.
        assert_eq!(
            b.jump(&quiet(1_200, 60_000)),
            Some(Duration::from_millis(195))
        );
    }

    #[test]
    fn without_hosts_nothing_jumps() {
        let mut b = books(&[], &[], &[]);
        b.hands.clear();
        assert_eq!(b.jump(&quiet(200, 60_000)), None);
    }
}
