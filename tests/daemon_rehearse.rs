//! `tweetchat rehearse`: a whole chat through the daemon's code, accelerated,
//! printed on the console, leaving no state behind.

use std::process::Command;

const CHAT: &str = r##"title: Quick
hashtag: "#quick"
timezone: UTC
start: 2026-12-01 18:00
duration: 2m
announce:
  - before: 1m
questions:
  - at: 30s
    text: First?
  - at: 1m
    text: Second?
thanks:
  after: 10s
"##;

#[test]
fn rehearses_every_post_in_order_with_its_real_instant() {
    let dir = tempfile::tempdir().unwrap();
    let chat = dir.path().join("quick.yaml");
    std::fs::write(&chat, CHAT).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .arg("--config-dir")
        .arg(dir.path().join("no-config"))
        .arg("rehearse")
        .arg(&chat)
        .args(["--speed", "600"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let posts: Vec<&str> = stdout.lines().filter(|l| l.starts_with('[')).collect();
    let instants: Vec<&str> = posts.iter().map(|l| &l[1..21]).collect();
    assert_eq!(
        instants,
        [
            "2026-12-01T17:59:00Z",
            "2026-12-01T18:00:00Z",
            "2026-12-01T18:00:30Z",
            "2026-12-01T18:01:00Z",
            "2026-12-01T18:02:00Z",
            "2026-12-01T18:02:10Z",
        ],
        "{stdout}"
    );
    assert!(
        posts[2].ends_with("console  Q1. First? #quick"),
        "{}",
        posts[2]
    );
    assert!(!posts[5].contains("{mentions}"), "{}", posts[5]);
    assert!(stdout.contains("rehearsal done"));
}

#[test]
fn an_unknown_chat_says_what_was_expected() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .arg("--config-dir")
        .arg(dir.path().join("no-config"))
        .args(["rehearse", "nope"])
        .env("TWEETCHAT__CHATS_DIR", dir.path())
        .output()
        .unwrap();
    // A chat argument that names nothing is a usage error in every command.
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no chat `nope`"), "{stderr}");
}

#[test]
fn a_speed_too_high_is_capped_and_the_end_tallies_every_post() {
    let dir = tempfile::tempdir().unwrap();
    let chat = dir.path().join("quick.yaml");
    std::fs::write(&chat, CHAT).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .arg("--config-dir")
        .arg(dir.path().join("no-config"))
        .arg("rehearse")
        .arg(&chat)
        .args(["--speed", "36000"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    // The announcement a minute before the start is the tightest window:
    // at 36000x it would have under 2 ms; capped where it keeps 250 ms.
    assert!(
        stdout.contains("--speed 36000 is too fast")
            && stdout.contains("announce1 may go out at most 1 min after its instant")
            && stdout.contains("rehearsing at 240x instead"),
        "{stdout}"
    );
    let posted = stdout.lines().filter(|l| l.starts_with('[')).count();
    let missing: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("  not posted: "))
        .collect();
    // Every post, or a truthful tally: each missing one with its reason.
    if missing.is_empty() {
        assert!(
            stdout.contains("rehearsal done: all 6 posts posted"),
            "{stdout}"
        );
        assert_eq!(posted, 6, "{stdout}");
        assert!(out.status.success());
    } else {
        assert!(
            stdout.contains(&format!("rehearsal done: {posted} of 6 posted")),
            "{stdout}"
        );
        assert_eq!(posted + missing.len(), 6, "{stdout}");
        assert!(missing.iter().all(|l| l.contains("): ")), "{stdout}");
        assert_eq!(out.status.code(), Some(1));
    }
}
