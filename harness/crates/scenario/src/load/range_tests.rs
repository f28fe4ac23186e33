//! Ranges (`"1ms..50ms"`): what loads, and where and how a wrong one is
//! reported.

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn range<T>(min: T, max: T) -> Drawn<T> {
    Drawn { min, max }
}

/// A minimal valid file with `extra` appended; the first extra line is
/// line 3.
fn with(extra: &str) -> String {
    format!("title = \"t\"\nsource = \"s\"\n{extra}")
}

fn load_with(extra: &str) -> Scenario {
    load("x.toml", &with(extra)).unwrap_or_else(|e| panic!("{e}"))
}

/// The error for `with(extra)`, and a step at the end if `extra` has none,
/// so that a scenario without steps is not a second problem.
fn error_with(extra: &str) -> String {
    let step = if extra.contains("[step]") {
        ""
    } else {
        "[[step]]\nrun = \"true\"\n"
    };
    match load("x.toml", &format!("{}{step}", with(extra))) {
        Ok(_) => panic!("loaded:\n{extra}"),
        Err(e) => e.to_string(),
    }
}

const RANGES: &str = r#"
[world]
latency = "1ms..50ms"
pipe_buffer = "4KiB..64KiB"
window = "32KiB..2MiB"
write_pacing = "0ms..5ms"

[[step]]
at = "1s..3s"
run = "sleep 1"

[[step]]
at = "2s"
net = "partition"

[[step]]
at = "2s..2.5s"
net = "heal"
"#;

#[test]
fn ranges_load_as_min_and_max() {
    let s = load_with(RANGES);
    assert_eq!(s.world.net.latency, range(ms(1), ms(50)));
    assert_eq!(s.world.pipe_buffer, range(4096, 65_536));
    assert_eq!(s.world.window, range(32_768, 2_097_152));
    assert_eq!(s.world.write_pacing, range(Duration::ZERO, ms(5)));
    let times: Vec<Drawn<Duration>> = s.steps.iter().map(|step| step.at).collect();
    assert_eq!(
        times,
        [
            range(secs(1), secs(3)),
            Drawn::fixed(secs(2)),
            range(secs(2), ms(2_500))
        ]
    );
    assert!(!times[0].is_fixed() && times[1].is_fixed());
}

#[test]
fn single_values_and_empty_ranges_are_fixed() {
    let s = load_with(
        "[world]\nlatency = \"20ms\"\npipe_buffer = 4096\nwindow = \"1MiB\"\n\
         write_pacing = \"1ms..1ms\"\n[[step]]\nat = \"5s..5s\"\nrun = \"sleep 1\"\n",
    );
    assert_eq!(s.world.net.latency, Drawn::fixed(ms(20)));
    assert_eq!(s.world.pipe_buffer, Drawn::fixed(4096));
    assert_eq!(s.world.window, Drawn::fixed(1 << 20));
    assert_eq!(s.world.write_pacing, Drawn::fixed(ms(1)));
    assert_eq!(s.steps[0].at, Drawn::fixed(secs(5)));
}

#[test]
fn overlapping_step_ranges_are_in_order_by_their_start() {
    let s = load_with(
        "[[step]]\nat = \"1s..5s\"\nrun = \"sleep 1\"\n\
         [[step]]\nat = \"1s\"\nnet = \"hold\"\n\
         [[step]]\nat = \"2s..3s\"\nnet = \"release\"\n",
    );
    assert_eq!(s.steps.len(), 3);
}

#[test]
fn a_range_whose_start_is_after_its_end() {
    assert_eq!(
        error_with("[world]\nlatency = \"50ms..1ms\"\n"),
        "x.toml:4:11: world.latency: the range's start must not be after its end, found \
         `50ms..1ms`\n  example: latency = \"1ms..50ms\""
    );
    assert_eq!(
        error_with("[world]\nwindow = \"2MiB..32KiB\"\n"),
        "x.toml:4:10: world.window: the range's start must not be after its end, found \
         `2MiB..32KiB`\n  example: window = \"32KiB..2MiB\""
    );
    assert_eq!(
        error_with("[[step]]\nat = \"3s..1s\"\nrun = \"sleep 1\"\n"),
        "x.toml:4:6: step[1].at: the range's start must not be after its end, found \
         `3s..1s`\n  example: at = \"1s..3s\""
    );
}

#[test]
fn a_wrong_end_is_reported_at_that_end() {
    assert_eq!(
        error_with("[world]\nlatency = \"1ms..5x\"\n"),
        "x.toml:4:17: world.latency: the end of the range: expected a duration such as \
         `30s`, `250ms` or `1.5s`, found `5x`\n  example: latency = \"1ms..50ms\""
    );
    // The same column in a literal string.
    assert!(
        error_with("[world]\nlatency = '1ms..5x'\n")
            .starts_with("x.toml:4:17: world.latency: the end of the range:")
    );
    assert_eq!(
        error_with("[world]\nwrite_pacing = \"1..5ms\"\n"),
        "x.toml:4:17: world.write_pacing: the start of the range: expected a duration such \
         as `30s`, `250ms` or `1.5s`, found `1` (a number needs a unit: `1s`)\n  \
         example: write_pacing = \"0ms..5ms\""
    );
    assert_eq!(
        error_with("[world]\npipe_buffer = \"4k..64KiB\"\n"),
        "x.toml:4:16: world.pipe_buffer: the start of the range: expected a size in bytes \
         such as `1048576`, `64KiB` or `1MiB`, found `4k`\n  \
         example: pipe_buffer = \"4KiB..64KiB\""
    );
    assert_eq!(
        error_with("[world]\nwindow = \"32KiB..2MiB..4MiB\"\n"),
        "x.toml:4:18: world.window: the end of the range: expected a size in bytes such as \
         `1048576`, `64KiB` or `1MiB`, found `2MiB..4MiB`\n  \
         example: window = \"32KiB..2MiB\""
    );
}

#[test]
fn a_range_needs_both_ends() {
    assert_eq!(
        error_with("[[step]]\nat = \"1s..\"\nrun = \"sleep 1\"\n"),
        "x.toml:4:6: step[1].at: a range needs a start and an end, such as `1s..3s`, found \
         `1s..`\n  example: at = \"1s..3s\""
    );
    assert_eq!(
        error_with("[world]\nlatency = \"..\"\n"),
        "x.toml:4:11: world.latency: a range needs a start and an end, such as `1ms..50ms`, \
         found `..`\n  example: latency = \"1ms..50ms\""
    );
}

#[test]
fn a_range_where_one_value_is_expected() {
    assert_eq!(
        error_with("[world]\nhorizon = \"1s..5s\"\n"),
        "x.toml:4:11: world.horizon: expected one duration, found the range `1s..5s`; only \
         `world.latency`, `world.pipe_buffer`, `world.window`, `world.write_pacing` and \
         `step.at` take ranges\n  example: horizon = \"120s\""
    );
    assert_eq!(
        error_with("[expect]\nlost_bytes = \"0..5\"\n"),
        "x.toml:4:14: expect.lost_bytes: expected one size, found the range `0..5`; only \
         `world.latency`, `world.pipe_buffer`, `world.window`, `world.write_pacing` and \
         `step.at` take ranges\n  example: lost_bytes = 0"
    );
    assert!(
        error_with("[client]\nServerAliveInterval = \"1s..2s\"\n").starts_with(
            "x.toml:4:23: client.ServerAliveInterval: expected one time, found the range \
             `1s..2s`;"
        )
    );
    assert!(
        error_with("[expect]\nclient = { within = \"1s..2s\" }\n").starts_with(
            "x.toml:4:21: expect.client.within: expected one duration, found the range `1s..2s`;"
        )
    );
}

#[test]
fn a_pipe_holds_at_least_a_page() {
    assert_eq!(
        error_with("[world]\npipe_buffer = 0\n"),
        "x.toml:4:15: world.pipe_buffer: a pipe holds at least a page, 4096 bytes (pipe(7)), \
         found `0`\n  example: pipe_buffer = \"64KiB\""
    );
    assert_eq!(
        error_with("[world]\npipe_buffer = \"1..4KiB\"\n"),
        "x.toml:4:15: world.pipe_buffer: a pipe holds at least a page, 4096 bytes (pipe(7)), \
         found `1..4KiB`\n  example: pipe_buffer = \"64KiB\""
    );
}

/// A channel whose window is 0 never carries a byte: the run could only
/// hang, so it is refused like an empty pipe.
#[test]
fn a_window_holds_at_least_one_byte() {
    assert_eq!(
        error_with("[world]\nwindow = 0\n"),
        "x.toml:4:10: world.window: an SSH channel window must hold at least 1 byte, \
         found `0`\n  example: window = \"2MiB\""
    );
    assert!(error_with("[world]\nwindow = \"0..32KiB\"\n").starts_with("x.toml:4:10: "));
}

#[test]
fn wrong_single_values_say_that_a_range_would_do() {
    assert_eq!(
        error_with("[world]\nwrite_pacing = 5\n"),
        "x.toml:4:16: world.write_pacing: expected a duration such as `30s`, `250ms` or \
         `1.5s`, or a range of durations such as `1ms..50ms`, found the integer `5`\n  \
         example: write_pacing = \"5s\""
    );
    assert_eq!(
        error_with("[world]\nwindow = true\n"),
        "x.toml:4:10: world.window: expected a size in bytes such as `4096` or `64KiB`, or a \
         range of sizes such as `4KiB..64KiB`, found `true`\n  example: window = \"2MiB\""
    );
    assert!(error_with("[world]\npipe_bufer = 1\n").starts_with(
        "x.toml:4:1: world.pipe_bufer: unknown key `pipe_bufer` (did you mean `pipe_buffer`?)"
    ));
}

#[test]
fn steps_are_in_order_by_the_start_of_their_time() {
    assert_eq!(
        error_with(
            "[[step]]\nat = \"2s..5s\"\nrun = \"sleep 1\"\n\n[[step]]\nat = \"1s..9s\"\nnet = \"heal\"\n"
        ),
        "x.toml:8:6: step[2].at: steps must be in time order: this step is at `1s..9s`, \
         starting earlier than the step before it (line 3, at `2s..5s`)\n  \
         example: at = \"2s..9s\""
    );
    assert_eq!(
        error_with(
            "[[step]]\nat = \"2s..5s\"\nrun = \"sleep 1\"\n\n[[step]]\nat = \"1s\"\nnet = \"heal\"\n"
        ),
        "x.toml:8:6: step[2].at: steps must be in time order: this step is at `1s`, earlier \
         than the step before it (line 3, at `2s..5s`)\n  example: at = \"2s\""
    );
}

#[test]
fn a_step_range_must_end_within_the_horizon() {
    assert_eq!(
        error_with("[world]\nhorizon = \"60s\"\n[[step]]\nat = \"30s..90s\"\nrun = \"sleep 1\"\n"),
        "x.toml:6:6: step[1].at: this step may be as late as `90s`, after the horizon \
         (`1m`), so it might never happen\n  example: [world]\n           horizon = \"90s\""
    );
    load_with("[world]\nhorizon = \"60s\"\n[[step]]\nat = \"30s..60s\"\nrun = \"sleep 1\"\n");
}

#[test]
fn a_tick_is_at_least_a_millisecond() {
    assert_eq!(
        error_with("[world]\ntick = \"1ns\"\n"),
        "x.toml:4:8: world.tick: the tick must be at least `1ms`: each tick is a step of every \
         host\n  example: tick = \"1ms\""
    );
    assert!(
        crate::load_str(
            "x.toml",
            "title = \"t\"\nsource = \"s\"\n[world]\ntick = \"1ms\"\n[[step]]\nat = \"0s\"\nrun = \"true\"\n"
        )
        .is_ok()
    );
}
