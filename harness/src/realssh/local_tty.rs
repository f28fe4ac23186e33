//! hangar-ssh's local terminal: its size and modes for `pty-req`, and raw
//! mode for the session (OpenSSH sshtty.c enter_raw_mode and
//! leave_raw_mode).

use std::io::IsTerminal;

use nix::sys::termios::{
    InputFlags, LocalFlags, OutputFlags, SetArg, SpecialCharacterIndices, Termios, tcgetattr,
    tcsetattr,
};
use russh::Pty;

use super::{modes, tty};

/// ssh(1)'s size when stdin is not a terminal, or does not say.
const DEFAULT_SIZE: (u16, u16) = (80, 24);

pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// The local terminal's size as (columns, rows).
pub fn size() -> (u16, u16) {
    tty::window_size(std::io::stdin()).unwrap_or(DEFAULT_SIZE)
}

/// The local terminal's modes, encoded for `pty-req` (none when stdin is
/// not a terminal: the server's defaults apply).
pub fn encoded_modes() -> Vec<(Pty, u32)> {
    tcgetattr(std::io::stdin())
        .map(|t| modes::encode(&t))
        .unwrap_or_default()
}

/// The terminal in raw mode; restored when dropped.
pub struct RawMode {
    saved: Termios,
    raw: Termios,
}

impl RawMode {
    /// sshtty.c enter_raw_mode: no signals, no line editing, no echo, no
    /// output processing; bytes pass one at a time.
    pub fn enter() -> Option<RawMode> {
        let stdin = std::io::stdin();
        let saved = tcgetattr(&stdin).ok()?;
        let mut raw = saved.clone();
        raw.input_flags.insert(InputFlags::IGNPAR);
        raw.input_flags.remove(
            InputFlags::ISTRIP
                | InputFlags::INLCR
                | InputFlags::IGNCR
                | InputFlags::ICRNL
                | InputFlags::IXON
                | InputFlags::IXANY
                | InputFlags::IXOFF,
        );
        raw.local_flags.remove(
            LocalFlags::ISIG
                | LocalFlags::ICANON
                | LocalFlags::ECHO
                | LocalFlags::ECHOE
                | LocalFlags::ECHOK
                | LocalFlags::ECHONL
                | LocalFlags::IEXTEN,
        );
        raw.output_flags.remove(OutputFlags::OPOST);
        raw.control_chars[SpecialCharacterIndices::VMIN as usize] = 1;
        raw.control_chars[SpecialCharacterIndices::VTIME as usize] = 0;
        tcsetattr(&stdin, SetArg::TCSADRAIN, &raw).ok()?;
        Some(RawMode { saved, raw })
    }

    /// Back to the settings from before, for a while (`~^Z`) or for good.
    pub fn leave(&self) {
        let _ = tcsetattr(std::io::stdin(), SetArg::TCSADRAIN, &self.saved);
    }

    /// Raw again after [`RawMode::leave`].
    pub fn resume(&self) {
        let _ = tcsetattr(std::io::stdin(), SetArg::TCSADRAIN, &self.raw);
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        self.leave();
    }
}
