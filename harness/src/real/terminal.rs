//! The user's terminal in the real lane: a real pty (openpty(3)) whose
//! master side the runner holds, and a real interactive bash on its slave
//! side, leading a session of its own with the slave as its controlling
//! terminal (setsid(2), TIOCSCTTY in tty_ioctl(4)), as a terminal emulator
//! starts a shell. Job control is on because bash is interactive on a tty.
//!
//! What the programs write is read on a thread of its own and turned into
//! the same [`Screen`] the sim lane shows, so a scenario's screen patterns
//! mean the same in both lanes.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use nix::pty::{Winsize, openpty};

use crate::run::{Screen, UserTerminal};

/// The size a terminal emulator opens with.
pub const DEFAULT_SIZE: (u16, u16) = (80, 24);

pub struct RealTerminal {
    master: File,
    /// Bytes read from the master since the last refresh.
    unread: Arc<Mutex<Vec<u8>>>,
    screen: Screen,
    shell: Child,
}

fn winsize((cols, rows): (u16, u16)) -> Winsize {
    Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}

impl RealTerminal {
    /// Starts `bash --norc --noprofile -i` on a new pty, with exactly the
    /// environment `env`, in `cwd`.
    pub fn start(env: &[(String, String)], cwd: &Path) -> std::io::Result<RealTerminal> {
        let pty = openpty(&winsize(DEFAULT_SIZE), None).map_err(std::io::Error::from)?;
        let slave: OwnedFd = pty.slave;
        let mut command = Command::new("/bin/bash");
        command
            .args(["--norc", "--noprofile", "-i"])
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .current_dir(cwd)
            .stdin(Stdio::from(slave.try_clone()?))
            .stdout(Stdio::from(slave.try_clone()?))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(|| {
                if nix::libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if nix::libc::ioctl(0, nix::libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let shell = command.spawn()?;
        let master = File::from(pty.master);
        let unread = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone()?;
        let sink = unread.clone();
        std::thread::spawn(move || {
            let mut block = [0u8; 16 * 1024];
            // Ends with EIO once no process holds the slave any more.
            while let Ok(n) = reader.read(&mut block) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&block[..n]);
            }
        });
        Ok(RealTerminal {
            master,
            unread,
            screen: Screen::default(),
            shell,
        })
    }

    /// The shell's pid: also its session and process group id.
    pub fn shell_pid(&self) -> u32 {
        self.shell.id()
    }

    /// Puts what the programs wrote since the last call on the screen;
    /// whether there was anything.
    pub fn refresh(&mut self) -> bool {
        let bytes = std::mem::take(&mut *self.unread.lock().unwrap());
        self.screen.feed(&bytes);
        !bytes.is_empty()
    }

    /// Whether the shell has the terminal (proc(5) `tpgid`, the terminal's
    /// foreground group, is the shell's own): no job runs in front of it.
    pub fn shell_in_front(&self) -> bool {
        let pid = self.shell.id();
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                let rest = stat.rsplit_once(") ")?.1.to_string();
                // state ppid pgrp session tty_nr tpgid
                rest.split(' ').nth(5)?.parse::<u32>().ok()
            })
            == Some(pid)
    }

    /// Kills the shell's process group and reaps it; the caller kills the
    /// rest of the terminal's processes by the run's marker.
    pub fn end(&mut self) {
        super::processes::kill_group(self.shell.id());
        let _ = self.shell.wait();
    }
}

impl UserTerminal for RealTerminal {
    fn type_key(&mut self, key: u8) {
        let _ = self.master.write_all(&[key]);
    }

    fn resize(&mut self, cols: u16, rows: u16) {
        self.screen.set_rows(rows);
        let size = winsize((cols, rows));
        // SAFETY: TIOCSWINSZ reads one winsize from the pointer; the
        // kernel sends SIGWINCH to the slave's foreground group.
        unsafe {
            nix::libc::ioctl(
                self.master.as_raw_fd(),
                nix::libc::TIOCSWINSZ as _,
                &size as *const Winsize,
            );
        }
    }

    fn text(&self) -> String {
        self.screen.text()
    }

    fn ready(&self) -> bool {
        !self.screen.is_blank()
    }
}

impl Drop for RealTerminal {
    fn drop(&mut self) {
        self.end();
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn wait_for(term: &mut RealTerminal, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            term.refresh();
            let text = term.text();
            if text.contains(what) || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn env() -> Vec<(String, String)> {
        vec![
            ("PATH".into(), "/usr/bin:/bin".into()),
            ("PS1".into(), "prompt$ ".into()),
            ("TERM".into(), "vt100".into()),
        ]
    }

    #[test]
    fn typed_keys_reach_an_interactive_bash_and_its_output_the_screen() {
        let mut term = RealTerminal::start(&env(), Path::new("/")).unwrap();
        assert!(wait_for(&mut term, "prompt$").contains("prompt$"));
        for &key in b"echo $((6*7))\r" {
            term.type_key(key);
        }
        let text = wait_for(&mut term, "42");
        assert!(text.contains("echo $((6*7))\n42\nprompt$"), "{text}");
    }

    #[test]
    fn job_control_is_on_and_a_resize_reaches_the_foreground_job() {
        let mut term = RealTerminal::start(&env(), Path::new("/")).unwrap();
        wait_for(&mut term, "prompt$");
        // A background read from the terminal: SIGTTIN stops it, and bash
        // says so before its next prompt.
        term.resize(120, 40);
        for &key in b"cat &\rstty size\r" {
            term.type_key(key);
        }
        let text = wait_for(&mut term, "40 120");
        assert!(text.contains("40 120"), "{text}");
        // bash reports a stop before the prompt that follows it, and the
        // stop may come after the prompt for `stty size` on a busy machine:
        // ask with `jobs` until the stop has been seen.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut text = term.text();
        while !text.contains("Stopped") && Instant::now() < deadline {
            for &key in b"jobs\r" {
                term.type_key(key);
            }
            std::thread::sleep(Duration::from_millis(200));
            term.refresh();
            text = term.text();
        }
        assert!(text.contains("Stopped"), "{text}");
    }
}
