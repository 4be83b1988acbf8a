//! `tweetchat transcript` run as a process against a state folder holding a
//! saved search.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

#[test]
fn refetch_says_it_is_not_available_yet() {
    let state = state_with_capture();
    let out = transcript(state.path(), &["--refetch"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("run without --refetch"));
}
