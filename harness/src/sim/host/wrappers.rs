//! Utilities that run another utility: nohup, setsid, timeout.

use std::sync::Arc;

use super::env::HostEnv;
use super::redirect::open_write;
use super::utils::{parse_seconds, run_utility};
use crate::sim::unix::{Disposition, OpenFile, Proc, Program, Signal, WaitStatus};

/// Replaces the running program with `argv` (execve(2): same pid, traps
/// reset, ignored signals stay ignored).
async fn exec(proc: Proc, env: Arc<HostEnv>, argv: Vec<String>) -> i32 {
    proc.kernel.rename(proc.pid, &argv[0]);
    run_utility(proc, env, argv).await
}

/// nohup(1), coreutils: ignore SIGHUP, then exec the command. Only if
/// stdin is a terminal is it replaced by an unreadable fd; only if stdout
/// is a terminal is it sent to `nohup.out`; only if stderr is a terminal
/// is it sent to stdout. With pipes nothing is redirected.
pub async fn nohup(proc: Proc, env: Arc<HostEnv>, argv: Vec<String>) -> i32 {
    if argv.len() < 2 {
        let _ = proc.write(2, b"nohup: missing operand\n").await;
        return 125;
    }
    let mut fds = proc.fds();
    if fds.get(0).is_some_and(|f| f.is_terminal()) {
        fds.set(0, OpenFile::dev_null());
    }
    if fds.get(1).is_some_and(|f| f.is_terminal()) {
        // nohup(1p): O_APPEND|O_CREAT.
        fds.set(1, open_write(&proc.kernel, "nohup.out", false));
        let _ = proc
            .write(
                2,
                b"nohup: ignoring input and appending output to 'nohup.out'\n",
            )
            .await;
    }
    if fds.get(2).is_some_and(|f| f.is_terminal()) {
        fds.dup2(1, 2);
    }
    proc.kernel.set_fds(proc.pid, fds);
    proc.kernel
        .set_disposition(proc.pid, Signal::Hup, Disposition::Ignore);
    exec(proc, env, argv[1..].to_vec()).await
}

/// Scheduling turns a forked child gets when it runs first: enough for its
/// first system call.
const FORKED_CHILD_TURNS: u32 = 2;

/// setsid(1), util-linux: if the caller leads its process group, or with
/// `-f`, fork and let the parent exit 0 at once; the child calls setsid(2)
/// and execs the command. Who runs first after the fork is up to the
/// scheduler, and the seed: when the parent's exit hangs up its session
/// (it led it, under `ssh -tt`), the child dies of SIGHUP unless it has
/// called setsid(2) already.
pub async fn setsid(proc: Proc, env: Arc<HostEnv>, argv: Vec<String>) -> i32 {
    let force_fork = argv.get(1).is_some_and(|a| a == "-f");
    let command: Vec<String> = argv[if force_fork { 2 } else { 1 }..].to_vec();
    if command.is_empty() {
        let _ = proc.write(2, b"setsid: no command specified\n").await;
        return 1;
    }
    let leads_group = proc.kernel.pgid(proc.pid) == Some(proc.pid);
    if force_fork || leads_group {
        let name = command[0].clone();
        let child_first = env.swarm.forked_child_first;
        proc.spawn(&name, proc.fds(), move |child: Proc| -> Program {
            Box::pin(async move {
                let _ = child.kernel.setsid(child.pid);
                run_utility(child, env, command).await
            })
        });
        if child_first {
            // The child is scheduled before the parent exits: it has its
            // own session before a hangup of the parent's can reach it.
            for _ in 0..FORKED_CHILD_TURNS {
                tokio::task::yield_now().await;
            }
        }
        return 0;
    }
    if proc.kernel.setsid(proc.pid).is_err() {
        let _ = proc
            .write(2, b"setsid: failed to create a new session\n")
            .await;
        return 1;
    }
    exec(proc, env, command).await
}

/// timeout(1), coreutils: `timeout [-k KILL_AFTER] [-s SIG] DURATION CMD`.
/// Runs CMD as a child; after DURATION sends it SIG (TERM), and KILL after
/// KILL_AFTER more. Exits 124 when the time ran out (137 when KILL was
/// needed), else with the child's status.
pub async fn timeout(proc: Proc, env: Arc<HostEnv>, argv: Vec<String>) -> i32 {
    let mut kill_after = None;
    let mut sig = Signal::Term;
    let mut i = 1;
    while i < argv.len() && argv[i].starts_with('-') {
        match argv[i].as_str() {
            "-k" => {
                kill_after = argv.get(i + 1).and_then(|a| parse_seconds(a));
                i += 2;
            }
            "-s" => {
                sig = argv
                    .get(i + 1)
                    .and_then(|a| Signal::parse(a))
                    .unwrap_or(Signal::Term);
                i += 2;
            }
            _ => break,
        }
    }
    let (Some(limit), Some(_)) = (argv.get(i).and_then(|a| parse_seconds(a)), argv.get(i + 1))
    else {
        let _ = proc
            .write(
                2,
                b"timeout: usage: timeout [-k DURATION] [-s SIG] DURATION COMMAND\n",
            )
            .await;
        return 125;
    };
    let command: Vec<String> = argv[i + 1..].to_vec();
    let name = command[0].clone();
    let child = proc.spawn(&name, proc.fds(), move |child: Proc| -> Program {
        run_utility(child, env, command)
    });
    let label = proc.label();
    let status = tokio::select! {
        biased;
        status = proc.kernel.exited(child) => status,
        _ = crate::sim::clock::sleep(limit) => None,
    };
    if let Some(status) = status {
        proc.wait(child).await;
        return status.shell_status();
    }
    proc.kernel.signal(child, sig, &label);
    let status = match kill_after {
        Some(grace) => tokio::select! {
            biased;
            status = proc.kernel.exited(child) => status,
            _ = crate::sim::clock::sleep(grace) => {
                proc.kernel.signal(child, Signal::Kill, &label);
                proc.kernel.exited(child).await
            }
        },
        None => proc.kernel.exited(child).await,
    };
    proc.wait(child).await;
    match status {
        Some(WaitStatus::Signaled(Signal::Kill)) => 128 + Signal::Kill.number(),
        _ => 124,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::sim::host::testing::run_line;
    use crate::sim::unix::WaitStatus;

    #[test]
    fn nohup_with_pipes_only_ignores_sighup() {
        // coreutils: stdout is a pipe, so nothing goes to nohup.out.
        let ran = run_line("nohup sh -c 'kill -HUP $$; echo alive'", &[]);
        assert_eq!(ran.stdout, "alive\n");
        assert_eq!(ran.kernel.written("nohup.out"), 0);
    }

    #[test]
    fn setsid_without_fork_runs_in_the_foreground_in_a_new_session() {
        // In a non-interactive shell a command is not a group leader, so
        // setsid(1) does not fork: the shell waits for it.
        let ran = run_line("setsid sleep 2", &[]);
        assert!(ran.ended_at >= Duration::from_secs(2));
        assert!(
            ran.trace.contains("host setsid[3]     execs sleep"),
            "{}",
            ran.trace
        );
    }

    #[test]
    fn setsid_f_forks_and_returns_at_once() {
        let ran = run_line("setsid -f sleep 2; echo back", &[]);
        assert_eq!(ran.stdout, "back\n");
        assert!(ran.ended_at < Duration::from_secs(1));
    }

    #[test]
    fn timeout_sends_term_then_kill_after_the_grace_period() {
        let ran = run_line("timeout 1 sleep 10", &[]);
        assert_eq!(ran.status, WaitStatus::Exited(124));
        assert_eq!(ran.ended_at, Duration::from_secs(1));
        // A child that ignores TERM needs -k.
        let ran = run_line("timeout -k 2 1 nohup sh -c 'trap \"\" TERM; sleep 10'", &[]);
        assert_eq!(ran.status, WaitStatus::Exited(137));
        assert_eq!(ran.ended_at, Duration::from_secs(3));
    }

    #[test]
    fn timeout_passes_the_status_through_when_in_time() {
        let ran = run_line("timeout 5 sh -c 'exit 3'", &[]);
        assert_eq!(ran.status, WaitStatus::Exited(3));
    }
}
