//! Mutants of scenario files: byte flips, deleted and duplicated lines,
//! values swapped with each other and with hostile ones (huge numbers,
//! empty strings, zero, negatives, very long strings, nested tables), and
//! hostile lines added. Deterministic: the same seed gives the same
//! mutants on every machine.

/// splitmix64: a small generator whose sequence is fixed by its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n` above 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Values that have broken parsers and simulations before, or could.
pub fn hostile_values() -> Vec<String> {
    let mut values: Vec<String> = [
        "0",
        "-1",
        "1",
        "255",
        "256",
        "4294967296",
        "9223372036854775807",
        "-9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "1e308",
        "nan",
        "inf",
        "-inf",
        "1.5",
        "true",
        "\"\"",
        "\"0\"",
        "\"0s\"",
        "\"-1s\"",
        "\"1ns\"",
        "\"1ms\"",
        "\"18446744073709551615s\"",
        "\"9223372036854775807ms\"",
        "\"99999999999999h\"",
        "\"1e308s\"",
        "\"0s..0s\"",
        "\"5s..1s\"",
        "\"0ms..18446744073709551615ms\"",
        "\"0..18446744073709551615\"",
        "\"18446744073709551615KiB\"",
        "\"9999999999GiB\"",
        "\"0B\"",
        "\"none\"",
        "\"some\"",
        "\"hangar:drain=18446744073709551615s\"",
        "\"hangar:drain=0s\"",
        "\"ssh server 'sleep 18446744073709551615'\"",
        "\"ssh server 'sleep 99999999 &'\"",
        "\"ssh server 'yes'\"",
        "\"ssh server 'head -c 18446744073709551615 big'\"",
        "\"sh -c 'sh -c \\\"sh -c true\\\"'\"",
        "\"^C^Z^D^\\\\\"",
        "\"0x0\"",
        "\"99999x99999\"",
        "\"65536x65536\"",
        "'(((((((((('",
        "'.*.*.*.*.*.*.*.*.*.*'",
        "[]",
        "[\"\"]",
        "[[[[[[1]]]]]]",
        "{}",
        "{ a = { b = { c = { d = 1 } } } }",
        "{ exit = 256 }",
        "{ exit = -1, within = \"0s\" }",
        "{ exit = 0, after = \"9999999999999s\", within = \"1s\" }",
        "{ screen = '', timeout = \"18446744073709551615s\" }",
        "{ trace = '(', timeout = \"1s\" }",
        "{ big = \"18446744073709551615\" }",
        "{ \"\" = 1 }",
        "\"\\u0000\"",
        "\"é🦀\"",
    ]
    .iter()
    .map(|v| v.to_string())
    .collect();
    values.push(format!("\"{}\"", "a".repeat(100_000)));
    values.push(format!("\"{}\"", "x ".repeat(20_000)));
    values.push(format!("{}{}", "[".repeat(500), "]".repeat(500)));
    values.push(format!("{}1{}", "{ a = ".repeat(200), " }".repeat(200)));
    values
}

/// Whole lines that a mutant may gain.
pub fn hostile_lines() -> Vec<String> {
    [
        "[client]\nServerAliveInterval = 9223372036854775807",
        "[client]\nServerAliveInterval = 1\nServerAliveCountMax = 4294967295",
        "[client]\nConnectTimeout = 18446744073709551615",
        "[server]\nClientAliveInterval = 9223372036854775807",
        "[server]\nClientAliveInterval = 1\nClientAliveCountMax = 0",
        "[server]\nDropbearKeepalive = \"18446744073709551615s\"",
        "[world]\nhorizon = \"18446744073709551615s\"",
        "[world]\ntick = \"1ns\"",
        "[world]\ntick = \"999999h\"",
        "[world]\nlatency = \"18446744073709551615s\"",
        "[world]\nlatency = \"0s..999999h\"",
        "[world]\nbandwidth = 1",
        "[world]\nbandwidth = \"18446744073709551615KiB\"",
        "[world]\npipe_buffer = 1",
        "[world]\npipe_buffer = \"18446744073709551615\"",
        "[world]\nwindow = 0",
        "[world]\nwindow = \"18446744073709551615\"",
        "[world]\nwrite_pacing = \"999999h\"",
        "[world]\nlinger = \"18446744073709551615s\"",
        "[world]\nretransmission_timeout = \"0s\"",
        "[world]\nfiles = { big = \"18446744073709551615\" }",
        "[world]\nfiles = { big = \"1GiB\" }",
        "[seeds]\ncount = 18446744073709551615\nlost_bytes = { openssh = \"none\" }",
        "[seeds]\ncount = 0",
        "[[step]]\nat = \"18446744073709551615s\"\nrun = \"true\"",
        "[[step]]\nnet = \"latency 18446744073709551615s\"",
        "[[step]]\nnet = \"partition\"",
        "[[step]]\nnet = \"crash server\"",
        "[[step]]\nnet = \"restart client\"",
        "[[step]]\nresize = \"0x0\"",
        "[[step]]\nresize = \"65535x65535\"",
        "[[step]]\ntype = \"^Z^Z^C^D^\\\\\\n\"",
        "[[step]]\nwait_for = { screen = 'x', timeout = \"18446744073709551615s\" }",
        "[[step]]\nrun = \"ssh server 'yes &'\"",
        "[[step]]\nrun = \"ssh -tt server 'sleep 1 &'\"",
        "[[step]]\nrun = \"timeout 0 ssh server 'sleep 5'\"",
        "[[step]]\nrun = \"kill -9 $$\"",
        "[expect]\nclient = { exit = \"none\" }",
        "[expect.\"hangar:drain=18446744073709551615s\"]\nlost_bytes = 0",
        "targets = [\"hangar:drain=0s\", \"hangar:drain=18446744073709551615s\"]",
    ]
    .iter()
    .map(|l| l.to_string())
    .collect()
}

/// One mutant of `text`: one to three edits.
pub fn mutate(text: &str, rng: &mut Rng, values: &[String], lines: &[String]) -> String {
    let mut out = text.to_string();
    for _ in 0..1 + rng.below(3) {
        out = match rng.below(6) {
            0 => flip_byte(&out, rng),
            1 => edit_line(&out, rng, |_, _| None),
            2 => edit_line(&out, rng, |line, _| Some(format!("{line}\n{line}"))),
            3 => {
                let value = rng.pick(values).clone();
                replace_value(&out, rng, value)
            }
            4 => {
                // Another line's value.
                let others: Vec<&str> = out.lines().filter_map(value_of).collect();
                if others.is_empty() {
                    out
                } else {
                    let value = rng.pick(&others).to_string();
                    replace_value(&out, rng, value)
                }
            }
            _ => {
                let line = rng.pick(lines).clone();
                format!("{out}\n{line}\n")
            }
        };
    }
    out
}

fn flip_byte(text: &str, rng: &mut Rng) -> String {
    let mut bytes = text.as_bytes().to_vec();
    if bytes.is_empty() {
        return text.to_string();
    }
    let i = rng.below(bytes.len());
    bytes[i] = match rng.below(3) {
        0 => bytes[i] ^ (1 << rng.below(8)),
        1 => *rng.pick(b"\"'[]{}=.,#\\\n0123456789-+:^ "),
        _ => rng.next_u64() as u8,
    };
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Replaces one line (chosen at random) by what `edit` returns, or drops it.
fn edit_line(text: &str, rng: &mut Rng, edit: impl Fn(&str, &mut Rng) -> Option<String>) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return text.to_string();
    }
    let at = rng.below(lines.len());
    let mut out = Vec::with_capacity(lines.len() + 1);
    for (i, line) in lines.iter().enumerate() {
        if i == at {
            if let Some(new) = edit(line, rng) {
                out.push(new);
            }
        } else {
            out.push(line.to_string());
        }
    }
    out.join("\n") + "\n"
}

/// The value of a `key = value` line.
fn value_of(line: &str) -> Option<&str> {
    let (key, value) = line.split_once('=')?;
    let key = key.trim();
    (!key.is_empty() && !key.starts_with('#') && !key.starts_with('[')).then(|| value.trim())
}

/// Replaces the value of one `key = value` line with `value`.
fn replace_value(text: &str, rng: &mut Rng, value: String) -> String {
    let candidates: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| value_of(l).is_some())
        .map(|(i, _)| i)
        .collect();
    if candidates.is_empty() {
        return text.to_string();
    }
    let at = *rng.pick(&candidates);
    text.lines()
        .enumerate()
        .map(|(i, line)| match line.split_once('=') {
            Some((key, _)) if i == at => format!("{key}= {value}"),
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The catalog's scenario files, as (path relative to the repository, text).
pub fn catalog() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    let mut dirs = vec![root.join("scenarios")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                let name = path.strip_prefix(&root).unwrap().display().to_string();
                files.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}
