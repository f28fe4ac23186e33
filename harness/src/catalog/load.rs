//! Loading scenario files with every check, the host model's included.

use std::path::{Path, PathBuf};

use hangar_scenario::{LoadError, Scenario, discover, load_str};

use crate::validate::check_scenario;

/// Loads one scenario file with every check, the host model's included.
pub fn load(path: &Path) -> Result<Scenario, LoadError> {
    load_named(path, &path.display().to_string())
}

/// Like [`load`], calling the file `name` in messages and reports.
pub fn load_named(path: &Path, name: &str) -> Result<Scenario, LoadError> {
    let name = name.to_string();
    let text = hangar_scenario::read_text(path, &name)?;
    let scenario = load_str(&name, &text)?;
    check_scenario(&scenario, &text)?;
    Ok(scenario)
}

/// Loads every scenario under `paths`; all errors, not just the first file's.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<Scenario>, Vec<LoadError>> {
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match discover(path) {
            Ok(files) => {
                for file in files {
                    match load(&file) {
                        Ok(s) => scenarios.push(s),
                        Err(e) => errors.push(e),
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(errors)
    }
}
