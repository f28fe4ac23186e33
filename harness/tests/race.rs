//! The truncation race of seed 000: `ssh server cat big` over a server that
//! closes at child exit loses the pipe's tail on some seeds and not on
//! others; over a server that waits for EOF it never loses a byte.

use hangar::catalog::load_named;
use hangar::sim::run;
use hangar_scenario::{Policy, Target};

const SEEDS: u64 = 40;
const BIG: u64 = 1 << 20;

fn outcomes(target: Target) -> Vec<(u64, u64)> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/race/cat-big.toml");
    let scenario = load_named(&path, "scenarios/race/cat-big.toml").unwrap();
    (0..SEEDS)
        .map(|seed| {
            let o = run(&scenario, target, seed).unwrap().outcome;
            assert_eq!(o.client_exit, Some(0), "seed {seed}: cat big must succeed");
            (o.stdout_bytes, o.lost_bytes)
        })
        .collect()
}

#[test]
fn close_on_exit_truncates_on_some_seeds_and_accounts_for_every_byte() {
    let runs = outcomes(Target::Hangar(Policy::CloseOnExit));
    let truncated = runs.iter().filter(|(_, lost)| *lost > 0).count();
    assert!(
        truncated > 0,
        "no seed of {SEEDS} lost bytes: the race is not modelled"
    );
    assert!(
        truncated < runs.len(),
        "every seed lost bytes: the race is not a race"
    );
    for (delivered, lost) in runs {
        assert_eq!(
            delivered + lost,
            BIG,
            "delivered + lost must be the whole file"
        );
    }
}

#[test]
fn waiting_for_eof_never_truncates() {
    for target in [
        Target::OpenSsh,
        Target::Hangar(Policy::WaitEof),
        Target::Dropbear,
    ] {
        for (seed, (delivered, lost)) in outcomes(target).into_iter().enumerate() {
            assert_eq!((delivered, lost), (BIG, 0), "{target} seed {seed}");
        }
    }
}
