//! What a person at a terminal gets on top of the plain report: verdicts
//! in color, and a progress bar while runs go on. Neither when the output
//! is not a terminal, and no color when NO_COLOR is set (no-color.org) or
//! TERM is `dumb`: what is piped or saved stays the plain text.

use std::io::IsTerminal;

/// Whether standard output takes color.
pub fn stdout_takes_color() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
    !no_color && !dumb && std::io::stdout().is_terminal()
}

/// SGR codes (ECMA-48) of each verdict word a report line starts with.
const VERDICT_COLORS: [(&str, &str); 7] = [
    ("pass", "32"),
    ("agree", "32"),
    ("fail", "31"),
    ("differ", "31"),
    ("error", "35"),
    ("unknown", "33"),
    ("skipped", "2"),
];

/// `line` with its leading verdict word in its color; other lines as
/// they are.
pub fn paint_verdict(line: &str) -> String {
    let word_end = line.find(' ').unwrap_or(line.len());
    let word = &line[..word_end];
    match VERDICT_COLORS.iter().find(|(verdict, _)| *verdict == word) {
        Some((_, code)) => format!("\x1b[{code}m{word}\x1b[0m{}", &line[word_end..]),
        None => line.to_string(),
    }
}

/// A progress bar on stderr for `len` units of work, when stderr is a
/// terminal and there is more than one; `None` otherwise.
pub fn progress_bar(len: u64, unit: &str) -> Option<indicatif::ProgressBar> {
    if len < 2 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit}, {{per_sec}}, eta {{eta}}");
    bar.set_style(
        indicatif::ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(bar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_leading_verdict_word_is_painted() {
        assert_eq!(
            paint_verdict("fail    x.toml [openssh] seed=0"),
            "\x1b[31mfail\x1b[0m    x.toml [openssh] seed=0"
        );
        assert_eq!(paint_verdict("pass"), "\x1b[32mpass\x1b[0m");
        assert_eq!(
            paint_verdict("          replay: hangar run x"),
            "          replay: hangar run x"
        );
        assert_eq!(paint_verdict("passed 3"), "passed 3");
    }

    #[test]
    fn no_bar_for_a_single_run() {
        assert!(progress_bar(1, "runs").is_none());
    }
}
