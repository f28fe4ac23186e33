//! A non-interactive POSIX shell (`sh -c`), interpreting the subset that
//! `hangar-shell` parses. Rules, with the section of POSIX.1-2017 XCU each
//! follows:
//!
//! - 2.9.3 Lists: `&&`/`||` short-circuit on `$?`; an asynchronous list
//!   (`&`) runs in a forked child the shell does not wait for, with SIGINT
//!   and SIGQUIT ignored and, because job control is off, stdin from
//!   /dev/null before its own redirections.
//! - 2.9.1 Command Search and Execution: built-ins run in the shell; other
//!   utilities run in a child the shell waits for. Like dash and bash, the
//!   last simple command of `sh -c`, of a subshell or of an asynchronous
//!   list is exec'd in place rather than forked (no trap set).
//! - 2.9.4 `( list )` runs in a subshell (a forked child); `{ list; }` in
//!   the current shell.
//! - 2.11 Signals and Error Handling / 2.14 `trap`: a trapped signal that
//!   arrives while a foreground child runs is handled when the child ends;
//!   `wait` returns at once with 128 + the signal number.
//! - 2.5.2 Special Parameters: `$$` is the pid of the invoking shell, also
//!   in subshells; `$?` the status of the last foreground command.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use hangar_shell::ast::{AndOr, Command, Connector, Script, SimpleCommand, Word, WordPart};

use super::env::HostEnv;
use super::jobs::{self, JobTable};
use super::redirect;
use super::utils;
use crate::sim::unix::{
    Disposition, FdTable, INIT_PID, Kernel, OpenFile, Pid, PipeEnd, Proc, Program, Signal,
    WaitStatus,
};
use crate::trace::ProcessEvent;

pub(super) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What running a piece of script leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Flow {
    Continue(i32),
    /// `exit` ran, or an exec'd utility finished: the shell ends.
    Exit(i32),
}

/// The state of one shell process.
pub struct Shell {
    pub(super) proc: Proc,
    pub(super) env: Arc<HostEnv>,
    /// `$$`.
    pub(super) shell_pid: Pid,
    /// `$?`.
    pub(super) last_status: i32,
    /// Asynchronous children not yet waited for, in start order.
    pub(super) background: Vec<Pid>,
    /// The job table of an interactive shell on a terminal; `None` when
    /// job control is off (`sh -c`, a shell reading a pipe).
    pub(super) jobs: Option<JobTable>,
    /// Set while a trap runs: traps do not nest.
    in_trap: bool,
    /// dash's report of a foreground child killed by a signal: its
    /// strsignal(3) on stderr (jobs.c dowait and sprint_status: not for
    /// SIGINT or SIGPIPE). bash -c says nothing.
    pub(super) reports_killed: bool,
}

/// A program running `script` as `sh -c` would. `shell_pid` is `$$`
/// (the process's own pid when `None`).
pub fn sh_program(
    script: Script,
    env: Arc<HostEnv>,
    shell_pid: Option<Pid>,
) -> impl FnOnce(Proc) -> Program {
    shell_program(script, env, shell_pid, false)
}

/// A program running `script` as Debian's /bin/sh, dash 0.5.12, runs
/// `sh -c`: unlike bash it forks even for the last command (measured:
/// `sh -c 'sleep 3'` is a dash with a sleep child), and when a foreground
/// child dies of a signal it says so on stderr (`Killed`).
pub fn dash_program(script: Script, env: Arc<HostEnv>) -> impl FnOnce(Proc) -> Program {
    shell_program(script, env, None, true)
}

/// bash -c (`dash` false: execs its last command, says nothing of a
/// killed child) or dash -c (forks it, and says).
fn shell_program(
    script: Script,
    env: Arc<HostEnv>,
    shell_pid: Option<Pid>,
    dash: bool,
) -> impl FnOnce(Proc) -> Program {
    move |proc: Proc| -> Program {
        Box::pin(async move {
            let mut shell = Shell::new(proc, env, shell_pid);
            shell.reports_killed = dash;
            match shell.run_script(&script, !dash).await {
                Flow::Continue(code) | Flow::Exit(code) => code,
            }
        })
    }
}

/// A command line as the harness runs it (`/bin/sh -c`, which is dash,
/// with stdin from /dev/null and stdout/stderr on fresh pipes): its pid
/// and the read ends of its stdout and stderr.
pub fn start_command_line(
    kernel: &Kernel,
    env: Arc<HostEnv>,
    script: Script,
) -> (Pid, PipeEnd, PipeEnd) {
    let (out_r, out_w) = kernel.pipe();
    let (err_r, err_w) = kernel.pipe();
    let mut fds = FdTable::default();
    fds.set(0, OpenFile::dev_null());
    fds.set(1, OpenFile::pipe(out_w));
    fds.set(2, OpenFile::pipe(err_w));
    let pid = kernel.spawn(INIT_PID, "sh", fds, dash_program(script, env));
    (pid, out_r, err_r)
}

impl Shell {
    /// A shell in `proc` without job control; `shell_pid` is `$$` (the
    /// process's own pid when `None`).
    pub(super) fn new(proc: Proc, env: Arc<HostEnv>, shell_pid: Option<Pid>) -> Shell {
        Shell {
            shell_pid: shell_pid.unwrap_or(proc.pid),
            proc,
            env,
            last_status: 0,
            background: Vec::new(),
            jobs: None,
            in_trap: false,
            reports_killed: false,
        }
    }

    pub(super) fn run_script<'a>(
        &'a mut self,
        script: &'a Script,
        exec_last: bool,
    ) -> BoxFuture<'a, Flow> {
        Box::pin(async move {
            let count = script.items.len();
            for (i, item) in script.items.iter().enumerate() {
                let last = exec_last && i + 1 == count;
                let flow = if item.background {
                    self.start_background(&item.and_or).await;
                    Flow::Continue(0)
                } else {
                    self.run_and_or(&item.and_or, last).await
                };
                match flow {
                    Flow::Continue(status) => self.last_status = status,
                    Flow::Exit(code) => return Flow::Exit(code),
                }
                if let Some(Flow::Exit(code)) = self.run_traps().await {
                    return Flow::Exit(code);
                }
            }
            Flow::Continue(self.last_status)
        })
    }

    async fn run_and_or(&mut self, and_or: &AndOr, exec_last: bool) -> Flow {
        let last_index = and_or.rest.len();
        let mut status = match self
            .run_command(&and_or.first, exec_last && last_index == 0)
            .await
        {
            Flow::Continue(s) => s,
            exit => return exit,
        };
        for (i, (connector, command)) in and_or.rest.iter().enumerate() {
            let run = match connector {
                Connector::And => status == 0,
                Connector::Or => status != 0,
            };
            if run {
                self.last_status = status;
                status = match self
                    .run_command(command, exec_last && i + 1 == last_index)
                    .await
                {
                    Flow::Continue(s) => s,
                    exit => return exit,
                };
            }
        }
        Flow::Continue(status)
    }

    /// Forks an asynchronous list (XCU 2.9.3). With job control it is a
    /// job in its own process group that keeps the terminal as stdin.
    async fn start_background(&mut self, and_or: &AndOr) {
        let job_control = self.jobs.is_some();
        let reports_killed = self.reports_killed;
        let mut fds = self.proc.fds();
        if !job_control {
            fds.set(0, crate::sim::unix::OpenFile::dev_null());
        }
        let and_or = and_or.clone();
        let text = and_or.to_string();
        let env = self.env.clone();
        let shell_pid = self.shell_pid;
        let name = background_name(&and_or);
        let pid = self.proc.spawn(&name, fds, move |proc: Proc| -> Program {
            if job_control {
                jobs::restore_job_signals(&proc);
            } else {
                proc.kernel
                    .set_disposition(proc.pid, Signal::Int, Disposition::Ignore);
                proc.kernel
                    .set_disposition(proc.pid, Signal::Quit, Disposition::Ignore);
            }
            Box::pin(async move {
                let mut shell = Shell::new(proc, env, Some(shell_pid));
                shell.reports_killed = reports_killed;
                match shell.run_and_or(&and_or, true).await {
                    Flow::Continue(code) | Flow::Exit(code) => code,
                }
            })
        });
        self.background.push(pid);
        if job_control {
            self.started_job(pid, text).await;
        }
    }

    pub(super) fn run_command<'a>(
        &'a mut self,
        command: &'a Command,
        exec_last: bool,
    ) -> BoxFuture<'a, Flow> {
        Box::pin(async move {
            match command {
                Command::Simple(simple) => self.run_simple(simple, exec_last).await,
                Command::Pipeline { commands, .. } => {
                    self.run_pipeline(commands, command.to_string()).await
                }
                Command::Group {
                    body, redirects, ..
                } => {
                    let saved = self.proc.fds();
                    let mut fds = saved.clone();
                    if let Err(message) = self.redirect(&mut fds, redirects) {
                        return self.diagnose(&message).await;
                    }
                    self.proc.kernel.set_fds(self.proc.pid, fds);
                    let flow = self.run_script(body, false).await;
                    self.proc.kernel.set_fds(self.proc.pid, saved);
                    flow
                }
                Command::Subshell {
                    body, redirects, ..
                } => {
                    let mut fds = self.proc.fds();
                    if let Err(message) = self.redirect(&mut fds, redirects) {
                        return self.diagnose(&message).await;
                    }
                    if exec_last && !self.has_traps() {
                        // Nothing runs after it in this process: run the
                        // subshell here instead of forking (as bash does).
                        self.proc.kernel.set_fds(self.proc.pid, fds);
                        return match self.run_script(body, true).await {
                            Flow::Continue(code) | Flow::Exit(code) => Flow::Exit(code),
                        };
                    }
                    let text = format!("({body})");
                    let body = body.clone();
                    let env = self.env.clone();
                    let shell_pid = self.shell_pid;
                    let job_control = self.jobs.is_some();
                    let reports_killed = self.reports_killed;
                    let child = self.proc.spawn("sh", fds, move |proc: Proc| -> Program {
                        if job_control {
                            jobs::restore_job_signals(&proc);
                        }
                        Box::pin(async move {
                            let mut shell = Shell::new(proc, env, Some(shell_pid));
                            shell.reports_killed = reports_killed;
                            match shell.run_script(&body, true).await {
                                Flow::Continue(code) | Flow::Exit(code) => code,
                            }
                        })
                    });
                    self.wait_foreground(child, text).await
                }
            }
        })
    }

    async fn run_simple(&mut self, command: &SimpleCommand, exec_last: bool) -> Flow {
        let argv: Vec<String> = command.words.iter().map(|w| self.expand(w)).collect();
        let mut fds = self.proc.fds();
        if let Err(message) = self.redirect(&mut fds, &command.redirects) {
            return self.diagnose(&message).await;
        }
        if is_builtin(&argv[0]) || (self.jobs.is_some() && jobs::is_job_builtin(&argv[0])) {
            let saved = self.proc.fds();
            self.proc.kernel.set_fds(self.proc.pid, fds);
            let flow = self.run_builtin(&argv).await;
            self.proc.kernel.set_fds(self.proc.pid, saved);
            return flow;
        }
        if exec_last && !self.has_traps() && self.jobs.is_none() {
            // execve(2) in place: same pid, new program.
            self.proc.kernel.set_fds(self.proc.pid, fds);
            self.proc.kernel.rename(self.proc.pid, &argv[0]);
            let code = utils::run_utility(self.proc.clone(), self.env.clone(), argv).await;
            return Flow::Exit(code);
        }
        let env = self.env.clone();
        let name = argv[0].clone();
        let text = argv.join(" ");
        let job_control = self.jobs.is_some();
        let child = self.proc.spawn(&name, fds, move |proc: Proc| -> Program {
            if job_control {
                jobs::restore_job_signals(&proc);
            }
            utils::run_utility(proc, env, argv)
        });
        self.wait_foreground(child, text).await
    }

    /// Waits for a foreground child; traps wait until it is done (bash and
    /// dash defer them, XCU 2.11). With job control the child is a job
    /// that owns the terminal until it ends or stops.
    pub(super) async fn wait_foreground(&mut self, child: Pid, text: String) -> Flow {
        if self.jobs.is_some() {
            return self.run_foreground_job(child, text).await;
        }
        match self.proc.wait(child).await {
            Some(status) => {
                self.report_if_killed(status).await;
                Flow::Continue(status.shell_status())
            }
            None => Flow::Continue(127),
        }
    }

    /// dash's word on a foreground command killed by a signal.
    pub(super) async fn report_if_killed(&self, status: WaitStatus) {
        if let WaitStatus::Signaled(sig) = status
            && self.reports_killed
            && !matches!(sig, Signal::Int | Signal::Pipe)
        {
            let _ = self
                .proc
                .write(2, format!("{}\n", sig.description()).as_bytes())
                .await;
        }
    }

    fn has_traps(&self) -> bool {
        Signal::ALL.iter().any(|s| {
            matches!(
                self.proc.kernel.disposition(self.proc.pid, *s),
                Disposition::Trap(_)
            )
        })
    }

    /// Runs the traps of signals caught since the last check. A trap does
    /// not run inside another: like bash (trap.c, `running_trap`), a
    /// signal caught while a trap runs stays pending until that trap is
    /// done, and then this loop runs its trap. So a trap that re-sends its
    /// own signal loops here, one run after the other, without nesting;
    /// each run is work (cpu.rs), so the loop lets the clock move.
    pub(super) async fn run_traps(&mut self) -> Option<Flow> {
        if self.in_trap {
            return None;
        }
        self.in_trap = true;
        let flow = self.run_pending_traps().await;
        self.in_trap = false;
        flow
    }

    async fn run_pending_traps(&mut self) -> Option<Flow> {
        while let Some((sig, action)) = self.proc.kernel.take_caught(self.proc.pid) {
            self.proc.work(crate::sim::unix::cpu::TRAP_WORK).await;
            if action == jobs::HANG_UP_JOBS {
                return Some(self.hang_up_and_die().await);
            }
            self.proc.kernel.trace().log(
                self.proc.label(),
                ProcessEvent::RunsTrap {
                    signal: sig.name().to_string(),
                    action: action.clone(),
                },
            );
            let Ok(script) = hangar_shell::parse(&action) else {
                continue;
            };
            let saved = self.last_status;
            if let Flow::Exit(code) = self.run_script(&script, false).await {
                return Some(Flow::Exit(code));
            }
            self.last_status = saved;
        }
        None
    }

    fn expand(&self, word: &Word) -> String {
        word.parts
            .iter()
            .map(|part| match part {
                WordPart::Literal(text) => text.clone(),
                WordPart::ShellPid => self.shell_pid.to_string(),
                WordPart::LastStatus => self.last_status.to_string(),
            })
            .collect()
    }

    fn redirect(
        &self,
        fds: &mut FdTable,
        redirects: &[hangar_shell::ast::Redirect],
    ) -> Result<(), String> {
        redirect::apply(&self.proc.kernel, fds, redirects, |w| self.expand(w))
    }

    /// A shell diagnostic on stderr; the command fails with status 1.
    async fn diagnose(&self, message: &str) -> Flow {
        let _ = self
            .proc
            .write(2, format!("sh: {message}\n").as_bytes())
            .await;
        Flow::Continue(1)
    }

    pub(super) async fn run_builtin(&mut self, argv: &[String]) -> Flow {
        if self.jobs.is_some()
            && let Some(flow) = self.run_job_builtin(argv).await
        {
            return flow;
        }
        match argv[0].as_str() {
            // bash: `logout` ends a login shell as `exit` does (sshd's
            // shells are login shells; `sh -c` treats it the same here).
            "exit" | "logout" => {
                let code = match argv.get(1) {
                    Some(arg) => arg.parse().unwrap_or(2),
                    None => self.last_status,
                };
                Flow::Exit(code & 0xff)
            }
            "trap" => Flow::Continue(self.builtin_trap(argv).await),
            // Without job control no job is ever hung up: nothing to forget.
            "disown" => Flow::Continue(0),
            "fg" | "bg" | "jobs" => {
                let text = format!("sh: {}: no job control\n", argv[0]);
                let _ = self.proc.write(2, text.as_bytes()).await;
                Flow::Continue(1)
            }
            "kill" => Flow::Continue(utils::kill(&self.proc, argv).await),
            "wait" => Flow::Continue(self.builtin_wait(argv).await),
            _ => Flow::Continue(utils::run_builtin_utility(&self.proc, argv).await),
        }
    }

    /// trap(1p): `trap ACTION SIG...`, `trap '' SIG` ignores, `trap - SIG`
    /// restores the default.
    async fn builtin_trap(&mut self, argv: &[String]) -> i32 {
        let Some(action) = argv.get(1) else {
            return 0;
        };
        let mut status = 0;
        for name in &argv[2..] {
            let Some(sig) = Signal::parse(name) else {
                let _ = self
                    .proc
                    .write(2, format!("trap: {name}: bad trap\n").as_bytes())
                    .await;
                status = 1;
                continue;
            };
            let disposition = match action.as_str() {
                "-" => Disposition::Default,
                "" => Disposition::Ignore,
                text => Disposition::Trap(text.to_string()),
            };
            if sig.can_be_handled() {
                self.proc
                    .kernel
                    .set_disposition(self.proc.pid, sig, disposition);
            }
        }
        status
    }

    /// wait(1p): waits for the given children, or all background ones; a
    /// caught signal interrupts it with 128 + n.
    async fn builtin_wait(&mut self, argv: &[String]) -> i32 {
        let targets: Vec<Pid> = if argv.len() > 1 {
            argv[1..].iter().filter_map(|a| a.parse().ok()).collect()
        } else {
            std::mem::take(&mut self.background)
        };
        let mut status = 0;
        for pid in targets {
            let proc = self.proc.clone();
            tokio::select! {
                biased;
                _ = proc.caught_signal() => {
                    let sig = self.proc.kernel.next_caught(self.proc.pid).map_or(0, Signal::number);
                    return 128 + sig;
                }
                result = proc.wait(pid) => {
                    status = result.map(WaitStatus::shell_status).unwrap_or(127);
                }
            }
        }
        status
    }
}

pub(super) fn is_builtin(name: &str) -> bool {
    matches!(
        name,
        "exit"
            | "logout"
            | "trap"
            | "kill"
            | "wait"
            | "true"
            | "false"
            | "echo"
            | "printf"
            | "test"
            | "disown"
            | "fg"
            | "bg"
            | "jobs"
    )
}

/// The name of an asynchronous list's process: the utility it execs, or
/// `sh` for a list that stays a shell.
fn background_name(and_or: &AndOr) -> String {
    if and_or.rest.is_empty() {
        process_name(&and_or.first)
    } else {
        "sh".to_string()
    }
}

/// The name a forked command's process starts with: its utility's, or
/// `sh` for a built-in or a compound command.
pub(super) fn process_name(command: &Command) -> String {
    let Command::Simple(simple) = command else {
        return "sh".to_string();
    };
    let name: String = simple.words[0]
        .parts
        .iter()
        .filter_map(|p| match p {
            WordPart::Literal(text) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    if is_builtin(&name) {
        "sh".to_string()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::sim::host::testing::{run_bash_line, run_line};
    use crate::sim::unix::{Signal, WaitStatus};

    #[test]
    fn and_or_lists_short_circuit_on_the_status() {
        let ran = run_line("true && echo a || echo b; false && echo c || echo d", &[]);
        assert_eq!(ran.stdout, "a\nd\n");
    }

    #[test]
    fn dollar_question_is_the_last_foreground_status() {
        let ran = run_line("(exit 3); echo $?", &[]);
        assert_eq!(ran.stdout, "3\n");
    }

    #[test]
    fn exit_ends_the_shell_with_its_code() {
        let ran = run_line("exit 7; echo unreachable", &[]);
        assert_eq!(ran.status, WaitStatus::Exited(7));
        assert_eq!(ran.stdout, "");
    }

    #[test]
    fn redirections_apply_in_the_order_written() {
        // XCU 2.7: `2>&1 >/dev/null` sends stderr to the old stdout.
        let ran = run_line("sh -c 'echo out; kill -s NOPE 1' 2>&1 >/dev/null", &[]);
        assert_eq!(ran.stdout, "kill: usage: kill [-s SIG | -SIG] pid...\n");
    }

    #[test]
    fn a_background_job_does_not_block_the_shell_and_gets_dev_null_as_stdin() {
        let ran = run_line("sleep 5 & echo started", &[]);
        assert_eq!(ran.stdout, "started\n");
        assert!(
            ran.ended_at < Duration::from_secs(1),
            "the shell did not wait"
        );
        // XCU 2.9.3: the job's stdin is /dev/null, its stdout the pipe.
        assert!(ran.trace.contains("sleep[3]"), "{}", ran.trace);
    }

    #[test]
    fn wait_waits_for_background_jobs() {
        let ran = run_line("sleep 2 & wait; echo done", &[]);
        assert_eq!(ran.stdout, "done\n");
        assert!(ran.ended_at >= Duration::from_secs(2));
    }

    #[test]
    fn a_trap_runs_when_its_signal_arrives() {
        let ran = run_line("trap 'echo caught' TERM; kill -TERM $$; echo after", &[]);
        assert_eq!(ran.stdout, "caught\nafter\n");
        assert_eq!(ran.status, WaitStatus::Exited(0));
    }

    #[test]
    fn an_untrapped_signal_to_the_shell_kills_it() {
        let ran = run_line("kill -TERM $$; echo unreachable", &[]);
        assert_eq!(ran.status, WaitStatus::Signaled(Signal::Term));
        assert_eq!(ran.stdout, "");
    }

    #[test]
    fn a_trap_waits_for_the_foreground_child() {
        // The signal arrives at 1 s, while `sleep 3` runs in the foreground:
        // the trap runs when the sleep is done (XCU 2.11).
        let ran = run_line(
            "trap 'echo trapped' HUP; (sleep 1; kill -HUP $$) & sleep 3; echo after",
            &[],
        );
        assert_eq!(ran.stdout, "trapped\nafter\n");
        assert!(ran.ended_at >= Duration::from_secs(3));
    }

    #[test]
    fn wait_is_interrupted_by_a_trapped_signal() {
        let ran = run_line(
            "trap 'echo trapped' HUP; (sleep 1; kill -HUP $$) & sleep 10 & wait; echo $?",
            &[],
        );
        assert_eq!(ran.stdout, "trapped\n129\n");
        assert!(ran.ended_at < Duration::from_secs(2));
    }

    #[test]
    fn a_trap_that_resends_its_own_signal_loops_without_nesting() {
        // bash loops for ever here; the loop must not grow the stack and
        // must let virtual time run, so that timeout(1) can end it.
        let ran = run_line(
            "timeout -s KILL 2 sh -c 'trap \"kill $$\" TERM; kill $$'",
            &[],
        );
        assert_eq!(ran.status, WaitStatus::Exited(137));
        assert_eq!(ran.ended_at, Duration::from_secs(2));
        let runs = ran
            .trace
            .lines()
            .filter(|l| l.contains("runs its TERM trap"))
            .count();
        assert!(runs > 20, "{runs} trap runs: several per slice, for 2 s");
    }

    #[test]
    fn trap_with_an_empty_action_ignores_the_signal() {
        let ran = run_line("trap '' TERM; kill -TERM $$; echo survived", &[]);
        assert_eq!(ran.stdout, "survived\n");
    }

    #[test]
    fn groups_run_in_the_shell_and_subshells_in_a_child() {
        let ran = run_line("{ exit 4; }; echo unreachable", &[]);
        assert_eq!(ran.status, WaitStatus::Exited(4));
        let ran = run_line("(exit 4); echo reached", &[]);
        assert_eq!(ran.stdout, "reached\n");
    }

    #[test]
    fn dollar_dollar_is_the_invoking_shell_also_in_subshells() {
        let ran = run_line("echo $$; (echo $$)", &[]);
        assert_eq!(ran.stdout, "2\n2\n");
    }

    #[test]
    fn a_command_line_forks_even_its_last_command_as_dash_does() {
        // dash 0.5.12 (Debian's /bin/sh), measured: `sh -c 'sleep 3'`
        // is a dash with a sleep child.
        let ran = run_line("sleep 1", &[]);
        assert!(ran.trace.contains("host sleep[3]"), "{}", ran.trace);
        assert!(!ran.trace.contains("execs"), "{}", ran.trace);
    }

    #[test]
    fn dash_says_which_signal_killed_a_foreground_child() {
        // Measured: `sh -c 'sleep 30'` with the sleep killed by SIGKILL
        // writes "Killed\n" to stderr and exits 137.
        let ran = run_line("sh -c 'kill -TERM $$'; sh -c 'kill -INT $$'; echo $?", &[]);
        assert_eq!(ran.stderr, "Terminated\n", "{}", ran.trace);
        assert_eq!(ran.stdout, "130\n");
    }

    #[test]
    fn the_last_command_of_a_remote_shell_is_execed_in_place() {
        // bash -c, the login shell sshd runs a command with, execs it.
        let ran = run_bash_line("sleep 1");
        assert!(
            ran.lines()
                .any(|l| l.contains("host sh[2]") && l.ends_with("execs sleep")),
            "{ran}"
        );
        assert!(!ran.contains("sleep[3]"), "{ran}");
    }
}
