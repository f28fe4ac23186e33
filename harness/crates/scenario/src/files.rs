//! `[expect] files`: what must be on a host's disk when the run ends,
//! named `host:path` relative to the home the host's sessions start in.

use std::path::{Component, Path};

use crate::error::Problem;
use crate::model::{FileExpect, FileState, Host};
use crate::raw::Leaf;
use crate::values::{Value, expected, size};

/// The words a file's state takes besides `{ size = ... }`.
const STATES: [&str; 3] = ["exists", "absent", "directory"];

/// The table of `host:path` to a state, sorted by host and path.
pub(crate) fn file_expectations(v: &Value, key: &str) -> Result<Vec<FileExpect>, Problem> {
    let Leaf::Table(entries) = v.get_ref() else {
        return Err(expected(v, key));
    };
    let mut files = entries
        .iter()
        .map(|(name, state)| {
            let key = format!("{key}.{}", crate::keys::segment(name));
            let (host, path) = host_path(name).map_err(|why| {
                Problem::new(state.span().start, &key, why).example(EXAMPLE.to_owned())
            })?;
            let state = file_state(state, &key)?;
            Ok(FileExpect { host, path, state })
        })
        .collect::<Result<Vec<_>, Problem>>()?;
    files.sort_by(|a, b| (a.host, &a.path).cmp(&(b.host, &b.path)));
    Ok(files)
}

const EXAMPLE: &str = r#"files = { "server:done" = "exists", "client:copy" = { size = "1MiB" } }"#;

/// `server:done` -> (server, `done`): a relative path that stays inside
/// the home, so that the real lane looks only in its own run's files.
fn host_path(name: &str) -> Result<(Host, String), String> {
    let (host, path) = match name.split_once(':') {
        Some(("server", path)) => (Host::Server, path),
        Some(("client", path)) => (Host::Client, path),
        _ => {
            return Err(format!(
                "`{name}` names no host: a file is `server:path` or `client:path`"
            ));
        }
    };
    let inside = !path.is_empty()
        && Path::new(path)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !inside {
        return Err(format!(
            "`{name}`: the path must be relative to the home the sessions start in, without `..`"
        ));
    }
    Ok((host, path.trim_start_matches("./").to_owned()))
}

fn file_state(v: &Value, key: &str) -> Result<FileState, Problem> {
    match v.get_ref() {
        Leaf::Str(s) if s == "exists" => Ok(FileState::Exists),
        Leaf::Str(s) if s == "absent" => Ok(FileState::Absent),
        Leaf::Str(s) if s == "directory" => Ok(FileState::Directory),
        Leaf::Table(pairs) => match pairs.as_slice() {
            [(name, bytes)] if name == "size" => size(bytes, "expect.files")
                .map(FileState::Size)
                .map_err(|_| {
                    Problem::new(
                        bytes.span().start,
                        &format!("{key}.size"),
                        format!(
                            "expected {}, found {}",
                            crate::size::EXPECTED_SIZE,
                            bytes.get_ref().describe()
                        ),
                    )
                    .example(EXAMPLE.to_owned())
                }),
            _ => Err(state_problem(v, key)),
        },
        _ => Err(state_problem(v, key)),
    }
}

fn state_problem(v: &Value, key: &str) -> Problem {
    let words: Vec<String> = STATES.iter().map(|s| format!("`{s}`")).collect();
    Problem::new(
        v.span().start,
        key,
        format!(
            "expected {}, or `{{ size = <bytes> }}`, found {}",
            words.join(", "),
            v.get_ref().describe()
        ),
    )
    .example(EXAMPLE.to_owned())
}
