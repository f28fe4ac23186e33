//! Encoded terminal modes (RFC 4254 section 8): the client describes its
//! terminal in `pty-req`, the server sets the new pty up the same way
//! (OpenSSH ttymodes.c, tty_make_modes and tty_parse_modes).

use nix::libc;
use nix::sys::termios::{
    ControlFlags, InputFlags, LocalFlags, OutputFlags, SpecialCharacterIndices, Termios,
};
use russh::Pty;

use SpecialCharacterIndices as Cc;

/// Control characters (RFC 4254 opcodes 1 to 18 that Linux has).
const CHARS: [(Pty, Cc); 13] = [
    (Pty::VINTR, Cc::VINTR),
    (Pty::VQUIT, Cc::VQUIT),
    (Pty::VERASE, Cc::VERASE),
    (Pty::VKILL, Cc::VKILL),
    (Pty::VEOF, Cc::VEOF),
    (Pty::VEOL, Cc::VEOL),
    (Pty::VEOL2, Cc::VEOL2),
    (Pty::VSTART, Cc::VSTART),
    (Pty::VSTOP, Cc::VSTOP),
    (Pty::VSUSP, Cc::VSUSP),
    (Pty::VREPRINT, Cc::VREPRINT),
    (Pty::VWERASE, Cc::VWERASE),
    (Pty::VLNEXT, Cc::VLNEXT),
];

const INPUT: [(Pty, InputFlags); 11] = [
    (Pty::IGNPAR, InputFlags::IGNPAR),
    (Pty::PARMRK, InputFlags::PARMRK),
    (Pty::INPCK, InputFlags::INPCK),
    (Pty::ISTRIP, InputFlags::ISTRIP),
    (Pty::INLCR, InputFlags::INLCR),
    (Pty::IGNCR, InputFlags::IGNCR),
    (Pty::ICRNL, InputFlags::ICRNL),
    (Pty::IXON, InputFlags::IXON),
    (Pty::IXANY, InputFlags::IXANY),
    (Pty::IXOFF, InputFlags::IXOFF),
    (Pty::IMAXBEL, InputFlags::IMAXBEL),
];

const LOCAL: [(Pty, LocalFlags); 12] = [
    (Pty::ISIG, LocalFlags::ISIG),
    (Pty::ICANON, LocalFlags::ICANON),
    (Pty::ECHO, LocalFlags::ECHO),
    (Pty::ECHOE, LocalFlags::ECHOE),
    (Pty::ECHOK, LocalFlags::ECHOK),
    (Pty::ECHONL, LocalFlags::ECHONL),
    (Pty::NOFLSH, LocalFlags::NOFLSH),
    (Pty::TOSTOP, LocalFlags::TOSTOP),
    (Pty::IEXTEN, LocalFlags::IEXTEN),
    (Pty::ECHOCTL, LocalFlags::ECHOCTL),
    (Pty::ECHOKE, LocalFlags::ECHOKE),
    (Pty::PENDIN, LocalFlags::PENDIN),
];

const OUTPUT: [(Pty, OutputFlags); 5] = [
    (Pty::OPOST, OutputFlags::OPOST),
    (Pty::ONLCR, OutputFlags::ONLCR),
    (Pty::OCRNL, OutputFlags::OCRNL),
    (Pty::ONOCR, OutputFlags::ONOCR),
    (Pty::ONLRET, OutputFlags::ONLRET),
];

const CONTROL: [(Pty, ControlFlags); 4] = [
    (Pty::CS7, ControlFlags::CS7),
    (Pty::CS8, ControlFlags::CS8),
    (Pty::PARENB, ControlFlags::PARENB),
    (Pty::PARODD, ControlFlags::PARODD),
];

/// The modes of a local terminal, as `pty-req` carries them.
pub fn encode(termios: &Termios) -> Vec<(Pty, u32)> {
    let mut modes = Vec::new();
    for (op, index) in CHARS {
        modes.push((op, termios.control_chars[index as usize] as u32));
    }
    for (op, flag) in INPUT {
        modes.push((op, termios.input_flags.contains(flag) as u32));
    }
    for (op, flag) in LOCAL {
        modes.push((op, termios.local_flags.contains(flag) as u32));
    }
    for (op, flag) in OUTPUT {
        modes.push((op, termios.output_flags.contains(flag) as u32));
    }
    for (op, flag) in CONTROL {
        modes.push((op, termios.control_flags.contains(flag) as u32));
    }
    modes
}

/// Applies the modes of a `pty-req` to a new pty's settings; modes this
/// table does not know are ignored, as RFC 4254 section 8 allows.
pub fn apply(termios: &mut Termios, modes: &[(Pty, u32)]) {
    for &(op, value) in modes {
        if let Some((_, index)) = CHARS.iter().find(|(o, _)| *o == op) {
            // 255 means "disabled" on the wire; Linux uses _POSIX_VDISABLE (0).
            let value = if value == 255 { 0 } else { value };
            termios.control_chars[*index as usize] = value as libc::cc_t;
        } else if let Some((_, flag)) = INPUT.iter().find(|(o, _)| *o == op) {
            termios.input_flags.set(*flag, value != 0);
        } else if let Some((_, flag)) = LOCAL.iter().find(|(o, _)| *o == op) {
            termios.local_flags.set(*flag, value != 0);
        } else if let Some((_, flag)) = OUTPUT.iter().find(|(o, _)| *o == op) {
            termios.output_flags.set(*flag, value != 0);
        } else if let Some((_, flag)) = CONTROL.iter().find(|(o, _)| *o == op) {
            termios.control_flags.set(*flag, value != 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use nix::sys::termios::tcgetattr;

    use super::*;

    #[test]
    fn modes_survive_the_trip_through_pty_req() {
        let pty = nix::pty::openpty(None, None).unwrap();
        let fresh = tcgetattr(&pty.slave).unwrap();
        let mut local = fresh.clone();
        local
            .local_flags
            .remove(LocalFlags::ECHO | LocalFlags::ICANON);
        local.input_flags.insert(InputFlags::IXOFF);
        local.output_flags.remove(OutputFlags::ONLCR);
        local.control_chars[Cc::VINTR as usize] = 7;
        let mut remote = fresh.clone();
        apply(&mut remote, &encode(&local));
        assert_eq!(remote.local_flags, local.local_flags);
        assert_eq!(remote.input_flags, local.input_flags);
        assert_eq!(remote.output_flags, local.output_flags);
        assert_eq!(remote.control_chars, local.control_chars);
    }

    #[test]
    fn a_disabled_character_is_posix_vdisable() {
        let pty = nix::pty::openpty(None, None).unwrap();
        let mut termios = tcgetattr(&pty.slave).unwrap();
        apply(&mut termios, &[(Pty::VQUIT, 255)]);
        assert_eq!(termios.control_chars[Cc::VQUIT as usize], 0);
    }
}
