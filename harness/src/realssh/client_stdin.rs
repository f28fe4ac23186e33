//! hangar-ssh's stdin: read on a thread of its own, passed through the
//! escapes (on a terminal with a pty) into the session channel, its end
//! sent as the channel's EOF (RFC 4254 5.3).

use std::io::Read;
use std::os::fd::AsFd;
use std::sync::Arc;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use russh::ChannelWriteHalf;
use russh::client::Msg;
use tokio::sync::mpsc;

use crate::ssh::escapes::{Escape, Escapes};

/// How much of stdin one read takes.
const STDIN_BLOCK: usize = 16 * 1024;

/// What the stdin forwarder tells the client loop.
pub enum FromStdin {
    SentEof,
    Escape(Escape),
}

/// Blocks read from stdin on a thread of their own (a blocking read(2) on
/// a terminal or a pipe cannot be cancelled); the end of input is `None`.
/// `-n`: the input is empty, as from /dev/null.
///
/// As clientloop.c, it waits with poll(2) before each read: a hangar-ssh
/// in a background job is stopped (SIGTTIN) only once there is input on
/// the terminal, not as soon as it starts.
///
/// On a terminal, `reading` is held for each read: ssh leaves a terminal
/// stdin blocking (ssh.c) and its one loop waits in the read, so channel
/// messages wait too (after a stop and `fg`, until the next line).
pub fn stdin_blocks(
    null_stdin: bool,
    reading: Option<Arc<tokio::sync::RwLock<()>>>,
) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel(4);
    if !null_stdin {
        std::thread::spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut block = vec![0; STDIN_BLOCK];
            loop {
                if !wait_readable(&stdin) {
                    return;
                }
                let held = reading.as_ref().map(|r| r.blocking_write());
                let read = stdin.read(&mut block);
                drop(held);
                match read {
                    Ok(0) => return,
                    Ok(n) => {
                        if tx.blocking_send(block[..n].to_vec()).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => return,
                }
            }
        });
    }
    rx
}

/// Blocks until `fd` is readable (or at its end); false if poll fails.
fn wait_readable(fd: &impl AsFd) -> bool {
    let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
    loop {
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => return true,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return false,
        }
    }
}

/// Stdin, through the escapes, into the channel (as fast as the server's
/// window allows); its end becomes the channel's EOF (RFC 4254 5.3).
pub async fn forward_stdin(
    mut blocks: mpsc::Receiver<Vec<u8>>,
    writer: Arc<ChannelWriteHalf<Msg>>,
    mut escapes: Option<Escapes>,
    to_loop: mpsc::UnboundedSender<FromStdin>,
) {
    while let Some(block) = blocks.recv().await {
        let actions = match &mut escapes {
            Some(escapes) => escapes.feed(&block),
            None => vec![Escape::Send(block)],
        };
        for action in actions {
            match action {
                Escape::Send(bytes) => {
                    if writer.data_bytes(bytes).await.is_err() {
                        return;
                    }
                }
                other => {
                    let _ = to_loop.send(FromStdin::Escape(other));
                }
            }
        }
    }
    if writer.eof().await.is_ok() {
        let _ = to_loop.send(FromStdin::SentEof);
    }
}
