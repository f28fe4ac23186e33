//! Every key of a scenario file: what it takes and an example, for error
//! messages, and the helpers that name keys and suggest near misses.
//!
//! The crate documentation (`lib.rs`) is the reference for people; this
//! table is the same reference for the loader. Keep them in step.

/// One key of the file format.
pub(crate) struct Key {
    /// Path with no step index and no target: `world.horizon`, `step.at`,
    /// `expect.client.exit`. Keys of `[expect.<target>]` are the keys of
    /// `[expect]`.
    pub path: &'static str,
    /// What the value must be, completing "expected ...".
    pub expected: &'static str,
    /// A line that is right.
    pub example: &'static str,
}

pub(crate) const KEYS: &[Key] = &[
    Key {
        path: "title",
        expected: "a non-empty string",
        example: r#"title = "A background job holding stdout keeps the session open""#,
    },
    Key {
        path: "source",
        expected: "the name of the seed document, a non-empty string",
        example: r#"source = "000_7bc76eb44a87564d.txt""#,
    },
    Key {
        path: "tags",
        expected: "an array of strings",
        example: r#"tags = ["pipes", "logout-hang"]"#,
    },
    Key {
        path: "targets",
        expected: "an array of target names",
        example: r#"targets = ["openssh", "dropbear", "hangar:drain=2s"]"#,
    },
    Key {
        path: "world",
        expected: "a table",
        example: "[world]\nhorizon = \"120s\"",
    },
    Key {
        path: "world.horizon",
        expected: crate::duration::EXPECTED_DURATION,
        example: r#"horizon = "120s""#,
    },
    Key {
        path: "world.latency",
        expected: DURATION_OR_RANGE,
        example: r#"latency = "1ms""#,
    },
    Key {
        path: "world.retransmission_timeout",
        expected: crate::duration::EXPECTED_DURATION,
        example: r#"retransmission_timeout = "924.6s""#,
    },
    Key {
        path: "world.bandwidth",
        expected: "a size per second such as `1MiB` or `125000`",
        example: r#"bandwidth = "1MiB""#,
    },
    Key {
        path: "world.linger",
        expected: crate::duration::EXPECTED_DURATION,
        example: r#"linger = "2s""#,
    },
    Key {
        path: "world.tick",
        expected: crate::duration::EXPECTED_DURATION,
        example: r#"tick = "1ms""#,
    },
    Key {
        path: "world.pipe_buffer",
        expected: SIZE_OR_RANGE,
        example: r#"pipe_buffer = "64KiB""#,
    },
    Key {
        path: "world.window",
        expected: SIZE_OR_RANGE,
        example: r#"window = "2MiB""#,
    },
    Key {
        path: "world.write_pacing",
        expected: DURATION_OR_RANGE,
        example: r#"write_pacing = "1ms""#,
    },
    Key {
        path: "world.files",
        expected: "a table of file names and sizes",
        example: r#"files = { big = "1MiB", "/var/log/app.log" = 4096 }"#,
    },
    Key {
        path: "world.files.*",
        expected: crate::size::EXPECTED_SIZE,
        example: r#"files = { big = "1MiB" }"#,
    },
    Key {
        path: "client",
        expected: "a table of ssh_config options",
        example: "[client]\nServerAliveInterval = \"1s\"",
    },
    Key {
        path: "client.ServerAliveInterval",
        expected: SSH_TIME,
        example: r#"ServerAliveInterval = "15s""#,
    },
    Key {
        path: "client.ServerAliveCountMax",
        expected: COUNT,
        example: "ServerAliveCountMax = 3",
    },
    Key {
        path: "client.ConnectTimeout",
        expected: SSH_TIME,
        example: r#"ConnectTimeout = "10s""#,
    },
    Key {
        path: "server",
        expected: "a table of server options",
        example: "[server]\nClientAliveInterval = \"1s\"",
    },
    Key {
        path: "server.ClientAliveInterval",
        expected: SSH_TIME,
        example: r#"ClientAliveInterval = "15s""#,
    },
    Key {
        path: "server.ClientAliveCountMax",
        expected: COUNT,
        example: "ClientAliveCountMax = 3",
    },
    Key {
        path: "server.DropbearKeepalive",
        expected: SSH_TIME,
        example: r#"DropbearKeepalive = "5s""#,
    },
    Key {
        path: "server.KillUserProcesses",
        expected: "`true` or `false`",
        example: "KillUserProcesses = true",
    },
    Key {
        path: "server.ChannelTimeout",
        expected: "`type=interval` pairs such as `session:command=30s`",
        example: r#"ChannelTimeout = "session:command=30s""#,
    },
    Key {
        path: "server.UnusedConnectionTimeout",
        expected: SSH_TIME,
        example: r#"UnusedConnectionTimeout = "10s""#,
    },
    Key {
        path: "server.DropbearIdleTimeout",
        expected: SSH_TIME,
        example: r#"DropbearIdleTimeout = "30s""#,
    },
    Key {
        path: "step",
        expected: "an array of tables, each written `[[step]]`",
        example: "[[step]]\nat = \"0s\"\nrun = \"ssh server 'sleep 30 &'\"",
    },
    // Optional: a step without `at` happens right after the previous step
    // (the first at `0s`), and gets its `at`.
    Key {
        path: "step.at",
        expected: DURATION_OR_RANGE,
        example: r#"at = "30s""#,
    },
    Key {
        path: "step.run",
        expected: "a command line such as `ssh server 'sleep 30 &'`",
        example: r#"run = "ssh server 'sleep 30 &'""#,
    },
    Key {
        path: "step.net",
        expected: "a network fault such as `partition`",
        example: r#"net = "partition""#,
    },
    Key {
        path: "step.type",
        expected: "keystrokes such as `ls\\n` or `sleep 100^Z` (a newline is Enter, `^C` a \
                   control key, `^^` a `^`)",
        example: r#"type = "sleep 100^Z""#,
    },
    Key {
        path: "step.resize",
        expected: "a terminal size written COLSxROWS, such as `120x40`",
        example: r#"resize = "120x40""#,
    },
    Key {
        path: "step.wait_for",
        expected: "a table with one of `screen`, `trace`, `started` and `ended`, and `timeout`",
        example: WAIT_FOR,
    },
    Key {
        path: "step.wait_for.screen",
        expected: "a regex the client's screen must match, such as `server\\$ $`",
        example: WAIT_FOR,
    },
    Key {
        path: "step.wait_for.trace",
        expected: "a regex a line of the trace must match, such as `-> CLOSE`",
        example: r#"wait_for = { trace = "-> CLOSE", timeout = "5s" }"#,
    },
    Key {
        path: "step.wait_for.started",
        expected: "a program's name, such as `sleep`, with `host`",
        example: WAIT_STARTED,
    },
    Key {
        path: "step.wait_for.ended",
        expected: "a program's name, such as `ssh`, with `host`",
        example: r#"wait_for = { ended = "ssh", host = "client", timeout = "5s" }"#,
    },
    Key {
        path: "step.wait_for.host",
        expected: "`client` or `server`, the host of `started` or `ended`",
        example: WAIT_STARTED,
    },
    Key {
        path: "step.wait_for.timeout",
        expected: crate::duration::EXPECTED_DURATION,
        example: WAIT_FOR,
    },
    Key {
        path: "seeds",
        expected: "a table",
        example: "[seeds]\ncount = 200\nlost_bytes = { \"hangar:close-on-exit\" = \"some\", openssh = \"none\" }",
    },
    Key {
        path: "seeds.count",
        expected: "a whole number of seeds, at least 1",
        example: "count = 200",
    },
    Key {
        path: "seeds.lost_bytes",
        expected: "a table of target names and `none`, `some` or `all`",
        example: r#"lost_bytes = { "hangar:close-on-exit" = "some", openssh = "none" }"#,
    },
    Key {
        path: "expect",
        expected: "a table",
        example: "[expect]\nclient = { exit = 0, within = \"31s\" }",
    },
    Key {
        path: "expect.client",
        expected: "a table with `exit` or `exit_any`, `after` and `within`",
        example: r#"client = { exit = 0, after = "30s", within = "31s" }"#,
    },
    Key {
        path: "expect.client.exit",
        expected: "an exit code from 0 to 255, or \"none\"",
        example: r#"client = { exit = 0 }"#,
    },
    Key {
        path: "expect.client.exit_any",
        expected: "a non-empty array of exit codes from 0 to 255",
        example: r#"client = { exit_any = [0, 255] }"#,
    },
    Key {
        path: "expect.client.after",
        expected: crate::duration::EXPECTED_DURATION,
        example: r#"client = { exit = 0, after = "30s" }"#,
    },
    Key {
        path: "expect.client.within",
        expected: crate::duration::EXPECTED_DURATION,
        example: r#"client = { exit = 0, within = "31s" }"#,
    },
    Key {
        path: "expect.lost_bytes",
        expected: crate::size::EXPECTED_SIZE,
        example: "lost_bytes = 0",
    },
    Key {
        path: "expect.stdout_bytes",
        expected: crate::size::EXPECTED_SIZE,
        example: "stdout_bytes = 5",
    },
    Key {
        path: "expect.stderr_bytes",
        expected: crate::size::EXPECTED_SIZE,
        example: "stderr_bytes = 5",
    },
    Key {
        path: "expect.survivors",
        expected: "an array of process names",
        example: r#"survivors = ["sleep"]"#,
    },
    Key {
        path: "expect.screen",
        expected: "an array of regexes the client's final screen must each match",
        example: r"screen = ['server\$ $']",
    },
    Key {
        path: "expect.stdout",
        expected: "an array of regexes what the client wrote to its stdout must each match",
        example: r"stdout = ['\Aout\n\z']",
    },
    Key {
        path: "expect.stderr",
        expected: "an array of regexes what the client wrote to its stderr must each match",
        example: r"stderr = ['^oops$']",
    },
    Key {
        path: "expect.order",
        expected: "an array of teardown events in the order they must happen",
        example: r#"order = ["exit-status", "eof", "close"]"#,
    },
    Key {
        path: "expect.order_any",
        expected: "a non-empty array of orders (arrays of teardown events), one of which must hold",
        example: r#"order_any = [["exit-status", "eof"], ["eof", "exit-status"]]"#,
    },
    Key {
        path: "expect.survivors_any",
        expected: "a non-empty array of arrays of process names, one of which must be the survivors",
        example: r#"survivors_any = [[], ["sleep"]]"#,
    },
    Key {
        path: "expect.files",
        expected: "a table of `host:path` to `exists`, `absent`, `directory` or `{ size = <bytes> }`",
        example: r#"files = { "server:done" = "exists", "client:copy" = { size = "1MiB" } }"#,
    },
];

const WAIT_FOR: &str = r#"wait_for = { screen = 'server\$ $', timeout = "5s" }"#;
const WAIT_STARTED: &str = r#"wait_for = { started = "sleep", host = "server", timeout = "5s" }"#;

const SSH_TIME: &str = "a duration such as `30s`, or a number of seconds";
const COUNT: &str = "a whole number such as `3`";
const DURATION_OR_RANGE: &str =
    "a duration such as `30s`, `250ms` or `1.5s`, or a range of durations such as `1ms..50ms`";
const SIZE_OR_RANGE: &str =
    "a size in bytes such as `4096` or `64KiB`, or a range of sizes such as `4KiB..64KiB`";

/// The keys that take a range (each seed draws a value from it), with a
/// range each could take, for examples. Every other key takes one value.
pub(crate) const RANGE_KEYS: [(&str, &str); 5] = [
    ("world.latency", "1ms..50ms"),
    ("world.pipe_buffer", "4KiB..64KiB"),
    ("world.window", "32KiB..2MiB"),
    ("world.write_pacing", "0ms..5ms"),
    ("step.at", "1s..3s"),
];

/// A range that the key at `path` (`step[2].at`) could take, if it takes
/// ranges.
pub(crate) fn range_sample(path: &str) -> Option<&'static str> {
    let normal = normalize(path);
    RANGE_KEYS
        .iter()
        .find(|(key, _)| *key == normal)
        .map(|(_, sample)| *sample)
}

/// The entry for a key path such as `step[2].at` or
/// `expect."hangar:wait-eof".client.exit`.
pub(crate) fn info(path: &str) -> Option<&'static Key> {
    let normal = normalize(path);
    KEYS.iter().find(|k| k.path == normal)
}

/// `step[2].at` -> `step.at`; `expect.dropbear.lost_bytes` ->
/// `expect.lost_bytes`; `world.files.big` -> `world.files.*`.
fn normalize(path: &str) -> String {
    let mut parts: Vec<String> = split(path)
        .into_iter()
        .map(|p| match p.find('[') {
            Some(i) => p[..i].to_owned(),
            None => p,
        })
        .collect();
    if parts.len() >= 2 && parts[0] == "expect" && !is_expect_key(&parts[1]) {
        parts.remove(1);
    }
    if parts.len() == 3 && parts[0] == "world" && parts[1] == "files" {
        parts[2] = "*".to_owned();
    }
    parts.join(".")
}

fn is_expect_key(name: &str) -> bool {
    children("expect").contains(&name)
}

/// Splits a key path at the dots that are not inside quotes.
fn split(path: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut quoted = false;
    for c in path.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(String::new()),
            _ => {
                if let Some(last) = parts.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    parts
}

/// The keys directly inside a table (`""` is the top level).
pub(crate) fn children(table: &str) -> Vec<&'static str> {
    let prefix = if table.is_empty() {
        String::new()
    } else {
        format!("{table}.")
    };
    KEYS.iter()
        .filter_map(|k| k.path.strip_prefix(prefix.as_str()))
        .filter(|rest| !rest.contains('.'))
        .collect()
}

/// How a table is named in messages: `[world]`, `the top level`.
pub(crate) fn table_name(table: &str) -> String {
    match table {
        "" => "the top level".to_owned(),
        "step" => "[[step]]".to_owned(),
        _ if table.starts_with("step.") => format!("`{}` in [[step]]", &table["step.".len()..]),
        _ => format!("[{table}]"),
    }
}

/// `key` as one segment of a key path, quoted when it is not a bare key.
pub(crate) fn segment(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

/// "`a`, `b` and `c`".
pub(crate) fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// The candidate closest to `word`, if it is close enough to be what was
/// meant: equal ignoring case, or a few edits away.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (edit_distance(&word, &c.to_lowercase()), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance in characters, where swapping two neighbours is one edit
/// (optimal string alignment: `titel` is one edit from `title`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: distance between a[..i] and b[..j].
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_by_path() {
        assert_eq!(info("step[2].at").unwrap().example, r#"at = "30s""#);
        assert_eq!(info("world.horizon").unwrap().path, "world.horizon");
        assert_eq!(
            info("expect.\"hangar:close-on-exit\".client.exit")
                .unwrap()
                .path,
            "expect.client.exit"
        );
        assert_eq!(
            info("expect.dropbear.lost_bytes").unwrap().path,
            "expect.lost_bytes"
        );
        assert_eq!(info("expect.client").unwrap().path, "expect.client");
        assert_eq!(info("world.files.big").unwrap().path, "world.files.*");
        assert_eq!(
            info("step[3].wait_for.timeout").unwrap().path,
            "step.wait_for.timeout"
        );
        assert_eq!(
            info("expect.\"hangar:wait-eof\".screen").unwrap().path,
            "expect.screen"
        );
        assert!(info("nope").is_none());
    }

    #[test]
    fn knows_which_keys_take_ranges() {
        assert_eq!(range_sample("step[3].at"), Some("1s..3s"));
        assert_eq!(range_sample("world.pipe_buffer"), Some("4KiB..64KiB"));
        assert_eq!(range_sample("world.horizon"), None);
        for (path, _) in RANGE_KEYS {
            assert!(info(path).is_some(), "{path}");
        }
    }

    #[test]
    fn lists_the_keys_of_a_table() {
        assert_eq!(
            children(""),
            [
                "title", "source", "tags", "targets", "world", "client", "server", "step", "seeds",
                "expect"
            ]
        );
        assert_eq!(
            children("step"),
            ["at", "run", "net", "type", "resize", "wait_for"]
        );
        assert_eq!(
            children("step.wait_for"),
            ["screen", "trace", "started", "ended", "host", "timeout"]
        );
        assert_eq!(
            children("expect.client"),
            ["exit", "exit_any", "after", "within"]
        );
        assert_eq!(
            children("expect"),
            [
                "client",
                "lost_bytes",
                "stdout_bytes",
                "stderr_bytes",
                "survivors",
                "screen",
                "stdout",
                "stderr",
                "order",
                "order_any",
                "survivors_any",
                "files"
            ]
        );
        assert_eq!(
            children("server"),
            [
                "ClientAliveInterval",
                "ClientAliveCountMax",
                "DropbearKeepalive",
                "KillUserProcesses",
                "ChannelTimeout",
                "UnusedConnectionTimeout",
                "DropbearIdleTimeout"
            ]
        );
    }

    #[test]
    fn quotes_segments_that_are_not_bare_keys() {
        assert_eq!(segment("dropbear"), "dropbear");
        assert_eq!(segment("hangar:wait-eof"), "\"hangar:wait-eof\"");
        assert_eq!(segment(""), "\"\"");
    }

    #[test]
    fn lists_read_like_prose() {
        assert_eq!(list(&[]), "");
        assert_eq!(list(&["a"]), "`a`");
        assert_eq!(list(&["a", "b"]), "`a` and `b`");
        assert_eq!(list(&["a", "b", "c"]), "`a`, `b` and `c`");
    }

    #[test]
    fn suggests_near_misses_only() {
        let keys = children("world");
        assert_eq!(closest("horizn", &keys), Some("horizon"));
        assert_eq!(closest("Horizon", &keys), Some("horizon"));
        assert_eq!(closest("colour", &keys), None);
        assert_eq!(closest("titel", &children("")), Some("title"));
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            closest("serveraliveinterval", &children("client")),
            Some("ServerAliveInterval")
        );
    }
}
