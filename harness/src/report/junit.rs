//! JUnit XML, the Jenkins form CI systems read (GitLab, Jenkins, GitHub
//! test reporters), written with quick-junit as cargo-nextest writes its
//! own: one `testsuite` per scenario file, one `testcase` per target (and
//! seed, when the run covers several), its verdict as success, failure
//! (`fail` or `unknown`), error (the harness failed) or skipped.
//!
//! A failure's message names every expectation the run broke; its text
//! holds them again with the replay command, and the case's system-out
//! the run's text trace, so a failure reads whole in the CI system.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use crate::verdict::Verdict;

/// One testcase as a run's report gives it.
pub struct JunitCase {
    /// The scenario file: the testsuite, and the case's classname.
    pub scenario: String,
    /// `[openssh]`, or `[openssh] seed=7` when seeds vary in the report.
    pub name: String,
    pub result: CaseResult,
    pub time: Duration,
    /// The run's text trace.
    pub trace: String,
}

/// How a case ended.
pub enum CaseResult {
    /// Judged: its verdict, the replay command, and the failed tries that
    /// came before (`--retries`), each with its message.
    Judged {
        verdict: Verdict,
        replay: String,
        earlier_failures: Vec<String>,
    },
    /// The harness failed on it.
    Error { message: String, replay: String },
    /// Not run, and why.
    Skipped { why: String },
}

/// Every case of a `hangar run`, in the order they were reported.
#[derive(Default)]
pub struct JunitReport {
    cases: Vec<JunitCase>,
}

impl JunitReport {
    pub fn add(&mut self, case: JunitCase) {
        self.cases.push(case);
    }

    /// The XML document; suites in the order their first case came.
    pub fn to_xml(&self) -> String {
        let mut report = Report::new("hangar");
        let mut suites: Vec<TestSuite> = Vec::new();
        for case in &self.cases {
            let at = match suites.iter().position(|s| *s.name == *case.scenario) {
                Some(at) => at,
                None => {
                    suites.push(TestSuite::new(case.scenario.as_str()));
                    suites.len() - 1
                }
            };
            suites[at].add_test_case(test_case(case));
        }
        let total: Duration = self.cases.iter().map(|c| c.time).sum();
        report.set_time(total);
        report.add_test_suites(suites);
        report
            .to_string()
            .unwrap_or_else(|e| format!("<!-- the JUnit report could not be written: {e} -->\n"))
    }
}

fn test_case(case: &JunitCase) -> TestCase {
    let status = match &case.result {
        CaseResult::Judged {
            verdict: Verdict::Pass,
            earlier_failures,
            ..
        } => {
            let mut status = TestCaseStatus::success();
            if let TestCaseStatus::Success { flaky_runs } = &mut status {
                for message in earlier_failures {
                    let mut rerun = TestRerun::new(NonSuccessKind::Failure);
                    rerun.set_message(message.as_str());
                    flaky_runs.push(rerun);
                }
            }
            status
        }
        CaseResult::Judged {
            verdict, replay, ..
        } => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(failure_message(verdict))
                .set_type(verdict.name())
                .set_description(format!(
                    "{}\nreplay: {replay}",
                    verdict.details().join("\n")
                ));
            status
        }
        CaseResult::Error { message, replay } => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_message(format!("hangar itself failed: {message}"))
                .set_type("error")
                .set_description(format!("{message}\nreplay: {replay}"));
            status
        }
        CaseResult::Skipped { why } => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(why.as_str());
            status
        }
    };
    let mut test_case = TestCase::new(case.name.as_str(), status);
    test_case
        .set_classname(case.scenario.as_str())
        .set_time(case.time);
    if !case.trace.is_empty() {
        test_case.set_system_out(case.trace.as_str());
    }
    test_case
}

/// Creates the `--junit` file before anything runs, so that a report
/// that cannot be written is bad input, not work lost at the end; the
/// error names the file and gives an example.
pub fn create(path: &std::path::Path, example: &str) -> Result<(), String> {
    std::fs::File::create(path).map(drop).map_err(|e| {
        format!(
            "error: --junit {}: {e}\n  example: --junit {example}",
            path.display()
        )
    })
}

/// `fail: client exit: expected 0, got 255; ...`: the verdict and every
/// expectation it broke, on one line.
pub fn failure_message(verdict: &Verdict) -> String {
    match verdict.details() {
        [] => verdict.name().to_string(),
        details => format!("{}: {}", verdict.name(), details.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &str, result: CaseResult) -> JunitCase {
        JunitCase {
            scenario: "scenarios/exit/exit-status.toml".into(),
            name: name.into(),
            result,
            time: Duration::from_millis(250),
            trace: "trace:\n   0.000s  client  runs \"ssh server 'exit 3'\"\n".into(),
        }
    }

    fn report() -> String {
        let mut report = JunitReport::default();
        report.add(case(
            "[openssh]",
            CaseResult::Judged {
                verdict: Verdict::Pass,
                replay: String::new(),
                earlier_failures: vec![],
            },
        ));
        report.add(case(
            "[dropbear]",
            CaseResult::Judged {
                verdict: Verdict::Fail(vec!["client exit: expected 3, got 255".into()]),
                replay: "hangar run scenarios/exit/exit-status.toml --target dropbear --seed 0 -v"
                    .into(),
                earlier_failures: vec![],
            },
        ));
        report.add(case(
            "[hangar:wait-eof]",
            CaseResult::Judged {
                verdict: Verdict::Pass,
                replay: String::new(),
                earlier_failures: vec!["fail: stderr bytes: expected 0, got 3".into()],
            },
        ));
        report.add(case(
            "[hangar:close-on-exit]",
            CaseResult::Error {
                message: "panicked at src/x.rs:1:1".into(),
                replay: "hangar run x".into(),
            },
        ));
        report.add(case(
            "[my-sshd]",
            CaseResult::Skipped {
                why: "the target has no scp client".into(),
            },
        ));
        report.to_xml()
    }

    #[test]
    fn the_report_reads_back_with_each_verdict_in_its_place() {
        let xml = report();
        // A consumer's reading: quick-junit's own deserializer.
        let read = Report::deserialize_from_str(&xml).expect(&xml);
        assert_eq!(read.tests, 5);
        assert_eq!(read.failures, 1);
        assert_eq!(read.errors, 1);
        let suite = &read.test_suites[0];
        assert_eq!(suite.name.as_str(), "scenarios/exit/exit-status.toml");
        assert_eq!(suite.test_cases.len(), 5);
        let failed = &suite.test_cases[1];
        assert_eq!(failed.name.as_str(), "[dropbear]");
        match &failed.status {
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Failure,
                message: Some(message),
                description: Some(description),
                ..
            } => {
                assert_eq!(message.as_str(), "fail: client exit: expected 3, got 255");
                let description = description.as_str();
                assert!(description.contains("replay: hangar run"), "{description}");
            }
            other => panic!("not a failure: {other:?}"),
        }
        assert!(matches!(
            &suite.test_cases[2].status,
            TestCaseStatus::Success { flaky_runs } if flaky_runs.len() == 1
        ));
        assert!(matches!(
            &suite.test_cases[3].status,
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Error,
                ..
            }
        ));
        assert!(matches!(
            &suite.test_cases[4].status,
            TestCaseStatus::Skipped { .. }
        ));
        let out = suite.test_cases[0].system_out.as_ref().unwrap().as_str();
        assert!(out.contains("runs \"ssh server 'exit 3'\""), "{out}");
    }

    #[test]
    fn the_xml_has_the_elements_ci_systems_look_for() {
        let xml = report();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        for element in [
            "<testsuites name=\"hangar\" tests=\"5\" skipped=\"1\" failures=\"1\" errors=\"1\"",
            "<testsuite name=\"scenarios/exit/exit-status.toml\" tests=\"5\"",
            "<testcase name=\"[dropbear]\" classname=\"scenarios/exit/exit-status.toml\"",
            "<failure message=\"fail: client exit: expected 3, got 255\" type=\"fail\">",
            "<error message=\"hangar itself failed: panicked at src/x.rs:1:1\"",
            "<skipped message=\"the target has no scp client\"/>",
            "<flakyFailure message=\"fail: stderr bytes: expected 0, got 3\"",
        ] {
            assert!(xml.contains(element), "{element}\n{xml}");
        }
    }
}
