//! `cargo bench`: what the sim lane costs in wall time, release build.
//!
//! Prints, side by side from one run:
//! - one short session (connect, key exchange, auth, exec, teardown);
//! - the same session typed at the client terminal (a login shell on a
//!   pty, keystroke by keystroke);
//! - a session that hangs for 30 s of virtual time (a background job);
//! - idle sessions of 1 s and 24 h of virtual time (jumped over), and an
//!   idle minute with every tick stepped through, against the same minute
//!   jumped;
//! - the whole catalog under `scenarios/` on every target;
//! - `explore` on the `cat big` race (close-on-exit), on every core, and
//!   the time to the first truncating seed;
//! - endless writers for 10 s of virtual time: `cat /dev/zero` over ssh
//!   and `ssh server yes` typed at the terminal;
//!
//! and the ratio of virtual to wall time of the hang.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hangar::catalog::{load_all, load_named};
use hangar::explore::{ExploreOptions, SeedRange, explore};
use hangar_scenario::{Policy, Scenario, Target, load_str};

const SHORT: &str = r#"
title = "bench: one short session"
source = "bench"
[[step]]
at = "0s"
run = "ssh server 'exit 7'"
"#;

const HANG: &str = r#"
title = "bench: a 30 s hang on a background job"
source = "bench"
[[step]]
at = "0s"
run = "ssh server 'sleep 30 &'"
"#;

/// `sleep N` on the server: an idle session of N seconds of virtual time.
fn idle_session(secs: u64) -> Scenario {
    let text = format!(
        "title = \"bench: an idle session of {secs} s\"\nsource = \"bench\"\n\
         [world]\nhorizon = \"{}s\"\n\
         [[step]]\nat = \"0s\"\nrun = \"ssh server 'sleep {secs}'\"\n",
        secs + 60
    );
    load_str("bench/idle.toml", &text).unwrap()
}

const TYPED: &str = r#"
title = "bench: the same session typed at a terminal"
source = "bench"
[[step]]
type = "ssh server\n"
[[step]]
wait_for = { screen = 'user@server:~\$\z', timeout = "5s" }
[[step]]
type = "exit 7\n"
"#;

/// A writer that never stops, for 10 s of virtual time: `run` or `type`.
fn endless(kind: &str, line: &str) -> Scenario {
    let text = format!(
        "title = \"bench: an endless writer\"\nsource = \"bench\"\n\
         [world]\nhorizon = \"10s\"\n[[step]]\n{kind} = {line:?}\n"
    );
    load_str("bench/endless.toml", &text).unwrap()
}

/// Median wall time of `runs` runs of `scenario` on `target`, seeds 0..runs.
fn median(scenario: &Scenario, target: Target, runs: u64) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|seed| {
            let started = Instant::now();
            hangar::sim::run(scenario, target, seed).expect("run");
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let short = load_str("bench/short.toml", SHORT).unwrap();
    let hang = load_str("bench/hang.toml", HANG).unwrap();
    let catalog_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let catalog = load_all(&[catalog_dir]).expect("catalog loads");

    let typed = load_str("bench/typed.toml", TYPED).unwrap();
    let one = median(&short, Target::OpenSsh, 50);
    let at_terminal = median(&typed, Target::OpenSsh, 50);
    let hang_time = median(&hang, Target::OpenSsh, 20);
    let idle_second = median(&idle_session(1), Target::OpenSsh, 20);
    let idle_day = median(&idle_session(86_400), Target::OpenSsh, 20);
    let idle_minute = median(&idle_session(60), Target::OpenSsh, 5);
    let idle_minute_stepped =
        hangar::sim::clock::without_jumps(|| median(&idle_session(60), Target::OpenSsh, 5));
    let started = Instant::now();
    let mut runs = 0;
    for scenario in &catalog {
        for target in &scenario.targets {
            hangar::sim::run(scenario, *target, 0).expect("run");
            runs += 1;
        }
    }
    let whole = started.elapsed();
    let zero = endless("run", "ssh server 'cat /dev/zero'");
    let streamed = median(&zero, Target::OpenSsh, 3);
    let zero_events = hangar::sim::run(&zero, Target::OpenSsh, 0)
        .expect("run")
        .events
        .len();
    let yes_typed = median(&endless("type", "ssh server yes\n"), Target::OpenSsh, 3);

    let cat_big = load_named(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios/race/cat-big.toml"),
        "cat-big",
    )
    .unwrap();
    let close_on_exit = Target::Hangar(Policy::CloseOnExit);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let options = ExploreOptions {
        target: close_on_exit,
        seeds: SeedRange {
            start: 0,
            end: 1000,
        },
        shard: None,
        until_fail: false,
        workers,
        on_progress: None,
    };
    let explored = explore(&cat_big, &options);
    let started = Instant::now();
    let first_truncating = (0..)
        .find(|seed| {
            hangar::sim::run(&cat_big, close_on_exit, *seed)
                .unwrap()
                .outcome
                .lost_bytes
                > 0
        })
        .unwrap();
    let to_first = started.elapsed();

    println!("sim lane, release build, one thread");
    println!("  one session (exit 7):           {}", ms(one));
    println!(
        "  the session typed at a terminal: {}  ({:.1}x the plain one)",
        ms(at_terminal),
        at_terminal.as_secs_f64() / one.as_secs_f64()
    );
    println!(
        "  30 s hang (sleep 30 &):         {}  ({:.0}x faster than real time)",
        ms(hang_time),
        30.0 / hang_time.as_secs_f64()
    );
    println!(
        "  idle session, 1 s / 24 h:        {} / {}  (24 h costs {:.2}x 1 s)",
        ms(idle_second),
        ms(idle_day),
        idle_day.as_secs_f64() / idle_second.as_secs_f64()
    );
    println!(
        "  idle minute, every tick stepped: {}  ({:.0}x the jumped {})",
        ms(idle_minute_stepped),
        idle_minute_stepped.as_secs_f64() / idle_minute.as_secs_f64(),
        ms(idle_minute)
    );
    println!("  whole catalog ({runs} runs):      {}", ms(whole));
    println!(
        "  endless writers, 10 s: cat /dev/zero {} ({zero_events} trace events), yes at the terminal {}",
        ms(streamed),
        ms(yes_typed)
    );
    println!(
        "  explore cat big, close-on-exit, {workers} workers: {:.0} seeds/s over {} seeds",
        explored.seeds_per_second(),
        explored.seeds_run
    );
    println!(
        "  first truncating seed: {first_truncating}, found in {}",
        ms(to_first)
    );
    println!(
        "  ratios: hang / session = {:.1}, catalog / session = {:.1}",
        hang_time.as_secs_f64() / one.as_secs_f64(),
        whole.as_secs_f64() / one.as_secs_f64()
    );
}
