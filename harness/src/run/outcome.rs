//! The facts of a run that expectations are checked against.

use std::time::Duration;

/// How a run ended, in the terms a scenario's `[expect]` uses.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Outcome {
    /// Exit status of the first `run` step's command line; `None` when it
    /// was still running when the run stopped.
    pub client_exit: Option<i32>,
    pub client_ended_at: Option<Duration>,
    /// Exit status of every `run` step's command line, in step order
    /// (`None`: still running when the run stopped).
    pub command_exits: Vec<Option<i32>>,
    /// Bytes the command lines wrote to their stdout and stderr.
    pub stdout_bytes: u64,
    pub stderr_bytes: u64,
    /// The start of what they wrote there ([`super::ClientOutput`]), for
    /// `[expect] stdout` and `stderr`.
    pub stdout_start: Vec<u8>,
    pub stderr_start: Vec<u8>,
    /// The client's teardown events in the order it saw them
    /// ([`super::client_teardown`]), for `[expect] order`.
    pub client_teardown: Vec<super::TeardownEvent>,
    /// The files the scenario's expectations name, as the run left them.
    pub files: Vec<super::FileAtEnd>,
    /// Bytes the remote side wrote that never reached the client.
    pub lost_bytes: u64,
    /// The real lane cannot see bytes lost inside the server: then
    /// `lost_bytes` means nothing and is not checked.
    pub lost_bytes_unmeasured: bool,
    /// Server processes alive when the run stopped, as `name[pid]`, sorted.
    pub survivors: Vec<String>,
    /// When the run stopped (virtual time).
    pub stopped_at: Duration,
    /// Whether the run stopped at the horizon rather than by settling.
    pub hit_horizon: bool,
    /// What was still waiting on what when the run stopped.
    pub waiting: Vec<String>,
    /// The client terminal's screen text at the end, for scenarios that
    /// use a terminal.
    pub screen: Option<String>,
    /// A `wait_for` whose timeout ran out, worded for the report.
    pub timed_out: Option<String>,
}

impl Outcome {
    /// Survivor names without pids, as scenario files list them.
    pub fn survivor_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .survivors
            .iter()
            .map(|s| s.split('[').next().unwrap_or(s).to_string())
            .collect();
        names.sort();
        names
    }
}
