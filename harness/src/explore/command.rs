//! `hangar explore`: argument checks, progress bar and output.

use std::path::Path;

use hangar_scenario::Target;

use super::run::Exploration;
use super::run::{ExploreOptions, explore};
use super::seeds::{SeedRange, Shard};
use crate::catalog::load;
use crate::report::html::{HtmlReport, RunView};
use crate::report::junit;
use crate::report::{self, EXIT_BAD_INPUT, EXIT_FAIL, EXIT_HARNESS_ERROR, EXIT_PASS, Explored};

/// What `hangar explore` was asked to do, as typed.
pub struct ExploreArgs<'a> {
    pub path: &'a Path,
    pub seeds: &'a str,
    pub target: Option<&'a str>,
    pub shard: Option<&'a str>,
    pub until_fail: bool,
    pub workers: usize,
    pub json: bool,
    /// `--junit FILE`: the outcome groups as JUnit XML.
    pub junit: Option<&'a Path>,
    /// `--html DIR`: a page per outcome group, with its first seed's run.
    pub html: Option<&'a Path>,
}

/// Runs the command; returns the process exit code: 0 when every seed
/// passed, 1 when some did not, 2 for bad input, 3 when the harness
/// failed on some seed (each such seed is reported, verdict `error`).
pub fn explore_command(args: &ExploreArgs) -> i32 {
    let scenario = match load(args.path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_BAD_INPUT;
        }
    };
    let parsed = (|| -> Result<(SeedRange, Option<Shard>, Target), String> {
        let seeds: SeedRange = args.seeds.parse()?;
        let shard = args.shard.map(str::parse::<Shard>).transpose()?;
        let target = match args.target {
            Some(t) => t.parse::<Target>().map_err(|e| format!("--target: {e}"))?,
            None if scenario.targets.len() == 1 => scenario.targets[0],
            None => {
                let names: Vec<String> = scenario.targets.iter().map(|t| t.to_string()).collect();
                return Err(format!(
                    "explore runs one target: add --target, one of {}\n  example: --target {}",
                    names.join(", "),
                    names[0]
                ));
            }
        };
        Ok((seeds, shard, target))
    })();
    let (seeds, shard, target) = match parsed {
        Ok(p) => p,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_BAD_INPUT;
        }
    };
    if let Some(Err(message)) = args.junit.map(|path| junit::create(path, "explore.xml")) {
        eprintln!("{message}");
        return EXIT_BAD_INPUT;
    }
    let html = match args.html.map(HtmlReport::create).transpose() {
        Ok(html) => html,
        Err(message) => {
            eprintln!("{message}");
            return EXIT_BAD_INPUT;
        }
    };
    let bar = crate::report::terminal::progress_bar(seeds.count(shard), "seeds");
    let progress_bar = bar.clone();
    let options = ExploreOptions {
        target,
        seeds,
        shard,
        until_fail: args.until_fail,
        workers: args.workers,
        on_progress: progress_bar.map(|bar| {
            Box::new(move |done, _| bar.set_position(done)) as Box<dyn Fn(u64, u64) + Sync>
        }),
    };
    let found = explore(&scenario, &options);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let what = Explored {
        scenario: &scenario,
        target,
        seeds,
        shard,
    };
    if let Some(path) = args.junit
        && let Err(e) = std::fs::write(path, report::explore_junit(&what, &found).to_xml())
    {
        eprintln!("error: --junit {}: {e}", path.display());
        return EXIT_HARNESS_ERROR;
    }
    if let Some(mut html) = html
        && let Err(message) = group_pages(&mut html, &what, &found)
    {
        eprintln!("{message}");
        return EXIT_HARNESS_ERROR;
    }
    if args.json {
        for line in report::explore_json(&what, &found) {
            println!("{line}");
        }
    } else {
        print!("{}", report::explore_text(&what, &found));
    }
    if found.groups.iter().any(|g| g.key.error.is_some()) {
        EXIT_HARNESS_ERROR
    } else if found.groups.iter().all(|g| g.key.verdict == "pass") {
        EXIT_PASS
    } else {
        EXIT_FAIL
    }
}

/// The HTML report of an exploration: a page per outcome group, with the
/// run of its first seed (run again: a seed gives the same run).
fn group_pages(html: &mut HtmlReport, what: &Explored, found: &Exploration) -> Result<(), String> {
    let label = what.target.to_string();
    for group in &found.groups {
        let share = format!(
            "{} of {} seeds: {}",
            group.count,
            found.seeds_run,
            group.key.describe()
        );
        let result = crate::sim::run(what.scenario, what.target, group.first_seed)
            .map_err(|e| format!("error: --html: seed {}: {e}", group.first_seed))?;
        let expectations =
            crate::verdict::expectations_for(what.scenario, what.target, result.lane_kind());
        let verdict = crate::verdict::check(&expectations, &result.outcome);
        let view = RunView {
            scenario: what.scenario,
            label: &label,
            result: &result,
            verdict: &verdict,
            replay: report::replay_command(what.scenario, what.target, group.first_seed),
        };
        html.add_group(&view, group.key.verdict, &share)?;
    }
    let summary = format!(
        "{} over seeds {}: {} seed(s) run, {} outcome group(s)",
        what.target,
        what.seeds,
        found.seeds_run,
        found.groups.len()
    );
    html.finish(&format!("hangar explore {}", what.scenario.path), &summary)?;
    Ok(())
}
