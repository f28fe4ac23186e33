//! Runs grouped by what came out of them.

use serde_json::json;

use crate::run::Outcome;
use crate::verdict::Verdict;

/// The facts that make two runs "the same outcome". Ordered, so that the
/// groups of an exploration come out in the same order on every machine.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct OutcomeKey {
    pub verdict: &'static str,
    pub client_exit: Option<i32>,
    pub stdout_bytes: u64,
    pub lost_bytes: u64,
    pub survivors: Vec<String>,
    /// Verdict `error`: what went wrong in the harness (a panic's message
    /// and place).
    pub error: Option<String>,
}

impl OutcomeKey {
    pub fn of(outcome: &Outcome, verdict: &Verdict) -> OutcomeKey {
        OutcomeKey {
            verdict: verdict.name(),
            client_exit: outcome.client_exit,
            stdout_bytes: outcome.stdout_bytes,
            lost_bytes: outcome.lost_bytes,
            survivors: outcome.survivor_names(),
            error: None,
        }
    }

    /// A run that produced no outcome: the harness failed.
    pub fn error(message: String) -> OutcomeKey {
        OutcomeKey {
            verdict: "error",
            client_exit: None,
            stdout_bytes: 0,
            lost_bytes: 0,
            survivors: Vec::new(),
            error: Some(message),
        }
    }

    pub fn describe(&self) -> String {
        if let Some(message) = &self.error {
            return format!("{:<7} {message}", self.verdict);
        }
        let exit = self
            .client_exit
            .map_or("none".to_string(), |c| c.to_string());
        format!(
            "{:<7} exit={exit} stdout={} lost={} survivors=[{}]",
            self.verdict,
            self.stdout_bytes,
            self.lost_bytes,
            self.survivors.join(", ")
        )
    }
}

/// All the runs of one outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub key: OutcomeKey,
    pub count: u64,
    /// The lowest seed with this outcome, and the values it drew (as the
    /// reports word them: `Swarm::describe`, which a shard's JSON carries).
    pub first_seed: u64,
    pub first_drawn: String,
    /// For a group that does not pass: its lowest seeds with the values
    /// each drew (at most [`FAILING_SEEDS_SHOWN`]).
    pub failing: Vec<(u64, String)>,
}

/// How many failing seeds a group lists with their drawn values.
pub const FAILING_SEEDS_SHOWN: usize = 10;

impl Group {
    pub fn new(key: OutcomeKey, seed: u64, drawn: String) -> Group {
        let failing = if key.verdict == "pass" {
            Vec::new()
        } else {
            vec![(seed, drawn.clone())]
        };
        Group {
            key,
            count: 1,
            first_seed: seed,
            first_drawn: drawn,
            failing,
        }
    }

    /// Merges another group of the same outcome (another run, or another
    /// shard's group); the lowest seed stays the first.
    pub fn merge(&mut self, other: Group) {
        self.count += other.count;
        if other.first_seed < self.first_seed {
            self.first_seed = other.first_seed;
            self.first_drawn = other.first_drawn;
        }
        self.failing.extend(other.failing);
        self.failing.sort_by_key(|(seed, _)| *seed);
        self.failing.truncate(FAILING_SEEDS_SHOWN);
    }

    pub fn json(&self, replay: &str) -> serde_json::Value {
        json!({
            "count": self.count,
            "first_seed": self.first_seed,
            "replay": replay,
            "swarm": self.first_drawn,
            "verdict": self.key.verdict,
            "client_exit": self.key.client_exit,
            "stdout_bytes": self.key.stdout_bytes,
            "lost_bytes": self.key.lost_bytes,
            "survivors": self.key.survivors,
            "error": self.key.error,
            "failing_seeds": self.failing.iter().map(|(seed, drawn)| json!({"seed": seed, "swarm": drawn})).collect::<Vec<_>>(),
        })
    }
}
