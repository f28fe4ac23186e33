//! Whether shards belong together: one command over one range by one
//! hangar, the same jobs in each, every part of the range exactly once.

use std::collections::BTreeMap;

use super::shards::JobShard;

/// The shards' jobs, each with its parts in shard order; the error says
/// what does not fit.
pub(crate) fn gather(files: Vec<Vec<JobShard>>) -> Result<Vec<Vec<JobShard>>, String> {
    let first = files.first().and_then(|jobs| jobs.first()).ok_or(
        "error: merge: no shard files given\n  example: hangar merge shard-1.json shard-2.json",
    )?;
    let (command, range, version) = (first.command.clone(), first.range, first.version.clone());
    let parts = first.part().count;
    let first_file = first.file.display().to_string();
    let names = job_names(&files[0]);
    let mut jobs: BTreeMap<(String, String), Vec<JobShard>> = BTreeMap::new();
    for file_jobs in files {
        let file = file_jobs[0].file.display().to_string();
        let here = job_names(&file_jobs);
        if here != names {
            return Err(format!(
                "error: merge: {file} holds other jobs than {}: {}\n  shards of one run list the same scenarios and targets",
                first_file,
                describe_difference(&names, &here)
            ));
        }
        for job in file_jobs {
            let at = format!("{file}: {} [{}]", job.scenario, job.target);
            if job.command != command {
                return Err(format!(
                    "error: merge: {at}: a shard of `{}`, the others of `{command}`",
                    job.command
                ));
            }
            if job.range != range {
                return Err(format!(
                    "error: merge: {at}: seeds {}, the others seeds {range}: shards of one run share its range",
                    job.range
                ));
            }
            if job.version != version {
                return Err(format!(
                    "error: merge: {at}: run by hangar {}, the others by hangar {version}: a seed's run may differ between versions",
                    job.version
                ));
            }
            if job.until_fail {
                return Err(format!(
                    "error: merge: {at}: run with --until fail, which stops each shard at its own first failure; merge takes complete shards"
                ));
            }
            if job.part().count != parts {
                return Err(format!(
                    "error: merge: {at}: shard {}, the others of {parts} parts",
                    job.part()
                ));
            }
            jobs.entry((job.scenario.clone(), job.target.clone()))
                .or_default()
                .push(job);
        }
    }
    let mut ordered = Vec::with_capacity(names.len());
    for name in &names {
        let mut parts_of = jobs.remove(name).unwrap_or_default();
        parts_of.sort_by_key(|j| j.part().index);
        check_parts(&parts_of, parts)?;
        ordered.push(parts_of);
    }
    Ok(ordered)
}

/// The jobs a file holds, in order, each once: a file may hold several
/// shards of a job (the shards' files put end to end).
fn job_names(jobs: &[JobShard]) -> Vec<(String, String)> {
    let mut names: Vec<(String, String)> = Vec::new();
    for job in jobs {
        let name = (job.scenario.clone(), job.target.clone());
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Every part 1..=n once, and one file content for all of them.
fn check_parts(parts: &[JobShard], count: u64) -> Result<(), String> {
    let job = &parts[0];
    for pair in parts.windows(2) {
        if pair[0].part().index == pair[1].part().index {
            return Err(format!(
                "error: merge: {} [{}]: shard {} is given twice ({} and {})",
                job.scenario,
                job.target,
                pair[0].part(),
                pair[0].file.display(),
                pair[1].file.display()
            ));
        }
        if pair[0].source_hash != pair[1].source_hash {
            return Err(format!(
                "error: merge: {}: the file differs between {} and {}: shards of one run ran the same file",
                job.scenario,
                pair[0].file.display(),
                pair[1].file.display()
            ));
        }
    }
    let have: Vec<u64> = parts.iter().map(|j| j.part().index).collect();
    let missing: Vec<String> = (1..=count)
        .filter(|k| !have.contains(k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "error: merge: {} [{}]: shard(s) {} missing: the merged answer would leave their seeds out\n  example: hangar merge shard-1.json shard-2.json ... shard-{count}.json",
            job.scenario,
            job.target,
            missing.join(", ")
        ));
    }
    Ok(())
}

/// The first job one list has and the other lacks.
fn describe_difference(expected: &[(String, String)], found: &[(String, String)]) -> String {
    let name = |(s, t): &(String, String)| format!("{s} [{t}]");
    if let Some(extra) = found.iter().find(|j| !expected.contains(j)) {
        return format!("{} is not in the first", name(extra));
    }
    if let Some(lacking) = expected.iter().find(|j| !found.contains(j)) {
        return format!("{} is missing", name(lacking));
    }
    "the same jobs in another order".to_string()
}
