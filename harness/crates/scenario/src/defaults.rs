//! What a scenario file means when it leaves a key out: a stock Debian
//! machine. The loader starts from these and the renderer leaves out what
//! equals them, so both read them from here.

use std::time::Duration;

use crate::model::{ClientOptions, Drawn, NetOptions, ServerOptions, World};

/// `world.horizon`.
pub(crate) const HORIZON: Duration = Duration::from_secs(120);
/// `world.latency`.
pub(crate) const LATENCY: Duration = Duration::from_millis(1);
/// `world.tick`.
pub(crate) const TICK: Duration = Duration::from_millis(5);
/// `world.linger`.
pub(crate) const LINGER: Duration = Duration::from_secs(2);
/// `world.retransmission_timeout`: Linux tcp_retries2=15 with a 200 ms
/// minimum RTO, tcp(7).
pub(crate) const RETRANSMISSION_TIMEOUT: Duration = Duration::from_millis(924_600);
/// `world.pipe_buffer`: Linux's pipe capacity, pipe(7).
pub(crate) const PIPE_BUFFER: u64 = 64 * 1024;
/// `world.window`: OpenSSH's CHAN_SES_WINDOW_DEFAULT (channels.h).
pub(crate) const WINDOW: u64 = 2 * 1024 * 1024;
/// `world.write_pacing`: utilities write as fast as they can.
pub(crate) const WRITE_PACING: Duration = Duration::ZERO;
/// `ServerAliveCountMax` (ssh_config(5)) and `ClientAliveCountMax`
/// (sshd_config(5)).
pub(crate) const ALIVE_COUNT_MAX: u32 = 3;

/// The world of a file with no `[world]`, `[client]` or `[server]`.
pub(crate) fn world() -> World {
    World {
        horizon: HORIZON,
        client: ClientOptions {
            server_alive_count_max: ALIVE_COUNT_MAX,
            ..ClientOptions::default()
        },
        server: ServerOptions {
            client_alive_count_max: ALIVE_COUNT_MAX,
            ..ServerOptions::default()
        },
        net: NetOptions {
            latency: Drawn::fixed(LATENCY),
            retransmission_timeout: RETRANSMISSION_TIMEOUT,
            bandwidth: None,
        },
        linger: LINGER,
        tick: TICK,
        pipe_buffer: Drawn::fixed(PIPE_BUFFER),
        window: Drawn::fixed(WINDOW),
        write_pacing: Drawn::fixed(WRITE_PACING),
        files: Vec::new(),
    }
}
