//! One run: its trace text (what snapshots freeze), its summary line and
//! its JSON line.

use hangar_scenario::{Scenario, Target, format_duration};
use serde_json::json;

use crate::run::{LaneRun, RunResult};
use crate::trace::{SshEvent, Way, What, format_time, render_events};
use crate::verdict::Verdict;

/// The header line: what ran, with which seed and drawn values.
pub fn header(scenario: &Scenario, result: &RunResult) -> String {
    format!(
        "{} [{}] lane={} seed={} {}\n  {}\n",
        scenario.path,
        target_label(result),
        result.lane_name(),
        result.seed(),
        result.drawn(),
        scenario.title
    )
}

/// The teardown trace with its outcome and verdict: the snapshot text.
/// Holds nothing that varies between runs of the same seed (no wall time).
pub fn trace_text(scenario: &Scenario, result: &RunResult, verdict: &Verdict) -> String {
    let mut out = header(scenario, result);
    out.push_str("\ntrace:\n");
    out.push_str(&render_events(&result.events));
    if let Some(screen) = &result.outcome.screen {
        out.push_str("\nscreen:\n");
        for line in screen.lines() {
            out.push_str(&format!("  | {line}\n"));
        }
    }
    out.push_str(&outcome_text(result));
    out.push_str(&verdict_text(verdict));
    out
}

pub(crate) fn outcome_text(result: &RunResult) -> String {
    let o = &result.outcome;
    let client = match (o.client_exit, o.client_ended_at) {
        (Some(code), Some(at)) => format!("exited {code} at {}", format_time(at)),
        _ => format!(
            "still running when the run stopped at {}",
            format_time(o.stopped_at)
        ),
    };
    let survivors = if o.survivors.is_empty() {
        "none".to_string()
    } else {
        o.survivors.join(", ")
    };
    let mut out = format!(
        "\noutcome:\n  client command: {client}\n  bytes: stdout {} / stderr {} delivered, {} lost\n  server processes alive at the end: {survivors}\n",
        o.stdout_bytes, o.stderr_bytes, o.lost_bytes
    );
    if let Some(files) = crate::run::files_line(&o.files) {
        out.push_str(&format!("  {files}\n"));
    }
    if let Some(waited) = channel_wait(result) {
        out.push_str(&format!("  {waited}\n"));
    }
    if o.waiting.is_empty() {
        out.push_str("  still waiting: nothing\n");
    } else {
        out.push_str("  still waiting:\n");
        for line in &o.waiting {
            out.push_str(&format!("    {line}\n"));
        }
    }
    out
}

/// "Who waited for whom": how long the server kept the channel open after
/// it sent the exit status.
fn channel_wait(result: &RunResult) -> Option<String> {
    let find = |wanted: fn(&SshEvent) -> bool| {
        result.events.iter().find_map(|e| match &e.what {
            What::Ssh(event) if e.actor.starts_with("server") && wanted(event) => Some(e.at),
            _ => None,
        })
    };
    let status = find(|e| {
        matches!(
            e,
            SshEvent::ExitStatus { way: Way::Sent, .. }
                | SshEvent::ExitSignal { way: Way::Sent, .. }
        )
    })?;
    let close = find(|e| matches!(e, SshEvent::Close { way: Way::Sent, .. }))?;
    let held = close.saturating_sub(status);
    Some(if held.is_zero() {
        "the server closed the channel when it sent the exit status".to_string()
    } else {
        format!(
            "the server held the channel open {} after the exit status, waiting for EOF on the child's pipes",
            format_duration(held)
        )
    })
}

fn verdict_text(verdict: &Verdict) -> String {
    let mut out = format!("\nverdict: {verdict}\n");
    for detail in verdict.details() {
        out.push_str(&format!("  {detail}\n"));
    }
    out
}

/// The command that reproduces a run exactly.
pub fn replay_command(scenario: &Scenario, target: Target, seed: u64) -> String {
    format!(
        "hangar run {} --target {target} --seed {seed} -v",
        scenario.path
    )
}

/// The target that ran: `openssh`, or a user's target and the built-in
/// whose expectations it is checked against, `my-openssh (like openssh)`.
fn target_label(result: &RunResult) -> String {
    match result.user_target() {
        Some(user) => format!("{} (like {})", user.name, result.target),
        None => result.target.to_string(),
    }
}

/// The replay of a run of either lane.
fn replay_of(scenario: &Scenario, result: &RunResult) -> String {
    match &result.lane {
        LaneRun::Real {
            user_target: Some(user),
        } => format!(
            "hangar run {} --lane real --targets {} --target {} -v",
            scenario.path, user.file, user.name
        ),
        LaneRun::Real { user_target: None } => format!(
            "hangar run {} --lane real --target {} -v",
            scenario.path, result.target
        ),
        LaneRun::Sim { seed, .. } => replay_command(scenario, result.target, *seed),
    }
}

/// One line of the terminal summary.
pub fn summary_line(scenario: &Scenario, result: &RunResult, verdict: &Verdict) -> String {
    let o = &result.outcome;
    let exit = o.client_exit.map_or("-".to_string(), |c| c.to_string());
    let at = o.client_ended_at.map_or("-".to_string(), format_time);
    let mut line = format!(
        "{:<7} {} [{}] seed={} exit={exit} at={at} lost={}",
        verdict.name(),
        scenario.path,
        target_label(result),
        result.seed(),
        o.lost_bytes
    );
    for detail in verdict.details() {
        line.push_str(&format!("\n          {detail}"));
    }
    if *verdict != Verdict::Pass {
        line.push_str(&format!(
            "\n          replay: {}",
            replay_of(scenario, result)
        ));
    }
    line
}

/// One JSON object (one line) per scenario and target.
pub fn json_line(scenario: &Scenario, result: &RunResult, verdict: &Verdict) -> String {
    json_value(scenario, result, verdict).to_string()
}

/// The object [`json_line`] prints, for callers that add fields.
pub fn json_value(scenario: &Scenario, result: &RunResult, verdict: &Verdict) -> serde_json::Value {
    let o = &result.outcome;
    let mut line = json!({
        "scenario": scenario.path,
        "title": scenario.title,
        "lane": result.lane_name(),
        "target": result.target.to_string(),
        "seed": result.seed(),
        "swarm": result.drawn(),
        "verdict": verdict.name(),
        "details": verdict.details(),
        "client_exit": o.client_exit,
        "client_ended_at_ms": o.client_ended_at.map(|d| d.as_millis() as u64),
        "stdout_bytes": o.stdout_bytes,
        "stderr_bytes": o.stderr_bytes,
        "lost_bytes": o.lost_bytes,
        "survivors": o.survivor_names(),
        "waiting": o.waiting,
        "wall_ms": result.wall.as_secs_f64() * 1000.0,
        "replay": replay_of(scenario, result),
    });
    if let Some(user) = result.user_target() {
        // A user's target: `target` names it, `like` the built-in whose
        // expectations were checked.
        line["target"] = json!(user.name);
        line["like"] = json!(result.target.to_string());
        line["targets_file"] = json!(user.file);
    }
    line
}

/// The summary line of a run that produced no result: the harness failed
/// (a panic, with its message and place), verdict `error`.
pub fn error_summary_line(
    path: &str,
    label: &str,
    seed: u64,
    message: &str,
    replay: &str,
) -> String {
    let mut line = format!("{:<7} {path} [{label}] seed={seed}", "error");
    for detail in message.lines() {
        line.push_str(&format!("\n          {detail}"));
    }
    line.push_str(&format!("\n          replay: {replay}"));
    line
}

/// The JSON object of a run that produced no result (verdict `error`).
pub fn error_json(
    scenario: &Scenario,
    lane: &str,
    label: &str,
    seed: u64,
    message: &str,
    replay: &str,
) -> serde_json::Value {
    json!({
        "scenario": scenario.path,
        "title": scenario.title,
        "lane": lane,
        "target": label,
        "seed": seed,
        "verdict": "error",
        "details": [message],
        "error": message,
        "replay": replay,
    })
}
