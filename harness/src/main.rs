//! The `hangar` command line. Parses arguments and calls the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use hangar::catalog::{self, RunOptions};
use hangar::report;

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
        /// Scenario files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Run only against this target (repeatable); default: the scenario's own targets.
        #[arg(long = "target", short = 't')]
        targets: Vec<String>,
        /// The seed of the simulation; `random` draws one (and prints it).
        #[arg(long, default_value = "0")]
        seed: String,
        /// The lane: only `sim` exists in this build.
        #[arg(long, default_value = "sim")]
        lane: String,
        /// Print each run's full teardown trace.
        #[arg(short, long)]
        verbose: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Simulations to run in parallel (default: the number of cores).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Run {
            paths,
            targets,
            seed,
            lane,
            verbose,
            format,
            jobs,
        } => {
            let workers =
                jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            let options = RunOptions {
                workers,
                targets,
                seed,
                lane,
                verbose,
                json: matches!(format, Format::Json),
            };
            catalog::run_paths(&paths, &options)
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(report::EXIT_HARNESS_ERROR as u8))
}
