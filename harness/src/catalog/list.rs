//! `hangar list`: the scenario files a run would take, with their tags,
//! their targets in the sim, and in the real lane the targets that run
//! them and those that would skip them, with the reason; text or JSON.

use std::path::PathBuf;

use hangar_scenario::{Scenario, Target};
use serde_json::json;

use super::command::{load_selected, real_targets};
use super::output::Output;
use super::select::Selection;
use crate::real::RealTarget;
use crate::report::{EXIT_BAD_INPUT, EXIT_PASS};

/// What `hangar list` was asked.
pub struct ListOptions {
    pub selection: Selection,
    /// `--target` names; empty: each scenario's own in the sim, the
    /// default real targets in the real lane.
    pub targets: Vec<String>,
    pub targets_file: Option<PathBuf>,
    pub json: bool,
}

/// One file as listed.
struct Listed<'a> {
    scenario: &'a Scenario,
    sim: Vec<Target>,
    /// Each real target, and why it would skip the file, if it would.
    real: Vec<(&'a RealTarget, Option<String>)>,
}

/// `hangar list`: returns the process exit code.
pub fn list_paths(paths: &[PathBuf], options: &ListOptions) -> i32 {
    let Some(scenarios) = load_selected(paths, &options.selection) else {
        return EXIT_BAD_INPUT;
    };
    let real = match real_targets(&options.targets, options.targets_file.as_ref()) {
        Ok(real) => real,
        Err(message) => {
            eprintln!("{message}");
            return EXIT_BAD_INPUT;
        }
    };
    // `--target` names the sim knows; a user's target is the real lane's.
    let sim_names: Vec<Target> = options
        .targets
        .iter()
        .filter_map(|name| name.parse().ok())
        .collect();
    let mut out = Output::default();
    for scenario in &scenarios {
        let listed = Listed {
            scenario,
            sim: if options.targets.is_empty() {
                scenario.targets.clone()
            } else {
                sim_names.clone()
            },
            real: real
                .iter()
                .map(|t| (t, crate::real::unsupported(scenario, t)))
                .collect(),
        };
        if options.json {
            out.line(&listed.json().to_string());
        } else {
            out.line(&listed.text());
        }
    }
    if !options.json {
        out.line(&format!("\n{} scenario file(s)", scenarios.len()));
    }
    EXIT_PASS
}

impl Listed<'_> {
    fn text(&self) -> String {
        let s = self.scenario;
        let names = |targets: &[Target]| {
            targets
                .iter()
                .map(Target::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let runs: Vec<String> = self
            .real
            .iter()
            .filter(|(_, skip)| skip.is_none())
            .map(|(t, _)| t.label())
            .collect();
        let mut text = format!(
            "\n{}  [{}]\n  {}\n  sim:  {}\n  real: {}",
            s.path,
            s.tags.join(", "),
            s.title,
            names(&self.sim),
            if runs.is_empty() {
                "none".to_string()
            } else {
                runs.join(", ")
            }
        );
        for (target, skip) in &self.real {
            if let Some(why) = skip {
                text.push_str(&format!("\n  real: skips {}: {why}", target.label()));
            }
        }
        text
    }

    fn json(&self) -> serde_json::Value {
        let s = self.scenario;
        let real: Vec<serde_json::Value> = self
            .real
            .iter()
            .map(|(target, skip)| match skip {
                None => json!({ "target": target.label(), "runs": true }),
                Some(why) => json!({ "target": target.label(), "runs": false, "skipped": why }),
            })
            .collect();
        json!({
            "scenario": s.path,
            "title": s.title,
            "tags": s.tags,
            "sim": self.sim.iter().map(Target::to_string).collect::<Vec<_>>(),
            "real": real,
        })
    }
}
