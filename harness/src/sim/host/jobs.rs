//! Job control of an interactive shell, as bash(1) "JOB CONTROL" and XCU
//! 2.11 describe it:
//!
//! - every job (a foreground command, an `&` list) runs in its own process
//!   group; the shell hands the terminal to a foreground job with
//!   tcsetpgrp(3) and takes it back when the job ends or stops;
//! - the shell ignores SIGTSTP, SIGTTIN, SIGTTOU, SIGINT, SIGQUIT and
//!   SIGTERM; its children get the default actions back;
//! - a job's change of state is reported before the next prompt, worded as
//!   bash 5 words it: `[1]+  Stopped                 cat` whatever signal
//!   stopped it (jobs.c printable_job_status; `Stopped (tty input)` is what
//!   zsh and ksh print), `[1]+  Done                    sleep 5`;
//! - `jobs`, `fg`, `bg`, `disown`, `kill %N`, `wait %N`;
//! - on SIGHUP the shell sends SIGHUP to every job it has not disowned
//!   (and SIGCONT to the stopped ones), then dies of the signal
//!   (bash(1) SIGNALS); `exit` with stopped jobs warns once.

use crate::sim::unix::{ChildChange, Disposition, Pid, Proc, RunState, Signal, WaitStatus};

use super::shell::{Flow, Shell};

/// The HUP disposition of an interactive shell: not a user trap but the
/// shell's own handler, which hangs up its jobs.
pub(super) const HANG_UP_JOBS: &str = "\0hang up jobs";

/// The signals an interactive shell ignores and its jobs get back.
const SHELL_IGNORES: [Signal; 6] = [
    Signal::Tstp,
    Signal::Ttin,
    Signal::Ttou,
    Signal::Int,
    Signal::Quit,
    Signal::Term,
];

/// In a job's process, before it runs: the default actions back.
pub(super) fn restore_job_signals(proc: &Proc) {
    for sig in SHELL_IGNORES.into_iter().chain([Signal::Hup]) {
        proc.kernel
            .set_disposition(proc.pid, sig, Disposition::Default);
    }
}

pub(super) fn is_job_builtin(name: &str) -> bool {
    matches!(name, "jobs" | "fg" | "bg" | "disown" | "logout")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JobState {
    Running,
    Stopped(Signal),
}

struct Job {
    number: usize,
    /// The job's process group (its only process: the subset has no pipelines).
    pgid: Pid,
    text: String,
    state: JobState,
}

/// The jobs of one interactive shell.
#[derive(Default)]
pub struct JobTable {
    jobs: Vec<Job>,
    /// Whether `exit` already warned about stopped jobs.
    warned: bool,
    /// Job numbers in the order they became current (last = `+`).
    recent: Vec<usize>,
}

impl JobTable {
    fn add(&mut self, pgid: Pid, text: String, state: JobState) -> usize {
        let number = self.jobs.iter().map(|j| j.number).max().unwrap_or(0) + 1;
        self.jobs.push(Job {
            number,
            pgid,
            text,
            state,
        });
        self.recent.push(number);
        number
    }

    fn remove(&mut self, number: usize) {
        self.jobs.retain(|j| j.number != number);
        self.recent.retain(|n| *n != number);
    }

    fn make_current(&mut self, number: usize) {
        self.recent.retain(|n| *n != number);
        self.recent.push(number);
    }

    /// `+` for the current job, `-` for the previous one.
    fn mark(&self, number: usize) -> char {
        match self.recent.iter().rev().position(|n| *n == number) {
            Some(0) => '+',
            Some(1) => '-',
            _ => ' ',
        }
    }

    /// `%N`, `%+`, `%%`, `%-`, or no operand (the current job).
    fn find(&self, spec: Option<&str>) -> Option<usize> {
        let wanted = match spec {
            None | Some("%+" | "%%" | "%") => self.recent.last().copied(),
            Some("%-") => self.recent.iter().rev().nth(1).copied(),
            Some(spec) => spec.strip_prefix('%').and_then(|n| n.parse().ok()),
        }?;
        self.jobs
            .iter()
            .any(|j| j.number == wanted)
            .then_some(wanted)
    }

    fn job(&mut self, number: usize) -> &mut Job {
        self.jobs.iter_mut().find(|j| j.number == number).unwrap()
    }

    /// The job's line as bash reports it: `[1]+  Stopped                 cat`.
    fn line(&self, number: usize, status: &str) -> String {
        let text = self
            .jobs
            .iter()
            .find(|j| j.number == number)
            .map_or("", |j| &j.text);
        format!("[{number}]{}  {status:<24}{text}", self.mark(number))
    }
}

/// bash's wording of a stopped job: "Stopped" for any stop signal
/// (measured with bash 5.2; only POSIX mode names the signal).
const STOPPED: &str = "Stopped";

/// bash's wording of an ended job (strsignal(3) for signals).
fn done_text(status: WaitStatus) -> String {
    match status {
        WaitStatus::Exited(0) => "Done".into(),
        WaitStatus::Exited(code) => format!("Exit {code}"),
        WaitStatus::Signaled(sig) => sig.description().into(),
    }
}

impl Shell {
    /// Turns job control on: the shell's own signal handling and a job table.
    pub(super) fn enable_job_control(&mut self) {
        let kernel = &self.proc.kernel;
        for sig in SHELL_IGNORES {
            kernel.set_disposition(self.proc.pid, sig, Disposition::Ignore);
        }
        kernel.set_disposition(
            self.proc.pid,
            Signal::Hup,
            Disposition::Trap(HANG_UP_JOBS.into()),
        );
        self.jobs = Some(JobTable::default());
    }

    fn table(&mut self) -> &mut JobTable {
        self.jobs.as_mut().expect("job control is on")
    }

    async fn say(&self, text: &str) {
        let _ = self.proc.write(2, text.as_bytes()).await;
    }

    /// An `&` job started: it gets its own group; bash prints `[N] pid`.
    pub(super) async fn started_job(&mut self, pid: Pid, text: String) {
        self.proc.kernel.setpgid_self(pid);
        let number = self.table().add(pid, text, JobState::Running);
        self.say(&format!("[{number}] {pid}\n")).await;
    }

    /// Runs `child` as the foreground job until it ends or stops.
    pub(super) async fn run_foreground_job(&mut self, child: Pid, text: String) -> Flow {
        self.proc.kernel.setpgid_self(child);
        self.wait_in_foreground(child, text, None).await
    }

    /// Gives the terminal to `pgid` and waits; takes the terminal back.
    /// `job` is the job's number when it is already in the table.
    async fn wait_in_foreground(&mut self, pgid: Pid, text: String, job: Option<usize>) -> Flow {
        let _ = self.proc.tcsetpgrp(0, pgid).await;
        // A user's trap waits for the job (XCU 2.11); the shell's own
        // SIGHUP handler does not.
        let mut trap_deferred = false;
        let change = loop {
            let proc = self.proc.clone();
            tokio::select! {
                biased;
                change = proc.kernel.wait_change(pgid) => break change,
                _ = proc.caught_signal(), if !trap_deferred => {
                    if self.hangup_pending() {
                        return self.hang_up_and_die().await;
                    }
                    trap_deferred = true;
                }
            }
        };
        let own_group = self
            .proc
            .kernel
            .pgid(self.proc.pid)
            .unwrap_or(self.proc.pid);
        let _ = self.proc.tcsetpgrp(0, own_group).await;
        match change {
            Some(ChildChange::Stopped(sig)) => {
                let table = self.table();
                let number = match job {
                    Some(n) => {
                        table.job(n).state = JobState::Stopped(sig);
                        table.make_current(n);
                        n
                    }
                    None => table.add(pgid, text, JobState::Stopped(sig)),
                };
                let line = self.table().line(number, STOPPED);
                self.say(&format!("\n{line}\n")).await;
                Flow::Continue(128 + sig.number())
            }
            Some(ChildChange::Exited(status)) => {
                if let Some(n) = job {
                    self.table().remove(n);
                }
                Flow::Continue(status.shell_status())
            }
            None => Flow::Continue(127),
        }
    }

    /// Whether the shell's own SIGHUP handler has a signal to act on.
    fn hangup_pending(&self) -> bool {
        self.proc.kernel.next_caught(self.proc.pid) == Some(Signal::Hup)
            && self.proc.kernel.disposition(self.proc.pid, Signal::Hup)
                == Disposition::Trap(HANG_UP_JOBS.into())
    }

    /// bash's SIGHUP handler: SIGHUP to every job (SIGCONT to stopped
    /// ones), then the shell dies of SIGHUP itself.
    pub(super) async fn hang_up_and_die(&mut self) -> Flow {
        let me = self.proc.label();
        let kernel = self.proc.kernel.clone();
        let jobs: Vec<(Pid, JobState)> = self
            .jobs
            .as_ref()
            .map(|t| t.jobs.iter().map(|j| (j.pgid, j.state)).collect())
            .unwrap_or_default();
        for (pgid, state) in jobs {
            kernel.signal_group(pgid, Signal::Hup, &me);
            if matches!(state, JobState::Stopped(_)) {
                kernel.signal_group(pgid, Signal::Cont, &me);
            }
        }
        kernel.set_disposition(self.proc.pid, Signal::Hup, Disposition::Default);
        kernel.signal(self.proc.pid, Signal::Hup, "itself (bash re-raises it)");
        tokio::task::yield_now().await;
        Flow::Exit(128 + Signal::Hup.number())
    }

    /// Before a prompt: report the jobs that ended or stopped since the
    /// last one, and forget the ended ones.
    pub(super) async fn notify_jobs(&mut self) {
        let kernel = self.proc.kernel.clone();
        let numbers: Vec<(usize, Pid)> = self
            .table()
            .jobs
            .iter()
            .map(|j| (j.number, j.pgid))
            .collect();
        for (number, pgid) in numbers {
            let line = match kernel.state_of(pgid) {
                Some(RunState::Zombie(status)) => {
                    kernel.wait(pgid).await;
                    let table = self.table();
                    let line = table.line(number, &done_text(status));
                    table.remove(number);
                    Some(line)
                }
                None => {
                    self.table().remove(number);
                    None
                }
                Some(RunState::Stopped) => {
                    let sig = kernel.stop_signal(pgid).unwrap_or(Signal::Stop);
                    let table = self.table();
                    if table.job(number).state == JobState::Stopped(sig) {
                        None
                    } else {
                        table.job(number).state = JobState::Stopped(sig);
                        table.make_current(number);
                        // bash (jobs.c notify_of_job_status) starts a stop
                        // notice on a line of its own, as after a `^Z`.
                        Some(format!("\n{}", table.line(number, STOPPED)))
                    }
                }
                Some(RunState::Running) => {
                    self.table().job(number).state = JobState::Running;
                    None
                }
            };
            if let Some(line) = line {
                self.say(&format!("{line}\n")).await;
            }
        }
    }

    /// `exit` or `logout` asked for: with stopped jobs the first attempt
    /// only warns (bash: "There are stopped jobs.").
    pub(super) async fn may_exit(&mut self) -> bool {
        let table = self.table();
        let stopped = table
            .jobs
            .iter()
            .any(|j| matches!(j.state, JobState::Stopped(_)));
        if stopped && !table.warned {
            table.warned = true;
            self.say("There are stopped jobs.\n").await;
            return false;
        }
        true
    }

    /// Job-control built-ins and the `%N` operands of `kill` and `wait`;
    /// `None` for other commands.
    pub(super) async fn run_job_builtin(&mut self, argv: &[String]) -> Option<Flow> {
        let spec = argv.get(1).map(String::as_str);
        let flow = match argv[0].as_str() {
            "jobs" => {
                self.notify_jobs().await;
                let table = self.table();
                let mut out = String::new();
                for job in &table.jobs {
                    let (status, amp) = match job.state {
                        JobState::Running => ("Running", " &"),
                        JobState::Stopped(_) => (STOPPED, ""),
                    };
                    out.push_str(&format!("{}{amp}\n", table.line(job.number, status)));
                }
                let _ = self.proc.write(1, out.as_bytes()).await;
                Flow::Continue(0)
            }
            "fg" => {
                let Some(number) = self.table().find(spec) else {
                    return Some(self.no_such_job("fg", spec).await);
                };
                let (pgid, text) = {
                    let job = self.table().job(number);
                    job.state = JobState::Running;
                    (job.pgid, job.text.clone())
                };
                self.say(&format!("{text}\n")).await;
                self.proc
                    .kernel
                    .signal_group(pgid, Signal::Cont, &self.proc.label());
                self.wait_in_foreground(pgid, text, Some(number)).await
            }
            "bg" => {
                let Some(number) = self.table().find(spec) else {
                    return Some(self.no_such_job("bg", spec).await);
                };
                let (pgid, line) = {
                    let table = self.table();
                    table.make_current(number);
                    let mark = table.mark(number);
                    let job = table.job(number);
                    job.state = JobState::Running;
                    (job.pgid, format!("[{number}]{mark} {} &\n", job.text))
                };
                self.say(&line).await;
                self.proc
                    .kernel
                    .signal_group(pgid, Signal::Cont, &self.proc.label());
                Flow::Continue(0)
            }
            "disown" => {
                let Some(number) = self.table().find(spec) else {
                    return Some(self.no_such_job("disown", spec).await);
                };
                self.table().remove(number);
                Flow::Continue(0)
            }
            "logout" | "exit" => {
                if !self.may_exit().await {
                    return Some(Flow::Continue(1));
                }
                if argv[0] == "exit" {
                    // bash: `exit` in an interactive login shell says so.
                    self.say("logout\n").await;
                }
                let code = spec
                    .map(|a| a.parse().unwrap_or(2))
                    .unwrap_or(self.last_status);
                Flow::Exit(code & 0xff)
            }
            "kill" | "wait" if argv.iter().any(|a| a.starts_with('%')) => {
                let mut translated = vec![argv[0].clone()];
                if argv[0] == "kill" && argv[1].starts_with('%') {
                    // `kill -N` reads as a signal: name the default one.
                    translated.extend(["-s".to_string(), "TERM".to_string()]);
                }
                for arg in &argv[1..] {
                    match arg.strip_prefix('%').map(|_| self.table().find(Some(arg))) {
                        Some(Some(number)) => {
                            let pgid = self.table().job(number).pgid;
                            // kill(1): a negative pid names a process group.
                            translated.push(if argv[0] == "kill" {
                                format!("-{pgid}")
                            } else {
                                pgid.to_string()
                            });
                        }
                        Some(None) => return Some(self.no_such_job(&argv[0], Some(arg)).await),
                        None => translated.push(arg.clone()),
                    }
                }
                return Some(Box::pin(self.run_builtin(&translated)).await);
            }
            _ => return None,
        };
        Some(flow)
    }

    async fn no_such_job(&self, builtin: &str, spec: Option<&str>) -> Flow {
        let spec = spec.unwrap_or("current");
        self.say(&format!("bash: {builtin}: {spec}: no such job\n"))
            .await;
        Flow::Continue(1)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::sim::host::testing::{HANG_UP, Typed, type_session};
    use crate::sim::unix::RunState;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn typed(steps: &[(&str, u64)]) -> Typed {
        let steps: Vec<(&str, Duration)> = steps
            .iter()
            .map(|(k, p)| (*k, if *p == u64::MAX { HANG_UP } else { ms(*p) }))
            .collect();
        type_session(&steps)
    }

    fn alive(t: &Typed, name: &str) -> bool {
        t.kernel.live().iter().any(|(_, n)| n == name)
    }

    #[test]
    fn the_shell_prompts_echoes_and_runs_a_line() {
        let t = typed(&[("echo hi\r", 10)]);
        assert_eq!(t.screen, "user@host:~$ echo hi\nhi\nuser@host:~$");
    }

    #[test]
    fn a_background_reader_is_stopped_with_sigttin_and_reported_at_the_next_prompt() {
        let t = typed(&[("cat &\r", 10), ("\r", 10)]);
        assert!(t.screen.contains("[1] 3"), "{}", t.screen);
        assert!(
            t.screen.contains("[1]+  Stopped                 cat"),
            "{}",
            t.screen
        );
        assert!(t.trace.contains("stopped by SIGTTIN"), "{}", t.trace);
    }

    #[test]
    fn ctrl_z_stops_the_foreground_job_and_fg_resumes_it() {
        let t = typed(&[("sleep 100\r", 10), ("\x1a", 10), ("fg\r", 200_000)]);
        assert!(
            t.screen
                .contains("^Z\n[1]+  Stopped                 sleep 100"),
            "{}",
            t.screen
        );
        assert!(
            t.screen
                .contains("user@host:~$ fg\nsleep 100\nuser@host:~$"),
            "{}",
            t.screen
        );
    }

    #[test]
    fn bg_continues_a_stopped_job_and_done_is_reported() {
        let t = typed(&[("sleep 1\r", 10), ("\x1a", 10), ("bg\r", 2000), ("\r", 10)]);
        assert!(t.screen.contains("[1]+ sleep 1 &"), "{}", t.screen);
        assert!(
            t.screen.contains("[1]+  Done                    sleep 1"),
            "{}",
            t.screen
        );
    }

    #[test]
    fn jobs_lists_and_kill_percent_signals_the_group() {
        let t = typed(&[
            ("sleep 50 &\r", 10),
            ("jobs\r", 10),
            ("kill %1\r", 10),
            ("\r", 10),
        ]);
        assert!(
            t.screen
                .contains("[1]+  Running                 sleep 50 &"),
            "{}",
            t.screen
        );
        assert!(
            t.screen.contains("[1]+  Terminated              sleep 50"),
            "{}\n{}",
            t.screen,
            t.trace
        );
    }

    #[test]
    fn hangup_passes_sighup_to_jobs_but_not_to_disowned_ones() {
        let t = typed(&[
            ("sleep 50 &\r", 10),
            ("xterm & disown\r", 10),
            ("", u64::MAX),
        ]);
        assert!(!alive(&t, "sleep"), "{}", t.trace);
        assert!(alive(&t, "xterm"), "{}", t.trace);
        assert_eq!(t.kernel.state_of(t.shell), None, "the shell died of SIGHUP");
        assert!(
            t.trace.contains("bash[2]       killed by SIGHUP"),
            "{}",
            t.trace
        );
    }

    #[test]
    fn exit_with_stopped_jobs_warns_once() {
        let t = typed(&[("sleep 9\r", 10), ("\x1a", 10), ("exit\r", 10)]);
        assert!(
            t.screen.ends_with("There are stopped jobs.\nuser@host:~$"),
            "{}",
            t.screen
        );
        let t = typed(&[
            ("sleep 9\r", 10),
            ("\x1a", 10),
            ("exit\r", 10),
            ("exit\r", 10),
        ]);
        assert!(t.screen.trim_end().ends_with("logout"), "{}", t.screen);
        // The stopped job's group was orphaned: SIGHUP, then SIGCONT.
        assert_eq!(t.kernel.state_of(3), None, "{}", t.trace);
    }

    #[test]
    fn a_running_job_outlives_a_plain_exit() {
        let t = typed(&[("sleep 50 &\r", 10), ("exit\r", 10)]);
        assert!(alive(&t, "sleep"));
        assert!(!matches!(
            t.kernel.state_of(t.shell),
            Some(RunState::Running)
        ));
    }

    #[test]
    fn a_user_trap_waits_for_the_foreground_job() {
        let line = "(sleep 1; kill -TERM $$) & sleep 3\r";
        let early = typed(&[("trap 'echo trapped' TERM\r", 10), (line, 2000)]);
        assert!(!early.screen.contains("\ntrapped"), "{}", early.screen);
        let late = typed(&[("trap 'echo trapped' TERM\r", 10), (line, 4000)]);
        assert!(late.screen.contains("\ntrapped"), "{}", late.screen);
    }
}
