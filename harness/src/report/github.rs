//! GitHub Actions: when `GITHUB_ACTIONS=true`, a run that does not pass
//! becomes an `::error` workflow command that points at the expectation
//! it broke in the scenario file, and the job summary
//! (`$GITHUB_STEP_SUMMARY`) gets a table of the runs that did not pass.

use std::io::Write;

use crate::verdict::Verdict;

/// Whether this process runs in a GitHub Actions job (the runner sets
/// GITHUB_ACTIONS=true).
pub fn in_github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// One run that did not pass, for the annotation and the summary.
pub struct Failed {
    pub scenario: String,
    /// `openssh`, `openssh seed=3`.
    pub run: String,
    pub verdict: Verdict,
    pub replay: String,
}

/// The `::error` command for a failed run: at the line of the first
/// expectation it broke in `file_text`, for the target `target` (whose
/// `[expect."TARGET"]` table wins over the lane's and the common one).
pub fn annotation(failed: &Failed, file_text: &str, target: &str, lane: &str) -> String {
    let line = failed
        .verdict
        .details()
        .iter()
        .find_map(|detail| expectation_line(file_text, target, lane, detail))
        .or_else(|| table_line(file_text, "expect"))
        .unwrap_or(1);
    let title = format!(
        "{} [{}]: {}",
        failed.scenario,
        failed.run,
        failed.verdict.name()
    );
    let message = format!(
        "{}\nreplay: {}",
        failed.verdict.details().join("\n"),
        failed.replay
    );
    format!(
        "::error file={},line={line},title={}::{}",
        escape_property(&workspace_path(&failed.scenario)),
        escape_property(&title),
        escape_data(&message)
    )
}

/// A path as the runner resolves an annotation's: relative to the
/// checkout (`GITHUB_WORKSPACE`), where hangar's working directory may
/// be a subdirectory.
fn workspace_path(path: &str) -> String {
    let workspace =
        std::env::var_os("GITHUB_WORKSPACE").and_then(|w| std::fs::canonicalize(w).ok());
    let full = std::fs::canonicalize(path).ok();
    match (workspace, full) {
        (Some(workspace), Some(full)) => full
            .strip_prefix(&workspace)
            .map_or(path.to_string(), |rel| rel.display().to_string()),
        _ => path.to_string(),
    }
}

/// The expectation key a verdict's detail is about.
fn key_of(detail: &str) -> Option<&'static str> {
    let keys = [
        ("client ", "client"),
        ("lost bytes:", "lost_bytes"),
        ("stdout bytes:", "stdout_bytes"),
        ("stderr bytes:", "stderr_bytes"),
        ("stdout:", "stdout"),
        ("stderr:", "stderr"),
        ("file ", "files"),
        ("survivors:", "survivors"),
        ("order:", "order"),
        ("screen:", "screen"),
    ];
    keys.iter()
        .find(|(prefix, _)| detail.starts_with(prefix))
        .map(|(_, key)| *key)
}

/// The 1-based line where `detail`'s key is set, looked for in the
/// tables that apply, most particular first.
fn expectation_line(file_text: &str, target: &str, lane: &str, detail: &str) -> Option<usize> {
    let key = key_of(detail)?;
    let tables = [
        format!("expect.\"{target}\""),
        format!("expect.{target}"),
        format!("expect.{lane}"),
        "expect".to_string(),
    ];
    tables
        .iter()
        .find_map(|table| key_line_in_table(file_text, table, key))
}

/// The line of `[TABLE]`.
fn table_line(file_text: &str, table: &str) -> Option<usize> {
    let header = format!("[{table}]");
    file_text
        .lines()
        .position(|l| l.trim() == header)
        .map(|i| i + 1)
}

/// The line where `key` (or one of its `_any` forms) is set inside
/// `[TABLE]`, before the next table starts.
fn key_line_in_table(file_text: &str, table: &str, key: &str) -> Option<usize> {
    let start = table_line(file_text, table)?;
    file_text
        .lines()
        .enumerate()
        .skip(start)
        .take_while(|(_, l)| !l.trim_start().starts_with('['))
        .find(|(_, l)| {
            let l = l.trim_start();
            l.strip_prefix(key).is_some_and(|rest| {
                let rest = rest.strip_prefix("_any").unwrap_or(rest);
                rest.trim_start().starts_with('=')
            })
        })
        .map(|(i, _)| i + 1)
}

/// Workflow command data: `%`, CR and LF escaped (the runner's
/// escapeData).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command property: the data escapes, and `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The job summary's part for a `hangar run`: the tally, then a table of
/// the runs that did not pass.
pub fn step_summary(tally_line: &str, failed: &[Failed]) -> String {
    let mut text = format!("### hangar: {}\n", tally_line.trim());
    if failed.is_empty() {
        return text;
    }
    text.push_str("\n| scenario | run | verdict | why | replay |\n|---|---|---|---|---|\n");
    for f in failed {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', "<br>");
        text.push_str(&format!(
            "| `{}` | {} | {} | {} | `{}` |\n",
            cell(&f.scenario),
            cell(&f.run),
            f.verdict.name(),
            cell(&f.verdict.details().join("\n")),
            cell(&f.replay)
        ));
    }
    text
}

/// Appends to the file `$GITHUB_STEP_SUMMARY` names; says on stderr why
/// it could not.
pub fn append_step_summary(text: &str) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
        return;
    };
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if let Err(e) = appended {
        eprintln!("warning: GITHUB_STEP_SUMMARY: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "title = \"t\"\nsource = \"s\"\n\n[[step]]\nrun = \"ssh server 'exit 7'\"\n\n\
                        [expect]\nclient = { exit = 7 }\nstderr_bytes = 0\n\n\
                        [expect.\"hangar:close-on-exit\"]\nstderr_bytes = 5\n\n[expect.real]\nclient_any = 1\n";

    fn failed(details: &[&str]) -> Failed {
        Failed {
            scenario: "scenarios/exit/x.toml".into(),
            run: "openssh seed=3".into(),
            verdict: Verdict::Fail(details.iter().map(|d| d.to_string()).collect()),
            replay: "hangar run scenarios/exit/x.toml --target openssh --seed 3 -v".into(),
        }
    }

    #[test]
    fn the_annotation_points_at_the_broken_expectation_of_the_target_that_ran() {
        let f = failed(&["stderr bytes: expected 0, got 3"]);
        assert!(annotation(&f, FILE, "openssh", "sim").starts_with(
            "::error file=scenarios/exit/x.toml,line=9,title=scenarios/exit/x.toml [openssh seed=3]%3A fail::"
        ));
        let line = annotation(&f, FILE, "hangar:close-on-exit", "sim");
        assert!(line.contains(",line=12,"), "{line}");
        let f = failed(&["client exit: expected 7, got 255"]);
        assert!(annotation(&f, FILE, "openssh", "real").contains(",line=15,"));
        assert!(annotation(&f, FILE, "openssh", "sim").contains(",line=8,"));
        // A detail with no key of its own: the [expect] table.
        let f = failed(&["the watchdog killed it"]);
        assert!(annotation(&f, FILE, "openssh", "sim").contains(",line=7,"));
    }

    #[test]
    fn messages_are_escaped_as_the_runner_reads_them() {
        let f = failed(&[
            "stderr: nothing matches /100%/",
            "stdout bytes: expected 1, got 2",
        ]);
        let line = annotation(&f, FILE, "openssh", "sim");
        let data = line.split_once("::").unwrap().1.split_once("::").unwrap().1;
        assert_eq!(
            data,
            "stderr: nothing matches /100%25/%0Astdout bytes: expected 1, got 2%0Areplay: hangar run scenarios/exit/x.toml --target openssh --seed 3 -v"
        );
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }

    #[test]
    fn the_step_summary_is_a_markdown_table_of_what_did_not_pass() {
        let text = step_summary(
            "\n1 passed, 1 failed or unknown",
            &[failed(&["a | b", "c"])],
        );
        assert_eq!(
            text,
            "### hangar: 1 passed, 1 failed or unknown\n\n\
             | scenario | run | verdict | why | replay |\n|---|---|---|---|---|\n\
             | `scenarios/exit/x.toml` | openssh seed=3 | fail | a \\| b<br>c | \
             `hangar run scenarios/exit/x.toml --target openssh --seed 3 -v` |\n"
        );
        assert_eq!(step_summary("2 passed", &[]), "### hangar: 2 passed\n");
    }
}
