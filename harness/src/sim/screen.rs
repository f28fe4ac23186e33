//! The client terminal's screen: the bytes the terminal's master side
//! reads, turned into lines of text as a terminal shows them. It keeps
//! every line (a scrollback without limit) and knows the few controls the
//! simulated programs send: CR, LF, backspace, tab; escape sequences are
//! skipped.

/// A scenario's screen regex (the loader compiled it already) as it is
/// matched against [`Screen::text`]: `^` and `$` match at line ends.
pub fn screen_regex(pattern: &str) -> Option<regex::Regex> {
    regex::Regex::new(&format!("(?m){pattern}")).ok()
}

/// Lines of text and the cursor.
#[derive(Default, Clone)]
pub struct Screen {
    lines: Vec<Vec<u8>>,
    row: usize,
    col: usize,
    /// Inside an escape sequence (ECMA-48: ESC, or ESC [ up to a final byte).
    escape: Escape,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Escape {
    #[default]
    None,
    Started,
    Csi,
}

impl Screen {
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.put(b);
        }
    }

    fn put(&mut self, b: u8) {
        match self.escape {
            Escape::Started => {
                self.escape = if b == b'[' { Escape::Csi } else { Escape::None };
                return;
            }
            Escape::Csi => {
                if (0x40..=0x7e).contains(&b) {
                    self.escape = Escape::None;
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
                let next = (self.col / 8 + 1) * 8;
                while self.col < next {
                    self.write(b' ');
                }
            }
            0x07 | 0x00 => {}
            _ => self.write(b),
        }
    }

    fn write(&mut self, b: u8) {
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
        let lines: Vec<String> = self
            .lines
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
}
