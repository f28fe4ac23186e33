//! A login shell reading its commands from stdin: what sshd runs for a
//! session without a command, and what a terminal starts with.
//!
//! bash(1) INVOCATION: the shell is interactive when stdin is a terminal;
//! then it prints a prompt (to stderr) before each line and turns job
//! control on. On a pipe it reads line after line without either. At
//! end-of-file an interactive login shell says `logout` and exits with the
//! last status.

use std::sync::Arc;

use super::env::HostEnv;
use super::shell::{Flow, Shell};
use crate::sim::unix::{Proc, Program};

/// The prompt of an interactive shell on `host` (PS1 `\u@\h:\w\$ `).
pub fn prompt(host: &str) -> String {
    format!("user@{host}:~$ ")
}

/// The program of a login shell (`-bash`) on stdin.
pub fn login_shell(env: Arc<HostEnv>) -> impl FnOnce(Proc) -> Program {
    move |proc: Proc| -> Program {
        Box::pin(async move {
            let interactive = proc.fd(0).is_some_and(|f| f.is_terminal());
            let host = proc.kernel.host();
            let mut shell = Shell::new(proc, env, None);
            if interactive {
                shell.enable_job_control();
            }
            let mut input = Lines::default();
            let mut show_prompt = true;
            loop {
                let mut typed_ahead = false;
                if interactive && show_prompt {
                    shell.notify_jobs().await;
                    let _ = shell.proc.write(2, prompt(host).as_bytes()).await;
                    typed_ahead = shell
                        .proc
                        .fd(0)
                        .and_then(|f| f.as_tty().map(|t| t.has_input()))
                        == Some(true);
                }
                show_prompt = true;
                let proc = shell.proc.clone();
                let line = tokio::select! {
                    biased;
                    _ = proc.caught_signal() => {
                        if let Some(Flow::Exit(code)) = shell.run_traps().await {
                            return code;
                        }
                        show_prompt = false;
                        continue;
                    }
                    line = input.next(&proc) => line,
                };
                // Let the others the same keystrokes woke run first (a
                // background reader meets SIGTTIN): bash reaps the SIGCHLD
                // that causes before its next prompt, as measured with bash 5.2.
                tokio::task::yield_now().await;
                let Some(line) = line else {
                    if interactive {
                        let _ = shell.proc.write(2, b"logout\n").await;
                    }
                    return shell.last_status;
                };
                if typed_ahead {
                    // readline(3) echoes what it reads itself: a line typed
                    // while a command ran shows twice, once from the
                    // terminal's echo then and once after the prompt.
                    let _ = shell.proc.write(2, format!("{line}\n").as_bytes()).await;
                }
                if line.trim().is_empty() {
                    continue;
                }
                let script = match hangar_shell::parse(&line) {
                    Ok(script) => script,
                    Err(e) => {
                        let text = format!("bash: syntax error: {}\n", e.message);
                        let _ = shell.proc.write(2, text.as_bytes()).await;
                        shell.last_status = 2;
                        continue;
                    }
                };
                match shell.run_script(&script, false).await {
                    Flow::Continue(status) => shell.last_status = status,
                    Flow::Exit(code) => return code,
                }
            }
        })
    }
}

/// Lines of stdin, however the reads split them.
#[derive(Default)]
struct Lines {
    buffer: Vec<u8>,
    ended: bool,
}

impl Lines {
    /// The next line without its newline; `None` at end-of-file.
    async fn next(&mut self, proc: &Proc) -> Option<String> {
        loop {
            if let Some(at) = self.buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=at).collect();
                return Some(String::from_utf8_lossy(&line[..at]).into_owned());
            }
            if self.ended {
                if self.buffer.is_empty() {
                    return None;
                }
                let rest = std::mem::take(&mut self.buffer);
                return Some(String::from_utf8_lossy(&rest).into_owned());
            }
            match proc.read(0, 4096).await {
                Ok(block) if !block.is_empty() => self.buffer.extend(block),
                // A terminal's `^D` at the start of a line, or the end of a pipe.
                _ => self.ended = true,
            }
        }
    }
}
