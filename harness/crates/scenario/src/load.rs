//! From TOML text to a validated [`Scenario`].
//!
//! Two passes. serde reads the text into the shapes of `raw.rs` and rejects
//! what has the wrong shape (a misspelt key, `[step]` for `[[step]]`); its
//! errors are reworded here in the terms of the file format. Then every
//! value is checked and converted. When several values are wrong, the one
//! that comes first in the file is reported, so that fixing errors top to
//! bottom always shows the next one.

use std::ops::Range;
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::commands;
use crate::duration::{format_duration, parse_duration};
use crate::fault::NET_FAULT_FORMS;
use crate::error::LoadError;
use crate::keys::{self, segment};
use crate::model::{
    Action, ClientExpect, ClientOptions, Expect, ExitExpect, NetFault, NetOptions, Scenario,
    ServerOptions, Step, VirtualFile, World,
};
use crate::position::{line_col, string_offset};
use crate::raw::{
    Leaf, RawClient, RawClientExpect, RawExpect, RawExpectSection, RawScenario, RawServer,
    RawStep, RawWorld,
};
use crate::size::parse_size;
use crate::target::{TARGET_FORMS, Target};

/// Default of `world.horizon`.
pub(crate) const DEFAULT_HORIZON: Duration = Duration::from_secs(120);
/// Default of `world.latency`.
pub(crate) const DEFAULT_LATENCY: Duration = Duration::from_millis(1);
/// Default of `world.retransmission_timeout`: Linux tcp_retries2=15 with a
/// 200 ms minimum RTO, tcp(7).
pub(crate) const DEFAULT_RETRANSMISSION_TIMEOUT: Duration = Duration::from_millis(924_600);
/// Default of `ServerAliveCountMax` (ssh_config(5)) and
/// `ClientAliveCountMax` (sshd_config(5)).
pub(crate) const DEFAULT_ALIVE_COUNT_MAX: u32 = 3;

/// Loads `text`, the contents of the scenario file `file`.
pub(crate) fn load(file: &str, text: &str) -> Result<Scenario, LoadError> {
    let raw: RawScenario = toml::from_str(text).map_err(|e| from_toml(text, &e).error(file, text))?;
    let mut checker = Checker {
        text,
        problems: Vec::new(),
    };
    let scenario = checker.scenario(file, &raw);
    // The first in the file; among equals, the first found.
    match checker.problems.into_iter().min_by_key(|p| p.offset) {
        Some(p) => Err(p.error(file, text)),
        None => Ok(scenario),
    }
}

/// A problem at a byte offset of the file; becomes a [`LoadError`].
#[derive(Debug)]
struct Problem {
    offset: usize,
    key: Option<String>,
    message: String,
    example: Option<String>,
}

impl Problem {
    fn new(offset: usize, key: &str, message: String) -> Problem {
        Problem {
            offset,
            key: Some(key.to_owned()),
            message,
            example: keys::info(key).map(|k| k.example.to_owned()),
        }
    }

    fn example(mut self, example: impl Into<String>) -> Problem {
        self.example = Some(example.into());
        self
    }

    fn error(self, file: &str, text: &str) -> LoadError {
        LoadError::at(file, text, self.offset, self.key, self.message, self.example)
    }
}

type Value = Spanned<Leaf>;

// ----- serde's errors, reworded -------------------------------------------

/// A TOML syntax error or a serde shape error, in the words of the format.
fn from_toml(text: &str, err: &toml::de::Error) -> Problem {
    let span = err.span().unwrap_or(0..0);
    let offset = span.start;
    let path = key_path_at(text, offset);
    let message = err.message();
    if let (Some(rest), Some(path)) = (message.strip_prefix("unknown field `"), &path) {
        let name = rest.split('`').next().unwrap_or(rest);
        let table = path.rsplit_once('.').map_or("", |(table, _)| table);
        return unknown_key(offset, table, name);
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let (found, serde_expected) = rest.split_once(", expected ").unwrap_or((rest, "?"));
        let found = serde_found(found);
        let key_info = path.as_deref().and_then(keys::info);
        let expected = key_info.map_or(serde_expected, |k| k.expected);
        return Problem {
            offset,
            key: path,
            message: format!("expected {expected}, found {found}"),
            example: key_info.map(|k| k.example.to_owned()),
        };
    }
    // A syntax error; toml's own words are precise ("invalid basic
    // string, expected `\"`").
    let key = match message {
        "duplicate key" => text.get(span).map(str::to_owned).or(path),
        _ => path,
    };
    let message = match message {
        "duplicate key" => "this key is already set above".to_owned(),
        _ => message.to_owned(),
    };
    Problem {
        offset,
        key,
        message,
        example: None,
    }
}

/// serde's `Unexpected` (`integer `3``, `map`) in the words of [`Leaf::describe`].
fn serde_found(found: &str) -> String {
    let described = |prefix: &str| found.strip_prefix(prefix).map(str::to_owned);
    match found {
        "map" => "a table".to_owned(),
        "sequence" => "an array".to_owned(),
        _ => described("integer ")
            .map(|n| format!("the integer {n}"))
            .or_else(|| described("floating point ").map(|x| format!("the number {x}")))
            .or_else(|| described("boolean "))
            .or_else(|| {
                described("string ")
                    .map(|s| format!("`{}`", s.trim_matches('"')))
            })
            .unwrap_or_else(|| found.to_owned()),
    }
}

/// The dotted path of the key or value at byte `offset`: `world.horizn`,
/// `step[2].at`, `expect."hangar:wait-eof".client`. Steps count from 1.
fn key_path_at(text: &str, offset: usize) -> Option<String> {
    let (root, _) = DeTable::parse_recoverable(text);
    let mut best = None;
    walk_table(root.get_ref(), "", offset, &mut best);
    best.map(|(_, path)| path)
}

/// The smallest span containing the offset wins: a key or a value inside an
/// inline table is more precise than the table.
type Best = Option<(usize, String)>;

fn walk_table(table: &DeTable<'_>, prefix: &str, offset: usize, best: &mut Best) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            segment(key.get_ref())
        } else {
            format!("{prefix}.{}", segment(key.get_ref()))
        };
        consider(key.span(), &path, offset, best);
        walk_value(value, &path, offset, best);
    }
}

fn walk_value(value: &Spanned<DeValue<'_>>, path: &str, offset: usize, best: &mut Best) {
    consider(value.span(), path, offset, best);
    match value.get_ref() {
        DeValue::Table(table) => walk_table(table, path, offset, best),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_value(item, &format!("{path}[{}]", i + 1), offset, best);
            }
        }
        _ => {}
    }
}

fn consider(span: Range<usize>, path: &str, offset: usize, best: &mut Best) {
    let inside = span.contains(&offset) || (span.is_empty() && span.start == offset);
    if inside && best.as_ref().is_none_or(|(len, _)| span.len() <= *len) {
        *best = Some((span.len(), path.to_owned()));
    }
}

/// "unknown key `horizn` (did you mean `horizon`?); the keys of [world]
/// are ...". `table` is the path of the table the key is in.
fn unknown_key(offset: usize, table: &str, name: &str) -> Problem {
    let path = if table.is_empty() {
        segment(name)
    } else {
        format!("{table}.{}", segment(name))
    };
    let table_info = keys::info(table);
    let kind = table_info.map_or(table.to_owned(), |k| k.path.to_owned());
    let valid = keys::children(if table.is_empty() { "" } else { &kind });
    let guess = keys::closest(name, &valid);
    let mut message = format!("unknown key `{name}`");
    if let Some(guess) = guess {
        message.push_str(&format!(" (did you mean `{guess}`?)"));
    }
    message.push_str(&format!(
        "; the keys of {} are {}",
        keys::table_name(&strip_index(table)),
        keys::list(&valid)
    ));
    if kind == "expect" {
        message.push_str(", and a table per target such as [expect.dropbear]");
    }
    let example = match guess {
        Some(guess) => keys::info(&format!("{kind}.{guess}").trim_start_matches('.'))
            .map(|k| k.example.to_owned()),
        None => table_info.map(|k| k.example.to_owned()),
    };
    Problem {
        offset,
        key: Some(path),
        message,
        example,
    }
}

/// `step[2]` -> `step`, for naming the table.
fn strip_index(table: &str) -> String {
    match table.find('[') {
        Some(i) if table.starts_with("step") => table[..i].to_owned(),
        _ => table.to_owned(),
    }
}

// ----- values -------------------------------------------------------------

/// "expected <what the key takes>, found <value>".
fn expected(v: &Value, key: &str) -> Problem {
    let what = keys::info(key).map_or("something else", |k| k.expected);
    Problem::new(
        v.span().start,
        key,
        format!("expected {what}, found {}", v.get_ref().describe()),
    )
}

/// The last segment of a key path, for examples: `step[2].at` -> `at`.
fn last_segment(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

fn string(v: &Value, key: &str) -> Result<String, Problem> {
    match v.get_ref() {
        Leaf::Str(s) => Ok(s.clone()),
        _ => Err(expected(v, key)),
    }
}

fn non_empty(v: &Value, key: &str) -> Result<String, Problem> {
    match v.get_ref() {
        Leaf::Str(s) if !s.trim().is_empty() => Ok(s.clone()),
        _ => Err(expected(v, key)),
    }
}

fn duration(v: &Value, key: &str) -> Result<Duration, Problem> {
    let name = last_segment(key);
    match v.get_ref() {
        Leaf::Str(s) => parse_duration(s).map_err(|e| {
            let p = Problem::new(v.span().start, key, e.to_string());
            match e.suggestion() {
                Some(fix) => p.example(format!("{name} = \"{fix}\"")),
                None => p,
            }
        }),
        Leaf::Int(n) => Err(expected(v, key).example(format!("{name} = \"{n}s\""))),
        _ => Err(expected(v, key)),
    }
}

/// An ssh_config(5) TIME: a duration, or a number of seconds as an
/// integer or a string of digits.
fn ssh_time(v: &Value, key: &str) -> Result<Duration, Problem> {
    match v.get_ref() {
        Leaf::Int(n) => u64::try_from(*n)
            .map(Duration::from_secs)
            .map_err(|_| expected(v, key)),
        Leaf::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s
            .parse()
            .map(Duration::from_secs)
            .map_err(|_| expected(v, key)),
        Leaf::Str(s) => parse_duration(s).map_err(|_| expected(v, key)),
        _ => Err(expected(v, key)),
    }
}

/// `0` (or `0s`) switches the option off.
fn off_if_zero(d: Duration) -> Option<Duration> {
    (!d.is_zero()).then_some(d)
}

fn count(v: &Value, key: &str) -> Result<u32, Problem> {
    match v.get_ref() {
        Leaf::Int(n) => u32::try_from(*n).map_err(|_| expected(v, key)),
        _ => Err(expected(v, key)),
    }
}

fn size(v: &Value, key: &str) -> Result<u64, Problem> {
    match v.get_ref() {
        Leaf::Int(n) => u64::try_from(*n).map_err(|_| expected(v, key)),
        Leaf::Str(s) => parse_size(s).map_err(|_| expected(v, key)),
        _ => Err(expected(v, key)),
    }
}

/// An array of non-empty strings, each with its span.
fn strings(v: &Value, key: &str) -> Result<Vec<(String, Range<usize>)>, Problem> {
    let Leaf::Array(items) = v.get_ref() else {
        return Err(expected(v, key));
    };
    items
        .iter()
        .map(|item| match item.get_ref() {
            Leaf::Str(s) if !s.trim().is_empty() => Ok((s.clone(), item.span())),
            other => Err(Problem::new(
                item.span().start,
                key,
                format!(
                    "expected {}, found {} in the array",
                    keys::info(key).map_or("strings", |k| k.expected),
                    other.describe()
                ),
            )),
        })
        .collect()
}

fn exit(v: &Value, key: &str) -> Result<ExitExpect, Problem> {
    match v.get_ref() {
        Leaf::Int(n) if (0..=255).contains(n) => Ok(ExitExpect::Code(*n as i32)),
        Leaf::Str(s) if s == "none" => Ok(ExitExpect::Never),
        _ => Err(expected(v, key)),
    }
}

/// "unknown target `drobear` (did you mean `dropbear`?); the targets are ...".
fn target(name: &str, offset: usize, key: &str) -> Result<Target, Problem> {
    name.parse().map_err(|e: crate::target::ParseTargetError| {
        let guess = keys::closest(name, &TARGET_FORMS[..4]);
        let message = match guess {
            Some(guess) if !name.starts_with("hangar:drain=") => format!(
                "unknown target `{name}` (did you mean `{guess}`?); the targets are {}",
                keys::list(&TARGET_FORMS)
            ),
            _ => e.to_string(),
        };
        Problem::new(offset, key, message)
    })
}

/// `s` as a TOML string, for examples.
fn toml_string(s: &str) -> String {
    if !s.contains(|c: char| c == '"' || c == '\\' || c.is_control()) {
        format!("\"{s}\"")
    } else if !s.contains(|c: char| c == '\'' || c.is_control()) {
        format!("'{s}'")
    } else {
        let mut out = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
}

// ----- the file -----------------------------------------------------------

struct Checker<'a> {
    text: &'a str,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    /// Keeps the value, or records the problem.
    fn ok<T>(&mut self, result: Result<T, Problem>) -> Option<T> {
        result.map_err(|p| self.problems.push(p)).ok()
    }

    fn scenario(&mut self, file: &str, raw: &RawScenario) -> Scenario {
        let title = self.required(raw.title.as_ref(), 0, "title", non_empty, "a one-line title");
        let source = self.required(
            raw.source.as_ref(),
            0,
            "source",
            non_empty,
            "the seed document it reproduces",
        );
        let tags = raw
            .tags
            .as_ref()
            .and_then(|v| self.ok(strings(v, "tags")))
            .map(|tags| tags.into_iter().map(|(t, _)| t).collect());
        let targets = match &raw.targets {
            Some(v) => self.targets(v),
            None => Target::all_sim(),
        };
        let world = self.world(raw);
        let steps = self.steps(&raw.step, world.horizon);
        let (expect, expect_by_target) = match &raw.expect {
            Some(section) => self.expect_section(section.get_ref()),
            None => (Expect::default(), Vec::new()),
        };
        Scenario {
            path: file.to_owned(),
            title: title.unwrap_or_default(),
            source: source.unwrap_or_default(),
            tags: tags.unwrap_or_default(),
            targets,
            world,
            steps,
            expect,
            expect_by_target,
        }
    }

    /// A key that must be there; `missing_at` is where to point when not.
    fn required<T>(
        &mut self,
        v: Option<&Value>,
        missing_at: usize,
        key: &str,
        convert: fn(&Value, &str) -> Result<T, Problem>,
        what: &str,
    ) -> Option<T> {
        match v {
            Some(v) => self.ok(convert(v, key)),
            None => {
                let needs = format!("missing; every {} needs {what}", owner(key));
                self.problems.push(Problem::new(missing_at, key, needs));
                None
            }
        }
    }

    fn targets(&mut self, v: &Value) -> Vec<Target> {
        let Some(names) = self.ok(strings(v, "targets")) else {
            return Target::all_sim();
        };
        if names.is_empty() {
            let p = Problem::new(
                v.span().start,
                "targets",
                "expected at least one target; leave `targets` out to run every sim target"
                    .to_owned(),
            );
            self.problems.push(p);
        }
        let mut targets: Vec<Target> = Vec::new();
        for (name, span) in names {
            let Some(t) = self.ok(target(&name, span.start, "targets")) else {
                continue;
            };
            if targets.contains(&t) {
                let message = format!("`{t}` is listed twice");
                self.problems
                    .push(Problem::new(span.start, "targets", message));
            } else {
                targets.push(t);
            }
        }
        targets
    }

    fn world(&mut self, raw: &RawScenario) -> World {
        let mut world = World {
            horizon: DEFAULT_HORIZON,
            client: ClientOptions {
                server_alive_count_max: DEFAULT_ALIVE_COUNT_MAX,
                ..ClientOptions::default()
            },
            server: ServerOptions {
                client_alive_count_max: DEFAULT_ALIVE_COUNT_MAX,
                ..ServerOptions::default()
            },
            net: NetOptions {
                latency: DEFAULT_LATENCY,
                retransmission_timeout: DEFAULT_RETRANSMISSION_TIMEOUT,
            },
            files: Vec::new(),
        };
        if let Some(w) = &raw.world {
            self.world_table(w.get_ref(), &mut world);
        }
        if let Some(c) = &raw.client {
            self.client(c.get_ref(), &mut world.client);
        }
        if let Some(s) = &raw.server {
            self.server(s.get_ref(), &mut world.server);
        }
        world
    }

    fn world_table(&mut self, raw: &RawWorld, world: &mut World) {
        if let Some(v) = &raw.horizon {
            let horizon = duration(v, "world.horizon").and_then(|d| {
                if d.is_zero() {
                    let p = Problem::new(
                        v.span().start,
                        "world.horizon",
                        "the horizon must be later than `0s`".to_owned(),
                    );
                    Err(p)
                } else {
                    Ok(d)
                }
            });
            if let Some(h) = self.ok(horizon) {
                world.horizon = h;
            }
        }
        if let Some(v) = &raw.latency {
            if let Some(d) = self.ok(duration(v, "world.latency")) {
                world.net.latency = d;
            }
        }
        if let Some(v) = &raw.retransmission_timeout {
            if let Some(d) = self.ok(duration(v, "world.retransmission_timeout")) {
                world.net.retransmission_timeout = d;
            }
        }
        if let Some(v) = &raw.files {
            world.files = self.files(v);
        }
    }

    fn files(&mut self, v: &Value) -> Vec<VirtualFile> {
        let Leaf::Table(entries) = v.get_ref() else {
            self.problems.push(expected(v, "world.files"));
            return Vec::new();
        };
        let mut files = Vec::new();
        for (name, size_value) in entries {
            let key = format!("world.files.{}", segment(name));
            if name.is_empty() {
                let message = "a file needs a name".to_owned();
                self.problems
                    .push(Problem::new(size_value.span().start, &key, message));
                continue;
            }
            if let Some(size) = self.ok(size(size_value, &key)) {
                files.push(VirtualFile {
                    name: name.clone(),
                    size,
                });
            }
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        files
    }

    fn client(&mut self, raw: &RawClient, client: &mut ClientOptions) {
        if let Some(v) = &raw.server_alive_interval {
            if let Some(d) = self.ok(ssh_time(v, "client.ServerAliveInterval")) {
                client.server_alive_interval = off_if_zero(d);
            }
        }
        if let Some(v) = &raw.server_alive_count_max {
            if let Some(n) = self.ok(count(v, "client.ServerAliveCountMax")) {
                client.server_alive_count_max = n;
            }
        }
        if let Some(v) = &raw.connect_timeout {
            if let Some(d) = self.ok(ssh_time(v, "client.ConnectTimeout")) {
                client.connect_timeout = off_if_zero(d);
            }
        }
    }

    fn server(&mut self, raw: &RawServer, server: &mut ServerOptions) {
        if let Some(v) = &raw.client_alive_interval {
            if let Some(d) = self.ok(ssh_time(v, "server.ClientAliveInterval")) {
                server.client_alive_interval = off_if_zero(d);
            }
        }
        if let Some(v) = &raw.client_alive_count_max {
            if let Some(n) = self.ok(count(v, "server.ClientAliveCountMax")) {
                server.client_alive_count_max = n;
            }
        }
        if let Some(v) = &raw.dropbear_keepalive {
            if let Some(d) = self.ok(ssh_time(v, "server.DropbearKeepalive")) {
                server.dropbear_keepalive = off_if_zero(d);
            }
        }
    }

    fn steps(&mut self, raw: &[Spanned<RawStep>], horizon: Duration) -> Vec<Step> {
        let mut steps = Vec::new();
        // The time and line of the last step with a valid `at`.
        let mut previous: Option<(Duration, usize)> = None;
        for (i, raw_step) in raw.iter().enumerate() {
            let key = format!("step[{}]", i + 1);
            let header = raw_step.span().start;
            let line = line_col(self.text, header).0;
            let s = raw_step.get_ref();
            let at_key = format!("{key}.at");
            let at = self.required(s.at.as_ref(), header, &at_key, duration, "its time, `at`");
            if let (Some(at), Some(v)) = (at, &s.at) {
                self.check_time(at, v, &at_key, previous, horizon);
                previous = Some((at, line));
            }
            let action = self.action(s, header, &key);
            if let (Some(at), Some(action)) = (at, action) {
                steps.push(Step { at, action, line });
            }
        }
        steps
    }

    fn check_time(
        &mut self,
        at: Duration,
        v: &Value,
        key: &str,
        previous: Option<(Duration, usize)>,
        horizon: Duration,
    ) {
        let offset = v.span().start;
        if let Some((before, before_line)) = previous.filter(|(before, _)| at < *before) {
            let message = format!(
                "steps must be in time order: this step is at `{}`, earlier than the step \
                 before it (line {before_line}, at `{}`)",
                format_duration(at),
                format_duration(before)
            );
            let fix = format!("at = \"{}\"", format_duration(before));
            self.problems
                .push(Problem::new(offset, key, message).example(fix));
        } else if at > horizon {
            let message = format!(
                "this step is at `{}`, after the horizon (`{}`), so it would never happen",
                format_duration(at),
                format_duration(horizon)
            );
            let fix = format!("[world]\nhorizon = \"{}\"", format_duration(at));
            self.problems
                .push(Problem::new(offset, key, message).example(fix));
        }
    }

    fn action(&mut self, s: &RawStep, header: usize, key: &str) -> Option<Action> {
        match (&s.run, &s.net) {
            (Some(run), None) => self.ok(self.run(run, &format!("{key}.run"))),
            (None, Some(net)) => self.ok(self.net(net, &format!("{key}.net"))),
            (None, None) => {
                let message =
                    "a step needs `run` (a command line) or `net` (a network fault)".to_owned();
                let p = Problem::new(header, key, message)
                    .example("at = \"0s\"\nrun = \"ssh server 'sleep 30 &'\"");
                self.problems.push(p);
                None
            }
            (Some(run), Some(net)) => {
                let (later, name) = if net.span().start > run.span().start {
                    (net, "net")
                } else {
                    (run, "run")
                };
                let message = "a step has `run` or `net`, not both".to_owned();
                let p = Problem::new(later.span().start, &format!("{key}.{name}"), message)
                    .example(format!(
                        "put `{name}` in a [[step]] of its own, with the same `at`"
                    ));
                self.problems.push(p);
                None
            }
        }
    }

    /// A `run` line: parsed by the shell, then checked for unknown commands.
    /// Errors point inside the string, at the construct.
    fn run(&self, v: &Value, key: &str) -> Result<Action, Problem> {
        let line = non_empty(v, key)?;
        let at = |offset: usize| string_offset(self.text, &v.span(), &line, offset);
        let script = hangar_shell::parse(&line).map_err(|e| {
            let p = Problem::new(at(e.span.start), key, e.message);
            if e.hint.is_empty() { p } else { p.example(e.hint) }
        })?;
        if let Some(unknown) = commands::find_unknown(&script) {
            let span = unknown.span;
            let fixed = match (line.get(..span.start), line.get(span.end..)) {
                (Some(before), Some(after)) => format!("{before}{}{after}", unknown.replacement),
                _ => unknown.replacement.clone(),
            };
            let example = format!(
                "{} = {}   # {}",
                last_segment(key),
                toml_string(&fixed),
                unknown.hint
            );
            return Err(Problem::new(at(span.start), key, unknown.message).example(example));
        }
        Ok(Action::Run { line, script })
    }

    fn net(&self, v: &Value, key: &str) -> Result<Action, Problem> {
        let text = string(v, key)?;
        text.parse::<NetFault>().map(Action::Net).map_err(|e| {
            let offset = string_offset(self.text, &v.span(), &text, e.offset);
            let p = Problem::new(offset, key, e.message);
            // The form of the fault that was meant, or the first one.
            let verb = text.split_whitespace().next().unwrap_or("");
            let verbs: Vec<&str> = NET_FAULT_FORMS
                .iter()
                .map(|f| f.split(' ').next().unwrap_or(f))
                .collect();
            match keys::closest(verb, &verbs) {
                Some(verb) => {
                    let form = NET_FAULT_FORMS.iter().find(|f| f.starts_with(verb));
                    p.example(format!("net = \"{}\"", form.unwrap_or(&verb)))
                }
                None => p,
            }
        })
    }

    fn expect_section(&mut self, section: &RawExpectSection) -> (Expect, Vec<(Target, Expect)>) {
        let base = self.expect(&section.base, "expect");
        let mut by_target: Vec<(Target, Expect)> = Vec::new();
        let mut seen: Vec<(Target, String)> = Vec::new();
        // In file order, so that a repeat is reported at the later table.
        let mut tables: Vec<_> = section.by_target.iter().collect();
        tables.sort_by_key(|(name, _)| name.span().start);
        for (name, table) in tables {
            let key = format!("expect.{}", segment(name.get_ref()));
            let Some(t) = self.ok(target(name.get_ref(), name.span().start, &key)) else {
                continue;
            };
            if let Some((_, first)) = seen.iter().find(|(s, _)| *s == t) {
                let message = format!(
                    "`{}` is the same target as `{first}` above; keep one table for it",
                    name.get_ref()
                );
                let p = Problem::new(name.span().start, &key, message)
                    .example(format!("[expect.{}]", segment(&t.to_string())));
                self.problems.push(p);
                continue;
            }
            seen.push((t, name.get_ref().clone()));
            by_target.push((t, self.expect(table.get_ref(), &key)));
        }
        by_target.sort_by_key(|(t, _)| *t);
        for (name, value) in &section.unknown {
            let offset = name.span().start;
            let p = match value.get_ref() {
                Leaf::Table(_) => {
                    let key = format!("expect.{}", segment(name.get_ref()));
                    target(name.get_ref(), offset, &key)
                        .err()
                        .map(|p| p.example("[expect.dropbear]\nclient = { exit = 0, within = \"1s\" }"))
                }
                _ => Some(unknown_key(offset, "expect", name.get_ref())),
            };
            self.problems.extend(p);
        }
        (base, by_target)
    }

    /// The keys of `[expect]` or `[expect.<target>]`; `path` names it.
    fn expect(&mut self, raw: &RawExpect, path: &str) -> Expect {
        let mut expect = Expect::default();
        if let Some(c) = &raw.client {
            expect.client = Some(self.client_expect(c.get_ref(), &format!("{path}.client")));
        }
        if let Some(v) = &raw.lost_bytes {
            expect.lost_bytes = self.ok(size(v, &format!("{path}.lost_bytes")));
        }
        if let Some(v) = &raw.stdout_bytes {
            expect.stdout_bytes = self.ok(size(v, &format!("{path}.stdout_bytes")));
        }
        if let Some(v) = &raw.survivors {
            let names = self.ok(strings(v, &format!("{path}.survivors")));
            expect.survivors = names.map(|names| {
                let mut names: Vec<String> = names.into_iter().map(|(n, _)| n).collect();
                names.sort();
                names
            });
        }
        expect
    }

    fn client_expect(&mut self, raw: &RawClientExpect, path: &str) -> ClientExpect {
        let mut client = ClientExpect::default();
        if let Some(v) = &raw.exit {
            client.exit = self.ok(exit(v, &format!("{path}.exit")));
        }
        if let Some(v) = &raw.after {
            client.after = self.ok(duration(v, &format!("{path}.after")));
        }
        if let Some(v) = &raw.within {
            client.within = self.ok(duration(v, &format!("{path}.within")));
        }
        if let (Some(after), Some(within), Some(v)) = (client.after, client.within, &raw.after) {
            if after > within {
                let message = format!(
                    "`after` (`{}`) is later than `within` (`{}`): no exit time satisfies both",
                    format_duration(after),
                    format_duration(within)
                );
                let p = Problem::new(v.span().start, &format!("{path}.after"), message)
                    .example(r#"client = { exit = 0, after = "30s", within = "31s" }"#);
                self.problems.push(p);
            }
        }
        client
    }
}

/// What a key belongs to, for "every ... needs": `scenario`, `step`.
fn owner(key: &str) -> &'static str {
    if key.starts_with("step") {
        "step"
    } else {
        "scenario"
    }
}

#[cfg(test)]
mod tests;
