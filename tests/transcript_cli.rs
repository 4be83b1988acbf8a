//! `tweetchat transcript` run as a process against a state folder holding a
//! saved search.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tweetchat::platform::RemotePost;
use tweetchat::store::{Intent, Outcome, Store};
use tweetchat::transcript::{Capture, Transcript};

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/transcript/2026-12-02.posts.json"
);

/// A state folder with the sample search saved for `hcsmbm` (and an older,
/// emptier one so "latest" has something to choose from).
fn state_with_capture() -> tempfile::TempDir {
    let state = tempfile::tempdir().unwrap();
    let dir = state.path().join("transcripts/hcsmbm");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(DATA, dir.join("2026-12-02.posts.json")).unwrap();
    let mut older = Capture::load(Path::new(DATA)).unwrap();
    older.posts.clear();
    older.starts = "2026-11-25T18:00:00Z".parse().unwrap();
    older.ends = "2026-11-25T19:00:00Z".parse().unwrap();
    std::fs::write(
        dir.join("2026-11-25.posts.json"),
        serde_json::to_vec(&older).unwrap(),
    )
    .unwrap();
    state
}

fn transcript(state: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .arg("transcript")
        .arg("hcsmbm")
        .arg("--state")
        .arg(state)
        .args(extra)
        .output()
        .unwrap()
}

fn page(state: &Path, date: &str, ext: &str) -> PathBuf {
    state.join(format!("transcripts/hcsmbm/{date}.{ext}"))
}

#[test]
fn rebuilds_the_latest_occurrence_from_the_saved_search() {
    let state = state_with_capture();
    let out = transcript(state.path(), &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = Transcript::build(&Capture::load(Path::new(DATA)).unwrap()).unwrap();
    assert!(
        stdout.starts_with(&format!(
            "hcsmbm 2026-12-02: {} participants, {} posts",
            expected.summary.participants, expected.summary.posts
        )),
        "{stdout}"
    );
    let json = std::fs::read(page(state.path(), "2026-12-02", "json")).unwrap();
    let written: Transcript = serde_json::from_slice(&json).unwrap();
    assert_eq!(written, expected);
    for ext in ["md", "html"] {
        let text = std::fs::read_to_string(page(state.path(), "2026-12-02", ext)).unwrap();
        assert!(
            text.contains("Health Care Social Media Buddy Mentoring"),
            "{ext}"
        );
    }
    assert!(!page(state.path(), "2026-11-25", "json").exists());
}

#[test]
fn date_picks_an_older_occurrence() {
    let state = state_with_capture();
    let out = transcript(state.path(), &["--date", "2026-11-25"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .starts_with("hcsmbm 2026-11-25: 0 participants, 0 posts")
    );
    let md = std::fs::read_to_string(page(state.path(), "2026-11-25", "md")).unwrap();
    assert!(md.contains("## Q1. "));
    assert!(!md.contains("## Participants"));
}

#[test]
fn a_missing_search_says_where_it_looked() {
    let state = state_with_capture();
    let out = transcript(state.path(), &["--date", "2026-12-09"]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no saved search for `hcsmbm`"), "{stderr}");
    assert!(stderr.contains("2026-12-09.posts.json"), "{stderr}");
    // The shipped example posts to the console only, which is why.
    assert!(
        stderr.contains("why: chat `hcsmbm` posts only to the console (console)"),
        "{stderr}"
    );

    let empty = tempfile::tempdir().unwrap();
    let out = transcript(empty.path(), &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has the chat run yet?"));
}

#[test]
fn a_bad_date_is_a_usage_error() {
    let state = state_with_capture();
    let out = transcript(state.path(), &["--date", "12/02/2026"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected a date such as 2026-12-02"));
}

const CHAT: &str = "title: Console Chat
hashtag: \"#consolechat\"
timezone: America/Chicago
start: 2026-12-02 12:00
duration: 1h
questions:
  - at: 5m
    text: What brought you here?
  - at: 15m
    text: What will you try next?
";

/// A settings folder whose chats folder holds `consolechat.yaml`, posting
/// to the built-in console account.
fn console_setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let config = root.path().join("config");
    let chats = root.path().join("chats");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::create_dir_all(&chats).unwrap();
    std::fs::write(
        config.join("local.toml"),
        format!("chats_dir = {:?}\n", chats.display().to_string()),
    )
    .unwrap();
    std::fs::write(chats.join("consolechat.yaml"), CHAT).unwrap();
    let state = root.path().join("state");
    (root, config, state)
}

fn refetch(config: &Path, state: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .arg("--config-dir")
        .arg(config)
        .args(["transcript", "consolechat", "--refetch", "--state"])
        .arg(state)
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn refetch_searches_the_account_and_links_the_recorded_questions() {
    let (_root, config, state) = console_setup();
    {
        let mut store = Store::open(&state).unwrap();
        let key = "consolechat/2026-12-02T12:00/question1/console";
        store
            .claim(&[Intent {
                key: key.into(),
                chat: "consolechat".into(),
                occurrence: "2026-12-02T12:00".into(),
                kind: "question".into(),
                n: Some(1),
                account: "console".into(),
                due: "2026-12-02T18:05:00Z".parse().unwrap(),
                missed: None,
            }])
            .unwrap();
        let remote = RemotePost {
            id: "console-1".into(),
            cid: None,
            url: Some("https://example.test/q1".into()),
        };
        store.record(key, &Outcome::Posted(remote)).unwrap();
    }
    let out = refetch(&config, &state, &["--date", "2026-12-02"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = state.join("transcripts/consolechat");
    let capture = Capture::load(&dir.join("2026-12-02.posts.json")).unwrap();
    assert_eq!(capture.host.username, "console");
    assert_eq!(capture.questions.len(), 2);
    let json = std::fs::read(dir.join("2026-12-02.json")).unwrap();
    let written: Transcript = serde_json::from_slice(&json).unwrap();
    assert_eq!(
        written.questions[0].url.as_deref(),
        Some("https://example.test/q1")
    );
    assert_eq!(written.questions[1].url, None);
    assert_eq!(written.questions[1].text, "What will you try next?");
    assert_eq!(written.summary.participants, 0);
}

#[test]
fn refetch_names_what_is_missing() {
    let (_root, config, state) = console_setup();
    let out = refetch(&config, &state, &["--date", "2026-12-03"]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("chat `consolechat` has no occurrence on 2026-12-03"),
        "{stderr}"
    );

    std::fs::remove_file(config.parent().unwrap().join("chats/consolechat.yaml")).unwrap();
    let out = refetch(&config, &state, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A chat argument that names nothing is a usage error, as everywhere.
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no chat `consolechat`"), "{stderr}");
}
