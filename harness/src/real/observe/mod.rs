//! Observers of a real run: they turn what real programs leave behind
//! into trace events, and normalize the trace so that a snapshot of a
//! real run is the same bytes every time (README, "Determinism").
//!
//! - [`ssh_log`]: the client's own log (`ssh -vvv -E FILE`, or hangar's
//!   client's events file) as client events.
//! - [`server_procs`]: the run's server-side processes, polled in proc(5).
//! - [`normalize`]: the trace without times, pids and jittering counts,
//!   in a stable order.
//!
//! The runner starts an [`Observer`] when the scenario's clock starts and
//! finishes it when the run stops; the observer polls on a thread of its
//! own meanwhile, so each event has the time it was first seen (within a
//! [`POLL`]), for the timed trace `-v` prints.

pub mod normalize;
pub mod server_procs;
pub mod ssh_log;

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hangar_scenario::Scenario;

use crate::run::RunResult;
use crate::trace::{ClientEvent, Event, ProxyLine, What};
use crate::verdict::Verdict;
use server_procs::ServerProcs;
use ssh_log::OpensshLog;

/// How often the observer looks.
pub const POLL: Duration = Duration::from_millis(25);

/// The variable the runner sets for command lines: the directory the
/// `ssh` wrapper writes its `-E` logs to (not set at a terminal, whose
/// screen must not fill with debug lines).
pub const SSH_LOG_VAR: &str = "HANGAR_SSH_LOG";

/// The directory of a run's client logs, below the run's directory.
pub fn log_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("client-logs")
}

/// The directory the clients of command line `line` (from 1) log to, so
/// that a log tells which line's ssh wrote it.
pub fn line_log_dir(run_dir: &Path, line: usize) -> PathBuf {
    log_dir(run_dir).join(line.to_string())
}

/// A client event read from a command line's stderr rather than from a
/// client's log ([`ssh_log::openssh_stderr_line`]).
#[derive(Clone, Debug)]
pub struct SaidOnStderr {
    pub at: Duration,
    /// The command line, from 1.
    pub line: usize,
    pub event: ClientEvent,
}

/// One client log being read as it grows.
struct ClientLog {
    /// `client ssh[pid]`.
    actor: String,
    /// The command line whose ssh this is, from 1.
    line: usize,
    read: u64,
    partial: String,
    first_seen: Duration,
    kind: Kind,
}

enum Kind {
    Openssh(OpensshLog),
    /// hangar's client: `<ms> <event>` lines, times from its own start.
    Hangar(String),
}

impl ClientLog {
    /// `ssh-<pid>.log` (OpenSSH) or `hangar-ssh-<pid>.log`, in the
    /// directory of command line `line`.
    fn for_file(name: &str, line: usize, now: Duration) -> Option<ClientLog> {
        let (kind, pid) = if let Some(rest) = name.strip_prefix("hangar-ssh-") {
            (Kind::Hangar(String::new()), rest)
        } else {
            (
                Kind::Openssh(OpensshLog::default()),
                name.strip_prefix("ssh-")?,
            )
        };
        let pid: u32 = pid.strip_suffix(".log")?.parse().ok()?;
        Some(ClientLog {
            actor: format!("client ssh[{pid}]"),
            line,
            read: 0,
            partial: String::new(),
            first_seen: now,
            kind,
        })
    }

    /// Reads what was added to the file since the last look; whole lines
    /// go to the parser, stamped with the time just after the read: a line
    /// was written before it is read, so no line is stamped before the
    /// step that started its ssh (a time taken before a slow look at
    /// /proc could be).
    fn poll(&mut self, path: &Path, clock: &dyn Fn() -> Duration) {
        let Ok(mut file) = std::fs::File::open(path) else {
            return;
        };
        if file.seek(SeekFrom::Start(self.read)).is_err() {
            return;
        }
        let mut bytes = Vec::new();
        let Ok(n) = file.read_to_end(&mut bytes) else {
            return;
        };
        self.read += n as u64;
        let now = clock();
        self.partial.push_str(&String::from_utf8_lossy(&bytes));
        while let Some(i) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=i).collect();
            match &mut self.kind {
                Kind::Openssh(log) => log.line(now, &line),
                Kind::Hangar(text) => text.push_str(&line),
            }
        }
    }

    /// Whether the log already tells how the connection ended: hangar's
    /// client logs every end it has, OpenSSH's a fatal error or a timeout.
    fn tells_its_end(&self) -> bool {
        let Kind::Openssh(log) = &self.kind else {
            return true;
        };
        log.events().iter().any(|(_, e)| {
            matches!(
                e,
                ClientEvent::ConnectionLost { .. } | ClientEvent::KeepaliveTimeout
            )
        })
    }

    fn events(&self) -> Vec<Event> {
        let events: Vec<(Duration, ClientEvent)> = match &self.kind {
            Kind::Openssh(log) => log.events().to_vec(),
            Kind::Hangar(text) => ssh_log::hangar_log(text)
                .into_iter()
                .map(|(at, e)| (self.first_seen + at, e))
                .collect(),
        };
        events
            .into_iter()
            .map(|(at, e)| Event {
                at,
                actor: self.actor.clone(),
                what: What::Client(e),
            })
            .collect()
    }
}

/// What the observer thread keeps.
#[derive(Default)]
struct Seen {
    procs: ServerProcs,
    logs: BTreeMap<PathBuf, ClientLog>,
}

impl Seen {
    /// Reads the logs of every command line's directory (`<line>/`).
    fn poll_logs(&mut self, dir: &Path, clock: &dyn Fn() -> Duration) {
        let mut lines: Vec<(usize, PathBuf)> = entries(dir)
            .into_iter()
            .filter_map(|path| {
                let line = path.file_name()?.to_str()?.parse().ok()?;
                Some((line, path))
            })
            .collect();
        lines.sort();
        for (line, line_dir) in lines {
            for path in entries(&line_dir) {
                let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                if !self.logs.contains_key(&path) {
                    let Some(log) = ClientLog::for_file(name, line, clock()) else {
                        continue;
                    };
                    self.logs.insert(path.clone(), log);
                }
                if let Some(log) = self.logs.get_mut(&path) {
                    log.poll(&path, clock);
                }
            }
        }
    }

    /// Who said `said`: the first OpenSSH client of its line whose log
    /// does not tell its end already and that no earlier line of stderr
    /// was given to (`claimed`). `None` when the line's clients are
    /// hangar's (their log has it) or each has its end.
    fn speaker(&self, said: &SaidOnStderr, claimed: &mut Vec<String>) -> Option<String> {
        let of_line: Vec<&ClientLog> = self.logs.values().filter(|l| l.line == said.line).collect();
        if of_line.is_empty() {
            // A client that keeps no log (a target file's own): the words
            // are OpenSSH's, so the client is one like it.
            return Some("client ssh".to_string());
        }
        let actor = of_line
            .into_iter()
            .find(|l| !l.tells_its_end() && !claimed.contains(&l.actor))?
            .actor
            .clone();
        claimed.push(actor.clone());
        Some(actor)
    }
}

/// A directory's entries, sorted; none when it cannot be read.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    paths.sort();
    paths
}

/// Watches one run: its client logs and its server-side processes.
pub struct Observer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Seen>>,
    dir: PathBuf,
    started: Instant,
}

impl Observer {
    /// Starts watching the run marked `run_id`, whose clients log to
    /// `log_dir`; times count from `started`.
    pub fn start(run_id: &str, log_dir: PathBuf, started: Instant) -> Observer {
        let _ = std::fs::create_dir_all(&log_dir);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (stop, dir, run_id) = (stop.clone(), log_dir.clone(), run_id.to_string());
            std::thread::spawn(move || {
                let mut seen = Seen::default();
                while !stop.load(Ordering::SeqCst) {
                    seen.procs.poll(&run_id, started.elapsed());
                    seen.poll_logs(&dir, &|| started.elapsed());
                    std::thread::sleep(POLL);
                }
                seen.procs.poll(&run_id, started.elapsed());
                seen
            })
        };
        Observer {
            stop,
            thread: Some(thread),
            dir: log_dir,
            started,
        }
    }

    /// Stops watching and returns what was seen, with what the command
    /// lines' clients said on stderr, as events in time order. Called when
    /// the run stops: what is alive then survived.
    pub fn finish(mut self, on_stderr: &[SaidOnStderr]) -> Vec<Event> {
        self.stop.store(true, Ordering::SeqCst);
        let Some(mut seen) = self.thread.take().and_then(|t| t.join().ok()) else {
            return Vec::new();
        };
        // The clients' last words, written as they exited.
        let started = self.started;
        seen.poll_logs(&self.dir, &|| started.elapsed());
        let mut events: Vec<Event> = seen.logs.values().flat_map(ClientLog::events).collect();
        let mut claimed = Vec::new();
        for said in on_stderr {
            if let Some(actor) = seen.speaker(said, &mut claimed) {
                events.push(Event {
                    at: said.at,
                    actor,
                    what: What::Client(said.event.clone()),
                });
            }
        }
        events.extend(
            seen.procs
                .events()
                .into_iter()
                .map(|(at, actor, event)| Event {
                    at,
                    actor: format!("server {actor}"),
                    what: What::Process(event),
                }),
        );
        events.sort_by_key(|e| e.at);
        events
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// How long a settled run waits for the proxy's connections to end.
pub const CONNECTIONS_END_WITHIN: Duration = Duration::from_secs(1);

/// Waits, at most [`CONNECTIONS_END_WITHIN`], until every connection the
/// proxy opened has ended, unless the run was cut at its horizon; returns
/// the proxy's clock then, where the run's part of its log ends. A client
/// exits once it has sent its CLOSE and its FIN; the server's FIN and the
/// connection's end follow a moment later, and a run that settles must
/// not stop in between, or its trace would end one way one time and the
/// other way the next.
pub async fn connections_ended(proxy: &crate::real::proxy::Proxy, hit_horizon: bool) -> Duration {
    let since = Instant::now();
    while !hit_horizon && since.elapsed() < CONNECTIONS_END_WITHIN {
        let mut open = std::collections::BTreeSet::new();
        for e in proxy.events() {
            match e.what {
                ProxyLine::Opened { conn } => {
                    open.insert(conn);
                }
                ProxyLine::Ended { conn, .. } => {
                    open.remove(&conn);
                }
                _ => {}
            }
        }
        if open.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    proxy.started().elapsed()
}

/// The snapshot of a real run: its normalized trace and the facts of its
/// outcome that do not jitter (no times, no pids).
pub fn snapshot_text(scenario: &Scenario, result: &RunResult, verdict: &Verdict) -> String {
    let o = &result.outcome;
    let mut out = format!(
        "{} [{}] lane={}\n  {}\n\ntrace:\n",
        scenario.path,
        result.target,
        result.lane_name(),
        scenario.title
    );
    for line in normalize::normalize(&result.events) {
        out.push_str(&format!("  {line}\n"));
    }
    let client = match o.client_exit {
        Some(code) => format!("exited {code}"),
        None if o.hit_horizon => "still running at the horizon".to_string(),
        None => "did not end".to_string(),
    };
    let survivors = o.survivor_names();
    let survivors = if survivors.is_empty() {
        "none".to_string()
    } else {
        survivors.join(", ")
    };
    out.push_str(&format!(
        "\noutcome:\n  client command: {client}\n  bytes: stdout {} / stderr {} delivered\n  server processes alive at the end: {survivors}\n",
        o.stdout_bytes, o.stderr_bytes
    ));
    if let Some(files) = crate::run::files_line(&o.files) {
        out.push_str(&format!("  {files}\n"));
    }
    if o.waiting.is_empty() {
        out.push_str("  still waiting: nothing\n");
    } else {
        out.push_str("  still waiting:\n");
        for line in &o.waiting {
            out.push_str(&format!("    {}\n", normalize::without_pids(line)));
        }
    }
    out.push_str(&format!("\nverdict: {}\n", verdict.name()));
    out
}

/// `None` when every text equals the first; else the first one that
/// differs, as a line diff (`-` first run, `+` that run), numbered from 1.
pub fn repeat_difference(texts: &[String]) -> Option<String> {
    let first = texts.first()?;
    let (n, other) = texts
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, t)| *t != first)?;
    Some(format!(
        "run 1 and run {} differ:\n{}",
        n + 1,
        line_diff(first, other)
    ))
}

/// A unified-style diff of two texts' lines (longest common subsequence;
/// traces are short).
fn line_diff(a: &str, b: &str) -> String {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    let mut common = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            common[i][j] = if a[i] == b[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            (i, j) = (i + 1, j + 1);
        } else if j < b.len() && (i == a.len() || common[i][j + 1] > common[i + 1][j]) {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_texts_that_differ_come_with_a_diff() {
        let same = vec!["a\nb\n".to_string(), "a\nb\n".to_string()];
        assert_eq!(repeat_difference(&same), None);
        let texts = vec![
            "a\nb\nc\n".to_string(),
            "a\nb\nc\n".to_string(),
            "a\nx\nc\n".to_string(),
        ];
        assert_eq!(
            repeat_difference(&texts).unwrap(),
            "run 1 and run 3 differ:\n  a\n- b\n+ x\n  c\n"
        );
    }

    #[test]
    fn words_on_stderr_go_to_the_lines_openssh_client_that_has_not_ended() {
        let mut seen = Seen::default();
        let now = Duration::ZERO;
        for (path, name, line) in [
            ("1/ssh-10.log", "ssh-10.log", 1),
            ("1/ssh-11.log", "ssh-11.log", 1),
            ("2/hangar-ssh-20.log", "hangar-ssh-20.log", 2),
        ] {
            let log = ClientLog::for_file(name, line, now).unwrap();
            seen.logs.insert(PathBuf::from(path), log);
        }
        if let Some(Kind::Openssh(log)) = seen
            .logs
            .get_mut(Path::new("1/ssh-10.log"))
            .map(|l| &mut l.kind)
        {
            log.line(now, "Connection reset by 127.0.0.1 port 4711");
        }
        let said = |line| SaidOnStderr {
            at: now,
            line,
            event: ClientEvent::ConnectionLost {
                why: "closed by remote host".into(),
            },
        };
        let mut claimed = Vec::new();
        // ssh[10] told its end in its log already.
        assert_eq!(
            seen.speaker(&said(1), &mut claimed).as_deref(),
            Some("client ssh[11]")
        );
        assert_eq!(seen.speaker(&said(1), &mut claimed), None);
        // hangar's client logs its end itself.
        assert_eq!(seen.speaker(&said(2), &mut claimed), None);
        // A line whose client keeps no log.
        assert_eq!(
            seen.speaker(&said(3), &mut claimed).as_deref(),
            Some("client ssh")
        );
    }
}
