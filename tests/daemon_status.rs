//! `tweetchat status`: upcoming slots from the plans, recent results from the
//! state database.

use std::process::Command;

use tweetchat::platform::RemotePost;
use tweetchat::store::{Intent, Outcome, Store};

fn status(dir: &std::path::Path, format: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .arg("--config-dir")
        .arg(dir.join("no-config"))
        .args(["status", "--format", format])
        .env("TWEETCHAT__CHATS_DIR", dir.join("chats"))
        .env("TWEETCHAT__STATE_DIR", dir.join("state"))
        .output()
        .unwrap()
}

fn weekly_chat(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("chats")).unwrap();
    std::fs::write(
        dir.join("chats/weekly.yaml"),
        "title: Weekly\nhashtag: \"#weekly\"\ntimezone: UTC\nrepeat: \"0 18 * * WED\"\n\
         duration: 1h\nquestions:\n  - at: 5m\n    text: How was your week?\n",
    )
    .unwrap();
}

#[test]
fn shows_upcoming_slots_and_recent_results() {
    let dir = tempfile::tempdir().unwrap();
    weekly_chat(dir.path());
    {
        let mut store = Store::open(&dir.path().join("state")).unwrap();
        let intent = Intent {
            key: "weekly/2026-12-02T18:00/question1/console".into(),
            chat: "weekly".into(),
            occurrence: "2026-12-02T18:00".into(),
            kind: "question".into(),
            n: Some(1),
            account: "console".into(),
            due: "2026-12-02T18:05:00Z".parse().unwrap(),
            missed: None,
        };
        store.claim(std::slice::from_ref(&intent)).unwrap();
        let remote = RemotePost {
            id: "42".into(),
            cid: None,
            url: Some("https://x.com/i/status/42".into()),
        };
        store.record(&intent.key, &Outcome::Posted(remote)).unwrap();
    }

    let out = status(dir.path(), "json");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let upcoming = json["upcoming"].as_array().unwrap();
    assert_eq!(upcoming.len(), 10);
    assert!(upcoming.iter().all(|s| s["chat"] == "weekly"));
    assert_eq!(
        json["recent"][0]["key"],
        "weekly/2026-12-02T18:00/question1/console"
    );
    assert_eq!(json["recent"][0]["state"], "posted");
    assert_eq!(json["recent"][0]["remote"]["id"], "42");

    let out = status(dir.path(), "text");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Upcoming") && text.contains("question1"),
        "{text}"
    );
    assert!(
        text.contains("posted") && text.contains("https://x.com/i/status/42"),
        "{text}"
    );
}

#[test]
fn says_so_when_nothing_ran_yet() {
    let dir = tempfile::tempdir().unwrap();
    weekly_chat(dir.path());
    let out = status(dir.path(), "text");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no state database"));
    assert!(!dir.path().join("state/state.db").exists());
}

#[test]
fn a_chat_kept_on_its_last_good_version_is_listed_with_why_its_file_is_invalid() {
    let dir = tempfile::tempdir().unwrap();
    weekly_chat(dir.path());
    let state = dir.path().join("state");
    // What the daemon's rescans do: load the file, then find it broken and
    // keep the version it had.
    let mut chats = tweetchat::daemon::Chats::folder(&dir.path().join("chats"));
    chats.note_last_good_in(&state);
    assert!(chats.rescan().changes.is_some());
    std::fs::write(
        dir.path().join("chats/weekly.yaml"),
        "title: Weekly\nhashtag: \"#weekly\"\ntimezone: Mars/Olympus\nrepeat: \"0 18 * * WED\"\n\
         questions:\n  - Still there?\n",
    )
    .unwrap();
    let found = chats.rescan();
    assert_eq!(found.invalid, 1);

    let out = status(dir.path(), "text");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    let kept = text
        .lines()
        .filter(|l| l.contains("weekly") && l.ends_with("(last good version)"))
        .count();
    assert_eq!(kept, 10, "{text}");
    assert!(text.contains("question1"), "{text}");
    assert!(
        text.contains("weekly: the file on disk is invalid since")
            && text.contains("weekly.yaml:3:11")
            && text.contains("keeps posting the last version that loaded"),
        "{text}"
    );
    let out = status(dir.path(), "json");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["last_good"][0]["chat"], "weekly");
    assert_eq!(json["upcoming"][0]["last_good"], true);

    // Fixed: an ordinary chat again.
    weekly_chat(dir.path());
    chats.rescan();
    let text = String::from_utf8(status(dir.path(), "text").stdout).unwrap();
    assert!(
        !text.contains("last good") && text.contains("question1"),
        "{text}"
    );
}

/// A thank-you's slot row and its first part record the same post: the
/// post is listed once (under the slot's key), the second part too.
#[test]
fn a_thank_you_is_listed_once() {
    let dir = tempfile::tempdir().unwrap();
    weekly_chat(dir.path());
    {
        let mut store = Store::open(&dir.path().join("state")).unwrap();
        let slot = "weekly/2026-12-02T18:00/thanks/gts";
        let post = |key: &str, id: &str| {
            let intent = Intent {
                key: key.into(),
                chat: "weekly".into(),
                occurrence: "2026-12-02T18:00".into(),
                kind: "thanks".into(),
                n: None,
                account: "gts".into(),
                due: "2026-12-02T19:00:00Z".parse().unwrap(),
                missed: None,
            };
            let remote = RemotePost {
                id: id.into(),
                cid: None,
                url: Some(format!("https://gts.test/@hcsm/statuses/{id}")),
            };
            (intent, remote)
        };
        let (whole, _) = post(slot, "1001");
        store.claim(std::slice::from_ref(&whole)).unwrap();
        for (key, id) in [(format!("{slot}#1"), "1001"), (format!("{slot}#2"), "1002")] {
            let (intent, remote) = post(&key, id);
            store.claim(std::slice::from_ref(&intent)).unwrap();
            store.record(&intent.key, &Outcome::Posted(remote)).unwrap();
        }
        let (_, first) = post(slot, "1001");
        store.record(slot, &Outcome::Posted(first)).unwrap();
    }
    let out = status(dir.path(), "text");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("statuses/1001").count(), 1, "{text}");
    assert_eq!(text.matches("statuses/1002").count(), 1, "{text}");
    assert!(
        text.contains("weekly/2026-12-02T18:00/thanks/gts  "),
        "{text}"
    );
    assert!(!text.contains("thanks/gts#1"), "{text}");
    assert!(text.contains("thanks/gts#2"), "{text}");
}

/// A chat the running daemon keeps off an account it does not fit (its
/// note in the state folder): `status` names the account and the post, in
/// text and in JSON.
#[test]
fn a_chat_kept_off_an_account_is_listed_with_the_post_that_does_not_fit() {
    use tweetchat::daemon::verdict::{self, NotedAccount, NotedChat};
    let dir = tempfile::tempdir().unwrap();
    weekly_chat(dir.path());
    Store::open(&dir.path().join("state")).unwrap();
    let problem =
        "chats/weekly.yaml:8:11: Q1 is 347 characters on mastodon, over the limit of 300 for `gts`";
    verdict::write(
        &dir.path().join("state"),
        &[NotedChat {
            chat: "weekly".into(),
            file: dir.path().join("chats/weekly.yaml"),
            since: "2026-12-01T10:00:00Z".parse().unwrap(),
            accounts: vec![NotedAccount {
                account: "gts".into(),
                problems: vec![problem.into()],
            }],
        }],
    )
    .unwrap();
    let out = status(dir.path(), "text");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("weekly: kept off account `gts` since 2026-12-01 10:00 UTC")
            && text.contains(problem),
        "{text}"
    );
    let out = status(dir.path(), "json");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["kept_out"][0]["accounts"][0]["account"], "gts");
}
