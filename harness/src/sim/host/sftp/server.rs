//! sftp-server(8): the program sshd runs for the `sftp` subsystem. It
//! reads requests on its stdin and answers each, in order, on its stdout
//! (sftp-server.c process()); names below are its functions.
//!
//! - The first packet must be INIT; it answers VERSION 3 (process_init).
//! - OPEN, READ, WRITE, CLOSE, STAT, LSTAT and FSTAT are served on the
//!   host's files; any other request gets SSH_FX_OP_UNSUPPORTED.
//! - At the end of its stdin it exits 0 (sftp_server_main: "read eof");
//!   a packet it cannot read ends it with status 1 (sftp_server_cleanup_exit
//!   after fatal "bad message").
//!
//! A handle is the index of the open file (handle_to_string: 4 bytes),
//! and the file is a descriptor of the process from 3 up.

use std::collections::BTreeMap;

use super::wire::{self, Attrs, Packet, open_flags, status};
use crate::sim::host::redirect::{open_read, open_write};
use crate::sim::unix::{FileKind, OpenFile, Proc};

/// sftp-server.c's read buffer for its stdin.
const INPUT_BLOCK: usize = 64 * 1024;

/// sftp-server.c process_read(): a READ for more is cut to this.
const MAX_READ: u32 = 256 * 1024 - 1024;

/// The first descriptor a handle's file gets (0-2 are the channel).
const FIRST_FILE_FD: u32 = 3;

/// An open file: its descriptor, and where the next write must land
/// (the model's files grow at their end only).
struct Handle {
    fd: u32,
    path: String,
    end: u64,
}

pub async fn sftp_server(proc: Proc) -> i32 {
    let mut server = Server {
        proc,
        handles: BTreeMap::new(),
        next_handle: 0,
        initialized: false,
    };
    server.serve().await
}

struct Server {
    proc: Proc,
    handles: BTreeMap<u32, Handle>,
    next_handle: u32,
    initialized: bool,
}

impl Server {
    async fn serve(&mut self) -> i32 {
        let mut input = Vec::new();
        loop {
            match wire::take_packet(&mut input) {
                Ok(Some(body)) => {
                    if let Err(code) = self.process(&body).await {
                        return code;
                    }
                    continue;
                }
                Ok(None) => {}
                Err(why) => return self.fatal(&why).await,
            }
            match self.proc.read(0, INPUT_BLOCK).await {
                Ok(block) if !block.is_empty() => input.extend(block),
                // "read eof": the client is done.
                _ => return 0,
            }
        }
    }

    /// sftp_server_cleanup_exit(1) after a fatal error, said on stderr
    /// (which sshd carries to the client as extended data).
    async fn fatal(&self, why: &str) -> i32 {
        let _ = self
            .proc
            .write(2, format!("sftp-server: {why}\n").as_bytes())
            .await;
        1
    }

    /// One request and its answer; `Err(status)` ends the server.
    async fn process(&mut self, body: &[u8]) -> Result<(), i32> {
        let packet = match Packet::decode(body) {
            Ok(packet) => packet,
            Err(why) => return Err(self.fatal(&format!("bad message: {why}")).await),
        };
        let reply = match packet {
            Packet::Init { .. } if !self.initialized => {
                self.initialized = true;
                Packet::Version {
                    version: wire::VERSION,
                }
            }
            _ if !self.initialized => {
                return Err(self.fatal("received a request before init").await);
            }
            Packet::Open { id, path, flags } => self.open(id, path, flags),
            Packet::Read {
                id,
                handle,
                offset,
                len,
            } => self.read(id, &handle, offset, len).await,
            Packet::Write {
                id,
                handle,
                offset,
                data,
            } => self.write(id, &handle, offset, &data).await,
            Packet::Close { id, handle } => self.close(id, &handle),
            Packet::Stat { id, path } | Packet::Lstat { id, path } => self.stat(id, &path),
            Packet::Fstat { id, handle } => match self.handle(&handle) {
                Some(open) => self.stat(id, &open.path.clone()),
                None => reply(id, status::FAILURE),
            },
            Packet::Unsupported { id, .. } => reply(id, status::OP_UNSUPPORTED),
            // A reply type sent as a request, or a second INIT.
            _ => return Err(self.fatal("unexpected packet").await),
        };
        if self.proc.write(1, &reply.encode()).await.is_err() {
            return Err(1);
        }
        Ok(())
    }

    fn handle(&self, handle: &[u8]) -> Option<&Handle> {
        self.handles.get(&index_of(handle)?)
    }

    /// process_open(): open(2) with the flags translated (flags_from_portable).
    fn open(&mut self, id: u32, path: String, flags: u32) -> Packet {
        let kernel = &self.proc.kernel;
        let exists = kernel.stat(&path);
        let file = if flags & open_flags::WRITE == 0 {
            match open_read(kernel, &path) {
                Ok(file) => file,
                Err(_) if exists.is_some() => return reply(id, status::FAILURE),
                Err(_) => return reply(id, status::NO_SUCH_FILE),
            }
        } else {
            match exists {
                None if flags & open_flags::CREAT == 0 => return reply(id, status::NO_SUCH_FILE),
                Some(_) if flags & open_flags::EXCL != 0 => return reply(id, status::FAILURE),
                Some(FileKind::Directory) => return reply(id, status::FAILURE),
                _ => open_write(kernel, &path, flags & open_flags::TRUNC != 0),
            }
        };
        let end = match (exists, flags & open_flags::TRUNC != 0) {
            (Some(FileKind::Regular(size)), false) => size,
            _ => 0,
        };
        let index = self.next_handle;
        self.next_handle += 1;
        let fd = self.free_fd();
        self.proc.set_fd(fd, file);
        self.handles.insert(index, Handle { fd, path, end });
        Packet::Handle {
            id,
            handle: index.to_be_bytes().to_vec(),
        }
    }

    /// open(2)'s lowest free descriptor from FIRST_FILE_FD.
    fn free_fd(&self) -> u32 {
        let fds = self.proc.fds();
        (FIRST_FILE_FD..)
            .find(|fd| fds.get(*fd).is_none())
            .expect("a free descriptor")
    }

    /// process_read(): lseek(2) to the offset and one read(2); DATA, or
    /// EOF when nothing is left.
    async fn read(&mut self, id: u32, handle: &[u8], offset: u64, len: u32) -> Packet {
        let Some(fd) = self.handle(handle).map(|h| h.fd) else {
            return reply(id, status::FAILURE);
        };
        match self.proc.fd(fd).as_deref() {
            Some(OpenFile::Virtual { offset: at, .. }) => *at.lock().unwrap() = offset,
            _ => return reply(id, status::FAILURE),
        }
        let data = self
            .proc
            .read(fd, len.min(MAX_READ) as usize)
            .await
            .unwrap_or_default();
        self.proc.kernel.pace().await;
        if data.is_empty() {
            return reply(id, status::EOF);
        }
        Packet::Data { id, data }
    }

    /// process_write(): lseek(2) and write(2). The model's files grow at
    /// their end only, so a write elsewhere fails (sftp-client writes in
    /// order, so it never asks for one).
    async fn write(&mut self, id: u32, handle: &[u8], offset: u64, data: &[u8]) -> Packet {
        let Some(open) = index_of(handle).and_then(|i| self.handles.get_mut(&i)) else {
            return reply(id, status::FAILURE);
        };
        if offset != open.end {
            return reply(id, status::FAILURE);
        }
        let fd = open.fd;
        open.end += data.len() as u64;
        match self.proc.write(fd, data).await {
            Ok(()) => reply(id, status::OK),
            Err(_) => reply(id, status::FAILURE),
        }
    }

    /// process_close(): close(2) and forget the handle.
    fn close(&mut self, id: u32, handle: &[u8]) -> Packet {
        let Some(open) = index_of(handle).and_then(|i| self.handles.remove(&i)) else {
            return reply(id, status::FAILURE);
        };
        self.proc.close_fd(open.fd);
        reply(id, status::OK)
    }

    /// process_stat() and process_lstat() (the model has no links).
    fn stat(&self, id: u32, path: &str) -> Packet {
        let attrs = match self.proc.kernel.stat(path) {
            Some(FileKind::Regular(size)) => Attrs {
                size: Some(size),
                permissions: Some(wire::REGULAR_MODE),
            },
            Some(FileKind::Directory) => Attrs {
                size: Some(4096),
                permissions: Some(wire::DIRECTORY_MODE),
            },
            None if path == "." => Attrs {
                size: Some(4096),
                permissions: Some(wire::DIRECTORY_MODE),
            },
            None => return reply(id, status::NO_SUCH_FILE),
        };
        Packet::Attrs { id, attrs }
    }
}

/// The open file a handle names (handle_from_string: its 4 bytes).
fn index_of(handle: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(handle.try_into().ok()?))
}

/// send_status(): the code and its text.
fn reply(id: u32, code: u32) -> Packet {
    Packet::Status {
        id,
        code,
        message: status::text(code).to_string(),
    }
}

/// Whether `program` (argv[0], a path as sshd's Subsystem line gives
/// it) is sftp-server.
pub fn is_sftp_server(program: &str) -> bool {
    program.rsplit('/').next() == Some("sftp-server")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::sim::unix::{FdTable, INIT_PID, Kernel, PipeEnd, Program, WaitStatus, block_on};
    use crate::trace::Trace;

    /// A running sftp-server and the test's ends of its stdin and stdout.
    struct Client {
        kernel: Kernel,
        pid: crate::sim::unix::Pid,
        to_server: Option<PipeEnd>,
        from_server: PipeEnd,
        /// Kept open, so that a message on stderr is not a SIGPIPE.
        _stderr: PipeEnd,
        input: Vec<u8>,
    }

    impl Client {
        fn start(files: &[(&str, u64)]) -> Client {
            let files: BTreeMap<String, u64> =
                files.iter().map(|(n, s)| (n.to_string(), *s)).collect();
            let kernel = Kernel::new("server", Trace::default(), files);
            let (in_r, in_w) = kernel.pipe();
            let (out_r, out_w) = kernel.pipe();
            let (err_r, err_w) = kernel.pipe();
            let mut fds = FdTable::default();
            fds.set(0, OpenFile::pipe(in_r));
            fds.set(1, OpenFile::pipe(out_w));
            fds.set(2, OpenFile::pipe(err_w));
            // A parent that never waits: the exit status stays to be read.
            let parent = kernel.spawn(INIT_PID, "sshd", FdTable::default(), |_| -> Program {
                Box::pin(std::future::pending())
            });
            let pid = kernel.spawn(parent, "sftp-server", fds, |proc: Proc| -> Program {
                Box::pin(sftp_server(proc))
            });
            Client {
                kernel,
                pid,
                to_server: Some(in_w),
                from_server: out_r,
                _stderr: err_r,
                input: Vec::new(),
            }
        }

        async fn ask(&mut self, packet: Packet) -> Packet {
            let to = self.to_server.as_ref().expect("stdin open");
            to.pipe.write(&packet.encode()).await.unwrap();
            loop {
                if let Some(body) = wire::take_packet(&mut self.input).unwrap() {
                    return Packet::decode(&body).unwrap();
                }
                let block = self.from_server.pipe.read(65536).await;
                assert!(!block.is_empty(), "sftp-server ended");
                self.input.extend(block);
            }
        }

        async fn end(mut self) -> Option<WaitStatus> {
            self.to_server = None;
            self.kernel.exited(self.pid).await
        }
    }

    fn status_of(packet: Packet) -> u32 {
        match packet {
            Packet::Status { code, .. } => code,
            other => panic!("not a STATUS: {other:?}"),
        }
    }

    #[test]
    fn it_serves_a_read_to_eof_and_exits_0_at_the_end_of_its_stdin() {
        block_on(async {
            let mut client = Client::start(&[("big", 40_000)]);
            let version = client.ask(Packet::Init { version: 3 }).await;
            assert_eq!(version, Packet::Version { version: 3 });
            let Packet::Attrs { attrs, .. } = client
                .ask(Packet::Stat {
                    id: 1,
                    path: "big".into(),
                })
                .await
            else {
                panic!("no ATTRS");
            };
            assert_eq!(attrs.size, Some(40_000));
            let open = Packet::Open {
                id: 2,
                path: "big".into(),
                flags: open_flags::READ,
            };
            let Packet::Handle { handle, .. } = client.ask(open).await else {
                panic!("no HANDLE");
            };
            let mut got = 0;
            for (id, offset) in [(3, 0), (4, 32768)] {
                let read = Packet::Read {
                    id,
                    handle: handle.clone(),
                    offset,
                    len: 32768,
                };
                let Packet::Data { data, .. } = client.ask(read).await else {
                    panic!("no DATA");
                };
                got += data.len();
            }
            assert_eq!(got, 40_000);
            let past_end = Packet::Read {
                id: 5,
                handle: handle.clone(),
                offset: 40_000,
                len: 32768,
            };
            assert_eq!(status_of(client.ask(past_end).await), status::EOF);
            let close = Packet::Close { id: 6, handle };
            assert_eq!(status_of(client.ask(close).await), status::OK);
            assert_eq!(client.end().await, Some(WaitStatus::Exited(0)));
        });
    }

    #[test]
    fn writes_land_in_order_and_a_write_elsewhere_fails() {
        block_on(async {
            let mut client = Client::start(&[]);
            client.ask(Packet::Init { version: 3 }).await;
            let missing = Packet::Open {
                id: 1,
                path: "copy".into(),
                flags: open_flags::WRITE,
            };
            assert_eq!(status_of(client.ask(missing).await), status::NO_SUCH_FILE);
            let open = Packet::Open {
                id: 2,
                path: "copy".into(),
                flags: open_flags::WRITE | open_flags::CREAT | open_flags::TRUNC,
            };
            let Packet::Handle { handle, .. } = client.ask(open).await else {
                panic!("no HANDLE");
            };
            let write = |id, offset| Packet::Write {
                id,
                handle: handle.clone(),
                offset,
                data: vec![1; 10],
            };
            assert_eq!(status_of(client.ask(write(3, 0)).await), status::OK);
            assert_eq!(status_of(client.ask(write(4, 5)).await), status::FAILURE);
            assert_eq!(status_of(client.ask(write(5, 10)).await), status::OK);
            assert_eq!(client.kernel.written("copy"), 20);
            let unknown = Packet::Unsupported { kind: 16, id: 6 };
            assert_eq!(status_of(client.ask(unknown).await), status::OP_UNSUPPORTED);
            let lstat = Packet::Lstat {
                id: 7,
                path: "nothing".into(),
            };
            assert_eq!(status_of(client.ask(lstat).await), status::NO_SUCH_FILE);
        });
    }

    #[test]
    fn a_request_before_init_or_a_bad_packet_ends_it_with_status_1() {
        block_on(async {
            let client = Client::start(&[]);
            let stat = Packet::Stat {
                id: 1,
                path: ".".into(),
            };
            let to = client.to_server.as_ref().unwrap();
            to.pipe.write(&stat.encode()).await.unwrap();
            assert_eq!(client.end().await, Some(WaitStatus::Exited(1)));

            let client = Client::start(&[]);
            let to = client.to_server.as_ref().unwrap();
            to.pipe.write(&[0xff; 8]).await.unwrap();
            assert_eq!(client.end().await, Some(WaitStatus::Exited(1)));
        });
    }
}
