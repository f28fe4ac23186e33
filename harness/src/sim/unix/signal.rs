//! Signals of the simulated hosts: numbers, names and default actions as
//! signal(7) gives them for Linux x86-64.

use std::fmt;

/// The signals hangar's hosts model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    Hup,
    Int,
    Quit,
    Kill,
    Pipe,
    Alrm,
    Term,
    Chld,
    Cont,
    Stop,
    Tstp,
    Ttin,
    Ttou,
    Winch,
}

/// What the kernel does with a signal the process neither ignores nor
/// catches. signal(7) "Standard signals".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    /// Terminate and dump core (SIGQUIT); a simulated host writes no core.
    Core,
    Ignore,
    Stop,
    Continue,
}

/// How a process has arranged to handle a signal. sigaction(2).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Disposition {
    #[default]
    Default,
    Ignore,
    /// Caught by a shell `trap`: the string is the trap's command text.
    Trap(String),
}

impl Signal {
    pub const ALL: [Signal; 14] = [
        Signal::Hup,
        Signal::Int,
        Signal::Quit,
        Signal::Kill,
        Signal::Pipe,
        Signal::Alrm,
        Signal::Term,
        Signal::Chld,
        Signal::Cont,
        Signal::Stop,
        Signal::Tstp,
        Signal::Ttin,
        Signal::Ttou,
        Signal::Winch,
    ];

    /// Linux x86-64 signal number (signal(7)).
    pub fn number(self) -> i32 {
        match self {
            Signal::Hup => 1,
            Signal::Int => 2,
            Signal::Quit => 3,
            Signal::Kill => 9,
            Signal::Pipe => 13,
            Signal::Alrm => 14,
            Signal::Term => 15,
            Signal::Chld => 17,
            Signal::Cont => 18,
            Signal::Stop => 19,
            Signal::Tstp => 20,
            Signal::Ttin => 21,
            Signal::Ttou => 22,
            Signal::Winch => 28,
        }
    }

    /// Name without the `SIG` prefix, as RFC 4254 6.10 exit-signal carries it.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Hup => "HUP",
            Signal::Int => "INT",
            Signal::Quit => "QUIT",
            Signal::Kill => "KILL",
            Signal::Pipe => "PIPE",
            Signal::Alrm => "ALRM",
            Signal::Term => "TERM",
            Signal::Chld => "CHLD",
            Signal::Cont => "CONT",
            Signal::Stop => "STOP",
            Signal::Tstp => "TSTP",
            Signal::Ttin => "TTIN",
            Signal::Ttou => "TTOU",
            Signal::Winch => "WINCH",
        }
    }

    pub fn from_number(n: i32) -> Option<Signal> {
        Signal::ALL.into_iter().find(|s| s.number() == n)
    }

    /// Accepts `TERM`, `SIGTERM`, `term` and `15`, as kill(1) and trap do.
    pub fn parse(text: &str) -> Option<Signal> {
        if let Ok(n) = text.parse::<i32>() {
            return Signal::from_number(n);
        }
        let upper = text.to_ascii_uppercase();
        let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
        Signal::ALL.into_iter().find(|s| s.name() == bare)
    }

    /// signal(7): the action taken when the disposition is the default.
    pub fn default_action(self) -> DefaultAction {
        match self {
            Signal::Hup
            | Signal::Int
            | Signal::Kill
            | Signal::Pipe
            | Signal::Alrm
            | Signal::Term => DefaultAction::Terminate,
            Signal::Quit => DefaultAction::Core,
            Signal::Chld | Signal::Winch => DefaultAction::Ignore,
            Signal::Cont => DefaultAction::Continue,
            Signal::Stop | Signal::Tstp | Signal::Ttin | Signal::Ttou => DefaultAction::Stop,
        }
    }

    /// signal(7): "The signals SIGKILL and SIGSTOP cannot be caught, blocked,
    /// or ignored."
    pub fn can_be_handled(self) -> bool {
        !matches!(self, Signal::Kill | Signal::Stop)
    }
}

impl Signal {
    /// strsignal(3), glibc's wording, as shells print a job a signal ended.
    pub fn description(self) -> &'static str {
        match self {
            Signal::Hup => "Hangup",
            Signal::Int => "Interrupt",
            Signal::Quit => "Quit",
            Signal::Kill => "Killed",
            Signal::Pipe => "Broken pipe",
            Signal::Alrm => "Alarm clock",
            Signal::Term => "Terminated",
            Signal::Chld => "Child exited",
            Signal::Cont => "Continued",
            Signal::Stop => "Stopped (signal)",
            Signal::Tstp => "Stopped",
            Signal::Ttin => "Stopped (tty input)",
            Signal::Ttou => "Stopped (tty output)",
            Signal::Winch => "Window changed",
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIG{}", self.name())
    }
}

/// How a process ended, as wait(2) reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitStatus {
    Exited(i32),
    Signaled(Signal),
}

impl WaitStatus {
    /// The shell's `$?`: the exit code, or 128 + the signal number for a
    /// process killed by a signal. XCU 2.8.2 "Exit Status for Commands".
    pub fn shell_status(self) -> i32 {
        match self {
            WaitStatus::Exited(code) => code,
            WaitStatus::Signaled(sig) => 128 + sig.number(),
        }
    }
}

impl fmt::Display for WaitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitStatus::Exited(code) => write!(f, "exit {code}"),
            WaitStatus::Signaled(sig) => write!(f, "killed by {sig}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_numbers_and_sig_prefix() {
        assert_eq!(Signal::parse("TERM"), Some(Signal::Term));
        assert_eq!(Signal::parse("sigterm"), Some(Signal::Term));
        assert_eq!(Signal::parse("9"), Some(Signal::Kill));
        assert_eq!(Signal::parse("WINCH"), Some(Signal::Winch));
        assert_eq!(Signal::parse("USR1"), None);
    }

    #[test]
    fn default_actions_follow_signal_7() {
        assert_eq!(Signal::Hup.default_action(), DefaultAction::Terminate);
        assert_eq!(Signal::Chld.default_action(), DefaultAction::Ignore);
        assert_eq!(Signal::Ttin.default_action(), DefaultAction::Stop);
        assert!(!Signal::Kill.can_be_handled());
    }

    #[test]
    fn shell_status_of_a_signaled_process_is_128_plus_n() {
        assert_eq!(WaitStatus::Signaled(Signal::Term).shell_status(), 143);
        assert_eq!(WaitStatus::Exited(7).shell_status(), 7);
    }
}
