//! hangar's scenario files: the model, the loader and its error messages.
//!
//! A scenario file is TOML. It describes a world (a client host, a server
//! host and the network between them), a timeline of steps, and what must
//! come out. [`load_file`] reads one into a [`Scenario`]; every problem is a
//! [`LoadError`] with `file:line:col`, the key, what was expected and an
//! example, so that a person can fix the file without reading this code:
//!
//! ```text
//! scenarios/pipes/x.toml:12:7: step[2].at: expected a duration such as `30s`, `250ms` or `1.5s`, found `30 seconds`
//!   example: at = "30s"
//! ```
//!
//! What the simulated hosts cannot run is rejected here too, never
//! approximated: a `run` line must parse as hangar's shell subset
//! ([`hangar_shell`]) and may only use the commands in [`KNOWN_COMMANDS`].
//!
//! [`to_toml`] goes the other way: it writes a [`Scenario`] as a file that
//! loads back to the same scenario (for tools that write scenarios, such as
//! shrinking).
//!
//! # Example
//!
//! ```toml
//! title  = "A background job holding stdout keeps an OpenSSH session open"
//! source = "000_7bc76eb44a87564d.txt"
//! tags   = ["pipes", "logout-hang"]
//! targets = ["openssh", "dropbear"]
//!
//! [world]
//! horizon = "120s"
//!
//! [[step]]
//! at  = "0s"
//! run = "ssh server 'sleep 30 &'"
//!
//! [expect]
//! client = { exit = 0, after = "30s", within = "31s" }
//! lost_bytes = 0
//! survivors = []
//!
//! [expect.dropbear]
//! client = { exit = 0, within = "1s" }
//! survivors = ["sleep"]
//! ```
//!
//! Loading it, and what a mistake looks like:
//!
//! ```
//! use std::time::Duration;
//!
//! let text = r#"
//! title  = "A background job holding stdout keeps an OpenSSH session open"
//! source = "000_7bc76eb44a87564d.txt"
//!
//! [[step]]
//! at  = "0s"
//! run = "ssh server 'sleep 30 &'"
//! "#;
//! let scenario = hangar_scenario::load_str("bg.toml", text).unwrap();
//! assert_eq!(scenario.steps[0].at, hangar_scenario::Drawn::fixed(Duration::ZERO));
//! assert_eq!(scenario.targets, hangar_scenario::Target::all_sim());
//!
//! let err = hangar_scenario::load_str("bg.toml", &text.replace("0s", "0")).unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "bg.toml:6:7: step[1].at: expected a duration such as `30s`, `250ms` or `1.5s`, \
//!      found `0` (a number needs a unit: `0s`)\n  example: at = \"0s\""
//! );
//! ```
//!
//! # File format
//!
//! Durations are strings: one or more `<number><unit>` with a unit among
//! `h`, `m`, `s`, `ms`, `us`, `ns` (`"30s"`, `"1.5s"`, `"250ms"`, `"1m30s"`).
//! No time may be longer than 30 days (`"720h"`, [`MAX_DURATION`]).
//! Sizes are integers (bytes) or strings with a unit among `B`, `KiB`,
//! `MiB`, `GiB`, `KB`, `MB`, `GB` (`"64KiB"`). Keys are case-sensitive; a key
//! that is not listed here is an error.
//!
//! ## Ranges
//!
//! A few keys (marked *drawn* below) take an inclusive range instead of a
//! value: both ends joined by `..`, in one string (`latency =
//! "1ms..50ms"`, `pipe_buffer = "4KiB..64KiB"`, `at = "1s..3s"`). Each
//! seed draws its own value from the range, as a swarm test does, so that
//! running a scenario over many seeds explores many worlds and timings. A
//! single value is the same for every seed. The start must not be after the
//! end; any other key given a range is an error. The model keeps both ends
//! ([`Drawn`]); drawing is up to the runner.
//!
//! ## Top level
//!
//! | key | type | default | example |
//! |---|---|---|---|
//! | `title` | non-empty string | required | `title = "A background job holding stdout keeps the session open"` |
//! | `source` | non-empty string: the seed document | required | `source = "000_7bc76eb44a87564d.txt"` |
//! | `tags` | array of strings | `[]` | `tags = ["pipes", "logout-hang"]` |
//! | `targets` | non-empty array of target names, no repeats | every sim target ([`Target::all_sim`]) | `targets = ["openssh", "hangar:drain=2s"]` |
//!
//! Targets are `openssh`, `dropbear`, `hangar:wait-eof`,
//! `hangar:close-on-exit` and `hangar:drain=<duration>` ([`Target`]).
//!
//! ## `[world]`
//!
//! | key | type | default | example |
//! |---|---|---|---|
//! | `horizon` | duration, above `0s` | `"120s"` | `horizon = "300s"` |
//! | `latency` | duration, drawn: one-way latency of every segment | `"1ms"` | `latency = "1ms..50ms"` |
//! | `retransmission_timeout` | duration: how long unacknowledged data is retransmitted | `"924.6s"` (Linux `tcp_retries2` = 15) | `retransmission_timeout = "10s"` |
//! | `bandwidth` | size above 0 per second each direction carries | unlimited | `bandwidth = "1MiB"` |
//! | `linger` | duration: how long the run goes on after the last command ended while server processes live | `"2s"` | `linger = "5s"` |
//! | `tick` | duration above `0s`: the simulated clock's step; segments are delivered on tick boundaries | `"5ms"` | `tick = "1ms"` |
//! | `pipe_buffer` | size of at least 4 KiB (a page, pipe(7)), drawn: the capacity of every pipe | `"64KiB"` (Linux, pipe(7)) | `pipe_buffer = "4KiB..64KiB"` |
//! | `window` | size of at least 1 byte, drawn: the SSH channel window the server and the client advertise | `"2MiB"` (OpenSSH's `CHAN_SES_WINDOW_DEFAULT`) | `window = "32KiB..2MiB"` |
//! | `write_pacing` | duration, drawn: the pause a simulated utility takes between two writes | `"0s"` | `write_pacing = "0ms..5ms"` |
//! | `files` | table: file name to size, files on the server host | none | `files = { big = "1MiB", "/var/log/app.log" = 4096 }` |
//!
//! ## `[client]`: ssh_config(5) options of the simulated client
//!
//! Times are durations or, as in ssh_config, a number of seconds (`15`,
//! `"15"`). `0` switches an option off.
//!
//! | key | type | default | example |
//! |---|---|---|---|
//! | `ServerAliveInterval` | time | off | `ServerAliveInterval = "15s"` |
//! | `ServerAliveCountMax` | whole number | `3` | `ServerAliveCountMax = 3` |
//! | `ConnectTimeout` | time | the TCP default | `ConnectTimeout = 10` |
//!
//! ## `[server]`: options of the simulated server
//!
//! | key | type | default | example |
//! |---|---|---|---|
//! | `ClientAliveInterval` | time, sshd_config(5) | off | `ClientAliveInterval = "15s"` |
//! | `ClientAliveCountMax` | whole number, sshd_config(5) | `3` | `ClientAliveCountMax = 3` |
//! | `DropbearKeepalive` | time, dropbear(8) `-K` | off | `DropbearKeepalive = "5s"` |
//! | `KillUserProcesses` | boolean, logind.conf(5): every process of the user is killed when the user's last session ends | `false` | `KillUserProcesses = true` |
//! | `ChannelTimeout` | `type=interval` pairs, sshd_config(5) (OpenSSH 9.2+): a session channel without traffic for the interval is closed, its command left running | none | `ChannelTimeout = "session:command=30s"` |
//! | `UnusedConnectionTimeout` | time, sshd_config(5) (OpenSSH 9.2+): a connection with no open channel is closed | never | `UnusedConnectionTimeout = "10s"` |
//! | `DropbearIdleTimeout` | time, dropbear(8) `-I`: the connection is closed after that long without a packet either way | off | `DropbearIdleTimeout = "30s"` |
//!
//! ## `[[step]]`: the timeline, one table per step
//!
//! A scenario has at least one step. Steps are listed in time order (equal times keep file order). A step
//! whose `at` is a range is listed by the start of its range, so ranges of
//! neighbouring steps may overlap: the runner orders the steps by the
//! times each seed draws (equal times keep file order). A step without
//! `at` happens right after the previous step and gets its `at` (the first
//! step: `0s`); steps run in order, and a `wait_for` step holds back every
//! step after it until its condition holds. In error messages, `step[1]` is
//! the first `[[step]]` of the file.
//!
//! Each step has exactly one of `run`, `net`, `type`, `wait_for` and `resize`.
//!
//! | key | type | default | example |
//! |---|---|---|---|
//! | `at` | duration, drawn; its start not before the previous step's, its end not after the horizon | right after the previous step | `at = "5s"`, `at = "1s..3s"` |
//! | `run` | command line, run by `sh -c` on the client host | | `run = "ssh server 'sleep 30 &'"` |
//! | `net` | network fault | | `net = "partition client->server"` |
//! | `type` | keystrokes typed into the client's terminal, one per tick | | `type = "sleep 100\n^Z"` |
//! | `wait_for` | inline table: one of `screen`, `trace`, `started` and `ended` (these two with `host`), and `timeout` | | `wait_for = { screen = 'server\$ $', timeout = "5s" }`, `wait_for = { started = "sleep", host = "server", timeout = "5s" }` |
//! | `resize` | the client terminal's new size, COLSxROWS | | `resize = "120x40"` |
//!
//! A `run` line is a line of hangar's shell subset that runs at least one
//! command (pipelines `a | b` included; no variables but `$$` and `$?`; see
//! [`hangar_shell`]). Its commands, also
//! those wrapped by `nohup`, `setsid` and `timeout`, must be in
//! [`KNOWN_COMMANDS`]; what `ssh host '...'` and `sh -c '...'` run is
//! checked when it runs.
//!
//! Network faults ([`NET_FAULT_FORMS`]): `partition`,
//! `partition client->server`, `partition server->client`, `heal`, `hold`,
//! `release`, `latency <duration>`, `crash server`, `restart server`,
//! `crash client`, `restart client`.
//!
//! `type` is a non-empty string in key notation: a character is its UTF-8
//! bytes; a newline (`\n`) is Enter, which sends `\r`; `^X` is a control
//! key, X & 0x1f for X a letter or one of `@[\]_` (`^C`, `^Z`, `^D`, `^\`,
//! `^[` for Escape); `^?` is Backspace (DEL, 127); `^^` is a `^` (so
//! Ctrl-^ is written `\u001e`). Any other `^` is an error.
//!
//! `wait_for` takes `screen`, a regex that must match the client
//! terminal's screen (multi-line mode: `^` and `$` match at line ends), or
//! `trace`, a regex that must match one line of the trace without its time
//! column (`server sshd[3] -> CLOSE`), or `started` / `ended` with
//! `host`: a process running that program starts (is forked or execs it)
//! or ends (exits or is killed) on that host, and `timeout`, a duration
//! above `0s`. Prefer `started` to a trace pattern for a process start: a
//! pattern such as `server \S+\[\d+\] +started` matches the sim's
//! per-connection sshd as well as the session's processes, and the real
//! lane sees other processes than the sim does. When the timeout runs out first, the verdict is `unknown`. Regexes
//! are the [`regex`] crate's and must compile.
//!
//! ## `[seeds]`: what must hold over many seeds
//!
//! A race shows on some seeds only. `[seeds]` states it over the seeds
//! `0..count`, per target: on `none`, `some` (at least one, not all) or
//! `all` of them, bytes are lost. `hangar explore` reports it and the
//! catalog tests check it.
//!
//! | key | type | default | example |
//! |---|---|---|---|
//! | `count` | whole number, at least 1 | `100` | `count = 200` |
//! | `lost_bytes` | table: target to `none`, `some` or `all` | none | `lost_bytes = { "hangar:close-on-exit" = "some", openssh = "none" }` |
//!
//! ## `[expect]`: what must come out
//!
//! Every key is optional; a key left out is not checked.
//!
//! | key | type | example |
//! |---|---|---|
//! | `client` | inline table, below | `client = { exit = 0, after = "30s", within = "31s" }` |
//! | `lost_bytes` | size: remote output that never reached the client | `lost_bytes = 0` |
//! | `stdout_bytes` | size: what the client wrote to its stdout | `stdout_bytes = 5` |
//! | `stderr_bytes` | size: what the client wrote to its stderr, ssh's own words included | `stderr_bytes = 5` |
//! | `survivors` | array of process names alive at the end (sorted on load) | `survivors = ["sleep"]` |
//! | `screen` | array of regexes that must each match the client terminal's final screen (multi-line mode) | `screen = ['server\$ $']` |
//! | `stdout` | array of regexes that must each match what the client wrote to its stdout (multi-line mode; the first 64 KiB) | `stdout = ['\Aout\n\z']` |
//! | `stderr` | array of regexes that must each match what the client wrote to its stderr, ssh's own words included | `stderr = ['^oops$']` |
//! | `order` | array of teardown events the client's ssh must see in this order | `order = ["eof", "exit-status", "close"]` |
//! | `order_any` | non-empty array of such orders, one of which must hold | `order_any = [["exit-status", "eof"], ["eof", "exit-status"]]` |
//! | `files` | table of `host:path` (relative to the home the host's sessions start in) to `exists`, `absent`, `directory` or `{ size = <bytes> }` | `files = { "server:done" = "exists", "client:copy" = { size = "1MiB" } }` |
//! | `survivors_any` | non-empty array of survivor lists, one of which must be the run's | `survivors_any = [[], ["sleep"]]` |
//!
//! `stdout` and `stderr` see the first 64 KiB the command lines wrote
//! there, read as UTF-8 (an invalid byte becomes U+FFFD). ssh's own words
//! on stderr count: its goodbye `Connection to server closed.` reads the
//! same in both lanes, but when ssh fails (exit 255) the real lane keeps
//! its message in ssh's log, not on stderr.
//!
//! The teardown events ([`TEARDOWN_EVENTS`]) are what the client's ssh
//! (the first one that saw any) received or met as its session ended:
//! `exit-status`, `exit-signal`, `eof`, `close` (RFC 4254 6.10, 5.3),
//! `connection-lost` (the connection closed or reset under an open
//! channel) and `keepalive-timeout`. An order lists some of them; the
//! events it does not name may come anywhere, and each one it names must
//! be seen exactly where it is listed. Where a peer's answer is a race,
//! `order_any` and `survivors_any` state the honest alternatives; each
//! goes alone, not with `order` or `survivors` in the same table, and a
//! target's table that sets either form replaces both of the base's.
//!
//! `client` takes `exit` (an exit code from 0 to 255, or `"none"`: still
//! running at the horizon) or `exit_any` (exit codes, one of which the
//! client's must be: `exit_any = [0, 255]`), `after` and `within` (durations: the earliest
//! and the latest time the client may exit; `after` not later than
//! `within`).
//!
//! `[expect.<target>]` overrides `[expect]` for one target, with the same
//! keys: a key set there replaces the base one. Quote target names that
//! contain `:` or `=`: `[expect."hangar:close-on-exit"]`.
//!
//! `[expect.sim]` and `[expect.real]` override `[expect]` in one lane,
//! before a target's table does. They are for what cannot agree by
//! nature, such as time: a real peer takes tenths of a second to set a
//! session up where the sim takes hundredths. A difference in what
//! happens is a fault of the model to fix, not to write down here.

mod channel_timeout;
mod commands;
mod defaults;
mod drawn;
mod duration;
mod error;
mod fault;
mod files;
mod keys;
mod keystrokes;
mod load;
mod model;
mod order;
mod pattern;
mod position;
mod ranges;
mod raw;
mod render;
mod reword;
mod size;
mod target;
mod unknown;
mod values;

use std::fs;
use std::path::{Path, PathBuf};

pub use channel_timeout::{SESSION_COMMAND, SESSION_SHELL, timeout_for};
pub use commands::{KNOWN_COMMANDS, check_commands};
pub use duration::{
    EXPECTED_DURATION, MAX_DURATION, ParseDurationError, format_duration, parse_duration,
    whole_seconds,
};
pub use error::LoadError;
pub use fault::{NET_FAULT_FORMS, ParseNetFaultError};
pub use model::{
    Action, CAPTURED_OUTPUT, ChannelTimeout, ClientExpect, ClientOptions, Drawn, ExitExpect,
    Expect, FileExpect, FileState, Host, LaneKind, NetFault, NetOptions, Quantifier, Scenario,
    SeedExpect, ServerOptions, Step, VirtualFile, WaitCondition, WaitFor, World,
};
pub use order::TEARDOWN_EVENTS;
pub use position::{line_col, string_offset};
pub use render::to_toml;
pub use size::{EXPECTED_SIZE, ParseSizeError, format_size, parse_size};
pub use target::{ParseTargetError, Policy, TARGET_FORMS, Target};

/// Reads and validates the scenario file at `path`.
///
/// # Errors
///
/// A file that cannot be read (see [`read_text`]), or the problems in its
/// contents, in file order (see [`load_str`]).
pub fn load_file(path: &Path) -> Result<Scenario, LoadError> {
    let name = path.display().to_string();
    load_str(&name, &read_text(path, &name)?)
}

/// The text of the scenario file at `path`, called `name` in messages.
///
/// # Errors
///
/// A path that is not a regular file, refused before it is opened (reading
/// a FIFO would wait for a writer, maybe forever); a file that cannot be
/// read; a file that is not UTF-8, at the line and column of its first
/// bad byte.
pub fn read_text(path: &Path, name: &str) -> Result<String, LoadError> {
    let meta = fs::metadata(path).map_err(|e| LoadError::io(name, "the file", &e))?;
    if !meta.is_file() {
        return Err(LoadError::whole_file(
            name,
            format!(
                "not a regular file ({}); a scenario is a .toml file",
                file_kind(&meta.file_type())
            ),
        ));
    }
    let bytes = fs::read(path).map_err(|e| LoadError::io(name, "the file", &e))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid_up_to = e.utf8_error().valid_up_to();
        let bad = e.as_bytes()[valid_up_to];
        let valid = String::from_utf8_lossy(&e.as_bytes()[..valid_up_to]);
        LoadError::at(
            name,
            &valid,
            valid_up_to,
            None,
            format!("the file is not UTF-8 text: the byte 0x{bad:02X} here starts no character"),
            None,
        )
    })
}

/// What a file that is not a regular one is, in words.
fn file_kind(kind: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "not a file"
    }
}

/// Validates `text`, the contents of a scenario file; `path_for_messages`
/// is what errors and [`Scenario::path`] call it.
///
/// # Errors
///
/// One problem: a TOML syntax error or a key in the wrong place (a
/// misspelt key, `[step]` for `[[step]]`) if there is one, else the first
/// wrong value in the file.
pub fn load_str(path_for_messages: &str, text: &str) -> Result<Scenario, LoadError> {
    load::load(path_for_messages, text)
}

/// The scenario files under `path`: `path` itself if it is a file, else
/// every `*.toml` file in the directory and below, sorted by path. Symbolic
/// links to files are followed, to directories not (no cycles). An empty
/// directory gives an empty list.
///
/// # Errors
///
/// A path or directory that cannot be read.
pub fn discover(path: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let meta = fs::metadata(path)
        .map_err(|e| LoadError::io(&path.display().to_string(), "the path", &e))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut found = Vec::new();
    walk(path, &mut found)?;
    found.sort();
    Ok(found)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let io_err = |e: std::io::Error| LoadError::io(&dir.display().to_string(), "the directory", &e);
    for entry in fs::read_dir(dir).map_err(io_err)? {
        let entry = entry.map_err(io_err)?;
        let path = entry.path();
        let kind = entry.file_type().map_err(io_err)?;
        if kind.is_dir() {
            walk(&path, found)?;
        } else if path.extension().is_some_and(|ext| ext == "toml")
            && (kind.is_file() || path.is_file())
        {
            found.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory under the target's temporary area.
    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("hangar-scenario-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn discover_finds_toml_files_recursively_in_sorted_order() {
        let dir = temp_dir("discover");
        for file in [
            "net/b.toml",
            "pipes/a.toml",
            "a.toml",
            "pipes/notes.md",
            "z/y/x.toml",
        ] {
            let path = dir.join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, "").unwrap();
        }
        fs::create_dir_all(dir.join("empty.toml")).unwrap();
        let found: Vec<String> = discover(&dir)
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(&dir).unwrap().display().to_string())
            .collect();
        assert_eq!(
            found,
            ["a.toml", "net/b.toml", "pipes/a.toml", "z/y/x.toml"]
        );
        assert_eq!(discover(&dir.join("a.toml")).unwrap(), [dir.join("a.toml")]);
        assert_eq!(
            discover(&dir.join("empty.toml")).unwrap(),
            Vec::<PathBuf>::new()
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_paths_are_load_errors() {
        let err = discover(Path::new("/nonexistent/scenarios")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/nonexistent/scenarios:1:1: cannot read the path: no such file or directory"
        );
        let err = load_file(Path::new("/nonexistent/x.toml")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/nonexistent/x.toml:1:1: cannot read the file: no such file or directory"
        );
    }

    #[test]
    fn load_file_reports_bytes_that_are_not_utf8() {
        let dir = temp_dir("utf8");
        let path = dir.join("bad.toml");
        fs::write(&path, b"title = \"ok\"\nsource = \"\xff\"\n").unwrap();
        let err = load_file(&path).unwrap_err();
        assert_eq!((err.line, err.col), (2, 11));
        assert_eq!(
            err.message,
            "the file is not UTF-8 text: the byte 0xFF here starts no character"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn load_file_loads_and_names_the_file() {
        let dir = temp_dir("load");
        let path = dir.join("ok.toml");
        fs::write(
            &path,
            "title = \"t\"\nsource = \"s\"\n[[step]]\nat = \"0s\"\nrun = \"sleep 1\"\n",
        )
        .unwrap();
        let scenario = load_file(&path).unwrap();
        assert_eq!(scenario.path, path.display().to_string());
        assert_eq!(scenario.steps.len(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }
}
