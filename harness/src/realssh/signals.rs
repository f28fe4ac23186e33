//! Signal names on the wire (RFC 4254 6.9 and 6.10: the name without the
//! "SIG" prefix) and the process signals they stand for.

use std::str::FromStr;

use nix::sys::signal::Signal;

/// The wire name of a signal: `TERM` for SIGTERM.
pub fn wire_name(signal: Signal) -> &'static str {
    let name = signal.as_str();
    name.strip_prefix("SIG").unwrap_or(name)
}

/// russh's form of a signal, for exit-signal.
pub fn to_russh(signal: Signal) -> russh::Sig {
    match signal {
        Signal::SIGABRT => russh::Sig::ABRT,
        Signal::SIGALRM => russh::Sig::ALRM,
        Signal::SIGFPE => russh::Sig::FPE,
        Signal::SIGHUP => russh::Sig::HUP,
        Signal::SIGILL => russh::Sig::ILL,
        Signal::SIGINT => russh::Sig::INT,
        Signal::SIGKILL => russh::Sig::KILL,
        Signal::SIGPIPE => russh::Sig::PIPE,
        Signal::SIGQUIT => russh::Sig::QUIT,
        Signal::SIGSEGV => russh::Sig::SEGV,
        Signal::SIGTERM => russh::Sig::TERM,
        Signal::SIGUSR1 => russh::Sig::USR1,
        other => russh::Sig::Custom(wire_name(other).to_string()),
    }
}

/// The wire name of a russh signal.
pub fn russh_name(sig: &russh::Sig) -> String {
    match sig {
        russh::Sig::ABRT => "ABRT".into(),
        russh::Sig::ALRM => "ALRM".into(),
        russh::Sig::FPE => "FPE".into(),
        russh::Sig::HUP => "HUP".into(),
        russh::Sig::ILL => "ILL".into(),
        russh::Sig::INT => "INT".into(),
        russh::Sig::KILL => "KILL".into(),
        russh::Sig::PIPE => "PIPE".into(),
        russh::Sig::QUIT => "QUIT".into(),
        russh::Sig::SEGV => "SEGV".into(),
        russh::Sig::TERM => "TERM".into(),
        russh::Sig::USR1 => "USR1".into(),
        russh::Sig::Custom(name) => name.clone(),
    }
}

/// The process signal a `signal` request names, if it names one.
pub fn from_russh(sig: &russh::Sig) -> Option<Signal> {
    Signal::from_str(&format!("SIG{}", russh_name(sig))).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_russh() {
        for signal in [
            Signal::SIGTERM,
            Signal::SIGHUP,
            Signal::SIGUSR2,
            Signal::SIGWINCH,
        ] {
            assert_eq!(from_russh(&to_russh(signal)), Some(signal));
        }
        assert_eq!(wire_name(Signal::SIGKILL), "KILL");
        assert_eq!(from_russh(&russh::Sig::Custom("NOPE".into())), None);
    }
}
