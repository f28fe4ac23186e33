//! Network faults as a step's `net` writes them: `partition`,
//! `partition client->server`, `heal`, `hold`, `release`, `latency 200ms`,
//! `crash server`, `restart client`, ...
//!
//! Words are separated by spaces; `client -> server` may be spaced out.
//! [`fmt::Display`] writes the canonical form that [`FromStr`] reads back.

use std::fmt;
use std::str::FromStr;

use crate::duration::{EXPECTED_DURATION, format_duration, parse_duration};
use crate::model::{Host, NetFault};

/// Every form a fault can take, as listed in error messages.
pub const NET_FAULT_FORMS: [&str; 11] = [
    "partition",
    "partition client->server",
    "partition server->client",
    "heal",
    "hold",
    "release",
    "latency 200ms",
    "crash server",
    "restart server",
    "crash client",
    "restart client",
];

/// Text that names no network fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseNetFaultError {
    /// Byte offset of the offending word in the text.
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for ParseNetFaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseNetFaultError {}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Host::Client => "client",
            Host::Server => "server",
        })
    }
}

impl fmt::Display for NetFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetFault::Partition => f.write_str("partition"),
            NetFault::PartitionOneWay { from, to } => write!(f, "partition {from}->{to}"),
            NetFault::Heal => f.write_str("heal"),
            NetFault::Hold => f.write_str("hold"),
            NetFault::Release => f.write_str("release"),
            NetFault::Latency(d) => write!(f, "latency {}", format_duration(*d)),
            NetFault::Crash(host) => write!(f, "crash {host}"),
            NetFault::Restart(host) => write!(f, "restart {host}"),
        }
    }
}

impl FromStr for NetFault {
    type Err = ParseNetFaultError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let words = words(text);
        let fail = |offset, message| Err(ParseNetFaultError { offset, message });
        let Some(&(verb_at, verb)) = words.first() else {
            return fail(
                0,
                format!(
                    "expected a network fault such as `partition`, found `{text}`; the faults are {}",
                    crate::keys::list(&NET_FAULT_FORMS)
                ),
            );
        };
        let args = &words[1..];
        // Where the arguments start, or the end of the text when there are none.
        let args_at = args.first().map_or(text.len(), |&(at, _)| at);
        match verb {
            "partition" => {
                let joined: String = args.iter().map(|&(_, w)| w).collect();
                match joined.as_str() {
                    "" => Ok(NetFault::Partition),
                    "client->server" => Ok(NetFault::PartitionOneWay {
                        from: Host::Client,
                        to: Host::Server,
                    }),
                    "server->client" => Ok(NetFault::PartitionOneWay {
                        from: Host::Server,
                        to: Host::Client,
                    }),
                    _ => fail(
                        args_at,
                        format!(
                            "`partition` takes nothing, `client->server` or `server->client`, found `{}`",
                            &text[args_at..].trim_end()
                        ),
                    ),
                }
            }
            "heal" | "hold" | "release" => match args.first() {
                None => Ok(match verb {
                    "heal" => NetFault::Heal,
                    "hold" => NetFault::Hold,
                    _ => NetFault::Release,
                }),
                Some(&(at, _)) => fail(
                    at,
                    format!("`{verb}` takes nothing, found `{}`", text[at..].trim_end()),
                ),
            },
            "latency" => match args {
                [(at, word)] => parse_duration(word).map(NetFault::Latency).or_else(|e| {
                    fail(
                        *at,
                        format!("`latency` takes {EXPECTED_DURATION}, {}", e.found_text()),
                    )
                }),
                _ => fail(
                    args_at,
                    format!(
                        "`latency` takes one duration such as `200ms`, found `{}`",
                        text[args_at..].trim_end()
                    ),
                ),
            },
            "crash" | "restart" => {
                let host = match args {
                    [(_, "client")] => Some(Host::Client),
                    [(_, "server")] => Some(Host::Server),
                    _ => None,
                };
                match host {
                    Some(host) if verb == "crash" => Ok(NetFault::Crash(host)),
                    Some(host) => Ok(NetFault::Restart(host)),
                    None => fail(
                        args_at,
                        format!(
                            "`{verb}` takes `client` or `server`, found `{}`",
                            text[args_at..].trim_end()
                        ),
                    ),
                }
            }
            _ => {
                let verbs = [
                    "partition",
                    "heal",
                    "hold",
                    "release",
                    "latency",
                    "crash",
                    "restart",
                ];
                let guess = crate::keys::closest(verb, &verbs)
                    .map(|v| format!(" (did you mean `{v}`?)"))
                    .unwrap_or_default();
                fail(
                    verb_at,
                    format!(
                        "unknown network fault `{verb}`{guess}; the faults are {}",
                        crate::keys::list(&NET_FAULT_FORMS)
                    ),
                )
            }
        }
    }
}

/// The words of `text` with their byte offsets; `->` is a word of its own.
fn words(text: &str) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                words.push((s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, &text[s..]));
    }
    words
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn parses_every_form() {
        let cases = [
            ("partition", NetFault::Partition),
            (
                "partition client->server",
                NetFault::PartitionOneWay {
                    from: Host::Client,
                    to: Host::Server,
                },
            ),
            (
                "partition  server -> client",
                NetFault::PartitionOneWay {
                    from: Host::Server,
                    to: Host::Client,
                },
            ),
            ("heal", NetFault::Heal),
            (" hold ", NetFault::Hold),
            ("release", NetFault::Release),
            (
                "latency 200ms",
                NetFault::Latency(Duration::from_millis(200)),
            ),
            ("crash server", NetFault::Crash(Host::Server)),
            ("restart server", NetFault::Restart(Host::Server)),
            ("crash client", NetFault::Crash(Host::Client)),
            ("restart client", NetFault::Restart(Host::Client)),
        ];
        for (text, fault) in cases {
            assert_eq!(text.parse(), Ok(fault.clone()), "{text}");
            assert_eq!(fault.to_string().parse(), Ok(fault), "{text}");
        }
    }

    #[test]
    fn display_is_the_listed_form() {
        for form in NET_FAULT_FORMS {
            assert_eq!(form.parse::<NetFault>().unwrap().to_string(), form);
        }
    }

    #[test]
    fn errors_point_at_the_offending_word() {
        let err = "partiton".parse::<NetFault>().unwrap_err();
        assert_eq!(err.offset, 0);
        assert_eq!(
            err.message,
            "unknown network fault `partiton` (did you mean `partition`?); the faults are \
             `partition`, `partition client->server`, `partition server->client`, `heal`, \
             `hold`, `release`, `latency 200ms`, `crash server`, `restart server`, \
             `crash client` and `restart client`"
        );
        let err = "latency 200".parse::<NetFault>().unwrap_err();
        assert_eq!(err.offset, 8);
        assert_eq!(
            err.message,
            "`latency` takes a duration such as `30s`, `250ms` or `1.5s`, \
             found `200` (a number needs a unit: `200s`)"
        );
        let err = "crash router".parse::<NetFault>().unwrap_err();
        assert_eq!(
            (err.offset, err.message.as_str()),
            (6, "`crash` takes `client` or `server`, found `router`")
        );
        let err = "partition client".parse::<NetFault>().unwrap_err();
        assert_eq!(err.offset, 10);
        let err = "heal now".parse::<NetFault>().unwrap_err();
        assert_eq!(
            (err.offset, err.message.as_str()),
            (5, "`heal` takes nothing, found `now`")
        );
        let err = "latency".parse::<NetFault>().unwrap_err();
        assert_eq!(err.offset, 7);
        assert!("".parse::<NetFault>().is_err());
        assert!("   ".parse::<NetFault>().is_err());
    }
}
