//! How a server ends a session without a pty once its child exits: what it
//! sends (exit-status or exit-signal, EOF, CLOSE), in which order, and
//! when it stops reading the child's pipes. The simulated sshd
//! (`sim/host/sshd.rs`) and `hangar-sshd` (`realssh/session.rs`) both follow
//! it; each does its own I/O through [`SessionEnd`].
//!
//! - [`Order::WaitEof`] (OpenSSH serverloop.c, session.c, nchan.c): the
//!   exit status as soon as the child is reaped; EOF only after read-EOF
//!   on both the stdout and the stderr pipe; CLOSE once both happened. A
//!   background job holding either pipe holds the session open. When the
//!   child's exit ends the pipes, the exit status and the EOF race.
//! - [`Order::CloseOnExit`] (sshd before 2000-11): at child exit, close the
//!   pipes, then send the exit status, EOF and CLOSE: whatever is still in
//!   the pipes is lost (a block already read is still sent).
//! - [`Order::Drain`]: the exit status at child exit, then keep reading the
//!   pipes for at most the limit; then close them, EOF, CLOSE.
//! - [`Order::Dropbear`] (svr-chansession.c, common-channel.c): at child
//!   exit, read what is in the pipes without blocking, close them, then
//!   send EOF, the exit status and CLOSE, in that order.
//!
//! A session on a pty ends by [`end_on_pty`]: when the child exits, what
//! the master holds now is sent without waiting for more (OpenSSH's
//! "bz#52" fix: EAGAIN counts as end-of-file), or lost at close-on-exit.

use std::future::Future;
use std::time::Duration;

use hangar_scenario::{Policy, Target};

use crate::trace::{PipeEvent, PipesClosed};

/// A server's order of the session's last messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// The exit status races the EOF when the child's exit ends its
    /// pipes: the exit closes them before the parent gets SIGCHLD
    /// (exit_files before exit_notify, kernel/exit.c), so OpenSSH's
    /// server_loop2 may read the EOF before collect_children sees the
    /// child (serverloop.c), and hangar-sshd's pumps may see it before its
    /// wait for the child returns. Measured on OpenSSH 9.2: EOF first in
    /// 18 of 20 runs; hangar-sshd showed both orders too.
    WaitEof,
    CloseOnExit,
    Drain(Duration),
    Dropbear,
}

impl Order {
    /// The order of a hangar server's policy.
    pub fn of_policy(policy: Policy) -> Order {
        match policy {
            Policy::WaitEof => Order::WaitEof,
            Policy::CloseOnExit => Order::CloseOnExit,
            Policy::Drain(limit) => Order::Drain(limit),
        }
    }

    /// The order of the server a target names.
    pub fn of_target(target: Target) -> Order {
        match target {
            Target::OpenSsh => Order::WaitEof,
            Target::Dropbear => Order::Dropbear,
            Target::Hangar(policy) => Order::of_policy(policy),
        }
    }
}

/// The channel of one session, as its server sends on it.
#[allow(async_fn_in_trait)]
pub trait ChannelEnd {
    /// How the child ended.
    type Status;
    /// Sends a block of the child's stdout.
    async fn send_data(&self, block: Vec<u8>);
    async fn send_status(&self, status: Self::Status);
    async fn send_eof(&self);
    async fn send_close(&self);
    /// Says something in the server's log.
    fn log(&self, event: PipeEvent);
}

/// One session's server side on pipes, as the teardown drives it: the
/// child, and the pumps that read its pipes into the channel.
#[allow(async_fn_in_trait)]
pub trait SessionEnd: ChannelEnd {
    /// Waits for the child's exit and reaps it (waitpid(2)).
    async fn reap(&self) -> Self::Status;
    /// The child was reaped and the session now waits for EOF on its
    /// pipes (wait-eof): a side may say who holds them.
    fn waits_for_pipes(&self) {}
    /// Whatever happens between the child's exit and the server acting on
    /// it (its SIGCHLD handling, a close-on-exit server's check): the
    /// sim's scheduling turns, which the seed draws.
    async fn before_acting_on_exit(&self) {}
    /// Tells the pumps to stop after the block they read.
    fn stop_pumps(&self);
    /// Reads what is in the pipes now, without blocking, into the channel.
    async fn flush_pending(&self) {}
    /// Closes the server's ends of the child's pipes; `when` is for the log.
    fn close_pipes(&self, when: PipesClosed);
    /// `work`, unless `limit` runs out first (`None`), on the side's clock.
    async fn within<F: Future>(&self, limit: Duration, work: F) -> Option<F::Output>;
}

/// The session from the child's start to CLOSE. `pumps` ends when both
/// pumps have: at EOF on their pipe, or once told to stop.
pub async fn tear_down<S: SessionEnd>(side: &S, order: Order, pumps: impl Future<Output = ()>) {
    match order {
        Order::WaitEof => {
            let exit = async {
                let status = side.reap().await;
                side.before_acting_on_exit().await;
                side.waits_for_pipes();
                side.send_status(status).await;
            };
            tokio::join!(exit, async {
                pumps.await;
                side.send_eof().await;
            });
        }
        Order::CloseOnExit => {
            let status = side.reap().await;
            side.before_acting_on_exit().await;
            side.stop_pumps();
            pumps.await;
            side.close_pipes(PipesClosed::AtChildExit);
            side.send_status(status).await;
            side.send_eof().await;
        }
        Order::Drain(limit) => {
            let status = side.reap().await;
            side.send_status(status).await;
            let mut pumps = Box::pin(pumps);
            if side.within(limit, &mut pumps).await.is_none() {
                side.log(PipeEvent::DrainLimit {
                    ms: limit.as_millis(),
                });
                side.stop_pumps();
                pumps.await;
            }
            side.close_pipes(PipesClosed::AfterTheDrain);
            side.send_eof().await;
        }
        Order::Dropbear => {
            let status = side.reap().await;
            side.stop_pumps();
            pumps.await;
            side.flush_pending().await;
            side.close_pipes(PipesClosed::AfterFlushingAtChildExit);
            side.send_eof().await;
            side.send_status(status).await;
        }
    }
    side.send_close().await;
}

/// A session on a pty whose child exited with `status`, `pending` being
/// what its master held then: the session's last messages, to CLOSE. The
/// master is closed after it (the pty hangs up).
pub async fn end_on_pty<C: ChannelEnd>(
    side: &C,
    order: Order,
    status: C::Status,
    pending: Vec<u8>,
) {
    let send_pending = async |pending: Vec<u8>| {
        if !pending.is_empty() {
            side.send_data(pending).await;
        }
    };
    match order {
        Order::Dropbear => {
            send_pending(pending).await;
            side.send_eof().await;
            side.send_status(status).await;
        }
        Order::CloseOnExit => {
            if !pending.is_empty() {
                side.log(PipeEvent::PtyClosedAtExit {
                    lost: pending.len(),
                });
            }
            side.send_status(status).await;
            side.send_eof().await;
        }
        Order::WaitEof | Order::Drain(_) => {
            side.send_status(status).await;
            send_pending(pending).await;
            side.log(PipeEvent::PtyDrained);
            side.send_eof().await;
        }
    }
    side.send_close().await;
}
