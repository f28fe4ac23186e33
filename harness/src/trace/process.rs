//! What happens to processes: simulated ones as the kernel model sees
//! them, real ones as /proc shows them.

use std::fmt;

use serde::Serialize;

/// A process event. Signals are named as signal(7) does (`SIGHUP`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProcessEvent {
    /// fork(2) and exec: the actor started, `parent` started it.
    Started { parent: String },
    /// exit(2) with `code`.
    Exited { code: i32 },
    /// Ended by `signal`.
    Killed { signal: String },
    /// Stopped by `signal` (SIGTSTP, SIGTTIN, SIGTTOU, SIGSTOP).
    Stopped { signal: String },
    /// `signal`, sent by `from`, and what it did.
    Signal {
        signal: String,
        from: String,
        outcome: SignalOutcome,
    },
    /// A shell runs its trap for `signal`.
    RunsTrap { signal: String, action: String },
    /// sshd's waitpid(2) on its child.
    Reaps { child: String, status: String },
    /// logind stops a session's scope (KillUserProcesses=yes).
    ScopeStopped { processes: usize },
    /// The host lost power with these processes.
    PowerLost { gone: Vec<String> },
    /// A real process first seen in /proc, with the signals it ignores.
    Seen { ignoring: Vec<String> },
    /// A real process seen stopped (state `T`) in /proc.
    SeenStopped,
    /// A real process seen stopped before and running now.
    SeenContinued,
    /// A real process gone from /proc, or a zombie.
    Ended,
    /// A real process seen running another program (exec).
    Execs { program: String },
    /// A real process gone between two looks at the process table, its
    /// status not seen.
    Vanished,
}

/// What a signal did to the process it was sent to (signal(7)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalOutcome {
    Continued,
    ContinuedTrapPending,
    Delivered,
    Ignored,
    CaughtByTrap,
    IgnoredByDefault,
    NoEffectNotStopped,
}

impl fmt::Display for SignalOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignalOutcome::Continued => "continued",
            SignalOutcome::ContinuedTrapPending => "continued; trap pending",
            SignalOutcome::Delivered => "delivered",
            SignalOutcome::Ignored => "ignored",
            SignalOutcome::CaughtByTrap => "caught by trap",
            SignalOutcome::IgnoredByDefault => "ignored (default)",
            SignalOutcome::NoEffectNotStopped => "no effect (not stopped)",
        })
    }
}

impl fmt::Display for ProcessEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessEvent::Started { parent } => write!(f, "started by {parent}"),
            ProcessEvent::Exited { code } => write!(f, "exit {code}"),
            ProcessEvent::Killed { signal } => write!(f, "killed by {signal}"),
            ProcessEvent::Stopped { signal } => write!(f, "stopped by {signal}"),
            ProcessEvent::Signal {
                signal,
                from,
                outcome,
            } => write!(f, "{signal} from {from}: {outcome}"),
            ProcessEvent::RunsTrap { signal, action } => {
                write!(f, "runs its {signal} trap: {action}")
            }
            ProcessEvent::Reaps { child, status } => write!(f, "reaps {child} ({status})"),
            ProcessEvent::ScopeStopped { processes } => write!(
                f,
                "session ended with KillUserProcesses=yes: stopping its scope ({processes} process(es))"
            ),
            ProcessEvent::PowerLost { gone } => write!(
                f,
                "power lost: {} process(es) gone: {}",
                gone.len(),
                gone.join(", ")
            ),
            ProcessEvent::Seen { ignoring } if ignoring.is_empty() => f.write_str("started"),
            ProcessEvent::Seen { ignoring } => {
                write!(f, "started, ignoring {}", ignoring.join(" and "))
            }
            ProcessEvent::SeenStopped => f.write_str("stopped"),
            ProcessEvent::SeenContinued => f.write_str("continued"),
            ProcessEvent::Ended => f.write_str("ended"),
            ProcessEvent::Execs { program } => write!(f, "execs {program}"),
            ProcessEvent::Vanished => f.write_str("exit"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(name: &str, from: &str, outcome: SignalOutcome) -> ProcessEvent {
        ProcessEvent::Signal {
            signal: name.into(),
            from: from.into(),
            outcome,
        }
    }

    /// Each process event and its trace text.
    #[test]
    fn every_process_event_renders_as_the_trace_words_it() {
        let hangup = "the kernel (hangup of /dev/pts/0)";
        let table: Vec<(ProcessEvent, &str)> = vec![
            (
                ProcessEvent::Started {
                    parent: "server sshd[3]".into(),
                },
                "started by server sshd[3]",
            ),
            (ProcessEvent::Exited { code: 0 }, "exit 0"),
            (
                ProcessEvent::Killed {
                    signal: "SIGHUP".into(),
                },
                "killed by SIGHUP",
            ),
            (
                ProcessEvent::Stopped {
                    signal: "SIGTTOU".into(),
                },
                "stopped by SIGTTOU",
            ),
            (
                signal("SIGCONT", hangup, SignalOutcome::NoEffectNotStopped),
                "SIGCONT from the kernel (hangup of /dev/pts/0): no effect (not stopped)",
            ),
            (
                signal("SIGHUP", hangup, SignalOutcome::CaughtByTrap),
                "SIGHUP from the kernel (hangup of /dev/pts/0): caught by trap",
            ),
            (
                signal("SIGCONT", "client bash[2]", SignalOutcome::Continued),
                "SIGCONT from client bash[2]: continued",
            ),
            (
                signal(
                    "SIGCONT",
                    "client bash[2]",
                    SignalOutcome::ContinuedTrapPending,
                ),
                "SIGCONT from client bash[2]: continued; trap pending",
            ),
            (
                signal("SIGKILL", "client pkill[9]", SignalOutcome::Delivered),
                "SIGKILL from client pkill[9]: delivered",
            ),
            (
                signal("SIGHUP", "server bash[4]", SignalOutcome::Ignored),
                "SIGHUP from server bash[4]: ignored",
            ),
            (
                signal(
                    "SIGWINCH",
                    "the kernel (size of /dev/pts/0)",
                    SignalOutcome::IgnoredByDefault,
                ),
                "SIGWINCH from the kernel (size of /dev/pts/0): ignored (default)",
            ),
            (
                ProcessEvent::RunsTrap {
                    signal: "HUP".into(),
                    action: "echo bye".into(),
                },
                "runs its HUP trap: echo bye",
            ),
            (
                ProcessEvent::Reaps {
                    child: "server sh[4]".into(),
                    status: "killed by SIGTERM".into(),
                },
                "reaps server sh[4] (killed by SIGTERM)",
            ),
            (
                ProcessEvent::ScopeStopped { processes: 2 },
                "session ended with KillUserProcesses=yes: stopping its scope (2 process(es))",
            ),
            (
                ProcessEvent::PowerLost {
                    gone: vec!["sshd".into(), "sshd".into(), "sleep".into()],
                },
                "power lost: 3 process(es) gone: sshd, sshd, sleep",
            ),
            (
                ProcessEvent::Seen {
                    ignoring: Vec::new(),
                },
                "started",
            ),
            (
                ProcessEvent::Seen {
                    ignoring: vec!["SIGHUP".into(), "SIGINT".into()],
                },
                "started, ignoring SIGHUP and SIGINT",
            ),
            (ProcessEvent::SeenStopped, "stopped"),
            (ProcessEvent::SeenContinued, "continued"),
            (ProcessEvent::Ended, "ended"),
            (
                ProcessEvent::Execs {
                    program: "sleep".into(),
                },
                "execs sleep",
            ),
            (ProcessEvent::Vanished, "exit"),
        ];
        for (event, text) in table {
            assert_eq!(event.to_string(), text, "{event:?}");
        }
    }
}
