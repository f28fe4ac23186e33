//! `[server] ChannelTimeout`: sshd_config(5)'s `type=interval` pairs, read
//! as sshd reads them (servconf.c, channels.c channel_add_timeout) and
//! matched as sshd matches a channel's type to them (the first pattern
//! that matches wins, `*` and `?` as in match.c match_pattern).

use std::ops::Range;
use std::time::Duration;

use crate::duration::{MAX_DURATION, OVER_MAX, parse_duration, whole_seconds};
use crate::error::Problem;
use crate::position::string_offset;
use crate::raw::Leaf;
use crate::values::{Value, expected};

/// One `type=interval` pair: channels whose type matches `pattern` are
/// closed after `after` without traffic; 0 switches that type's off.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelTimeout {
    pub pattern: String,
    pub after: Duration,
}

impl ChannelTimeout {
    /// sshd_config(5) text of the pair, in whole seconds as sshd takes
    /// them: a fraction is dropped, and a timeout set is at least 1 s
    /// (0 stays 0, off).
    pub fn to_sshd_config(&self) -> String {
        format!("{}={}", self.pattern, whole_seconds(self.after))
    }
}

/// The channel types of a session (sshd_config(5) ChannelTimeout): what a
/// session's channel is labelled once it asked for a shell or a command.
pub const SESSION_SHELL: &str = "session:shell";
pub const SESSION_COMMAND: &str = "session:command";

/// The inactivity timeout sshd gives a channel of `channel_type`: the
/// first matching pair's, `None` when none matches or it is 0.
pub fn timeout_for(timeouts: &[ChannelTimeout], channel_type: &str) -> Option<Duration> {
    timeouts
        .iter()
        .find(|t| matches(&t.pattern, channel_type))
        .map(|t| t.after)
        .filter(|after| !after.is_zero())
}

/// match.c match_pattern: `*` any run of characters, `?` any one.
fn matches(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => (0..=t.len()).any(|skip| go(rest, &t[skip..])),
            Some((b'?', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// What a channel type pattern may contain: the letters of sshd's type
/// names (`session:command`, `direct-tcpip`, `forwarded-streamlocal@openssh.com`)
/// and the wildcards.
fn type_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ":-_.@*?".contains(c)
}

/// `server.ChannelTimeout`: whitespace-separated `type=interval` pairs,
/// each interval a duration or a number of seconds.
pub(crate) fn channel_timeouts(
    text: &str,
    v: &Value,
    key: &str,
) -> Result<Vec<ChannelTimeout>, Problem> {
    let Leaf::Str(s) = v.get_ref() else {
        return Err(expected(v, key));
    };
    let span: Range<usize> = v.span();
    let at = |offset: usize| string_offset(text, &span, s, offset);
    let example = r#"ChannelTimeout = "session:command=30s""#;
    let mut pairs = Vec::new();
    let mut rest = s.as_str();
    while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
        let offset = s.len() - rest.len() + start;
        let word = rest[start..]
            .split(char::is_whitespace)
            .next()
            .unwrap_or_default();
        rest = &rest[start + word.len()..];
        let problem = |message: String| Problem::new(at(offset), key, message).example(example);
        let Some((pattern, interval)) = word.split_once('=') else {
            return Err(problem(format!(
                "`{word}` is not a `type=interval` pair (sshd_config(5) ChannelTimeout)"
            )));
        };
        if pattern.is_empty() || !pattern.chars().all(type_char) {
            return Err(problem(format!(
                "`{pattern}` is not a channel type: write one such as `session:command`, \
                 `session:shell` or `session:*`"
            )));
        }
        let after = interval_of(interval).ok_or_else(|| {
            problem(format!(
                "`{interval}` is not an interval: write a duration such as `30s` or a number of seconds"
            ))
        })?;
        if after > MAX_DURATION {
            return Err(problem(format!("`{interval}` is too long ({OVER_MAX})")));
        }
        pairs.push(ChannelTimeout {
            pattern: pattern.to_owned(),
            after,
        });
    }
    if pairs.is_empty() {
        return Err(Problem::new(
            span.start,
            key,
            "expected at least one `type=interval` pair".to_owned(),
        )
        .example(example));
    }
    Ok(pairs)
}

/// A duration, or whole seconds as sshd_config(5) writes them.
fn interval_of(text: &str) -> Option<Duration> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Some(text.parse().map_or(Duration::MAX, Duration::from_secs));
    }
    parse_duration(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &[(&str, u64)]) -> Vec<ChannelTimeout> {
        text.iter()
            .map(|(p, s)| ChannelTimeout {
                pattern: p.to_string(),
                after: Duration::from_secs(*s),
            })
            .collect()
    }

    #[test]
    fn the_first_matching_pattern_decides() {
        let t = pairs(&[("session:command", 5), ("session:*", 9)]);
        assert_eq!(
            timeout_for(&t, SESSION_COMMAND),
            Some(Duration::from_secs(5))
        );
        assert_eq!(timeout_for(&t, SESSION_SHELL), Some(Duration::from_secs(9)));
        assert_eq!(timeout_for(&t, "direct-tcpip"), None);
    }

    #[test]
    fn zero_switches_a_type_off_and_shadows_later_pairs() {
        let t = pairs(&[("session:shell", 0), ("*", 3)]);
        assert_eq!(timeout_for(&t, SESSION_SHELL), None);
        assert_eq!(
            timeout_for(&t, SESSION_COMMAND),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn wildcards_match_as_sshd_matches() {
        assert!(matches("session:*", "session:command"));
        assert!(matches("*", ""));
        assert!(matches("session:?hell", "session:shell"));
        assert!(!matches("session:?", "session:shell"));
        assert!(!matches("session", "session:shell"));
    }

    #[test]
    fn sshd_config_takes_whole_seconds_and_zero_only_for_off() {
        let t = |ms| ChannelTimeout {
            pattern: "session:*".into(),
            after: Duration::from_millis(ms),
        };
        assert_eq!(t(1500).to_sshd_config(), "session:*=1");
        assert_eq!(t(300).to_sshd_config(), "session:*=1");
        assert_eq!(t(0).to_sshd_config(), "session:*=0");
    }
}
