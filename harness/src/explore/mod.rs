//! Exploring a scenario over a range of seeds: which outcomes occur, how
//! often, and the first seed of each, with the command that replays it.

mod command;
mod groups;
mod run;
mod seeds;

pub use command::{ExploreArgs, explore_command};
pub use groups::{Group, OutcomeKey};
pub use run::{Exploration, ExploreOptions, explore};
pub use seeds::{SeedRange, Shard};
