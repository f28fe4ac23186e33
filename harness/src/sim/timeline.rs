//! The scenario's steps in the order they happen: at their (drawn) times,
//! each only after the one before it is done. `type` types one keystroke
//! per tick into the client terminal; `wait_for` holds every later step
//! back until its condition holds, or ends the run when its timeout runs
//! out.

use std::time::Duration;

use hangar_scenario::{Action, NetFault, Step, WaitCondition, WaitFor, format_duration};
use hangar_shell::ast::Script;
use regex::Regex;

use super::screen::screen_regex;
use super::terminal::Terminal;
use crate::trace::{Event, Trace, TtyEvent, What};

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
/// pty ([`Terminal`]) or, in the real lane, a real one.
pub trait UserTerminal {
    /// One keystroke into the master side.
    fn type_key(&mut self, key: u8);
    /// The emulator's window changes size (TIOCSWINSZ).
    fn resize(&mut self, cols: u16, rows: u16);
    /// The screen as [`super::screen::Screen::text`] gives it.
    fn text(&self) -> String;
    /// Whether anything was shown yet (the shell's first prompt).
    fn ready(&self) -> bool;
}

impl UserTerminal for Terminal {
    fn type_key(&mut self, key: u8) {
        Terminal::type_key(self, key)
    }
    fn resize(&mut self, cols: u16, rows: u16) {
        Terminal::resize(self, cols, rows)
    }
    fn text(&self) -> String {
        Terminal::text(self)
    }
    fn ready(&self) -> bool {
        Terminal::ready(self)
    }
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
    pattern: Regex,
    on_screen: bool,
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

fn waiting(wait: &WaitFor, now: Duration) -> Waiting {
    // The loader compiled the pattern already; a regex that matches
    // nothing stands in should that ever change.
    let (pattern, on_screen) = match &wait.condition {
        WaitCondition::Screen(p) => (screen_regex(p), true),
        WaitCondition::Trace(p) => (Regex::new(p).ok(), false),
    };
    Waiting {
        pattern: pattern.unwrap_or_else(|| Regex::new("$^").unwrap()),
        on_screen,
        deadline: now.saturating_add(wait.timeout),
        what: wait.condition.describe(),
        timeout: wait.timeout,
        seen: 0,
    }
}

impl Waiting {
    fn holds(&mut self, screen: Option<&str>, trace: &Trace) -> bool {
        if self.on_screen {
            return screen.is_some_and(|text| self.pattern.is_match(text));
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
        events
            .iter()
            .flat_map(trace_lines)
            .any(|line| self.pattern.is_match(&line))
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
            pattern: Regex::new(pattern).unwrap(),
            on_screen: false,
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
}
