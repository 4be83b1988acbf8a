//! Reloads in paused time, on real chat files: an edit that breaks a file
//! keeps its last good plan, a deleted file drops its future slots, a new
//! file is picked up by the periodic rescan or at once on a reload request.

mod daemon_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use daemon_support::*;
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::daemon::{self, Chats, Daemon};
use tweetchat::platform::Platform;
use tweetchat::store::{SharedStore, Store};

fn write_chat(dir: &Path, id: &str, start: &str) {
    let yaml = format!(
        "title: Reload test\nhashtag: \"#{id}\"\ntimezone: UTC\nstart: {start}\nduration: 30m\n\
         announce: false\nwelcome: false\nwrapup: false\nthanks: false\nquestions:\n\
         \x20 - at: 5m\n    text: First question?\n  - at: 15m\n    text: Second question?\n"
    );
    std::fs::write(dir.join(format!("{id}.yaml")), yaml).unwrap();
}

fn folder_daemon(
    dir: &Path,
    clock: Clock,
    fake: Arc<Fake>,
    rescan: Duration,
) -> (Daemon, tokio::task::JoinHandle<()>) {
    let (shared, writer) = SharedStore::spawn(Store::open(&dir.join("state")).unwrap());
    let mut accounts: BTreeMap<String, Arc<dyn Platform>> = BTreeMap::new();
    accounts.insert("fake".into(), fake);
    let mut settings = settings(dir);
    settings.rescan_interval = rescan;
    let chats = Chats::folder(&dir.join("chats"));
    (
        Daemon::new(&settings, clock, shared, accounts, chats),
        writer,
    )
}

fn posted_keys(fake: &Fake) -> Vec<String> {
    fake.posts().into_iter().map(|(k, _)| k).collect()
}

#[tokio::test(start_paused = true)]
async fn broken_files_keep_their_last_good_plan_deleted_ones_stop_new_ones_start() {
    let dir = tempfile::tempdir().unwrap();
    let chats = dir.path().join("chats");
    std::fs::create_dir_all(&chats).unwrap();
    write_chat(&chats, "kept", "2026-12-02 18:00");
    write_chat(&chats, "gone", "2026-12-02 18:00");
    let clock = Clock::starting_at(ts("2026-12-02T17:00:00Z"));
    let fake = Fake::new(clock.clone());
    let (daemon, writer) = folder_daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        Duration::from_secs(60),
    );
    let cancel = CancellationToken::new();
    let task = tokio::spawn(daemon::run(daemon, cancel.clone()));

    clock.sleep_until(ts("2026-12-02T18:06:00Z")).await;
    std::fs::write(chats.join("kept.yaml"), "title: [unclosed\n").unwrap();
    std::fs::remove_file(chats.join("gone.yaml")).unwrap();
    write_chat(&chats, "new", "2026-12-02 18:10");
    clock.sleep_until(ts("2026-12-02T19:00:00Z")).await;
    cancel.cancel();
    task.await.unwrap().unwrap();
    writer.await.unwrap();

    let posts = fake.posts();
    let keys: Vec<_> = posts.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "gone/2026-12-02T18:00/question1/fake",
            "kept/2026-12-02T18:00/question1/fake",
            "kept/2026-12-02T18:00/question2/fake",
            "new/2026-12-02T18:10/question1/fake",
            "new/2026-12-02T18:10/question2/fake",
        ]
    );
    assert_eq!(
        posts[2].1,
        ts("2026-12-02T18:15:00Z"),
        "the last good plan still runs"
    );
    assert_eq!(posts[4].1, ts("2026-12-02T18:25:00Z"));
}

#[tokio::test(start_paused = true)]
async fn a_reload_request_rescans_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let chats = dir.path().join("chats");
    std::fs::create_dir_all(&chats).unwrap();
    let clock = Clock::starting_at(ts("2026-12-02T17:00:00Z"));
    let fake = Fake::new(clock.clone());
    let (daemon, writer) = folder_daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        Duration::from_secs(86_400),
    );
    let reload = daemon.reload.clone();
    let cancel = CancellationToken::new();
    let task = tokio::spawn(daemon::run(daemon, cancel.clone()));

    clock.sleep_until(ts("2026-12-02T17:30:00Z")).await;
    write_chat(&chats, "late", "2026-12-02 18:00");
    reload.notify_one();
    clock.sleep_until(ts("2026-12-02T19:00:00Z")).await;
    cancel.cancel();
    task.await.unwrap().unwrap();
    writer.await.unwrap();

    assert_eq!(
        posted_keys(&fake),
        [
            "late/2026-12-02T18:00/question1/fake",
            "late/2026-12-02T18:00/question2/fake"
        ]
    );
    assert_eq!(fake.posts()[0].1, ts("2026-12-02T18:05:00Z"));
}

/// The file that once crash-looped the daemon: a title of a million
/// characters and a question repeating `{title}` 3,000 times.
fn write_amplification(dir: &Path) {
    let title = "T".repeat(1_000_000);
    let question = "{title} ".repeat(3_000);
    let yaml = format!(
        "title: {title}\nhashtag: \"#amp\"\ntimezone: UTC\nstart: 2026-12-02 18:00\n\
         questions:\n  - \"{question}\"\n"
    );
    std::fs::write(dir.join("amp.yaml"), yaml).unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_amplification_file_leaves_the_good_chat_posting() {
    let dir = tempfile::tempdir().unwrap();
    let chats = dir.path().join("chats");
    std::fs::create_dir_all(&chats).unwrap();
    write_chat(&chats, "good", "2026-12-02 18:00");
    write_amplification(&chats);
    let clock = Clock::starting_at(ts("2026-12-02T17:00:00Z"));
    let fake = Fake::new(clock.clone());
    let (daemon, writer) = folder_daemon(
        dir.path(),
        clock.clone(),
        fake.clone(),
        Duration::from_secs(60),
    );
    let cancel = CancellationToken::new();
    let task = tokio::spawn(daemon::run(daemon, cancel.clone()));
    // Edited again while running: still refused, still no harm.
    clock.sleep_until(ts("2026-12-02T17:30:00Z")).await;
    write_amplification(&chats);
    clock.sleep_until(ts("2026-12-02T19:00:00Z")).await;
    cancel.cancel();
    task.await.unwrap().unwrap();
    writer.await.unwrap();

    assert_eq!(
        posted_keys(&fake),
        [
            "good/2026-12-02T18:00/question1/fake",
            "good/2026-12-02T18:00/question2/fake"
        ]
    );
}
