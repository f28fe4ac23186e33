//! The scenario's steps in the order they happen: at their (drawn) times,
//! each only after the one before it is done. `type` types one keystroke
//! per tick into the client terminal; `wait_for` holds every later step
//! back until its condition holds, or ends the run when its timeout runs
//! out.

use std::time::Duration;

use hangar_scenario::{Action, Host, NetFault, Step, WaitCondition, WaitFor, format_duration};
use hangar_shell::ast::Script;
use regex::Regex;

use super::screen::screen_regex;
use crate::trace::{Event, ProcessEvent, Trace, TtyEvent, What};

/// A step the runner applies itself.
pub enum Due<'a> {
    /// A command line: as written, and as the sim's shell parsed it.
    Run {
        line: &'a str,
        script: &'a Script,
    },
    Net(&'a NetFault),
}

/// The client's terminal as the timeline drives it: the sim's emulated
/// pty or, in the real lane, a real one.
pub trait UserTerminal {
    /// One keystroke into the master side.
    fn type_key(&mut self, key: u8);
    /// The emulator's window changes size (TIOCSWINSZ).
    fn resize(&mut self, cols: u16, rows: u16);
    /// The screen as [`super::Screen::text`] gives it.
    fn text(&self) -> String;
    /// Whether anything was shown yet (the shell's first prompt).
    fn ready(&self) -> bool;
}

/// A `wait_for` whose timeout ran out: what it waited for.
pub struct TimedOut(pub String);

pub struct Timeline<'a> {
    steps: Vec<(Duration, &'a Step)>,
    next: usize,
    active: Option<Active<'a>>,
}

enum Active<'a> {
    Typing { keys: &'a [u8], typed: usize },
    Waiting(Waiting),
}

struct Waiting {
    condition: Condition,
    deadline: Duration,
    what: String,
    timeout: Duration,
    /// Trace events already looked at.
    seen: usize,
}

impl<'a> Timeline<'a> {
    /// `times` are the steps' drawn times, in file order.
    pub fn new(times: &[Duration], steps: &'a [Step]) -> Timeline<'a> {
        let mut steps: Vec<(Duration, &Step)> = times.iter().copied().zip(steps).collect();
        // Equal times keep file order (a stable sort).
        steps.sort_by_key(|(at, _)| *at);
        Timeline {
            steps,
            next: 0,
            active: None,
        }
    }

    /// Keystrokes are being typed (one per tick).
    pub fn is_typing(&self) -> bool {
        matches!(self.active, Some(Active::Typing { .. }))
    }

    /// Every step has happened (and the last wait is over).
    pub fn is_done(&self) -> bool {
        self.next == self.steps.len() && self.active.is_none()
    }

    /// When the timeline next acts on its own: now while typing, a wait's
    /// deadline (what it waits for comes only with activity), or the next
    /// step's time; `None` once every step has happened.
    pub fn next_due(&self) -> Option<Duration> {
        match &self.active {
            Some(Active::Typing { .. }) => Some(Duration::ZERO),
            Some(Active::Waiting(waiting)) => Some(waiting.deadline),
            None => self.steps.get(self.next).map(|(at, _)| *at),
        }
    }

    /// What happens at `now`: the `run` and `net` steps to apply, after
    /// typing at most one keystroke and checking the wait in progress.
    pub fn advance(
        &mut self,
        now: Duration,
        terminal: Option<&mut dyn UserTerminal>,
        trace: &Trace,
    ) -> Result<Vec<Due<'a>>, TimedOut> {
        let mut due = Vec::new();
        let mut terminal = terminal;
        let mut typed_this_tick = false;
        loop {
            match &mut self.active {
                Some(Active::Typing { keys, typed }) => {
                    // One key per tick, and none before the shell's first
                    // prompt: a user types once something is on the screen.
                    if typed_this_tick || terminal.as_deref().is_some_and(|t| !t.ready()) {
                        break;
                    }
                    if let Some(term) = terminal.as_deref_mut() {
                        term.type_key(keys[*typed]);
                    }
                    *typed += 1;
                    typed_this_tick = true;
                    if *typed < keys.len() {
                        break;
                    }
                    self.active = None;
                }
                Some(Active::Waiting(waiting)) => {
                    let screen = terminal.as_deref().map(|t| t.text());
                    if waiting.holds(screen.as_deref(), trace) {
                        self.active = None;
                    } else if now >= waiting.deadline {
                        return Err(TimedOut(format!(
                            "waited {} for {}; it did not come",
                            format_duration(waiting.timeout),
                            waiting.what
                        )));
                    } else {
                        break;
                    }
                }
                None => {
                    let Some((at, step)) = self.steps.get(self.next).copied() else {
                        break;
                    };
                    if at > now {
                        break;
                    }
                    self.next += 1;
                    match &step.action {
                        Action::Run { line, script } => due.push(Due::Run { line, script }),
                        Action::Net(fault) => due.push(Due::Net(fault)),
                        Action::Type { keys, text } if !keys.is_empty() => {
                            trace.log(
                                "client terminal",
                                TtyEvent::Typed {
                                    text: text.to_string(),
                                },
                            );
                            self.active = Some(Active::Typing { keys, typed: 0 });
                        }
                        Action::Type { .. } => {}
                        Action::WaitFor(wait) => {
                            self.active = Some(Active::Waiting(waiting(wait, now)))
                        }
                        Action::Resize { cols, rows } => {
                            if let Some(term) = terminal.as_deref_mut() {
                                trace.log(
                                    "client terminal",
                                    TtyEvent::Resized {
                                        cols: *cols,
                                        rows: *rows,
                                    },
                                );
                                term.resize(*cols, *rows);
                            }
                        }
                    }
                }
            }
        }
        Ok(due)
    }
}

/// What a wait looks at.
enum Condition {
    Screen(Regex),
    TraceLine(Regex),
    /// A process of `program` on `host` starts (`started`) or ends.
    Process {
        host: Host,
        program: String,
        started: bool,
    },
}

fn waiting(wait: &WaitFor, now: Duration) -> Waiting {
    // The loader compiled the pattern already; a regex that matches
    // nothing stands in should that ever change.
    let compiled = |p: Option<Regex>| p.unwrap_or_else(|| Regex::new("$^").unwrap());
    let condition = match &wait.condition {
        WaitCondition::Screen(p) => Condition::Screen(compiled(screen_regex(p))),
        WaitCondition::Trace(p) => Condition::TraceLine(compiled(Regex::new(p).ok())),
        WaitCondition::Started { host, program } => Condition::Process {
            host: *host,
            program: program.clone(),
            started: true,
        },
        WaitCondition::Ended { host, program } => Condition::Process {
            host: *host,
            program: program.clone(),
            started: false,
        },
    };
    Waiting {
        condition,
        deadline: now.saturating_add(wait.timeout),
        what: wait.condition.describe(),
        timeout: wait.timeout,
        seen: 0,
    }
}

/// Whether `event` is the start (`started`) or the end of a process of
/// `program` on `host`, as both lanes trace it: a fork or spawn of it
/// (`server sleep[5] started by server sh[4]`) or an exec of it by a
/// process already seen (the real lane's observer seeing a fork before its
/// exec); an exit or a kill in the sim, a process gone from /proc in the
/// real lane.
fn is_process_event(event: &Event, host: Host, program: &str, started: bool) -> bool {
    let What::Process(what) = &event.what else {
        return false;
    };
    let Some((actor_host, name)) = actor_host_and_name(&event.actor) else {
        return false;
    };
    if actor_host != host.to_string() {
        return false;
    }
    match what {
        ProcessEvent::Started { .. } => started && name == program,
        ProcessEvent::Execs { program: p } => started && p == program,
        ProcessEvent::Exited { .. }
        | ProcessEvent::Killed { .. }
        | ProcessEvent::Ended
        | ProcessEvent::Vanished => !started && name == program,
        _ => false,
    }
}

/// `server sleep[5]` -> (`server`, `sleep`): a process actor's host and
/// program name.
fn actor_host_and_name(actor: &str) -> Option<(&str, &str)> {
    let (host, process) = actor.split_once(' ')?;
    let (name, pid) = process.split_once('[')?;
    pid.strip_suffix(']')?
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then_some((host, name))
}

impl Waiting {
    fn holds(&mut self, screen: Option<&str>, trace: &Trace) -> bool {
        if let Condition::Screen(pattern) = &self.condition {
            return screen.is_some_and(|text| pattern.is_match(text));
        }
        let events = trace.events_from(self.seen);
        self.seen += events.len();
        // The last run of data may still grow: look at it again next time.
        // Its sizes seen so far did not match, so only new ones can.
        if let Some(Event {
            what: What::DataRun(_),
            ..
        }) = events.last()
        {
            self.seen -= 1;
        }
        match &self.condition {
            Condition::TraceLine(pattern) => events
                .iter()
                .flat_map(trace_lines)
                .any(|line| pattern.is_match(&line)),
            Condition::Process {
                host,
                program,
                started,
            } => events
                .iter()
                .any(|e| is_process_event(e, *host, program, *started)),
            // Answered from the screen above.
            Condition::Screen(_) => false,
        }
    }
}

/// An event as a trace-condition sees it: the actor and what happened,
/// without the time (`server sshd[3] -> CLOSE`). A run of data messages
/// reads as one line per message (`server sshd[3] data 16384 bytes`),
/// one per distinct size.
pub fn trace_lines(event: &Event) -> Vec<String> {
    let data = |bytes: &u64| format!("{} data {bytes} bytes", event.actor);
    match &event.what {
        What::Data { bytes, .. } => vec![data(bytes)],
        What::DataRun(run) => run.sizes.iter().map(data).collect(),
        what => vec![format!("{} {what}", event.actor)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Dir, Stream};

    fn trace_wait(pattern: &str) -> Waiting {
        Waiting {
            condition: Condition::TraceLine(Regex::new(pattern).unwrap()),
            deadline: Duration::MAX,
            what: pattern.to_string(),
            timeout: Duration::MAX,
            seen: 0,
        }
    }

    fn message(trace: &Trace, bytes: u64) {
        let what = What::Data {
            dir: Dir::ServerToClient,
            stream: Stream::Stdout,
            bytes,
        };
        trace.push("server sshd[3]".into(), what);
    }

    #[test]
    fn a_trace_condition_sees_each_message_of_a_run_that_grows() {
        let trace = Trace::default();
        let mut wait = trace_wait(r"^server sshd\[3\] data 100 bytes$");
        message(&trace, 16_384);
        assert!(!wait.holds(None, &trace));
        // The same run grows by a message of another size.
        message(&trace, 16_384);
        message(&trace, 100);
        assert_eq!(trace.events().len(), 1);
        assert!(wait.holds(None, &trace));
    }

    #[test]
    fn a_trace_condition_never_sees_a_run_total_as_a_message() {
        let trace = Trace::default();
        let mut wait = trace_wait(r"data 200 bytes");
        message(&trace, 100);
        message(&trace, 100);
        assert!(!wait.holds(None, &trace));
    }

    fn process_wait(condition: WaitCondition) -> Waiting {
        waiting(
            &WaitFor {
                condition,
                timeout: Duration::from_secs(1),
            },
            Duration::ZERO,
        )
    }

    fn holds_after(wait: &mut Waiting, events: &[(&str, ProcessEvent)]) -> bool {
        let trace = Trace::default();
        for (actor, event) in events {
            trace.log(*actor, event.clone());
        }
        wait.holds(None, &trace)
    }

    fn started_by(parent: &str) -> ProcessEvent {
        ProcessEvent::Started {
            parent: parent.into(),
        }
    }

    #[rstest::rstest]
    #[case::sim_spawn("server sleep[5]", started_by("server sh[4]"), true)]
    #[case::real_fork_seen_after_exec("server sleep[4242]", started_by("server sshd"), true)]
    #[case::real_exec_of_a_seen_fork(
        "server bash[4242]",
        ProcessEvent::Execs { program: "sleep".into() },
        true
    )]
    #[case::the_connections_sshd("server sshd[3]", started_by("server sshd[1]"), false)]
    #[case::another_host("client sleep[5]", started_by("client sh[4]"), false)]
    #[case::a_longer_name("server sleeper[5]", started_by("server sh[4]"), false)]
    #[case::an_exit("server sleep[5]", ProcessEvent::Exited { code: 0 }, false)]
    fn a_started_wait_names_the_program_in_both_lanes(
        #[case] actor: &str,
        #[case] event: ProcessEvent,
        #[case] holds: bool,
    ) {
        let mut wait = process_wait(WaitCondition::Started {
            host: Host::Server,
            program: "sleep".into(),
        });
        assert_eq!(
            holds_after(&mut wait, &[(actor, event.clone())]),
            holds,
            "{actor} {event}"
        );
    }

    #[rstest::rstest]
    #[case::sim_exit("server sleep[5]", ProcessEvent::Exited { code: 0 }, true)]
    #[case::sim_signal(
        "server sleep[5]",
        ProcessEvent::Killed { signal: "SIGHUP".into() },
        true
    )]
    #[case::real_gone("server sleep[4242]", ProcessEvent::Ended, true)]
    #[case::real_vanished("server sleep[4242]", ProcessEvent::Vanished, true)]
    #[case::a_start("server sleep[5]", started_by("server sh[4]"), false)]
    #[case::another_program("server sh[4]", ProcessEvent::Exited { code: 0 }, false)]
    #[case::a_stop("server sleep[5]", ProcessEvent::SeenStopped, false)]
    fn an_ended_wait_sees_an_exit_or_a_kill(
        #[case] actor: &str,
        #[case] event: ProcessEvent,
        #[case] holds: bool,
    ) {
        let mut wait = process_wait(WaitCondition::Ended {
            host: Host::Server,
            program: "sleep".into(),
        });
        assert_eq!(
            holds_after(&mut wait, &[(actor, event.clone())]),
            holds,
            "{actor} {event}"
        );
    }

    #[test]
    fn a_process_actor_splits_into_host_and_name() {
        assert_eq!(
            actor_host_and_name("server sleep[5]"),
            Some(("server", "sleep"))
        );
        assert_eq!(actor_host_and_name("server sshd"), None);
        assert_eq!(actor_host_and_name("net"), None);
        assert_eq!(actor_host_and_name("client ssh[x]"), None);
    }
}
