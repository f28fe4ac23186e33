//! The reduction loop. Candidates, tried in this order until none helps:
//!
//! 1. fix every swarm range to the value the failing seed drew;
//! 2. drop a step (a `run` step only if another remains);
//! 3. halve a duration: the horizon, a step's time, a `sleep N` in a run line;
//! 4. drop a virtual file, or halve its size.
//!
//! A candidate is kept when the run on the same seed and target ends with
//! the same verdict (`fail` or `unknown`) as the original.

use std::time::Duration;

use hangar_scenario::{Action, Drawn, Scenario, Target};

use crate::catalog::{RunFailure, isolated};
use crate::sim::{self, Swarm};
use crate::verdict::{check, expectations_for};

/// The smallest failing scenario found, and how it got there.
pub struct Shrunk {
    pub scenario: Scenario,
    /// What each accepted reduction did, in order.
    pub steps: Vec<String>,
    /// Runs tried.
    pub runs: u64,
}

/// The verdict name of `scenario` on `target` and `seed`; a panic or a
/// harness error in the run is its [`RunFailure`].
fn verdict_of(scenario: &Scenario, target: Target, seed: u64) -> Result<&'static str, RunFailure> {
    let result =
        isolated(|| sim::run(scenario, target, seed))?.map_err(|e| RunFailure(e.to_string()))?;
    Ok(check(
        &expectations_for(scenario, target, result.lane_kind()),
        &result.outcome,
    )
    .name())
}

/// Shrinks `original`, which must not pass on `target` with `seed`. The
/// error is the original run's harness failure; a candidate whose run
/// fails in the harness is not the same failure, and is passed over.
pub fn shrink(
    original: &Scenario,
    target: Target,
    seed: u64,
) -> Result<Result<Shrunk, String>, RunFailure> {
    let failure = verdict_of(original, target, seed)?;
    if failure == "pass" {
        return Ok(Err(format!(
            "{} passes on {target} with seed {seed}: nothing to shrink",
            original.path
        )));
    }
    let mut current = fix_swarm(original, &Swarm::draw(seed, original));
    let mut notes = vec!["fixed the values drawn from the seed".to_string()];
    let mut runs = 1;
    if verdict_of(&current, target, seed).ok() != Some(failure) {
        // The drawn values alone do not reproduce it (the step order can
        // differ): keep the ranges.
        current = original.clone();
        notes.clear();
    }
    loop {
        let mut progressed = false;
        for (candidate, note) in candidates(&current) {
            runs += 1;
            if verdict_of(&candidate, target, seed).ok() == Some(failure) {
                current = candidate;
                notes.push(note);
                progressed = true;
                break;
            }
        }
        if !progressed {
            break;
        }
    }
    Ok(Ok(Shrunk {
        scenario: current,
        steps: notes,
        runs,
    }))
}

/// The scenario with every range replaced by the value `swarm` drew.
fn fix_swarm(scenario: &Scenario, swarm: &Swarm) -> Scenario {
    let mut s = scenario.clone();
    s.world.net.latency = Drawn::fixed(swarm.latency);
    s.world.pipe_buffer = Drawn::fixed(swarm.pipe_buffer);
    s.world.window = Drawn::fixed(swarm.window);
    s.world.write_pacing = Drawn::fixed(swarm.write_pacing);
    let mut steps: Vec<_> = s.steps.into_iter().zip(&swarm.step_at).collect();
    steps.sort_by_key(|(_, at)| **at);
    s.steps = steps
        .into_iter()
        .map(|(mut step, at)| {
            step.at = Drawn::fixed(*at);
            step
        })
        .collect();
    s
}

/// Every one-step reduction of `s`, with a note saying what it does.
fn candidates(s: &Scenario) -> Vec<(Scenario, String)> {
    let mut out = Vec::new();
    let runs = s
        .steps
        .iter()
        .filter(|st| matches!(st.action, Action::Run { .. }))
        .count();
    for i in 0..s.steps.len() {
        let is_run = matches!(s.steps[i].action, Action::Run { .. });
        if is_run && runs <= 1 {
            continue;
        }
        let mut c = s.clone();
        c.steps.remove(i);
        out.push((c, format!("dropped step {}", i + 1)));
    }
    let half = |d: Duration| d / 2;
    if s.world.horizon > Duration::from_secs(1) {
        let mut c = s.clone();
        c.world.horizon = half(s.world.horizon);
        if c.steps.iter().all(|st| st.at.max <= c.world.horizon) {
            out.push((
                c,
                format!(
                    "halved the horizon to {}",
                    hangar_scenario::format_duration(half(s.world.horizon))
                ),
            ));
        }
    }
    for i in 0..s.steps.len() {
        let at = s.steps[i].at;
        if at.is_fixed() && at.min >= Duration::from_millis(10) {
            let mut c = s.clone();
            c.steps[i].at = Drawn::fixed(half(at.min));
            // Keep the timeline in order.
            if c.steps.windows(2).all(|w| w[0].at.min <= w[1].at.min) {
                out.push((
                    c,
                    format!(
                        "moved step {} to {}",
                        i + 1,
                        hangar_scenario::format_duration(half(at.min))
                    ),
                ));
            }
        }
        if let Action::Run { line, .. } = &s.steps[i].action
            && let Some(shorter) = halve_sleeps(line)
            && let Ok(script) = hangar_shell::parse(&shorter)
        {
            let mut c = s.clone();
            c.steps[i].action = Action::Run {
                line: shorter.clone(),
                script,
            };
            out.push((
                c,
                format!("shortened the sleeps of step {}: {shorter}", i + 1),
            ));
        }
    }
    for i in 0..s.world.files.len() {
        let mut c = s.clone();
        let gone = c.world.files.remove(i);
        out.push((c, format!("dropped file {}", gone.name)));
        if s.world.files[i].size > 1 {
            let mut c = s.clone();
            c.world.files[i].size /= 2;
            let note = format!(
                "halved file {} to {} bytes",
                s.world.files[i].name, c.world.files[i].size
            );
            out.push((c, note));
        }
    }
    out
}

/// `sleep 30` -> `sleep 15` for every whole-second sleep of 2 s or more.
fn halve_sleeps(line: &str) -> Option<String> {
    let mut out = String::new();
    let mut changed = false;
    let mut rest = line;
    while let Some(i) = rest.find("sleep ") {
        out.push_str(&rest[..i + 6]);
        rest = &rest[i + 6..];
        let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
        let followed_by_unit =
            rest[digits.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '.');
        match digits.parse::<u64>() {
            Ok(n) if n >= 2 && !followed_by_unit => {
                out.push_str(&(n / 2).to_string());
                changed = true;
            }
            _ => out.push_str(&digits),
        }
        rest = &rest[digits.len()..];
    }
    out.push_str(rest);
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::halve_sleeps;

    #[test]
    fn sleeps_are_halved_and_other_words_kept() {
        assert_eq!(
            halve_sleeps("ssh server 'sleep 30 &'").as_deref(),
            Some("ssh server 'sleep 15 &'")
        );
        assert_eq!(
            halve_sleeps("(sleep 1; echo late) & sleep 4"),
            Some("(sleep 1; echo late) & sleep 2".into())
        );
        assert_eq!(halve_sleeps("sleep 1.5"), None);
        assert_eq!(halve_sleeps("echo sleepy"), None);
    }
}
