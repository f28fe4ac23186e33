//! `hangar pkill ARGS...`: pkill(1) within one run. The real lane puts it
//! first in PATH, as `pkill`, on both hosts (the client's command lines and
//! terminal, the server's sessions): a scenario's `pkill -KILL ssh` must
//! reach the run's own `ssh`, never another user's.
//!
//! pgrep(1) selects the processes as pkill would (the same options, the
//! same pattern), and only those carrying the caller's own run marker
//! ([`MARKER`] in `/proc/<pid>/environ`, `processes.rs`) get the signal.
//! The client host's processes carry `<run>:client`, the server host's
//! `<run>`, so a pkill reaches its own host's processes of the run, as
//! on two machines. Outside a run it refuses.
//!
//! `killall` gets a wrapper that refuses: its options are not pkill's,
//! and `pkill -x NAME` says the same.

use std::process::{Command, Stdio};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::processes::{MARKER, read_marker};

/// What a pkill command line asks for.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    signal: Signal,
    /// `-e`: say what was killed.
    echo: bool,
    /// `-c`: print how many were signalled.
    count: bool,
    /// What pgrep gets: the selection and the pattern.
    select: Vec<String>,
}

/// A signal as pkill(1) names it: `KILL`, `SIGKILL` or `9`.
fn signal_named(name: &str) -> Option<Signal> {
    if let Ok(n) = name.parse::<i32>() {
        return Signal::try_from(n).ok();
    }
    let upper = name.to_ascii_uppercase();
    let full = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    full.parse().ok()
}

/// pkill's own options out of `args`; the rest is pgrep's. As procps does
/// (pgrep.c, signal_option), `-<signal>` counts wherever it stands.
fn parse(args: &[String]) -> Result<Request, String> {
    let mut request = Request {
        signal: Signal::SIGTERM,
        echo: false,
        count: false,
        select: Vec::new(),
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let signal = |name: &str| {
            signal_named(name).ok_or_else(|| format!("`{name}` is not a signal (e.g. `-KILL`)"))
        };
        match arg.as_str() {
            "--signal" => {
                let name = rest.next().ok_or("`--signal` needs a signal")?;
                request.signal = signal(name)?;
            }
            "-e" | "--echo" => request.echo = true,
            "-c" | "--count" => request.count = true,
            "-q" | "--queue" => {
                return Err("`-q` (sigqueue with a value) is not run in the real lane".into());
            }
            a if a.starts_with("--signal=") => request.signal = signal(&a["--signal=".len()..])?,
            // Upper case only: `-io` is pgrep's `-i -o`, not SIGIO.
            a if a.starts_with('-')
                && a.len() > 2
                && a[1..]
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                && signal_named(&a[1..]).is_some() =>
            {
                request.signal = signal(&a[1..])?;
            }
            // A lone `-9` is a signal too; `-1` .. `-64` are no options of pgrep.
            a if a.len() == 2 && a.starts_with('-') && a[1..].parse::<i32>().is_ok() => {
                request.signal = signal(&a[1..])?;
            }
            _ => request.select.push(arg.clone()),
        }
    }
    Ok(request)
}

/// pgrep(1) where procps puts it.
fn pgrep() -> Option<&'static str> {
    ["/usr/bin/pgrep", "/bin/pgrep"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

/// Runs `pkill ARGS` on the caller's run; returns pkill's exit status: 0
/// when some process was signalled, 1 when none matched, 2 for bad
/// arguments, 3 when it could not run.
pub fn pkill(args: &[String]) -> i32 {
    let Ok(marker) = std::env::var(MARKER) else {
        eprintln!(
            "pkill: {MARKER} is not set: hangar's pkill signals only the processes of the run that calls it"
        );
        return 2;
    };
    let request = match parse(args) {
        Ok(request) => request,
        Err(e) => {
            eprintln!("pkill: {e}");
            return 2;
        }
    };
    let Some(pgrep) = pgrep() else {
        eprintln!("pkill: pgrep(1) is not installed (Debian package `procps`)");
        return 3;
    };
    let found = match Command::new(pgrep)
        .args(&request.select)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
    {
        Ok(found) => found,
        Err(e) => {
            eprintln!("pkill: {pgrep}: {e}");
            return 3;
        }
    };
    // pgrep: 1 is "nothing matched"; 2 and 3 are its errors, said already.
    match found.status.code() {
        Some(0 | 1) => {}
        Some(code) => return code,
        None => return 3,
    }
    let me = std::process::id();
    let mut signalled = 0;
    for pid in String::from_utf8_lossy(&found.stdout)
        .split_whitespace()
        .filter_map(|p| p.parse::<u32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| read_marker(*pid).flatten().as_deref() == Some(marker.as_str()))
    {
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if kill(Pid::from_raw(pid as i32), request.signal).is_ok() {
            signalled += 1;
            if request.echo {
                println!("{} killed (pid {pid})", name.trim());
            }
        }
    }
    if request.count {
        println!("{signalled}");
    }
    if signalled > 0 { 0 } else { 1 }
}

/// The `pkill` that runs [`pkill`] through `hangar`, and the `killall`
/// that refuses, as shell scripts for a PATH directory.
pub fn wrappers(hangar: Option<&std::path::Path>) -> [(&'static str, String); 2] {
    let pkill = match hangar {
        Some(hangar) => format!(
            "#!/bin/sh\nexec '{}' pkill \"$@\"\n",
            hangar.display().to_string().replace('\'', r"'\''")
        ),
        // Refused rather than the machine's pkill, which reaches everyone.
        None => "#!/bin/sh\necho \"pkill: the real lane runs pkill through the hangar executable, \
             which was not found (cargo build, or HANGAR_EXE)\" >&2\nexit 3\n"
            .to_string(),
    };
    let killall = "#!/bin/sh\necho \"killall: the real lane does not run killall, which would \
                   reach processes outside the run; use pkill -x NAME\" >&2\nexit 2\n"
        .to_string();
    [("pkill", pkill), ("killall", killall)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn signals_and_pkills_own_options_are_taken_out_of_pgreps() {
        let r = parse(&args("-KILL ssh")).unwrap();
        assert_eq!((r.signal, r.select), (Signal::SIGKILL, args("ssh")));
        let r = parse(&args("-f -9 sleep")).unwrap();
        assert_eq!((r.signal, r.select), (Signal::SIGKILL, args("-f sleep")));
        let r = parse(&args("--signal HUP -x -e bash")).unwrap();
        assert_eq!((r.signal, r.echo), (Signal::SIGHUP, true));
        assert_eq!(r.select, args("-x bash"));
        let r = parse(&args("--signal=SIGINT -c -t pts/3 cat")).unwrap();
        assert_eq!((r.signal, r.count), (Signal::SIGINT, true));
        assert_eq!(r.select, args("-t pts/3 cat"));
        let r = parse(&args("sleep")).unwrap();
        assert_eq!(r.signal, Signal::SIGTERM);
        // Upper-case one-letter options are pgrep's, not signals.
        assert_eq!(parse(&args("-U 0 x")).unwrap().select, args("-U 0 x"));
        assert_eq!(parse(&args("-io x")).unwrap().select, args("-io x"));
    }

    #[test]
    fn bad_signals_and_sigqueue_are_refused() {
        assert!(
            parse(&args("--signal NOPE x"))
                .unwrap_err()
                .contains("NOPE")
        );
        assert!(parse(&args("--signal")).is_err());
        assert!(parse(&args("-q 3 x")).unwrap_err().contains("-q"));
    }

    #[test]
    fn only_the_callers_run_is_signalled() {
        // Two sleeps under one unique name: one carries the marker.
        let dir = std::env::temp_dir().join(format!("hangar-pkill-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let name = format!("pk{}", std::process::id());
        let program = dir.join(&name);
        std::fs::copy("/bin/sleep", &program).unwrap();
        let marker = format!("pkill-test-{}", std::process::id());
        let spawn = |marked: bool| {
            let mut command = Command::new(&program);
            command.arg("30").env_remove(MARKER);
            if marked {
                command.env(MARKER, &marker);
            }
            command.spawn().unwrap()
        };
        let mut inside = spawn(true);
        let mut outside = spawn(false);
        // Both have exec'd and show their name and environment.
        for child in [&inside, &outside] {
            for _ in 0..200 {
                if read_marker(child.id()).is_some() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        let code = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "real::scoped_kill::tests::pkill_as_a_child",
                "--nocapture",
            ])
            .env(MARKER, &marker)
            .env("HANGAR_PKILL_TEST_NAME", &name)
            .status()
            .unwrap();
        let inside_status = inside.wait().unwrap();
        let outside_alive = outside.try_wait().unwrap().is_none();
        let _ = outside.kill();
        let _ = outside.wait();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(code.success(), "the pkill in the child failed");
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&inside_status),
            Some(9)
        );
        assert!(outside_alive, "the unmarked process was signalled");
    }

    /// [`only_the_callers_run_is_signalled`]'s pkill, in a process of its
    /// own that carries the marker (a no-op when run alone).
    #[test]
    fn pkill_as_a_child() {
        let Ok(name) = std::env::var("HANGAR_PKILL_TEST_NAME") else {
            return;
        };
        assert_eq!(pkill(&args(&format!("-KILL -x {name}"))), 0);
        // Nothing of the run is left to match.
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert_eq!(pkill(&args(&format!("-KILL -x {name}"))), 1);
    }
}
