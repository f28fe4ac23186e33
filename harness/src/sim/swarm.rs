//! Settings drawn from the seed, so that different seeds explore different
//! interleavings (TigerBeetle's "swarm testing").

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Values drawn from a run's seed. Printed at the top of every report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Swarm {
    /// Scheduling turns a close-on-exit server's pipe reader gets between
    /// the child's exit and the server acting on SIGCHLD (0..=8).
    pub sigchld_turns: u32,
}

impl Swarm {
    pub fn draw(seed: u64) -> Swarm {
        // A stream separate from turmoil's, so that adding a swarm value
        // does not shift the network's draws.
        let mut rng = SmallRng::seed_from_u64(seed ^ 0x5eed_5a4d);
        Swarm {
            sigchld_turns: rng.random_range(0..=8),
        }
    }

    /// `name=value` pairs for the report header.
    pub fn describe(&self) -> String {
        format!("sigchld_turns={}", self.sigchld_turns)
    }
}
