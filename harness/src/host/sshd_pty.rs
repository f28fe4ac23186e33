//! The end of a session that has a pty, from the servers' source:
//!
//! - `openssh`, `hangar:wait-eof`, `hangar:drain=D` (session.c, the "bz#52"
//!   fix): when the child exits, what the pty holds now is sent and nothing
//!   more is waited for (EAGAIN on the master counts as end-of-file), so a
//!   background job never holds the session and its later output is lost.
//!   Wire order: exit-status, EOF, CLOSE.
//! - `dropbear` (svr-chansession.c): the same flush, in its order: EOF,
//!   exit-status, CLOSE.
//! - `hangar:close-on-exit`: closes at child exit without the flush.
//!
//! Then sshd closes the master: the pty hangs up (pty(7)). When the
//! connection ends first, the session task is dropped with the master in
//! it, which hangs the pty up while the shell still runs: SIGHUP reaches
//! the session leader, and an interactive shell passes it to its jobs.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use hangar_scenario::{Policy, Target};

use super::sshd::Teardown;
use crate::trace::{PipeEvent, SshEvent, Stream, Way};
use crate::unix::{Kernel, Tty};

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
        };
        let pending = tty.take_output();
        match self.target {
            Target::Dropbear => {
                self.send_pending(pending).await;
                self.send_eof().await;
                self.send_status(status).await;
            }
            Target::Hangar(Policy::CloseOnExit) => {
                if !pending.is_empty() {
                    self.trace.log(
                        &self.me,
                        PipeEvent::PtyClosedAtExit {
                            lost: pending.len(),
                        },
                    );
                }
                self.send_status(status).await;
                self.send_eof().await;
            }
            _ => {
                self.send_status(status).await;
                self.send_pending(pending).await;
                self.trace.log(&self.me, PipeEvent::PtyDrained);
                self.send_eof().await;
            }
        }
        self.trace.log(
            &self.me,
            SshEvent::Close {
                way: Way::Sent,
                answer: false,
            },
        );
        self.report.closed.store(true, Ordering::Relaxed);
        let _ = self.handle.close(self.channel).await;
        drop(master);
    }

    async fn send_pending(&self, pending: Vec<u8>) {
        if !pending.is_empty() {
            self.send_data(Stream::Stdout, pending).await;
        }
    }
}
