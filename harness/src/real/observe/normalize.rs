//! A real run's trace, normalized so that repeated runs of the same
//! scenario and target give the same bytes (README, "Determinism").
//!
//! - Times go: a real run's durations jitter, and the scenario's
//!   expectations check them with a tolerance.
//! - Pids go: `sleep[1234]` becomes `sleep`.
//! - Counts that jitter go: the proxy's byte counts (SSH packets carry
//!   random padding, and how much a partition held depends on when
//!   keepalives fell; a connection that carried half a MiB or more keeps
//!   that to the nearest MiB), the listening ports. A run of the same line in one
//!   stream (`keepalive sent` every second) is one line.
//! - The client's `channel eof sent` goes: a command line's stdin is
//!   /dev/null, so ssh sends EOF as soon as the channel opens, unless the
//!   server's EOF and CLOSE of a quick command came first (nchan.c: a
//!   CLOSE received closes the input without an EOF), a race. The timed
//!   trace (`-v`) keeps it.
//! - Order is kept where it is causal, and made up where it is not. The
//!   trace is cut into phases at the scenario's steps (a step's line, and
//!   everything that happened after it and before the next step). Within
//!   a phase each stream keeps its own order: one ssh process's log, one
//!   proxy connection, one server process. The streams, which run
//!   concurrently, follow each other in a fixed order: the step, the
//!   client's ssh processes, the server's processes (by name), the
//!   proxy, its connections (by number), the command lines' exits (by
//!   number: a `pkill` line and the line it killed end in either order),
//!   and last where the harness stopped the run and what it killed.
//! - Two races inside a stream are settled: the server sends exit-status
//!   when it reaps the child and EOF when it reads the end of the
//!   child's output (OpenSSH's session.c and serverloop.c), two causes
//!   that come a moment apart in either order. Arriving within
//!   [`RACE_WINDOW`] of each other they are written EOF first; further
//!   apart (a background job held the pipes) in the order they came.
//!   Likewise the two FINs of a connection that closes: client -> server
//!   first when they pass the proxy within the window.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::trace::{ClientEvent, Dir, Event, HarnessEvent, ProxyLine, Segment, TcpEvent, What};

/// Racing lines of one stream closer than this are simultaneous.
pub const RACE_WINDOW: Duration = Duration::from_millis(250);

/// Streams of a phase, in the order they are written.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stream {
    Step,
    Ssh(usize),
    ServerProcess,
    Proxy,
    Connection(u64),
    /// A command line's exit, by its number: command lines run
    /// concurrently, so which of two exits is seen first is not causal.
    CommandLine(usize),
    /// Where and why the harness stopped the run, and what its watchdog
    /// killed: after everything else of the phase.
    Stop,
}

/// A line of a phase: when, who, what (the event, for the rules that
/// reorder and merge lines) and its normalized text.
type Line<'a> = (Duration, String, &'a What, String);

/// The normalized trace, one `actor  text` line per event.
pub fn normalize(events: &[Event]) -> Vec<String> {
    let mut phases: Vec<BTreeMap<Stream, Vec<Line>>> = vec![BTreeMap::new()];
    let mut ssh_order: Vec<String> = Vec::new();
    for event in events {
        if matches!(event.what, What::Data { .. } | What::DataRun(_)) {
            continue;
        }
        let Some((stream, actor, text)) = classify(&event.actor, &event.what, &mut ssh_order)
        else {
            continue;
        };
        if matches!(
            event.what,
            What::Tcp(TcpEvent::FaultStep { .. }) | What::Harness(HarnessEvent::Runs { .. })
        ) {
            phases.push(BTreeMap::new());
        }
        let phase = phases.last_mut().expect("one phase at least");
        phase
            .entry(stream)
            .or_default()
            .push((event.at, actor, &event.what, text));
    }
    let mut out = Vec::new();
    for phase in phases {
        for (stream, mut timed) in phase {
            match stream {
                Stream::Ssh(_) => settle_races(&mut timed, racing_in_ssh),
                Stream::Connection(_) => settle_races(&mut timed, racing_in_connection),
                _ => {}
            }
            if matches!(stream, Stream::Connection(_)) {
                timed = client_close(timed);
            }
            let mut lines: Vec<(String, String)> =
                timed.into_iter().map(|(_, a, _, t)| (a, t)).collect();
            if stream == Stream::ServerProcess {
                lines = by_process(lines);
            } else {
                // Two processes of one name each start; one process does
                // not send one keepalive twice in a row to any purpose.
                lines.dedup();
            }
            out.extend(
                lines
                    .into_iter()
                    .map(|(actor, text)| format!("{actor:<18} {text}").trim_end().to_string()),
            );
        }
    }
    out
}

/// Whether `what` is one of the server's two racing messages, and its
/// place when they race: EOF first.
fn racing_in_ssh(what: &What) -> Option<u8> {
    match what {
        What::Client(ClientEvent::EofReceived) => Some(0),
        What::Client(ClientEvent::ExitStatus { .. } | ClientEvent::ExitSignal { .. }) => Some(1),
        _ => None,
    }
}

/// Whether `what` is a FIN passed on in one direction of a connection, and
/// its place when both race: client -> server first. After the CLOSE
/// exchange each side shuts its socket down on its own.
fn racing_in_connection(what: &What) -> Option<u8> {
    match passed(what)? {
        (_, Dir::ClientToServer, Segment::Fin) => Some(0),
        (_, Dir::ServerToClient, Segment::Fin) => Some(1),
        _ => None,
    }
}

/// The connection, direction and segment of a FIN or RST the proxy passed on.
fn passed(what: &What) -> Option<(u64, Dir, Segment)> {
    match what {
        What::Tcp(TcpEvent::Proxy(ProxyLine::Passed { conn, dir, segment })) => {
            Some((*conn, *dir, *segment))
        }
        _ => None,
    }
}

/// A client that closes its socket with bytes unread sends RST instead of
/// FIN (tcp(7)): after `~.` or a kill, whether the server's last bytes
/// arrived first is a race. Both ways read `the client closes` (and the
/// server's FIN that answers a FIN goes with it).
fn client_close(lines: Vec<Line>) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::with_capacity(lines.len());
    let mut closed_by_client = false;
    for (at, actor, what, text) in lines {
        match passed(what) {
            Some((conn, Dir::ClientToServer, _)) => {
                closed_by_client = true;
                let text =
                    format!("connection {conn}: the client closes (FIN, or RST with bytes unread)");
                out.push((at, actor, what, text));
            }
            Some((_, Dir::ServerToClient, Segment::Fin)) if closed_by_client => {}
            _ => out.push((at, actor, what, text)),
        }
    }
    out
}

/// Puts each run of racing lines that came within [`RACE_WINDOW`] of each
/// other in the order `place` gives.
fn settle_races(lines: &mut [Line], place: fn(&What) -> Option<u8>) {
    let mut i = 0;
    while i < lines.len() {
        let mut j = i;
        while j < lines.len()
            && place(lines[j].2).is_some()
            && lines[j].0.saturating_sub(lines[i].0) < RACE_WINDOW
        {
            j += 1;
        }
        if j > i + 1 {
            lines[i..j].sort_by_key(|(_, _, what, _)| place(what));
        }
        i = j.max(i + 1);
    }
}

/// The stream an event belongs to, and its actor and text normalized;
/// `None` for what is left out.
fn classify(
    actor: &str,
    what: &What,
    ssh_order: &mut Vec<String>,
) -> Option<(Stream, String, String)> {
    let step = |a: &str, t: String| Some((Stream::Step, a.to_string(), t));
    let text = what.to_string();
    match what {
        What::Tcp(TcpEvent::FaultStep { .. }) => step(actor, text),
        What::Harness(HarnessEvent::CrashKilled { killed }) if !killed.is_empty() => {
            step(actor, killed_list(killed))
        }
        What::Harness(HarnessEvent::Runs { .. }) => step(actor, text),
        What::Harness(
            HarnessEvent::Horizon
            | HarnessEvent::WaitTimedOut { .. }
            | HarnessEvent::WatchdogKilled { .. },
        ) => Some((Stream::Stop, actor.to_string(), text)),
        What::Harness(HarnessEvent::CommandLineExit { n, .. }) => {
            Some((Stream::CommandLine(*n), actor.to_string(), text))
        }
        What::Tcp(TcpEvent::Proxy(line)) => proxy(line),
        What::Client(ClientEvent::EofSent) if actor.starts_with("client ssh") => None,
        _ if actor.starts_with("client ssh") => {
            let n = match ssh_order.iter().position(|a| a == actor) {
                Some(n) => n,
                None => {
                    ssh_order.push(actor.to_string());
                    ssh_order.len() - 1
                }
            };
            let name = if n == 0 {
                "client ssh".to_string()
            } else {
                format!("client ssh {}", n + 1)
            };
            Some((Stream::Ssh(n), name, text.to_string()))
        }
        _ if actor.starts_with("server ") => Some((
            Stream::ServerProcess,
            // Keep the pid until the lines are grouped by process.
            actor.to_string(),
            text.to_string(),
        )),
        _ => Some((Stream::Step, without_pids(actor), without_pids(&text))),
    }
}

/// `crash: killed dropbear[18930], sleep[18931]` -> `crash: killed
/// dropbear, sleep` (names sorted, each once).
fn killed_list(killed: &[String]) -> String {
    let mut names: Vec<String> = killed.iter().map(|k| without_pids(k)).collect();
    names.sort();
    names.dedup();
    format!("crash: killed {}", names.join(", "))
}

/// The proxy's line without what jitters; `None` for the listening line
/// (ports).
fn proxy(line: &ProxyLine) -> Option<(Stream, String, String)> {
    let (conn, text) = match line {
        ProxyLine::Listening { .. } => return None,
        // `connection 1 ended: 3697 bytes client -> server, 3681 bytes
        // server -> client` -> `connection 1 ended`.
        ProxyLine::Ended {
            conn,
            client_to_server,
            server_to_client,
        } => {
            let up = bulk(*client_to_server, "client -> server");
            let down = bulk(*server_to_client, "server -> client");
            (Some(*conn), format!("connection {conn} ended{up}{down}"))
        }
        ProxyLine::OnConnection { conn, .. } => {
            (Some(*conn), without_byte_counts(&line.to_string()))
        }
        ProxyLine::Opened { conn }
        | ProxyLine::Passed { conn, .. }
        | ProxyLine::SynWaits { conn, .. }
        | ProxyLine::SynRefused { conn, .. }
        | ProxyLine::ClientCrashedFirst { conn }
        | ProxyLine::RstFromRestarted { conn, .. } => (Some(*conn), line.to_string()),
        // `heal: 52 bytes held are forwarded` -> `heal: bytes held are
        // forwarded`.
        ProxyLine::Heal { fins, .. } => {
            let fins = match fins {
                0 => String::new(),
                n => format!(", then {n} FIN(s)"),
            };
            (None, format!("heal: bytes held are forwarded{fins}"))
        }
        _ => (None, line.to_string()),
    };
    let stream = match conn {
        Some(n) => Stream::Connection(n),
        None => Stream::Proxy,
    };
    Some((stream, "proxy".to_string(), text))
}

/// A count of bytes taken out of a proxy's line: `12 bytes held` ->
/// `bytes held`.
fn without_byte_counts(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<&str> = Vec::with_capacity(words.len());
    for (i, word) in words.iter().enumerate() {
        let next = words.get(i + 1).copied();
        if word.chars().all(|c| c.is_ascii_digit()) && !word.is_empty() && next == Some("bytes") {
            continue;
        }
        out.push(word);
    }
    out.join(" ")
}

/// Where a direction carried a file's worth (half a MiB or more), its
/// count to the nearest MiB: measured, the handshake and packet padding
/// move a connection's counts by some hundred bytes between runs
/// (`3781` to `3853` bytes client -> server for `ssh server 'exit 7'`),
/// and a 1 MiB `cat` gives `1052374` to `1053305` bytes server -> client.
fn bulk(n: u64, dir: &str) -> String {
    const MIB: u64 = 1 << 20;
    if n >= MIB / 2 {
        format!(", about {} MiB {dir}", (n + MIB / 2) / MIB)
    } else {
        String::new()
    }
}

/// `sleep[1234]` -> `sleep`, wherever it occurs.
pub fn without_pids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('[') {
        let after = &rest[i + 1..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && after[digits..].starts_with(']') {
            out.push_str(&rest[..i]);
            rest = &after[digits + 1..];
        } else {
            out.push_str(&rest[..=i]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A phase's server-process lines, grouped by process (each process's own
/// order kept), the processes sorted by name and then by what they did:
/// two processes polled in the same instant have no order of their own.
fn by_process(lines: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut processes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (actor, text) in lines {
        processes.entry(actor).or_default().push(text);
    }
    let mut groups: Vec<(String, Vec<String>)> = processes
        .into_iter()
        .map(|(actor, texts)| (without_pids(&actor), texts))
        .collect();
    groups.sort();
    groups
        .into_iter()
        .flat_map(|(actor, texts)| texts.into_iter().map(move |t| (actor.clone(), t)))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use hangar_scenario::NetFault;

    use super::*;
    use crate::trace::ProcessEvent;

    fn ev(ms: u64, actor: &str, what: impl Into<What>) -> Event {
        Event {
            at: Duration::from_millis(ms),
            actor: actor.to_string(),
            what: what.into(),
        }
    }

    fn runs(line: &str) -> HarnessEvent {
        HarnessEvent::Runs { line: line.into() }
    }

    fn status(code: i32) -> ClientEvent {
        ClientEvent::ExitStatus { code: Some(code) }
    }

    fn started() -> ProcessEvent {
        ProcessEvent::Seen {
            ignoring: Vec::new(),
        }
    }

    fn proxy_line(line: ProxyLine) -> TcpEvent {
        TcpEvent::Proxy(line)
    }

    fn opened() -> TcpEvent {
        proxy_line(ProxyLine::Opened { conn: 1 })
    }

    fn ended(up: u64, down: u64) -> TcpEvent {
        proxy_line(ProxyLine::Ended {
            conn: 1,
            client_to_server: up,
            server_to_client: down,
        })
    }

    fn passed(dir: Dir, segment: Segment) -> TcpEvent {
        proxy_line(ProxyLine::Passed {
            conn: 1,
            dir,
            segment,
        })
    }

    fn sample(pid: u32, jitter: u64, bytes: u64) -> Vec<Event> {
        let listening = ProxyLine::Listening {
            addr: "127.0.0.1:42595".into(),
            upstream: "127.0.0.1:41757".into(),
        };
        let killed = vec![format!("sleep[{pid}]"), "dropbear[4]".to_string()];
        let mut events = vec![
            ev(0, "proxy", proxy_line(listening)),
            ev(0, "client", runs("ssh server 'sleep 30 &'")),
            ev(9 + jitter, "proxy", opened()),
            ev(150, "client ssh[77]", ClientEvent::Connected),
            ev(180 + jitter, &format!("server sleep[{pid}]"), started()),
            ev(181, &format!("server bash[{}]", pid + 1), started()),
            ev(190, "client ssh[77]", ClientEvent::EofSent),
            ev(200, "client ssh[77]", status(0)),
            ev(
                2000,
                "net",
                TcpEvent::FaultStep {
                    fault: NetFault::Partition,
                },
            ),
            ev(2000, "server", HarnessEvent::CrashKilled { killed }),
            ev(2100, "client ssh[77]", ClientEvent::KeepaliveSent),
            ev(3100, "client ssh[77]", ClientEvent::KeepaliveSent),
            ev(
                4100 + jitter,
                "client ssh[77]",
                ClientEvent::KeepaliveTimeout,
            ),
            ev(
                4100,
                "proxy",
                proxy_line(ProxyLine::Heal { bytes, fins: 0 }),
            ),
            ev(4101, "proxy", ended(bytes, 3681)),
            ev(
                4102,
                "client",
                HarnessEvent::CommandLineExit { n: 1, code: 255 },
            ),
        ];
        events.sort_by_key(|e| e.at);
        events
    }

    #[test]
    fn command_lines_that_end_in_one_phase_are_written_by_number() {
        let exit = |at, n| ev(at, "client", HarnessEvent::CommandLineExit { n, code: 0 });
        let one_first = normalize(&[exit(10, 1), exit(11, 2)]);
        let two_first = normalize(&[exit(10, 2), exit(11, 1)]);
        assert_eq!(one_first, two_first);
        assert_eq!(
            one_first,
            [
                "client             command line 1 exit 0",
                "client             command line 2 exit 0",
            ]
        );
    }

    #[test]
    fn the_harness_stopping_the_run_comes_last_in_its_phase() {
        let stop = normalize(&[
            ev(10, "harness", HarnessEvent::Horizon),
            ev(10, "harness", HarnessEvent::WatchdogKilled { n: 1 }),
            ev(11, "proxy", opened()),
            ev(12, "server sleep[7]", started()),
        ]);
        assert_eq!(
            stop,
            [
                "server sleep       started",
                "proxy              connection 1 opened",
                "harness            horizon reached: the run stops",
                "harness            watchdog killed command line 1",
            ]
        );
    }

    #[test]
    fn pids_times_ports_and_byte_counts_go_and_the_order_is_stable() {
        let first = normalize(&sample(1234, 0, 3697));
        let second = normalize(&sample(5678, 40, 3701));
        assert_eq!(first, second);
        assert_eq!(
            first,
            [
                "client             runs \"ssh server 'sleep 30 &'\"",
                "client ssh         connected",
                "client ssh         exit-status 0",
                "server bash        started",
                "server sleep       started",
                "proxy              connection 1 opened",
                "net                partition",
                "server             crash: killed dropbear, sleep",
                "client ssh         keepalive sent",
                "client ssh         keepalive timeout",
                "proxy              heal: bytes held are forwarded",
                "proxy              connection 1 ended",
                "client             command line 1 exit 255",
            ]
        );
    }

    #[test]
    fn a_process_keeps_its_own_order_and_two_ssh_processes_are_told_apart() {
        let events = vec![
            ev(0, "client", runs("ssh server 'a'; ssh server 'b'")),
            ev(1, "server sleep[9]", started()),
            ev(2, "client ssh[10]", status(0)),
            ev(3, "server sleep[9]", ProcessEvent::SeenStopped),
            ev(4, "server sleep[8]", started()),
            ev(5, "client ssh[11]", status(1)),
            ev(6, "server sleep[9]", ProcessEvent::Ended),
        ];
        assert_eq!(
            normalize(&events),
            [
                "client             runs \"ssh server 'a'; ssh server 'b'\"",
                "client ssh         exit-status 0",
                "client ssh 2       exit-status 1",
                "server sleep       started",
                "server sleep       started",
                "server sleep       stopped",
                "server sleep       ended",
            ]
        );
    }

    #[test]
    fn exit_status_and_eof_a_moment_apart_come_eof_first_and_a_wait_is_kept() {
        let session = |status_ms, eof_ms| {
            let mut events = vec![
                ev(0, "client", runs("ssh server x")),
                ev(status_ms, "client ssh[3]", status(0)),
                ev(eof_ms, "client ssh[3]", ClientEvent::EofReceived),
                ev(eof_ms + 1, "client ssh[3]", ClientEvent::CloseReceived),
            ];
            events.sort_by_key(|e| e.at);
            normalize(&events)
        };
        assert_eq!(session(100, 101), session(101, 100));
        assert_eq!(
            session(100, 101)[1],
            "client ssh         channel eof received"
        );
        assert_eq!(session(100, 30_000)[1], "client ssh         exit-status 0");
    }

    #[test]
    fn the_two_fins_of_a_closing_connection_come_in_one_order() {
        let closing = |up_ms, down_ms| {
            let mut events = vec![
                ev(0, "client", runs("ssh server x")),
                ev(1, "proxy", opened()),
                ev(up_ms, "proxy", passed(Dir::ClientToServer, Segment::Fin)),
                ev(down_ms, "proxy", passed(Dir::ServerToClient, Segment::Fin)),
                ev(900, "proxy", ended(1, 1)),
            ];
            events.sort_by_key(|e| e.at);
            normalize(&events)
        };
        assert_eq!(closing(100, 101), closing(101, 100));
        assert_eq!(
            closing(100, 101)[2],
            "proxy              connection 1: the client closes (FIN, or RST with bytes unread)"
        );
    }

    #[test]
    fn a_client_that_closes_with_rst_reads_as_one_that_closes_with_fin() {
        let closing = |ends: &[TcpEvent]| {
            let mut events = vec![
                ev(0, "client", runs("ssh server x")),
                ev(1, "proxy", opened()),
            ];
            for end in ends {
                events.push(ev(100, "proxy", end.clone()));
            }
            events.push(ev(900, "proxy", ended(1, 1)));
            normalize(&events)
        };
        assert_eq!(
            closing(&[passed(Dir::ClientToServer, Segment::Rst)]),
            closing(&[
                passed(Dir::ClientToServer, Segment::Fin),
                passed(Dir::ServerToClient, Segment::Fin)
            ])
        );
    }

    #[test]
    fn a_bulk_transfer_keeps_its_size_in_mib() {
        let text = |up, down| {
            let line = ProxyLine::Ended {
                conn: 1,
                client_to_server: up,
                server_to_client: down,
            };
            proxy(&line).map(|(_, _, text)| text)
        };
        assert_eq!(
            text(2517, 1_052_418).as_deref(),
            Some("connection 1 ended, about 1 MiB server -> client")
        );
        assert_eq!(text(3673, 3577).as_deref(), Some("connection 1 ended"));
    }

    #[test]
    fn pids_are_taken_out_and_other_brackets_stay() {
        assert_eq!(without_pids("a[1], b[22] c[x] d[]"), "a, b c[x] d[]");
        let heal = ProxyLine::Heal { bytes: 0, fins: 1 };
        assert_eq!(
            proxy(&heal).map(|(_, _, text)| text).as_deref(),
            Some("heal: bytes held are forwarded, then 1 FIN(s)")
        );
        assert_eq!(
            without_byte_counts("client -> server 12 bytes held"),
            "client -> server bytes held"
        );
    }
}
