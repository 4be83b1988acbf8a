//! The chat pages in a real browser: headless Chromium in `TZ=Asia/Tokyo`
//! loads them from the served listener (so the page's Content-Security-Policy
//! applies and must let our one script run), and the DOM must hold the
//! chat's Chicago instants in Tokyo time. Screenshots, desktop and phone
//! width, are kept as test output under `target/`.
//!
//! (Without scripts the pages keep UTC and the chat zone, written by the
//! server: tests/pages.rs checks that HTML.)
//!
//! Skips with a notice, recorded for `tests/run`'s summary, when
//! `/usr/bin/chromium` is absent (`tests/run` installs Debian's `chromium`).

mod pages_support;

#[path = "support/skip.rs"]
#[allow(dead_code)]
mod skip;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use pages_support::serve;

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

/// Headless Chromium in Tokyo on `url` with `mode` (`--dump-dom` or
/// `--screenshot=…`) at `size`, killed if it hangs.
fn chromium(url: &str, mode: &str, size: &str) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let mut command = Command::new(CHROMIUM);
    command
        .env("TZ", "Asia/Tokyo")
        .env("LANG", "en_US.UTF-8")
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
            "--lang=en-US",
        ])
        .arg(format!("--window-size={size}"))
        .arg(format!("--user-data-dir={}", profile.path().display()));
    let mut child = command
        .arg(mode)
        .arg(url)
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

async fn dom(url: String) -> String {
    let out = tokio::task::spawn_blocking(move || chromium(&url, "--dump-dom", "1200,900"))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn screenshot(url: String, name: &str, size: &'static str) -> PathBuf {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&target).unwrap();
    let path = target.join(name);
    let _ = std::fs::remove_file(&path);
    let mode = format!("--screenshot={}", path.display());
    let out = tokio::task::spawn_blocking(move || chromium(&url, &mode, size))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&path).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} is not a real screenshot",
        path.display()
    );
    path
}

/// The text of the `<time>` element for `instant`.
fn time_text<'d>(dom: &'d str, instant: &str) -> &'d str {
    let open = format!("<time datetime=\"{instant}\"");
    let start = dom
        .find(&open)
        .unwrap_or_else(|| panic!("no <time> for {instant} in\n{dom}"));
    let rest = &dom[start..];
    let text = &rest[rest.find('>').unwrap() + 1..];
    &text[..text.find("</time>").unwrap()]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_viewer_in_tokyo_sees_a_chicago_chat_in_tokyo_time() {
    if !chromium_present() {
        return;
    }
    let served = serve(None).await;
    let chat = dom(format!("{}/chats/hcsmbm", served.base)).await;
    // Wed 2 Dec 12:00 CST = 18:00Z = Thu 3 Dec 03:00 in Tokyo (UTC+9).
    let next = time_text(&chat, "2026-12-02T18:00:00Z");
    assert!(
        next.contains("03:00") && next.contains("Thu") && next.contains('3'),
        "{next}"
    );
    assert!(next.contains("GMT+9"), "the viewer's zone named: {next}");
    // Q2 at 12:15 CST = 03:15 Tokyo; the chat zone's time stays beside it.
    assert!(time_text(&chat, "2026-12-02T18:15:00Z").contains("03:15"));
    assert!(chat.contains("Wed 2 Dec 12:15 CST (America/Chicago)"));
    assert!(
        chat.contains("Times in your time zone (Asia/Tokyo)"),
        "{chat}"
    );
    // Nothing on the page stayed in UTC once the script ran.
    assert!(!chat.contains(" UTC</time>"), "a time left in UTC");
    assert!(chat.contains("Buddy &lt;script&gt;alert(1)&lt;/script&gt; Mentoring"));

    // The operator's page converts the same way.
    let results = dom(format!("{}/operator/chats/hcsmbm", served.base)).await;
    // Wed 25 Nov 12:00 CST = Thu 26 Nov 03:00 Tokyo.
    let past = time_text(&results, "2026-11-25T18:00:00Z");
    assert!(past.contains("03:00") && past.contains("26"), "{past}");
    assert!(results.contains("in doubt"));
}

#[tokio::test(flavor = "multi_thread")]
async fn screenshots_of_every_page_desktop_and_phone() {
    if !chromium_present() {
        return;
    }
    let served = serve(None).await;
    let base = &served.base;
    for (path, name) in [
        ("/", "pages-home"),
        ("/chats/hcsmbm", "pages-chat"),
        ("/operator/chats/hcsmbm", "pages-results"),
        ("/chats/nope", "pages-404"),
    ] {
        screenshot(format!("{base}{path}"), &format!("{name}.png"), "1200,1400").await;
        screenshot(
            format!("{base}{path}"),
            &format!("{name}-phone.png"),
            "390,1400",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_season_s_page_shows_its_topics_and_the_cancelled_week_in_a_browser() {
    if !chromium_present() {
        return;
    }
    let served = pages_support::serve_season().await;
    let url = format!("{}/chats/edchat", served.base);
    let page = dom(url.clone()).await;
    for topic in [
        "Kickoff",
        "Assessment that helps",
        "Moved to Thursday",
        "Feedback",
        "Reading",
    ] {
        assert!(page.contains(topic), "{topic} missing from\n{page}");
    }
    // The cancelled week: its badge and reason, its Tokyo time
    // (Wed 3 Mar 12:00 CST = Thu 4 Mar 03:00 in Tokyo).
    let cancelled = &page[page
        .find("<li class=\"cancelled\">")
        .unwrap_or_else(|| panic!("no cancelled week in\n{page}"))..];
    let cancelled = &cancelled[..cancelled.find("</li>").unwrap()];
    assert!(cancelled.contains("Cancelled") && cancelled.contains("Spring break"));
    let when = time_text(cancelled, "2027-03-03T18:00:00Z");
    assert!(when.contains("03:00") && when.contains("Thu"), "{when}");
    // The moved week at its new time: Thu 11 Mar 13:00 CST = Fri 12 Mar 04:00 Tokyo.
    assert!(time_text(&page, "2027-03-11T19:00:00Z").contains("04:00"));
    assert!(!page.contains(" UTC</time>"), "a time left in UTC");

    let one = dom(format!("{}/chats/edchat/2027-02-24", served.base)).await;
    assert!(one.contains("Assessment that helps") && one.contains("@guest_teacher"));
    // Q1 at 12:05 CST = 03:05 in Tokyo.
    assert!(time_text(&one, "2027-02-24T18:05:00Z").contains("03:05"));

    screenshot(url, "pages-season.png", "1200,2200").await;
    screenshot(
        format!("{}/chats/edchat/2027-02-24", served.base),
        "pages-season-occurrence.png",
        "1200,1200",
    )
    .await;
    screenshot(
        format!("{}/chats/edchat", served.base),
        "pages-season-phone.png",
        "390,2400",
    )
    .await;
}
