//! Every unknown key of a scenario file, each where it is.
//!
//! serde's `deny_unknown_fields` stops at the first unknown key it visits,
//! in its own order, so a file with several misspelt keys would be fixed
//! one run at a time. This walks the parsed document against the keys of
//! `keys.rs` first, reports each unknown key, and takes it out, so that
//! serde then reads the rest and every value is still checked.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::Problem;
use crate::keys::{self, segment};
use crate::reword::unknown_key;
use crate::target::Target;

/// Reports the unknown keys of the document `root`, and removes them.
///
/// The keys of `[expect]` and `[expect.<target>]` are left to the loader,
/// which tells a misspelt key from a misspelt target; the tables with free
/// keys (`world.files`, `seeds.lost_bytes`) are not walked.
///
/// Also returns where each table that had an unknown key starts: the
/// loader drops its own "missing key" problems there, which the misspelt
/// key most likely meant (`scren` for `screen`), as serde would have
/// stopped before them.
pub(crate) fn take_unknown_keys(root: &mut Spanned<DeTable<'_>>) -> (Vec<Problem>, Vec<usize>) {
    let mut found = Found::default();
    let start = root.span().start;
    check_table(root.get_mut(), start, "", "", &mut found);
    (found.problems, found.tables)
}

#[derive(Default)]
struct Found {
    problems: Vec<Problem>,
    /// Where the tables that had unknown keys start.
    tables: Vec<usize>,
}

/// Checks the keys of `table`. `path` names it in messages
/// (`step[2].wait_for`), `kind` is its path in `keys.rs` (`step.wait_for`).
/// `start` is where it starts in the file.
fn check_table(table: &mut DeTable<'_>, start: usize, path: &str, kind: &str, found: &mut Found) {
    let known = keys::children(kind);
    let unknown: Vec<String> = table
        .iter()
        .filter(|(key, _)| !known.contains(&key.get_ref().as_ref()))
        .map(|(key, _)| {
            found
                .problems
                .push(unknown_key(key.span().start, path, key.get_ref()));
            key.get_ref().to_string()
        })
        .collect();
    if !unknown.is_empty() {
        found.tables.push(start);
        *table = std::mem::take(table)
            .into_iter()
            .filter(|(key, _)| !unknown.iter().any(|u| u == key.get_ref()))
            .collect();
    }
    for (key, value) in table.iter_mut() {
        let name: &str = key.get_ref();
        let child_kind = join(kind, name);
        let start = value.span().start;
        match (child_kind.as_str(), value.get_mut()) {
            ("step", DeValue::Array(steps)) => {
                for (i, step) in steps.iter_mut().enumerate() {
                    let start = step.span().start;
                    if let DeValue::Table(t) = step.get_mut() {
                        let path = format!("step[{}]", i + 1);
                        check_table(t, start, &path, "step", found);
                    }
                }
            }
            ("expect", DeValue::Table(t)) => check_expect(t, found),
            // `[step]` for `[[step]]` is serde's to report; any key is a
            // file name in `files`.
            ("step" | "world.files", _) => {}
            // A table of keys; a table where a value goes (`horizon = {}`)
            // is serde's to report.
            (_, DeValue::Table(t)) if !keys::children(&child_kind).is_empty() => {
                check_table(t, start, &join(path, &segment(name)), &child_kind, found);
            }
            _ => {}
        }
    }
}

/// In `[expect]` and `[expect.<target>]`, only the keys of `client`: the
/// loader reports the others (raw.rs keeps them for it).
fn check_expect(expect: &mut DeTable<'_>, found: &mut Found) {
    for (key, value) in expect.iter_mut() {
        let name: &str = key.get_ref();
        let start = value.span().start;
        let DeValue::Table(t) = value.get_mut() else {
            continue;
        };
        if name == "client" {
            check_table(t, start, "expect.client", "expect.client", found);
        } else if !keys::children("expect").contains(&name) && name.parse::<Target>().is_ok() {
            let path = format!("expect.{}", segment(name));
            if let Some(client) = t.get_mut("client") {
                let start = client.span().start;
                if let DeValue::Table(c) = client.get_mut() {
                    let path = format!("{path}.client");
                    check_table(c, start, &path, "expect.client", found);
                }
            }
        }
    }
}

/// `table.key`, or `key` at the top level.
fn join(table: &str, key: &str) -> String {
    if table.is_empty() {
        key.to_owned()
    } else {
        format!("{table}.{key}")
    }
}
