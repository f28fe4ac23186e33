//! The client terminal's screen: the bytes the terminal's master side
//! reads, turned into lines of text as a terminal shows them. It keeps the
//! last [`SCROLLBACK`] lines, each of at most [`COLUMNS`] characters (an
//! endless writer must not take the machine's memory), and knows the controls the
//! simulated programs send (CR, LF, backspace, tab) and the few ECMA-48
//! sequences real full-screen programs such as tmux use to place text:
//! cursor position and moves (CUP, CUU, CUD, CUF, CUB) and erasing in the
//! line or the display (EL, ED), on the last `rows` lines, and xterm's
//! alternate screen (`CSI ? 1049 h` / `l`), which full-screen programs
//! leave the way they found it. Other escape sequences are skipped.

/// Lines kept: the scrollback of GNOME Terminal's default profile (VTE,
/// 10000 lines); older lines are dropped as a terminal drops them.
pub const SCROLLBACK: usize = 10_000;

/// The widest line kept; the cursor stops at the last column, as a
/// terminal's does at its right margin without autowrap (DECAWM off).
/// Far wider than any window, so that no line of a real session is cut.
pub const COLUMNS: usize = 1024;

/// A scenario's screen regex (the loader compiled it already) as it is
/// matched against [`Screen::text`]: `^` and `$` match at line ends.
pub fn screen_regex(pattern: &str) -> Option<regex::Regex> {
    regex::Regex::new(&format!("(?m){pattern}")).ok()
}

/// A byte [`Screen::write`] puts on the line: anything but the controls
/// `put` acts on (ESC, CR, LF, BS, HT) or ignores (BEL, NUL).
fn is_printed(b: u8) -> bool {
    !matches!(b, 0x1b | b'\r' | b'\n' | 0x08 | b'\t' | 0x07 | 0x00)
}

/// Lines of text and the cursor.
#[derive(Clone)]
pub struct Screen {
    lines: Vec<Vec<u8>>,
    row: usize,
    col: usize,
    /// The window's height: cursor positions count from the top of the
    /// last `rows` lines.
    rows: usize,
    /// Inside an escape sequence (ECMA-48: ESC, or ESC [ up to a final byte).
    escape: Escape,
    /// The main screen's lines and cursor while the alternate one shows.
    saved: Option<(Vec<Vec<u8>>, usize, usize)>,
    /// Emptied buffers of dropped lines, for new lines: an endless writer
    /// allocates nothing per line once the scrollback is full.
    spare: Vec<Vec<u8>>,
}

impl Default for Screen {
    fn default() -> Screen {
        Screen {
            lines: Vec::new(),
            row: 0,
            col: 0,
            rows: 24,
            escape: Escape::None,
            saved: None,
            spare: Vec::new(),
        }
    }
}

#[derive(Default, Clone, PartialEq, Eq)]
enum Escape {
    #[default]
    None,
    Started,
    /// The parameter bytes so far.
    Csi(Vec<u8>),
}

impl Screen {
    /// The window's new height (TIOCSWINSZ).
    pub fn set_rows(&mut self, rows: u16) {
        self.rows = usize::from(rows.max(1));
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while let Some((&b, after)) = rest.split_first() {
            if self.escape == Escape::None && is_printed(b) {
                // A run of printed bytes goes onto the line at once.
                let run = after
                    .iter()
                    .position(|&c| !is_printed(c))
                    .map_or(rest.len(), |n| n + 1);
                self.write_run(&rest[..run]);
                rest = &rest[run..];
                continue;
            }
            self.put(b);
            rest = after;
            if self.lines.len() > 2 * SCROLLBACK {
                self.drop_old_lines();
            }
        }
        self.drop_old_lines();
    }

    /// Keeps the last [`SCROLLBACK`] lines; the cursor stays on its line.
    fn drop_old_lines(&mut self) {
        let excess = self.lines.len().saturating_sub(SCROLLBACK);
        if excess > 0 {
            for mut line in self.lines.drain(..excess) {
                // Kept for new lines: as many as a drop makes room for
                // (lines are dropped when there are over 2 * SCROLLBACK).
                if self.spare.len() <= SCROLLBACK {
                    line.clear();
                    self.spare.push(line);
                }
            }
            self.row = self.row.saturating_sub(excess);
        }
    }

    /// A line to add below the others: a spare one when there is one.
    fn new_line(&mut self) -> Vec<u8> {
        self.spare.pop().unwrap_or_default()
    }

    fn put(&mut self, b: u8) {
        match &mut self.escape {
            Escape::Started => {
                self.escape = if b == b'[' {
                    Escape::Csi(Vec::new())
                } else {
                    Escape::None
                };
                return;
            }
            Escape::Csi(params) => {
                if (0x40..=0x7e).contains(&b) {
                    let params = std::mem::take(params);
                    self.escape = Escape::None;
                    self.control(&params, b);
                } else {
                    params.push(b);
                }
                return;
            }
            Escape::None => {}
        }
        if self.lines.is_empty() {
            let line = self.new_line();
            self.lines.push(line);
        }
        match b {
            0x1b => self.escape = Escape::Started,
            b'\r' => self.col = 0,
            b'\n' => {
                self.row += 1;
                if self.row == self.lines.len() {
                    let line = self.new_line();
                    self.lines.push(line);
                }
            }
            0x08 => self.col = self.col.saturating_sub(1),
            b'\t' => {
                // The next tab stop, or the right margin when there is none
                // (ECMA-48 8.3.60 HT).
                let next = ((self.col / 8 + 1) * 8).min(COLUMNS);
                while self.col < next {
                    self.write(b' ');
                }
            }
            0x07 | 0x00 => {}
            _ => self.write(b),
        }
    }

    /// Printed bytes, as [`Self::write`] one by one would put them: from
    /// the cursor on, and past the last column each on the last column.
    fn write_run(&mut self, run: &[u8]) {
        if self.lines.is_empty() {
            let line = self.new_line();
            self.lines.push(line);
        }
        let start = self.col.min(COLUMNS - 1);
        let fits = run.len().min(COLUMNS - start);
        let line = &mut self.lines[self.row];
        if line.len() < start + fits {
            line.resize(start + fits, b' ');
        }
        line[start..start + fits].copy_from_slice(&run[..fits]);
        if fits < run.len() {
            line[COLUMNS - 1] = run[run.len() - 1];
        }
        self.col = (start + run.len()).min(COLUMNS);
    }

    /// The first visible line.
    fn top(&self) -> usize {
        self.lines.len().saturating_sub(self.rows)
    }

    /// A control sequence (ECMA-48 8.3) with its parameters.
    fn control(&mut self, params: &[u8], last: u8) {
        if params
            .first()
            .is_some_and(|p| !p.is_ascii_digit() && *p != b';')
        {
            // Private modes: only the alternate screen changes what shows.
            let alternate = matches!(params, b"?1049" | b"?1047" | b"?47");
            match last {
                b'h' if alternate && self.saved.is_none() => {
                    let main = std::mem::take(&mut self.lines);
                    self.saved = Some((main, self.row, self.col));
                    self.lines = vec![Vec::new()];
                    (self.row, self.col) = (0, 0);
                }
                b'l' if alternate => {
                    if let Some((main, row, col)) = self.saved.take() {
                        (self.lines, self.row, self.col) = (main, row, col);
                    }
                }
                _ => {}
            }
            return;
        }
        let numbers: Vec<usize> = String::from_utf8_lossy(params)
            .split(';')
            .map(|n| n.parse().unwrap_or(0))
            .collect();
        // ECMA-48: moves stop at the window's edges; so a huge count or
        // position moves at most a window's height or the widest line.
        let n = |i: usize| numbers.get(i).copied().unwrap_or(0);
        let count = n(0).clamp(1, self.rows.max(COLUMNS));
        match last {
            b'H' | b'f' => {
                self.row = self.top() + n(0).clamp(1, self.rows) - 1;
                self.col = n(1).clamp(1, COLUMNS) - 1;
                while self.lines.len() <= self.row {
                    self.lines.push(Vec::new());
                }
            }
            b'A' => self.row = self.row.saturating_sub(count).max(self.top()),
            b'B' => {
                self.row += count.min(self.rows);
                while self.lines.len() <= self.row {
                    self.lines.push(Vec::new());
                }
            }
            b'C' => self.col = (self.col + count).min(COLUMNS - 1),
            b'D' => self.col = self.col.saturating_sub(count),
            b'K' => {
                let line = &mut self.lines[self.row];
                match n(0) {
                    0 => line.truncate(self.col),
                    1 => line.iter_mut().take(self.col + 1).for_each(|c| *c = b' '),
                    _ => line.clear(),
                }
            }
            b'J' => {
                let from = match n(0) {
                    0 => {
                        self.lines[self.row].truncate(self.col);
                        self.row + 1
                    }
                    _ => self.top(),
                };
                for line in self.lines.iter_mut().skip(from) {
                    line.clear();
                }
            }
            _ => {}
        }
    }

    fn write(&mut self, b: u8) {
        self.col = self.col.min(COLUMNS - 1);
        let line = &mut self.lines[self.row];
        while line.len() < self.col {
            line.push(b' ');
        }
        if self.col < line.len() {
            line[self.col] = b;
        } else {
            line.push(b);
        }
        self.col += 1;
    }

    pub fn is_blank(&self) -> bool {
        self.lines.iter().all(Vec::is_empty)
    }

    /// The text: lines without trailing blanks, ending with the cursor's
    /// line (so `\z` in a pattern means "where the cursor is").
    pub fn text(&self) -> String {
        // Blank lines below the cursor are not content (an erased display).
        let end = self
            .lines
            .iter()
            .rposition(|l| !l.iter().all(|b| *b == b' '))
            .map_or(0, |last| last + 1)
            .max(self.row + 1)
            .min(self.lines.len());
        let lines: Vec<String> = self.lines[..end]
            .iter()
            .map(|l| String::from_utf8_lossy(l).trim_end().to_string())
            .collect();
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn screen(bytes: &[u8]) -> String {
        let mut s = Screen::default();
        s.feed(bytes);
        s.text()
    }

    #[test]
    fn crlf_starts_a_new_line_and_the_cursor_line_comes_last() {
        assert_eq!(screen(b"$ ls\r\nfile\r\n$ "), "$ ls\nfile\n$");
    }

    #[test]
    fn backspace_and_overwrite_edit_the_line() {
        assert_eq!(screen(b"lx\x08 \x08s"), "ls");
        assert_eq!(screen(b"abc\rX"), "Xbc");
    }

    #[test]
    fn escape_sequences_are_skipped() {
        assert_eq!(screen(b"\x1b[?2004ha\x1b[0mb"), "ab");
    }

    #[test]
    fn cursor_position_and_erase_place_text_as_a_terminal_does() {
        // A full-screen redraw: home, clear, text on row 2.
        assert_eq!(
            screen(b"old\r\nlines\x1b[H\x1b[2Jtop\x1b[2;3Hx"),
            "top\n  x"
        );
        assert_eq!(screen(b"abcdef\x1b[3D\x1b[K!"), "abc!");
        assert_eq!(screen(b"ab\x1b[2Cc"), "ab  c");
        assert_eq!(screen(b"$ \x1b[2J\x1b[H$ \r\n\r\n"), "$\n\n");
    }

    #[test]
    fn an_endless_writer_leaves_the_last_lines_in_bounded_memory() {
        let mut s = Screen::default();
        for _ in 0..100 {
            s.feed(&b"y\r\n".repeat(1000));
        }
        s.feed(b"last");
        assert_eq!(s.lines.len(), SCROLLBACK);
        assert!(s.text().ends_with("y\ny\nlast"));
        s.feed(&[b'x'; 3 * COLUMNS]);
        assert_eq!(s.lines.last().unwrap().len(), COLUMNS);
    }

    #[test]
    fn runs_of_printed_bytes_land_as_the_bytes_one_by_one_would() {
        // A deterministic mix (xorshift) of text, long lines past the last
        // column, controls and sequences, fed at once and byte by byte.
        let pieces: [&[u8]; 12] = [
            b"hello",
            b"\r\n",
            b"\r",
            b"\x08\x08",
            b"\ta\tb",
            b"\x1b[5D",
            b"\x1b[K",
            b"\x1b[3;7H",
            b"\x1b[2J",
            b"\x01\x7f\xc3\xa9",
            b"\x1b[1A",
            b"\x07\x00!",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut input = Vec::new();
        for _ in 0..3_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            if state.is_multiple_of(50) {
                input.extend((0..1500 + state % 700).map(|i| b'a' + (i % 26) as u8));
            } else {
                input.extend_from_slice(pieces[(state >> 32) as usize % pieces.len()]);
            }
        }
        let mut at_once = Screen::default();
        at_once.feed(&input);
        // Each byte through `put`, as the screen took them before it wrote
        // runs at once.
        let mut one_by_one = Screen::default();
        for &b in &input {
            one_by_one.put(b);
            if one_by_one.lines.len() > 2 * SCROLLBACK {
                one_by_one.drop_old_lines();
            }
        }
        one_by_one.drop_old_lines();
        assert_eq!(at_once.text(), one_by_one.text());
        assert_eq!(at_once.lines, one_by_one.lines);
        assert_eq!((at_once.row, at_once.col), (one_by_one.row, one_by_one.col));
    }

    #[test]
    fn a_tab_past_the_last_column_stays_on_it() {
        let mut line = vec![b'x'; COLUMNS + 5];
        line.extend_from_slice(b"\ty");
        let mut s = Screen::default();
        s.feed(&line);
        let text = s.text();
        assert_eq!(text.len(), COLUMNS);
        assert!(text.ends_with("xy"), "{text}");
    }

    #[test]
    fn huge_cursor_moves_stop_at_the_window() {
        let mut s = Screen::default();
        s.feed(b"\x1b[4000000000;4000000000Hx\x1b[999999999B\x1b[999999999Cy");
        assert!(s.lines.len() <= 2 * 24, "{} lines", s.lines.len());
        assert!(s.lines.iter().all(|l| l.len() <= COLUMNS));
    }

    #[test]
    fn the_alternate_screen_goes_and_the_main_one_comes_back() {
        let mut s = Screen::default();
        s.feed(b"$ tmux attach\r\n\x1b[?1049h\x1b[Hwork finished");
        assert_eq!(s.text(), "work finished");
        s.feed(b"\x1b[?1049l[detached]\r\n$ ");
        assert_eq!(s.text(), "$ tmux attach\n[detached]\n$");
    }
}
