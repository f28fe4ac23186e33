//! The step loop both lanes run: apply the steps that are due, notice the
//! command lines that ended, and stop once everything ended and the world
//! settled, or at the horizon. A lane ([`Lane`]) owns the world; the loop
//! only decides what happens when.

use std::time::Duration;

use super::result::RunError;
use super::timeline::{Due, Timeline, UserTerminal};
use crate::trace::{HarnessEvent, Trace};

/// The actor of the harness's own events in a trace.
pub const HARNESS: &str = "harness";

/// One lane's world as the step loop drives it.
pub trait Lane {
    /// The run's time now: virtual in the sim, since the start in the
    /// real lane.
    fn now(&self) -> Duration;
    /// Looks at the world before the timeline acts (the terminal's screen).
    fn look(&mut self, trace: &Trace);
    /// The client's terminal, for scenarios that use one.
    fn terminal(&mut self) -> Option<&mut dyn UserTerminal>;
    /// Applies one due step at `now`.
    fn apply(&mut self, now: Duration, step: Due<'_>) -> Result<(), RunError>;
    /// Notices the command lines that ended since the last call.
    fn poll(&mut self, trace: &Trace);
    /// Whether a command line, or an ssh at the terminal, still runs.
    fn running(&self) -> bool;
    /// Whether the server has nothing left but its listener.
    fn server_quiet(&self) -> bool;
    /// Lets the world go on until the next look; `wake` says when the loop
    /// next has something to do on its own.
    fn advance(&mut self, now: Duration, wake: Wake) -> Result<(), RunError>;
}

/// When the loop next acts without the world doing anything.
pub struct Wake {
    /// The next step's time, the settle deadline or the horizon.
    pub at: Duration,
    /// Keys are being typed: one per tick.
    pub typing: bool,
}

/// How a run waits for the world to settle once everything ended.
pub struct Settle {
    /// How long the world must stay quiet, with the server down to its
    /// listener, before the run stops.
    pub quiet: Duration,
    /// How long the run waits at most for the server to get there.
    pub linger: Duration,
    pub horizon: Duration,
}

/// How the loop ended.
pub struct Stopped {
    /// The run stopped at the horizon (or a wait's timeout) rather than by
    /// settling.
    pub hit_horizon: bool,
    /// A `wait_for` whose timeout ran out, worded for the report.
    pub timed_out: Option<String>,
}

/// Runs `timeline` in `lane` until the run stops.
pub fn run_steps(
    lane: &mut dyn Lane,
    timeline: &mut Timeline<'_>,
    trace: &Trace,
    settle: &Settle,
) -> Result<Stopped, RunError> {
    let mut settled_since: Option<Duration> = None;
    loop {
        let now = lane.now();
        trace.set_outer_clock(now);
        lane.look(trace);
        let due = match timeline.advance(now, lane.terminal(), trace) {
            Ok(due) => due,
            Err(out) => {
                trace.log(
                    HARNESS,
                    HarnessEvent::WaitTimedOut {
                        waited: out.0.clone(),
                    },
                );
                return Ok(Stopped {
                    hit_horizon: true,
                    timed_out: Some(out.0),
                });
            }
        };
        for step in due {
            lane.apply(now, step)?;
        }
        lane.poll(trace);
        let all_done = timeline.is_done() && !lane.running();
        let mut wake = timeline.next_due().unwrap_or(settle.horizon);
        if all_done {
            let since = *settled_since.get_or_insert(now);
            let server_quiet = lane.server_quiet();
            if (server_quiet && now >= since + settle.quiet)
                || now >= since.saturating_add(settle.linger)
            {
                return Ok(Stopped {
                    hit_horizon: false,
                    timed_out: None,
                });
            }
            let settled = if server_quiet {
                settle.quiet
            } else {
                settle.linger
            };
            wake = wake.min(since.saturating_add(settled));
        } else {
            // Something ran again: the quiet starts over when it ends.
            settled_since = None;
        }
        if lane.now() >= settle.horizon {
            trace.log(HARNESS, HarnessEvent::Horizon);
            return Ok(Stopped {
                hit_horizon: true,
                timed_out: None,
            });
        }
        let wake = Wake {
            at: wake.min(settle.horizon),
            typing: timeline.is_typing(),
        };
        lane.advance(now, wake)?;
    }
}
