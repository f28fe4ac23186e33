//! `--html DIR`: a report a person reads in a browser. One self-contained
//! page per run (no network, no CDN) with the run's sequence diagram
//! (`diagram.rs`), and an index of every run's verdict linking to them.
//! `run` writes a page per scenario x target, `run --lane both` one with
//! the two lanes side by side, `explore` one per outcome group.

mod arrows;
mod diagram;
mod lifelines;
mod page;
mod svg;
mod time_axis;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub use page::RunView;

use crate::explore::Exploration;
use crate::report::Explored;
use page::{IndexRow, group_page, index_page, pair_page, run_page};

/// The index's file name in the report's directory.
pub const INDEX: &str = "index.html";

/// A report being written: pages as runs end, the index at the end.
pub struct HtmlReport {
    dir: PathBuf,
    rows: Vec<IndexRow>,
    taken: HashSet<String>,
}

impl HtmlReport {
    /// Makes the directory (and its parents) and checks a page can be
    /// written there, before anything runs: a bad `--html` is bad input.
    pub fn create(dir: &Path) -> Result<HtmlReport, String> {
        let bad = |e: std::io::Error| {
            format!(
                "error: --html {}: {e}\n  expected a directory hangar may create or write in\n  example: --html hangar-report",
                dir.display()
            )
        };
        std::fs::create_dir_all(dir).map_err(bad)?;
        std::fs::write(dir.join(INDEX), page::document("hangar", "<p>running</p>")).map_err(bad)?;
        Ok(HtmlReport {
            dir: dir.to_path_buf(),
            rows: Vec::new(),
            taken: HashSet::new(),
        })
    }

    /// The page of one run.
    pub fn add_run(&mut self, view: &RunView) -> Result<(), String> {
        let name = self.page_name(&format!("{} {}", view.scenario.path, view.run_name()));
        self.write(&name, &run_page(view, INDEX))?;
        self.rows.push(IndexRow {
            page: name,
            scenario: view.scenario.path.clone(),
            run: view.run_name(),
            verdict: view.verdict.name().to_string(),
            detail: outcome_line(view),
        });
        Ok(())
    }

    /// The page of a scenario and target in both lanes: a run of each,
    /// and whether the lanes agreed.
    pub fn add_pair(
        &mut self,
        sim: &RunView,
        real: &RunView,
        agreed: bool,
        agreement: &str,
    ) -> Result<(), String> {
        let name = self.page_name(&format!("{} {} both", sim.scenario.path, sim.label));
        self.write(&name, &pair_page(sim, real, agreement, INDEX))?;
        self.rows.push(IndexRow {
            page: name,
            scenario: sim.scenario.path.clone(),
            run: format!("{}, sim and real", sim.label),
            verdict: if agreed { "agree" } else { "differ" }.to_string(),
            detail: agreement.to_string(),
        });
        Ok(())
    }

    /// The page of an outcome group of `explore`, with its first seed's run.
    pub fn add_group(&mut self, view: &RunView, verdict: &str, group: &str) -> Result<(), String> {
        let name = self.page_name(&format!("{} {}", view.scenario.path, view.run_name()));
        self.write(&name, &group_page(view, group, INDEX))?;
        self.rows.push(IndexRow {
            page: name,
            scenario: view.scenario.path.clone(),
            run: view.run_name(),
            verdict: verdict.to_string(),
            detail: group.to_string(),
        });
        Ok(())
    }

    /// An exploration's pages: one per outcome group, with the run of its
    /// first seed (run again: a seed gives the same run).
    pub fn add_exploration(&mut self, what: &Explored, found: &Exploration) -> Result<(), String> {
        let label = what.target.to_string();
        for group in &found.groups {
            let share = format!(
                "{} of {} seeds: {}",
                group.count,
                found.seeds_run,
                group.key.describe()
            );
            let seed = group.first_seed;
            let result = crate::sim::run(what.scenario, what.target, seed)
                .map_err(|e| format!("error: --html: seed {seed}: {e}"))?;
            let expectations =
                crate::verdict::expectations_for(what.scenario, what.target, result.lane_kind());
            let verdict = crate::verdict::check(&expectations, &result.outcome);
            let view = RunView {
                scenario: what.scenario,
                label: &label,
                result: &result,
                verdict: &verdict,
                replay: crate::report::replay_command(what.scenario, what.target, seed),
            };
            self.add_group(&view, group.key.verdict, &share)?;
        }
        Ok(())
    }

    /// Writes the index; returns its path.
    pub fn finish(&self, title: &str, summary: &str) -> Result<PathBuf, String> {
        let path = self.dir.join(INDEX);
        self.write(INDEX, &index_page(title, summary, &self.rows))?;
        Ok(path)
    }

    fn write(&self, name: &str, html: &str) -> Result<(), String> {
        let path = self.dir.join(name);
        std::fs::write(&path, html).map_err(|e| format!("error: --html {}: {e}", path.display()))
    }

    /// A file name for a page, from words that name it: lower-case letters,
    /// digits and dashes, made unique in the report.
    fn page_name(&mut self, words: &str) -> String {
        let mut slug = String::new();
        for c in words.chars() {
            if c.is_ascii_alphanumeric() {
                slug.push(c.to_ascii_lowercase());
            } else if !slug.ends_with('-') {
                slug.push('-');
            }
        }
        let slug = slug.trim_matches('-').to_string();
        let mut name = format!("{slug}.html");
        let mut n = 2;
        while !self.taken.insert(name.clone()) {
            name = format!("{slug}-{n}.html");
            n += 1;
        }
        name
    }
}

/// The index's words for a run's outcome.
fn outcome_line(view: &RunView) -> String {
    let o = &view.result.outcome;
    let end = match (o.client_exit, o.client_ended_at) {
        (Some(code), Some(at)) => format!("exit {code} at {}", crate::trace::format_time(at)),
        _ => "still running at the end".to_string(),
    };
    format!(
        "{end}, {} B delivered, {} B lost",
        o.stdout_bytes, o.lost_bytes
    )
}
