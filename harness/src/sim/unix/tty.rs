//! Terminals: one pseudoterminal pair (pty(7)) with the line discipline of
//! termios(3). The master side is what a terminal emulator or sshd holds;
//! the slave side is what the processes of a session read and write.
//!
//! Rules, with the page each follows:
//!
//! - termios(3) "Canonical and noncanonical mode": with ICANON, input is
//!   made available line by line; ERASE (`^?`, `^H`) and KILL (`^U`) edit
//!   the line; EOF (`^D`) hands over the line without a newline, so at the
//!   start of a line it makes read(2) return 0. Without ICANON every byte
//!   is available at once (cfmakeraw: no ICANON, ECHO, ISIG, ICRNL, OPOST).
//! - termios(3) ISIG: INTR (`^C`) sends SIGINT, QUIT (`^\`) SIGQUIT and
//!   SUSP (`^Z`) SIGTSTP to the foreground process group, and the input
//!   queues are flushed (NOFLSH unset).
//! - termios(3) ECHO, ECHOCTL: typed characters are echoed, control
//!   characters as `^X`; ECHOE erases with `\b \b`.
//! - termios(3) ICRNL turns CR into NL on input; OPOST with ONLCR turns NL
//!   into CR NL on output.
//! - credentials(7), tcsetpgrp(3): a terminal belongs to at most one
//!   session and has one foreground process group. The job-control checks
//!   on reads and writes of a background group (SIGTTIN, SIGTTOU with
//!   TOSTOP) need the caller's process group: they live in the kernel
//!   (`Proc::read`, `Proc::write`).
//! - Hangup (pty(7): closing the master): the slave reads end-of-file and
//!   writes fail with EIO from then on; the kernel signals the session.
//! - Output waits for the master side to read it in a buffer of
//!   [`OUTPUT_CAPACITY`] bytes; a writer blocks while it is full (Linux:
//!   pty_write_room is the room left in the master's flip buffers, at most
//!   TTYB_DEFAULT_MEM_LIMIT = 64 KiB, drivers/tty/tty_buffer.c, and
//!   n_tty_write sleeps until there is room). Echo of typed input is not
//!   held back: it is bounded by what is typed.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::Notify;

use super::kernel::Pid;
use super::signal::Signal;

/// Bytes of output the master side has not read yet before a writer on
/// the slave side blocks (TTYB_DEFAULT_MEM_LIMIT).
pub const OUTPUT_CAPACITY: usize = 64 * 1024;

/// The control characters of a stock Linux terminal (stty -a).
const INTR: u8 = 0x03;
const QUIT: u8 = 0x1c;
const SUSP: u8 = 0x1a;
const EOF: u8 = 0x04;
const ERASE: u8 = 0x7f;
const BACKSPACE: u8 = 0x08;
const KILL: u8 = 0x15;

/// The termios(3) flags the model acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Termios {
    pub icanon: bool,
    pub echo: bool,
    pub isig: bool,
    pub icrnl: bool,
    /// OPOST with ONLCR.
    pub onlcr: bool,
    pub tostop: bool,
}

impl Termios {
    /// What `stty sane` sets, and what a new pty starts with.
    pub fn sane() -> Termios {
        Termios {
            icanon: true,
            echo: true,
            isig: true,
            icrnl: true,
            onlcr: true,
            tostop: false,
        }
    }

    /// cfmakeraw(3): what ssh(1) sets on its local terminal for a pty session.
    pub fn raw(self) -> Termios {
        Termios {
            icanon: false,
            echo: false,
            isig: false,
            icrnl: false,
            onlcr: false,
            ..self
        }
    }
}

/// What a non-blocking read of the slave side finds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SlaveRead {
    Data(Vec<u8>),
    /// EAGAIN: nothing to read yet.
    Empty,
    /// read(2) returns 0: `^D` at the start of a line, or a hangup.
    Eof,
}

pub struct Tty {
    /// Host-unique number: the tty is `pts/<id>` in traces.
    pub id: u32,
    state: Mutex<TtyState>,
    /// Woken when the slave side has something to read or the tty hangs up.
    input_ready: Notify,
    /// Woken when the master side has output to read or the tty hangs up.
    output_ready: Notify,
    /// Woken when the master side took output (room for writers) or the
    /// tty hangs up.
    output_room: Notify,
}

struct TtyState {
    termios: Termios,
    /// What the slave can read. In canonical mode one entry is one line
    /// (an empty entry is an end-of-file mark); in raw mode entries merge.
    input: VecDeque<Vec<u8>>,
    /// The line being edited (canonical mode).
    line: Vec<u8>,
    /// What the master can read.
    output: Vec<u8>,
    /// Blocked readers in the order they started waiting: input goes to
    /// the one that waited longest, so two readers take turns.
    readers: VecDeque<u64>,
    next_reader: u64,
    session: Option<Pid>,
    foreground: Option<Pid>,
    hung_up: bool,
    /// Columns and rows (TIOCSWINSZ).
    size: (u16, u16),
}

impl Tty {
    pub fn new(id: u32) -> Tty {
        Tty {
            id,
            state: Mutex::new(TtyState {
                termios: Termios::sane(),
                input: VecDeque::new(),
                line: Vec::new(),
                output: Vec::new(),
                readers: VecDeque::new(),
                next_reader: 0,
                session: None,
                foreground: None,
                hung_up: false,
                size: (80, 24),
            }),
            input_ready: Notify::new(),
            output_ready: Notify::new(),
            output_room: Notify::new(),
        }
    }

    pub fn name(&self) -> String {
        format!("pts/{}", self.id)
    }

    pub fn termios(&self) -> Termios {
        self.state.lock().unwrap().termios
    }

    /// tcsetattr(3) with TCSANOW. Leaving canonical mode hands the line
    /// being edited to the reader, as Linux's n_tty does.
    pub fn set_termios(&self, termios: Termios) {
        let mut st = self.state.lock().unwrap();
        if st.termios.icanon && !termios.icanon && !st.line.is_empty() {
            let line = std::mem::take(&mut st.line);
            st.input.push_back(line);
        }
        st.termios = termios;
        drop(st);
        self.input_ready.notify_waiters();
    }

    /// The session this is the controlling terminal of (credentials(7)).
    pub fn session(&self) -> Option<Pid> {
        self.state.lock().unwrap().session
    }

    pub fn set_session(&self, session: Option<Pid>) {
        self.state.lock().unwrap().session = session;
    }

    /// tcgetpgrp(3).
    pub fn foreground(&self) -> Option<Pid> {
        self.state.lock().unwrap().foreground
    }

    /// tcsetpgrp(3); the caller has checked that it may.
    pub fn set_foreground(&self, pgid: Option<Pid>) {
        self.state.lock().unwrap().foreground = pgid;
    }

    pub fn size(&self) -> (u16, u16) {
        self.state.lock().unwrap().size
    }

    /// TIOCSWINSZ: returns the foreground group to send SIGWINCH to when
    /// the size changed (tty_ioctl(4)).
    pub fn set_size(&self, size: (u16, u16)) -> Option<Pid> {
        let mut st = self.state.lock().unwrap();
        if st.size == size {
            return None;
        }
        st.size = size;
        st.foreground
    }

    pub fn is_hung_up(&self) -> bool {
        self.state.lock().unwrap().hung_up
    }

    /// The master side closes: from now on the slave reads end-of-file and
    /// its writes fail. Returns the session and the foreground group it
    /// had, for the kernel to signal (pty(7)); `None` if already hung up.
    pub fn hang_up(&self) -> Option<(Option<Pid>, Option<Pid>)> {
        let mut st = self.state.lock().unwrap();
        if st.hung_up {
            return None;
        }
        st.hung_up = true;
        let who = (st.session, st.foreground);
        st.session = None;
        st.foreground = None;
        drop(st);
        self.input_ready.notify_waiters();
        self.output_ready.notify_waiters();
        self.output_room.notify_waiters();
        Some(who)
    }

    /// Bytes typed at the master side, through the line discipline.
    /// Returns the signals ISIG generated, with the group each goes to.
    pub fn type_bytes(&self, bytes: &[u8]) -> Vec<(Pid, Signal)> {
        let mut signals = Vec::new();
        {
            let mut st = self.state.lock().unwrap();
            if st.hung_up {
                return signals;
            }
            for &byte in bytes {
                if let Some(sig) = st.receive(byte) {
                    signals.extend(st.foreground.map(|pgid| (pgid, sig)));
                }
            }
        }
        self.input_ready.notify_waiters();
        self.output_ready.notify_waiters();
        signals
    }

    /// Whether input waits to be read (a whole line, in canonical mode).
    pub fn has_input(&self) -> bool {
        !self.state.lock().unwrap().input.is_empty()
    }

    /// A non-blocking read(2) of at most `max` bytes from the slave side.
    pub fn try_read(&self, max: usize) -> SlaveRead {
        let mut st = self.state.lock().unwrap();
        let canonical = st.termios.icanon;
        let Some(front) = st.input.front_mut() else {
            return if st.hung_up {
                SlaveRead::Eof
            } else {
                SlaveRead::Empty
            };
        };
        if front.is_empty() {
            st.input.pop_front();
            return SlaveRead::Eof;
        }
        let mut out = Vec::new();
        while out.len() < max {
            let Some(front) = st.input.front_mut() else {
                break;
            };
            if front.is_empty() {
                break;
            }
            let take = (max - out.len()).min(front.len());
            out.extend(front.drain(..take));
            if front.is_empty() {
                st.input.pop_front();
            }
            // Canonical mode: one read returns at most one line.
            if canonical {
                break;
            }
        }
        SlaveRead::Data(out)
    }

    /// A blocking read(2) of the slave side: waits in line behind readers
    /// that were already waiting (who gets a line is up to the scheduler on
    /// Linux; here the longest waiter does, which splits input between two
    /// readers as seed 001 describes).
    pub async fn read(&self, max: usize) -> SlaveRead {
        match self.try_read_if_alone(max) {
            SlaveRead::Empty => {}
            done => return done,
        }
        let turn = Turn::new(self);
        loop {
            let notified = self.input_ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let st = self.state.lock().unwrap();
                let first = st.readers.front() == Some(&turn.id);
                let ready = st.hung_up || (first && !st.input.is_empty());
                drop(st);
                if ready {
                    return self.try_read(max);
                }
            }
            notified.await;
        }
    }

    /// A read that does not queue: only when nobody waits before us.
    fn try_read_if_alone(&self, max: usize) -> SlaveRead {
        if self.state.lock().unwrap().readers.is_empty() {
            self.try_read(max)
        } else {
            SlaveRead::Empty
        }
    }

    /// select(2) for reading: resolves at once when there is input (or a
    /// hangup), else when input arrives. Like Linux's poll, it reports the
    /// arrival even if another reader takes the input first: the caller's
    /// read then meets the terminal access checks (seed 001: the background
    /// ssh is stopped when Enter is pressed, whoever reads the line).
    pub async fn readable(&self) {
        let notified = self.input_ready.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let st = self.state.lock().unwrap();
            if !st.input.is_empty() || st.hung_up {
                return;
            }
        }
        notified.await;
    }

    /// write(2) on the slave side, blocking while the output buffer is
    /// full; `false` is EIO after a hangup.
    pub async fn write(&self, mut data: &[u8]) -> bool {
        while !data.is_empty() {
            let room = self.output_room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            match self.try_write(data) {
                None => return false,
                Some(0) => room.await,
                Some(n) => data = &data[n..],
            }
        }
        true
    }

    /// The part of a write that fits in the output buffer now: how many
    /// bytes of `data` were taken (`None` is EIO after a hangup).
    pub fn try_write(&self, data: &[u8]) -> Option<usize> {
        let taken = {
            let mut st = self.state.lock().unwrap();
            if st.hung_up {
                return None;
            }
            let n = OUTPUT_CAPACITY
                .saturating_sub(st.output.len())
                .min(data.len());
            st.put_output(&data[..n]);
            n
        };
        if taken > 0 {
            self.output_ready.notify_waiters();
        }
        Some(taken)
    }

    /// What the master side can read now, without waiting.
    pub fn take_output(&self) -> Vec<u8> {
        let output = std::mem::take(&mut self.state.lock().unwrap().output);
        self.output_room.notify_waiters();
        output
    }

    /// Reads the master side: waits for output; empty after a hangup with
    /// nothing left.
    pub async fn read_output(&self) -> Vec<u8> {
        loop {
            let notified = self.output_ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut st = self.state.lock().unwrap();
                if !st.output.is_empty() || st.hung_up {
                    let output = std::mem::take(&mut st.output);
                    drop(st);
                    self.output_room.notify_waiters();
                    return output;
                }
            }
            notified.await;
        }
    }
}

/// A reader's place in the line of blocked readers; leaving it (done or
/// interrupted) lets the next one move up.
struct Turn<'a> {
    tty: &'a Tty,
    id: u64,
}

impl<'a> Turn<'a> {
    fn new(tty: &'a Tty) -> Turn<'a> {
        let mut st = tty.state.lock().unwrap();
        let id = st.next_reader;
        st.next_reader += 1;
        st.readers.push_back(id);
        Turn { tty, id }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.tty
            .state
            .lock()
            .unwrap()
            .readers
            .retain(|r| *r != self.id);
        self.tty.input_ready.notify_waiters();
    }
}

impl TtyState {
    /// One input byte through the line discipline; a signal to raise.
    fn receive(&mut self, byte: u8) -> Option<Signal> {
        let t = self.termios;
        let byte = if t.icrnl && byte == b'\r' {
            b'\n'
        } else {
            byte
        };
        if t.isig {
            let sig = match byte {
                INTR => Some(Signal::Int),
                QUIT => Some(Signal::Quit),
                SUSP => Some(Signal::Tstp),
                _ => None,
            };
            if let Some(sig) = sig {
                // NOFLSH unset: the queues are flushed.
                self.input.clear();
                self.line.clear();
                self.echo(byte);
                return Some(sig);
            }
        }
        if !t.icanon {
            match self.input.back_mut() {
                Some(last) if !last.is_empty() => last.push(byte),
                _ => self.input.push_back(vec![byte]),
            }
            self.echo(byte);
            return None;
        }
        match byte {
            ERASE | BACKSPACE => {
                if self.line.pop().is_some() && t.echo {
                    self.put_output(b"\x08 \x08");
                }
            }
            KILL => {
                let n = self.line.len();
                self.line.clear();
                if t.echo {
                    for _ in 0..n {
                        self.put_output(b"\x08 \x08");
                    }
                }
            }
            EOF => {
                let line = std::mem::take(&mut self.line);
                self.input.push_back(line);
            }
            b'\n' => {
                let mut line = std::mem::take(&mut self.line);
                line.push(b'\n');
                self.input.push_back(line);
                self.echo(b'\n');
            }
            _ => {
                self.line.push(byte);
                self.echo(byte);
            }
        }
        None
    }

    /// ECHO with ECHOCTL: control characters other than NL and TAB show as `^X`.
    fn echo(&mut self, byte: u8) {
        if !self.termios.echo {
            return;
        }
        if byte < 0x20 && byte != b'\n' && byte != b'\t' {
            self.put_output(&[b'^', byte + 0x40]);
        } else {
            self.put_output(&[byte]);
        }
    }

    fn put_output(&mut self, data: &[u8]) {
        if self.termios.onlcr {
            for &b in data {
                if b == b'\n' {
                    self.output.extend_from_slice(b"\r\n");
                } else {
                    self.output.push(b);
                }
            }
        } else {
            self.output.extend_from_slice(data);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tty() -> Tty {
        let tty = Tty::new(0);
        tty.set_foreground(Some(7));
        tty
    }

    fn read(tty: &Tty) -> SlaveRead {
        tty.try_read(1024)
    }

    fn data(text: &str) -> SlaveRead {
        SlaveRead::Data(text.as_bytes().to_vec())
    }

    #[test]
    fn canonical_mode_hands_over_whole_lines_only() {
        let tty = tty();
        tty.type_bytes(b"ls");
        assert_eq!(read(&tty), SlaveRead::Empty, "no newline yet");
        tty.type_bytes(b"\r");
        assert_eq!(read(&tty), data("ls\n"), "ICRNL: Enter is a newline");
    }

    #[test]
    fn one_canonical_read_returns_at_most_one_line() {
        let tty = tty();
        tty.type_bytes(b"a\rb\r");
        assert_eq!(read(&tty), data("a\n"));
        assert_eq!(read(&tty), data("b\n"));
    }

    #[test]
    fn erase_and_kill_edit_the_line() {
        let tty = tty();
        tty.type_bytes(b"lx\x7fs\r");
        assert_eq!(read(&tty), data("ls\n"));
        tty.type_bytes(b"rm -rf\x15echo\r");
        assert_eq!(read(&tty), data("echo\n"));
    }

    #[test]
    fn ctrl_d_at_line_start_is_end_of_file_and_mid_line_hands_over_the_line() {
        let tty = tty();
        tty.type_bytes(b"ab\x04");
        assert_eq!(read(&tty), data("ab"));
        tty.type_bytes(b"\x04");
        assert_eq!(read(&tty), SlaveRead::Eof);
        assert_eq!(read(&tty), SlaveRead::Empty, "the mark is used up");
    }

    #[test]
    fn control_keys_signal_the_foreground_group_and_flush_input() {
        let tty = tty();
        tty.type_bytes(b"half a line");
        assert_eq!(tty.type_bytes(b"\x03"), vec![(7, Signal::Int)]);
        assert_eq!(tty.type_bytes(b"\x1a"), vec![(7, Signal::Tstp)]);
        assert_eq!(tty.type_bytes(b"\x1c"), vec![(7, Signal::Quit)]);
        tty.type_bytes(b"\r");
        assert_eq!(read(&tty), data("\n"), "the half line was flushed");
    }

    #[test]
    fn echo_shows_typed_text_and_control_keys_as_caret_letters() {
        let tty = tty();
        tty.type_bytes(b"hi\r\x03");
        assert_eq!(tty.take_output(), b"hi\r\n^C");
    }

    #[test]
    fn raw_mode_passes_every_byte_without_echo_or_signals() {
        let tty = tty();
        tty.set_termios(Termios::sane().raw());
        assert!(tty.type_bytes(b"a\r\x03~.").is_empty());
        assert_eq!(read(&tty), data("a\r\x03~."));
        assert!(tty.take_output().is_empty());
    }

    #[test]
    fn leaving_canonical_mode_hands_over_the_edited_line() {
        let tty = tty();
        tty.type_bytes(b"abc");
        tty.set_termios(Termios::sane().raw());
        assert_eq!(read(&tty), data("abc"));
    }

    #[test]
    fn onlcr_turns_newlines_into_crlf_and_raw_output_does_not() {
        let tty = tty();
        assert_eq!(tty.try_write(b"a\nb"), Some(3));
        assert_eq!(tty.take_output(), b"a\r\nb");
        tty.set_termios(Termios::sane().raw());
        tty.try_write(b"a\nb");
        assert_eq!(tty.take_output(), b"a\nb");
    }

    #[test]
    fn after_a_hangup_reads_are_end_of_file_and_writes_fail() {
        let tty = tty();
        tty.set_session(Some(3));
        assert_eq!(tty.hang_up(), Some((Some(3), Some(7))));
        assert_eq!(read(&tty), SlaveRead::Eof);
        assert_eq!(tty.try_write(b"late"), None);
        assert_eq!(tty.hang_up(), None, "only once");
        assert!(
            tty.type_bytes(b"\x03").is_empty(),
            "no session left to signal"
        );
    }

    #[test]
    fn two_blocked_readers_take_turns_line_by_line() {
        crate::sim::unix::block_on(async {
            let tty = std::sync::Arc::new(tty());
            let reader = |tty: std::sync::Arc<Tty>| async move {
                let mut got = Vec::new();
                while let SlaveRead::Data(line) = tty.read(100).await {
                    got.push(String::from_utf8(line).unwrap());
                }
                got
            };
            let first = tokio::spawn(reader(tty.clone()));
            let second = tokio::spawn(reader(tty.clone()));
            tokio::task::yield_now().await;
            for line in [b"one\r", b"two\r", b"six\r", b"ten\r"] {
                tty.type_bytes(line);
                tokio::task::yield_now().await;
                tokio::task::yield_now().await;
            }
            tty.hang_up();
            assert_eq!(first.await.unwrap(), ["one\n", "six\n"]);
            assert_eq!(second.await.unwrap(), ["two\n", "ten\n"]);
        });
    }

    #[test]
    fn a_writer_blocks_while_the_master_has_not_read_the_output() {
        crate::sim::unix::block_on(async {
            let tty = std::sync::Arc::new(tty());
            tty.set_termios(Termios::sane().raw());
            let writer = {
                let tty = tty.clone();
                tokio::spawn(async move { tty.write(&[b'y'; 3 * OUTPUT_CAPACITY]).await })
            };
            tokio::task::yield_now().await;
            assert!(!writer.is_finished(), "the buffer is full");
            let mut read = tty.take_output().len();
            assert_eq!(read, OUTPUT_CAPACITY);
            while !writer.is_finished() {
                tokio::task::yield_now().await;
                read += tty.take_output().len();
            }
            read += tty.take_output().len();
            assert!(writer.await.unwrap());
            assert_eq!(read, 3 * OUTPUT_CAPACITY, "nothing lost");
        });
    }

    #[test]
    fn a_size_change_tells_whom_to_send_sigwinch() {
        let tty = tty();
        assert_eq!(tty.set_size((80, 24)), None, "unchanged");
        assert_eq!(tty.set_size((120, 40)), Some(7));
    }
}
