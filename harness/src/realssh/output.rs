//! What a session sends to the client, in order: data on stdout and
//! stderr, exit-status or exit-signal, EOF, CLOSE (RFC 4254 5.2, 5.3,
//! 6.10). Data goes only as fast as the client's window allows (russh's
//! channel writer waits for window adjustments), so, as in OpenSSH, the
//! server stops reading the child's output while the client is not
//! reading.

use std::process::ExitStatus;
use std::sync::Arc;

use nix::sys::signal::Signal;
use russh::server::{Handle, Msg};
use russh::{ChannelId, ChannelWriteHalf};

use super::log::Log;
use super::signals;
use crate::ssh::teardown::ChannelEnd;
use crate::trace::PipeEvent;

/// RFC 4254 5.2: extended data of type 1 is stderr.
pub const STDERR: u32 = 1;

#[derive(Clone)]
pub struct Output {
    pub log: Log,
    writer: Arc<ChannelWriteHalf<Msg>>,
    handle: Handle,
    id: ChannelId,
}

/// How the child ended, as the client hears it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    Exited(u32),
    Signaled { signal: Signal, core_dumped: bool },
}

impl Ending {
    pub fn of(status: ExitStatus) -> Ending {
        use std::os::unix::process::ExitStatusExt;
        match (status.code(), status.signal().map(Signal::try_from)) {
            (Some(code), _) => Ending::Exited(code as u32),
            (None, Some(Ok(signal))) => Ending::Signaled {
                signal,
                core_dumped: status.core_dumped(),
            },
            _ => Ending::Exited(255),
        }
    }
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::Exited(code) => write!(f, "exit {code}"),
            Ending::Signaled { signal, .. } => write!(f, "killed by {}", signal.as_str()),
        }
    }
}

impl Output {
    pub fn new(log: Log, writer: ChannelWriteHalf<Msg>, handle: Handle, id: ChannelId) -> Output {
        Output {
            log,
            writer: Arc::new(writer),
            handle,
            id,
        }
    }

    /// Sends one block; false once the channel or connection is gone.
    pub async fn data(&self, stream: Option<u32>, block: &[u8]) -> bool {
        let block = bytes::Bytes::copy_from_slice(block);
        match stream {
            Some(ext) => self.writer.extended_data_bytes(ext, block).await.is_ok(),
            None => self.writer.data_bytes(block).await.is_ok(),
        }
    }

    pub async fn ending(&self, ending: Ending) {
        match ending {
            Ending::Exited(code) => {
                self.log.say(format!("-> exit-status {code}"));
                let _ = self.writer.exit_status(code).await;
            }
            Ending::Signaled {
                signal,
                core_dumped,
            } => {
                self.log
                    .say(format!("-> exit-signal {}", signals::wire_name(signal)));
                let _ = self
                    .handle
                    .exit_signal_request(
                        self.id,
                        signals::to_russh(signal),
                        core_dumped,
                        String::new(),
                        String::new(),
                    )
                    .await;
            }
        }
    }

    pub async fn eof(&self) {
        self.log.say("-> EOF");
        let _ = self.writer.eof().await;
    }

    pub async fn close(&self) {
        self.log.say("-> CLOSE");
        let _ = self.writer.close().await;
    }
}

impl ChannelEnd for Output {
    type Status = Ending;

    async fn send_data(&self, block: Vec<u8>) {
        self.data(None, &block).await;
    }

    async fn send_status(&self, status: Ending) {
        self.ending(status).await
    }

    async fn send_eof(&self) {
        self.eof().await
    }

    async fn send_close(&self) {
        self.close().await
    }

    fn log(&self, event: PipeEvent) {
        self.log.say(event.to_string());
    }
}
