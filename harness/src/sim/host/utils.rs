//! The utilities the simulated hosts know, each as its POSIX page (XCU
//! "Utilities") or coreutils describes it, reduced to the options listed.

use std::sync::Arc;
use std::time::Duration;

use super::env::HostEnv;
use super::redirect::open_read;
use super::{file_utils, shell, ssh, wrappers};
use crate::sim::unix::{Errno, Proc, Program, Signal, Termios, saturating};

/// coreutils' read size for cat and head (io_blksize: 128 KiB).
const IO_BLOCK: usize = 128 * 1024;

/// Runs the utility `argv[0]` in `proc`; resolves to its exit status.
/// (Boxed: the wrappers run utilities in turn.)
pub fn run_utility(proc: Proc, env: Arc<HostEnv>, argv: Vec<String>) -> Program {
    Box::pin(async move { utility(proc, env, argv).await })
}

async fn utility(proc: Proc, env: Arc<HostEnv>, argv: Vec<String>) -> i32 {
    match argv[0].as_str() {
        "sleep" => sleep(&proc, &argv).await,
        // A stand-in for a long-running program that writes nothing (the
        // seed documents' `xterm &`): it runs until a signal ends it.
        "xterm" => std::future::pending().await,
        "cat" => cat(&proc, &argv).await,
        "head" => head(&proc, &argv).await,
        "yes" => yes(&proc, &argv).await,
        "wc" => wc(&proc, &argv).await,
        "kill" => kill(&proc, &argv).await,
        "nohup" => wrappers::nohup(proc, env, argv).await,
        "setsid" => wrappers::setsid(proc, env, argv).await,
        "timeout" => wrappers::timeout(proc, env, argv).await,
        "sh" => sh(proc, env, argv).await,
        "ssh" => ssh::ssh(proc, env, argv).await,
        "scp" => super::scp::scp(proc, env, argv).await,
        "tmux" => super::tmux::tmux(proc, env, argv).await,
        "pkill" => pkill(&proc, &argv).await,
        "stty" => stty(&proc, &argv).await,
        "touch" => file_utils::touch(&proc, &argv).await,
        "rm" => file_utils::rm(&proc, &argv).await,
        "mkdir" => file_utils::mkdir(&proc, &argv).await,
        // Named by its path, as sshd's Subsystem line runs it.
        program if super::sftp::is_sftp_server(program) => super::sftp::sftp_server(proc).await,
        _ => run_builtin_utility(&proc, &argv).await,
    }
}

/// The utilities a shell runs without forking (and that also exist as
/// programs, for `nohup echo`).
pub async fn run_builtin_utility(proc: &Proc, argv: &[String]) -> i32 {
    match argv[0].as_str() {
        "true" => 0,
        "false" => 1,
        "echo" => echo(proc, argv).await,
        "printf" => printf(proc, argv).await,
        "test" => file_utils::test(proc, argv).await,
        name => {
            let _ = proc
                .write(2, format!("sh: {name}: not found\n").as_bytes())
                .await;
            127
        }
    }
}

async fn complain(proc: &Proc, text: String) -> i32 {
    let _ = proc.write(2, format!("{text}\n").as_bytes()).await;
    1
}

/// A duration operand of sleep(1) and timeout(1): seconds with an optional
/// fraction and an optional unit suffix s, m, h or d. As in coreutils, any
/// value strtod(3) reads is taken (`1e300`, `inf`) and one too long for
/// the clock saturates: it means "forever" ([`saturating::FOREVER`]).
pub fn parse_seconds(text: &str) -> Option<Duration> {
    let (number, scale) = match text.chars().last()? {
        's' => (&text[..text.len() - 1], 1.0),
        'm' => (&text[..text.len() - 1], 60.0),
        'h' => (&text[..text.len() - 1], 3600.0),
        'd' => (&text[..text.len() - 1], 86400.0),
        _ => (text, 1.0),
    };
    let value: f64 = number.parse().ok()?;
    saturating::from_secs(value * scale)
}

/// sleep(1): suspends for the sum of its operands (the sum saturates too).
async fn sleep(proc: &Proc, argv: &[String]) -> i32 {
    let mut total = Duration::ZERO;
    for arg in &argv[1..] {
        match parse_seconds(arg) {
            Some(d) => total = saturating::capped(total.saturating_add(d)),
            None => return complain(proc, format!("sleep: invalid time interval '{arg}'")).await,
        }
    }
    crate::sim::clock::sleep(total).await;
    0
}

/// echo(1p) with `-n`, as dash's built-in.
async fn echo(proc: &Proc, argv: &[String]) -> i32 {
    let (newline, words) = match argv.get(1).map(String::as_str) {
        Some("-n") => (false, &argv[2..]),
        _ => (true, &argv[1..]),
    };
    let mut text = words.join(" ");
    if newline {
        text.push('\n');
    }
    match proc.write(1, text.as_bytes()).await {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// printf(1p), basic: `%s`, `%d`, `%%`, and the escapes `\n`, `\t`, `\\`.
/// The format is reused while operands remain.
async fn printf(proc: &Proc, argv: &[String]) -> i32 {
    let Some(format) = argv.get(1) else {
        return complain(proc, "printf: usage: printf format [arguments]".into()).await;
    };
    let mut args = argv[2..].iter();
    let mut out = String::new();
    loop {
        let mut used = false;
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('\\') => out.push('\\'),
                    Some(other) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => out.push('\\'),
                },
                '%' => match chars.next() {
                    Some('%') => out.push('%'),
                    Some('s') | Some('d') => {
                        used = true;
                        out.push_str(args.next().map(String::as_str).unwrap_or(""));
                    }
                    Some(other) => {
                        out.push('%');
                        out.push(other);
                    }
                    None => out.push('%'),
                },
                c => out.push(c),
            }
        }
        if !used || args.len() == 0 {
            break;
        }
    }
    match proc.write(1, out.as_bytes()).await {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// Copies fd `from` to stdout in blocks until EOF; returns false on a
/// write error.
async fn copy_to_stdout(proc: &Proc, from: u32, mut limit: Option<u64>) -> Result<(), Errno> {
    loop {
        let max = match limit {
            Some(0) => return Ok(()),
            Some(n) => (n as usize).min(IO_BLOCK),
            None => IO_BLOCK,
        };
        let block = proc.read(from, max).await?;
        if block.is_empty() {
            return Ok(());
        }
        if let Some(n) = limit.as_mut() {
            *n -= block.len() as u64;
        }
        proc.write(1, &block).await?;
        proc.kernel.pace().await;
    }
}

/// Opens `name` on a spare descriptor of the process (3) for reading.
fn open_operand(proc: &Proc, name: &str) -> Result<u32, String> {
    let file = open_read(&proc.kernel, name)?;
    let mut fds = proc.fds();
    fds.set(3, file);
    proc.kernel.set_fds(proc.pid, fds);
    Ok(3)
}

/// cat(1): copies each FILE, or stdin, to stdout.
async fn cat(proc: &Proc, argv: &[String]) -> i32 {
    let files: Vec<&String> = argv[1..].iter().collect();
    if files.is_empty() {
        return i32::from(copy_to_stdout(proc, 0, None).await.is_err());
    }
    for name in files {
        let fd = match open_operand(proc, name) {
            Ok(fd) => fd,
            Err(e) => return complain(proc, format!("cat: {e}")).await,
        };
        if copy_to_stdout(proc, fd, None).await.is_err() {
            return 1;
        }
    }
    0
}

/// head(1) with `-c N`: copies the first N bytes of FILE or stdin.
async fn head(proc: &Proc, argv: &[String]) -> i32 {
    let (count, rest) = match (argv.get(1).map(String::as_str), argv.get(2)) {
        (Some("-c"), Some(n)) => (byte_count(n), &argv[3..]),
        _ => (None, &argv[1..]),
    };
    let Some(count) = count else {
        return complain(proc, "head: only `head -c N [FILE]` is supported".into()).await;
    };
    let fd = match rest.first() {
        Some(name) => match open_operand(proc, name) {
            Ok(fd) => fd,
            Err(e) => return complain(proc, format!("head: {e}")).await,
        },
        None => 0,
    };
    i32::from(copy_to_stdout(proc, fd, Some(count)).await.is_err())
}

/// A count with GNU head's multiplier suffixes (head(1): `b` 512, `kB`
/// 1000, `K` 1024, `MB` 1000*1000, `M` 1024*1024, `G` 1024^3).
fn byte_count(text: &str) -> Option<u64> {
    let digits = text.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit: u64 = match &text[digits.len()..] {
        "" => 1,
        "b" => 512,
        "kB" => 1000,
        "K" | "KiB" => 1024,
        "MB" => 1000 * 1000,
        "M" | "MiB" => 1024 * 1024,
        "G" | "GiB" => 1024 * 1024 * 1024,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

/// wc(1) with `-c` (bytes) or `-l` (newlines) of FILE or stdin; the
/// count alone for stdin, followed by the name for a file.
async fn wc(proc: &Proc, argv: &[String]) -> i32 {
    let (lines, rest) = match argv.get(1).map(String::as_str) {
        Some("-c") => (false, &argv[2..]),
        Some("-l") => (true, &argv[2..]),
        _ => {
            return complain(
                proc,
                "wc: only `wc -c [FILE]` and `wc -l [FILE]` are supported".into(),
            )
            .await;
        }
    };
    let fd = match rest.first() {
        Some(name) => match open_operand(proc, name) {
            Ok(fd) => fd,
            Err(e) => return complain(proc, format!("wc: {e}")).await,
        },
        None => 0,
    };
    let mut count = 0u64;
    loop {
        let block = match proc.read(fd, IO_BLOCK).await {
            Ok(block) if block.is_empty() => break,
            Ok(block) => block,
            Err(_) => return 1,
        };
        count += if lines {
            block.iter().filter(|b| **b == b'\n').count() as u64
        } else {
            block.len() as u64
        };
        proc.kernel.pace().await;
    }
    let text = match rest.first() {
        Some(name) => format!("{count} {name}\n"),
        None => format!("{count}\n"),
    };
    i32::from(proc.write(1, text.as_bytes()).await.is_err())
}

/// yes(1): writes the line (default `y`) until a write fails.
async fn yes(proc: &Proc, argv: &[String]) -> i32 {
    let line = if argv.len() > 1 {
        argv[1..].join(" ")
    } else {
        "y".into()
    };
    let block = format!("{line}\n").repeat(8192 / (line.len() + 1) + 1);
    loop {
        if proc.write(1, block.as_bytes()).await.is_err() {
            return 1;
        }
        proc.kernel.pace().await;
    }
}

/// kill(1p): `kill [-SIG | -s SIG] pid...`; a negative pid names a group.
pub async fn kill(proc: &Proc, argv: &[String]) -> i32 {
    let mut sig = Signal::Term;
    let mut rest = &argv[1..];
    if let Some(first) = rest.first() {
        if first == "-s" {
            match rest.get(1).and_then(|s| Signal::parse(s)) {
                Some(s) => sig = s,
                None => {
                    return complain(proc, "kill: usage: kill [-s SIG | -SIG] pid...".into()).await;
                }
            }
            rest = &rest[2..];
        } else if let Some(name) = first.strip_prefix('-')
            && let Some(s) = Signal::parse(name)
        {
            sig = s;
            rest = &rest[1..];
        }
    }
    let from = proc.label();
    let mut status = 0;
    for target in rest {
        let delivered = match target.parse::<i64>() {
            Ok(n) if n < 0 => proc.kernel.signal_group((-n) as u32, sig, &from),
            Ok(n) => proc.kernel.signal(n as u32, sig, &from),
            Err(_) => false,
        };
        if !delivered {
            status = complain(proc, format!("kill: ({target}) - No such process")).await;
        }
    }
    // Let a signal to ourselves take effect before we go on (kill(2)
    // delivers a signal to the caller before it returns).
    tokio::task::yield_now().await;
    status
}

/// stty(1) on stdin's terminal: `size` prints `ROWS COLS`; `tostop`,
/// `-tostop`, `echo`, `-echo`, `raw` and `sane` change its settings (from a
/// background job that raises SIGTTOU, XBD 11.1.4).
async fn stty(proc: &Proc, argv: &[String]) -> i32 {
    let Ok(mut termios) = proc.tcgetattr(0) else {
        return complain(
            proc,
            "stty: 'standard input': Inappropriate ioctl for device".into(),
        )
        .await;
    };
    if argv.get(1).map(String::as_str) == Some("size") {
        let Some(tty) = proc.fd(0).and_then(|f| f.as_tty().cloned()) else {
            return 1;
        };
        let (cols, rows) = tty.size();
        return i32::from(
            proc.write(1, format!("{rows} {cols}\n").as_bytes())
                .await
                .is_err(),
        );
    }
    for setting in &argv[1..] {
        termios = match setting.as_str() {
            "tostop" => Termios {
                tostop: true,
                ..termios
            },
            "-tostop" => Termios {
                tostop: false,
                ..termios
            },
            "echo" => Termios {
                echo: true,
                ..termios
            },
            "-echo" => Termios {
                echo: false,
                ..termios
            },
            "raw" => termios.raw(),
            "sane" => Termios::sane(),
            other => return complain(proc, format!("stty: invalid argument '{other}'")).await,
        };
    }
    i32::from(proc.tcsetattr(0, termios).await.is_err())
}

/// pkill(1) (procps) `[-SIGNAL] [-x] NAME`: signals every process of that
/// exact name but itself; status 1 when none matched.
async fn pkill(proc: &Proc, argv: &[String]) -> i32 {
    // pkill(1) -x: match the whole name, which is how the model always
    // matches, so it is taken and changes nothing.
    let words: Vec<&String> = argv[1..].iter().filter(|w| *w != "-x").collect();
    let (sig, name) = match words.as_slice() {
        [name] => (Signal::Term, *name),
        [flag, name] => match flag.strip_prefix('-').and_then(Signal::parse) {
            Some(sig) => (sig, *name),
            None => return complain(proc, format!("pkill: unknown signal {flag}")).await,
        },
        _ => return complain(proc, "pkill: usage: pkill [-SIGNAL] [-x] NAME".into()).await,
    };
    let from = proc.label();
    let targets: Vec<_> = proc
        .kernel
        .live()
        .into_iter()
        .filter(|(pid, n)| n == name && *pid != proc.pid)
        .collect();
    for (pid, _) in &targets {
        proc.kernel.signal(*pid, sig, &from);
    }
    tokio::task::yield_now().await;
    if targets.is_empty() { 1 } else { 0 }
}

/// sh(1p) `-c string`: a new shell running the string.
async fn sh(proc: Proc, env: Arc<HostEnv>, argv: Vec<String>) -> i32 {
    let Some(command) = argv
        .iter()
        .position(|a| a == "-c")
        .and_then(|i| argv.get(i + 1))
    else {
        return complain(&proc, "sh: only `sh -c 'command'` is supported".into()).await;
    };
    match hangar_shell::parse(command) {
        // /bin/sh is dash on Debian.
        Ok(script) => shell::dash_program(script, env)(proc.clone()).await,
        Err(e) => {
            let _ = proc
                .write(2, format!("sh: syntax error: {}\n", e.message).as_bytes())
                .await;
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{byte_count, parse_seconds};
    use crate::sim::host::testing::run_line;
    use crate::sim::unix::{WaitStatus, saturating};

    #[test]
    fn pkill_takes_a_signal_and_minus_x_and_says_when_nothing_matched() {
        let ran = run_line(
            "sleep 10 & pkill -x -STOP sleep; echo $?; pkill sleep; echo $?",
            &[],
        );
        assert_eq!(ran.stdout, "0\n0\n");
        assert!(ran.trace.contains("SIGSTOP"), "{}", ran.trace);
        let ran = run_line("pkill -x nothing; echo $?; pkill -x -y sleep", &[]);
        assert_eq!(ran.stdout, "1\n");
        assert!(ran.stderr.contains("unknown signal -y"), "{}", ran.stderr);
    }

    #[test]
    fn sleep_takes_virtual_time_with_units_and_fractions() {
        assert_eq!(parse_seconds("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_seconds("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_seconds("x"), None);
        assert_eq!(parse_seconds("-1"), None);
        let ran = run_line("sleep 0.5 1", &[]);
        assert_eq!(ran.ended_at, Duration::from_millis(1500));
    }

    #[test]
    fn durations_beyond_the_clock_saturate_to_forever() {
        for text in ["1e300", "18446744073709551615", "inf", "1e19d"] {
            assert_eq!(parse_seconds(text), Some(saturating::FOREVER), "{text}");
        }
        let ran = run_line("timeout 1e300 sleep 1; sleep 1e19 1e19 & echo started", &[]);
        assert_eq!(ran.status, WaitStatus::Exited(0));
        assert_eq!(ran.stdout, "started\n");
        assert_eq!(ran.ended_at, Duration::from_secs(1));
    }

    #[test]
    fn dev_zero_and_dev_urandom_give_as_much_as_asked() {
        let ran = run_line(
            "head -c 300000 /dev/zero > copy; head -c 8 /dev/urandom > r; head -c 8 /dev/urandom",
            &[],
        );
        assert_eq!(ran.kernel.written("copy"), 300_000);
        assert_eq!(ran.kernel.written("r"), 8);
        assert!(
            !ran.stdout.is_empty() && !ran.stdout.contains('\0'),
            "not zeros"
        );
        let ran = run_line("head -c 3 /dev/zero", &[]);
        assert_eq!(ran.stdout, "\0\0\0");
    }

    #[test]
    fn an_endless_copy_into_dev_null_lets_time_run() {
        // Every write succeeds at once; the writer's time slice ends
        // (cpu.rs), so timeout(1) comes.
        for line in ["cat /dev/zero > /dev/null", "yes > /dev/null", "yes"] {
            let ran = run_line(&format!("timeout 1 {line}"), &[]);
            assert_eq!(ran.status, WaitStatus::Exited(124), "{line}");
            assert_eq!(ran.ended_at, Duration::from_secs(1), "{line}");
        }
    }

    #[test]
    fn cat_copies_a_virtual_file_and_head_cuts_it() {
        let ran = run_line("cat big", &[("big", 200_000)]);
        assert_eq!(ran.stdout.len(), 200_000);
        let ran = run_line("head -c 10 big", &[("big", 200_000)]);
        assert_eq!(ran.stdout, "abcdefghij");
    }

    #[test]
    fn a_missing_file_is_an_error_on_stderr() {
        let ran = run_line("cat nothing", &[]);
        assert_eq!(ran.status, WaitStatus::Exited(1));
        assert_eq!(ran.stderr, "cat: nothing: No such file or directory\n");
    }

    #[test]
    fn printf_formats_and_echo_minus_n_omits_the_newline() {
        let ran = run_line("printf '%s=%d\\n' a 1 b 2; echo -n x", &[]);
        assert_eq!(ran.stdout, "a=1\nb=2\nx");
    }

    #[test]
    fn kill_signals_a_process_group_with_a_negative_pid() {
        // setsid[3] forks pid 4, which leads a new group and session and
        // execs `sh -c` (dash); its `sleep 5 &` is pid 5 and its last
        // `sleep 5` pid 6, in the same group.
        let ran = run_line(
            "setsid -f sh -c 'sleep 5 & sleep 5'; kill -TERM -4; echo $?",
            &[],
        );
        assert_eq!(ran.stdout, "0\n");
        for pid in [5, 6] {
            let name = format!("sleep[{pid}]");
            let killed = ran
                .trace
                .lines()
                .any(|l| l.contains(&name) && l.ends_with("killed by SIGTERM"));
            assert!(killed, "{}", ran.trace);
        }
        assert!(ran.kernel.live().is_empty());
    }

    #[test]
    fn kill_of_a_missing_process_fails() {
        let ran = run_line("kill 99; echo $?", &[]);
        assert_eq!(ran.stdout, "1\n");
        assert_eq!(ran.stderr, "kill: (99) - No such process\n");
    }

    #[test]
    fn counts_take_heads_suffixes() {
        assert_eq!(byte_count("1M"), Some(1 << 20));
        assert_eq!(byte_count("2K"), Some(2048));
        assert_eq!(byte_count("1kB"), Some(1000));
        assert_eq!(byte_count("3"), Some(3));
        assert_eq!(byte_count("1Q"), None);
        assert_eq!(byte_count("M"), None);
        assert_eq!(byte_count("99999999999999999999G"), None);
    }

    #[test]
    fn wc_counts_bytes_or_lines_of_stdin_or_a_file() {
        assert_eq!(run_line("wc -c big", &[("big", 1000)]).stdout, "1000 big\n");
        assert_eq!(run_line("printf 'a\\nb\\n' | wc -l", &[]).stdout, "2\n");
        let ran = run_line("wc -w", &[]);
        assert_eq!(ran.status, WaitStatus::Exited(1));
        assert!(ran.stderr.contains("wc -c"), "{}", ran.stderr);
    }
}
