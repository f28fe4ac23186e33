//! scp(1) in its legacy mode, `scp -O`: the rcp protocol as OpenSSH's
//! scp.c speaks it. Names in the comments are scp.c's functions.
//!
//! The local scp (`main`, `tolocal`, `toremote`) starts `ssh HOST 'scp -f
//! FILE'` (download) or `ssh HOST 'scp -t TARGET'` (upload) as a child whose
//! stdin and stdout are pipes to it (`do_cmd`), and speaks the protocol over
//! them with the remote scp, which reads its stdin and writes its stdout.
//! For one file:
//!
//! ```text
//! sink   -> source  \0                       ready (start of sink())
//! source -> sink    C0644 <size> <name>\n    (source(), after response())
//! sink   -> source  \0                       target opened (sink())
//! source -> sink    <size> bytes, then \0    (source(), COPY_BUFLEN blocks)
//! sink   -> source  \0                       file complete (sink(), after response())
//! ```
//!
//! The source leaves `source()` only after that last acknowledgement
//! (`response()`), so by the time it exits the sink has the whole file. An
//! error travels as `\x01scp: <text>\n` (`run_err`); `\x02` is fatal.
//!
//! Exit statuses as scp.c: 1 when anything went wrong (`exit(errs != 0)`),
//! including a failed ssh (the local scp waits for it only when no error
//! came first). Signals as scp.c sets them up: the local scp catches
//! SIGPIPE (`lostconn`: "lost connection", exit 1) and, once ssh runs,
//! SIGTERM, SIGINT and SIGHUP (`killchild`: the same signal to ssh, wait
//! for it, exit 1); the remote scp keeps the defaults.
//!
//! Without `-O`, scp speaks SFTP to the server's sftp-server instead
//! (OpenSSH 9's default): see [`sftp_mode`].
//!
//! Modelled: one source operand; files are the host's declared virtual
//! files (mode 0644) read and its output files written; the only directory
//! is `.`, the current one. Left out, and refused with a message: `-r` (D
//! and E records), several sources, local and remote-to-remote copies, and
//! options other than `-O -p -q` (`-p` is accepted but sends no times:
//! files have none here; the sink still acknowledges a T record), brace
//! and glob patterns in the source name.

use std::sync::Arc;

use super::env::HostEnv;
use super::redirect::{open_read, open_write};
use super::utils::run_utility;
use crate::sim::unix::{Disposition, OpenFile, Pid, Proc, Program, Signal, WaitStatus};
use crate::trace::ScpEvent;
use sftp_mode::Transfer;

mod sftp_mode;

/// scp.c COPY_BUFLEN. The buffer of source() and sink() is allocbuf()'s
/// st_blksize rounded up to it: 16 KiB for the 4 KiB blocks of common file
/// systems.
const COPY_BUFLEN: usize = 16 * 1024;

/// Mode of every virtual file (there are no permissions in the model).
const FILE_MODE: u32 = 0o644;

/// The size of sink()'s record buffer and of response()'s message buffer.
const LINE_MAX: usize = 2048;

/// Descriptors of the local scp, as pipe(2) and open(2) number them in
/// scp.c: do_cmd() makes pipes 3/4 and 5/6 and keeps 4 (to ssh's stdin)
/// and 5 (from ssh's stdout); the file then opens as 3.
const FILE_FD: u32 = 3;
const LOCAL_REMOUT: u32 = 4;
const LOCAL_REMIN: u32 = 5;

/// The trap text naming scp.c's handlers in the signal dispositions.
const LOSTCONN: &str = "lostconn";
const KILLCHILD: &str = "killchild";

/// How the local scp starts `ssh HOST COMMAND` (the unit tests give it a
/// stand-in that runs the remote scp on the same host).
type Transport = Box<dyn FnOnce(Proc, Vec<String>) -> Program + Send>;

/// scp.c's exit(3) from inside the protocol, with this status.
struct Exit(i32);

type Flow<T> = Result<T, Exit>;

/// `scp` as the hosts run it: the local side reaches the remote one with
/// the simulated ssh.
pub async fn scp(proc: Proc, env: Arc<HostEnv>, argv: Vec<String>) -> i32 {
    let transport: Transport = Box::new(move |child, argv| run_utility(child, env, argv));
    scp_main(proc, argv, transport).await
}

/// The options of one scp command line.
#[derive(Debug, Default, PartialEq)]
struct Options {
    /// `-O`: the legacy SCP protocol instead of SFTP.
    legacy: bool,
    /// `-f` ("from"): the remote source.
    from: bool,
    /// `-t` ("to"): the remote sink.
    to: bool,
    /// `-d`: the target must be a directory (scp passes it with several
    /// sources).
    target_is_dir: bool,
    operands: Vec<String>,
}

/// main()'s getopt(3) loop, for the options modelled; options end at the
/// first operand or at `--`, as with OpenBSD's getopt, which scp uses.
fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') && args[i].len() > 1 {
        if args[i] == "--" {
            i += 1;
            break;
        }
        for letter in args[i][1..].chars() {
            match letter {
                'O' => options.legacy = true,
                // -q: no progress meter (there is none without a terminal
                // anyway); -p: times and modes, which files here lack.
                'q' | 'p' => {}
                'f' => options.from = true,
                't' => options.to = true,
                'd' => options.target_is_dir = true,
                // -s: SFTP, the default already.
                's' => options.legacy = false,
                other => {
                    return Err(format!(
                        "scp: option -{other} is not modelled; known: -O -p -q (and -f, -t, -d, which scp passes to the remote scp)"
                    ));
                }
            }
        }
        i += 1;
    }
    options.operands = args[i..].to_vec();
    Ok(options)
}

async fn scp_main(proc: Proc, argv: Vec<String>, transport: Transport) -> i32 {
    let options = match parse_options(&argv[1..]) {
        Ok(options) => options,
        Err(message) => return complain(&proc, &message).await,
    };
    if options.from || options.to {
        // main(): the remote scp talks over its stdin and stdout.
        let mut conn = Conn::new(proc, 0, 1, true);
        let ended = if options.from {
            remote_source(&mut conn, &options.operands).await
        } else {
            conn.sink(&options.operands, None, options.target_is_dir)
                .await
        };
        return match ended {
            Ok(()) => i32::from(conn.errs != 0),
            Err(Exit(code)) => code,
        };
    }
    match options.operands.as_slice() {
        [source, target] => {
            let (source, target) = (source.clone(), target.clone());
            local(proc, &source, &target, options.legacy, transport).await
        }
        [_, _, _, ..] => {
            complain(
                &proc,
                "scp: several sources are not modelled: copy one file per scp",
            )
            .await
        }
        _ => complain(&proc, "usage: scp [-Opqs] source target").await,
    }
}

/// main() for -f: wait for the sink to be ready, then send.
async fn remote_source(conn: &mut Conn, names: &[String]) -> Flow<()> {
    conn.response().await?;
    conn.source(names).await
}

async fn complain(proc: &Proc, text: &str) -> i32 {
    let _ = proc.write(2, format!("{text}\n").as_bytes()).await;
    1
}

/// `[user@]host:path` (colon() and parse_user_host_path() of misc.c).
#[derive(Clone, Debug, PartialEq)]
struct RemotePath {
    /// `user@host` or `host`, as ssh gets it.
    destination: String,
    path: String,
}

/// A remote operand has a colon before any slash; a leading colon belongs
/// to a file name. An empty path is `.`.
fn remote_path(operand: &str) -> Option<RemotePath> {
    if operand.starts_with(':') {
        return None;
    }
    let colon = operand.find(':')?;
    if operand[..colon].contains('/') {
        return None;
    }
    let path = &operand[colon + 1..];
    Some(RemotePath {
        destination: operand[..colon].to_string(),
        path: if path.is_empty() { "." } else { path }.to_string(),
    })
}

/// The last component of a path, as source() names the file it sends.
fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The remote command of tolocal() and toremote(): `scp -f FILE`,
/// `scp -t TARGET`, with `--` before a name that looks like an option.
fn remote_command(flag: &str, path: &str) -> String {
    let dashes = if path.starts_with('-') { "-- " } else { "" };
    format!("scp {flag} {dashes}{path}")
}

/// main() of the local scp: toremote() or tolocal(), then wait for ssh.
async fn local(proc: Proc, source: &str, target: &str, legacy: bool, transport: Transport) -> i32 {
    let (from, to) = (remote_path(source), remote_path(target));
    let (remote, command) = match (&from, &to) {
        (Some(_), Some(_)) => {
            return complain(
                &proc,
                "scp: copies between two remote hosts are not modelled",
            )
            .await;
        }
        (None, None) => {
            return complain(
                &proc,
                "scp: a copy between two local files runs cp(1), which is not modelled",
            )
            .await;
        }
        (Some(from), None) => (from, remote_command("-f", &from.path)),
        (None, Some(to)) => (to, remote_command("-t", &to.path)),
    };
    if !legacy {
        let transfer = match &from {
            Some(from) => Transfer::Download {
                remote: &from.path,
                local: target,
            },
            None => Transfer::Upload {
                local: source,
                remote: &remote.path,
            },
        };
        return sftp_mode::copy(proc, &remote.destination, transfer, transport).await;
    }
    let ssh = do_cmd(&proc, vec![remote.destination.clone(), command], transport);
    let mut conn = Conn::new(proc.clone(), LOCAL_REMIN, LOCAL_REMOUT, false);
    let work = async {
        let ended = match &from {
            Some(from) => tolocal(&mut conn, &from.path, target, ssh).await,
            None => toremote(&mut conn, source, ssh).await,
        };
        match ended {
            Ok(()) => i32::from(conn.errs != 0),
            Err(Exit(code)) => code,
        }
    };
    tokio::select! {
        biased;
        () = proc.caught_signal() => on_signal(&proc, ssh).await,
        code = work => code,
    }
}

/// do_cmd(): two pipes, and a child running `ssh ARGS` (`HOST COMMAND`,
/// or `-s HOST sftp`) with the read end of one as stdin and the write end
/// of the other as stdout (stderr inherited). The parent keeps the other
/// ends.
fn do_cmd(proc: &Proc, ssh_args: Vec<String>, transport: Transport) -> Pid {
    // main() catches SIGPIPE before it forks; exec resets it in the child.
    proc.kernel
        .set_disposition(proc.pid, Signal::Pipe, Disposition::Trap(LOSTCONN.into()));
    let (to_ssh_r, to_ssh_w) = proc.kernel.pipe();
    let (from_ssh_r, from_ssh_w) = proc.kernel.pipe();
    let mut child = proc.fds();
    child.set(0, OpenFile::pipe(to_ssh_r));
    child.set(1, OpenFile::pipe(from_ssh_w));
    let argv = std::iter::once("ssh".to_string()).chain(ssh_args).collect();
    let ssh = proc.spawn("ssh", child, move |child: Proc| transport(child, argv));
    let mut fds = proc.fds();
    fds.set(LOCAL_REMOUT, OpenFile::pipe(to_ssh_w));
    fds.set(LOCAL_REMIN, OpenFile::pipe(from_ssh_r));
    proc.kernel.set_fds(proc.pid, fds);
    for sig in [Signal::Term, Signal::Int, Signal::Hup] {
        proc.kernel
            .set_disposition(proc.pid, sig, Disposition::Trap(KILLCHILD.into()));
    }
    ssh
}

/// The local scp's handlers: lostconn() for SIGPIPE, killchild() for the
/// others. Both end the program with status 1.
async fn on_signal(proc: &Proc, ssh: Pid) -> i32 {
    match proc.kernel.take_caught(proc.pid) {
        Some((Signal::Pipe, _)) | None => {
            let _ = proc.write(2, b"lost connection\n").await;
        }
        Some((sig, _)) => {
            proc.kernel.signal(ssh, sig, &proc.label());
            proc.wait(ssh).await;
        }
    }
    1
}

/// tolocal(), then main()'s wait for ssh.
async fn tolocal(conn: &mut Conn, source: &str, target: &str, ssh: Pid) -> Flow<()> {
    conn.sink(&[target.to_string()], Some(source), false)
        .await?;
    // tolocal() closes remin only; remout stays open until the exit.
    conn.close(LOCAL_REMIN);
    if conn.errs == 0 {
        conn.wait_ssh(ssh).await;
    }
    Ok(())
}

/// toremote(), then main()'s wait for ssh.
async fn toremote(conn: &mut Conn, source: &str, ssh: Pid) -> Flow<()> {
    // The remote sink's first \0; anything else ends scp.
    if !conn.response().await? {
        return Err(Exit(1));
    }
    conn.source(&[source.to_string()]).await?;
    if conn.errs == 0 {
        conn.close(LOCAL_REMIN);
        conn.close(LOCAL_REMOUT);
        conn.wait_ssh(ssh).await;
    }
    Ok(())
}

/// A `C` record: what source() announces before a file's bytes.
#[derive(Debug, PartialEq)]
struct FileRecord {
    mode: u32,
    size: u64,
    name: String,
}

/// source()'s `C%04o %lld %s\n`.
fn c_record(mode: u32, size: u64, name: &str) -> String {
    format!("C{:04o} {size} {name}\n", mode & 0o7777)
}

/// sink()'s reading of a C (or D) record without its newline; the errors
/// are its SCREWUP() texts.
fn parse_c_record(line: &[u8]) -> Result<FileRecord, &'static str> {
    let mut mode = 0;
    for i in 1..5 {
        match line.get(i) {
            Some(digit @ b'0'..=b'7') => mode = (mode << 3) | u32::from(digit - b'0'),
            _ => return Err("bad mode"),
        }
    }
    if line.get(5) != Some(&b' ') {
        return Err("mode not delimited");
    }
    let rest = &line[6..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return Err("size not present");
    }
    if rest.get(digits) != Some(&b' ') {
        return Err("size not delimited");
    }
    // strtoull() saturates; a size beyond off_t is out of range.
    let size = std::str::from_utf8(&rest[..digits])
        .ok()
        .and_then(|d| d.parse::<u64>().ok())
        .filter(|s| i64::try_from(*s).is_ok())
        .ok_or("size out of range")?;
    Ok(FileRecord {
        mode,
        size,
        name: String::from_utf8_lossy(&rest[digits + 1..]).into_owned(),
    })
}

/// sink()'s reading of a `T<mtime> <usec> <atime> <usec>` record (without
/// its newline): only its form is checked, the times are not kept.
fn check_t_record(line: &[u8]) -> Result<(), &'static str> {
    let mut at = 1;
    let number = |at: &mut usize| {
        let n = line[*at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        *at += n;
        n > 0
    };
    let fields: [(&str, &str, Option<u8>); 4] = [
        (
            "mtime.sec not present",
            "mtime.sec not delimited",
            Some(b' '),
        ),
        (
            "mtime.usec not delimited",
            "mtime.usec not delimited",
            Some(b' '),
        ),
        (
            "atime.sec not present",
            "atime.sec not delimited",
            Some(b' '),
        ),
        ("atime.usec not delimited", "atime.usec not delimited", None),
    ];
    for (missing, undelimited, delimiter) in fields {
        if !number(&mut at) {
            return Err(missing);
        }
        if line.get(at).copied() != delimiter {
            return Err(undelimited);
        }
        at += 1;
    }
    Ok(())
}

/// One end of the protocol: the descriptors it reads and writes (scp.c's
/// remin and remout) and its error count.
struct Conn {
    proc: Proc,
    remin: u32,
    remout: u32,
    /// scp.c `iamremote`: the remote scp prints nothing on its stderr.
    iamremote: bool,
    errs: u32,
    /// note_err(): the first error of a file, sent once the file is done.
    noted: Option<String>,
}

impl Conn {
    fn new(proc: Proc, remin: u32, remout: u32, iamremote: bool) -> Conn {
        Conn {
            proc,
            remin,
            remout,
            iamremote,
            errs: 0,
            noted: None,
        }
    }

    fn log(&self, event: ScpEvent) {
        self.proc.kernel.trace().log(self.proc.label(), event);
    }

    fn close(&self, fd: u32) {
        self.proc.close_fd(fd);
    }

    /// main(): waitpid(2) for ssh; anything but exit 0 is an error.
    async fn wait_ssh(&mut self, ssh: Pid) {
        if self.proc.wait(ssh).await != Some(WaitStatus::Exited(0)) {
            self.errs = 1;
        }
    }

    /// One byte from remin (atomicio(read, remin, &ch, 1)); `None` at EOF.
    async fn read_byte(&self) -> Option<u8> {
        match self.proc.read(self.remin, 1).await {
            Ok(byte) => byte.first().copied(),
            Err(_) => None,
        }
    }

    /// A line of at most LINE_MAX - 1 bytes after `first`, up to and
    /// including its newline (the do-while loops of sink() and response());
    /// `None` when the input ends first.
    async fn read_line(&self, first: Vec<u8>) -> Option<Vec<u8>> {
        let mut line = first;
        loop {
            let byte = self.read_byte().await?;
            line.push(byte);
            if byte == b'\n' || line.len() >= LINE_MAX - 1 {
                return Some(line);
            }
        }
    }

    /// atomicio(vwrite, remout, ...). A broken pipe raised SIGPIPE first:
    /// it killed the remote scp, and the local one's lostconn() handler
    /// ends it (see `on_signal`); this is the same end should the write
    /// come back.
    async fn send(&self, data: &[u8]) -> Flow<()> {
        match self.proc.write(self.remout, data).await {
            Ok(()) => Ok(()),
            Err(_) => Err(self.lostconn().await),
        }
    }

    async fn stderr(&self, text: &[u8]) {
        let _ = self.proc.write(2, text).await;
    }

    /// lostconn(): the peer is gone.
    async fn lostconn(&self) -> Exit {
        if !self.iamremote {
            self.stderr(b"lost connection\n").await;
        }
        Exit(1)
    }

    /// run_err(): an error to the peer (`\x01scp: TEXT\n`) and, on the
    /// local side, to stderr.
    async fn run_err(&mut self, text: &str) -> Flow<()> {
        self.errs += 1;
        self.send(format!("\x01scp: {text}\n").as_bytes()).await?;
        if !self.iamremote {
            self.stderr(format!("{text}\n").as_bytes()).await;
        }
        Ok(())
    }

    /// SCREWUP(): a protocol error ends scp.
    async fn screwup(&mut self, why: &str) -> Exit {
        match self.run_err(&format!("protocol error: {why}")).await {
            Ok(()) => Exit(1),
            Err(exit) => exit,
        }
    }

    /// response(): the peer's answer. `Ok(true)` for `\0`; `Ok(false)` for
    /// an error message (printed on the local side); a fatal message or
    /// the end of the input ends scp.
    async fn response(&mut self) -> Flow<bool> {
        let Some(resp) = self.read_byte().await else {
            return Err(self.lostconn().await);
        };
        if resp == 0 {
            return Ok(true);
        }
        // Any other first byte is the start of the message itself.
        let first = if resp == 1 || resp == 2 {
            Vec::new()
        } else {
            vec![resp]
        };
        let Some(mut message) = self.read_line(first).await else {
            return Err(self.lostconn().await);
        };
        if !self.iamremote {
            // The last byte read (the newline) gives way to the one printed.
            message.pop();
            message.push(b'\n');
            self.stderr(&message).await;
        }
        self.errs += 1;
        if resp == 1 { Ok(false) } else { Err(Exit(1)) }
    }

    /// source(): sends each file and waits for its acknowledgements.
    async fn source(&mut self, names: &[String]) -> Flow<()> {
        for name in names {
            let name = match name.trim_end_matches('/') {
                "" => "/",
                trimmed => trimmed,
            };
            let file = match open_read(&self.proc.kernel, name) {
                Ok(file) => file,
                // "%s: %s", name, strerror(errno)
                Err(message) => {
                    self.run_err(&message).await?;
                    continue;
                }
            };
            let size = match &*file {
                OpenFile::Virtual { size, .. } => *size,
                _ => {
                    self.run_err(&format!("{name}: not a regular file")).await?;
                    continue;
                }
            };
            let record = c_record(FILE_MODE, size, basename(name));
            self.log(ScpEvent::SentRecord {
                record: record.trim_end().to_string(),
            });
            self.send(record.as_bytes()).await?;
            if !self.response().await? {
                continue;
            }
            self.proc.set_fd(FILE_FD, file);
            let mut sent = 0;
            while sent < size {
                let amt = (size - sent).min(COPY_BUFLEN as u64) as usize;
                let block = self.proc.read(FILE_FD, amt).await.unwrap_or_default();
                if block.is_empty() {
                    break;
                }
                self.send(&block).await?;
                sent += block.len() as u64;
                self.proc.kernel.pace().await;
            }
            self.close(FILE_FD);
            self.send(&[0]).await?;
            if self.response().await? {
                self.log(ScpEvent::Acknowledged {
                    name: name.to_string(),
                });
            }
        }
        Ok(())
    }

    /// sink(): receives files into `targets[0]` (a file, or `.` for the
    /// current directory) until the input ends. `source` is the requested
    /// remote name on the local side, whose last component an incoming
    /// file's name must match.
    async fn sink(
        &mut self,
        targets: &[String],
        source: Option<&str>,
        target_is_dir: bool,
    ) -> Flow<()> {
        let [target] = targets else {
            self.run_err("ambiguous target").await?;
            return Err(Exit(1));
        };
        let target_is_cwd = target == ".";
        if target_is_dir && !target_is_cwd {
            // verifydir()
            let why = if self.proc.kernel.virtual_file(target).is_some() {
                "Not a directory"
            } else {
                "No such file or directory"
            };
            self.run_err(&format!("{target}: {why}")).await?;
            return Err(Exit(1));
        }
        self.send(&[0]).await?;
        let expected = source.map(basename);
        let mut first = true;
        loop {
            let was_first = std::mem::replace(&mut first, false);
            // EOF before a record: the transfer is over.
            let Some(lead) = self.read_byte().await else {
                return Ok(());
            };
            if lead == b'\n' {
                return Err(self.screwup("unexpected <newline>").await);
            }
            let Some(mut line) = self.read_line(vec![lead]).await else {
                return Err(self.screwup("lost connection").await);
            };
            if lead == 1 || lead == 2 {
                if !self.iamremote {
                    self.stderr(&line[1..]).await;
                }
                if lead == 2 {
                    return Err(Exit(1));
                }
                self.errs += 1;
                continue;
            }
            if lead == b'E' {
                self.send(&[0]).await?;
                return Ok(());
            }
            if line.last() == Some(&b'\n') {
                line.pop();
            }
            if lead == b'T' {
                if let Err(why) = check_t_record(&line) {
                    return Err(self.screwup(why).await);
                }
                self.send(&[0]).await?;
                continue;
            }
            if lead != b'C' && lead != b'D' {
                if was_first {
                    // Not the protocol at all, such as a remote shell's
                    // message: shown as it is.
                    let text = String::from_utf8_lossy(&line).into_owned();
                    self.run_err(&text).await?;
                    return Err(Exit(1));
                }
                return Err(self.screwup("expected control record").await);
            }
            let record = match parse_c_record(&line) {
                Ok(record) => record,
                Err(why) => return Err(self.screwup(why).await),
            };
            self.log(ScpEvent::ReceivedRecord {
                record: String::from_utf8_lossy(&line).into_owned(),
            });
            let name = &record.name;
            if name.is_empty() || name.contains('/') || name == "." || name == ".." {
                self.run_err(&format!("error: unexpected filename: {name}"))
                    .await?;
                return Err(Exit(1));
            }
            if expected.is_some_and(|e| e != name) {
                return Err(self.screwup("filename does not match request").await);
            }
            if lead == b'D' {
                return Err(self.screwup("received directory without -r").await);
            }
            let path = if target_is_cwd { name } else { target };
            self.receive(path, record.size).await?;
        }
    }

    /// sink() for one file announced by a C record: open, acknowledge,
    /// read `size` bytes, check the source's status, acknowledge.
    async fn receive(&mut self, path: &str, size: u64) -> Flow<()> {
        // scp.c sink(): open(O_WRONLY|O_CREAT), then ftruncate(2) to the size.
        self.proc
            .set_fd(FILE_FD, open_write(&self.proc.kernel, path, true));
        self.send(&[0]).await?;
        // The buffer goes to the file only when full, and the rest at the
        // end: a transfer cut short leaves whole buffers only.
        let mut received = 0u64;
        let mut buffer = Vec::with_capacity(COPY_BUFLEN);
        let mut written = 0u64;
        let mut write_failed = false;
        while received < size {
            let want = (size - received).min((COPY_BUFLEN - buffer.len()) as u64) as usize;
            let block = match self.proc.read(self.remin, want).await {
                Ok(block) if !block.is_empty() => block,
                _ => {
                    self.log(ScpEvent::Wrote {
                        path: path.to_string(),
                        bytes: written,
                        cut: Some((received, size)),
                    });
                    self.close(FILE_FD);
                    // `run_err("%s", j != EPIPE ? strerror(errno) :
                    // "dropped connection")` compares the byte count, not
                    // errno, with EPIPE: the text is strerror(EPIPE), which
                    // atomicio6() set at the end of the input.
                    self.run_err("Broken pipe").await?;
                    return Err(Exit(1));
                }
            };
            received += block.len() as u64;
            buffer.extend(block);
            if buffer.len() == COPY_BUFLEN || received == size {
                // After a failed write it keeps reading, to stay in step.
                if !write_failed {
                    if self.proc.write(FILE_FD, &buffer).await.is_ok() {
                        written += buffer.len() as u64;
                    } else {
                        self.note_err(format!("{path}: Bad file descriptor"));
                        write_failed = true;
                    }
                }
                buffer.clear();
            }
        }
        self.close(FILE_FD);
        self.log(ScpEvent::Wrote {
            path: path.to_string(),
            bytes: written,
            cut: None,
        });
        self.response().await?;
        if self.flush_noted().await? {
            self.send(&[0]).await?;
        }
        Ok(())
    }

    /// note_err(): keeps the first error of a file for its end.
    fn note_err(&mut self, text: String) {
        self.errs += 1;
        self.noted.get_or_insert(text);
    }

    /// note_err(NULL): sends the noted error; true when there was none.
    async fn flush_noted(&mut self) -> Flow<bool> {
        match self.noted.take() {
            None => Ok(true),
            Some(text) => {
                self.run_err(&text).await?;
                Ok(false)
            }
        }
    }
}

#[cfg(test)]
mod tests;
