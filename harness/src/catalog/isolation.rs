//! Runs isolated from each other: a panic in one run becomes that run's
//! error, carrying the panic's message and place, and the other runs go
//! on. The process then exits 3 (the harness failed) once every run has
//! been reported.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A run that did not produce a result: the harness's own failure, with
/// what the report shows of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunFailure(pub String);

impl std::fmt::Display for RunFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

thread_local! {
    /// Whether this thread is inside [`isolated`]: its panics are the
    /// run's report, not a message on stderr.
    static ISOLATED: Cell<bool> = const { Cell::new(false) };
    /// The first panic of this thread's current [`isolated`] run: where
    /// and what. The first, because a runtime that catches a task's panic
    /// panics again with a message of its own that names neither.
    static FIRST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs, once per process, a panic hook that keeps the message and
/// location of a panic inside [`isolated`] for the report, and leaves
/// every other panic to the hook that was there before.
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if ISOLATED.with(Cell::get) {
                let mut place = info
                    .location()
                    .map_or(String::new(), |l| format!(" at {}:{}", l.file(), l.line()));
                // A panic inside the standard library (an `Instant` plus a
                // huge `Duration`) names std's line: add the caller's.
                if info
                    .location()
                    .is_some_and(|l| l.file().starts_with(STD_SOURCES))
                    && let Some(caller) = first_caller_outside_std()
                {
                    place.push_str(&format!(", called from {caller}"));
                }
                let text = format!("panicked{place}: {}", payload_text(info.payload()));
                FIRST_PANIC.with(|first| {
                    first.borrow_mut().get_or_insert(text);
                });
            } else {
                previous(info);
            }
        }));
    });
}

/// Where the standard library's sources are, in panic locations and
/// backtraces.
const STD_SOURCES: &str = "/rustc/";

/// The first frame of the panicking code that is not the standard
/// library's, as `file:line` (the build keeps line tables). The backtrace
/// starts in the hook itself: its frames, then std's panic machinery, then
/// the code that panicked.
fn first_caller_outside_std() -> Option<String> {
    let trace = std::backtrace::Backtrace::force_capture().to_string();
    let mut frames = trace
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("at "))
        .map(|at| (at.starts_with(STD_SOURCES), at))
        .skip_while(|(in_std, _)| *in_std)
        .skip_while(|(in_std, _)| !*in_std);
    let (_, at) = frames.find(|(in_std, _)| !*in_std)?;
    Some(without_column(at).to_string())
}

/// `file:line:column` -> `file:line`; a frame without a column keeps its
/// line.
fn without_column(at: &str) -> &str {
    match at.rsplit_once(':') {
        Some((place, _))
            if place
                .rsplit_once(':')
                .is_some_and(|(_, l)| l.parse::<u32>().is_ok()) =>
        {
            place
        }
        _ => at,
    }
}

/// The message a panic carries (`panic!("...")` gives a `&str` or a
/// `String`; anything else is unnamed).
fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// Runs `run`; a panic in it comes back as a [`RunFailure`] saying where
/// and what, instead of unwinding into the caller.
pub fn isolated<T>(run: impl FnOnce() -> T) -> Result<T, RunFailure> {
    install_hook();
    let was = ISOLATED.with(|i| i.replace(true));
    let before = FIRST_PANIC.with(|first| first.borrow_mut().take());
    let result = panic::catch_unwind(AssertUnwindSafe(run));
    ISOLATED.with(|i| i.set(was));
    let first = FIRST_PANIC.with(|first| first.replace(before));
    result.map_err(|payload| {
        let text = first.unwrap_or_else(|| format!("panicked: {}", payload_text(payload.as_ref())));
        RunFailure(text)
    })
}

/// Runs every job on `workers` threads, each job isolated; results come
/// back in the order of `jobs`, so a report does not depend on which
/// worker ran what, and a job that panicked has its [`RunFailure`] in its
/// place.
pub fn run_isolated<J: Sync, T: Send>(
    jobs: &[J],
    workers: usize,
    run: impl Fn(&J) -> T + Sync,
) -> Vec<Result<T, RunFailure>> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<T, RunFailure>>>> =
        jobs.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, jobs.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else {
                        break;
                    };
                    let result = isolated(|| run(job));
                    *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| Err(RunFailure("the run did not report".to_string())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_job_is_its_own_error_and_the_others_still_run() {
        let jobs: Vec<u32> = (0..6).collect();
        let results = run_isolated(&jobs, 2, |&n| {
            if n == 3 {
                panic!("job {n} broke");
            }
            n * 10
        });
        assert_eq!(results.len(), 6);
        for (n, result) in results.iter().enumerate() {
            if n == 3 {
                let RunFailure(text) = result.as_ref().unwrap_err();
                assert!(text.contains("job 3 broke"), "{text}");
                assert!(text.contains("isolation.rs:"), "the place: {text}");
            } else {
                assert_eq!(result.as_ref().unwrap(), &(n as u32 * 10));
            }
        }
    }

    #[test]
    fn the_first_panic_is_reported_not_the_one_that_caught_it() {
        let failure = isolated(|| {
            let inner = std::panic::catch_unwind(|| panic!("the cause"));
            assert!(inner.is_err());
            panic!("a task panicked");
        })
        .unwrap_err();
        assert!(failure.0.ends_with(": the cause"), "{failure}");
        // A run that caught its own panic and went on is not a failure,
        // and leaves nothing behind for the next run's report.
        let went_on = isolated(|| std::panic::catch_unwind(|| panic!("handled")).is_err());
        assert_eq!(went_on, Ok(true));
        let next = isolated(|| -> () { panic!("next") }).unwrap_err();
        assert!(next.0.ends_with(": next"), "{next}");
    }

    #[test]
    fn a_panic_inside_the_standard_library_names_its_caller() {
        let far = std::time::Instant::now();
        let huge = std::time::Duration::MAX;
        let line = line!() + 1;
        let failure = isolated(|| far + huge).unwrap_err();
        let caller = format!("catalog/isolation.rs:{line}: overflow");
        assert!(failure.0.contains(&caller), "{failure}");
    }

    #[test]
    fn a_frame_keeps_its_line_with_or_without_a_column() {
        assert_eq!(
            without_column("src/sim/runner.rs:204:17"),
            "src/sim/runner.rs:204"
        );
        assert_eq!(
            without_column("src/sim/runner.rs:204"),
            "src/sim/runner.rs:204"
        );
    }

    #[test]
    fn a_panic_with_a_formatted_message_keeps_it() {
        let failure = isolated(|| -> u8 { panic!("{} and {}", "this", "that") }).unwrap_err();
        assert!(failure.0.ends_with(": this and that"), "{failure}");
        // The thread is not left isolated: its next isolated run is clean.
        assert_eq!(isolated(|| 7), Ok(7));
    }
}
