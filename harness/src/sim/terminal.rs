//! The user's terminal on the client host: a pty whose master side the
//! runner holds (typing into it, reading the screen from it) and a login
//! shell on its slave side, as a terminal emulator starts one.

use std::sync::Arc;

use crate::run::{Screen, UserTerminal};
use crate::sim::host::{HostEnv, login_shell};
use crate::sim::unix::{FdTable, INIT_PID, Kernel, OpenFile, Pid, Proc, Program, Signal, Tty};

pub struct Terminal {
    kernel: Kernel,
    tty: Arc<Tty>,
    screen: Screen,
}

impl Terminal {
    pub fn new(kernel: &Kernel) -> Terminal {
        Terminal {
            kernel: kernel.clone(),
            tty: kernel.open_pty(),
            screen: Screen::default(),
        }
    }

    pub fn tty(&self) -> Arc<Tty> {
        self.tty.clone()
    }

    /// One keystroke; the line discipline's signals go to the foreground
    /// group.
    pub fn type_key(&mut self, key: u8) {
        self.note_activity();
        let from = format!("the terminal ({} typed)", caret(key));
        self.kernel.type_into(&self.tty, &[key], &from);
    }

    /// TIOCSWINSZ from the emulator: the foreground group gets SIGWINCH.
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.note_activity();
        self.screen.set_rows(rows);
        if let Some(pgid) = self.tty.set_size((cols, rows)) {
            self.kernel
                .signal_group(pgid, Signal::Winch, "the terminal (resized)");
        }
    }

    /// Reads what the programs wrote since the last call onto the screen.
    pub fn refresh(&mut self) {
        let output = self.tty.take_output();
        if !output.is_empty() {
            // Reading may let a writer blocked on the pty go on.
            self.note_activity();
        }
        self.screen.feed(&output);
    }

    /// The runner touched the pty from outside the hosts: whoever waits on
    /// it acts in the next step, so virtual time must not jump over it.
    fn note_activity(&self) {
        crate::sim::clock::note_activity_at(self.kernel.trace().now());
    }

    pub fn text(&self) -> String {
        self.screen.text()
    }

    /// Whether anything was shown yet (the login shell's first prompt).
    pub fn ready(&self) -> bool {
        !self.screen.is_blank()
    }
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

/// `^C` for 3: how a control key is named.
fn caret(key: u8) -> String {
    match key {
        0..=0x1f => format!("^{}", (key + 0x40) as char),
        0x7f => "^?".into(),
        _ => (key as char).to_string(),
    }
}

/// Starts the login shell on `tty` (on the host's runtime): it leads a
/// new session with the terminal as its controlling terminal.
pub fn start_login_shell(kernel: &Kernel, tty: Arc<Tty>, env: Arc<HostEnv>) -> Pid {
    let mut fds = FdTable::default();
    for fd in 0..3 {
        fds.set(fd, OpenFile::tty(&tty));
    }
    kernel.spawn(INIT_PID, "bash", fds, move |proc: Proc| -> Program {
        let _ = proc.kernel.setsid(proc.pid);
        let _ = proc.kernel.set_controlling_tty(proc.pid, &tty);
        login_shell(env)(proc)
    })
}
