//! Settings drawn from the seed, so that different seeds explore different
//! interleavings and worlds (TigerBeetle's "swarm testing"): where a
//! scenario gives a range (`latency = "1ms..50ms"`), each seed draws its
//! own value.

use std::time::Duration;

use hangar_scenario::{Drawn, Scenario};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Values drawn from a run's seed. Printed at the top of every report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Swarm {
    /// Scheduling turns the pipe readers of an OpenSSH or close-on-exit
    /// server get between the child's exit and the server acting on
    /// SIGCHLD (0..=8).
    pub sigchld_turns: u32,
    pub latency: Duration,
    pub pipe_buffer: u64,
    pub window: u64,
    pub write_pacing: Duration,
    /// Each step's time, in file order.
    pub step_at: Vec<Duration>,
    /// Whether a child that setsid(1) forks runs before its parent exits:
    /// Linux lets the parent go on first (sched_child_runs_first is 0),
    /// but not always (measured under `ssh -tt`: 3 children of 40 won).
    pub forked_child_first: bool,
    /// The fraction of a second the server's monotonic clock shows at the
    /// run's start (0..1 s): timeouts kept in whole seconds (ChannelTimeout,
    /// UnusedConnectionTimeout, Dropbear's -I) fire anywhere in their last
    /// second, as on a real machine whose clock has run for a while.
    pub clock_phase: Duration,
    /// `name=value` of every value drawn from a range, for reports.
    drawn: Vec<String>,
}

impl Default for Swarm {
    /// A stock world: what a scenario without ranges draws, bar the turns.
    fn default() -> Swarm {
        Swarm {
            sigchld_turns: 0,
            latency: Duration::from_millis(1),
            pipe_buffer: crate::sim::unix::PIPE_CAPACITY as u64,
            window: 2 * 1024 * 1024,
            write_pacing: Duration::ZERO,
            step_at: Vec::new(),
            forked_child_first: false,
            clock_phase: Duration::ZERO,
            drawn: Vec::new(),
        }
    }
}

impl Swarm {
    pub fn draw(seed: u64, scenario: &Scenario) -> Swarm {
        // A stream separate from turmoil's, so that adding a swarm value
        // does not shift the network's draws.
        let mut rng = SmallRng::seed_from_u64(seed ^ 0x5eed_5a4d);
        let mut drawn = Vec::new();
        let world = &scenario.world;
        let sigchld_turns = rng.random_range(0..=8);
        drawn.push(format!("sigchld_turns={sigchld_turns}"));
        let latency = draw_duration(&mut rng, &world.net.latency, "latency", &mut drawn);
        let pipe_buffer = draw_size(&mut rng, &world.pipe_buffer, "pipe_buffer", &mut drawn);
        let window = draw_size(&mut rng, &world.window, "window", &mut drawn);
        let write_pacing = draw_duration(&mut rng, &world.write_pacing, "write_pacing", &mut drawn);
        let step_at = scenario
            .steps
            .iter()
            .enumerate()
            .map(|(i, step)| {
                draw_duration(
                    &mut rng,
                    &step.at,
                    &format!("step[{}].at", i + 1),
                    &mut drawn,
                )
            })
            .collect();
        // Drawn last, so that the values above stay what they were; shown
        // only when it happens.
        let forked_child_first = rng.random_ratio(1, 12);
        if forked_child_first {
            drawn.push("forked_child_first".to_string());
        }
        // Drawn after it for the same reason; shown only where a timeout
        // reads it.
        let clock_phase = Duration::from_millis(rng.random_range(0..1000));
        let server = &world.server;
        if !server.channel_timeouts.is_empty()
            || server.dropbear_idle_timeout.is_some()
            || server.unused_connection_timeout.is_some()
        {
            drawn.push(format!(
                "clock_phase={}",
                hangar_scenario::format_duration(clock_phase)
            ));
        }
        Swarm {
            sigchld_turns,
            latency,
            pipe_buffer,
            window,
            write_pacing,
            step_at,
            forked_child_first,
            clock_phase,
            drawn,
        }
    }

    /// `name=value` pairs for the report header.
    pub fn describe(&self) -> String {
        self.drawn.join(" ")
    }
}

/// A value from the range, at millisecond resolution (the trace's).
fn draw_duration(
    rng: &mut SmallRng,
    range: &Drawn<Duration>,
    name: &str,
    drawn: &mut Vec<String>,
) -> Duration {
    if range.min >= range.max {
        return range.min;
    }
    let ms = rng.random_range(range.min.as_millis()..=range.max.as_millis());
    let value = Duration::from_millis(ms as u64);
    drawn.push(format!(
        "{name}={}",
        hangar_scenario::format_duration(value)
    ));
    value
}

fn draw_size(rng: &mut SmallRng, range: &Drawn<u64>, name: &str, drawn: &mut Vec<String>) -> u64 {
    if range.min >= range.max {
        return range.min;
    }
    let value = rng.random_range(range.min..=range.max);
    drawn.push(format!("{name}={value}"));
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        hangar_scenario::load_str(
            "s.toml",
            "title = \"t\"\nsource = \"s\"\n[[step]]\nrun = \"sleep 1\"\n",
        )
        .unwrap()
    }

    #[test]
    fn a_forked_child_runs_first_on_some_seeds_and_says_so_in_the_header() {
        let scenario = scenario();
        let draws: Vec<Swarm> = (0..100).map(|seed| Swarm::draw(seed, &scenario)).collect();
        let first = draws.iter().filter(|s| s.forked_child_first).count();
        assert!((1..30).contains(&first), "{first} of 100");
        for swarm in &draws {
            assert_eq!(
                swarm.describe().contains("forked_child_first"),
                swarm.forked_child_first
            );
        }
    }
}
