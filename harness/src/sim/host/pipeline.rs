//! Pipelines, as XCU 2.9.2 "Pipelines" defines them:
//!
//! - the standard output of each command is connected by a pipe(2) to the
//!   standard input of the next, before the command's own redirections
//!   (so `a 2>&1 | b` sends both streams into the pipe);
//! - each command runs in a child of its own (dash and bash fork every
//!   stage, the last one included), and the shell waits for all of them;
//! - the pipeline's status is the last command's.
//!
//! The shell keeps no end of the pipes it made, so a stage sees EOF once
//! the stages before it are gone, and a stage writing to a pipe whose
//! reader has exited gets SIGPIPE (pipe(7)): how `yes | head -c 4` ends.
//! An interactive shell runs the whole pipeline as one job: a subshell in
//! the job's process group that forks the stages.

use std::sync::Arc;

use hangar_shell::ast::Command;

use super::jobs;
use super::shell::{BoxFuture, Flow, Shell, process_name};
use crate::sim::unix::{FdTable, OpenFile, Pid, Proc, Program};

impl Shell {
    pub(super) fn run_pipeline<'a>(
        &'a mut self,
        commands: &'a [Command],
        text: String,
    ) -> BoxFuture<'a, Flow> {
        Box::pin(async move {
            if self.jobs.is_some() {
                return self.run_pipeline_job(commands, text).await;
            }
            let mut stdin: Option<Arc<OpenFile>> = None;
            let mut stages = Vec::with_capacity(commands.len());
            for (i, command) in commands.iter().enumerate() {
                let mut fds = self.proc.fds();
                if let Some(read_end) = stdin.take() {
                    fds.set(0, read_end);
                }
                if i + 1 < commands.len() {
                    let (read_end, write_end) = self.proc.kernel.pipe();
                    fds.set(1, OpenFile::pipe(write_end));
                    stdin = Some(OpenFile::pipe(read_end));
                }
                stages.push(self.spawn_stage(command, fds));
            }
            let mut last = None;
            for stage in stages {
                last = self.proc.wait(stage).await;
            }
            match last {
                Some(status) => {
                    self.report_if_killed(status).await;
                    Flow::Continue(status.shell_status())
                }
                None => Flow::Continue(127),
            }
        })
    }

    /// One stage in a child shell that runs it as the last thing it does,
    /// so a utility is exec'd in place and the child carries its name.
    fn spawn_stage(&self, command: &Command, fds: FdTable) -> Pid {
        let command = command.clone();
        let env = self.env.clone();
        let shell_pid = self.shell_pid;
        let reports_killed = self.reports_killed;
        self.proc
            .spawn(&process_name(&command), fds, move |proc: Proc| -> Program {
                Box::pin(async move {
                    let mut shell = Shell::new(proc, env, Some(shell_pid));
                    shell.reports_killed = reports_killed;
                    match shell.run_command(&command, true).await {
                        Flow::Continue(code) | Flow::Exit(code) => code,
                    }
                })
            })
    }

    /// With job control: one job, a subshell that runs the pipeline.
    async fn run_pipeline_job(&mut self, commands: &[Command], text: String) -> Flow {
        let commands = commands.to_vec();
        let env = self.env.clone();
        let shell_pid = self.shell_pid;
        let child_text = text.clone();
        let child = self
            .proc
            .spawn("sh", self.proc.fds(), move |proc: Proc| -> Program {
                jobs::restore_job_signals(&proc);
                Box::pin(async move {
                    let mut shell = Shell::new(proc, env, Some(shell_pid));
                    match shell.run_pipeline(&commands, child_text).await {
                        Flow::Continue(code) | Flow::Exit(code) => code,
                    }
                })
            });
        self.wait_foreground(child, text).await
    }
}

#[cfg(test)]
mod tests {
    use crate::sim::host::testing::{run_line, type_session};
    use crate::sim::unix::WaitStatus;

    #[test]
    fn the_status_is_the_last_commands() {
        assert_eq!(run_line("true | false", &[]).status, WaitStatus::Exited(1));
        assert_eq!(run_line("false | true", &[]).status, WaitStatus::Exited(0));
    }

    #[test]
    fn each_stdout_feeds_the_next_stdin() {
        let ran = run_line("cat big | head -c 10 | wc -c", &[("big", 1 << 20)]);
        assert_eq!(ran.stdout, "10\n");
        let ran = run_line("echo one | cat; echo two", &[]);
        assert_eq!(ran.stdout, "one\ntwo\n");
    }

    #[test]
    fn a_writer_whose_reader_left_dies_of_sigpipe() {
        // head takes its bytes and exits; yes's next write raises SIGPIPE
        // (pipe(7)), which ends it: the pipeline ends, with head's status.
        let ran = run_line("yes | head -c 4", &[]);
        assert_eq!(ran.stdout, "y\ny\n");
        assert_eq!(ran.status, WaitStatus::Exited(0));
        assert!(ran.trace.contains("killed by SIGPIPE"), "{}", ran.trace);
    }

    #[test]
    fn redirections_of_a_stage_come_after_the_pipe() {
        // XCU 2.9.2: `2>&1` of a stage sends its stderr into the pipe.
        let ran = run_line("cat missing 2>&1 | wc -c", &[]);
        assert_eq!(ran.stdout, "40\n"); // "cat: missing: No such file or directory\n"
        assert_eq!(ran.stderr, "");
    }

    #[test]
    fn at_a_terminal_the_pipeline_runs_and_the_prompt_comes_back() {
        let typed = type_session(&[("yes | head -c 4\n", std::time::Duration::from_secs(1))]);
        // The output, then the prompt again: the job ended.
        assert!(
            typed.screen.contains("head -c 4\ny\ny\nuser@host:~$"),
            "{}",
            typed.screen
        );
    }
}
