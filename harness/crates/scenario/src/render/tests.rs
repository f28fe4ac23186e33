use std::path::Path;

use super::*;
use crate::{discover, load_file, load_str};

/// Renders `original` and loads the text back; the two must be equal but
/// for the path and the steps' lines, and rendering again must give the
/// same text.
fn assert_round_trip(original: &Scenario) -> String {
    let text = to_toml(original);
    let mut loaded = load_str(&original.path, &text)
        .unwrap_or_else(|e| panic!("{e}\nrendered from {}:\n{text}", original.path));
    assert_eq!(loaded.steps.len(), original.steps.len());
    for (step, before) in loaded.steps.iter_mut().zip(&original.steps) {
        let header = text.lines().nth(step.line - 1);
        assert_eq!(header, Some("[[step]]"), "{}", original.path);
        step.line = before.line;
    }
    assert_eq!(&loaded, original, "{}:\n{text}", original.path);
    assert_eq!(to_toml(&loaded), text, "{}", original.path);
    text
}

#[test]
fn every_catalog_scenario_round_trips() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../scenarios"));
    let files = discover(dir).unwrap();
    assert!(!files.is_empty(), "no scenarios under {}", dir.display());
    for file in files {
        assert_round_trip(&load_file(&file).unwrap_or_else(|e| panic!("{e}")));
    }
}

/// Every key set to something other than its default, ranges included.
const EVERYTHING: &str = r#"title = "Every key: \"quotes\", 'apostrophes', a \\ and a tab\t"
source = 'C:\seeds\000.txt'
tags = ["pipes", "it's", "a \"b\""]
targets = ["dropbear", "hangar:drain=1.5s", "openssh"]

[world]
horizon = "5m"
latency = "1ms..50ms"
retransmission_timeout = "10s"
bandwidth = 125000
linger = "500ms"
tick = "1ms"
pipe_buffer = "4KiB..64KiB"
window = "32KiB..2MiB"
write_pacing = "0ms..5ms"
files = { big = "8MiB", "/var/log/app.log" = 4096, odd = "10KB", "a b" = 0 }

[client]
ServerAliveInterval = 15
ServerAliveCountMax = 5
ConnectTimeout = "2.5s"

[server]
ClientAliveInterval = "1s"
ClientAliveCountMax = 0
DropbearKeepalive = "1m"
KillUserProcesses = true
ChannelTimeout = "session:command=3s *=1500ms"
UnusedConnectionTimeout = 10
DropbearIdleTimeout = "30s"

[[step]]
at = "0s"
run = "ssh server 'sleep 30 &'; echo \"done\""

[[step]]
at = "0s"
run = 'printf a\\b'

[[step]]
at = "1s..3s"
run = "echo \"it's\""

[[step]]
at = "2s"
net = "partition client->server"

[[step]]
at = "2s..4s"
net = "latency 200ms"

[[step]]
at = "10s"
net = "crash server"

[[step]]
at = "11s"
net = "restart server"

[[step]]
type = "sleep 100\n^Z^c^\\^[[A^?^@^_ 2^^3 é\u001e\r\n"

[[step]]
wait_for = { screen = 'server\$ $', timeout = "5s" }

[[step]]
at = "12s..13s"
wait_for = { trace = "-> CLOSE", timeout = "250ms" }

[expect]
client = { exit = 0, after = "30s", within = "31s" }
lost_bytes = 0
stdout_bytes = "1KiB"
stderr_bytes = 45
survivors = ["sleep", "cat"]
screen = ['Stopped +sleep 100', "it's \"quoted\"", '^\s*$']
stdout = ['\Aearly\nlate\n\z']
stderr = ['^oops$']
order_any = [["exit-status", "eof", "close"], ["eof", "exit-status", "close"]]
files = { "client:copy" = { size = "1MiB" }, "server:d" = "directory", "server:done" = "exists", "server:gone" = "absent" }

[expect.sim]
client = { exit_any = [0, 255], within = "1s" }

[expect.real]
client = { within = "2s" }

[expect.openssh]
survivors_any = [[], ["sleep"]]

[expect.dropbear]
client = {}
survivors = []
screen = []

[expect."hangar:close-on-exit"]
client = { exit = "none" }
"#;

#[test]
fn a_file_with_every_key_and_ranges_round_trips() {
    let original = load_str("everything.toml", EVERYTHING).unwrap_or_else(|e| panic!("{e}"));
    assert!(!original.world.net.latency.is_fixed());
    assert_eq!(original.expect_by_target.len(), 3);
    assert!(original.world.server.kill_user_processes);
    assert!(original.uses_terminal());
    assert_round_trip(&original);
}

#[test]
fn renders_like_a_hand_written_file() {
    let text = "title  = \"A job holds the session\"\nsource = \"000.txt\"\n\
                tags = [\"pipes\"]\n\n# A comment.\n[world]\nhorizon = \"120s\"\n\
                latency = \"1ms..50ms\"\npipe_buffer = 4096\nwindow = 65536\n\
                files = { big = 1048576 }\n\n\
                [[step]]\nat  = \"0s\"\nrun = \"ssh server 'sleep 30 &'\"\n\n\
                [[step]]\nat = \"1s..3s\"\nnet = \"partition\"\n\n\
                [expect]\nclient = { exit = 0, within = \"31s\" }\nlost_bytes = 0\n\n\
                [expect.\"hangar:wait-eof\"]\nsurvivors = [\"sleep\"]\n";
    let scenario = load_str("x.toml", text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        assert_round_trip(&scenario),
        r#"title = "A job holds the session"
source = "000.txt"
tags = ["pipes"]

[world]
latency = "1ms..50ms"
pipe_buffer = "4KiB"
window = "64KiB"
files = { big = "1MiB" }

[[step]]
at = "0s"
run = "ssh server 'sleep 30 &'"

[[step]]
at = "1s..3s"
net = "partition"

[expect]
client = { exit = 0, within = "31s" }
lost_bytes = 0

[expect."hangar:wait-eof"]
survivors = ["sleep"]
"#
    );
}

#[test]
fn a_file_of_defaults_renders_only_title_source_and_steps() {
    let scenario = load_str(
        "x.toml",
        "title = \"t\"\nsource = \"s\"\ntags = []\n\
         targets = [\"openssh\", \"dropbear\", \"hangar:wait-eof\", \"hangar:close-on-exit\"]\n\
         [world]\nhorizon = \"2m\"\nlatency = \"1ms..1ms\"\npipe_buffer = \"64KiB\"\n\
         window = \"2MiB\"\nwrite_pacing = \"0s\"\nlinger = \"2s\"\ntick = \"5ms\"\n\
         [client]\nServerAliveCountMax = 3\nConnectTimeout = 0\n[server]\n\
         ClientAliveCountMax = 3\n[expect]\n[[step]]\nat = \"0s\"\nrun = \"true\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        assert_round_trip(&scenario),
        "title = \"t\"\nsource = \"s\"\n\n[[step]]\nat = \"0s\"\nrun = \"true\"\n"
    );
}

#[test]
fn strings_are_quoted_so_that_they_read_back() {
    assert_eq!(string("sleep 1"), r#""sleep 1""#);
    assert_eq!(
        string("ssh server 'sleep 30 &'"),
        r#""ssh server 'sleep 30 &'""#
    );
    assert_eq!(string(r#"echo "a""#), r#""echo \"a\"""#);
    assert_eq!(string(r"printf a\b"), r"'printf a\b'");
    assert_eq!(string(r"echo 'a\b'"), r#""echo 'a\\b'""#);
    assert_eq!(string("a\tb\nc\u{1b}\u{7f}é"), r#""a\tb\nc\u001b\u007fé""#);
    for s in [
        "",
        "'",
        "\"",
        "\\",
        "'''",
        "\"\"\"",
        "a\\'b\"c",
        "\r\n\u{0}\u{8}\u{c}\u{9f}",
        "日本語 🦀",
    ] {
        let text = format!(
            "title = {}\nsource = \"s\"\n[[step]]\nrun = \"true\"\n",
            string(s)
        );
        let title = match load_str("x.toml", &text) {
            Ok(scenario) => scenario.title,
            // An empty or blank title is rejected, but it did parse.
            Err(e) => {
                assert!(e.message.contains("non-empty"), "{s:?}: {e}");
                s.to_owned()
            }
        };
        assert_eq!(title, s, "{text}");
    }
}

#[test]
fn keys_are_bare_only_when_toml_allows() {
    assert_eq!(key("dropbear"), "dropbear");
    assert_eq!(key("big_file-2"), "big_file-2");
    assert_eq!(key("hangar:wait-eof"), r#""hangar:wait-eof""#);
    assert_eq!(key("hangar:drain=2s"), r#""hangar:drain=2s""#);
    assert_eq!(key("/var/log/app.log"), r#""/var/log/app.log""#);
    assert_eq!(key("é"), r#""é""#);
    assert_eq!(key(""), r#""""#);
}

#[test]
fn terminal_steps_render_as_written() {
    let text = r#"title = "t"
source = "s"

[server]
KillUserProcesses = true

[[step]]
at = "0s"
run = "ssh server"

[[step]]
at = "0s"
wait_for = { screen = 'server\$ $', timeout = "5s" }

[[step]]
at = "0s"
type = "sleep 100\n^Z"

[[step]]
at = "0s"
wait_for = { trace = "-> CLOSE", timeout = "1.5s" }

[expect]
screen = ['\[1\]\+ +Stopped']
"#;
    let scenario = load_str("x.toml", text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(assert_round_trip(&scenario), text);
}

#[test]
fn keystrokes_a_tool_changed_render_from_their_bytes() {
    let text = "title = \"t\"\nsource = \"s\"\n[[step]]\ntype = \"^c\"\n";
    let mut scenario = load_str("x.toml", text).unwrap_or_else(|e| panic!("{e}"));
    assert!(to_toml(&scenario).contains("\ntype = \"^c\"\n"));
    scenario.steps[0].action = Action::Type {
        text: "stale".into(),
        keys: b"ls\r\x03^\x7f\x1e".to_vec(),
    };
    let rendered = to_toml(&scenario);
    assert!(
        rendered.contains("\ntype = \"ls\\n^C^^^?\\u001e\"\n"),
        "{rendered}"
    );
    let loaded = load_str("x.toml", &rendered).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        loaded.steps[0].action,
        Action::Type {
            text: "ls\n^C^^^?\u{1e}".into(),
            keys: b"ls\r\x03^\x7f\x1e".to_vec(),
        }
    );
}
