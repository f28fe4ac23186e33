//! The simulated server's own timeouts (`[server]`), each kept as its
//! server keeps it. Measured on the real lane (OpenSSH 9.2, Dropbear
//! 2022.83) before modelling:
//!
//! - OpenSSH `ChannelTimeout` (sshd_config(5); channels.c channel_handler):
//!   a channel's `lastused` is the whole second of monotime() of its last
//!   data either way; once `now >= lastused + interval`, sshd force-closes
//!   the channel: EOF and CLOSE, no exit status of its own, the command
//!   left running on pipes (on a pty, hung up). `session:*=3` ended a
//!   quiet `ssh server 'sleep 8'` 2.1 to 3 s after it started (ssh exits
//!   255); output every second kept it open; `ssh server 'sleep 20 &'`
//!   ended at 3 s with the exit status 0 that came before.
//! - OpenSSH `UnusedConnectionTimeout` (serverloop.c
//!   wait_until_can_do_something): the expiry is the whole second of
//!   monotime() when no channel was last open, plus the interval, and the
//!   connection is closed once `now > expiry`, with no SSH message: `ssh
//!   -N` says "Connection to ... closed by remote host." and exits 255.
//!   Measured with 2 s: 2.4 to 3.1 s after ssh started.
//! - Dropbear `-I` (dropbear(8); common-session.c checktimeouts,
//!   packet.c): `now - last_packet_time_idle >= secs` in whole seconds of
//!   the monotonic clock, where every packet either way counts but
//!   keepalives; the connection closes with no SSH message, the command
//!   left running. `-I 2` ended quiet sessions 1.6 to 1.9 s after the last
//!   packet; output every second kept `-I 3` open.
//!
//! The whole-second clocks start at a fraction of a second drawn per seed
//! (`Swarm::clock_phase`), so a timeout fires within its last second as
//! on a real machine.

use std::sync::Mutex;
use std::time::Duration;

use hangar_scenario::{Target, timeout_for, whole_seconds};
use tokio::sync::watch;

use super::env::HostEnv;
use crate::trace::ServerTimeout;

/// When a connection last carried something, in the run's virtual time.
#[derive(Debug)]
pub(super) struct Activity {
    /// The session channel's data, either way (OpenSSH's `lastused`).
    data: Mutex<Duration>,
    /// Any packet but keepalives (Dropbear's `last_packet_time_idle`).
    packet: Mutex<Duration>,
}

fn now() -> Duration {
    crate::sim::clock::now().unwrap_or_default()
}

impl Activity {
    pub(super) fn new() -> Activity {
        Activity {
            data: Mutex::new(now()),
            packet: Mutex::new(now()),
        }
    }

    /// Channel data went one way or the other.
    pub(super) fn data(&self) {
        *self.data.lock().unwrap() = now();
        self.packet();
    }

    /// Some other message went one way or the other.
    pub(super) fn packet(&self) {
        *self.packet.lock().unwrap() = now();
    }

    fn last_data(&self) -> Duration {
        *self.data.lock().unwrap()
    }

    fn last_packet(&self) -> Duration {
        *self.packet.lock().unwrap()
    }
}

/// The first moment at which a clock kept in whole seconds, whose
/// fraction of a second at the run's start was `phase`, says `secs` have
/// passed since `last`: `floor(t + phase) >= floor(last + phase) + secs`.
fn whole_second_deadline(last: Duration, secs: u64, phase: Duration) -> Duration {
    let last_second = (last + phase).as_secs();
    Duration::from_secs(last_second.saturating_add(secs)).saturating_sub(phase)
}

/// The same clock's first moment past `secs` after `last`:
/// `floor(t + phase) > floor(last + phase) + secs`.
fn whole_second_expiry(last: Duration, secs: u64, phase: Duration) -> Duration {
    whole_second_deadline(last, secs.saturating_add(1), phase)
}

/// Resolves once `last()` has stood still for `secs` by the whole-second
/// rule; activity meanwhile starts the count again.
async fn quiet_for(last: impl Fn() -> Duration, secs: u64, phase: Duration) {
    loop {
        let seen = last();
        let due = whole_second_deadline(seen, secs, phase);
        crate::sim::clock::sleep(due.saturating_sub(now())).await;
        if last() == seen {
            return;
        }
    }
}

/// The ChannelTimeout of a session channel on this server, in whole
/// seconds: OpenSSH's only.
pub(super) fn channel_timeout(env: &HostEnv, channel_type: &str) -> Option<u64> {
    if env.target != Target::OpenSsh {
        return None;
    }
    timeout_for(&env.server.channel_timeouts, channel_type).map(whole_seconds)
}

/// Resolves when the session channel has had no data for `secs`; never
/// without a timeout.
pub(super) async fn channel_idle(activity: &Activity, secs: Option<u64>, phase: Duration) {
    match secs {
        Some(secs) => quiet_for(|| activity.last_data(), secs, phase).await,
        None => std::future::pending().await,
    }
}

/// Resolves with the timeout that ends the connection, when one of this
/// server's does: Dropbear's `-I`, or OpenSSH's UnusedConnectionTimeout
/// while `channels` (logged in, open channels) says none is open.
pub(super) async fn connection_timeout(
    env: &HostEnv,
    activity: &Activity,
    mut channels: watch::Receiver<(bool, usize)>,
) -> ServerTimeout {
    let server = &env.server;
    match env.target {
        Target::Dropbear => {
            if let Some(after) = server.dropbear_idle_timeout {
                let secs = whole_seconds(after);
                quiet_for(|| activity.last_packet(), secs, env.swarm.clock_phase).await;
                return ServerTimeout::Idle(secs);
            }
        }
        Target::OpenSsh => {
            if let Some(after) = server.unused_connection_timeout {
                let secs = whole_seconds(after);
                loop {
                    let unused = |(logged_in, open): &(bool, usize)| *logged_in && *open == 0;
                    if channels.wait_for(unused).await.is_err() {
                        break;
                    }
                    let used = |(_, open): &(bool, usize)| *open > 0;
                    let expiry = whole_second_expiry(now(), secs, env.swarm.clock_phase);
                    tokio::select! {
                        () = crate::sim::clock::sleep(expiry.saturating_sub(now())) => {
                            return ServerTimeout::UnusedConnection(secs);
                        }
                        _ = channels.wait_for(used) => {}
                    }
                }
            }
        }
        Target::Hangar(_) => {}
    }
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn a_whole_second_timer_fires_within_its_last_second() {
        // The clock reads 0.9 s at the start: a second later it has
        // already ticked twice.
        assert_eq!(whole_second_deadline(ms(0), 2, ms(900)), ms(1100));
        assert_eq!(whole_second_deadline(ms(0), 2, ms(0)), ms(2000));
        assert_eq!(whole_second_deadline(ms(1500), 3, ms(250)), ms(3750));
    }

    #[test]
    fn an_expiry_passes_only_after_its_whole_second() {
        assert_eq!(whole_second_expiry(ms(200), 2, ms(0)), ms(3000));
        assert_eq!(whole_second_expiry(ms(200), 2, ms(900)), ms(3100));
    }
}
