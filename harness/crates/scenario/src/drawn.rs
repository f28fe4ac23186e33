//! The file syntax of a [`Drawn`] value: one value (`30s`, `64KiB`) or an
//! inclusive range, both ends joined by `..` with nothing around it
//! (`1ms..50ms`, `4KiB..64KiB`; `1s..1s` is `1s`). Each end is written as
//! the single value would be.
//!
//! [`fmt::Display`] writes a fixed value alone and a range as
//! `<min>..<max>`, in the shortest exact form of each end, so that the
//! loader reads it back to the same value.

use std::fmt;
use std::time::Duration;

use crate::duration::format_duration;
use crate::model::Drawn;
use crate::size::format_size;

/// What joins the two ends of a range.
const SEPARATOR: &str = "..";

/// `"1ms..50ms"` -> `("1ms", 5, "50ms")`: the start, the byte offset of the
/// end and the end; `None` when `text` is a single value.
pub(crate) fn split(text: &str) -> Option<(&str, usize, &str)> {
    let at = text.find(SEPARATOR)?;
    let end_at = at + SEPARATOR.len();
    Some((&text[..at], end_at, &text[end_at..]))
}

/// Writes `drawn` with `show` for each end.
fn write<T: Copy + PartialEq>(
    f: &mut fmt::Formatter<'_>,
    drawn: &Drawn<T>,
    show: fn(T) -> String,
) -> fmt::Result {
    if drawn.is_fixed() {
        f.write_str(&show(drawn.min))
    } else {
        write!(f, "{}{SEPARATOR}{}", show(drawn.min), show(drawn.max))
    }
}

impl fmt::Display for Drawn<Duration> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write(f, self, format_duration)
    }
}

/// Sizes in bytes.
impl fmt::Display for Drawn<u64> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write(f, self, format_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_first_separator() {
        assert_eq!(split("1ms..50ms"), Some(("1ms", 5, "50ms")));
        assert_eq!(split("..5s"), Some(("", 2, "5s")));
        assert_eq!(split("1s.."), Some(("1s", 4, "")));
        assert_eq!(split("1s..2s..3s"), Some(("1s", 4, "2s..3s")));
        assert_eq!(split("1.5s"), None);
        assert_eq!(split("64KiB"), None);
    }

    #[test]
    fn displays_the_file_syntax() {
        let ms = Duration::from_millis;
        assert_eq!(Drawn::fixed(Duration::from_secs(30)).to_string(), "30s");
        assert_eq!(
            Drawn {
                min: ms(1),
                max: ms(50)
            }
            .to_string(),
            "1ms..50ms"
        );
        assert_eq!(Drawn::fixed(65_536u64).to_string(), "64KiB");
        assert_eq!(
            Drawn {
                min: 4096u64,
                max: 65_536
            }
            .to_string(),
            "4KiB..64KiB"
        );
        assert_eq!(
            Drawn {
                min: 0u64,
                max: 1000
            }
            .to_string(),
            "0..1000"
        );
    }
}
