//! The one error type of the crate: a problem in a scenario file, for people.

use std::fmt;
use std::io;

use crate::keys;
use crate::position::line_col;

/// A scenario file that cannot be loaded, and where and why.
///
/// Displays as
///
/// ```text
/// scenarios/x.toml:12:7: step[2].at: expected a duration such as `30s`, `250ms` or `1.5s`, found `30 seconds`
///   example: at = "30s"
/// ```
///
/// `line` and `col` are 1-based; `col` counts characters, not bytes. An
/// error that is about the whole file (it cannot be read) is at 1:1.
///
/// A file with several problems is one error: the first problem in the
/// file, and the others in `more`, in file order. It displays each one's
/// block in turn, the first 20 of them, and how many more there are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The path as given to the loader.
    pub file: String,
    pub line: usize,
    pub col: usize,
    /// The key the problem is in, as a path: `world.horizon`, `step[2].at`
    /// (steps count from 1, in file order), `expect.dropbear.client.exit`.
    pub key: Option<String>,
    /// What is wrong: what was expected and what was found.
    pub message: String,
    /// A line that would be right here, or what to do instead.
    pub example: Option<String>,
    /// The problems after this one in the file, in file order; each has an
    /// empty `more`. Behind a thin pointer: a `Result` with a `LoadError`
    /// stays small (clippy's `result_large_err`).
    #[allow(clippy::box_collection)]
    pub more: Box<Vec<LoadError>>,
}

impl LoadError {
    /// An error at byte `offset` of `text`, the contents of `file`.
    pub(crate) fn at(
        file: &str,
        text: &str,
        offset: usize,
        key: Option<String>,
        message: String,
        example: Option<String>,
    ) -> LoadError {
        let (line, col) = line_col(text, offset);
        LoadError {
            file: file.to_owned(),
            line,
            col,
            key,
            message,
            example,
            more: Box::default(),
        }
    }

    /// The problems of `file` (`text` is its contents) as one error, in
    /// file order; among problems at the same place, in the order found.
    /// `None` when there are none.
    pub(crate) fn from_problems(
        file: &str,
        text: &str,
        mut problems: Vec<Problem>,
    ) -> Option<LoadError> {
        problems.sort_by_key(|p| p.offset);
        let mut errors = problems.into_iter().map(|p| p.error(file, text));
        let mut first = errors.next()?;
        first.more = Box::new(errors.collect());
        Some(first)
    }

    /// Every problem: this one, then the ones in `more`.
    pub fn problems(&self) -> impl Iterator<Item = &LoadError> {
        std::iter::once(self).chain(self.more.iter())
    }

    /// This problem's block: `file:line:col: key: message` and the example.
    fn fmt_one(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.col)?;
        if let Some(key) = &self.key {
            write!(f, "{}: ", shorten(key))?;
        }
        f.write_str(&shorten(&self.message))?;
        if let Some(example) = &self.example {
            // Continuation lines line up under the first line of the example.
            let example = shorten(example);
            let mut lines = example.lines();
            write!(f, "\n  example: {}", lines.next().unwrap_or(""))?;
            for line in lines {
                write!(f, "\n           {line}")?;
            }
        }
        Ok(())
    }

    /// A problem with the file as a whole, at 1:1.
    pub(crate) fn whole_file(file: &str, message: String) -> LoadError {
        LoadError {
            file: file.to_owned(),
            line: 1,
            col: 1,
            key: None,
            message,
            example: None,
            more: Box::default(),
        }
    }

    /// A file or directory that cannot be read.
    pub(crate) fn io(file: &str, what: &str, err: &io::Error) -> LoadError {
        let reason = match err.kind() {
            io::ErrorKind::NotFound => "no such file or directory".to_owned(),
            io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
            _ => err.to_string(),
        };
        LoadError {
            file: file.to_owned(),
            line: 1,
            col: 1,
            key: None,
            message: format!("cannot read {what}: {reason}"),
            example: None,
            more: Box::default(),
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = 1 + self.more.len();
        for (i, problem) in self.problems().take(MAX_SHOWN).enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            problem.fmt_one(f)?;
        }
        match count.saturating_sub(MAX_SHOWN) {
            0 => Ok(()),
            1 => f.write_str("\n... and 1 more problem"),
            n => write!(f, "\n... and {n} more problems"),
        }
    }
}

impl std::error::Error for LoadError {}

/// The most problems shown at once: enough to fix a file in one go, few
/// enough that the first ones stay on screen.
const MAX_SHOWN: usize = 20;

/// The longest word a message shows whole: longer ones (a huge key or
/// value from the file) are cut, so that a message stays readable.
const MAX_WORD: usize = 60;

/// The longest message shown whole, whatever its words.
const MAX_TEXT: usize = 1_000;

/// `text` with every word over [`MAX_WORD`] characters cut to that many and
/// `…` (keeping its closing punctuation, such as a backtick), and the
/// whole cut at [`MAX_TEXT`] characters.
fn shorten(text: &str) -> std::borrow::Cow<'_, str> {
    let long_word = text
        .split_whitespace()
        .any(|w| w.chars().nth(MAX_WORD).is_some());
    if !long_word && text.chars().nth(MAX_TEXT).is_none() {
        return text.into();
    }
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.chars().nth(MAX_WORD).is_some() {
            let tail: Vec<char> = word
                .chars()
                .rev()
                .take(3)
                .take_while(|c| !c.is_alphanumeric())
                .collect();
            out.extend(word.chars().take(MAX_WORD));
            out.push('…');
            out.extend(tail.iter().rev());
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_whitespace() {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    if let Some((cut, _)) = out.char_indices().nth(MAX_TEXT) {
        out.truncate(cut);
        out.push('…');
    }
    out.into()
}

/// A problem at a byte offset of the file, before it is placed at a line
/// and column; becomes a [`LoadError`]. `example` defaults to the key's.
#[derive(Debug)]
pub(crate) struct Problem {
    pub offset: usize,
    pub key: Option<String>,
    pub message: String,
    pub example: Option<String>,
}

impl Problem {
    pub(crate) fn new(offset: usize, key: &str, message: String) -> Problem {
        Problem {
            offset,
            key: Some(key.to_owned()),
            message,
            example: keys::info(key).map(|k| k.example.to_owned()),
        }
    }

    pub(crate) fn example(mut self, example: impl Into<String>) -> Problem {
        self.example = Some(example.into());
        self
    }

    pub(crate) fn error(self, file: &str, text: &str) -> LoadError {
        LoadError::at(
            file,
            text,
            self.offset,
            self.key,
            self.message,
            self.example,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_position_key_message_and_example() {
        let err = LoadError {
            file: "scenarios/x.toml".into(),
            line: 12,
            col: 7,
            key: Some("step[2].at".into()),
            message: "expected a duration such as `30s`, found `30 seconds`".into(),
            example: Some("at = \"30s\"".into()),
            more: Box::default(),
        };
        assert_eq!(
            err.to_string(),
            "scenarios/x.toml:12:7: step[2].at: expected a duration such as `30s`, \
             found `30 seconds`\n  example: at = \"30s\""
        );
    }

    #[test]
    fn displays_without_key_or_example() {
        let err = LoadError::at("a.toml", "x\ny = 1", 2, None, "bad".into(), None);
        assert_eq!(err.to_string(), "a.toml:2:1: bad");
    }

    #[test]
    fn indents_multi_line_examples() {
        let err = LoadError::at(
            "a.toml",
            "",
            0,
            Some("step".into()),
            "m".into(),
            Some("[[step]]\nat = \"0s\"".into()),
        );
        assert_eq!(
            err.to_string(),
            "a.toml:1:1: step: m\n  example: [[step]]\n           at = \"0s\""
        );
    }

    #[test]
    fn long_words_and_long_texts_are_cut() {
        assert_eq!(shorten("found `30s`"), "found `30s`");
        let long = format!("found `{}`; the keys", "k".repeat(100));
        assert_eq!(
            shorten(&long),
            format!("found `{}…`; the keys", "k".repeat(59))
        );
        let many = "ab ".repeat(1_000);
        assert_eq!(shorten(&many).chars().count(), MAX_TEXT + 1);
    }

    #[test]
    fn io_errors_are_at_the_start_of_the_file() {
        let err = LoadError::io(
            "nope.toml",
            "the file",
            &io::Error::from(io::ErrorKind::NotFound),
        );
        assert_eq!(
            err.to_string(),
            "nope.toml:1:1: cannot read the file: no such file or directory"
        );
    }
}
