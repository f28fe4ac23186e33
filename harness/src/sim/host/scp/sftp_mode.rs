//! scp's default mode since OpenSSH 9.0: the copy goes over SFTP to the
//! server's sftp-server, as scp.c's sink_sftp() and source_sftp() do it
//! with sftp-client.c (the names below are theirs).
//!
//! The local scp starts `ssh -s HOST sftp` (do_sftp_connect) on the same
//! pipes as the legacy mode, sends INIT, and then:
//!
//! ```text
//! download: LSTAT (remote_glob), STAT, OPEN read, READ... until EOF, CLOSE
//! upload:   STAT the target (remote_is_dir), OPEN write|creat|trunc,
//!           WRITE... each acknowledged by STATUS, CLOSE
//! ```
//!
//! Requests are pipelined as sftp-client.c does: one at first, one more
//! after each full answer, up to `num_requests` (64) of `buflen` (32768)
//! bytes. Every byte of a download is asked for and answered, and an
//! upload's last byte is acknowledged before the CLOSE: the copy is whole
//! before scp closes its pipes to ssh, so a server that closes the
//! channel when sftp-server exits (at the end of its stdin) has nothing
//! left to drop. Errors are the local scp's own messages (error() through
//! log.c: `PROGNAME: TEXT\r\n`), so none of them can be lost on the way
//! either.
//!
//! main() then closes both pipes and waits for ssh whatever happened
//! (`mode == MODE_SFTP || errs == 0`) and exits 1 after any error. A
//! conversation cut short is fatal() ("Connection closed"): cleanup_exit()
//! closes the pipes, waits for ssh and exits 255.

use std::collections::VecDeque;

use super::super::redirect::{open_read, open_write};
use super::super::sftp::wire::{self, Attrs, Packet, open_flags, status};
use super::{
    Exit, FILE_FD, Flow, LOCAL_REMIN, LOCAL_REMOUT, Transport, basename, do_cmd, on_signal,
};
use crate::sim::unix::{FileKind, OpenFile, Proc, WaitStatus};
use crate::trace::ScpEvent;

/// sftp-client.c defaults (sftp(1) -B and -R): the size of one READ or
/// WRITE, and how many may be outstanding.
const BUFLEN: u32 = 32768;
const NUM_REQUESTS: usize = 64;

/// OpenSSH's fatal(): cleanup_exit(255).
const FATAL: i32 = 255;

/// What to copy, and which way.
pub(super) enum Transfer<'a> {
    Download { remote: &'a str, local: &'a str },
    Upload { local: &'a str, remote: &'a str },
}

/// main() in SFTP mode: connect, copy, close the pipes, wait for ssh.
pub(super) async fn copy(
    proc: Proc,
    destination: &str,
    transfer: Transfer<'_>,
    transport: Transport,
) -> i32 {
    let ssh_args = vec!["-s".into(), destination.to_string(), "sftp".into()];
    let ssh = do_cmd(&proc, ssh_args, transport);
    let mut client = Client::new(proc.clone());
    let work = async {
        let copied = async {
            client.init().await?;
            match transfer {
                Transfer::Download { remote, local } => client.download(remote, local).await,
                Transfer::Upload { local, remote } => client.upload(local, remote).await,
            }
        };
        let code = match copied.await {
            Ok(()) => i32::from(client.errs != 0),
            Err(Exit(code)) => code,
        };
        // main(), or cleanup_exit() after a fatal error: the pipes close
        // and ssh is waited for either way.
        client.proc.close_fd(LOCAL_REMIN);
        client.proc.close_fd(LOCAL_REMOUT);
        let ssh_ended = client.proc.wait(ssh).await;
        match (code, ssh_ended) {
            (0, Some(WaitStatus::Exited(0))) => 0,
            (0, _) => 1,
            (code, _) => code,
        }
    };
    tokio::select! {
        biased;
        () = proc.caught_signal() => on_signal(&proc, ssh).await,
        code = work => code,
    }
}

/// sftp-client.c's connection: its input buffer and request ids, and
/// scp's error count.
struct Client {
    proc: Proc,
    input: Vec<u8>,
    next_id: u32,
    errs: u32,
}

impl Client {
    fn new(proc: Proc) -> Client {
        Client {
            proc,
            input: Vec::new(),
            next_id: 0,
            errs: 0,
        }
    }

    fn log(&self, step: String) {
        self.proc
            .kernel
            .trace()
            .log(self.proc.label(), ScpEvent::Sftp { step });
    }

    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id - 1
    }

    /// log.c on stderr: `PROGNAME: TEXT\r\n`, PROGNAME being argv[0].
    async fn say(&self, text: &str) {
        let line = format!("scp: {text}\r\n");
        let _ = self.proc.write(2, line.as_bytes()).await;
    }

    /// error(): said, and counted.
    async fn error(&mut self, text: &str) {
        self.errs += 1;
        self.say(text).await;
    }

    /// fatal(): said; the copy ends with 255.
    async fn fatal(&self, text: &str) -> Exit {
        self.say(text).await;
        Exit(FATAL)
    }

    /// send_msg(): a write to ssh that fails raised SIGPIPE, which
    /// lostconn() answers (see `on_signal`); should the write come back,
    /// the end is the same.
    async fn send(&self, packet: &Packet) -> Flow<()> {
        match self.proc.write(LOCAL_REMOUT, &packet.encode()).await {
            Ok(()) => Ok(()),
            Err(_) => {
                let _ = self.proc.write(2, b"lost connection\n").await;
                Err(Exit(1))
            }
        }
    }

    /// get_msg(): the next whole packet. The end of ssh's output before
    /// one is atomicio()'s EPIPE: fatal "Connection closed".
    async fn receive(&mut self) -> Flow<Packet> {
        loop {
            match wire::take_packet(&mut self.input) {
                Ok(Some(body)) => {
                    return match Packet::decode(&body) {
                        Ok(packet) => Ok(packet),
                        Err(why) => Err(self.fatal(&why).await),
                    };
                }
                Ok(None) => {}
                Err(why) => return Err(self.fatal(&why).await),
            }
            match self.proc.read(LOCAL_REMIN, 64 * 1024).await {
                Ok(block) if !block.is_empty() => self.input.extend(block),
                _ => return Err(self.fatal("Connection closed").await),
            }
        }
    }

    /// do_init(): INIT, and the server's VERSION.
    async fn init(&mut self) -> Flow<()> {
        self.send(&Packet::Init {
            version: wire::VERSION,
        })
        .await?;
        match self.receive().await? {
            Packet::Version { version } => {
                self.log(format!("version {version}"));
                Ok(())
            }
            _ => Err(self.fatal("Invalid packet back from SSH2_FXP_INIT").await),
        }
    }

    /// A request that expects ATTRS back (do_stat, do_lstat); `Err` with
    /// the status code otherwise.
    async fn attributes(&mut self, request: Packet) -> Flow<Result<Attrs, u32>> {
        self.send(&request).await?;
        match self.receive().await? {
            Packet::Attrs { attrs, .. } => Ok(Ok(attrs)),
            Packet::Status { code, .. } => Ok(Err(code)),
            _ => Err(self.fatal("Expected SSH2_FXP_ATTRS").await),
        }
    }

    /// get_handle(): OPEN's answer, the handle; a refusal is an error
    /// said and counted, and `None`.
    async fn open(&mut self, path: &str, flags: u32) -> Flow<Option<Vec<u8>>> {
        let id = self.id();
        let how = if flags & open_flags::WRITE != 0 {
            "writing"
        } else {
            "reading"
        };
        self.log(format!("OPEN {path} for {how}"));
        let open = Packet::Open {
            id,
            path: path.to_string(),
            flags,
        };
        self.send(&open).await?;
        match self.receive().await? {
            Packet::Handle { handle, .. } => Ok(Some(handle)),
            Packet::Status { code, .. } => {
                self.error(&format!("open remote \"{path}\": {}", status::text(code)))
                    .await;
                Ok(None)
            }
            _ => Err(self.fatal("Expected SSH2_FXP_HANDLE").await),
        }
    }

    /// do_close(): CLOSE and its status.
    async fn close_handle(&mut self, path: &str, handle: Vec<u8>) -> Flow<()> {
        let id = self.id();
        self.log(format!("CLOSE {path}"));
        self.send(&Packet::Close { id, handle }).await?;
        match self.receive().await? {
            Packet::Status {
                code: status::OK, ..
            } => Ok(()),
            Packet::Status { code, .. } => {
                self.error(&format!("close remote \"{path}\": {}", status::text(code)))
                    .await;
                Ok(())
            }
            _ => Err(self.fatal("Expected SSH2_FXP_STATUS").await),
        }
    }

    /// sink_sftp(): the remote name matched (remote_glob's LSTAT), then
    /// do_download into `local` (into `local/NAME` when it is `.` or a
    /// directory).
    async fn download(&mut self, remote: &str, local: &str) -> Flow<()> {
        let id = self.id();
        let lstat = Packet::Lstat {
            id,
            path: remote.to_string(),
        };
        if self.attributes(lstat).await?.is_err() {
            // sink_sftp(): a glob that matched nothing.
            self.error(&format!("{remote}: No such file or directory"))
                .await;
            return Ok(());
        }
        let local_is_dir =
            local == "." || self.proc.kernel.stat(local) == Some(FileKind::Directory);
        let path = if local_is_dir {
            format!("{local}/{}", basename(remote))
        } else {
            local.to_string()
        };
        self.do_download(remote, &path).await
    }

    /// do_download(): STAT, OPEN, the pipelined READs, CLOSE.
    async fn do_download(&mut self, remote: &str, local: &str) -> Flow<()> {
        let id = self.id();
        let stat = Packet::Stat {
            id,
            path: remote.to_string(),
        };
        let attrs = match self.attributes(stat).await? {
            Ok(attrs) => attrs,
            Err(code) => {
                self.error(&format!("stat remote: {}", status::text(code)))
                    .await;
                return Ok(());
            }
        };
        if attrs.is_dir() {
            self.error(&format!("download {remote}: not a regular file"))
                .await;
            return Ok(());
        }
        let size = attrs.size.unwrap_or(0);
        let Some(handle) = self.open(remote, open_flags::READ).await? else {
            return Ok(());
        };
        self.proc
            .set_fd(FILE_FD, open_write(&self.proc.kernel, local, true));
        let written = self.read_all(remote, &handle, size).await?;
        self.proc.close_fd(FILE_FD);
        self.proc.kernel.trace().log(
            self.proc.label(),
            ScpEvent::Wrote {
                path: local.to_string(),
                bytes: written,
                cut: None,
            },
        );
        self.close_handle(remote, handle).await
    }

    /// do_download()'s loop: READs kept in flight until EOF; returns the
    /// bytes written to the local file.
    async fn read_all(&mut self, remote: &str, handle: &[u8], size: u64) -> Flow<u64> {
        // (id, offset, len) of each READ sent and not yet answered.
        let mut in_flight: VecDeque<(u32, u64, u32)> = VecDeque::new();
        let mut max_req = 1;
        let mut offset = 0u64;
        let mut written = 0u64;
        while !in_flight.is_empty() || max_req > 0 {
            while in_flight.len() < max_req {
                let id = self.id();
                let read = Packet::Read {
                    id,
                    handle: handle.to_vec(),
                    offset,
                    len: BUFLEN,
                };
                self.send(&read).await?;
                in_flight.push_back((id, offset, BUFLEN));
                offset += u64::from(BUFLEN);
            }
            let reply = self.receive().await?;
            let answered = match &reply {
                Packet::Data { id, .. } | Packet::Status { id, .. } => *id,
                _ => return Err(self.fatal("Expected SSH2_FXP_DATA").await),
            };
            let Some(at) = in_flight.iter().position(|(id, ..)| *id == answered) else {
                return Err(self.fatal(&format!("Unexpected reply {answered}")).await);
            };
            let (_, req_offset, req_len) = in_flight.remove(at).expect("found");
            match reply {
                Packet::Data { data, .. } => {
                    if data.len() > req_len as usize {
                        return Err(self.fatal("Received more data than asked for").await);
                    }
                    if req_offset == written && self.proc.write(FILE_FD, &data).await.is_ok() {
                        written += data.len() as u64;
                    }
                    let got = data.len() as u32;
                    if got < req_len {
                        // "Short data block, re-requesting".
                        let id = self.id();
                        let rest = Packet::Read {
                            id,
                            handle: handle.to_vec(),
                            offset: req_offset + u64::from(got),
                            len: req_len - got,
                        };
                        self.send(&rest).await?;
                        in_flight.push_back((id, req_offset + u64::from(got), req_len - got));
                    }
                    if max_req > 0 {
                        // One request at a time past the expected end.
                        max_req = if size > 0 && offset > size {
                            1
                        } else {
                            (max_req + 1).min(NUM_REQUESTS)
                        };
                    }
                }
                Packet::Status {
                    code: status::EOF, ..
                } => max_req = 0,
                Packet::Status { code, .. } => {
                    self.error(&format!(
                        "read remote \"{remote}\" : {}",
                        status::text(code)
                    ))
                    .await;
                    max_req = 0;
                }
                _ => unreachable!("matched above"),
            }
        }
        Ok(written)
    }

    /// toremote() in SFTP mode: the target is a directory (remote_is_dir)
    /// or the file's new name; then source_sftp()'s do_upload.
    async fn upload(&mut self, local: &str, remote: &str) -> Flow<()> {
        let id = self.id();
        let stat = Packet::Stat {
            id,
            path: remote.to_string(),
        };
        let remote_is_dir = matches!(self.attributes(stat).await?, Ok(attrs) if attrs.is_dir());
        let file = match open_read(&self.proc.kernel, local) {
            Ok(file) => file,
            // source_sftp(): run_err("%s: %s", src, strerror(errno)),
            // which in SFTP mode only prints.
            Err(message) => {
                self.errs += 1;
                let _ = self.proc.write(2, format!("{message}\n").as_bytes()).await;
                return Ok(());
            }
        };
        if !matches!(&*file, OpenFile::Virtual { .. }) {
            self.errs += 1;
            let text = format!("{local}: not a regular file\n");
            let _ = self.proc.write(2, text.as_bytes()).await;
            return Ok(());
        }
        let path = if remote_is_dir {
            format!("{remote}/{}", basename(local))
        } else {
            remote.to_string()
        };
        let flags = open_flags::WRITE | open_flags::CREAT | open_flags::TRUNC;
        let Some(handle) = self.open(&path, flags).await? else {
            return Ok(());
        };
        self.proc.set_fd(FILE_FD, file);
        let sent = self.write_all(&path, &handle).await;
        self.proc.close_fd(FILE_FD);
        let sent = sent?;
        self.log(format!("{path}: {sent} bytes written and acknowledged"));
        self.close_handle(&path, handle).await
    }

    /// do_upload()'s loop: WRITEs kept in flight, each answered by a
    /// STATUS, until the local file ends and every one is answered.
    async fn write_all(&mut self, path: &str, handle: &[u8]) -> Flow<u64> {
        let mut in_flight: VecDeque<u32> = VecDeque::new();
        let mut max_req = 1;
        let mut offset = 0u64;
        let mut at_end = false;
        let mut failed = false;
        loop {
            if !at_end && !failed {
                let data = self
                    .proc
                    .read(FILE_FD, BUFLEN as usize)
                    .await
                    .unwrap_or_default();
                if data.is_empty() {
                    at_end = true;
                } else {
                    let id = self.id();
                    let len = data.len() as u64;
                    let write = Packet::Write {
                        id,
                        handle: handle.to_vec(),
                        offset,
                        data,
                    };
                    self.send(&write).await?;
                    in_flight.push_back(id);
                    offset += len;
                    self.proc.kernel.pace().await;
                }
            }
            // Wait for answers while the window is full, and for all of
            // them at the end.
            while in_flight.len() >= max_req || ((at_end || failed) && !in_flight.is_empty()) {
                let Packet::Status { id, code, .. } = self.receive().await? else {
                    return Err(self.fatal("Expected SSH2_FXP_STATUS").await);
                };
                let Some(at) = in_flight.iter().position(|sent| *sent == id) else {
                    return Err(self.fatal(&format!("Can't find request for ID {id}")).await);
                };
                in_flight.remove(at);
                if code != status::OK && !failed {
                    failed = true;
                    self.error(&format!("write remote \"{path}\": {}", status::text(code)))
                        .await;
                }
                max_req = (max_req + 1).min(NUM_REQUESTS);
            }
            if (at_end || failed) && in_flight.is_empty() {
                return Ok(offset);
            }
        }
    }
}
