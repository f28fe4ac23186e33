//! Writes mutants of the catalog's scenario files for `ci/mutants`:
//! `cargo run --release --example mutants -- DIR COUNT [SEED]` writes
//! `DIR/mutant-N.toml`, N from 0, with the generator of `tests/mutants.rs`
//! (the same seed gives the same files).

#[path = "../tests/mutants/mutate.rs"]
mod mutate;

use mutate::{Rng, catalog, hostile_lines, hostile_values, mutate};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: mutants DIR COUNT [SEED]\n  example: cargo run --release --example mutants -- /tmp/mutants 20000 1";
    let (Some(dir), Some(Ok(count))) = (args.first(), args.get(1).map(|c| c.parse::<usize>()))
    else {
        eprintln!("{usage}");
        return std::process::ExitCode::from(2);
    };
    let Ok(seed) = args.get(2).map_or(Ok(1), |s| s.parse::<u64>()) else {
        eprintln!("{usage}");
        return std::process::ExitCode::from(2);
    };
    let dir = std::path::Path::new(dir);
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("mutants: cannot create {}: {e}", dir.display());
        return std::process::ExitCode::from(2);
    }
    let files = catalog();
    let (values, lines) = (hostile_values(), hostile_lines());
    let mut rng = Rng::new(seed);
    for n in 0..count {
        let (name, text) = rng.pick(&files);
        let mutant = format!(
            "# mutant {n} of {name}\n{}",
            mutate(text, &mut rng, &values, &lines)
        );
        if let Err(e) = std::fs::write(dir.join(format!("mutant-{n}.toml")), mutant) {
            eprintln!("mutants: cannot write into {}: {e}", dir.display());
            return std::process::ExitCode::from(2);
        }
    }
    std::process::ExitCode::SUCCESS
}
