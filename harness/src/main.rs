//! The `hangar` command line. Parses arguments and calls the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use hangar::catalog::{self, Lane, ListOptions, RunOptions, Selection};
use hangar::explore::{ExploreArgs, explore_command};
use hangar::report;
use hangar::shrink::{ShrinkArgs, shrink_command};

/// Deterministic simulation and test harness for SSH hang and teardown scenarios.
#[derive(Parser)]
#[command(name = "hangar", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenario files (or every *.toml under a directory) and check their expectations.
    Run {
        #[command(flatten)]
        files: FilesAndTargets,
        /// The seed of the simulation; `random` draws one (and prints it).
        #[arg(long, default_value = "0")]
        seed: String,
        /// Run every scenario and target on each seed of a range, `A..B`
        /// (B excluded); only the runs that do not pass are printed.
        #[arg(long, conflicts_with = "seed")]
        seeds: Option<String>,
        /// With `--seeds`: run only the k-th of n interleaved parts of the range
        /// (`k/n`); `hangar merge` puts the parts' JSON back together.
        #[arg(long, requires = "seeds")]
        shard: Option<String>,
        /// With `--seeds`: a job stops at its first seed that does not pass.
        #[arg(long, value_enum, requires = "seeds")]
        until: Option<Until>,
        /// The lane: `sim` (simulated hosts and network), `real` (real
        /// servers and clients on 127.0.0.1: OpenSSH, Dropbear, hangar's own, yours),
        /// or `both`: each scenario and target in the sim over seeds (`--seeds`,
        /// default 0..20) and in the real lane `--repeat` times (default 3), compared.
        #[arg(long, default_value = "sim")]
        lane: Lane,
        /// Print each run's full teardown trace.
        #[arg(short, long)]
        verbose: bool,
        /// Output format: `junit` prints JUnit XML instead of the text lines
        /// (the tally goes to stderr).
        #[arg(long, value_enum, default_value_t = RunFormat::Text)]
        format: RunFormat,
        /// Also write the runs as JUnit XML to FILE, whatever the format.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Also write an HTML report to DIR: an index of every run's verdict and a
        /// page per run with its sequence diagram (with `--lane both`: the two lanes side by side).
        #[arg(long, value_name = "DIR")]
        html: Option<PathBuf>,
        /// With `--format json`: each run's object gets an `events` array,
        /// its trace one object per event.
        #[arg(long)]
        events: bool,
        /// Simulations to run in parallel (default: the number of cores).
        #[arg(long, short = 'j', value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        jobs: Option<usize>,
        /// Run each scenario N times and fail, with a diff, when the
        /// (normalized, in the real lane) traces differ (default 1; with
        /// `--lane both`: the real runs compared with the sim, default 3).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        repeat: Option<u32>,
        /// Real lane: run a job that did not pass up to N more times; one
        /// that passes then is counted as passed and reported as flaky,
        /// every failed try printed in full.
        #[arg(long, default_value_t = 0)]
        retries: usize,
        #[command(flatten)]
        select: SelectArgs,
    },
    /// List the scenario files a run would take: their tags, their targets in the sim,
    /// and in the real lane which targets run them and which skip them, and why.
    List {
        #[command(flatten)]
        files: FilesAndTargets,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        select: SelectArgs,
    },
    /// Run one scenario over a range of seeds and group the runs by outcome.
    Explore {
        /// The scenario file.
        path: PathBuf,
        /// Seeds to run, `A..B` (B excluded).
        #[arg(long)]
        seeds: String,
        /// The target (needed when the scenario has more than one).
        #[arg(long = "target", short = 't')]
        target: Option<String>,
        /// Run only the k-th of n interleaved parts of the range (`k/n`).
        #[arg(long)]
        shard: Option<String>,
        /// Stop early.
        #[arg(long, value_enum)]
        until: Option<Until>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Also write the outcome groups as JUnit XML to FILE, one testcase each.
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Also write an HTML report to DIR: a page per outcome group with its
        /// first seed's sequence diagram, and an index.
        #[arg(long, value_name = "DIR")]
        html: Option<PathBuf>,
        /// Simulations to run in parallel (default: the number of cores).
        #[arg(long, short = 'j', value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        jobs: Option<usize>,
    },
    /// Put the JSON of the shards of a `run --seeds` or an `explore` back together and
    /// print what the unsharded run would have printed.
    Merge {
        /// The shards' JSON files (`--format json` output), one per shard.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Print every job's outcome groups, not only those that did not pass.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Shrink a failing seed: write a smaller scenario that fails the same way beside the original.
    Shrink {
        /// The scenario file.
        path: PathBuf,
        /// The failing seed.
        #[arg(long)]
        seed: u64,
        /// The target it fails on.
        #[arg(long = "target", short = 't')]
        target: String,
    },
    /// Runs a program as its only child and records its stops and exit
    /// status (the real lane puts it in front of the ssh at a terminal).
    #[command(hide = true)]
    Witness {
        /// The record file.
        #[arg(long)]
        record: PathBuf,
        /// The program and its arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
    /// pkill(1) limited to the processes of the calling run (the real lane
    /// puts it first in PATH as `pkill`).
    #[command(hide = true)]
    Pkill {
        /// pkill's arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// The scenario files and targets of `run` and `list`.
#[derive(Args)]
struct FilesAndTargets {
    /// Scenario files or directories.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Run only against this target (repeatable); default: the scenario's own targets
    /// (in the real lane: the targets file's, else `openssh` and `dropbear`).
    #[arg(long = "target", short = 't')]
    targets: Vec<String>,
    /// A TOML file of your own targets for the real lane: server and client command
    /// templates (default: $HANGAR_TARGETS). See ci/targets.example.toml.
    #[arg(long = "targets", value_name = "FILE")]
    targets_file: Option<PathBuf>,
}

/// Which scenario files `run` and `list` take.
#[derive(Args)]
struct SelectArgs {
    /// Only the files with this tag (repeatable: any of them).
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Not the files with this tag (repeatable).
    #[arg(long = "exclude-tag", value_name = "TAG")]
    exclude_tags: Vec<String>,
    /// Only the files whose path contains TEXT.
    #[arg(long, value_name = "TEXT")]
    filter: Option<String>,
    /// One part of the selection, for CI jobs that split it: `hash:K/N` (by the file's
    /// path) or `count:K/N` (by its place); the N parts add up to the whole.
    #[arg(long, value_name = "KIND:K/N")]
    partition: Option<String>,
}

impl SelectArgs {
    fn selection(self) -> Result<Selection, String> {
        Ok(Selection {
            tags: self.tags,
            exclude_tags: self.exclude_tags,
            filter: self.filter,
            partition: self.partition.as_deref().map(str::parse).transpose()?,
        })
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Until {
    /// Stop at the first seed that does not pass.
    Fail,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// `hangar run`'s formats: those of every command, and JUnit XML.
#[derive(Clone, Copy, ValueEnum)]
enum RunFormat {
    Text,
    Json,
    Junit,
}

/// `--jobs`, or one worker per core.
fn workers(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    hangar::real::interrupt::install();
    // Each run is isolated on its own; this catches what fails around the
    // runs (loading, reporting): exit 3, the harness failed, never a crash.
    let code = catalog::isolated(|| command(cli)).unwrap_or_else(|failure| {
        eprintln!("error: hangar itself failed: {failure}");
        report::EXIT_HARNESS_ERROR
    });
    let code = hangar::real::interrupt::exit_unless_interrupted(code);
    ExitCode::from(u8::try_from(code).unwrap_or(report::EXIT_HARNESS_ERROR as u8))
}

/// Runs the command; returns the process exit code.
fn command(cli: Cli) -> i32 {
    match cli.command {
        Command::Run {
            files:
                FilesAndTargets {
                    paths,
                    targets,
                    targets_file,
                },
            seed,
            seeds,
            shard,
            until,
            lane,
            verbose,
            format,
            junit,
            html,
            events,
            jobs,
            repeat,
            retries,
            select,
        } => {
            let selection = match select.selection() {
                Ok(selection) => selection,
                Err(message) => {
                    eprintln!("error: {message}");
                    return report::EXIT_BAD_INPUT;
                }
            };
            if events && !matches!(format, RunFormat::Json) {
                eprintln!(
                    "error: --events: the events go into the JSON lines; use it with --format json\n  \
                     example: hangar run scenarios/ --format json --events"
                );
                return report::EXIT_BAD_INPUT;
            }
            let options = RunOptions {
                repeat: repeat.map(|n| n as usize),
                retries,
                workers: workers(jobs),
                targets,
                targets_file,
                seed,
                seeds,
                shard,
                until_fail: matches!(until, Some(Until::Fail)),
                lane,
                verbose,
                json: matches!(format, RunFormat::Json),
                events,
                junit_stdout: matches!(format, RunFormat::Junit),
                junit_file: junit,
                html,
                selection,
            };
            catalog::run_paths(&paths, &options)
        }
        Command::List {
            files:
                FilesAndTargets {
                    paths,
                    targets,
                    targets_file,
                },
            format,
            select,
        } => match select.selection() {
            Ok(selection) => catalog::list_paths(
                &paths,
                &ListOptions {
                    selection,
                    targets,
                    targets_file,
                    json: matches!(format, Format::Json),
                },
            ),
            Err(message) => {
                eprintln!("error: {message}");
                report::EXIT_BAD_INPUT
            }
        },
        Command::Explore {
            path,
            seeds,
            target,
            shard,
            until,
            format,
            junit,
            html,
            jobs,
        } => explore_command(&ExploreArgs {
            path: &path,
            seeds: &seeds,
            target: target.as_deref(),
            shard: shard.as_deref(),
            until_fail: matches!(until, Some(Until::Fail)),
            workers: workers(jobs),
            json: matches!(format, Format::Json),
            junit: junit.as_deref(),
            html: html.as_deref(),
        }),
        Command::Merge {
            files,
            format,
            verbose,
        } => hangar::merge::merge_command(&hangar::merge::MergeArgs {
            files: &files,
            json: matches!(format, Format::Json),
            verbose,
        }),
        Command::Shrink { path, seed, target } => shrink_command(&ShrinkArgs {
            path: &path,
            seed,
            target: &target,
        }),
        Command::Witness { record, command } => std::process::exit(hangar::real::witness::witness(
            &record,
            &command[0],
            &command[1..],
        )),
        Command::Pkill { args } => std::process::exit(hangar::real::scoped_kill::pkill(&args)),
    }
}
