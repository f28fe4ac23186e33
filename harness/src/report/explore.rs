//! An exploration: the distribution of outcomes over the seeds, the first
//! seed of each outcome and the command that replays it.

use std::fmt::Write;

use hangar_scenario::{Scenario, Target};

use super::junit::{CaseResult, JunitCase, JunitReport};
use super::run::replay_command;
use super::seed_jobs::{ShardIdentity, job_json};
use crate::explore::{Exploration, SeedRange, Shard};
use crate::verdict::Verdict;

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
    out.push_str(&group_lines(what, found));
    if let Some(check) = seed_check(what, found) {
        let _ = writeln!(out, "\n{}", check.line);
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

/// Each outcome group: its count and share, its first seed with the
/// values it drew and its replay, and the group's other failing seeds.
pub(crate) fn group_lines(what: &Explored, found: &Exploration) -> String {
    let mut out = String::new();
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
            group.first_drawn,
            replay_command(what.scenario, what.target, group.first_seed)
        );
        for (seed, drawn) in group.failing.iter().skip(1) {
            let _ = writeln!(out, "          also seed {seed} ({drawn})");
        }
    }
    out
}

/// One JSON object per outcome group, then one summary object that says
/// what the exploration was (for `hangar merge`).
pub fn explore_json(what: &Explored, found: &Exploration, until_fail: bool) -> Vec<String> {
    let identity = ShardIdentity {
        command: "explore",
        until_fail,
    };
    job_json(what, found, &identity)
}

/// A scenario's `[seeds]` expectation for one target, checked.
pub(crate) struct SeedCheck {
    /// `[seeds] expects some seeds to lose bytes: 40 of 100 did (holds)`.
    pub(crate) line: String,
    pub(crate) holds: bool,
}

/// The scenario's `[seeds]` expectation for this target, and whether the
/// exploration meets it.
pub(crate) fn seed_check(what: &Explored, found: &Exploration) -> Option<SeedCheck> {
    let seeds = what.scenario.seeds.as_ref()?;
    let (_, quantifier) = seeds.lost_bytes.iter().find(|(t, _)| *t == what.target)?;
    let losing = found.seeds_losing_bytes();
    let holds = quantifier.holds(losing, found.seeds_run);
    let line = format!(
        "[seeds] expects {} seeds to lose bytes: {losing} of {} did ({})",
        quantifier.name(),
        found.seeds_run,
        if holds { "holds" } else { "does NOT hold" }
    );
    Some(SeedCheck { line, holds })
}

/// The exploration as JUnit cases: one per outcome group (a testcase
/// per seed would name thousands of passing runs the exploration does not
/// keep), each failing group with its count, its lowest seeds and the
/// replay of the first.
pub fn explore_junit(what: &Explored, found: &Exploration) -> JunitReport {
    let mut report = JunitReport::default();
    for case in explore_cases(what, found) {
        report.add(case);
    }
    report
}

/// The JUnit cases of an exploration, one per outcome group.
pub fn explore_cases(what: &Explored, found: &Exploration) -> Vec<JunitCase> {
    let mut cases = Vec::new();
    let per_run = found.wall / u32::try_from(found.seeds_run.max(1)).unwrap_or(u32::MAX);
    for (n, group) in found.groups.iter().enumerate() {
        let replay = replay_command(what.scenario, what.target, group.first_seed);
        let share = format!("{} of {} seeds", group.count, found.seeds_run);
        let mut facts = vec![format!("{share}: {}", group.key.describe())];
        if !group.failing.is_empty() {
            let seeds: Vec<String> = group.failing.iter().map(|(s, _)| s.to_string()).collect();
            facts.push(format!("lowest seeds: {}", seeds.join(", ")));
        }
        let result = match (&group.key.error, group.key.verdict) {
            (Some(message), _) => CaseResult::Error {
                message: message.clone(),
                replay,
            },
            (None, verdict) => CaseResult::Judged {
                verdict: match verdict {
                    "pass" => Verdict::Pass,
                    "unknown" => Verdict::Unknown(facts.clone()),
                    _ => Verdict::Fail(facts.clone()),
                },
                replay,
                earlier_failures: Vec::new(),
            },
        };
        cases.push(JunitCase {
            scenario: what.scenario.path.clone(),
            name: format!(
                "[{}] outcome {}: {} ({share})",
                what.target,
                n + 1,
                group.key.verdict
            ),
            result,
            time: per_run * u32::try_from(group.count).unwrap_or(u32::MAX),
            trace: facts.join("\n"),
        });
    }
    cases
}
