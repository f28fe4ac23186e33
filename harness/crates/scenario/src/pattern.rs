//! Regexes in a scenario file (`wait_for`, `expect.screen`): compiled on
//! load, so that a mistake is reported at its place in the file rather
//! than found by a run that waits until its timeout.

use crate::error::Problem;
use crate::position::string_offset;
use crate::raw::Leaf;
use crate::values::{Value, expected};

/// A non-empty string that compiles as a regex; `text` is the file, for
/// pointing inside the string.
pub(crate) fn regex(text: &str, v: &Value, key: &str) -> Result<String, Problem> {
    let pattern = match v.get_ref() {
        Leaf::Str(s) if !s.is_empty() => s.clone(),
        _ => return Err(expected(v, key)),
    };
    compile(&pattern).map_err(|(offset, reason)| {
        let offset = string_offset(text, &v.span(), &pattern, offset);
        Problem::new(offset, key, format!("the regex does not compile: {reason}"))
    })?;
    Ok(pattern)
}

/// An array of regexes, in file order.
pub(crate) fn regexes(text: &str, v: &Value, key: &str) -> Result<Vec<String>, Problem> {
    let Leaf::Array(items) = v.get_ref() else {
        return Err(expected(v, key));
    };
    items
        .iter()
        .map(|item| match item.get_ref() {
            Leaf::Str(_) => regex(text, item, key),
            other => Err(Problem::new(
                item.span().start,
                key,
                format!(
                    "expected {}, found {} in the array",
                    crate::keys::info(key).map_or("regexes", |k| k.expected),
                    other.describe()
                ),
            )),
        })
        .collect()
}

/// Compiles `pattern` as the runner will (multi-line mode); on failure,
/// the byte of `pattern` at fault and the reason in one line.
fn compile(pattern: &str) -> Result<(), (usize, String)> {
    // regex's own error is a multi-line diagram; its parser says where.
    let parsed = regex_syntax::ParserBuilder::new()
        .multi_line(true)
        .build()
        .parse(pattern);
    if let Err(e) = parsed {
        return Err(match &e {
            regex_syntax::Error::Parse(e) => (e.span().start.offset, e.kind().to_string()),
            regex_syntax::Error::Translate(e) => (e.span().start.offset, e.kind().to_string()),
            _ => (0, last_line(&e.to_string())),
        });
    }
    regex::RegexBuilder::new(pattern)
        .multi_line(true)
        .build()
        .map(drop)
        .map_err(|e| (0, last_line(&e.to_string())))
}

/// The reason at the end of a regex error, without its `error: `.
fn last_line(message: &str) -> String {
    let line = message
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(message);
    line.trim().trim_start_matches("error: ").to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiles_in_multi_line_mode_and_says_where_and_why_not() {
        assert_eq!(compile(r"^server\$ $"), Ok(()));
        assert_eq!(compile(r"\w+ \d"), Ok(()));
        assert_eq!(compile("a(b"), Err((1, "unclosed group".to_owned())));
        assert_eq!(compile("ab)"), Err((2, "unopened group".to_owned())));
        assert_eq!(
            compile(r"x\q"),
            Err((1, "unrecognized escape sequence".to_owned()))
        );
        let (_, reason) = compile("a{99999}{99999}").unwrap_err();
        assert!(!reason.contains('\n'), "{reason}");
    }

    #[test]
    fn last_line_drops_the_diagram() {
        assert_eq!(
            last_line("regex parse error:\n    (\n    ^\nerror: unclosed group\n"),
            "unclosed group"
        );
        assert_eq!(last_line("too big"), "too big");
    }
}
