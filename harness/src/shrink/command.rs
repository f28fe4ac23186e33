//! `hangar shrink`: shrink a failing seed and write the result beside the
//! original scenario file.

use std::path::{Path, PathBuf};

use hangar_scenario::{Target, load_str, to_toml};

use super::reduce::shrink;
use crate::catalog::load;
use crate::report::{
    EXIT_BAD_INPUT, EXIT_HARNESS_ERROR, EXIT_PASS, error_summary_line, replay_command,
};

pub struct ShrinkArgs<'a> {
    pub path: &'a Path,
    pub seed: u64,
    pub target: &'a str,
}

/// `x.toml` -> `x.min.toml`.
fn output_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{stem}.min.toml"))
}

pub fn shrink_command(args: &ShrinkArgs) -> i32 {
    let scenario = match load(args.path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_BAD_INPUT;
        }
    };
    let target: Target = match args.target.parse() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: --target: {e}");
            return EXIT_BAD_INPUT;
        }
    };
    let shrunk = match shrink(&scenario, target, args.seed) {
        Ok(Ok(shrunk)) => shrunk,
        Ok(Err(message)) => {
            eprintln!("error: {message}");
            return EXIT_BAD_INPUT;
        }
        Err(failure) => {
            eprintln!(
                "{}",
                error_summary_line(
                    &scenario.path,
                    &target.to_string(),
                    args.seed,
                    &failure.0,
                    &replay_command(&scenario, target, args.seed)
                )
            );
            return EXIT_HARNESS_ERROR;
        }
    };
    let out = output_path(args.path);
    let header = format!(
        "# Shrunk from {} (target {target}, seed {}): it fails the same way.\n# Replay: hangar run {} --target {target} --seed {} -v\n",
        scenario.path,
        args.seed,
        out.display(),
        args.seed
    );
    let text = format!("{header}{}", to_toml(&shrunk.scenario));
    // What we write must load: check before touching the disk.
    if let Err(e) = load_str(&out.display().to_string(), &text) {
        eprintln!("error: the shrunk scenario does not load: {e}");
        return EXIT_HARNESS_ERROR;
    }
    if let Err(e) = std::fs::write(&out, &text) {
        eprintln!("error: cannot write {}: {e}", out.display());
        return EXIT_HARNESS_ERROR;
    }
    println!("shrank {} in {} runs:", scenario.path, shrunk.runs);
    for note in &shrunk.steps {
        println!("  {note}");
    }
    println!("wrote {}", out.display());
    EXIT_PASS
}
