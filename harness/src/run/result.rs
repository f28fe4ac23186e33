//! What one run produced, in either lane.

use std::fmt;
use std::time::Duration;

use hangar_scenario::Target;

use super::outcome::Outcome;
use crate::sim::Swarm;
use crate::trace::Event;

/// Everything one run produced.
pub struct RunResult {
    /// The target whose expectations the run is checked against.
    pub target: Target,
    /// What only one lane has.
    pub lane: LaneRun,
    pub events: Vec<Event>,
    pub outcome: Outcome,
    /// Wall-clock time the run took (reports only; never in snapshots).
    pub wall: Duration,
}

/// The part of a run's result that belongs to its lane.
pub enum LaneRun {
    /// A simulated run: its seed and the values drawn from it.
    Sim { seed: u64, swarm: Swarm },
    /// A run against real programs; `user_target` is set when a user's
    /// target ran, `like` the result's `target`.
    Real { user_target: Option<UserTarget> },
}

/// A user's target (from a targets file) as reports name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserTarget {
    pub name: String,
    /// The targets file, as given on the command line.
    pub file: String,
}

impl RunResult {
    /// The lane, as `[expect.sim]` and `[expect.real]` name it.
    pub fn lane_kind(&self) -> hangar_scenario::LaneKind {
        match self.lane {
            LaneRun::Sim { .. } => hangar_scenario::LaneKind::Sim,
            LaneRun::Real { .. } => hangar_scenario::LaneKind::Real,
        }
    }

    /// `sim` or `real`.
    pub fn lane_name(&self) -> &'static str {
        match self.lane {
            LaneRun::Sim { .. } => crate::report::LANE_SIM,
            LaneRun::Real { .. } => crate::report::LANE_REAL,
        }
    }

    /// The seed reports show: the real lane draws nothing, and shows 0.
    pub fn seed(&self) -> u64 {
        match self.lane {
            LaneRun::Sim { seed, .. } => seed,
            LaneRun::Real { .. } => 0,
        }
    }

    /// The values drawn from the seed, as the header shows them; empty in
    /// the real lane.
    pub fn drawn(&self) -> String {
        match &self.lane {
            LaneRun::Sim { swarm, .. } => swarm.describe(),
            LaneRun::Real { .. } => String::new(),
        }
    }

    /// The values a sim run drew from its seed.
    pub fn swarm(&self) -> Option<&Swarm> {
        match &self.lane {
            LaneRun::Sim { swarm, .. } => Some(swarm),
            LaneRun::Real { .. } => None,
        }
    }

    /// The user's target that ran, if one did.
    pub fn user_target(&self) -> Option<&UserTarget> {
        match &self.lane {
            LaneRun::Real { user_target } => user_target.as_ref(),
            LaneRun::Sim { .. } => None,
        }
    }
}

/// A failure of the harness itself (not of the scenario's expectations).
#[derive(Debug)]
pub struct RunError(pub String);

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "simulation failed: {}", self.0)
    }
}
