//! What the harness itself does in a run: the steps it plays, and
//! where and why it stops one.

use std::fmt;

use serde::Serialize;

/// A step of the harness.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HarnessEvent {
    /// A real run's command line starts.
    Runs { line: String },
    /// A real run's command line `n` (from 1) exited with `code`.
    CommandLineExit { n: usize, code: i32 },
    /// A real host's crash killed these processes (`sleep[12]`), or none.
    CrashKilled { killed: Vec<String> },
    /// The run reached the scenario's horizon with something still
    /// running: it stops here.
    Horizon,
    /// A `wait_for` ran out of time: the run stops here.
    WaitTimedOut { waited: String },
    /// A real command line `n` (from 1) was still running when the run
    /// stopped: the watchdog killed its process group.
    WatchdogKilled { n: usize },
}

impl fmt::Display for HarnessEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HarnessEvent::Runs { line } => write!(f, "runs {line:?}"),
            HarnessEvent::CommandLineExit { n, code } => write!(f, "command line {n} exit {code}"),
            HarnessEvent::CrashKilled { killed } if killed.is_empty() => {
                f.write_str("crash: no process to kill")
            }
            HarnessEvent::CrashKilled { killed } => {
                write!(f, "crash: killed {}", killed.join(", "))
            }
            HarnessEvent::Horizon => f.write_str("horizon reached: the run stops"),
            HarnessEvent::WaitTimedOut { waited } => write!(f, "stops: {waited}"),
            HarnessEvent::WatchdogKilled { n } => {
                write!(f, "watchdog killed command line {n}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_harness_event_renders_as_the_trace_words_it() {
        let table: Vec<(HarnessEvent, &str)> = vec![
            (
                HarnessEvent::Runs {
                    line: "ssh server 'exit 7'".into(),
                },
                "runs \"ssh server 'exit 7'\"",
            ),
            (
                HarnessEvent::CommandLineExit { n: 1, code: 255 },
                "command line 1 exit 255",
            ),
            (
                HarnessEvent::CrashKilled {
                    killed: vec!["sleep[12]".into(), "sshd[10]".into()],
                },
                "crash: killed sleep[12], sshd[10]",
            ),
            (
                HarnessEvent::CrashKilled { killed: Vec::new() },
                "crash: no process to kill",
            ),
            (HarnessEvent::Horizon, "horizon reached: the run stops"),
            (
                HarnessEvent::WaitTimedOut {
                    waited: "waited 2s for exited; it did not come".into(),
                },
                "stops: waited 2s for exited; it did not come",
            ),
            (
                HarnessEvent::WatchdogKilled { n: 2 },
                "watchdog killed command line 2",
            ),
        ];
        for (event, text) in table {
            assert_eq!(event.to_string(), text, "{event:?}");
        }
    }
}
