//! What `hangar run` prints: its lines, its header, each try of a job,
//! the replay lines, and the tally that makes its last line and exit code.

use std::io::Write;

use super::RunOptions;
use super::judge::{JobRef, Judged};
use crate::real::RealTarget;
use crate::report::github::{
    Failed, annotation, append_step_summary, in_github_actions, step_summary,
};
use crate::report::html::HtmlReport;
use crate::report::junit::{CaseResult, JunitCase, JunitReport};
use crate::report::terminal::{paint_verdict, progress_bar, stdout_takes_color};
use crate::report::{self, EXIT_FAIL, EXIT_HARNESS_ERROR, EXIT_PASS};
use crate::verdict::Verdict;

/// Standard output that stops quietly when its reader goes away
/// (`hangar run ... | head`), instead of panicking; and the JUnit report,
/// when one is asked for, gathered as the jobs are reported.
#[derive(Default)]
pub(crate) struct Output {
    closed: bool,
    /// `--format junit`: standard output holds the XML alone.
    xml_only: bool,
    junit: Option<JunitReport>,
    /// In GitHub Actions: the runs that did not pass, for the job summary.
    github: Option<Vec<Failed>>,
    /// At a terminal: verdicts in color.
    color: bool,
    /// At a terminal: how far the runs are (on stderr).
    progress: Option<indicatif::ProgressBar>,
    /// `--html DIR`: the report, and the first page that could not be written.
    html: Option<HtmlReport>,
    html_error: Option<String>,
}

impl Output {
    pub(crate) fn for_run(options: &RunOptions) -> Output {
        let wants_junit = options.junit_stdout || options.junit_file.is_some();
        Output {
            closed: false,
            xml_only: options.junit_stdout,
            junit: wants_junit.then(JunitReport::default),
            github: in_github_actions().then(Vec::new),
            color: !options.json && !options.junit_stdout && stdout_takes_color(),
            progress: None,
            html: None,
            html_error: None,
        }
    }

    /// Writes the `--html` report as runs end.
    pub(crate) fn with_html(mut self, html: Option<HtmlReport>) -> Output {
        self.html = html;
        self
    }

    /// Adds a page to the HTML report, if there is one (the page is made
    /// only then); a page that cannot be written fails the run at its end.
    pub(crate) fn page(&mut self, add: impl FnOnce(&mut HtmlReport) -> Result<(), String>) {
        if let Some(html) = &mut self.html
            && let Err(message) = add(html)
        {
            self.html_error.get_or_insert(message);
        }
    }

    /// Writes the HTML report's index (after its pages); false, the error
    /// said, when the report could not be written.
    pub(crate) fn finish_html(&mut self, summary: &str) -> bool {
        let Some(html) = &self.html else {
            return true;
        };
        let written = match self.html_error.take() {
            Some(message) => Err(message),
            None => html.finish("hangar run", summary.trim()),
        };
        match written {
            Ok(index) => {
                eprintln!("hangar: HTML report in {}", index.display());
                true
            }
            Err(message) => {
                eprintln!("{message}");
                false
            }
        }
    }

    /// Shows a progress bar for `runs` runs, at a terminal; returns it
    /// for the worker threads to step at each run's end.
    pub(crate) fn expect_runs(&mut self, runs: u64) -> Option<indicatif::ProgressBar> {
        self.progress = progress_bar(runs, "runs");
        self.progress.clone()
    }

    /// In GitHub Actions, a run that did not pass: an `::error` at the
    /// expectation it broke, kept for the job summary. The runner reads
    /// workflow commands on stderr as on stdout; stderr leaves the text,
    /// JSON or XML on stdout as it is without.
    pub(crate) fn failed(&mut self, job: &JobRef, verdict: &Verdict) {
        let Some(failures) = &mut self.github else {
            return;
        };
        let failed = Failed {
            scenario: job.scenario.path.clone(),
            run: format!("{}{}", job.label, seed_of(job)),
            verdict: verdict.clone(),
            replay: job_replay(job),
        };
        let lane = if job.real_target.is_some() {
            "real"
        } else {
            "sim"
        };
        let file_text = std::fs::read_to_string(&job.scenario.path).unwrap_or_default();
        let line = annotation(&failed, &file_text, &job.target.to_string(), lane);
        eprintln!("{line}");
        failures.push(failed);
    }

    pub(crate) fn line(&mut self, text: &str) {
        if !self.xml_only {
            self.write(text);
        }
    }

    fn write(&mut self, text: &str) {
        let text = if self.color {
            paint_verdict(text)
        } else {
            text.to_string()
        };
        let print = || writeln!(std::io::stdout().lock(), "{text}").is_err();
        // The bar steps aside while a line is printed above it.
        let failed = match &self.progress {
            Some(bar) if !self.closed => bar.suspend(print),
            _ => !self.closed && print(),
        };
        self.closed |= failed;
    }

    /// Adds a testcase to the JUnit report, if there is one (the case is
    /// made only then).
    pub(crate) fn case(&mut self, case: impl FnOnce() -> JunitCase) {
        if let Some(report) = &mut self.junit {
            report.add(case());
        }
    }

    /// The tally's last line and the reports; the exit code.
    pub(crate) fn finish(&mut self, options: &RunOptions, tally: &Tally) -> i32 {
        if self.close(options, &tally.summary()) {
            tally.exit_code()
        } else {
            EXIT_HARNESS_ERROR
        }
    }

    /// The run's last line (on stderr when stdout holds the XML), the
    /// GitHub job summary, and the HTML and JUnit reports where they were
    /// asked for; false, the error said, when a report could not be written.
    pub(crate) fn close(&mut self, options: &RunOptions, summary: &str) -> bool {
        if let Some(bar) = self.progress.take() {
            bar.finish_and_clear();
        }
        if let Some(failures) = &self.github {
            append_step_summary(&step_summary(summary, failures));
        }
        if self.xml_only {
            eprintln!("{}", summary.trim_start());
        } else if !options.json {
            self.line(summary);
        }
        if !self.finish_html(summary) {
            return false;
        }
        let Some(report) = &self.junit else {
            return true;
        };
        let xml = report.to_xml();
        if self.xml_only {
            self.write(xml.trim_end());
        }
        if let Some(path) = &options.junit_file
            && let Err(e) = std::fs::write(path, &xml)
        {
            eprintln!("error: --junit {}: {e}", path.display());
            return false;
        }
        true
    }
}

/// A job's testcase name: its target, and its seed in the sim lane.
pub(crate) fn case_name(job: &JobRef) -> String {
    format!("[{}]{}", job.label, seed_of(job))
}

/// ` seed=N` in the sim lane; a real run has no seed.
fn seed_of(job: &JobRef) -> String {
    match job.real_target {
        Some(_) => String::new(),
        None => format!(" seed={}", job.seed),
    }
}

/// What a `hangar run` counted, for its last line and its exit code.
#[derive(Default)]
pub(crate) struct Tally {
    pub(crate) passed: u64,
    pub(crate) failed: u64,
    /// Runs that passed only on a retry.
    pub(crate) flaky: u64,
    pub(crate) skipped: u64,
    /// Runs in which the harness failed (verdict `error`).
    pub(crate) errors: u64,
}

impl Tally {
    pub(crate) fn summary(&self) -> String {
        let mut line = format!("\n{} passed", self.passed);
        if self.flaky > 0 {
            line.push_str(&format!(" ({} of them only on a retry: flaky)", self.flaky));
        }
        line.push_str(&format!(", {} failed or unknown", self.failed));
        if self.errors > 0 {
            line.push_str(&format!(", {} error(s) of the harness", self.errors));
        }
        if self.skipped > 0 {
            line.push_str(&format!(", {} skipped", self.skipped));
        }
        line
    }

    /// 3 when the harness failed on some run, else 1 when some run did
    /// not pass, else 0.
    pub(crate) fn exit_code(&self) -> i32 {
        if self.errors > 0 {
            EXIT_HARNESS_ERROR
        } else if self.failed > 0 {
            EXIT_FAIL
        } else {
            EXIT_PASS
        }
    }
}

pub(crate) fn out_header(
    out: &mut Output,
    options: &RunOptions,
    files: usize,
    runs: u64,
    seeds: &str,
) {
    if !options.json {
        out.line(&format!(
            "hangar: {files} scenario file(s), {runs} run(s), lane {}, {seeds}, {} worker(s)",
            options.lane, options.workers
        ));
    }
}

/// Prints a run in which the harness failed, in the run's place: verdict
/// `error`, the panic's message and place, and the replay line.
pub(crate) fn report_error(out: &mut Output, options: &RunOptions, job: &JobRef, message: &str) {
    let replay = job_replay(job);
    out.failed(
        job,
        &Verdict::Fail(vec![format!("hangar itself failed: {message}")]),
    );
    out.case(|| JunitCase {
        scenario: job.scenario.path.clone(),
        name: case_name(job),
        result: CaseResult::Error {
            message: message.to_string(),
            replay: replay.clone(),
        },
        time: std::time::Duration::ZERO,
        trace: String::new(),
    });
    if options.json {
        let lane = if job.real_target.is_some() {
            report::LANE_REAL
        } else {
            report::LANE_SIM
        };
        let line = report::error_json(job.scenario, lane, job.label, job.seed, message, &replay);
        out.line(&line.to_string());
    } else {
        out.line(&report::error_summary_line(
            &job.scenario.path,
            job.label,
            job.seed,
            message,
            &replay,
        ));
    }
}

/// The command that runs a job again.
pub(crate) fn job_replay(job: &JobRef) -> String {
    let path = &job.scenario.path;
    match job.real_target {
        Some(target) => real_replay(path, target),
        None => report::replay_command(job.scenario, job.target, job.seed),
    }
}

/// The command that runs a real job again.
pub(crate) fn real_replay(path: &str, target: &RealTarget) -> String {
    match target {
        RealTarget {
            name,
            file: Some(file),
            ..
        } => {
            format!("hangar run {path} --lane real --targets {file} --target {name} -v")
        }
        target => format!("hangar run {path} --lane real --target {} -v", target.name),
    }
}

/// Prints one try of a job: `try` is `(n, of)` when the job ran more than
/// once. A real run that did not pass is printed in full even without
/// `-v`: unlike a seed, it cannot be replayed exactly.
pub(crate) fn report_try(
    out: &mut Output,
    options: &RunOptions,
    job: &JobRef,
    judged: &Judged,
    r#try: Option<(usize, usize)>,
) {
    let (scenario, result, verdict) = (job.scenario, &judged.result, &judged.verdict);
    if let Some(diff) = &judged.difference {
        let text = format!(
            "{} [{}]: {} runs, traces differ; {diff}",
            scenario.path, job.label, job.repeat
        );
        if options.json {
            // Standard output stays one JSON object a line.
            eprintln!("{text}");
        } else {
            out.line(&text);
        }
    }
    if options.json {
        let mut line = report::json_value(scenario, result, verdict);
        if options.events {
            line["events"] = report::events_json(&result.events);
        }
        if let Some((n, of)) = r#try {
            line["try"] = serde_json::json!(n);
            line["tries"] = serde_json::json!(of);
        }
        out.line(&line.to_string());
        return;
    }
    if options.verbose || (job.real_target.is_some() && *verdict != Verdict::Pass) {
        out.line(&format!(
            "\n{}",
            report::trace_text(scenario, result, verdict)
        ));
    }
    let mut line = report::summary_line(scenario, result, verdict);
    match r#try {
        Some((n, of)) if n < of => {
            line.push_str(&format!("\n          try {n} of {of}: run again"))
        }
        Some((n, _)) if *verdict == Verdict::Pass => line.push_str(&format!(
            "\n          flaky: passed on try {n}, after failing before"
        )),
        Some((n, _)) => line.push_str(&format!("\n          try {n}: still not passing")),
        None => {}
    }
    out.line(&line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_outrank_passes_and_errors_outrank_failures() {
        let mut tally = Tally {
            passed: 3,
            ..Tally::default()
        };
        assert_eq!(tally.exit_code(), EXIT_PASS);
        tally.failed = 1;
        assert_eq!(tally.exit_code(), EXIT_FAIL);
        tally.errors = 1;
        assert_eq!(tally.exit_code(), EXIT_HARNESS_ERROR);
    }
}
