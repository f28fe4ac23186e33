//! Reading the JSON of shards (`run --seeds ... --format json`, `explore
//! --format json`): each job's outcome groups, then the job's own line,
//! which says which run it is a shard of.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::explore::{Group, OutcomeKey, SeedRange, Shard};

/// One job of one shard file.
#[derive(Debug)]
pub(crate) struct JobShard {
    pub(crate) file: PathBuf,
    pub(crate) scenario: String,
    pub(crate) target: String,
    pub(crate) command: String,
    pub(crate) range: SeedRange,
    /// `None`: the whole range (a shard 1/1).
    pub(crate) shard: Option<Shard>,
    pub(crate) until_fail: bool,
    pub(crate) source_hash: String,
    pub(crate) version: String,
    pub(crate) seeds: u64,
    pub(crate) wall_ms: f64,
    pub(crate) groups: Vec<Group>,
}

impl JobShard {
    /// `k/n`, a whole range being `1/1`.
    pub(crate) fn part(&self) -> Shard {
        self.shard.unwrap_or(Shard::WHOLE)
    }
}

/// The jobs of a shard file, in the order it lists them.
pub(crate) fn read_shard(file: &Path) -> Result<Vec<JobShard>, String> {
    let text =
        std::fs::read_to_string(file).map_err(|e| format!("error: {}: {e}", file.display()))?;
    let mut jobs = Vec::new();
    let mut groups: Vec<(usize, Value)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{}:{}", file.display(), n + 1);
        let value: Value = serde_json::from_str(line).map_err(|e| {
            format!(
                "error: {at}:{}: expected one JSON object a line, as `--format json` prints: {e}\n  example: hangar run scenarios/ --seeds 0..1000 --shard 1/4 --format json > shard-1.json",
                e.column()
            )
        })?;
        if value.get("first_seed").is_some() {
            groups.push((n + 1, value));
        } else if value.get("command").is_some() {
            jobs.push(job(file, &at, &value, std::mem::take(&mut groups))?);
        } else {
            return Err(format!(
                "error: {at}: neither an outcome group nor a job's line of `run --seeds` or `explore`; is this the JSON of a single run (`run` without --seeds)?"
            ));
        }
    }
    if let Some((line, _)) = groups.first() {
        return Err(format!(
            "error: {}:{line}: outcome groups without their job's line after them: the file was cut short",
            file.display()
        ));
    }
    if jobs.is_empty() {
        return Err(format!(
            "error: {}: no job in it: expected the JSON of `hangar run --seeds` or `hangar explore` (--format json)",
            file.display()
        ));
    }
    Ok(jobs)
}

fn job(file: &Path, at: &str, v: &Value, groups: Vec<(usize, Value)>) -> Result<JobShard, String> {
    let missing = |field: &str| format!("error: {at}: the job's line has no `{field}`");
    let text = |field: &str| {
        v.get(field)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| missing(field))
    };
    let number = |field: &str| {
        v.get(field)
            .and_then(Value::as_u64)
            .ok_or_else(|| missing(field))
    };
    let scenario = text("scenario")?;
    let target = text("target")?;
    let range: SeedRange = text("range")?
        .parse()
        .map_err(|e| format!("error: {at}: {e}"))?;
    let shard = match v.get("shard") {
        Some(Value::String(s)) => Some(
            s.parse::<Shard>()
                .map_err(|e| format!("error: {at}: {e}"))?,
        ),
        _ => None,
    };
    let mut parsed = Vec::with_capacity(groups.len());
    for (line, g) in groups {
        let place = format!("{}:{line}", file.display());
        let same_job = g.get("scenario").and_then(Value::as_str) == Some(&scenario)
            && g.get("target").and_then(Value::as_str) == Some(&target);
        if !same_job {
            return Err(format!(
                "error: {place}: this outcome group names another job than the job's line after it ({scenario} [{target}])"
            ));
        }
        parsed.push(group(&place, &g)?);
    }
    Ok(JobShard {
        file: file.to_path_buf(),
        scenario,
        target,
        command: text("command")?,
        range,
        shard,
        until_fail: v
            .get("until_fail")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        source_hash: text("source_hash")?,
        version: text("hangar_version")?,
        seeds: number("seeds")?,
        wall_ms: v.get("wall_ms").and_then(Value::as_f64).unwrap_or(0.0),
        groups: parsed,
    })
}

/// An outcome group as `Group::json` wrote it.
fn group(at: &str, g: &Value) -> Result<Group, String> {
    let bad = |field: &str| {
        format!(
            "error: {at}: the outcome group's `{field}` is missing or not what `--format json` writes"
        )
    };
    let number = |field: &str| {
        g.get(field)
            .and_then(Value::as_u64)
            .ok_or_else(|| bad(field))
    };
    let verdict = match g.get("verdict").and_then(Value::as_str) {
        Some("pass") => "pass",
        Some("fail") => "fail",
        Some("unknown") => "unknown",
        Some("error") => "error",
        _ => return Err(bad("verdict")),
    };
    let client_exit = match g.get("client_exit") {
        Some(Value::Null) | None => None,
        Some(code) => Some(
            code.as_i64()
                .and_then(|c| i32::try_from(c).ok())
                .ok_or_else(|| bad("client_exit"))?,
        ),
    };
    let strings = |field: &str| -> Result<Vec<String>, String> {
        g.get(field)
            .and_then(Value::as_array)
            .ok_or_else(|| bad(field))?
            .iter()
            .map(|s| s.as_str().map(str::to_string).ok_or_else(|| bad(field)))
            .collect()
    };
    let failing = g
        .get("failing_seeds")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("failing_seeds"))?
        .iter()
        .map(|f| {
            let seed = f.get("seed").and_then(Value::as_u64);
            let drawn = f.get("swarm").and_then(Value::as_str);
            seed.zip(drawn)
                .map(|(s, d)| (s, d.to_string()))
                .ok_or_else(|| bad("failing_seeds"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Group {
        key: OutcomeKey {
            verdict,
            client_exit,
            stdout_bytes: number("stdout_bytes")?,
            lost_bytes: number("lost_bytes")?,
            survivors: strings("survivors")?,
            error: g.get("error").and_then(Value::as_str).map(str::to_string),
        },
        count: number("count")?,
        first_seed: number("first_seed")?,
        first_drawn: g
            .get("swarm")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("swarm"))?
            .to_string(),
        failing,
    })
}
