//! Processor time, as far as the model needs it.
//!
//! Virtual time moves only while every task of a host waits. A process
//! that never has to wait would hold the clock still for ever and the
//! horizon would never come: a writer whose every write succeeds at once
//! (`yes > /dev/null`, `cat /dev/zero > copy`, `yes` into a pipe that is
//! read as fast), or a trap that re-sends its own signal. A real scheduler
//! ends such a process's time slice and lets the clock run (sched(7)); the
//! model does the same, coarsely: a process may do [`FREE_WORK`] units of
//! work at one instant of virtual time, and past that it waits [`SLICE`]
//! before it goes on.
//!
//! A unit is a byte written. The numbers are nominal, not measured: the
//! free budget is above what any flow through SSH moves at one instant
//! (a channel window of 2 MiB plus a pipe), so that only work that would
//! otherwise never let the clock move is charged, and the slice keeps the
//! work a runaway writer costs the machine running the simulation small
//! (40 MiB of virtual writes per virtual second).

use std::time::Duration;

use tokio::time::Instant;

/// Units of work a process may do at one instant without waiting.
pub const FREE_WORK: u64 = 4 << 20;

/// How long a process waits once it used up its free work.
pub const SLICE: Duration = Duration::from_millis(100);

/// The work of one run of a trap, a quarter of the free work: a trap that
/// re-sends its own signal runs 4 times per slice, 40 times a virtual
/// second, which keeps the trace of such a loop small (each run is a few
/// lines of it).
pub const TRAP_WORK: u64 = FREE_WORK / 4;

/// One process's work at the current instant.
#[derive(Clone, Copy, Debug, Default)]
pub struct Work {
    at: Option<Instant>,
    done: u64,
}

impl Work {
    /// Counts `units` done at `now`; returns the wait it costs, if any.
    /// The count starts again whenever the clock has moved.
    pub fn charge(&mut self, now: Instant, units: u64) -> Option<Duration> {
        if self.at != Some(now) {
            *self = Work {
                at: Some(now),
                done: 0,
            };
        }
        self.done = self.done.saturating_add(units);
        (self.done > FREE_WORK).then_some(SLICE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_is_free_up_to_the_budget_and_counts_again_once_time_moved() {
        crate::sim::unix::block_on(async {
            let mut work = Work::default();
            let now = Instant::now();
            assert_eq!(work.charge(now, FREE_WORK), None);
            assert_eq!(work.charge(now, 1), Some(SLICE));
            crate::sim::clock::sleep(SLICE).await;
            assert_eq!(work.charge(Instant::now(), FREE_WORK), None);
        });
    }
}
