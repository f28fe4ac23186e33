//! The SSH algorithms the simulated endpoints negotiate, and the host-key
//! policy of every russh client of hangar's.
//!
//! Teardown does not depend on the algorithms, but the cost of a simulated
//! session does: the key exchange dominates a short session, and russh's
//! default puts the post-quantum hybrid (mlkem768x25519) first. The sim
//! uses the cheapest modern set both ends support: curve25519-sha256 for
//! the exchange and AES-256-GCM (hardware-accelerated, no separate MAC).

use std::borrow::Cow;
use std::time::Duration;

use russh::{Preferred, cipher, kex};

/// Algorithms of both the simulated ssh and sshd.
pub fn preferred() -> Preferred {
    Preferred {
        kex: Cow::Borrowed(&[
            kex::CURVE25519,
            kex::EXTENSION_SUPPORT_AS_CLIENT,
            kex::EXTENSION_SUPPORT_AS_SERVER,
            kex::EXTENSION_OPENSSH_STRICT_KEX_AS_CLIENT,
            kex::EXTENSION_OPENSSH_STRICT_KEX_AS_SERVER,
        ]),
        cipher: Cow::Borrowed(&[cipher::AES_256_GCM]),
        ..Preferred::DEFAULT
    }
}

/// Rekeying limits of both the simulated ssh and sshd: russh's default
/// rekeys every hour by the wall clock (its `Instant` is std's), which would
/// make a simulated session's timing depend on the machine. Rekeying is
/// invisible to teardown, and OpenSSH's default RekeyLimit has no time
/// limit (ssh_config(5) RekeyLimit: "default none"), so the sim rekeys by
/// volume only, at russh's default 1 GiB.
pub fn limits() -> russh::Limits {
    const GIB: usize = 1 << 30;
    russh::Limits::new(GIB, GIB, Duration::from_secs(u64::from(u32::MAX)))
}

/// A client's host-key check that takes any key: each run (simulated or
/// real) makes the server a fresh key, and there is no known_hosts to check
/// it against (as `StrictHostKeyChecking no` with no known hosts).
pub struct AcceptAnyHostKey;

impl russh::client::Handler for AcceptAnyHostKey {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}
