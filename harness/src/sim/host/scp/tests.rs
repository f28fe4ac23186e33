//! Unit tests of the scp model: the protocol pieces and both ends.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use super::*;
use crate::sim::host::testing::run_line;
use crate::sim::unix::{FdTable, INIT_PID, Kernel, PipeEnd, RunState, virtual_byte};
use crate::trace::{Trace, render_events};

use crate::sim::unix::block_on;

fn kernel(files: &[(&str, u64)]) -> Kernel {
    let files: BTreeMap<String, u64> = files.iter().map(|(n, s)| (n.to_string(), *s)).collect();
    Kernel::new("host", Trace::default(), files)
}

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(String::from).collect()
}

/// A transport that must not be used (the remote scp starts none).
fn no_transport() -> Transport {
    Box::new(|_, argv| panic!("unexpected transport: {argv:?}"))
}

/// `ssh HOST COMMAND` without a network: runs the remote scp of
/// COMMAND on the same host, over the same pipes.
fn loopback() -> Transport {
    Box::new(|child, argv| match argv[1].as_str() {
        // `ssh -s HOST sftp`: the server's sftp-server.
        "-s" => Box::pin(crate::sim::host::sftp::sftp_server(child)),
        _ => Box::pin(scp_main(child, words(&argv[2]), no_transport())),
    })
}

/// A test's end of a process's stdin and stdout, and its stderr.
struct Peer {
    pid: Pid,
    to_scp: Option<PipeEnd>,
    from_scp: PipeEnd,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Peer {
    async fn send(&self, data: &[u8]) {
        let to = self.to_scp.as_ref().expect("stdin still open");
        to.pipe.write(data).await.unwrap();
    }

    async fn read_exact(&self, n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while out.len() < n {
            let block = self.from_scp.pipe.read(n - out.len()).await;
            assert!(!block.is_empty(), "EOF after {out:?}");
            out.extend(block);
        }
        out
    }

    async fn read_line(&self) -> String {
        let mut out = Vec::new();
        while out.last() != Some(&b'\n') {
            out.extend(self.read_exact(1).await);
        }
        String::from_utf8(out).unwrap()
    }

    async fn read_to_end(&self) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let block = self.from_scp.pipe.read(65536).await;
            if block.is_empty() {
                return out;
            }
            out.extend(block);
        }
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }
}

/// Starts `line` as an scp process whose stdin and stdout the test
/// holds.
fn start(k: &Kernel, line: &str, transport: Transport) -> Peer {
    let (in_r, in_w) = k.pipe();
    let (out_r, out_w) = k.pipe();
    let (err_r, err_w) = k.pipe();
    let mut fds = FdTable::default();
    fds.set(0, OpenFile::pipe(in_r));
    fds.set(1, OpenFile::pipe(out_w));
    fds.set(2, OpenFile::pipe(err_w));
    let argv = words(line);
    // A parent that never waits: the exit status stays to be read.
    let parent = k.spawn(INIT_PID, "sh", FdTable::default(), |_| -> Program {
        Box::pin(std::future::pending())
    });
    let pid = k.spawn(parent, "scp", fds, move |proc: Proc| -> Program {
        Box::pin(scp_main(proc, argv, transport))
    });
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let sink = stderr.clone();
    tokio::spawn(async move {
        loop {
            let block = err_r.pipe.read(65536).await;
            if block.is_empty() {
                break;
            }
            sink.lock().unwrap().extend(block);
        }
    });
    Peer {
        pid,
        to_scp: Some(in_w),
        from_scp: out_r,
        stderr,
    }
}

fn pattern(range: std::ops::Range<u64>) -> Vec<u8> {
    range.map(virtual_byte).collect()
}

#[test]
fn c_records_are_written_and_read_as_scp_c_does() {
    assert_eq!(c_record(0o100644, 1048576, "big"), "C0644 1048576 big\n");
    let parsed = parse_c_record(b"C0644 1048576 big").unwrap();
    assert_eq!(
        parsed,
        FileRecord {
            mode: 0o644,
            size: 1048576,
            name: "big".into()
        }
    );
    for (line, why) in [
        (&b"C06"[..], "bad mode"),
        (b"C0684 1 a", "bad mode"),
        (b"C0644x1 a", "mode not delimited"),
        (b"C0644 x a", "size not present"),
        (b"C0644 12x a", "size not delimited"),
        (b"C0644 12", "size not delimited"),
        (b"C0644 99999999999999999999 a", "size out of range"),
    ] {
        assert_eq!(parse_c_record(line), Err(why), "{line:?}");
    }
    assert_eq!(check_t_record(b"T1700000000 0 1700000000 0"), Ok(()));
    assert_eq!(
        check_t_record(b"T1700000000 0 x"),
        Err("atime.sec not present")
    );
}

#[test]
fn operands_and_options_read_as_scp_reads_them() {
    assert_eq!(
        remote_path("server:big"),
        Some(RemotePath {
            destination: "server".into(),
            path: "big".into()
        })
    );
    assert_eq!(remote_path("user@server:").unwrap().path, ".");
    assert_eq!(remote_path("./a:b"), None, "a slash before the colon");
    assert_eq!(remote_path(":big"), None, "a leading colon");
    assert_eq!(remote_command("-f", "-x"), "scp -f -- -x");
    let options = parse_options(&words("-Oq -p server:big copy")).unwrap();
    assert!(options.legacy);
    assert_eq!(options.operands, words("server:big copy"));
    assert_eq!(
        parse_options(&words("-- -O")).unwrap().operands,
        words("-O")
    );
    assert!(parse_options(&words("-r a b")).unwrap_err().contains("-r"));
}

#[test]
fn options_and_copies_it_does_not_model_are_refused_with_advice() {
    let ran = run_line("scp -O -P 2222 server:big copy", &[]);
    assert_eq!(ran.status, WaitStatus::Exited(1));
    assert!(ran.stderr.contains("-P is not modelled"), "{}", ran.stderr);
    let ran = run_line("scp -O big copy", &[("big", 10)]);
    assert!(ran.stderr.contains("cp(1)"), "{}", ran.stderr);
}

#[test]
fn the_remote_source_exits_only_after_the_final_acknowledgement() {
    block_on(async {
        let k = kernel(&[("big", 40_000)]);
        let peer = start(&k, "scp -f big", no_transport());
        peer.send(&[0]).await;
        assert_eq!(peer.read_line().await, "C0644 40000 big\n");
        peer.send(&[0]).await;
        let data = peer.read_exact(40_000).await;
        assert_eq!(data, pattern(0..40_000));
        assert_eq!(peer.read_exact(1).await, [0]);
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert_eq!(
            k.state_of(peer.pid),
            Some(RunState::Running),
            "response() waits for the sink's last \\0"
        );
        peer.send(&[0]).await;
        assert_eq!(k.exited(peer.pid).await, Some(WaitStatus::Exited(0)));
        assert_eq!(peer.read_to_end().await, b"");
    });
}

#[test]
fn the_remote_source_reports_a_missing_file_to_the_sink_and_exits_1() {
    block_on(async {
        let k = kernel(&[]);
        let peer = start(&k, "scp -f nothing", no_transport());
        peer.send(&[0]).await;
        assert_eq!(
            peer.read_line().await,
            "\x01scp: nothing: No such file or directory\n"
        );
        assert_eq!(k.exited(peer.pid).await, Some(WaitStatus::Exited(1)));
        assert_eq!(peer.stderr(), "", "the remote scp keeps quiet");
    });
}

#[test]
fn the_remote_sink_acknowledges_in_scp_c_order_and_writes_the_file() {
    block_on(async {
        let k = kernel(&[]);
        let mut peer = start(&k, "scp -t copy", no_transport());
        assert_eq!(peer.read_exact(1).await, [0], "ready");
        peer.send(b"C0644 40000 big\n").await;
        assert_eq!(peer.read_exact(1).await, [0], "file opened");
        peer.send(&pattern(0..40_000)).await;
        peer.send(&[0]).await;
        assert_eq!(peer.read_exact(1).await, [0], "file complete");
        assert_eq!(k.written("copy"), 40_000);
        drop(peer.to_scp.take());
        assert_eq!(k.exited(peer.pid).await, Some(WaitStatus::Exited(0)));
    });
}

#[test]
fn a_short_file_is_a_broken_pipe_and_only_whole_buffers_reach_the_copy() {
    block_on(async {
        let k = kernel(&[]);
        let mut peer = start(&k, "scp -t copy", no_transport());
        peer.send(b"C0644 100000 big\n").await;
        peer.send(&pattern(0..40_000)).await;
        drop(peer.to_scp.take());
        assert_eq!(k.exited(peer.pid).await, Some(WaitStatus::Exited(1)));
        assert_eq!(peer.read_to_end().await, b"\0\0\x01scp: Broken pipe\n");
        assert_eq!(k.written("copy"), 2 * COPY_BUFLEN as u64);
    });
}

#[test]
fn the_sink_refuses_a_name_it_did_not_ask_for() {
    block_on(async {
        let k = kernel(&[]);
        let peer = start(&k, "scp -t copy", no_transport());
        peer.send(b"C0644 1 ../x\n").await;
        assert_eq!(k.exited(peer.pid).await, Some(WaitStatus::Exited(1)));
        assert_eq!(
            peer.read_to_end().await,
            b"\0\x01scp: error: unexpected filename: ../x\n"
        );
    });
}

/// Runs a local scp over the loopback transport; returns its status,
/// stderr and trace.
fn local_run(files: &[(&str, u64)], line: &str) -> (WaitStatus, String, Kernel, String) {
    block_on(async {
        let trace = Trace::default();
        let files: BTreeMap<String, u64> = files.iter().map(|(n, s)| (n.to_string(), *s)).collect();
        let k = Kernel::new("host", trace.clone(), files);
        let peer = start(&k, line, loopback());
        let status = k.exited(peer.pid).await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        (status, peer.stderr(), k, render_events(&trace.events()))
    })
}

#[test]
fn a_download_and_an_upload_copy_the_whole_file() {
    let (status, stderr, k, trace) = local_run(&[("big", 100_000)], "scp -O server:big copy");
    assert_eq!((status, stderr.as_str()), (WaitStatus::Exited(0), ""));
    assert_eq!(k.written("copy"), 100_000);
    let line = |actor: &str, text: &str| {
        trace
            .lines()
            .any(|l| l.contains(actor) && l.ends_with(text))
    };
    assert!(line("host scp[3]", "wrote copy: 100000 bytes"), "{trace}");
    assert!(line("host ssh[4]", "exit 0"), "{trace}");

    let (status, _, k, _) = local_run(&[("big", 100_000)], "scp -O -q server:big .");
    assert_eq!(status, WaitStatus::Exited(0));
    assert_eq!(k.written("big"), 100_000, "`.` takes the file's name");

    let (status, stderr, k, trace) = local_run(&[("big", 100_000)], "scp -O big server:copy");
    assert_eq!((status, stderr.as_str()), (WaitStatus::Exited(0), ""));
    assert_eq!(k.written("copy"), 100_000);
    assert!(trace.contains("<- big acknowledged"), "{trace}");
}

#[test]
fn errors_of_the_far_side_show_on_the_local_stderr() {
    let (status, stderr, _, _) = local_run(&[], "scp -O server:nothing copy");
    assert_eq!(status, WaitStatus::Exited(1));
    assert_eq!(stderr, "scp: nothing: No such file or directory\n");

    let (status, stderr, _, _) = local_run(&[], "scp -O nothing server:copy");
    assert_eq!(status, WaitStatus::Exited(1));
    assert_eq!(stderr, "nothing: No such file or directory\n");
}

#[test]
fn a_download_cut_short_loses_the_connection() {
    // A remote end that announces 100000 bytes, sends 20000 and exits.
    let short: Transport = Box::new(|child: Proc, _| -> Program {
        Box::pin(async move {
            let _ = child.read(0, 1).await;
            let _ = child.write(1, b"C0644 100000 big\n").await;
            let _ = child.read(0, 1).await;
            let _ = child.write(1, &pattern(0..20_000)).await;
            0
        })
    });
    let (status, stderr, k, trace) = block_on(async {
        let trace = Trace::default();
        let k = Kernel::new("host", trace.clone(), BTreeMap::new());
        let peer = start(&k, "scp -O server:big copy", short);
        let status = k.exited(peer.pid).await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        (status, peer.stderr(), k, render_events(&trace.events()))
    });
    // The ssh is gone, so run_err()'s write to it raises SIGPIPE, and
    // lostconn() speaks instead of the "Broken pipe" after it.
    assert_eq!(status, WaitStatus::Exited(1));
    assert_eq!(stderr, "lost connection\n");
    assert_eq!(k.written("copy"), COPY_BUFLEN as u64);
    assert!(
        trace.contains("wrote copy: 16384 bytes (its input ended after 20000 of 100000)"),
        "{trace}"
    );
}

#[test]
fn sigterm_is_passed_to_ssh_and_scp_exits_1() {
    block_on(async {
        let k = kernel(&[]);
        let hang: Transport = Box::new(|_, _| -> Program { Box::pin(std::future::pending()) });
        let peer = start(&k, "scp -O server:big copy", hang);
        tokio::time::sleep(Duration::from_secs(1)).await;
        k.signal(peer.pid, Signal::Term, "test");
        assert_eq!(k.exited(peer.pid).await, Some(WaitStatus::Exited(1)));
        let ssh = peer.pid + 1;
        assert_eq!(k.state_of(ssh), None, "killed and reaped");
    });
}

#[test]
fn without_minus_o_a_download_and_an_upload_go_over_sftp() {
    let (status, stderr, k, trace) = local_run(&[("big", 100_000)], "scp server:big copy");
    assert_eq!((status, stderr.as_str()), (WaitStatus::Exited(0), ""));
    assert_eq!(k.written("copy"), 100_000);
    for step in [
        "sftp: version 3",
        "sftp: OPEN big for reading",
        "wrote copy: 100000 bytes",
        "sftp: CLOSE big",
    ] {
        assert!(trace.contains(step), "{step}: {trace}");
    }
    // The file is closed before sftp-server (here run by the stand-in
    // ssh itself) sees the end of its stdin.
    let closed = trace.lines().position(|l| l.ends_with("sftp: CLOSE big"));
    let server_exit = trace
        .lines()
        .position(|l| l.contains("host ssh[4]") && l.ends_with("exit 0"));
    assert!(closed.is_some() && closed < server_exit, "{trace}");

    let (status, _, k, _) = local_run(&[("big", 100_000)], "scp -q server:big .");
    assert_eq!(status, WaitStatus::Exited(0));
    assert_eq!(k.written("big"), 100_000, "`.` takes the file's name");

    let (status, stderr, k, trace) = local_run(&[("big", 100_000)], "scp big server:copy");
    assert_eq!((status, stderr.as_str()), (WaitStatus::Exited(0), ""));
    assert_eq!(k.written("copy"), 100_000);
    assert!(
        trace.contains("sftp: copy: 100000 bytes written and acknowledged"),
        "{trace}"
    );
    let (status, _, _, _) = local_run(&[("big", 10)], "scp -O -s big server:copy");
    assert_eq!(status, WaitStatus::Exited(0), "-s after -O asks for SFTP");
}

#[test]
fn sftp_errors_are_the_local_scps_own_words() {
    let (status, stderr, k, _) = local_run(&[], "scp server:nothing copy");
    assert_eq!(status, WaitStatus::Exited(1));
    assert_eq!(stderr, "scp: nothing: No such file or directory\r\n");
    assert_eq!(k.stat("copy"), None, "no local file is made");

    let (status, stderr, _, _) = local_run(&[], "scp nothing server:copy");
    assert_eq!(status, WaitStatus::Exited(1));
    assert_eq!(stderr, "nothing: No such file or directory\n");
}

#[test]
fn an_sftp_conversation_cut_short_is_fatal() {
    // A server that answers INIT, reads the next request and goes away
    // without an answer (a write after that would be SIGPIPE instead).
    let gone: Transport = Box::new(|child: Proc, _| -> Program {
        Box::pin(async move {
            let _ = child.read(0, 9).await;
            let version = crate::sim::host::sftp::wire::Packet::Version { version: 3 };
            let _ = child.write(1, &version.encode()).await;
            let _ = child.read(0, 64).await;
            0
        })
    });
    let (status, stderr) = block_on(async {
        let k = kernel(&[]);
        let peer = start(&k, "scp server:big copy", gone);
        let status = k.exited(peer.pid).await.unwrap();
        tokio::time::sleep(Duration::from_secs(1)).await;
        (status, peer.stderr())
    });
    assert_eq!(status, WaitStatus::Exited(255));
    assert_eq!(stderr, "scp: Connection closed\r\n");
}
