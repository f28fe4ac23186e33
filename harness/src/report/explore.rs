//! An exploration: the distribution of outcomes over the seeds, the first
//! seed of each outcome and the command that replays it.

use std::fmt::Write;

use hangar_scenario::{Scenario, Target};
use serde_json::json;

use super::run::replay_command;
use crate::explore::{Exploration, SeedRange, Shard};

/// What was explored, for the report's first line.
pub struct Explored<'a> {
    pub scenario: &'a Scenario,
    pub target: Target,
    pub seeds: SeedRange,
    pub shard: Option<Shard>,
}

pub fn explore_text(what: &Explored, found: &Exploration) -> String {
    let shard = what.shard.map_or(String::new(), |s| format!(" shard {s}"));
    let mut out = format!(
        "hangar explore {} [{}] seeds {}{shard}, lane sim\n  {}\n\n",
        what.scenario.path, what.target, what.seeds, what.scenario.title
    );
    for group in &found.groups {
        let share = 100.0 * group.count as f64 / found.seeds_run.max(1) as f64;
        let _ = writeln!(
            out,
            "{:>7} ({share:5.1}%)  {}",
            group.count,
            group.key.describe()
        );
        let _ = writeln!(
            out,
            "          first seed {} ({}): {}",
            group.first_seed,
            group.first_swarm.describe(),
            replay_command(what.scenario, what.target, group.first_seed)
        );
        for (seed, swarm) in group.failing.iter().skip(1) {
            let _ = writeln!(out, "          also seed {seed} ({})", swarm.describe());
        }
    }
    if let Some(line) = seed_expectation(what, found) {
        out.push_str(&line);
    }
    let _ = writeln!(
        out,
        "\n{} seeds in {:.3} s ({:.0} seeds/s)",
        found.seeds_run,
        found.wall.as_secs_f64(),
        found.seeds_per_second()
    );
    out
}

/// One JSON object per outcome group, then one summary object.
pub fn explore_json(what: &Explored, found: &Exploration) -> Vec<String> {
    let mut lines: Vec<String> = found
        .groups
        .iter()
        .map(|g| {
            g.json(&replay_command(what.scenario, what.target, g.first_seed))
                .to_string()
        })
        .collect();
    lines.push(
        json!({
            "scenario": what.scenario.path,
            "target": what.target.to_string(),
            "seeds": found.seeds_run,
            "range": what.seeds.to_string(),
            "shard": what.shard.map(|s| s.to_string()),
            "wall_ms": found.wall.as_secs_f64() * 1000.0,
            "seeds_per_s": found.seeds_per_second(),
        })
        .to_string(),
    );
    lines
}

/// The scenario's `[seeds]` expectation for this target, and whether the
/// exploration meets it.
fn seed_expectation(what: &Explored, found: &Exploration) -> Option<String> {
    let seeds = what.scenario.seeds.as_ref()?;
    let (_, quantifier) = seeds.lost_bytes.iter().find(|(t, _)| *t == what.target)?;
    let losing = found.seeds_losing_bytes();
    let holds = quantifier.holds(losing, found.seeds_run);
    Some(format!(
        "\n[seeds] expects {} seeds to lose bytes: {losing} of {} did ({})\n",
        quantifier.name(),
        found.seeds_run,
        if holds { "holds" } else { "does NOT hold" }
    ))
}
