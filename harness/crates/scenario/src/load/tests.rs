use super::*;
use crate::model::{ExitExpect, FileExpect, FileState, Host, NetOptions, WaitCondition, WaitFor};
use crate::target::Policy;

const FULL: &str = r#"title  = "A background job holding stdout keeps an OpenSSH session open"
source = "000_7bc76eb44a87564d.txt"   # the SSH FAQ
tags   = ["pipes", "logout-hang"]
targets = ["openssh", "dropbear", "hangar:drain=2s"]

[world]
horizon = "120s"
latency = "1ms"
retransmission_timeout = "924.6s"
files = { big = 1048576, small = "64KiB", "/var/log/app.log" = "10KB" }

[client]
ServerAliveInterval = "1s"
ServerAliveCountMax = 3
ConnectTimeout = 10

[server]
ClientAliveInterval = "1s"
ClientAliveCountMax = 2
DropbearKeepalive = "5s"

[[step]]
at  = "0s"
run = "ssh server 'sleep 30 &'"

[[step]]
at  = "5s"
net = "partition client->server"

[[step]]
at  = "5s"
net = "latency 200ms"

[[step]]
at  = "60s"
net = "heal"

[expect]
client = { exit = 0, after = "30s", within = "31s" }
lost_bytes = 0
stdout_bytes = "1KiB"
stderr_bytes = 0
survivors = ["sleep", "nohup", "cat"]
stdout = ['\Aok\n']
order = ["exit-status", "close"]
files = { "server:done" = "exists", "client:./copy" = { size = "1KiB" }, "server:d/x" = "absent" }

[expect.dropbear]
client = { exit = 0, within = "1s" }

[expect."hangar:close-on-exit"]
client = { exit = "none" }

[expect.real]
client = { exit = 0, after = "30s", within = "32s" }
"#;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The error for `text`, displayed.
fn error(text: &str) -> String {
    match load("x.toml", text) {
        Ok(_) => panic!("loaded:\n{text}"),
        Err(e) => e.to_string(),
    }
}

/// The error for a minimal valid file with `extra` appended, and a step
/// at the end if `extra` has none, so that a scenario without steps is not
/// a second problem.
fn error_with(extra: &str) -> String {
    error(&format!(
        "title = \"t\"\nsource = \"s\"\n{extra}{}",
        step_unless_in(extra)
    ))
}

/// A step to append to `extra`, unless it has one.
fn step_unless_in(extra: &str) -> &'static str {
    if extra.contains("[step]") {
        ""
    } else {
        "[[step]]\nrun = \"true\"\n"
    }
}

/// A minimal valid file with `extra` appended, and a step if `extra` has
/// none (a scenario needs one).
fn load_with(extra: &str) -> Scenario {
    let step = if extra.contains("[step]") {
        ""
    } else {
        "[[step]]\nrun = \"true\"\n"
    };
    let text = format!("title = \"t\"\nsource = \"s\"\n{extra}{step}");
    load("x.toml", &text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn full_file_loads_into_the_model() {
    let run = "ssh server 'sleep 30 &'";
    let expected = Scenario {
        seeds: None,
        path: "scenarios/pipes/bg.toml".into(),
        title: "A background job holding stdout keeps an OpenSSH session open".into(),
        source: "000_7bc76eb44a87564d.txt".into(),
        tags: vec!["pipes".into(), "logout-hang".into()],
        targets: vec![
            Target::OpenSsh,
            Target::Dropbear,
            Target::Hangar(Policy::Drain(secs(2))),
        ],
        world: World {
            horizon: secs(120),
            client: ClientOptions {
                server_alive_interval: Some(secs(1)),
                server_alive_count_max: 3,
                connect_timeout: Some(secs(10)),
            },
            server: ServerOptions {
                client_alive_interval: Some(secs(1)),
                client_alive_count_max: 2,
                dropbear_keepalive: Some(secs(5)),
                kill_user_processes: false,
                ..ServerOptions::default()
            },
            net: NetOptions {
                latency: Drawn::fixed(ms(1)),
                retransmission_timeout: ms(924_600),
                bandwidth: None,
            },
            linger: secs(2),
            tick: ms(5),
            pipe_buffer: Drawn::fixed(65_536),
            window: Drawn::fixed(2_097_152),
            write_pacing: Drawn::fixed(Duration::ZERO),
            files: vec![
                VirtualFile {
                    name: "/var/log/app.log".into(),
                    size: 10_000,
                },
                VirtualFile {
                    name: "big".into(),
                    size: 1_048_576,
                },
                VirtualFile {
                    name: "small".into(),
                    size: 65_536,
                },
            ],
        },
        steps: vec![
            Step {
                at: Drawn::fixed(secs(0)),
                action: Action::Run {
                    line: run.into(),
                    script: hangar_shell::parse(run).unwrap(),
                },
                line: 22,
            },
            Step {
                at: Drawn::fixed(secs(5)),
                action: Action::Net(NetFault::PartitionOneWay {
                    from: Host::Client,
                    to: Host::Server,
                }),
                line: 26,
            },
            Step {
                at: Drawn::fixed(secs(5)),
                action: Action::Net(NetFault::Latency(ms(200))),
                line: 30,
            },
            Step {
                at: Drawn::fixed(secs(60)),
                action: Action::Net(NetFault::Heal),
                line: 34,
            },
        ],
        expect: Expect {
            client: Some(ClientExpect {
                exit: Some(ExitExpect::Code(0)),
                exit_any: None,
                after: Some(secs(30)),
                within: Some(secs(31)),
            }),
            lost_bytes: Some(0),
            stdout_bytes: Some(1024),
            stderr_bytes: Some(0),
            survivors: Some(vec!["cat".into(), "nohup".into(), "sleep".into()]),
            screen: None,
            stdout: Some(vec![r"\Aok\n".into()]),
            stderr: None,
            order: Some(vec!["exit-status".into(), "close".into()]),
            order_any: None,
            survivors_any: None,
            files: Some(vec![
                FileExpect {
                    host: Host::Client,
                    path: "copy".into(),
                    state: FileState::Size(1024),
                },
                FileExpect {
                    host: Host::Server,
                    path: "d/x".into(),
                    state: FileState::Absent,
                },
                FileExpect {
                    host: Host::Server,
                    path: "done".into(),
                    state: FileState::Exists,
                },
            ]),
        },
        expect_by_target: vec![
            (
                Target::Dropbear,
                Expect {
                    client: Some(ClientExpect {
                        exit: Some(ExitExpect::Code(0)),
                        exit_any: None,
                        after: None,
                        within: Some(secs(1)),
                    }),
                    ..Expect::default()
                },
            ),
            (
                Target::Hangar(Policy::CloseOnExit),
                Expect {
                    client: Some(ClientExpect {
                        exit: Some(ExitExpect::Never),
                        ..ClientExpect::default()
                    }),
                    ..Expect::default()
                },
            ),
        ],
        expect_by_lane: vec![(
            LaneKind::Real,
            Expect {
                client: Some(ClientExpect {
                    exit: Some(ExitExpect::Code(0)),
                    exit_any: None,
                    after: Some(secs(30)),
                    within: Some(secs(32)),
                }),
                ..Expect::default()
            },
        )],
    };
    let loaded = load("scenarios/pipes/bg.toml", FULL).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded, expected);
}

#[test]
fn step_line_is_the_line_of_its_header() {
    for step in load("x.toml", FULL).unwrap().steps {
        let header = FULL.lines().nth(step.line - 1).unwrap();
        assert_eq!(header, "[[step]]");
    }
}

#[test]
fn left_out_keys_take_their_defaults() {
    let s = load_with("");
    assert_eq!(s.tags, Vec::<String>::new());
    assert_eq!(s.targets, Target::all_sim());
    assert_eq!(s.world.horizon, secs(120));
    assert_eq!(s.world.net.latency, Drawn::fixed(ms(1)));
    assert_eq!(s.world.pipe_buffer, Drawn::fixed(64 * 1024));
    assert_eq!(s.world.window, Drawn::fixed(2 * 1024 * 1024));
    assert_eq!(s.world.write_pacing, Drawn::fixed(Duration::ZERO));
    assert_eq!(s.world.net.retransmission_timeout, ms(924_600));
    assert_eq!(s.world.files, vec![]);
    assert_eq!(
        s.world.client,
        ClientOptions {
            server_alive_interval: None,
            server_alive_count_max: 3,
            connect_timeout: None,
        }
    );
    assert_eq!(
        s.world.server,
        ServerOptions {
            client_alive_interval: None,
            client_alive_count_max: 3,
            dropbear_keepalive: None,
            kill_user_processes: false,
            ..ServerOptions::default()
        }
    );
    assert_eq!(s.steps.len(), 1, "the one step `load_with` adds");
    assert_eq!(s.expect, Expect::default());
    assert_eq!(s.expect_by_target, vec![]);
}

#[test]
fn ssh_options_take_seconds_as_ssh_config_does_and_zero_is_off() {
    let s = load_with("[client]\nServerAliveInterval = 15\nConnectTimeout = \"0\"\n");
    assert_eq!(s.world.client.server_alive_interval, Some(secs(15)));
    assert_eq!(s.world.client.connect_timeout, None);
    let s = load_with("[server]\nClientAliveInterval = \"30\"\nDropbearKeepalive = \"0s\"\n");
    assert_eq!(s.world.server.client_alive_interval, Some(secs(30)));
    assert_eq!(s.world.server.dropbear_keepalive, None);
}

#[test]
fn server_timeouts_read_as_sshd_config_and_dropbear_take_them() {
    let s = load_with(
        "[server]\nChannelTimeout = \"session:command=3s  session:*=1m\"\n\
         UnusedConnectionTimeout = 2\nDropbearIdleTimeout = \"30s\"\n",
    );
    let server = &s.world.server;
    assert_eq!(
        server.channel_timeouts,
        vec![
            crate::ChannelTimeout {
                pattern: "session:command".into(),
                after: secs(3)
            },
            crate::ChannelTimeout {
                pattern: "session:*".into(),
                after: secs(60)
            },
        ]
    );
    assert_eq!(server.unused_connection_timeout, Some(secs(2)));
    assert_eq!(server.dropbear_idle_timeout, Some(secs(30)));
    let s = load_with("[server]\nUnusedConnectionTimeout = 0\n");
    assert_eq!(s.world.server.unused_connection_timeout, None);
}

#[test]
fn a_bad_channel_timeout_pair_is_pointed_at_with_an_example() {
    let e = error_with("[server]\nChannelTimeout = \"session:command=3s session:shell\"\n");
    assert!(e.contains("4:38: server.ChannelTimeout"), "{e}");
    assert!(
        e.contains("`session:shell` is not a `type=interval` pair"),
        "{e}"
    );
    assert!(
        e.contains(r#"ChannelTimeout = "session:command=30s""#),
        "{e}"
    );
    let e = error_with("[server]\nChannelTimeout = \"session:command=soon\"\n");
    assert!(e.contains("`soon` is not an interval"), "{e}");
    let e = error_with("[server]\nChannelTimeout = \"ses sion=3\"\n");
    assert!(e.contains("`ses` is not a `type=interval` pair"), "{e}");
    let e = error_with("[server]\nChannelTimeout = \"a/b=3\"\n");
    assert!(e.contains("`a/b` is not a channel type"), "{e}");
    let e = error_with("[server]\nChannelTimeout = \"  \"\n");
    assert!(e.contains("at least one `type=interval` pair"), "{e}");
    let e = error_with("[server]\nChannelTimeout = 3\n");
    assert!(e.contains("expected `type=interval` pairs"), "{e}");
    let e = error_with("[server]\nChannelTimeout = \"*=9999999999\"\n");
    assert!(e.contains("too long"), "{e}");
}

#[test]
fn hostile_channel_timeouts_are_refused_without_a_panic() {
    for value in [
        "=",
        "==",
        "a=",
        "=3",
        "a==3",
        "\\u00e9=3",
        "é=3",
        "session:*=3 \\t\\n x",
        "*=99999999999999999999999",
        "*=1e300",
        "*=-1",
        "*=3s=4s",
        "\\u0000=1",
    ] {
        let e = error_with(&format!("[server]\nChannelTimeout = \"{value}\"\n"));
        assert!(e.contains("server.ChannelTimeout"), "{value}: {e}");
    }
}

#[test]
fn per_target_tables_may_come_in_any_order_and_are_sorted_by_target() {
    let s = load_with(
        "[expect.\"hangar:wait-eof\"]\nlost_bytes = 1\n[expect.openssh]\nlost_bytes = 2\n",
    );
    let targets: Vec<Target> = s.expect_by_target.iter().map(|(t, _)| *t).collect();
    assert_eq!(targets, [Target::OpenSsh, Target::Hangar(Policy::WaitEof)]);
}

#[test]
fn missing_title_and_source() {
    assert_eq!(
        error("source = \"s\"\n[[step]]\nrun = \"true\"\n"),
        "x.toml:1:1: title: missing; every scenario needs a one-line title\n  \
         example: title = \"A background job holding stdout keeps the session open\""
    );
    assert_eq!(
        error("title = \"t\"\n[[step]]\nrun = \"true\"\n"),
        "x.toml:1:1: source: missing; every scenario needs the seed document it \
         reproduces\n  example: source = \"000_7bc76eb44a87564d.txt\""
    );
    assert_eq!(
        error("title = \"  \"\nsource = \"s\"\n[[step]]\nrun = \"true\"\n"),
        "x.toml:1:9: title: expected a non-empty string, found `  `\n  \
         example: title = \"A background job holding stdout keeps the session open\""
    );
}

#[test]
fn bad_duration() {
    assert_eq!(
        error_with("[[step]]\nat  = \"30 seconds\"\nrun = \"sleep 1\"\n"),
        "x.toml:4:7: step[1].at: expected a duration such as `30s`, `250ms` or `1.5s`, \
         found `30 seconds`\n  example: at = \"30s\""
    );
    assert_eq!(
        error_with("[world]\nhorizon = 30\n"),
        "x.toml:4:11: world.horizon: expected a duration such as `30s`, `250ms` or `1.5s`, \
         found the integer `30`\n  example: horizon = \"30s\""
    );
    assert_eq!(
        error_with("[world]\nlatency = \"5\"\n"),
        "x.toml:4:11: world.latency: expected a duration such as `30s`, `250ms` or `1.5s`, \
         found `5` (a number needs a unit: `5s`)\n  example: latency = \"5s\""
    );
}

#[test]
fn step_with_neither_or_both_actions() {
    assert_eq!(
        error_with("[[step]]\nat = \"5s\"\n"),
        "x.toml:3:1: step[1]: a step needs `run` (a command line), `net` (a network fault), \
         `type` (keystrokes for the client's terminal), `wait_for` (a condition to wait \
         for) or `resize` (a new terminal size)\n  example: at = \"0s\"\n           run = \"ssh server 'sleep 30 &'\""
    );
    assert_eq!(
        error_with("[[step]]\nat = \"5s\"\nrun = \"sleep 1\"\nnet = \"heal\"\n"),
        "x.toml:6:7: step[1].net: a step has one of `run`, `net`, `type`, `wait_for` and \
         `resize`, and this one already has `run`\n  \
         example: put `net` in a [[step]] of its own; without `at` it comes right after"
    );
    // The second in the file is the one reported, whatever the pair.
    assert_eq!(
        error_with("[[step]]\ntype = \"ls\\n\"\nwait_for = { screen = \"x\", timeout = \"1s\" }\n"),
        "x.toml:5:12: step[1].wait_for: a step has one of `run`, `net`, `type`, `wait_for` \
         and `resize`, and this one already has `type`\n  \
         example: put `wait_for` in a [[step]] of its own; without `at` it comes right after"
    );
    assert!(
        error_with("[[step]]\nnet = \"heal\"\ntype = \"^C\"\nrun = \"sleep 1\"\n").starts_with(
            "x.toml:5:8: step[1].type: a step has one of `run`, `net`, `type`, `wait_for` and \
             `resize`, and this one already has `net`"
        )
    );
}

#[test]
fn steps_out_of_time_order_point_at_the_later_step() {
    assert_eq!(
        error_with(
            "[[step]]\nat = \"5s\"\nrun = \"sleep 1\"\n\n[[step]]\nat = \"1s\"\nnet = \"heal\"\n"
        ),
        "x.toml:8:6: step[2].at: steps must be in time order: this step is at `1s`, earlier \
         than the step before it (line 3, at `5s`)\n  example: at = \"5s\""
    );
}

#[test]
fn step_after_the_horizon_would_never_happen() {
    assert_eq!(
        error_with("[world]\nhorizon = \"60s\"\n[[step]]\nat = \"90s\"\nrun = \"sleep 1\"\n"),
        "x.toml:6:6: step[1].at: this step is at `90s`, after the horizon (`1m`), so it would \
         never happen\n  example: [world]\n           horizon = \"90s\""
    );
}

#[test]
fn bad_net_fault_lists_the_forms_and_points_inside_the_string() {
    assert_eq!(
        error_with("[[step]]\nat = \"5s\"\nnet = \"partiton\"\n"),
        "x.toml:5:8: step[1].net: unknown network fault `partiton` (did you mean \
         `partition`?); the faults are `partition`, `partition client->server`, \
         `partition server->client`, `heal`, `hold`, `release`, `latency 200ms`, \
         `crash server`, `restart server`, `crash client` and `restart client`\n  \
         example: net = \"partition\""
    );
    assert_eq!(
        error_with("[[step]]\nat = \"5s\"\nnet = \"latency 2\"\n"),
        "x.toml:5:16: step[1].net: `latency` takes a duration such as `30s`, `250ms` or \
         `1.5s`, found `2` (a number needs a unit: `2s`)\n  example: net = \"latency 200ms\""
    );
    assert_eq!(
        error_with("[[step]]\nat = \"5s\"\nnet = \"crash router\"\n"),
        "x.toml:5:14: step[1].net: `crash` takes `client` or `server`, found `router`\n  \
         example: net = \"crash server\""
    );
}

#[test]
fn unknown_targets() {
    assert_eq!(
        error_with("targets = [\"openssh\", \"drobear\"]\n"),
        "x.toml:3:23: targets: unknown target `drobear` (did you mean `dropbear`?); the \
         targets are `openssh`, `dropbear`, `hangar:wait-eof`, `hangar:close-on-exit` and \
         `hangar:drain=<duration>`\n  example: targets = [\"openssh\", \"dropbear\", \
         \"hangar:drain=2s\"]"
    );
    assert_eq!(
        error_with("targets = [\"sshd\"]\n"),
        "x.toml:3:12: targets: unknown target `sshd`; the targets are `openssh`, `dropbear`, \
         `hangar:wait-eof`, `hangar:close-on-exit` and `hangar:drain=<duration>` (for \
         example `hangar:drain=2s`)\n  example: targets = [\"openssh\", \"dropbear\", \
         \"hangar:drain=2s\"]"
    );
    assert_eq!(
        error_with("[expect.drobear]\nlost_bytes = 0\n"),
        "x.toml:3:9: expect.drobear: unknown target `drobear` (did you mean `dropbear`?); \
         the targets are `openssh`, `dropbear`, `hangar:wait-eof`, `hangar:close-on-exit` \
         and `hangar:drain=<duration>`\n  example: [expect.dropbear]\n           \
         client = { exit = 0, within = \"1s\" }"
    );
    assert_eq!(
        error_with("[expect.\"hangar:drain=soon\"]\nlost_bytes = 0\n"),
        "x.toml:3:9: expect.\"hangar:drain=soon\": `hangar:drain=` takes a duration such as \
         `30s`, `250ms` or `1.5s`, found `soon`; for example `hangar:drain=2s`\n  \
         example: [expect.dropbear]\n           client = { exit = 0, within = \"1s\" }"
    );
}

#[test]
fn repeated_targets() {
    assert_eq!(
        error_with("targets = [\"openssh\", \"openssh\"]\n"),
        "x.toml:3:23: targets: `openssh` is listed twice\n  \
         example: targets = [\"openssh\", \"dropbear\", \"hangar:drain=2s\"]"
    );
    assert_eq!(
        error_with(
            "[expect.\"hangar:drain=2s\"]\nlost_bytes = 0\n\
             [expect.\"hangar:drain=2000ms\"]\nlost_bytes = 0\n"
        ),
        "x.toml:5:9: expect.\"hangar:drain=2000ms\": `hangar:drain=2000ms` is the same target \
         as `hangar:drain=2s` above; keep one table for it\n  \
         example: [expect.\"hangar:drain=2s\"]"
    );
    assert!(
        error_with("targets = []\n")
            .starts_with("x.toml:3:11: targets: expected at least one target; leave `targets` out")
    );
}

#[test]
fn after_later_than_within() {
    assert_eq!(
        error_with("[expect]\nclient = { exit = 0, after = \"31s\", within = \"30s\" }\n"),
        "x.toml:4:30: expect.client.after: `after` (`31s`) is later than `within` (`30s`): \
         no exit time satisfies both\n  \
         example: client = { exit = 0, after = \"30s\", within = \"31s\" }"
    );
    assert!(
        error_with("[expect.openssh]\nclient = { after = \"2s\", within = \"1s\" }\n")
            .starts_with("x.toml:4:20: expect.openssh.client.after: `after` (`2s`)")
    );
}

#[test]
fn bad_exit_codes() {
    assert_eq!(
        error_with("[expect]\nclient = { exit = 300 }\n"),
        "x.toml:4:19: expect.client.exit: expected an exit code from 0 to 255, or \"none\", \
         found the integer `300`\n  example: client = { exit = 0 }"
    );
    assert!(
        error_with("[expect]\nclient = { exit = \"never\" }\n")
            .starts_with("x.toml:4:19: expect.client.exit: expected an exit code")
    );
}

#[test]
fn unknown_keys_list_the_valid_ones() {
    assert_eq!(
        error_with("[world]\nhorizn = \"1s\"\n"),
        "x.toml:4:1: world.horizn: unknown key `horizn` (did you mean `horizon`?); the keys \
         of [world] are `horizon`, `latency`, `retransmission_timeout`, `bandwidth`, `linger`, `tick`, \
         `pipe_buffer`, `window`, `write_pacing` and `files`\n  \
         example: horizon = \"120s\""
    );
    assert_eq!(
        error_with("titel = \"t\"\n"),
        "x.toml:3:1: titel: unknown key `titel` (did you mean `title`?); the keys of the top \
         level are `title`, `source`, `tags`, `targets`, `world`, `client`, `server`, `step`, \
         `seeds` and `expect`\n  example: title = \"A background job holding stdout keeps the \
         session open\""
    );
    assert_eq!(
        error_with(
            "[[step]]\nat = \"0s\"\nrun = \"sleep 1\"\n[[step]]\nat = \"1s\"\ncmd = \"x\"\n"
        ),
        "x.toml:8:1: step[2].cmd: unknown key `cmd`; the keys of [[step]] are `at`, `run`, \
         `net`, `type`, `resize` and `wait_for`\n  example: [[step]]\n           at = \"0s\"\n           run = \"ssh server \
         'sleep 30 &'\""
    );
    assert_eq!(
        error_with("[expect.clinet]\nexit = 0\n"),
        "x.toml:3:9: expect.clinet: unknown key `clinet` (did you mean `client`?); the keys of \
         [expect] are `client`, `lost_bytes`, `stdout_bytes`, `stderr_bytes`, `survivors`, `screen`, \
         `stdout`, `stderr`, `order`, `order_any`, `survivors_any` and `files`, and a table per target such as [expect.dropbear]\n  example: client = { exit = 0, after = \"30s\", \
         within = \"31s\" }"
    );
    assert_eq!(
        error_with("[expect]\nlost_byte = 0\n"),
        "x.toml:4:1: expect.lost_byte: unknown key `lost_byte` (did you mean `lost_bytes`?); \
         the keys of [expect] are `client`, `lost_bytes`, `stdout_bytes`, `stderr_bytes`, \
         `survivors`, `screen`, `stdout`, `stderr`, `order`, `order_any`, `survivors_any` and `files`, and a table per target such as [expect.dropbear]\n  example: lost_bytes = 0"
    );
    assert_eq!(
        error_with("[expect.\"hangar:close-on-exit\"]\nclient = { exitt = 0 }\n"),
        "x.toml:4:12: expect.\"hangar:close-on-exit\".client.exitt: unknown key `exitt` (did \
         you mean `exit`?); the keys of [expect.\"hangar:close-on-exit\".client] are `exit`, \
         `exit_any`, `after` and `within`\n  example: client = { exit = 0 }"
    );
    assert!(
        error_with("[client]\nserveraliveinterval = 1\n").starts_with(
            "x.toml:4:1: client.serveraliveinterval: unknown key `serveraliveinterval` (did \
             you mean `ServerAliveInterval`?)"
        )
    );
}

#[test]
fn wrong_shapes() {
    assert_eq!(
        error_with("world = 3\n"),
        "x.toml:3:9: world: expected a table, found the integer `3`\n  \
         example: [world]\n           horizon = \"120s\""
    );
    assert!(error_with("[step]\nat = \"0s\"\n").starts_with(
        "x.toml:3:1: step: expected an array of tables, each written `[[step]]`, found a \
             table"
    ));
    assert_eq!(
        error_with("tags = [\"a\", 1]\n"),
        "x.toml:3:14: tags: expected an array of strings, found the integer `1` in the array\n  \
         example: tags = [\"pipes\", \"logout-hang\"]"
    );
    assert!(
        error_with("[world]\nfiles = { big = \"1.5MiB\" }\n").starts_with(
            "x.toml:4:17: world.files.big: expected a size in bytes such as `1048576`, \
             `64KiB` or `1MiB`, found `1.5MiB`"
        )
    );
}

#[test]
fn toml_syntax_errors_have_a_position() {
    assert_eq!(
        error("title = \"t\"\ntitle = \"u\"\n"),
        "x.toml:2:1: title: this key is already set above"
    );
    assert_eq!(
        error("title = \"unclosed\n"),
        "x.toml:1:18: invalid basic string, expected `\"`"
    );
    assert!(error("[world\n").starts_with("x.toml:1:"));
}

#[test]
fn shell_parse_errors_point_inside_the_run_string() {
    // The column of `|&` in the file, whatever the quoting.
    for (line, col) in [
        ("run = \"ps ax |& grep x\"", 14),
        ("run = 'ps ax |& grep x'", 14),
        ("run = \"echo \\\"a\\\" |& grep x\"", 19),
        ("run = \"\\u0065cho a |& grep x\"", 20),
        ("run   =   \"\"\"\nps ax |& grep x\"\"\"", 7),
    ] {
        let err = load(
            "x.toml",
            &format!("title = \"t\"\nsource = \"s\"\n[[step]]\nat = \"0s\"\n{line}\n"),
        )
        .unwrap_err();
        let file_line = 5 + usize::from(line.contains('\n'));
        assert_eq!((err.line, err.col), (file_line, col), "{line}");
        assert_eq!(err.key.as_deref(), Some("step[1].run"));
        assert_eq!(
            err.message,
            hangar_shell::parse("ps ax |& grep x").unwrap_err().message
        );
        assert_eq!(
            err.example,
            Some(hangar_shell::parse("ps ax |& grep x").unwrap_err().hint)
        );
    }
}

#[test]
fn unknown_commands_name_the_command_and_show_a_stand_in() {
    assert_eq!(
        error_with("[[step]]\nat = \"0s\"\nrun = \"emacs </dev/null >/dev/null 2>&1 &\"\n"),
        "x.toml:5:8: step[1].run: `emacs` is not a command the simulated hosts know; they \
         know `sleep`, `echo`, `printf`, `cat`, `head`, `wc`, `yes`, `true`, `false`, `exit`, \
         `logout`, `kill`, `pkill`, `wait`, `trap`, `nohup`, `setsid`, `sh`, `timeout`, \
         `ssh`, `scp`, `tmux`, `xterm`, `stty`, `touch`, `test`, `rm` and `mkdir`\n  \
         example: run = \"sleep 30 </dev/null >/dev/null 2>&1 &\"   # use `sleep 30` as a \
         stand-in for a long-running program"
    );
    let err = load_with_err("run = \"echo hi; nohup emacs &\"");
    assert_eq!((err.line, err.col), (5, 23));
    assert_eq!(
        err.example.as_deref(),
        Some(
            "run = \"echo hi; nohup sleep 30 &\"   # use `sleep 30` as a stand-in for a \
             long-running program"
        )
    );
    // What ssh and sh -c pass on is not checked here.
    load_with("[[step]]\nat = \"0s\"\nrun = \"ssh server 'emacs &'; sh -c 'vim'\"\n");
}

fn load_with_err(step_line: &str) -> LoadError {
    let text = format!("title = \"t\"\nsource = \"s\"\n[[step]]\nat = \"0s\"\n{step_line}\n");
    load("x.toml", &text).unwrap_err()
}

#[test]
fn empty_run_lines_are_errors() {
    assert_eq!(
        load_with_err("run = \" \"").to_string(),
        "x.toml:5:7: step[1].run: expected a command line such as `ssh server 'sleep 30 &'`, \
         found ` `\n  example: run = \"ssh server 'sleep 30 &'\""
    );
}

#[test]
fn the_first_problem_in_the_file_is_reported() {
    // The bad `[expect]` comes before the bad step in the file.
    let text = "title = \"t\"\nsource = \"s\"\n[expect]\nlost_bytes = -1\n\
                [[step]]\nat = \"x\"\nrun = \"sleep 1\"\n";
    let err = load("x.toml", text).unwrap_err();
    assert_eq!(
        (err.line, err.key.as_deref()),
        (4, Some("expect.lost_bytes"))
    );
}

/// A small deterministic generator (xorshift), so that the garbage is the
/// same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn truncated_files_never_panic() {
    for end in 0..=FULL.len() {
        if FULL.is_char_boundary(end) {
            let _ = load("x.toml", &FULL[..end]);
        }
    }
}

#[test]
fn garbage_never_panics() {
    const PIECES: &[&str] = &[
        "[",
        "]",
        "[[step]]",
        "[expect.",
        "\"",
        "'",
        "'''",
        "\"\"\"",
        "=",
        "\n",
        " ",
        "{",
        "}",
        ",",
        "at",
        "run",
        "net",
        "title",
        "\\",
        "\\u00e9",
        "é",
        "0s",
        "1.5s",
        "-1",
        "1e400",
        "99999999999999999999",
        "|",
        "&",
        ";",
        "xterm",
        "#",
        "\r\n",
        "\u{0}",
        "targets",
        "hangar:drain=",
        "client",
        "exit",
        "none",
        "1979-05-27T07:32:00Z",
        "true",
        "[world]",
        "files",
        "horizon",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3_000 {
        let mut text = String::new();
        for _ in 0..rng.below(40) {
            text.push_str(PIECES[rng.below(PIECES.len())]);
        }
        let _ = load("x.toml", &text);
    }
    // Mutations of a valid file: one piece spliced in at a random place.
    for _ in 0..3_000 {
        let mut text = FULL.to_owned();
        let mut at = rng.below(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.insert_str(at, PIECES[rng.below(PIECES.len())]);
        let _ = load("x.toml", &text);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for open in ["[", "{a=", "[{a="] {
        let text = format!("title = {}", open.repeat(100_000));
        assert!(load("x.toml", &text).is_err());
    }
    let deep = format!("{}1{}", "[".repeat(5_000), "]".repeat(5_000));
    assert!(
        load(
            "x.toml",
            &format!("title = \"t\"\nsource = \"s\"\ntags = {deep}")
        )
        .is_err()
    );
}

/// A terminal session: steps without `at`, typing and waiting.
const TERMINAL: &str = r#"title = "Ctrl-Z then exit leaves a stopped job"
source = "s"

[server]
KillUserProcesses = true

[[step]]
run = "ssh server"

[[step]]
wait_for = { screen = 'server\$ $', timeout = "5s" }

[[step]]
type = "sleep 100\n^Z"

[[step]]
at = "10s"
wait_for = { trace = 'sshd\[\d+\] -> CLOSE', timeout = "2.5s" }

[[step]]
type = "exit\n"

[expect]
screen = ['Stopped +sleep 100', '^logout$']

[expect.openssh]
screen = []
"#;

#[test]
fn terminal_steps_load_into_the_model() {
    let s = load("x.toml", TERMINAL).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.world.server.kill_user_processes);
    assert!(s.uses_terminal());
    let steps: Vec<(Drawn<Duration>, Action)> =
        s.steps.into_iter().map(|s| (s.at, s.action)).collect();
    let zero = Drawn::fixed(Duration::ZERO);
    assert_eq!(
        steps[1..],
        [
            (
                zero,
                Action::WaitFor(WaitFor {
                    condition: WaitCondition::Screen(r"server\$ $".into()),
                    timeout: secs(5),
                })
            ),
            (
                zero,
                Action::Type {
                    text: "sleep 100\n^Z".into(),
                    keys: b"sleep 100\r\x1a".to_vec(),
                }
            ),
            (
                Drawn::fixed(secs(10)),
                Action::WaitFor(WaitFor {
                    condition: WaitCondition::Trace(r"sshd\[\d+\] -> CLOSE".into()),
                    timeout: ms(2_500),
                })
            ),
            (
                Drawn::fixed(secs(10)),
                Action::Type {
                    text: "exit\n".into(),
                    keys: b"exit\r".to_vec(),
                }
            ),
        ]
    );
    assert_eq!(steps[0].0, zero);
    assert_eq!(
        s.expect.screen,
        Some(vec!["Stopped +sleep 100".into(), "^logout$".into()])
    );
    assert_eq!(
        s.expect_by_target,
        [(
            Target::OpenSsh,
            Expect {
                screen: Some(vec![]),
                ..Expect::default()
            }
        )]
    );
}

#[test]
fn only_type_and_wait_for_need_a_terminal() {
    assert!(!load("x.toml", FULL).unwrap().uses_terminal());
    assert!(load_with("[[step]]\ntype = \"^C\"\n").uses_terminal());
    let s = load_with("[[step]]\nwait_for = { trace = \"CLOSE\", timeout = \"1s\" }\n");
    assert!(s.uses_terminal());
    assert!(!s.world.server.kill_user_processes);
}

#[test]
fn wait_conditions_describe_themselves() {
    assert_eq!(
        WaitCondition::Screen(r"server\$ $".into()).describe(),
        r"the screen to match /server\$ $/"
    );
    assert_eq!(
        WaitCondition::Trace("-> CLOSE".into()).describe(),
        "a trace line to match /-> CLOSE/"
    );
}

#[test]
fn a_step_without_at_comes_right_after_the_previous_one() {
    let s = load_with(
        "[[step]]\nrun = \"sleep 1\"\n[[step]]\nat = \"1s..3s\"\nrun = \"sleep 1\"\n\
         [[step]]\nnet = \"heal\"\n[[step]]\nat = \"4s\"\nnet = \"heal\"\n[[step]]\nnet = \"hold\"\n",
    );
    let ats: Vec<Drawn<Duration>> = s.steps.iter().map(|s| s.at).collect();
    let range = Drawn {
        min: secs(1),
        max: secs(3),
    };
    assert_eq!(
        ats,
        [
            Drawn::fixed(Duration::ZERO),
            range,
            range,
            Drawn::fixed(secs(4)),
            Drawn::fixed(secs(4)),
        ]
    );
}

#[test]
fn a_step_with_at_is_still_checked_against_one_without() {
    assert_eq!(
        error_with(
            "[[step]]\nat = \"5s\"\nrun = \"sleep 1\"\n[[step]]\nnet = \"heal\"\n\
             [[step]]\nat = \"1s\"\nnet = \"heal\"\n"
        ),
        "x.toml:9:6: step[3].at: steps must be in time order: this step is at `1s`, earlier \
         than the step before it (line 6, at `5s`)\n  example: at = \"5s\""
    );
}

#[test]
fn a_caret_that_is_no_key_is_reported_where_it_is() {
    assert_eq!(
        error_with("[[step]]\ntype = \"echo 2^3\\n\"\n"),
        "x.toml:4:15: step[1].type: `^3` is not a key; a control key is `^` and a letter or \
         one of `@[\\]_` (`^C` interrupts, `^Z` stops, `^D` ends input, `^[` is Escape), `^?` \
         is Backspace and `^^` types a `^`\n  example: type = \"echo 2^^3\\n\""
    );
    assert_eq!(
        error_with("[[step]]\ntype = 'sleep 1^'\n"),
        "x.toml:4:16: step[1].type: a `^` at the end is not a key; a control key is `^` and a \
         letter or one of `@[\\]_` (`^C` interrupts, `^Z` stops, `^D` ends input, `^[` is \
         Escape), `^?` is Backspace and `^^` types a `^`\n  example: type = \"sleep 1^^\""
    );
    // Through escapes, as for `run`.
    let err = error_with("[[step]]\ntype = \"\\u00e9\\t^ \"\n");
    assert!(
        err.starts_with("x.toml:4:17: step[1].type: `^ ` is not a key;"),
        "{err}"
    );
}

#[test]
fn type_needs_a_non_empty_string() {
    for (value, found) in [("\"\"", "an empty string"), ("3", "the integer `3`")] {
        assert_eq!(
            error_with(&format!("[[step]]\ntype = {value}\n")),
            format!(
                "x.toml:4:8: step[1].type: expected keystrokes such as `ls\\n` or `sleep 100^Z` \
                 (a newline is Enter, `^C` a control key, `^^` a `^`), found {found}\n  \
                 example: type = \"sleep 100^Z\""
            )
        );
    }
}

#[test]
fn a_wait_without_a_timeout() {
    assert_eq!(
        error_with("[[step]]\nwait_for = { screen = 'server\\$ $' }\n"),
        "x.toml:4:12: step[1].wait_for.timeout: a wait needs a timeout; when it runs out the \
         verdict is `unknown`, naming what was waited for\n  \
         example: wait_for = { screen = 'server\\$ $', timeout = \"5s\" }"
    );
    // As a table of its own, at its header.
    assert_eq!(
        error_with("[[step]]\n[step.wait_for]\ntrace = 'CLOSE'\n"),
        "x.toml:4:1: step[1].wait_for.timeout: a wait needs a timeout; when it runs out the \
         verdict is `unknown`, naming what was waited for\n  \
         example: wait_for = { trace = \"CLOSE\", timeout = \"5s\" }"
    );
}

#[test]
fn a_wait_with_neither_or_both_conditions() {
    assert_eq!(
        error_with("[[step]]\nwait_for = { timeout = \"5s\" }\n"),
        "x.toml:4:12: step[1].wait_for: a wait needs one of `screen` (a regex the client's \
         screen must match), `trace` (a regex a line of the trace must match), `started` or \
         `ended` (a program that starts or ends on `host`)\n  \
         example: wait_for = { started = \"sleep\", host = \"server\", timeout = \"5s\" }"
    );
    assert_eq!(
        error_with("[[step]]\nwait_for = { screen = 'a', trace = 'b', timeout = \"5s\" }\n"),
        "x.toml:4:36: step[1].wait_for.trace: a wait has one condition; `screen` and `trace` \
         are two\n  \
         example: wait for `trace` in a [[step]] of its own, after this one"
    );
    assert_eq!(
        error_with(
            "[[step]]\nwait_for = { started = 'sleep', host = 'server', ended = 'ssh', timeout = \"5s\" }\n"
        ),
        "x.toml:4:58: step[1].wait_for.ended: a wait has one condition; `started` and `ended` \
         are two\n  \
         example: wait for `ended` in a [[step]] of its own, after this one"
    );
    // Whatever order the keys come in, the one later in the file is refused.
    assert_eq!(
        error_with(
            "[[step]]\nwait_for = { ended = 'ssh', host = 'client', started = 'sleep', timeout = \"5s\" }\n"
        ),
        "x.toml:4:56: step[1].wait_for.started: a wait has one condition; `ended` and `started` \
         are two\n  \
         example: wait for `started` in a [[step]] of its own, after this one"
    );
}

#[test]
fn a_process_wait_loads_with_its_host() {
    let text = "title = \"t\"\nsource = \"s\"\n[[step]]\nrun = \"ssh server sleep 1\"\n\
                [[step]]\nwait_for = { started = \"sleep\", host = \"server\", timeout = \"5s\" }\n\
                [[step]]\nwait_for = { ended = \"ssh\", host = \"client\", timeout = \"2s\" }\n";
    let s = load("x.toml", text).unwrap_or_else(|e| panic!("{e}"));
    let conditions: Vec<WaitCondition> = s
        .steps
        .into_iter()
        .filter_map(|step| match step.action {
            Action::WaitFor(w) => Some(w.condition),
            _ => None,
        })
        .collect();
    assert_eq!(
        conditions,
        [
            WaitCondition::Started {
                host: Host::Server,
                program: "sleep".into()
            },
            WaitCondition::Ended {
                host: Host::Client,
                program: "ssh".into()
            },
        ]
    );
    assert_eq!(conditions[0].describe(), "`sleep` to start on the server");
}

#[test]
fn a_process_wait_needs_a_host_and_a_plain_name() {
    let example =
        "example: wait_for = { started = \"sleep\", host = \"server\", timeout = \"5s\" }";
    assert_eq!(
        error_with("[[step]]\nwait_for = { started = \"sleep\", timeout = \"5s\" }\n"),
        format!(
            "x.toml:4:12: step[1].wait_for.host: `started` needs `host`: the host whose \
             process is waited for\n  {example}"
        )
    );
    assert_eq!(
        error_with(
            "[[step]]\nwait_for = { started = \"sleep\", host = \"router\", timeout = \"5s\" }\n"
        ),
        format!(
            "x.toml:4:40: step[1].wait_for.host: expected `client` or `server`, the host of \
             `started` or `ended`, found `router`\n  {example}"
        )
    );
    assert_eq!(
        error_with(
            "[[step]]\nwait_for = { started = \"/bin/sleep\", host = \"server\", timeout = \"5s\" }\n"
        ),
        format!(
            "x.toml:4:24: step[1].wait_for.started: `/bin/sleep` is not a program's name: a \
             name is one word without `/`, as ps(1) shows it\n  {example}"
        )
    );
    assert_eq!(
        error_with(
            "[[step]]\nwait_for = { screen = \"x\", host = \"server\", timeout = \"5s\" }\n"
        ),
        format!(
            "x.toml:4:35: step[1].wait_for.host: `host` goes with `started` or `ended`; a \
             screen or trace pattern names its host itself\n  {example}"
        )
    );
}

#[test]
fn regexes_that_do_not_compile_are_reported_inside_the_string() {
    assert_eq!(
        error_with("[[step]]\nwait_for = { screen = 'a(b', timeout = \"5s\" }\n"),
        "x.toml:4:25: step[1].wait_for.screen: the regex does not compile: unclosed group\n  \
         example: wait_for = { screen = 'server\\$ $', timeout = \"5s\" }"
    );
    assert_eq!(
        error_with("[[step]]\nwait_for = { trace = \"x\\\\q\", timeout = \"5s\" }\n"),
        "x.toml:4:24: step[1].wait_for.trace: the regex does not compile: unrecognized \
         escape sequence\n  example: wait_for = { trace = \"-> CLOSE\", timeout = \"5s\" }"
    );
    assert_eq!(
        error_with("[expect]\nscreen = ['ok', 'a[b']\n"),
        "x.toml:4:19: expect.screen: the regex does not compile: unclosed character class\n  \
         example: screen = ['server\\$ $']"
    );
    assert_eq!(
        error_with("[expect]\nstdout = ['\\Aok\\n', '(']\n"),
        "x.toml:4:22: expect.stdout: the regex does not compile: unclosed group\n  \
         example: stdout = ['\\Aout\\n\\z']"
    );
    assert_eq!(
        error_with("[expect.openssh]\nstderr = 'oops'\n"),
        "x.toml:4:10: expect.openssh.stderr: expected an array of regexes what the client \
         wrote to its stderr must each match, found `oops`\n  example: stderr = ['^oops$']"
    );
    let err = error_with("[expect.dropbear]\nscreen = [\"\"\"\n(x\"\"\"]\n");
    assert!(
        err.starts_with(
            "x.toml:5:1: expect.dropbear.screen: the regex does not compile: unclosed group"
        ),
        "{err}"
    );
}

#[test]
fn teardown_orders_and_alternatives_name_what_is_wrong() {
    assert_eq!(
        error_with("[expect]\norder = [\"exit-status\", \"eof\", \"clsoe\"]\n"),
        "x.toml:4:32: expect.order: unknown teardown event `clsoe` (did you mean `close`?); \
         the events are `exit-status`, `exit-signal`, `eof`, `close`, `connection-lost` and \
         `keepalive-timeout`\n  example: order = [\"exit-status\", \"eof\", \"close\"]"
    );
    assert_eq!(
        error_with("[expect.dropbear]\norder_any = [\"eof\"]\n"),
        "x.toml:4:14: expect.dropbear.order_any: expected a non-empty array of orders (arrays \
         of teardown events), one of which must hold, found `eof`\n  \
         example: order_any = [[\"exit-status\", \"eof\"], [\"eof\", \"exit-status\"]]"
    );
    assert_eq!(
        error_with("[expect]\nsurvivors_any = []\n"),
        "x.toml:4:17: expect.survivors_any: expected a non-empty array of arrays of process \
         names, one of which must be the survivors, found an array\n  \
         example: survivors_any = [[], [\"sleep\"]]"
    );
    assert_eq!(
        error_with("[expect]\nfiles = { \"server:/etc/passwd\" = \"exists\" }\n"),
        "x.toml:4:34: expect.files.\"server:/etc/passwd\": `server:/etc/passwd`: the path must \
         be relative to the home the sessions start in, without `..`\n  \
         example: files = { \"server:done\" = \"exists\", \"client:copy\" = { size = \"1MiB\" } }"
    );
    assert_eq!(
        error_with("[expect]\nfiles = { \"srv:x\" = \"exists\" }\n"),
        "x.toml:4:21: expect.files.\"srv:x\": `srv:x` names no host: a file is `server:path` \
         or `client:path`\n  \
         example: files = { \"server:done\" = \"exists\", \"client:copy\" = { size = \"1MiB\" } }"
    );
    assert_eq!(
        error_with("[expect]\nfiles = { \"server:x\" = \"there\" }\n"),
        "x.toml:4:24: expect.files.\"server:x\": expected `exists`, `absent`, `directory`, or \
         `{ size = <bytes> }`, found `there`\n  \
         example: files = { \"server:done\" = \"exists\", \"client:copy\" = { size = \"1MiB\" } }"
    );
    assert_eq!(
        error_with("[expect]\nfiles = { \"server:x\" = { size = \"big\" } }\n"),
        "x.toml:4:33: expect.files.\"server:x\".size: expected a size in bytes such as `1048576`, \
         `64KiB` or `1MiB`, found `big`\n  \
         example: files = { \"server:done\" = \"exists\", \"client:copy\" = { size = \"1MiB\" } }"
    );
    assert_eq!(
        error_with("[expect]\nclient = { exit_any = [0, 256] }\n"),
        "x.toml:4:27: expect.client.exit_any: expected a non-empty array of exit codes from 0 \
         to 255, found the integer `256`\n  example: client = { exit_any = [0, 255] }"
    );
    assert_eq!(
        error_with("[expect]\nclient = { exit = 0, exit_any = [0, 255] }\n"),
        "x.toml:4:33: expect.client.exit_any: `exit` and `exit_any` together: give `exit` for \
         one answer or `exit_any` for several\n  example: client = { exit_any = [0, 255] }"
    );
    assert_eq!(
        error_with("[expect]\nsurvivors = []\nsurvivors_any = [[\"sleep\"]]\n"),
        "x.toml:5:17: expect.survivors_any: `survivors` and `survivors_any` in one table: give \
         `survivors` for one answer or `survivors_any` for several\n  \
         example: survivors_any = [[], [\"sleep\"]]"
    );
    let s = crate::load_str(
        "x.toml",
        "title = \"t\"\nsource = \"s\"\n[[step]]\nrun = \"true\"\n[expect]\n\
         order_any = [[\"eof\", \"exit-status\"], [\"exit-status\", \"eof\"]]\n\
         survivors_any = [[\"sleep\", \"nohup\"], []]\n",
    )
    .unwrap();
    assert_eq!(
        s.expect.order_any,
        Some(vec![
            vec!["eof".to_string(), "exit-status".to_string()],
            vec!["exit-status".to_string(), "eof".to_string()],
        ])
    );
    assert_eq!(
        s.expect.survivors_any,
        Some(vec![vec!["nohup".to_string(), "sleep".to_string()], vec![]])
    );
}

#[test]
fn wrong_shapes_of_terminal_keys() {
    assert_eq!(
        error_with("[[step]]\nwait_for = 'a'\n"),
        "x.toml:4:12: step[1].wait_for: expected a table with one of `screen`, `trace`, \
         `started` and `ended`, and `timeout`, found `a`\n  \
         example: wait_for = { screen = 'server\\$ $', timeout = \"5s\" }"
    );
    assert_eq!(
        error_with("[[step]]\nwait_for = { screen = 3, timeout = \"1s\" }\n"),
        "x.toml:4:23: step[1].wait_for.screen: expected a regex the client's screen must \
         match, such as `server\\$ $`, found the integer `3`\n  \
         example: wait_for = { screen = 'server\\$ $', timeout = \"5s\" }"
    );
    assert_eq!(
        error_with("[[step]]\nwait_for = { trace = '', timeout = \"1s\" }\n"),
        "x.toml:4:22: step[1].wait_for.trace: expected a regex a line of the trace must \
         match, such as `-> CLOSE`, found an empty string\n  \
         example: wait_for = { trace = \"-> CLOSE\", timeout = \"5s\" }"
    );
    assert_eq!(
        error_with("[expect.openssh]\nscreen = 'a'\n"),
        "x.toml:4:10: expect.openssh.screen: expected an array of regexes the client's final \
         screen must each match, found `a`\n  example: screen = ['server\\$ $']"
    );
    assert_eq!(
        error_with("[expect]\nscreen = ['a', 1]\n"),
        "x.toml:4:16: expect.screen: expected an array of regexes the client's final screen \
         must each match, found the integer `1` in the array\n  \
         example: screen = ['server\\$ $']"
    );
    assert_eq!(
        error_with("[server]\nKillUserProcesses = \"yes\"\n"),
        "x.toml:4:21: server.KillUserProcesses: expected `true` or `false`, found `yes`\n  \
         example: KillUserProcesses = true"
    );
}

#[test]
fn bad_wait_timeouts() {
    let wait = |timeout: &str| {
        error_with(&format!(
            "[[step]]\nwait_for = {{ screen = 'a', timeout = {timeout} }}\n"
        ))
    };
    assert_eq!(
        wait("\"0s\""),
        "x.toml:4:38: step[1].wait_for.timeout: a wait's timeout must be longer than `0s`\n  \
         example: wait_for = { screen = 'server\\$ $', timeout = \"5s\" }"
    );
    assert!(wait("\"1s..2s\"").starts_with(
        "x.toml:4:38: step[1].wait_for.timeout: expected one duration, found the range \
             `1s..2s`;"
    ));
    assert_eq!(
        wait("5"),
        "x.toml:4:38: step[1].wait_for.timeout: expected a duration such as `30s`, `250ms` or \
         `1.5s`, found the integer `5`\n  example: timeout = \"5s\""
    );
}

#[test]
fn unknown_keys_in_terminal_tables() {
    assert_eq!(
        error_with("[[step]]\nwait_for = { scren = 'a', timeout = \"5s\" }\n"),
        "x.toml:4:14: step[1].wait_for.scren: unknown key `scren` (did you mean `screen`?); \
         the keys of `wait_for` in [[step]] are `screen`, `trace`, `started`, `ended`, `host` and `timeout`\n  \
         example: wait_for = { screen = 'server\\$ $', timeout = \"5s\" }"
    );
    assert!(
        error_with("[[step]]\nwait_for = { trace = 'a', timout = \"5s\" }\n").starts_with(
            "x.toml:4:27: step[1].wait_for.timout: unknown key `timout` (did you mean \
             `timeout`?)"
        )
    );
    assert!(
        error_with("[[step]]\ntyp = \"ls\"\n")
            .starts_with("x.toml:4:1: step[1].typ: unknown key `typ` (did you mean `type`?)")
    );
    assert_eq!(
        error_with("[server]\nKillUserprocesses = true\n"),
        "x.toml:4:1: server.KillUserprocesses: unknown key `KillUserprocesses` (did you mean \
         `KillUserProcesses`?); the keys of [server] are `ClientAliveInterval`, \
         `ClientAliveCountMax`, `DropbearKeepalive`, `KillUserProcesses`, `ChannelTimeout`, \
         `UnusedConnectionTimeout` and `DropbearIdleTimeout`\n  \
         example: KillUserProcesses = true"
    );
}

#[test]
fn resize_takes_columns_by_rows() {
    let s = load_with("[[step]]\nresize = \"120x40\"\n");
    assert_eq!(
        s.steps[0].action,
        Action::Resize {
            cols: 120,
            rows: 40
        }
    );
    assert!(s.uses_terminal());
    assert_eq!(
        load_with_err("resize = \"wide\"").to_string(),
        "x.toml:5:10: step[1].resize: expected a terminal size written COLSxROWS, such as \
         `120x40`, found `wide`\n  example: resize = \"120x40\""
    );
}

/// Every time a scenario gives is at most 30 days: a longer one would
/// overflow the simulated clock when the run adds it to the current time.
#[test]
fn times_over_30_days_are_refused_where_they_are_written() {
    let too_long = "(longer than 30 days, the longest time a scenario may give)";
    let cases = [
        (
            "[client]\nServerAliveInterval = 9223372036854775807\n",
            "4:23: client.ServerAliveInterval",
        ),
        (
            "[client]\nConnectTimeout = \"2592001\"\n",
            "4:18: client.ConnectTimeout",
        ),
        (
            "[server]\nClientAliveInterval = \"744h\"\n",
            "4:23: server.ClientAliveInterval",
        ),
        (
            "[server]\nDropbearKeepalive = \"1000h\"\n",
            "4:21: server.DropbearKeepalive",
        ),
        (
            "[world]\nlatency = \"5000000000000000h\"\n",
            "4:11: world.latency",
        ),
        (
            "[world]\nlatency = \"1ms..1000000000h\"\n",
            "4:17: world.latency",
        ),
        (
            "[world]\nhorizon = \"5000000000000000h\"\n",
            "4:11: world.horizon",
        ),
        ("[world]\nlinger = \"721h\"\n", "4:10: world.linger"),
        (
            "[world]\nretransmission_timeout = \"721h\"\n",
            "4:26: world.retransmission_timeout",
        ),
        (
            "[[step]]\nat = \"721h\"\nrun = \"true\"\n",
            "4:6: step[1].at",
        ),
        (
            "[[step]]\nnet = \"latency 5000000000000000h\"\n",
            "4:16: step[1].net",
        ),
        (
            "[[step]]\nwait_for = { screen = 'x', timeout = \"800h\" }\n",
            "4:38: step[1].wait_for.timeout",
        ),
        (
            "[expect]\nclient = { within = \"800h\" }\n",
            "4:21: expect.client.within",
        ),
    ];
    for (extra, place) in cases {
        let err = error_with(extra);
        assert!(
            err.starts_with(&format!("x.toml:{place}: ")),
            "{extra}: {err}"
        );
        assert!(err.contains(too_long), "{extra}: {err}");
        assert!(err.contains("\n  example: "), "{extra}: {err}");
    }
    // 30 days itself is allowed.
    let s = load_with("[world]\nhorizon = \"720h\"\n[client]\nServerAliveInterval = 2592000\n");
    assert_eq!(s.world.horizon, secs(2_592_000));
    assert_eq!(s.world.client.server_alive_interval, Some(secs(2_592_000)));
}

/// `bandwidth = 0` read as "unlimited" would surprise whoever wrote it;
/// leaving the key out is how to say unlimited.
#[test]
fn a_bandwidth_of_zero_is_refused() {
    assert_eq!(
        error_with("[world]\nbandwidth = 0\n[[step]]\nrun = \"true\"\n"),
        "x.toml:4:13: world.bandwidth: a bandwidth of 0 carries nothing; leave `bandwidth` \
         out for an unlimited one\n  example: bandwidth = \"1MiB\""
    );
}

/// A scenario with nothing to do, or whose only run line runs nothing,
/// would pass whatever the targets do.
#[test]
fn a_scenario_needs_a_step_and_a_run_line_needs_a_command() {
    assert_eq!(
        error("title = \"t\"\nsource = \"s\"\n[world]\nhorizon = \"5s\"\n"),
        "x.toml:5:1: step: a scenario needs at least one [[step]]\n  \
         example: [[step]]\n           run = \"ssh server 'sleep 30 &'\""
    );
    for line in ["# comment", "  # only a comment", "\\n# a\\n# b"] {
        let err = error_with(&format!("[[step]]\nrun = \"{line}\"\n"));
        assert!(
            err.starts_with("x.toml:4:7: step[1].run: expected a command line"),
            "{line}: {err}"
        );
        assert!(err.contains("runs no command"), "{line}: {err}");
    }
}

#[test]
fn integers_too_large_for_a_size_say_so_plainly() {
    assert_eq!(
        error_with("[world]\nbandwidth = 99999999999999999999\n"),
        "x.toml:4:13: world.bandwidth: expected a size per second such as `1MiB` or `125000`, \
         found the integer `99999999999999999999`, which is too large\n  \
         example: bandwidth = \"1MiB\""
    );
}

/// A huge key or value is cut in the message, which stays readable.
#[test]
fn long_keys_and_values_are_cut_in_messages() {
    let long = "k".repeat(100_000);
    let err = error_with(&format!("{long} = 1\n"));
    assert!(err.len() < 2_000, "{} bytes", err.len());
    assert!(err.starts_with("x.toml:3:1: kkkkk"), "{}", &err[..100]);
    assert!(err.contains("k…"), "{err}");
    let err = error_with(&format!("[world]\nhorizon = \"{}\"\n", "9".repeat(10_000)));
    assert!(err.len() < 2_000, "{} bytes", err.len());
    assert!(err.contains("9…"), "{err}");
}

/// toml gives up on keys nested 80 levels deep without saying where.
#[test]
fn keys_nested_too_deep_are_reported_where_they_are() {
    let deep = format!("{}x", "a.".repeat(200));
    let err = error_with(&format!("[world]\nhorizon = \"5s\"\n{deep} = 1\n"));
    assert_eq!(
        err,
        "x.toml:5:1: a key nested deeper than 80 levels; scenario files nest a few levels \
         at most"
    );
    let err = error_with(&format!("[{deep}]\n"));
    assert!(err.starts_with("x.toml:3:1: a key nested deeper"), "{err}");
    let err = error_with(&format!("x = {}1{}\n", "{a=".repeat(200), "}".repeat(200)));
    assert!(err.starts_with("x.toml:3:"), "{err}");
    assert!(err.contains("nested deeper than 80 levels"), "{err}");
    assert!(err.len() < 400, "{err}");
}

/// An unknown key in `[expect]` and another in `[expect.<target>]`: the
/// one that comes first in the file is reported, whichever table it is in.
#[test]
fn unknown_keys_in_expect_tables_are_reported_in_file_order() {
    let base_first = "[expect]\nfoo = 1\n[expect.dropbear]\nbar = 2\n";
    assert!(
        error_with(base_first).starts_with("x.toml:4:1: expect.foo: unknown key `foo`"),
        "{}",
        error_with(base_first)
    );
    let target_first = "[expect.dropbear]\nbar = 2\n[expect]\nfoo = 1\n";
    assert!(
        error_with(target_first).starts_with("x.toml:4:1: expect.dropbear.bar: unknown key `bar`"),
        "{}",
        error_with(target_first)
    );
}

/// Every unknown key is reported, in file order, each at its own place:
/// at the top level, in `[expect]` and in `[expect.<target>]`.
#[test]
fn every_unknown_key_is_reported_in_file_order() {
    let text = "title = \"t\"\nsource = \"s\"\nfoo = 1\nbar = 2\n[[step]]\nat = \"0s\"\n\
                run = \"true\"\n[expect]\nbaz = 1\n[expect.dropbear]\nqux = 2\n";
    let err = load("x.toml", text).unwrap_err();
    let found: Vec<(usize, usize, Option<&str>)> = err
        .problems()
        .map(|p| (p.line, p.col, p.key.as_deref()))
        .collect();
    assert_eq!(
        found,
        [
            (3, 1, Some("foo")),
            (4, 1, Some("bar")),
            (9, 1, Some("expect.baz")),
            (11, 1, Some("expect.dropbear.qux")),
        ]
    );
    let shown = err.to_string();
    assert!(
        shown.starts_with("x.toml:3:1: foo: unknown key `foo`; the keys of the top level are "),
        "{shown}"
    );
    for block in [
        "\nx.toml:4:1: bar: unknown key `bar`",
        "\nx.toml:9:1: expect.baz: unknown key `baz`",
        "\nx.toml:11:1: expect.dropbear.qux: unknown key `qux`",
    ] {
        assert!(shown.contains(block), "{block} in:\n{shown}");
    }
    // The keys of the expect tables have an example; the top level has none
    // that fits an unknown key.
    assert_eq!(shown.matches("\n  example: ").count(), 2, "{shown}");
}

/// Unknown keys in nested tables and in every step are all found, and the
/// values of the other keys are still checked.
#[test]
fn unknown_keys_everywhere_and_bad_values_are_reported_together() {
    let text = "title = \"t\"\nsource = \"s\"\n[world]\nhorizn = \"1s\"\ntick = \"x\"\n\
                [[step]]\nrun = \"true\"\ncmd = 1\n[[step]]\nat = \"soon\"\nrun = \"true\"\n\
                wait_for = { scren = \"x\" }\n[expect]\nclient = { exitt = 0 }\n";
    let err = load("x.toml", text).unwrap_err();
    let found: Vec<(usize, Option<&str>)> =
        err.problems().map(|p| (p.line, p.key.as_deref())).collect();
    assert_eq!(
        found,
        [
            (4, Some("world.horizn")),
            (5, Some("world.tick")),
            (8, Some("step[1].cmd")),
            (10, Some("step[2].at")),
            // Not "a wait needs `screen`": that is what `scren` meant.
            (12, Some("step[2].wait_for.scren")),
            (14, Some("expect.client.exitt")),
        ]
    );
}

/// A file with many problems shows the first 20 and counts the rest.
#[test]
fn many_problems_are_capped() {
    let mut text = "title = \"t\"\nsource = \"s\"\n[[step]]\nrun = \"true\"\n[world]\n".to_owned();
    for i in 0..30 {
        text.push_str(&format!("unknown{i} = 1\n"));
    }
    let err = load("x.toml", &text).unwrap_err();
    assert_eq!(err.problems().count(), 30);
    let shown = err.to_string();
    assert_eq!(shown.matches(": unknown key `").count(), 20, "{shown}");
    assert!(shown.contains("x.toml:25:1: world.unknown19: "), "{shown}");
    assert!(!shown.contains("unknown20"), "{shown}");
    assert!(shown.ends_with("\n... and 10 more problems"), "{shown}");
}
