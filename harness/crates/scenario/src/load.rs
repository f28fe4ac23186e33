//! From TOML text to a validated [`Scenario`].
//!
//! Two passes. serde reads the text into the shapes of `raw.rs` and rejects
//! what has the wrong shape (a misspelt key, `[step]` for `[[step]]`);
//! `reword.rs` says that in the terms of the file format. Then every value
//! is checked and converted (`values.rs`), and the whole is checked: steps
//! in time order, `run` lines the simulated hosts can run, keystrokes and
//! regexes that mean something.
//!
//! Before serde, every unknown key is reported and taken out
//! (`unknown.rs`), since serde would stop at the first it visits. A shape
//! error (`[step]` for `[[step]]`) stops serde, so the values are not
//! checked then. Every problem found is reported, in file order
//! ([`LoadError`] shows the first 20).

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, Deserializer};

use crate::channel_timeout::channel_timeouts;
use crate::commands;
use crate::defaults;
use crate::duration::format_duration;
use crate::error::{LoadError, Problem};
use crate::fault::NET_FAULT_FORMS;
use crate::files::file_expectations;
use crate::keys::{self, segment};
use crate::keystrokes;
use crate::model::{
    Action, ClientExpect, ClientOptions, Drawn, Expect, Host, LaneKind, NetFault, Quantifier,
    Scenario, SeedExpect, ServerOptions, Step, VirtualFile, WaitCondition, WaitFor, World,
};
use crate::order::{alternatives, exit_code, sorted_names, teardown_order};
use crate::pattern::{regex, regexes};
use crate::position::{line_col, string_offset};
use crate::ranges::{duration_range, size_range};
use crate::raw::{
    Leaf, RawClient, RawClientExpect, RawExpect, RawExpectSection, RawScenario, RawSeeds,
    RawServer, RawStep, RawWaitFor, RawWorld,
};
use crate::reword::{from_toml, unknown_key};
use crate::target::Target;
use crate::unknown::take_unknown_keys;
use crate::values::{
    Value, boolean, count, duration, exit, expected, horizon, last_segment, non_empty, size,
    ssh_switch, string, strings, target, tick, toml_string,
};

/// The smallest pipe, a page: pipe(7), F_SETPIPE_SZ.
const MIN_PIPE_BUFFER: u64 = 4096;

/// Loads `text`, the contents of the scenario file `file`.
pub(crate) fn load(file: &str, text: &str) -> Result<Scenario, LoadError> {
    let mut root = DeTable::parse(text).map_err(|e| from_toml(text, &e).error(file, text))?;
    let (mut problems, misspelt_tables) = take_unknown_keys(&mut root);
    let scenario = match RawScenario::deserialize(Deserializer::from(root)) {
        Ok(raw) => {
            let mut checker = Checker {
                text,
                problems: Vec::new(),
            };
            let scenario = checker.scenario(file, &raw);
            // A key missing from a table with a misspelt key is most
            // likely that key: reported once, as the misspelling.
            problems.extend(
                checker
                    .problems
                    .into_iter()
                    .filter(|p| !misspelt_tables.contains(&p.offset)),
            );
            Some(scenario)
        }
        Err(e) => {
            problems.push(from_toml(text, &e));
            None
        }
    };
    match (LoadError::from_problems(file, text, problems), scenario) {
        (None, Some(scenario)) => Ok(scenario),
        (Some(err), _) => Err(err),
        // serde failed, so there is a problem; never reached.
        (None, None) => Err(LoadError::whole_file(
            file,
            "cannot read the file".to_owned(),
        )),
    }
}

/// `[expect]`: the base, the targets' tables, the lanes' tables.
type ExpectSection = (Expect, Vec<(Target, Expect)>, Vec<(LaneKind, Expect)>);

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
        let title = self.required(
            raw.title.as_ref(),
            0,
            "title",
            non_empty,
            "a one-line title",
        );
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
        if raw.step.is_empty() {
            // At the end of the file, where a step would go, and after
            // every other problem.
            let p = Problem::new(
                self.text.len(),
                "step",
                "a scenario needs at least one [[step]]".to_owned(),
            )
            .example("[[step]]\nrun = \"ssh server 'sleep 30 &'\"");
            self.problems.push(p);
        }
        let steps = self.steps(&raw.step, world.horizon);
        let (expect, expect_by_target, expect_by_lane) = match &raw.expect {
            Some(section) => self.expect_section(section.get_ref()),
            None => (Expect::default(), Vec::new(), Vec::new()),
        };
        let seeds = raw.seeds.as_ref().map(|s| self.seeds(s.get_ref()));
        Scenario {
            seeds,
            path: file.to_owned(),
            title: title.unwrap_or_default(),
            source: source.unwrap_or_default(),
            tags: tags.unwrap_or_default(),
            targets,
            world,
            steps,
            expect,
            expect_by_target,
            expect_by_lane,
        }
    }

    /// A key that must be there; `missing_at` is where to point when not.
    fn required<T>(
        &mut self,
        v: Option<&Value>,
        missing_at: usize,
        key: &str,
        convert: impl Fn(&Value, &str) -> Result<T, Problem>,
        what: &str,
    ) -> Option<T> {
        match v {
            Some(v) => self.ok(convert(v, key)),
            None => {
                let needs = format!("missing; every scenario needs {what}");
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
        let mut world = defaults::world();
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
        let text = self.text;
        let durations = |v: &Value, key: &str| duration_range(text, v, key);
        let sizes = |v: &Value, key: &str| size_range(text, v, key);
        self.set(&raw.horizon, "world.horizon", horizon, &mut world.horizon);
        self.set(
            &raw.latency,
            "world.latency",
            durations,
            &mut world.net.latency,
        );
        let timeout = &mut world.net.retransmission_timeout;
        self.set(
            &raw.retransmission_timeout,
            "world.retransmission_timeout",
            duration,
            timeout,
        );
        self.set(&raw.linger, "world.linger", duration, &mut world.linger);
        self.set(&raw.tick, "world.tick", tick, &mut world.tick);
        // pipe(7): a pipe holds at least a page (F_SETPIPE_SZ rounds up to
        // one); a smaller one also made every byte a wake-up of its reader.
        let pipe_buffer = |v: &Value, key: &str| {
            let drawn = sizes(v, key)?;
            if drawn.min < MIN_PIPE_BUFFER {
                let message = format!(
                    "a pipe holds at least a page, {MIN_PIPE_BUFFER} bytes (pipe(7)), found `{drawn}`"
                );
                return Err(Problem::new(v.span().start, key, message));
            }
            Ok(drawn)
        };
        self.set(
            &raw.pipe_buffer,
            "world.pipe_buffer",
            pipe_buffer,
            &mut world.pipe_buffer,
        );
        let window = |v: &Value, key: &str| {
            let drawn = sizes(v, key)?;
            if drawn.min == 0 {
                let message =
                    format!("an SSH channel window must hold at least 1 byte, found `{drawn}`");
                return Err(Problem::new(v.span().start, key, message));
            }
            Ok(drawn)
        };
        self.set(&raw.window, "world.window", window, &mut world.window);
        self.set(
            &raw.write_pacing,
            "world.write_pacing",
            durations,
            &mut world.write_pacing,
        );
        if let Some(v) = &raw.bandwidth {
            let bandwidth = size(v, "world.bandwidth").and_then(|b| match b {
                0 => {
                    let message = "a bandwidth of 0 carries nothing; leave `bandwidth` out \
                                   for an unlimited one"
                        .to_owned();
                    Err(Problem::new(v.span().start, "world.bandwidth", message))
                }
                b => Ok(b),
            });
            world.net.bandwidth = self.ok(bandwidth);
        }
        if let Some(v) = &raw.files {
            world.files = self.files(v);
        }
    }

    /// Converts `v`, if the key is there, into `slot`.
    fn set<T>(
        &mut self,
        v: &Option<Value>,
        key: &str,
        convert: impl Fn(&Value, &str) -> Result<T, Problem>,
        slot: &mut T,
    ) {
        if let Some(value) = v.as_ref().and_then(|v| self.ok(convert(v, key))) {
            *slot = value;
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
        self.set(
            &raw.server_alive_interval,
            "client.ServerAliveInterval",
            ssh_switch,
            &mut client.server_alive_interval,
        );
        self.set(
            &raw.server_alive_count_max,
            "client.ServerAliveCountMax",
            count,
            &mut client.server_alive_count_max,
        );
        self.set(
            &raw.connect_timeout,
            "client.ConnectTimeout",
            ssh_switch,
            &mut client.connect_timeout,
        );
    }

    fn server(&mut self, raw: &RawServer, server: &mut ServerOptions) {
        self.set(
            &raw.client_alive_interval,
            "server.ClientAliveInterval",
            ssh_switch,
            &mut server.client_alive_interval,
        );
        self.set(
            &raw.client_alive_count_max,
            "server.ClientAliveCountMax",
            count,
            &mut server.client_alive_count_max,
        );
        self.set(
            &raw.dropbear_keepalive,
            "server.DropbearKeepalive",
            ssh_switch,
            &mut server.dropbear_keepalive,
        );
        self.set(
            &raw.kill_user_processes,
            "server.KillUserProcesses",
            boolean,
            &mut server.kill_user_processes,
        );
        if let Some(v) = &raw.channel_timeout {
            let key = "server.ChannelTimeout";
            if let Some(pairs) = self.ok(channel_timeouts(self.text, v, key)) {
                server.channel_timeouts = pairs;
            }
        }
        self.set(
            &raw.unused_connection_timeout,
            "server.UnusedConnectionTimeout",
            ssh_switch,
            &mut server.unused_connection_timeout,
        );
        self.set(
            &raw.dropbear_idle_timeout,
            "server.DropbearIdleTimeout",
            ssh_switch,
            &mut server.dropbear_idle_timeout,
        );
    }

    fn steps(&mut self, raw: &[Spanned<RawStep>], horizon: Duration) -> Vec<Step> {
        let text = self.text;
        let mut steps = Vec::new();
        // The time and line of the last step whose time is known.
        let mut previous: Option<(Drawn<Duration>, usize)> = None;
        for (i, raw_step) in raw.iter().enumerate() {
            let key = format!("step[{}]", i + 1);
            let header = raw_step.span().start;
            let line = line_col(self.text, header).0;
            let s = raw_step.get_ref();
            let at = match &s.at {
                Some(v) => {
                    let at_key = format!("{key}.at");
                    let at = self.ok(duration_range(text, v, &at_key));
                    if let Some(at) = at {
                        self.check_time(at, v, &at_key, previous, horizon);
                    }
                    at
                }
                // Right after the previous step, whose time was checked.
                None => Some(previous.map_or(Drawn::fixed(Duration::ZERO), |(at, _)| at)),
            };
            if let Some(at) = at {
                previous = Some((at, line));
            }
            let action = self.action(s, header, &key);
            if let (Some(at), Some(action)) = (at, action) {
                steps.push(Step { at, action, line });
            }
        }
        steps
    }

    /// Steps are listed by the start of their time (runners order them by
    /// the times they draw), and even the latest time must be within the
    /// horizon.
    fn check_time(
        &mut self,
        at: Drawn<Duration>,
        v: &Value,
        key: &str,
        previous: Option<(Drawn<Duration>, usize)>,
        horizon: Duration,
    ) {
        let offset = v.span().start;
        if let Some((before, before_line)) = previous.filter(|(before, _)| at.min < before.min) {
            let (earlier, fix) = if at.is_fixed() {
                ("earlier than", Drawn::fixed(before.min))
            } else {
                let fix = Drawn {
                    min: before.min,
                    max: at.max.max(before.min),
                };
                ("starting earlier than", fix)
            };
            let message = format!(
                "steps must be in time order: this step is at `{at}`, {earlier} the step \
                 before it (line {before_line}, at `{before}`)"
            );
            self.problems
                .push(Problem::new(offset, key, message).example(format!("at = \"{fix}\"")));
        } else if at.max > horizon {
            let (when, would) = if at.is_fixed() {
                (format!("this step is at `{at}`"), "would")
            } else {
                let latest = format_duration(at.max);
                (format!("this step may be as late as `{latest}`"), "might")
            };
            let message = format!(
                "{when}, after the horizon (`{}`), so it {would} never happen",
                format_duration(horizon)
            );
            let fix = format!("[world]\nhorizon = \"{}\"", format_duration(at.max));
            self.problems
                .push(Problem::new(offset, key, message).example(fix));
        }
    }

    /// The one action of a step: `run`, `net`, `type` or `wait_for`.
    fn action(&mut self, s: &RawStep, header: usize, key: &str) -> Option<Action> {
        let mut given: Vec<(&str, usize)> = [
            ("run", s.run.as_ref().map(|v| v.span().start)),
            ("net", s.net.as_ref().map(|v| v.span().start)),
            ("type", s.r#type.as_ref().map(|v| v.span().start)),
            ("wait_for", s.wait_for.as_ref().map(|v| v.span().start)),
            ("resize", s.resize.as_ref().map(|v| v.span().start)),
        ]
        .into_iter()
        .filter_map(|(name, at)| Some((name, at?)))
        .collect();
        given.sort_by_key(|(_, at)| *at);
        match given.as_slice() {
            [] => {
                let message = "a step needs `run` (a command line), `net` (a network fault), \
                               `type` (keystrokes for the client's terminal), `wait_for` \
                               (a condition to wait for) or `resize` (a new terminal size)"
                    .to_owned();
                let p = Problem::new(header, key, message)
                    .example("at = \"0s\"\nrun = \"ssh server 'sleep 30 &'\"");
                self.problems.push(p);
                return None;
            }
            [_] => {}
            [(first, _), (second, at), ..] => {
                let message = format!(
                    "a step has one of `run`, `net`, `type`, `wait_for` and `resize`, and \
                     this one already has `{first}`"
                );
                let p = Problem::new(*at, &format!("{key}.{second}"), message).example(format!(
                    "put `{second}` in a [[step]] of its own; without `at` it comes right after"
                ));
                self.problems.push(p);
                return None;
            }
        }
        if let Some(v) = &s.run {
            self.ok(self.run(v, &format!("{key}.run")))
        } else if let Some(v) = &s.net {
            self.ok(self.net(v, &format!("{key}.net")))
        } else if let Some(v) = &s.r#type {
            self.ok(self.type_keys(v, &format!("{key}.type")))
        } else if let Some(v) = &s.resize {
            self.ok(resize(v, &format!("{key}.resize")))
        } else {
            let w = s.wait_for.as_ref()?;
            self.wait_for(w, &format!("{key}.wait_for"))
                .map(Action::WaitFor)
        }
    }

    /// A `run` line: parsed by the shell, then checked for unknown commands.
    /// Errors point inside the string, at the construct.
    fn run(&self, v: &Value, key: &str) -> Result<Action, Problem> {
        let line = non_empty(v, key)?;
        let at = |offset: usize| string_offset(self.text, &v.span(), &line, offset);
        let script = hangar_shell::parse(&line).map_err(|e| {
            let p = Problem::new(at(e.span.start), key, e.message);
            if e.hint.is_empty() {
                p
            } else {
                p.example(e.hint)
            }
        })?;
        if script.items.is_empty() {
            let mut p = expected(v, key);
            p.message.push_str(", which runs no command");
            return Err(p);
        }
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

    /// `type`: keystrokes in key notation (`keystrokes.rs`). A `^` that
    /// starts no key is reported where it is in the string.
    fn type_keys(&self, v: &Value, key: &str) -> Result<Action, Problem> {
        let text = match v.get_ref() {
            Leaf::Str(s) if !s.is_empty() => s.clone(),
            _ => return Err(expected(v, key)),
        };
        let keys = keystrokes::parse(&text).map_err(|e| {
            let offset = string_offset(self.text, &v.span(), &text, e.offset);
            let fixed = keystrokes::escape_caret(&text, e.offset);
            let example = format!("{} = {}", last_segment(key), toml_string(&fixed));
            Problem::new(offset, key, e.message).example(example)
        })?;
        Ok(Action::Type { text, keys })
    }

    /// `wait_for`: one condition and a timeout above zero.
    fn wait_for(&mut self, raw: &Spanned<RawWaitFor>, key: &str) -> Option<WaitFor> {
        let w = raw.get_ref();
        let start = raw.span().start;
        let given: Vec<(&str, &Spanned<Leaf>)> = [
            ("screen", &w.screen),
            ("trace", &w.trace),
            ("started", &w.started),
            ("ended", &w.ended),
        ]
        .into_iter()
        .filter_map(|(name, v)| Some((name, v.as_ref()?)))
        .collect();
        let condition = match given.as_slice() {
            [] => {
                let message = "a wait needs one of `screen` (a regex the client's screen must \
                               match), `trace` (a regex a line of the trace must match), \
                               `started` or `ended` (a program that starts or ends on `host`)"
                    .to_owned();
                self.problems
                    .push(Problem::new(start, key, message).example(WAIT_STARTED_EXAMPLE));
                None
            }
            [(name, v)] => self.wait_condition(raw, key, name, v),
            _ => {
                // The first in the file stands; the last is the one too many.
                let mut in_file = given.clone();
                in_file.sort_by_key(|(_, v)| v.span().start);
                let (first, _) = in_file[0];
                let (later, v) = in_file[in_file.len() - 1];
                let message = format!("a wait has one condition; `{first}` and `{later}` are two");
                let p = Problem::new(v.span().start, &format!("{key}.{later}"), message).example(
                    format!("wait for `{later}` in a [[step]] of its own, after this one"),
                );
                self.problems.push(p);
                None
            }
        };
        if let (Some(host), Some(WaitCondition::Screen(_) | WaitCondition::Trace(_))) =
            (&w.host, &condition)
        {
            let message = "`host` goes with `started` or `ended`; a screen or trace \
                           pattern names its host itself"
                .to_owned();
            self.problems.push(
                Problem::new(host.span().start, &format!("{key}.host"), message)
                    .example(WAIT_STARTED_EXAMPLE),
            );
        }
        let timeout_key = format!("{key}.timeout");
        let timeout = match &w.timeout {
            Some(v) => self.ok(duration(v, &timeout_key).and_then(|d| {
                if d.is_zero() {
                    let message = "a wait's timeout must be longer than `0s`".to_owned();
                    Err(Problem::new(v.span().start, &timeout_key, message))
                } else {
                    Ok(d)
                }
            })),
            None => {
                let message = "a wait needs a timeout; when it runs out the verdict is \
                               `unknown`, naming what was waited for"
                    .to_owned();
                let mut p = Problem::new(start, &timeout_key, message);
                if let Some(c) = &condition {
                    let (name, pattern) = c.key_and_value();
                    let host = match c {
                        WaitCondition::Started { host, .. } | WaitCondition::Ended { host, .. } => {
                            format!(", host = \"{host}\"")
                        }
                        _ => String::new(),
                    };
                    p = p.example(format!(
                        "wait_for = {{ {name} = {}{host}, timeout = \"5s\" }}",
                        toml_string(pattern)
                    ));
                }
                self.problems.push(p);
                None
            }
        };
        Some(WaitFor {
            condition: condition?,
            timeout: timeout?,
        })
    }

    /// The one condition of a wait, `name = v`.
    fn wait_condition(
        &mut self,
        raw: &Spanned<RawWaitFor>,
        key: &str,
        name: &str,
        v: &Value,
    ) -> Option<WaitCondition> {
        let text = self.text;
        let name_key = format!("{key}.{name}");
        match name {
            "screen" => self
                .ok(regex(text, v, &name_key))
                .map(WaitCondition::Screen),
            "trace" => self.ok(regex(text, v, &name_key)).map(WaitCondition::Trace),
            _ => {
                let program = self.ok(program_name(v, &name_key));
                let host = match &raw.get_ref().host {
                    Some(h) => self.ok(wait_host(h, &format!("{key}.host"))),
                    None => {
                        let message =
                            format!("`{name}` needs `host`: the host whose process is waited for");
                        self.problems.push(
                            Problem::new(raw.span().start, &format!("{key}.host"), message)
                                .example(WAIT_STARTED_EXAMPLE),
                        );
                        None
                    }
                };
                let (host, program) = (host?, program?);
                Some(if name == "started" {
                    WaitCondition::Started { host, program }
                } else {
                    WaitCondition::Ended { host, program }
                })
            }
        }
    }

    /// `[seeds]`: a seed count and, per target, on how many seeds bytes
    /// are lost.
    fn seeds(&mut self, raw: &RawSeeds) -> SeedExpect {
        let count = match &raw.count {
            Some(v) => self.ok(count(v, "seeds.count").and_then(|n| {
                if n == 0 {
                    Err(expected(v, "seeds.count"))
                } else {
                    Ok(u64::from(n))
                }
            })),
            None => None,
        };
        let mut lost_bytes = Vec::new();
        if let Some(v) = &raw.lost_bytes {
            match v.get_ref() {
                Leaf::Table(entries) => {
                    for (name, value) in entries {
                        let key = format!("seeds.lost_bytes.{}", segment(name));
                        let Some(t) = self.ok(target(name, value.span().start, &key)) else {
                            continue;
                        };
                        let q = match value.get_ref() {
                            Leaf::Str(s) if s == "none" => Some(Quantifier::None),
                            Leaf::Str(s) if s == "some" => Some(Quantifier::Some),
                            Leaf::Str(s) if s == "all" => Some(Quantifier::All),
                            _ => {
                                self.problems.push(expected(value, "seeds.lost_bytes"));
                                None
                            }
                        };
                        lost_bytes.extend(q.map(|q| (t, q)));
                    }
                }
                _ => self.problems.push(expected(v, "seeds.lost_bytes")),
            }
        }
        lost_bytes.sort_by_key(|(t, _)| *t);
        SeedExpect {
            count: count.unwrap_or(100),
            lost_bytes,
        }
    }

    fn expect_section(&mut self, section: &RawExpectSection) -> ExpectSection {
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
            let name_is_a_key = keys::closest(name.get_ref(), &keys::children("expect")).is_some();
            let p = match value.get_ref() {
                // `[expect.clinet]` is a misspelt key, `[expect.drobear]` a
                // misspelt target.
                Leaf::Table(_) if !name_is_a_key => {
                    let key = format!("expect.{}", segment(name.get_ref()));
                    target(name.get_ref(), offset, &key).err().map(|p| {
                        p.example("[expect.dropbear]\nclient = { exit = 0, within = \"1s\" }")
                    })
                }
                _ => Some(unknown_key(offset, "expect", name.get_ref())),
            };
            self.problems.extend(p);
        }
        let mut by_lane: Vec<(LaneKind, Expect)> = section
            .by_lane
            .iter()
            .filter_map(|(name, table)| {
                let lane = LaneKind::from_name(name.get_ref())?;
                Some((
                    lane,
                    self.expect(table.get_ref(), &format!("expect.{}", lane.name())),
                ))
            })
            .collect();
        by_lane.sort_by_key(|(lane, _)| *lane);
        (base, by_target, by_lane)
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
        if let Some(v) = &raw.stderr_bytes {
            expect.stderr_bytes = self.ok(size(v, &format!("{path}.stderr_bytes")));
        }
        if let Some(v) = &raw.survivors {
            let names = self.ok(strings(v, &format!("{path}.survivors")));
            expect.survivors = names.map(|names| {
                let mut names: Vec<String> = names.into_iter().map(|(n, _)| n).collect();
                names.sort();
                names
            });
        }
        if let Some(v) = &raw.screen {
            expect.screen = self.ok(regexes(self.text, v, &format!("{path}.screen")));
        }
        if let Some(v) = &raw.stdout {
            expect.stdout = self.ok(regexes(self.text, v, &format!("{path}.stdout")));
        }
        if let Some(v) = &raw.stderr {
            expect.stderr = self.ok(regexes(self.text, v, &format!("{path}.stderr")));
        }
        if let Some(v) = &raw.order {
            expect.order = self.ok(teardown_order(v, &format!("{path}.order")));
        }
        if let Some(v) = &raw.order_any {
            let key = format!("{path}.order_any");
            expect.order_any = self.ok(alternatives(v, &key, teardown_order));
        }
        if let Some(v) = &raw.files {
            expect.files = self.ok(file_expectations(v, &format!("{path}.files")));
        }
        if let Some(v) = &raw.survivors_any {
            let key = format!("{path}.survivors_any");
            expect.survivors_any = self.ok(alternatives(v, &key, sorted_names));
        }
        for (one, given, any, v) in [
            ("order", raw.order.is_some(), "order_any", &raw.order_any),
            (
                "survivors",
                raw.survivors.is_some(),
                "survivors_any",
                &raw.survivors_any,
            ),
        ] {
            if let (true, Some(v)) = (given, v) {
                let message = format!(
                    "`{one}` and `{any}` in one table: give `{one}` for one answer or `{any}` \
                     for several"
                );
                let key = format!("{path}.{any}");
                self.problems
                    .push(Problem::new(v.span().start, &key, message));
            }
        }
        for (name, _) in &raw.unknown {
            let p = unknown_key(name.span().start, path, name.get_ref());
            self.problems.push(p);
        }
        expect
    }

    fn client_expect(&mut self, raw: &RawClientExpect, path: &str) -> ClientExpect {
        let mut client = ClientExpect::default();
        if let Some(v) = &raw.exit {
            client.exit = self.ok(exit(v, &format!("{path}.exit")));
        }
        if let Some(v) = &raw.exit_any {
            let key = format!("{path}.exit_any");
            client.exit_any = self.ok(alternatives(v, &key, exit_code));
            if raw.exit.is_some() {
                let message = "`exit` and `exit_any` together: give `exit` for one answer or \
                               `exit_any` for several"
                    .to_owned();
                self.problems
                    .push(Problem::new(v.span().start, &key, message));
            }
        }
        if let Some(v) = &raw.after {
            client.after = self.ok(duration(v, &format!("{path}.after")));
        }
        if let Some(v) = &raw.within {
            client.within = self.ok(duration(v, &format!("{path}.within")));
        }
        if let (Some(after), Some(within), Some(v)) = (client.after, client.within, &raw.after)
            && after > within
        {
            let message = format!(
                "`after` (`{}`) is later than `within` (`{}`): no exit time satisfies both",
                format_duration(after),
                format_duration(within)
            );
            let p = Problem::new(v.span().start, &format!("{path}.after"), message)
                .example(r#"client = { exit = 0, after = "30s", within = "31s" }"#);
            self.problems.push(p);
        }
        client
    }
}

/// `resize = "120x40"`: columns x rows, each 1 to 65535.
const WAIT_STARTED_EXAMPLE: &str =
    r#"wait_for = { started = "sleep", host = "server", timeout = "5s" }"#;

/// A program's name as the process table shows it: one word, no path.
fn program_name(v: &Value, key: &str) -> Result<String, Problem> {
    let name = non_empty(v, key)?;
    if name.contains(['/', ' ', '\t', '\n']) {
        let message = format!(
            "`{name}` is not a program's name: a name is one word without `/`, as ps(1) shows it"
        );
        return Err(Problem::new(v.span().start, key, message).example(WAIT_STARTED_EXAMPLE));
    }
    Ok(name)
}

/// `client` or `server`.
fn wait_host(v: &Value, key: &str) -> Result<Host, Problem> {
    match v.get_ref() {
        Leaf::Str(s) if s == "client" => Ok(Host::Client),
        Leaf::Str(s) if s == "server" => Ok(Host::Server),
        _ => Err(expected(v, key).example(WAIT_STARTED_EXAMPLE)),
    }
}

fn resize(v: &Value, key: &str) -> Result<Action, Problem> {
    let text = string(v, key)?;
    let size = text.split_once('x').and_then(|(c, r)| {
        let cols: u16 = c.trim().parse().ok()?;
        let rows: u16 = r.trim().parse().ok()?;
        (cols > 0 && rows > 0).then_some((cols, rows))
    });
    size.map(|(cols, rows)| Action::Resize { cols, rows })
        .ok_or_else(|| {
            let message = format!(
                "expected a terminal size written COLSxROWS, such as `120x40`, found `{text}`"
            );
            Problem::new(v.span().start, key, message).example("resize = \"120x40\"")
        })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod range_tests;
