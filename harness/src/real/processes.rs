//! The real processes of a run, and making sure none outlives it.
//!
//! - Every process the runner starts leads a process group of its own
//!   (setpgid(2) through `process_group(0)`), so one kill(2) with a negative
//!   pid reaches it and everything it started that stayed in its group.
//! - Every server-side session carries the environment variable
//!   [`MARKER`] with the run's id (sshd_config(5) `SetEnv`, dropbear(8)
//!   `-e`). Processes keep their environment across fork, exec, setsid and
//!   nohup, so `/proc/<pid>/environ` finds them wherever they went: they
//!   are the survivors, and they are killed when the run ends. The client
//!   host's processes carry `<run id>:client` ([`client_marker`]).

use std::path::Path;

use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// The variable that marks a run's server-side processes.
pub const MARKER: &str = "HANGAR_RUN";

/// The marker of a run's client-host processes (its command lines and
/// terminal): the run's id with `:client`, so that the survivors, the
/// server host's, are told apart.
pub fn client_marker(peer: &super::peer::Peer) -> String {
    format!("{}:client", peer.run_id)
}

/// SIGKILL to the process group `pgid` (it is gone already: fine).
pub fn kill_group(pgid: u32) {
    let _ = killpg(Pid::from_raw(pgid as i32), Signal::SIGKILL);
}

/// A live process of the run: pid and name (`comm`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Marked {
    pub pid: u32,
    pub name: String,
}

/// The live (not zombie) processes whose environment has `MARKER=run_id`.
pub fn marked(run_id: &str) -> Vec<Marked> {
    let needle = format!("{MARKER}={run_id}");
    live_processes(|pid| environment(pid).any(|v| v == needle.as_bytes()))
}

/// The value of a process's marker variable (`Some(None)`: it has none),
/// or `None` when its environment reads empty. That happens in the middle
/// of an execve(2): Linux shows the new program's name in proc(5) before
/// it has set up the new environment (fs/exec.c sets the name in
/// begin_new_exec, fs/binfmt_elf.c the environment in create_elf_tables),
/// so such a read says nothing yet and is made again.
pub fn read_marker(pid: u32) -> Option<Option<String>> {
    let prefix = format!("{MARKER}=");
    let mut environment = environment(pid).filter(|v| !v.is_empty()).peekable();
    environment.peek()?;
    Some(environment.find_map(|v| {
        v.strip_prefix(prefix.as_bytes())
            .map(|value| String::from_utf8_lossy(value).into_owned())
    }))
}

/// Processes this harness process started and that are still alive: the
/// marked ones of its runs and the servers, whose command lines name the
/// runs' directories (`hangar-<pid>-<n>`). Empty after every run ends.
pub fn leftovers_of_this_process() -> Vec<Marked> {
    leftovers_of(std::process::id())
}

/// The live processes of the runs of the harness process `me`, as
/// [`leftovers_of_this_process`] finds them.
pub fn leftovers_of(me: u32) -> Vec<Marked> {
    let prefix = format!("{MARKER}={me}-");
    let dir_part = run_dir_prefix(me);
    live_processes(|pid| {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        pid != me
            && (environment(pid).any(|v| v.starts_with(prefix.as_bytes()))
                || String::from_utf8_lossy(&cmdline).contains(&dir_part))
    })
}

/// The live (not zombie) processes `wanted` picks, in pid order (proc(5)).
fn live_processes(wanted: impl Fn(u32) -> bool) -> Vec<Marked> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found: Vec<Marked> = entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| wanted(*pid) && !is_zombie(*pid))
        .map(|pid| Marked {
            pid,
            name: read_trimmed(&Path::new("/proc").join(pid.to_string()).join("comm")),
        })
        .collect();
    found.sort_by_key(|m| m.pid);
    found
}

/// The `NAME=value` entries of a process's environment (empty when it is
/// gone or not ours to read).
fn environment(pid: u32) -> impl Iterator<Item = Vec<u8>> {
    let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    env.split(|b| *b == 0)
        .map(<[u8]>::to_vec)
        .collect::<Vec<_>>()
        .into_iter()
}

/// proc(5): the state is the field after the parenthesised name.
fn is_zombie(pid: u32) -> bool {
    let stat = read_trimmed(&Path::new("/proc").join(pid.to_string()).join("stat"));
    stat.rsplit_once(") ")
        .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X'))
}

fn read_trimmed(path: &Path) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// SIGKILL to every process `find` finds, until it finds none (bounded:
/// a process cannot ignore SIGKILL, but it may take a moment); how many
/// there were.
pub fn kill_all(find: impl Fn() -> Vec<Marked>) -> usize {
    let mut ended = std::collections::BTreeSet::new();
    for _ in 0..50 {
        let left = find();
        if left.is_empty() {
            break;
        }
        for m in left {
            ended.insert(m.pid);
            let _ = kill(Pid::from_raw(m.pid as i32), Signal::SIGKILL);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    ended.len()
}

/// SIGKILL to every marked process of the run, until none is left.
pub fn kill_marked(run_id: &str) {
    kill_all(|| marked(run_id));
}

/// The start of the names of the run directories of the harness process
/// `harness_pid` in the temporary directory (`hangar-<pid>-<n>`).
pub fn run_dir_prefix(harness_pid: u32) -> String {
    format!("hangar-{harness_pid}-")
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    use super::*;

    #[test]
    fn a_marker_read_tells_marked_unmarked_and_not_yet_known_apart() {
        let spawn = |env: &[(&str, &str)]| {
            Command::new("sleep")
                .arg("30")
                .env_clear()
                .envs(env.iter().copied())
                .spawn()
                .unwrap()
        };
        let mut marked = spawn(&[(MARKER, "run-7"), ("PATH", "/bin")]);
        let mut unmarked = spawn(&[("PATH", "/bin")]);
        // What an execve(2) in progress shows: an empty environment.
        let mut empty = spawn(&[]);
        // spawn returns once the exec is under way, perhaps before the
        // environment is set up: the program's arguments come with it.
        for child in [&marked, &unmarked, &empty] {
            for _ in 0..200 {
                let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id()));
                if cmdline.is_ok_and(|c| !c.is_empty()) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        let reads = [&marked, &unmarked, &empty].map(|c| read_marker(c.id()));
        for child in [&mut marked, &mut unmarked, &mut empty] {
            let _ = child.kill();
            let _ = child.wait();
        }
        assert_eq!(reads, [Some(Some("run-7".to_string())), Some(None), None]);
    }

    #[test]
    fn a_marked_process_is_found_wherever_it_went_and_killed() {
        let run_id = format!("test-{}", std::process::id());
        // setsid and a background job: the process leaves our group and
        // session, and keeps the variable.
        let mut child = Command::new("sh")
            .args(["-c", "setsid sleep 30 & exit 0"])
            .env(MARKER, &run_id)
            .process_group(0)
            .spawn()
            .unwrap();
        child.wait().unwrap();
        let mut found = Vec::new();
        // setsid(1) forks, then execs sleep: wait for the sleep.
        for _ in 0..200 {
            found = marked(&run_id);
            if found.len() == 1 && found[0].name == "sleep" {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].name, "sleep");
        kill_marked(&run_id);
        assert!(marked(&run_id).is_empty());
    }
}
