//! Expectations checked against a run's outcome.
//!
//! `pass`: every expectation held. `fail`: one did not (each difference is
//! listed). `unknown`: the run reached the horizon before the client ended
//! while the scenario expected it to end, or a `wait_for` ran out of time,
//! so nothing can be said yet; the report then lists what was still
//! waiting.

use std::fmt;

use hangar_scenario::{ExitExpect, Expect, LaneKind, Scenario, Target, format_duration};

use crate::run::{FileSeen, Outcome, host_path};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail(Vec<String>),
    Unknown(Vec<String>),
}

impl Verdict {
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail(_) => "fail",
            Verdict::Unknown(_) => "unknown",
        }
    }

    pub fn details(&self) -> &[String] {
        match self {
            Verdict::Pass => &[],
            Verdict::Fail(d) | Verdict::Unknown(d) => d,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The expectations for `target` in `lane`: the base, with the lane's
/// table and then the target's own replacing each field they set.
pub fn expectations_for(scenario: &Scenario, target: Target, lane: LaneKind) -> Expect {
    let mut expect = scenario.expect.clone();
    let by_lane = scenario.expect_by_lane.iter().filter(|(l, _)| *l == lane);
    let by_target = scenario
        .expect_by_target
        .iter()
        .filter(|(t, _)| *t == target);
    for over in by_lane.map(|(_, e)| e).chain(by_target.map(|(_, e)| e)) {
        override_with(&mut expect, over);
    }
    expect
}

/// Each field `over` sets replaces `expect`'s.
fn override_with(expect: &mut Expect, over: &Expect) {
    if let Some(client) = &over.client {
        expect.client = Some(client.clone());
    }
    let sizes = [
        (&mut expect.lost_bytes, over.lost_bytes),
        (&mut expect.stdout_bytes, over.stdout_bytes),
        (&mut expect.stderr_bytes, over.stderr_bytes),
    ];
    for (field, value) in sizes {
        if value.is_some() {
            *field = value;
        }
    }
    let patterns = [
        (&mut expect.screen, &over.screen),
        (&mut expect.stdout, &over.stdout),
        (&mut expect.stderr, &over.stderr),
    ];
    for (field, value) in patterns {
        if value.is_some() {
            field.clone_from(value);
        }
    }
    if over.files.is_some() {
        expect.files.clone_from(&over.files);
    }
    // One answer or several: a table that sets either form replaces both.
    if over.survivors.is_some() || over.survivors_any.is_some() {
        expect.survivors.clone_from(&over.survivors);
        expect.survivors_any.clone_from(&over.survivors_any);
    }
    if over.order.is_some() || over.order_any.is_some() {
        expect.order.clone_from(&over.order);
        expect.order_any.clone_from(&over.order_any);
    }
}

pub fn check(expect: &Expect, outcome: &Outcome) -> Verdict {
    if let Some(waited) = &outcome.timed_out {
        let mut still = vec![waited.clone()];
        if let Some(screen) = &outcome.screen {
            let tail: Vec<&str> = screen.lines().rev().take(3).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            still.push(format!("the screen ends with: {:?}", tail.join("\n")));
        }
        still.extend(outcome.waiting.iter().cloned());
        return Verdict::Unknown(still);
    }
    let mut differences = Vec::new();
    if let Some(client) = &expect.client {
        // An exit code, or a deadline without one, says the client ends.
        let expected_to_end = match client.exit {
            Some(ExitExpect::Code(_)) => true,
            Some(ExitExpect::Never) => false,
            None => client.exit_any.is_some() || client.within.is_some(),
        };
        match (client.exit, outcome.client_exit) {
            (_, None) if expected_to_end => {
                let mut still = vec![format!(
                    "the client had not exited at the horizon ({}); expected it to exit",
                    format_duration(outcome.stopped_at)
                )];
                still.extend(outcome.waiting.iter().cloned());
                return Verdict::Unknown(still);
            }
            (Some(ExitExpect::Code(want)), Some(got)) if want != got => {
                differences.push(format!("client exit: expected {want}, got {got}"));
            }
            (Some(ExitExpect::Never), Some(got)) => differences.push(format!(
                "client exit: expected it to run until the horizon, but it exited {got} at {}",
                format_duration(outcome.client_ended_at.unwrap_or_default())
            )),
            _ => {}
        }
        if let (Some(codes), Some(got)) = (&client.exit_any, outcome.client_exit)
            && !codes.contains(&got)
        {
            differences.push(format!("client exit: expected one of {codes:?}, got {got}"));
        }
        if let Some(at) = outcome.client_ended_at {
            if let Some(after) = client.after
                && at < after
            {
                differences.push(format!(
                    "client ended at {}, before the expected {}",
                    format_duration(at),
                    format_duration(after)
                ));
            }
            if let Some(within) = client.within
                && at > within
            {
                differences.push(format!(
                    "client ended at {}, later than the expected {}",
                    format_duration(at),
                    format_duration(within)
                ));
            }
        }
    }
    if let Some(want) = expect.lost_bytes
        && !outcome.lost_bytes_unmeasured
        && want != outcome.lost_bytes
    {
        differences.push(format!(
            "lost bytes: expected {want}, got {}",
            outcome.lost_bytes
        ));
    }
    if let Some(want) = expect.stdout_bytes
        && want != outcome.stdout_bytes
    {
        differences.push(format!(
            "stdout bytes: expected {want}, got {}",
            outcome.stdout_bytes
        ));
    }
    if let Some(want) = expect.stderr_bytes
        && want != outcome.stderr_bytes
    {
        differences.push(format!(
            "stderr bytes: expected {want}, got {}",
            outcome.stderr_bytes
        ));
    }
    if let Some(want) = &expect.survivors {
        let got = outcome.survivor_names();
        if *want != got {
            differences.push(format!("survivors: expected {want:?}, got {got:?}"));
        }
    }
    for want in expect.files.iter().flatten() {
        let seen = outcome
            .files
            .iter()
            .find(|f| f.host == want.host && f.path == want.path)
            .map_or(FileSeen::Unmeasured, |f| f.seen);
        if !seen.satisfies(want.state) {
            differences.push(format!(
                "file {}: expected {}, found {}",
                host_path(want.host, &want.path),
                want.state.describe(),
                seen.describe()
            ));
        }
    }
    if let Some(sets) = &expect.survivors_any {
        let got = outcome.survivor_names();
        if !sets.contains(&got) {
            differences.push(format!("survivors: expected one of {sets:?}, got {got:?}"));
        }
    }
    let seen: Vec<&str> = outcome.client_teardown.iter().map(|e| e.name()).collect();
    if let Some(order) = &expect.order
        && !in_order(&seen, order)
    {
        differences.push(format!(
            "order: expected {order:?} in this order, the client saw {seen:?}"
        ));
    }
    if let Some(orders) = &expect.order_any
        && !orders.iter().any(|order| in_order(&seen, order))
    {
        differences.push(format!(
            "order: expected one of {orders:?}, the client saw {seen:?}"
        ));
    }
    if let Some(patterns) = &expect.screen {
        let screen = outcome.screen.as_deref().unwrap_or("");
        for pattern in patterns {
            if !crate::run::screen_regex(pattern).is_some_and(|re| re.is_match(screen)) {
                differences.push(format!("screen: nothing matches /{pattern}/"));
            }
        }
    }
    for (stream, patterns, written) in [
        ("stdout", &expect.stdout, &outcome.stdout_start),
        ("stderr", &expect.stderr, &outcome.stderr_start),
    ] {
        let Some(patterns) = patterns else { continue };
        let text = String::from_utf8_lossy(written);
        for pattern in patterns {
            if !crate::run::screen_regex(pattern).is_some_and(|re| re.is_match(&text)) {
                differences.push(format!(
                    "{stream}: nothing matches /{pattern}/ in {}",
                    excerpt(&text)
                ));
            }
        }
    }
    if differences.is_empty() {
        Verdict::Pass
    } else {
        Verdict::Fail(differences)
    }
}

/// Whether the events `order` names happened exactly so: `seen` without
/// the events `order` does not name is `order` (an event named but not
/// seen, or seen twice, breaks it).
fn in_order(seen: &[&str], order: &[String]) -> bool {
    let named: Vec<&str> = seen
        .iter()
        .copied()
        .filter(|event| order.iter().any(|o| o == event))
        .collect();
    named == order.iter().map(String::as_str).collect::<Vec<_>>()
}

/// What a stream held, quoted with its control characters escaped and
/// cut short enough for one line of a report.
fn excerpt(text: &str) -> String {
    const SHOWN: usize = 120;
    let quoted = format!("{text:?}");
    if quoted.chars().count() <= SHOWN {
        return quoted;
    }
    let cut: String = quoted.chars().take(SHOWN).collect();
    format!("{cut}... ({} bytes)", text.len())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use hangar_scenario::ClientExpect;

    use super::*;

    fn exited(code: i32, at_s: u64) -> Outcome {
        Outcome {
            client_exit: Some(code),
            client_ended_at: Some(Duration::from_secs(at_s)),
            ..Outcome::default()
        }
    }

    fn expect_exit(exit: ExitExpect, within_s: Option<u64>) -> Expect {
        Expect {
            client: Some(ClientExpect {
                exit: Some(exit),
                within: within_s.map(Duration::from_secs),
                ..ClientExpect::default()
            }),
            ..Expect::default()
        }
    }

    #[test]
    fn matching_exit_passes_and_wrong_exit_fails_with_the_difference() {
        assert_eq!(
            check(&expect_exit(ExitExpect::Code(0), Some(31)), &exited(0, 30)),
            Verdict::Pass
        );
        let verdict = check(&expect_exit(ExitExpect::Code(7), None), &exited(0, 1));
        assert_eq!(
            verdict,
            Verdict::Fail(vec!["client exit: expected 7, got 0".into()])
        );
    }

    #[test]
    fn a_client_still_running_at_the_horizon_is_unknown_and_says_what_waits() {
        let outcome = Outcome {
            stopped_at: Duration::from_secs(60),
            hit_horizon: true,
            waiting: vec!["client ssh[2] is still running".into()],
            ..Outcome::default()
        };
        let verdict = check(&expect_exit(ExitExpect::Code(0), None), &outcome);
        assert_eq!(verdict.name(), "unknown");
        assert!(verdict.details().iter().any(|d| d.contains("ssh[2]")));
        assert_eq!(
            check(&expect_exit(ExitExpect::Never, None), &outcome),
            Verdict::Pass
        );
    }

    #[test]
    fn output_patterns_match_each_stream_and_quote_what_came() {
        let outcome = Outcome {
            stdout_start: b"out\n".to_vec(),
            stderr_start: b"oops\nConnection to server closed.\r\n".to_vec(),
            ..Outcome::default()
        };
        let expect = Expect {
            stdout: Some(vec![r"\Aout\n\z".into()]),
            stderr: Some(vec!["^oops$".into(), r"closed\.\r$".into()]),
            ..Expect::default()
        };
        assert_eq!(check(&expect, &outcome), Verdict::Pass);
        let expect = Expect {
            stdout: Some(vec!["^oops$".into()]),
            ..Expect::default()
        };
        assert_eq!(
            check(&expect, &outcome),
            Verdict::Fail(vec![
                r#"stdout: nothing matches /^oops$/ in "out\n""#.into()
            ])
        );
    }

    #[test]
    fn an_order_names_some_events_and_the_others_may_come_between() {
        use crate::run::TeardownEvent::*;
        let outcome = Outcome {
            client_teardown: vec![ExitStatus, Eof, Close],
            ..Outcome::default()
        };
        let order = |events: &[&str]| events.iter().map(|e| e.to_string()).collect::<Vec<_>>();
        for (wanted, holds) in [
            (order(&["exit-status", "eof", "close"]), true),
            (order(&["exit-status", "close"]), true),
            (order(&["eof", "exit-status"]), false),
            (order(&["exit-signal"]), false),
            (order(&["close", "close"]), false),
        ] {
            let expect = Expect {
                order: Some(wanted.clone()),
                ..Expect::default()
            };
            assert_eq!(
                check(&expect, &outcome) == Verdict::Pass,
                holds,
                "{wanted:?}"
            );
        }
        let expect = Expect {
            order_any: Some(vec![
                order(&["eof", "exit-status"]),
                order(&["exit-status", "eof"]),
            ]),
            ..Expect::default()
        };
        assert_eq!(check(&expect, &outcome), Verdict::Pass);
        let expect = Expect {
            order: Some(order(&["eof", "exit-status"])),
            ..Expect::default()
        };
        assert_eq!(
            check(&expect, &outcome),
            Verdict::Fail(vec![
                r#"order: expected ["eof", "exit-status"] in this order, the client saw ["exit-status", "eof", "close"]"#.into()
            ])
        );
    }

    #[test]
    fn exit_any_takes_one_of_its_codes_and_expects_the_client_to_end() {
        let expect = Expect {
            client: Some(ClientExpect {
                exit_any: Some(vec![0, 255]),
                ..ClientExpect::default()
            }),
            ..Expect::default()
        };
        assert_eq!(check(&expect, &exited(255, 1)), Verdict::Pass);
        assert_eq!(
            check(&expect, &exited(1, 1)),
            Verdict::Fail(vec!["client exit: expected one of [0, 255], got 1".into()])
        );
        let running = Outcome {
            hit_horizon: true,
            ..Outcome::default()
        };
        assert_eq!(check(&expect, &running).name(), "unknown");
    }

    #[test]
    fn survivors_any_takes_one_of_its_sets() {
        let outcome = Outcome {
            survivors: vec!["sleep[7]".into()],
            ..Outcome::default()
        };
        let expect = |sets: Vec<Vec<String>>| Expect {
            survivors_any: Some(sets),
            ..Expect::default()
        };
        assert_eq!(
            check(&expect(vec![vec![], vec!["sleep".into()]]), &outcome),
            Verdict::Pass
        );
        assert_eq!(check(&expect(vec![vec![]]), &outcome).name(), "fail");
    }

    #[test]
    fn the_lane_table_applies_before_the_target_table() {
        let scenario = hangar_scenario::load_str(
            "t.toml",
            "title = \"t\"\nsource = \"s\"\n[[step]]\nrun = \"true\"\n\
             [expect]\nclient = { exit = 0, within = \"1s\" }\nstdout_bytes = 0\n\
             [expect.real]\nclient = { exit = 0, within = \"2s\" }\nstdout_bytes = 1\n\
             [expect.dropbear]\nstdout_bytes = 2\n",
        )
        .unwrap();
        let within = |e: &Expect| e.client.as_ref().and_then(|c| c.within);
        let sim = expectations_for(&scenario, Target::OpenSsh, LaneKind::Sim);
        assert_eq!(
            (within(&sim), sim.stdout_bytes),
            (Some(Duration::from_secs(1)), Some(0))
        );
        let real = expectations_for(&scenario, Target::OpenSsh, LaneKind::Real);
        assert_eq!(
            (within(&real), real.stdout_bytes),
            (Some(Duration::from_secs(2)), Some(1))
        );
        let real = expectations_for(&scenario, Target::Dropbear, LaneKind::Real);
        assert_eq!(
            (within(&real), real.stdout_bytes),
            (Some(Duration::from_secs(2)), Some(2))
        );
    }

    #[test]
    fn a_long_stream_is_cut_in_the_report() {
        let long = "x".repeat(500);
        let shown = excerpt(&long);
        assert!(shown.ends_with("... (500 bytes)"), "{shown}");
        assert!(shown.len() < 150);
    }

    #[test]
    fn late_exit_fails_within() {
        let verdict = check(&expect_exit(ExitExpect::Code(0), Some(1)), &exited(0, 30));
        assert_eq!(verdict.name(), "fail");
    }
}
