//! The HTML transcript opened in a real browser: headless Chromium renders
//! the chart, and the screenshot is kept as test output at
//! `target/transcript-screenshot.png`.
//!
//! Skips with a notice, recorded for `tests/run`'s summary, when
//! `/usr/bin/chromium` is absent (`tests/run` installs Debian's `chromium`).

#[path = "support/skip.rs"]
#[allow(dead_code)]
mod skip;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tweetchat::transcript::{self, Capture, Transcript, chart};

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium_present() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    skip::skip(&format!(
        "{CHROMIUM} is absent (install Debian's chromium, or run bash tests/run as root)"
    ));
    false
}

/// Writes the sample transcript's pages to a temporary state folder.
fn written_page(state: &Path) -> (Transcript, PathBuf) {
    let data =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/transcript/2026-12-02.posts.json");
    let built = Transcript::build(&Capture::load(&data).unwrap()).unwrap();
    let written = transcript::write(state, &built).unwrap();
    (built, written.html)
}

/// Runs headless Chromium with `mode` (`--screenshot=…` or `--dump-dom`) on
/// `page`, killing it if it hangs.
fn chromium(page: &Path, mode: &str) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1200,900",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(mode)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("chromium did not finish within two minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn the_rendered_dom_holds_the_chart_with_every_bar_and_question() {
    if !chromium_present() {
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let (built, page) = written_page(state.path());
    let out = chromium(&page, "--dump-dom");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert_eq!(dom.matches("<svg class=\"chart\"").count(), 1, "one chart");
    let (_, per_minute) = chart::posts_per_minute(&built);
    let busy_minutes = per_minute.iter().filter(|&&c| c > 0).count();
    assert!(busy_minutes > 30, "the sample is busy enough to chart");
    assert_eq!(dom.matches("class=\"bar\"").count(), busy_minutes);
    assert_eq!(
        dom.matches("class=\"q-marker\"").count(),
        built.questions.len()
    );
    for q in &built.questions {
        assert!(dom.contains(&format!(">Q{}</text>", q.n)), "label Q{}", q.n);
    }
    assert!(!dom.contains("<script"), "no script came alive in the DOM");
}

#[test]
fn the_page_renders_to_a_screenshot() {
    if !chromium_present() {
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let (_, page) = written_page(state.path());
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let shot = target.join("transcript-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let out = chromium(&page, &format!("--screenshot={}", shot.display()));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        png.len() > 20_000,
        "a page with content, not a blank: {} bytes",
        png.len()
    );
    println!("screenshot: {}", shot.display());
}
