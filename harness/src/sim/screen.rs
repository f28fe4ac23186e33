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
        for &b in bytes {
            self.put(b);
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
            self.lines.drain(..excess);
            self.row = self.row.saturating_sub(excess);
        }
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
            self.lines.push(Vec::new());
        }
        match b {
            0x1b => self.escape = Escape::Started,
            b'\r' => self.col = 0,
            b'\n' => {
                self.row += 1;
                if self.row == self.lines.len() {
                    self.lines.push(Vec::new());
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
