//! ssh_config(5) ServerAliveInterval and ServerAliveCountMax as settings of
//! russh's client, for the simulated ssh and for hangar-ssh.
//!
//! OpenSSH, clientloop.c: after an interval in which nothing was read from
//! the server, server_alive_check counts one more unanswered check and
//! gives up ("Timeout, server HOST not responding.", exit 255) once the
//! count exceeds ServerAliveCountMax; otherwise it sends a probe. So
//! CountMax 0 gives up at the first check, even on a healthy idle session.
//! russh's keepalive follows the same rule, except that a `keepalive_max`
//! of 0 means "no limit": CountMax 0 is then russh's inactivity timeout of
//! one interval, which gives up at the first quiet interval as OpenSSH does
//! (it is re-armed by what the client sends too, where OpenSSH looks only
//! at what it reads; an idle session has neither).

use std::time::Duration;

/// The settings of `russh::client::Config` that carry ServerAlive*.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerAlive {
    pub keepalive_interval: Option<Duration>,
    pub keepalive_max: usize,
    pub inactivity_timeout: Option<Duration>,
}

/// `interval` is `None` when ServerAliveInterval is off (0 or unset).
pub fn server_alive(interval: Option<Duration>, count_max: u32) -> ServerAlive {
    match interval.filter(|d| !d.is_zero()) {
        Some(every) if count_max == 0 => ServerAlive {
            keepalive_interval: None,
            keepalive_max: 0,
            inactivity_timeout: Some(every),
        },
        keepalive_interval => ServerAlive {
            keepalive_interval,
            keepalive_max: count_max as usize,
            inactivity_timeout: None,
        },
    }
}

/// Whether the connection ended because the server went unanswered.
pub fn is_server_alive_timeout(error: &russh::Error) -> bool {
    matches!(
        error,
        russh::Error::KeepaliveTimeout | russh::Error::InactivityTimeout
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn count_max_zero_gives_up_after_one_quiet_interval() {
        let alive = server_alive(Some(SECOND), 0);
        assert_eq!(alive.inactivity_timeout, Some(SECOND));
        assert_eq!(
            alive.keepalive_interval, None,
            "russh's 0 would mean no limit"
        );
    }

    #[test]
    fn a_positive_count_max_is_russhs_keepalive() {
        let alive = server_alive(Some(SECOND), 3);
        assert_eq!(
            (alive.keepalive_interval, alive.keepalive_max),
            (Some(SECOND), 3)
        );
        assert_eq!(alive.inactivity_timeout, None);
    }

    #[test]
    fn interval_zero_or_unset_is_off_whatever_the_count() {
        for interval in [None, Some(Duration::ZERO)] {
            let alive = server_alive(interval, 0);
            assert_eq!(
                (alive.keepalive_interval, alive.inactivity_timeout),
                (None, None)
            );
        }
    }
}
