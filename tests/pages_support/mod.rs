//! A served set of chat pages: a real loopback listener with the pages'
//! routes, plans published the way the daemon publishes them, and a state
//! folder holding results and a transcript written through the real store.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::http::pages::Pages;
use tweetchat::http::{Health, HttpState, Metrics, serve_with_pages};
use tweetchat::plan::load::load_str;
use tweetchat::platform::RemotePost;
use tweetchat::settings::Settings;
use tweetchat::store::{Intent, Outcome, Store};

/// The chat the pages show: Chicago, Wednesdays 12:00, a hostile title.
pub const CHAT: &str = "title: Buddy <script>alert(1)</script> Mentoring\n\
    hashtag: \"#hcsmbm\"\ntimezone: America/Chicago\nrepeat: \"0 12 * * WED\"\n\
    duration: 1h\nannounce:\n  - before: 1h\n    text: \"In one hour: {title}. Add it to your calendar: {calendar}\"\n\
    questions:\n  - at: 5m\n    text: What helps?\n  - at: 15m\n    text: What hurts?\n  - at: 25m\n    text: What next?\n";

/// "Now" for the pages: Tuesday 1 Dec 2026, 15:00 UTC (09:00 Chicago).
pub const NOW: &str = "2026-12-01T15:00:00Z";
/// The past occurrence with results: Wednesday 25 Nov 2026, 12:00 CST.
pub const PAST: &str = "2026-11-25T12:00";

pub struct Served {
    pub base: String,
    pub state: tempfile::TempDir,
    shutdown: CancellationToken,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn settings(state: &Path, token: Option<&str>, trust_loopback: bool) -> Settings {
    let mut settings = Settings::builtin();
    settings.state_dir = state.to_path_buf();
    settings.http.public_url = "https://chats.example.org".into();
    settings.http.operator_token = token.map(tweetchat::settings::Secret::new);
    settings.http.trust_loopback = trust_loopback;
    settings
}

/// Records what happened to the past occurrence on the console account.
fn record_results(state: &Path) {
    let mut store = Store::open(state).unwrap();
    let intent = |kind: &str, n: Option<u32>, due: &str| {
        let slot = match n {
            Some(n) => format!("{kind}{n}"),
            None => kind.to_string(),
        };
        Intent {
            key: format!("hcsmbm/{PAST}/{slot}/console"),
            chat: "hcsmbm".into(),
            occurrence: PAST.into(),
            kind: kind.into(),
            n,
            account: "console".into(),
            due: due.parse().unwrap(),
            missed: None,
        }
    };
    store
        .claim(&[
            intent("welcome", None, "2026-11-25T18:00:00Z"),
            intent("question", Some(1), "2026-11-25T18:05:00Z"),
            intent("question", Some(2), "2026-11-25T18:15:00Z"),
            intent("question", Some(3), "2026-11-25T18:25:00Z"),
        ])
        .unwrap();
    let posted = RemotePost {
        id: "1001".into(),
        cid: None,
        url: Some("https://x.com/hcsm/status/1001".into()),
    };
    let key = |slot: &str| format!("hcsmbm/{PAST}/{slot}/console");
    store
        .record(&key("welcome"), &Outcome::Posted(posted))
        .unwrap();
    store
        .record(
            &key("question1"),
            &Outcome::Skipped("missed its grace window (10m) by 3m".into()),
        )
        .unwrap();
    store
        .record(
            &key("question2"),
            &Outcome::Failed("x refused: 403 duplicate content".into()),
        )
        .unwrap();
    // question3 stays claimed: in doubt.
}

/// Serves the pages for `CHAT` at `now`, trusting direct loopback requests,
/// with results and a transcript of the past occurrence.
pub async fn serve(token: Option<&str>) -> Served {
    serve_state(token, true, true).await
}

/// [`serve`], with `[http] trust_loopback` as given.
pub async fn serve_trusting(token: Option<&str>, trust_loopback: bool) -> Served {
    serve_state(token, trust_loopback, true).await
}

/// Serves the pages of a fresh install: the daemon never ran, the state
/// folder is empty.
pub async fn serve_fresh() -> Served {
    serve_state(None, true, false).await
}

async fn serve_state(token: Option<&str>, trust_loopback: bool, hosted: bool) -> Served {
    tweetchat::tls::init();
    let state = tempfile::tempdir().unwrap();
    if hosted {
        record_results(state.path());
        let transcripts = state.path().join("transcripts/hcsmbm");
        std::fs::create_dir_all(&transcripts).unwrap();
        std::fs::write(
            transcripts.join("2026-11-25.html"),
            "<!doctype html><title>t</title><h1>Transcript of 25 Nov</h1>",
        )
        .unwrap();
    }
    let mut plan = load_str(Path::new("chats/hcsmbm.yaml"), CHAT).unwrap();
    tweetchat::plan::set_calendar_base(&mut plan, "https://chats.example.org");
    let (_sender, plans) = tokio::sync::watch::channel(Arc::new(vec![Arc::new(plan)]));
    // The sender may go: the last value stays readable.
    let now: Timestamp = NOW.parse().unwrap();
    let clock = Clock::starting_at(now);
    let settings = settings(state.path(), token, trust_loopback);
    let pages = Pages::new(&settings, plans, clock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let http = HttpState {
        metrics: Arc::new(Metrics::default()),
        health: Arc::new(Health::new(Duration::from_secs(60))),
        clock,
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(serve_with_pages(
        listener,
        http,
        Some(Arc::new(pages)),
        shutdown.clone(),
    ));
    Served {
        base,
        state,
        shutdown,
    }
}

/// "Now" for the season's pages: Saturday 20 Feb 2027, after its first
/// session (Kickoff, 17 Feb) and before the guest's (24 Feb).
pub const SEASON_NOW: &str = "2027-02-20T15:00:00Z";

/// Serves the pages for the edchat season (tests/data/season/inline: a
/// guest, a cancelled week, a moved one, two unprepared) beside `CHAT`, at
/// [`SEASON_NOW`], with a transcript for the Kickoff session.
pub async fn serve_season() -> Served {
    tweetchat::tls::init();
    let state = tempfile::tempdir().unwrap();
    let transcripts = state.path().join("transcripts/edchat");
    std::fs::create_dir_all(&transcripts).unwrap();
    std::fs::write(
        transcripts.join("2027-02-17.html"),
        "<!doctype html><title>t</title><h1>Transcript of Kickoff</h1>",
    )
    .unwrap();
    let season = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/season/inline/edchat.yaml");
    let mut plans = Vec::new();
    for (path, src) in [
        (
            Path::new("chats/edchat.yaml"),
            std::fs::read_to_string(season).unwrap(),
        ),
        (Path::new("chats/hcsmbm.yaml"), CHAT.to_string()),
    ] {
        let mut plan = load_str(path, &src).unwrap();
        tweetchat::plan::set_calendar_base(&mut plan, "https://chats.example.org");
        plans.push(Arc::new(plan));
    }
    let (_sender, plans) = tokio::sync::watch::channel(Arc::new(plans));
    let clock = Clock::starting_at(SEASON_NOW.parse().unwrap());
    let settings = settings(state.path(), None, true);
    let pages = Pages::new(&settings, plans, clock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let http = HttpState {
        metrics: Arc::new(Metrics::default()),
        health: Arc::new(Health::new(Duration::from_secs(60))),
        clock,
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(serve_with_pages(
        listener,
        http,
        Some(Arc::new(pages)),
        shutdown.clone(),
    ));
    Served {
        base,
        state,
        shutdown,
    }
}
