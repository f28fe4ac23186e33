//! The end of a session that has a pty, in the order of the target's
//! server ([`crate::ssh::teardown::end_on_pty`]): when the child exits, what the
//! pty holds now is sent (or lost, at close-on-exit) and nothing more is
//! waited for, so a background job never holds the session and its later
//! output is lost.
//!
//! Then sshd closes the master: the pty hangs up (pty(7)); so does a
//! ChannelTimeout, while the session still runs. When the
//! connection ends first, the session task is dropped with the master in
//! it, which hangs the pty up while the shell still runs: SIGHUP reaches
//! the session leader, and an interactive shell passes it to its jobs.

use std::sync::Arc;

use super::sshd::Teardown;
use crate::sim::unix::{Kernel, Tty};
use crate::ssh::teardown::{Order, end_on_pty};
use crate::trace::Stream;

/// sshd's end of the pty: dropping it closes the master.
struct Master {
    kernel: Kernel,
    tty: Arc<Tty>,
}

impl Drop for Master {
    fn drop(&mut self) {
        self.kernel.hang_up(&self.tty);
    }
}

impl Teardown {
    pub(super) async fn run_pty(self, tty: Arc<Tty>) {
        let master = Master {
            kernel: self.kernel.clone(),
            tty: tty.clone(),
        };
        let output = self.pump_ctx(Stream::Stdout);
        let forward = async {
            loop {
                let block = tty.read_output().await;
                if block.is_empty() || !output.send(block).await {
                    // Hung up: wait for the child as the other branch does.
                    std::future::pending::<()>().await;
                }
            }
        };
        let status = tokio::select! {
            status = self.reap() => status,
            _ = forward => unreachable!("the forwarder never ends"),
            () = self.channel_idle() => {
                // session.c session_close_by_channel, session_pty_cleanup:
                // the master closes, the pty hangs up and the session gets
                // SIGHUP; then the channel closes.
                drop(master);
                self.force_close().await;
                return;
            }
        };
        let pending = tty.take_output();
        end_on_pty(&self, Order::of_target(self.target), status, pending).await;
        drop(master);
    }
}
