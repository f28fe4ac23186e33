//! What happens to processes: simulated ones as the kernel model sees
//! them, real ones as /proc shows them.

use std::fmt;

use serde::Serialize;

/// A process event. Signals are named as signal(7) does (`SIGHUP`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
}

/// What a signal did to the process it was sent to (signal(7)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
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
        }
    }
}
