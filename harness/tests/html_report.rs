//! `--html DIR` seen in a real browser: headless Chromium loads the pages
//! a run wrote, runs their render check (which counts what the browser
//! laid out in each sequence diagram) and takes a screenshot. The pages
//! must stand alone: nothing in them is fetched from anywhere.

mod common;

use common::hangar_in_repo as hangar;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// A browser gets this long per page; then its process group is killed.
const BROWSER_WITHIN: Duration = Duration::from_secs(90);

/// A fresh directory of this test's own, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("hangar-html-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Chromium, or `None` (said loudly) outside CI; in CI it must be there.
fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|path| path.is_file())
        })
    });
    if found.is_none() {
        assert!(
            !in_ci(),
            "headless Chromium is missing in CI: ci/install-peers should have installed it"
        );
        eprintln!(
            "SKIPPED: HTML report browser test: chromium is not installed (run ci/install-peers)"
        );
    }
    found
}

/// Runs headless Chromium in a process group of its own, bounded by
/// [`BROWSER_WITHIN`]; the group is killed when it is done, so no helper
/// process outlives the test. Returns its standard output.
fn browse(browser: &Path, profile: &Path, args: &[String]) -> String {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--disable-background-networking",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("chromium starts");
    let group = Pid::from_raw(child.id() as i32);
    let reader = {
        let mut stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut stdout, &mut text).ok();
            text
        })
    };
    let since = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if since.elapsed() > BROWSER_WITHIN {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Whatever the browser left behind in its group goes with it.
    let _ = killpg(group, Signal::SIGKILL);
    let _ = child.wait();
    let status =
        status.unwrap_or_else(|| panic!("chromium did not finish within {BROWSER_WITHIN:?}"));
    assert!(status.success(), "chromium failed: {status}");
    reader.join().unwrap()
}

/// The numbers after `key ` in a render-check line, or in the diagram's
/// `data-key="N"` attribute.
fn number_after(text: &str, key: &str) -> usize {
    let rest = text
        .split_once(key)
        .unwrap_or_else(|| panic!("no {key:?} in {text}"))
        .1;
    rest.chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .unwrap()
}

/// Checks one page in the browser: every element its diagram says it
/// drew was laid out with a size, and the SVG is not empty.
fn check_rendered(browser: &Path, profile: &Path, page: &Path) {
    let url = format!("file://{}", page.display());
    let dom = browse(browser, profile, &["--dump-dom".to_string(), url]);
    let rendered = dom
        .split_once("data-rendered=\"")
        .unwrap_or_else(|| panic!("the page's render check did not run: {dom}"))
        .1
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        rendered.matches("size ").count(),
        dom.matches("<svg class=\"sequence\"").count(),
        "one render check per diagram: {rendered}"
    );
    let svg = dom.split_once("<svg class=\"sequence\"").unwrap().1;
    assert!(number_after(&rendered, "size ") > 400, "{rendered}");
    for kind in ["rows", "arrows", "bars", "holds", "breaks", "shades"] {
        let drawn = number_after(svg, &format!("data-{kind}=\""));
        let shown = number_after(&rendered, &format!("{kind} "));
        assert_eq!(shown, drawn, "{kind}: {rendered} in {}", page.display());
    }
}

#[test]
fn run_pages_render_in_headless_chromium_with_every_element_they_drew() {
    let dir = Scratch::new("runs");
    let report = dir.path().join("report");
    let out = hangar(&[
        "run",
        "scenarios/pipes/background-job-holds-session.toml",
        "scenarios/net/partitioned-idle-session-never-ends.toml",
        "--target",
        "openssh",
        "--html",
        report.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let index = std::fs::read_to_string(report.join("index.html")).unwrap();
    let pages: Vec<PathBuf> = std::fs::read_dir(&report)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "index.html")
        .collect();
    assert_eq!(pages.len(), 2, "{pages:?}");
    for page in &pages {
        let name = page.file_name().unwrap().to_str().unwrap();
        assert!(index.contains(&format!("href=\"{name}\"")), "{index}");
        let html = std::fs::read_to_string(page).unwrap();
        // Self-contained: nothing to fetch (the SVG namespace is a name,
        // not a request).
        for fetch in ["src=", "<link", "url(http", "@import"] {
            assert!(!html.contains(fetch), "{name} fetches: {fetch}");
        }
        assert!(html.contains("<svg class=\"sequence\""), "{name}");
    }
    let hang = std::fs::read_to_string(
        pages
            .iter()
            .find(|p| p.to_str().unwrap().contains("background-job"))
            .unwrap(),
    )
    .unwrap();
    // The 30 s hang: the job's pipes drawn on its bar, the wait cut short.
    assert!(hang.contains("data-holds=\"2\""), "{hang}");
    assert!(hang.contains("30 s pass"), "{hang}");
    let partitioned = std::fs::read_to_string(
        pages
            .iter()
            .find(|p| p.to_str().unwrap().contains("partitioned"))
            .unwrap(),
    )
    .unwrap();
    assert!(partitioned.contains("data-shades=\"1\""), "{partitioned}");
    assert!(partitioned.contains("who waited for whom"), "{partitioned}");

    let Some(browser) = chromium() else {
        return;
    };
    let profile = dir.path().join("profile");
    for page in &pages {
        check_rendered(&browser, &profile, page);
    }
    let index_url = format!("file://{}", report.join("index.html").display());
    let dom = browse(&browser, &profile, &["--dump-dom".to_string(), index_url]);
    assert_eq!(
        dom.matches("<tr><td><span class=\"verdict pass\">").count(),
        2,
        "{dom}"
    );
    let shot = dir.path().join("page.png");
    browse(
        &browser,
        &profile,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,900".to_string(),
            format!("file://{}", pages[0].display()),
        ],
    );
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 900));
    // A blank page of that size compresses to a few kilobytes; a drawn
    // diagram and its text to far more.
    assert!(png.len() > 40_000, "screenshot of {} bytes", png.len());
}

#[test]
fn explore_writes_a_page_per_outcome_group_with_its_first_seed() {
    let dir = Scratch::new("groups");
    let report = dir.path().join("groups");
    let out = hangar(&[
        "explore",
        "scenarios/race/cat-big.toml",
        "--target",
        "hangar:close-on-exit",
        "--seeds",
        "0..40",
        "--html",
        report.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    // Each group's line is followed by its first seed's.
    let groups = text.lines().filter(|l| l.contains("first seed ")).count();
    let index = std::fs::read_to_string(report.join("index.html")).unwrap();
    let pages = std::fs::read_dir(&report).unwrap().count() - 1;
    assert!(groups >= 1, "{text}");
    assert_eq!(pages, groups, "{text}\n{index}");
    assert!(index.contains("seed(s) run"), "{index}");
}

#[test]
fn an_html_directory_that_cannot_be_made_is_bad_input_before_anything_runs() {
    let dir = Scratch::new("bad");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let out = hangar(&[
        "run",
        "scenarios/exit/exit-status.toml",
        "--html",
        file.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error: --html"), "{stderr}");
    assert!(stderr.contains("example: --html hangar-report"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing ran");
}
