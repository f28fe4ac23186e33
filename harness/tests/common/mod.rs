//! What the tests that start real peers share: whether the peers are
//! installed, and the turn at them.
//!
//! Real servers are heavy on a small machine, and a test that checks for
//! leftovers looks at every run of its process, so real runs take turns:
//! two slots, each a file lock (flock(2) through `File::lock`) in the
//! temporary directory, which holds across the threads of `cargo test`
//! and the processes of `cargo nextest` alike. A test that needs the
//! machine to itself takes both.

#![allow(dead_code)]

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a test waits for its turn before it fails.
const TURN_WITHIN: Duration = Duration::from_secs(30 * 60);

/// Whether the peers are installed; in CI they must be.
pub fn peers_installed() -> bool {
    let installed = ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/sbin/dropbear"]
        .iter()
        .all(|p| Path::new(p).exists());
    if !installed {
        assert!(
            std::env::var_os("CI").is_none(),
            "the real lane's peers are missing in CI: ci/install-peers should have installed them"
        );
        eprintln!(
            "SKIPPED: real-lane test: OpenSSH or Dropbear is not installed (run ci/install-peers)"
        );
    }
    installed
}

/// A turn at the real peers; released when dropped.
pub struct Turn(#[allow(dead_code)] Vec<File>);

fn slot(n: usize) -> File {
    let path = std::env::temp_dir().join(format!("hangar-real-peers.{n}.lock"));
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Takes `slots` (both, or any one) within [`TURN_WITHIN`].
fn take(both: bool) -> Turn {
    let since = Instant::now();
    loop {
        let mut held = Vec::new();
        for n in 0..2 {
            let file = slot(n);
            if file.try_lock().is_ok() {
                held.push(file);
                if !both {
                    return Turn(held);
                }
            }
        }
        if held.len() == 2 {
            return Turn(held);
        }
        drop(held);
        assert!(
            since.elapsed() < TURN_WITHIN,
            "no turn at the real peers within {TURN_WITHIN:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The machine's real peers to this test alone, or `None` (after a
/// message) when they are not installed outside CI.
pub fn real_peers() -> Option<Turn> {
    peers_installed().then(|| take(true))
}

/// One of the two turns at the real peers, for a test that checks no
/// leftovers; `None` as [`real_peers`].
pub fn real_peers_shared() -> Option<Turn> {
    peers_installed().then(|| take(false))
}

/// The repository's root: where scenario paths such as `scenarios/...`
/// resolve and replay commands are run.
pub fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `hangar ARGS` from the repository's root to its end.
pub fn hangar_in_repo(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_hangar"))
        .args(args)
        .current_dir(repo())
        .output()
        .unwrap()
}
