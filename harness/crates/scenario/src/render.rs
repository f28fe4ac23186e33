//! From a [`Scenario`] back to a scenario file, for tools that write
//! scenarios (shrinking writes a minimised one beside the original).
//!
//! The output should read like a hand-written file: the top-level keys,
//! then `[world]`, `[client]` and `[server]` with only what differs from
//! the defaults, the steps, and the expectations; durations and sizes in
//! their shortest exact forms, `run` lines and keystrokes as written.
//! Comments and the original layout are not kept.

use std::time::Duration;

use crate::defaults;
use crate::duration::format_duration;
use crate::keystrokes;
use crate::model::{
    Action, ClientExpect, ClientOptions, Drawn, ExitExpect, Expect, FileState, Host, Scenario,
    ServerOptions, WaitCondition, WaitFor, World,
};
use crate::size::format_size;
use crate::target::Target;

/// `scenario` as the text of a scenario file. Loading the text gives back
/// `scenario`, except for [`Scenario::path`] and the steps'
/// [`line`](crate::Step::line)s, which are where the file is and where
/// each step is in it.
pub fn to_toml(scenario: &Scenario) -> String {
    let mut file = File::default();
    file.section(None, top_level(scenario));
    file.section(Some("[world]"), world(&scenario.world));
    file.section(Some("[client]"), client(&scenario.world.client));
    file.section(Some("[server]"), server(&scenario.world.server));
    for step in &scenario.steps {
        let action = match &step.action {
            Action::Run { line, .. } => format!("run = {}", string(line)),
            Action::Net(fault) => format!("net = {}", string(&fault.to_string())),
            Action::Type { text, keys } => format!("type = {}", string(&key_notation(text, keys))),
            Action::WaitFor(wait) => format!("wait_for = {}", wait_for(wait)),
            Action::Resize { cols, rows } => format!("resize = \"{cols}x{rows}\""),
        };
        let lines = vec![format!("at = {}", drawn_duration(step.at)), action];
        file.section(Some("[[step]]"), lines);
    }
    file.section(Some("[expect]"), expect(&scenario.expect));
    for (lane, expect_in) in &scenario.expect_by_lane {
        file.always(&format!("[expect.{}]", lane.name()), expect(expect_in));
    }
    for (target, expect_for) in &scenario.expect_by_target {
        // Written even when empty: the table itself is what was loaded.
        let header = format!("[expect.{}]", key(&target.to_string()));
        file.always(&header, expect(expect_for));
    }
    if let Some(seeds) = &scenario.seeds {
        let pairs: Vec<String> = seeds
            .lost_bytes
            .iter()
            .map(|(t, q)| format!("{} = \"{}\"", key(&t.to_string()), q.name()))
            .collect();
        file.always(
            "[seeds]",
            vec![
                format!("count = {}", seeds.count),
                format!("lost_bytes = {{ {} }}", pairs.join(", ")),
            ],
        );
    }
    file.text
}

/// The text so far, sections separated by a blank line.
#[derive(Default)]
struct File {
    text: String,
}

impl File {
    /// A table with `lines`, left out when there are none.
    fn section(&mut self, header: Option<&str>, lines: Vec<String>) {
        if !lines.is_empty() {
            self.write(header, lines);
        }
    }

    /// A table, written even with no lines.
    fn always(&mut self, header: &str, lines: Vec<String>) {
        self.write(Some(header), lines);
    }

    fn write(&mut self, header: Option<&str>, lines: Vec<String>) {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        for line in header.into_iter().map(str::to_owned).chain(lines) {
            self.text.push_str(&line);
            self.text.push('\n');
        }
    }
}

fn top_level(s: &Scenario) -> Vec<String> {
    let mut lines = vec![
        format!("title = {}", string(&s.title)),
        format!("source = {}", string(&s.source)),
    ];
    if !s.tags.is_empty() {
        lines.push(format!("tags = {}", strings(&s.tags)));
    }
    if s.targets != Target::all_sim() {
        let names: Vec<String> = s.targets.iter().map(Target::to_string).collect();
        lines.push(format!("targets = {}", strings(&names)));
    }
    lines
}

fn world(w: &World) -> Vec<String> {
    let d = defaults::world();
    let mut lines = Lines::default();
    lines.differs("horizon", w.horizon, d.horizon, duration);
    lines.differs("latency", w.net.latency, d.net.latency, drawn_duration);
    let timeout = w.net.retransmission_timeout;
    let default_timeout = d.net.retransmission_timeout;
    lines.differs("retransmission_timeout", timeout, default_timeout, duration);
    if let Some(bandwidth) = w.net.bandwidth {
        lines.push("bandwidth", size(bandwidth));
    }
    lines.differs("linger", w.linger, d.linger, duration);
    lines.differs("tick", w.tick, d.tick, duration);
    lines.differs("pipe_buffer", w.pipe_buffer, d.pipe_buffer, drawn_size);
    lines.differs("window", w.window, d.window, drawn_size);
    lines.differs(
        "write_pacing",
        w.write_pacing,
        d.write_pacing,
        drawn_duration,
    );
    if !w.files.is_empty() {
        let files: Vec<String> = w
            .files
            .iter()
            .map(|f| format!("{} = {}", key(&f.name), size(f.size)))
            .collect();
        lines.push("files", inline_table(&files));
    }
    lines.0
}

fn client(c: &ClientOptions) -> Vec<String> {
    let mut lines = Lines::default();
    if let Some(interval) = c.server_alive_interval {
        lines.push("ServerAliveInterval", duration(interval));
    }
    let count = c.server_alive_count_max;
    lines.differs(
        "ServerAliveCountMax",
        count,
        defaults::ALIVE_COUNT_MAX,
        count_text,
    );
    if let Some(timeout) = c.connect_timeout {
        lines.push("ConnectTimeout", duration(timeout));
    }
    lines.0
}

fn server(s: &ServerOptions) -> Vec<String> {
    let mut lines = Lines::default();
    if let Some(interval) = s.client_alive_interval {
        lines.push("ClientAliveInterval", duration(interval));
    }
    let count = s.client_alive_count_max;
    lines.differs(
        "ClientAliveCountMax",
        count,
        defaults::ALIVE_COUNT_MAX,
        count_text,
    );
    if let Some(keepalive) = s.dropbear_keepalive {
        lines.push("DropbearKeepalive", duration(keepalive));
    }
    if s.kill_user_processes {
        lines.push("KillUserProcesses", "true".to_owned());
    }
    if !s.channel_timeouts.is_empty() {
        let pairs: Vec<String> = s
            .channel_timeouts
            .iter()
            .map(|t| format!("{}={}", t.pattern, format_duration(t.after)))
            .collect();
        lines.push("ChannelTimeout", string(&pairs.join(" ")));
    }
    if let Some(timeout) = s.unused_connection_timeout {
        lines.push("UnusedConnectionTimeout", duration(timeout));
    }
    if let Some(timeout) = s.dropbear_idle_timeout {
        lines.push("DropbearIdleTimeout", duration(timeout));
    }
    lines.0
}

fn expect(e: &Expect) -> Vec<String> {
    let mut lines = Lines::default();
    if let Some(client) = &e.client {
        lines.push("client", client_expect(client));
    }
    if let Some(bytes) = e.lost_bytes {
        lines.push("lost_bytes", size(bytes));
    }
    if let Some(bytes) = e.stdout_bytes {
        lines.push("stdout_bytes", size(bytes));
    }
    if let Some(bytes) = e.stderr_bytes {
        lines.push("stderr_bytes", size(bytes));
    }
    for (key, list) in [
        ("survivors", &e.survivors),
        ("screen", &e.screen),
        ("stdout", &e.stdout),
        ("stderr", &e.stderr),
        ("order", &e.order),
    ] {
        if let Some(items) = list {
            lines.push(key, strings(items));
        }
    }
    if let Some(files) = &e.files {
        let pairs: Vec<String> = files
            .iter()
            .map(|f| {
                let host = match f.host {
                    Host::Client => "client",
                    Host::Server => "server",
                };
                let state = match f.state {
                    FileState::Size(bytes) => format!("{{ size = {} }}", size(bytes)),
                    other => string(&other.describe()),
                };
                format!("{} = {state}", key(&format!("{host}:{}", f.path)))
            })
            .collect();
        lines.push("files", inline_table(&pairs));
    }
    for (key, alternatives) in [
        ("order_any", &e.order_any),
        ("survivors_any", &e.survivors_any),
    ] {
        if let Some(items) = alternatives {
            lines.push(key, arrays(items));
        }
    }
    lines.0
}

/// `{ exit = 0, after = "30s", within = "31s" }`; `{}` checks nothing but
/// is still a `client` key.
fn client_expect(c: &ClientExpect) -> String {
    let mut pairs = Vec::new();
    match c.exit {
        Some(ExitExpect::Code(code)) => pairs.push(format!("exit = {code}")),
        Some(ExitExpect::Never) => pairs.push("exit = \"none\"".to_owned()),
        None => {}
    }
    if let Some(codes) = &c.exit_any {
        let codes: Vec<String> = codes.iter().map(i32::to_string).collect();
        pairs.push(format!("exit_any = [{}]", codes.join(", ")));
    }
    if let Some(after) = c.after {
        pairs.push(format!("after = {}", duration(after)));
    }
    if let Some(within) = c.within {
        pairs.push(format!("within = {}", duration(within)));
    }
    inline_table(&pairs)
}

/// Keystrokes as written when that still says `keys`, else `keys` in key
/// notation (a tool changed them).
fn key_notation(text: &str, keys: &[u8]) -> String {
    if keystrokes::parse(text).is_ok_and(|parsed| parsed == keys) {
        text.to_owned()
    } else {
        keystrokes::format(keys)
    }
}

/// `{ screen = 'server\$ $', timeout = "5s" }`.
fn wait_for(w: &WaitFor) -> String {
    let (key, value) = w.condition.key_and_value();
    let mut parts = vec![format!("{key} = {}", string(value))];
    if let WaitCondition::Started { host, .. } | WaitCondition::Ended { host, .. } = &w.condition {
        parts.push(format!("host = {}", string(&host.to_string())));
    }
    parts.push(format!("timeout = {}", duration(w.timeout)));
    inline_table(&parts)
}

/// `key = value` lines of one table.
#[derive(Default)]
struct Lines(Vec<String>);

impl Lines {
    fn push(&mut self, key: &str, value: String) {
        self.0.push(format!("{key} = {value}"));
    }

    /// The key, if its value is not the default.
    fn differs<T: Copy + PartialEq>(
        &mut self,
        key: &str,
        value: T,
        default: T,
        show: fn(T) -> String,
    ) {
        if value != default {
            self.push(key, show(value));
        }
    }
}

fn count_text(n: u32) -> String {
    n.to_string()
}

fn duration(d: Duration) -> String {
    string(&format_duration(d))
}

fn drawn_duration(d: Drawn<Duration>) -> String {
    string(&d.to_string())
}

/// A fixed size as [`size`] writes it; a range as a string.
fn drawn_size(d: Drawn<u64>) -> String {
    if d.is_fixed() {
        size(d.min)
    } else {
        string(&d.to_string())
    }
}

/// `"64KiB"` when a binary unit is exact, else a plain integer.
fn size(bytes: u64) -> String {
    let text = format_size(bytes);
    if text.bytes().all(|b| b.is_ascii_digit()) {
        text
    } else {
        string(&text)
    }
}

fn strings(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| string(s)).collect();
    format!("[{}]", quoted.join(", "))
}

fn arrays(items: &[Vec<String>]) -> String {
    let inner: Vec<String> = items.iter().map(|a| strings(a)).collect();
    format!("[{}]", inner.join(", "))
}

fn inline_table(pairs: &[String]) -> String {
    if pairs.is_empty() {
        "{}".to_owned()
    } else {
        format!("{{ {} }}", pairs.join(", "))
    }
}

/// A table key: bare when TOML allows it, else quoted (`"hangar:wait-eof"`,
/// `"/var/log/app.log"`).
fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare { name.to_owned() } else { string(name) }
}

/// `s` as a TOML string that reads back to `s`. A basic string (`"..."`)
/// unless `s` has backslashes and nothing a literal string (`'...'`)
/// cannot hold or that reads better escaped: `'echo a\b'` rather than
/// `"echo a\\b"`, but `"echo \"it's\""`.
fn string(s: &str) -> String {
    let literal =
        s.contains('\\') && !s.contains(|c: char| c == '\'' || c == '"' || c.is_control());
    if literal {
        return format!("'{s}'");
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
