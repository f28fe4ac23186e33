//! `hangar explore`: argument checks, progress bar and output.

use std::path::Path;

use hangar_scenario::Target;

use super::run::{ExploreOptions, explore};
use super::seeds::{SeedRange, Shard};
use crate::catalog::load;
use crate::report::html::HtmlReport;
use crate::report::junit;
use crate::report::{self, EXIT_BAD_INPUT, EXIT_HARNESS_ERROR, Explored};

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
    if let Some(mut html) = html {
        let summary = format!(
            "{} over seeds {}: {} seed(s) run, {} outcome group(s)",
            what.target,
            what.seeds,
            found.seeds_run,
            found.groups.len()
        );
        let title = format!("hangar explore {}", what.scenario.path);
        let written = html
            .add_exploration(&what, &found)
            .and_then(|()| html.finish(&title, &summary));
        if let Err(message) = written {
            eprintln!("{message}");
            return EXIT_HARNESS_ERROR;
        }
    }
    if args.json {
        for line in report::explore_json(&what, &found, args.until_fail) {
            println!("{line}");
        }
    } else {
        print!("{}", report::explore_text(&what, &found));
    }
    report::seed_jobs::seeds_exit_code(&[report::seed_jobs::job_verdict(&what, &found)])
}
