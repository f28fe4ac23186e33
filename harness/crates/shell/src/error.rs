//! Parse errors, and turning byte offsets into positions a person can find.

use std::fmt;

use crate::ast::Span;

/// Why a line is not in the shell subset.
///
/// Every error names the construct that was found and what the subset
/// accepts instead, and carries a hint with something to write instead, so
/// that a scenario author can fix the line without reading the grammar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The offending construct, as byte offsets into the parsed text. For an
    /// unmatched quote, parenthesis or brace: the opening one.
    pub span: Span,
    /// What was found, and what was expected instead.
    pub message: String,
    /// An example of what to write instead.
    pub hint: String,
}

impl ParseError {
    pub(crate) fn new(
        start: usize,
        end: usize,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        ParseError {
            span: Span { start, end },
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// A multi-line report for people: `line:col: message`, the source line
    /// with carets under the span, then the hint.
    ///
    /// ```text
    /// 1:7: pipelines (`|`) are not supported
    ///   ssh a | wc
    ///         ^
    ///   hint: run the commands in sequence: `a; b`, or redirect to a file: `a >file; b <file`
    /// ```
    pub fn report(&self, src: &str) -> String {
        let start = floor_boundary(src, self.span.start);
        let end = floor_boundary(src, self.span.end.max(start));
        let (line, col) = line_col(src, start);
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
        let text = &src[line_start..line_end];
        // Reproduce tabs in the padding so the caret lines up in a terminal.
        let pad: String = src[line_start..start]
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let width = src[start..end.min(line_end)].chars().count().max(1);
        format!(
            "{line}:{col}: {}\n  {text}\n  {pad}{}\n  hint: {}",
            self.message,
            "^".repeat(width),
            self.hint
        )
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; hint: {}", self.message, self.hint)
    }
}

impl std::error::Error for ParseError {}

/// The 1-based line and column of byte `offset` in `src`, columns counted in
/// characters (not bytes). An offset past the end gives the position just
/// after the last character; one inside a character counts that character.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let (mut line, mut col) = (1, 1);
    for (i, c) in src.char_indices() {
        if i >= offset {
            break;
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (line, col)
}

/// The largest char boundary of `src` not after `offset`, so that a span
/// built by hand can never make slicing panic.
fn floor_boundary(src: &str, offset: usize) -> usize {
    let mut i = offset.min(src.len());
    while !src.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lines_and_chars() {
        let src = "ab\ncé d\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 1), (1, 2));
        assert_eq!(line_col(src, 2), (1, 3));
        assert_eq!(line_col(src, 3), (2, 1));
        // `é` is two bytes but one column.
        assert_eq!(line_col(src, 6), (2, 3));
        assert_eq!(line_col(src, 7), (2, 4));
        assert_eq!(line_col(src, 9), (3, 1));
        assert_eq!(line_col(src, 1000), (3, 1));
        assert_eq!(line_col("", 0), (1, 1));
    }

    #[test]
    fn line_col_inside_a_char_does_not_panic() {
        assert_eq!(line_col("é", 1), (1, 2));
    }

    #[test]
    fn display_has_message_and_hint() {
        let e = ParseError::new(0, 1, "found x", "write y");
        assert_eq!(e.to_string(), "found x; hint: write y");
    }

    #[test]
    fn report_points_at_the_span() {
        let src = "true\nssh a | wc";
        let e = ParseError::new(11, 12, "pipelines (`|`) are not supported", "h");
        assert_eq!(
            e.report(src),
            "2:7: pipelines (`|`) are not supported\n  ssh a | wc\n        ^\n  hint: h"
        );
    }

    #[test]
    fn report_keeps_tabs_and_survives_bad_spans() {
        let e = ParseError::new(1, 3, "m", "h");
        assert_eq!(e.report("\tab"), "1:2: m\n  \tab\n  \t^^\n  hint: h");
        let wild = ParseError::new(5, 2, "m", "h");
        assert_eq!(wild.report("é"), "1:2: m\n  é\n   ^\n  hint: h");
    }
}
