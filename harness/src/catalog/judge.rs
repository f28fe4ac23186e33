//! A job's runs judged against the scenario's expectations, compared with
//! each other under `--repeat`, and retried under `--retries`.

use hangar_scenario::{Scenario, Target};

use super::isolation::{RunFailure, run_isolated};
use super::output::{Output, Tally, case_name, job_replay, report_error, report_try};
use super::pool::RunOutcome;
use super::{REAL_RACE, RunOptions};
use crate::real::RealTarget;
use crate::report;
use crate::report::html::RunView;
use crate::report::junit::{CaseResult, JunitCase, failure_message};
use crate::verdict::{Verdict, check, expectations_for};

/// One job of a `hangar run`, as its runs are judged and reported.
pub(crate) struct JobRef<'a> {
    pub(crate) scenario: &'a Scenario,
    pub(crate) label: &'a str,
    /// The target whose expectations apply.
    pub(crate) target: Target,
    /// The real lane's target that ran it; `None` in the sim lane.
    pub(crate) real_target: Option<&'a RealTarget>,
    pub(crate) seed: u64,
    pub(crate) repeat: usize,
}

/// A job's runs judged: the first run, its verdict, and how the repeated
/// runs' traces differ, if they do.
pub(crate) struct Judged {
    pub(crate) result: crate::run::RunResult,
    pub(crate) verdict: Verdict,
    pub(crate) difference: Option<String>,
    /// Whether every repeated run met the expectations on its own.
    pub(crate) every_run_passed: bool,
}

/// Judges one job's runs (retrying a real job that did not pass, under
/// `--retries`), reports it and counts it.
pub(crate) fn report_job(
    out: &mut Output,
    options: &RunOptions,
    job: &JobRef,
    results: Vec<RunOutcome>,
    tally: &mut Tally,
) {
    let mut tries: Vec<Judged> = Vec::new();
    let mut results = results;
    loop {
        let judged = match judge(job, results) {
            Ok(judged) => judged,
            Err(failure) => {
                // The harness failed: reported in the run's place, not
                // retried (a retry is for a lost race, not a broken
                // harness).
                tally.errors += 1;
                report_error(out, options, job, &failure.0);
                return;
            }
        };
        let retry = may_retry(
            &judged.verdict,
            judged.difference.is_some(),
            judged.every_run_passed,
        );
        let again = job
            .real_target
            .filter(|_| retry && tries.len() < options.retries);
        tries.push(judged);
        let Some(real_target) = again else { break };
        let repeated = vec![(job.scenario, real_target); job.repeat];
        results = run_isolated(&repeated, 1, |(scenario, target)| {
            crate::real::run(scenario, target)
        });
    }
    let Some(judged) = tries.last() else { return };
    out.case(|| JunitCase {
        scenario: job.scenario.path.clone(),
        name: case_name(job),
        result: CaseResult::Judged {
            verdict: judged.verdict.clone(),
            replay: job_replay(job),
            earlier_failures: tries[..tries.len() - 1]
                .iter()
                .map(|t| failure_message(&t.verdict))
                .collect(),
        },
        time: judged.result.wall,
        trace: report::trace_text(job.scenario, &judged.result, &judged.verdict),
    });
    out.page(|html| {
        html.add_run(&RunView {
            scenario: job.scenario,
            label: job.label,
            result: &judged.result,
            verdict: &judged.verdict,
            replay: job_replay(job),
        })
    });
    if judged.verdict == Verdict::Pass {
        tally.passed += 1;
        tally.flaky += u64::from(tries.len() > 1);
    } else {
        tally.failed += 1;
        out.failed(job, &judged.verdict);
    }
    let of = tries.len();
    for (n, one) in tries.iter().enumerate() {
        report_try(out, options, job, one, (of > 1).then_some((n + 1, of)));
    }
}

/// Whether `--retries` may run a job again: it did not pass, and not
/// because runs that all met the expectations gave different traces. That
/// is the finding of `--repeat`; a run that failed its expectations makes
/// its trace differ anyway, and is a lost race like any other failed try.
fn may_retry(verdict: &Verdict, traces_differ: bool, every_run_passed: bool) -> bool {
    *verdict != Verdict::Pass && (!traces_differ || !every_run_passed)
}

fn judge(job: &JobRef, results: Vec<RunOutcome>) -> Result<Judged, RunFailure> {
    let mut done = results
        .into_iter()
        .map(|r| r?.map_err(|e| RunFailure(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    if done.is_empty() {
        return Err(RunFailure("the job did not run".to_string()));
    }
    let expectations = expectations_for(job.scenario, job.target, done[0].lane_kind());
    let mut verdicts: Vec<Verdict> = done
        .iter()
        .map(|r| check(&expectations, &r.outcome))
        .collect();
    let texts: Vec<String> = done
        .iter()
        .zip(&verdicts)
        .map(|(r, verdict)| {
            if job.real_target.is_some() {
                crate::real::observe::snapshot_text(job.scenario, r, verdict)
            } else {
                report::trace_text(job.scenario, r, verdict)
            }
        })
        .collect();
    let every_run_passed = verdicts.iter().all(|v| *v == Verdict::Pass);
    let result = done.swap_remove(0);
    let mut verdict = verdicts.swap_remove(0);
    let racy = job.real_target.is_some() && job.scenario.tags.iter().any(|t| t == REAL_RACE);
    let difference = crate::real::observe::repeat_difference(&texts).filter(|_| !racy);
    if difference.is_some() {
        let why = format!(
            "the trace differs between repeated runs (--repeat {})",
            job.repeat
        );
        verdict = match verdict {
            Verdict::Pass => Verdict::Fail(vec![why]),
            Verdict::Fail(mut d) | Verdict::Unknown(mut d) => {
                d.push(why);
                Verdict::Fail(d)
            }
        };
    }
    Ok(Judged {
        result,
        verdict,
        difference,
        every_run_passed,
    })
}

#[cfg(test)]
mod tests {
    use super::super::load_named;
    use super::super::output::job_replay;
    use super::super::pool::run_parallel;
    use super::*;
    use crate::catalog::Lane;
    use crate::report::EXIT_HARNESS_ERROR;

    #[test]
    fn a_failed_run_is_retried_and_a_difference_among_passing_runs_is_not() {
        let fail = Verdict::Fail(vec!["exit 3, expected 7".into()]);
        assert!(!may_retry(&Verdict::Pass, false, true));
        assert!(may_retry(&fail, false, false));
        // One of the repeated runs failed: its trace differs, retried.
        assert!(may_retry(&fail, true, false));
        // Every run passed and the traces still differ: not a lost race.
        assert!(!may_retry(&fail, true, true));
    }

    fn exit_status() -> Scenario {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../scenarios/exit/exit-status.toml");
        load_named(&path, "scenarios/exit/exit-status.toml").unwrap()
    }

    #[test]
    fn a_run_that_panicked_is_counted_as_an_error_with_its_replay_and_the_others_still_count() {
        let scenario = exit_status();
        let target = Target::OpenSsh;
        let options = RunOptions {
            targets: Vec::new(),
            seed: "7".into(),
            seeds: None,
            shard: None,
            until_fail: false,
            lane: Lane::Sim,
            verbose: false,
            json: false,
            events: false,
            workers: 1,
            targets_file: None,
            repeat: None,
            retries: 0,
            junit_stdout: false,
            junit_file: None,
            html: None,
            selection: Default::default(),
        };
        let job = JobRef {
            scenario: &scenario,
            label: "openssh",
            target,
            real_target: None,
            seed: 7,
            repeat: 1,
        };
        let mut tally = Tally::default();
        // A job whose run panicked, then one that ran.
        let panicked: Vec<RunOutcome> = vec![Err(RunFailure("panicked at x.rs:1: boom".into()))];
        report_job(&mut Output::default(), &options, &job, panicked, &mut tally);
        let ran = run_parallel(&[(&scenario, target)], 7, 1);
        report_job(&mut Output::default(), &options, &job, ran, &mut tally);
        assert_eq!((tally.errors, tally.passed, tally.failed), (1, 1, 0));
        assert_eq!(tally.exit_code(), EXIT_HARNESS_ERROR);
        assert!(
            tally.summary().contains("1 error(s) of the harness"),
            "{}",
            tally.summary()
        );
        assert_eq!(
            job_replay(&job),
            "hangar run scenarios/exit/exit-status.toml --target openssh --seed 7 -v"
        );
        let line = report::error_summary_line(
            &scenario.path,
            job.label,
            job.seed,
            "panicked at x.rs:1: boom",
            &job_replay(&job),
        );
        assert_eq!(
            line,
            "error   scenarios/exit/exit-status.toml [openssh] seed=7\n          panicked at x.rs:1: boom\n          replay: hangar run scenarios/exit/exit-status.toml --target openssh --seed 7 -v"
        );
    }
}
