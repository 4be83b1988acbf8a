//! `tweetchat run` as a process on a Bluesky account of a real PDS: a whole
//! threaded chat with its thank-you, killed with SIGKILL mid-chat (once with
//! a create in flight whose answer never came), restarted, and read back
//! from the repository with listRecords: every slot exactly one record, on
//! time, replies with root and parent, the participant mentioned by DID,
//! and one login for both runs. A wrong app password stops the start.

mod support;

use std::path::Path;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;
use support::pds::{Pds, TestAccount};
use support::pds_proxy::{Fault, PdsProxy};

struct Chat {
    dir: tempfile::TempDir,
    tag: String,
    /// (text, instant) of every post but the thank-you, from `tweetchat plan`.
    posts: Vec<(String, Timestamp)>,
    start: Timestamp,
}

impl Chat {
    /// A threaded chat starting a few seconds from now: welcome, Q1 at +2 s
    /// (one question: the loader wants questions in distinct minutes), the
    /// wrap-up at +4 s, the thank-you 2 s after.
    fn new(api_base: &str, host: &TestAccount, app_password: &str) -> Chat {
        let dir = tempfile::tempdir().unwrap();
        let tag = format!("bsky{}", std::process::id() % 100_000);
        let local = format!(
            "state_dir = {:?}\nchats_dir = {:?}\ndefault_accounts = [\"host_bsky\"]\n\
             [http]\nlisten = \"\"\n\
             [accounts.host_bsky]\nplatform = \"bluesky\"\napi_base = {api_base:?}\n\
             handle = {:?}\napp_password = {app_password:?}\ntimeout = \"3s\"\n",
            dir.path().join("state"),
            dir.path().join("chats"),
            host.handle,
        );
        std::fs::write(dir.path().join("local.toml"), local).unwrap();
        let start = Timestamp::from_second(Timestamp::now().as_second() + 5).unwrap();
        std::fs::create_dir_all(dir.path().join("chats")).unwrap();
        let chat = format!(
            "title: Sky Chat\nhashtag: \"#{tag}\"\ntimezone: UTC\nstart: {}\n\
             duration: 4s\nthread: true\nannounce: false\n\
             welcome: \"Welcome to {{title}}, café time 🎉! {{hashtag}}\"\n\
             questions:\n  - at: 2s\n    text: What brought you here? See https://example.org/faq\n\
             wrapup: \"That's a wrap! {{hashtag}}\"\n\
             thanks:\n  after: 2s\n  text: \"Thank you {{mentions}} for joining {{hashtag}}\"\n",
            start.strftime("%Y-%m-%d %H:%M:%S")
        );
        std::fs::write(dir.path().join("chats/sky.yaml"), chat).unwrap();
        let posts = planned(dir.path(), start);
        assert_eq!(
            posts.len(),
            4,
            "welcome, a question, wrap-up, thanks: {posts:?}"
        );
        let posts = posts
            .into_iter()
            .filter(|(t, _)| !t.starts_with("Thank you"))
            .collect();
        Chat {
            dir,
            tag,
            posts,
            start,
        }
    }

    fn start_daemon(&self) -> tokio::process::Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("daemon.log"))
            .unwrap();
        tweetchat(self.dir.path())
            .arg("run")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("the daemon starts")
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }
}

fn tweetchat(dir: &Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tweetchat"));
    command.arg("--config-dir").arg(dir);
    command
        .env_remove("TWEETCHAT_CONFIG_DIR")
        .env_remove("RUST_LOG");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("TWEETCHAT__") {
            command.env_remove(key);
        }
    }
    command
}

/// What `tweetchat plan` says goes out around `start`.
fn planned(dir: &Path, start: Timestamp) -> Vec<(String, Timestamp)> {
    let from = start - SignedDuration::from_mins(1);
    let until = start + SignedDuration::from_mins(1);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tweetchat"))
        .arg("--config-dir")
        .arg(dir)
        .args([
            "plan",
            "--format",
            "json",
            "--from",
            &from.to_string(),
            "--until",
            &until.to_string(),
        ])
        .env_remove("TWEETCHAT_CONFIG_DIR")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let items: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    items
        .iter()
        .map(|p| {
            (
                p["text"].as_str().unwrap().to_string(),
                p["at"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect()
}

fn text_of(record: &Value) -> &str {
    record["value"]["text"].as_str().unwrap()
}

async fn wait_for(pds: &Pds, did: &str, chat: &Chat, count: usize, limit: Duration) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let records = pds.posts(did).await;
        if records.len() >= count {
            return records;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {count} records; on the PDS: {:?}\nlogs:\n{}",
            records.len(),
            records.iter().map(text_of).collect::<Vec<_>>(),
            chat.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chat_survives_kill_9_with_one_record_per_slot() {
    let Some(pds) = Pds::get() else { return };
    let host = pds.account("host").await;
    let guest = pds.account("guest").await;
    let proxy = PdsProxy::start(&pds.url).await;
    let chat = Chat::new(&proxy.url, &host, &host.app_password);
    // The welcome is created but its answer is held back: the daemon is
    // killed with that create in flight, its outcome unknown.
    proxy.push_faults(
        "com.atproto.repo.createRecord",
        Fault::DelayAnswer(Duration::from_secs(30)),
        1,
    );
    let mut daemon = chat.start_daemon();
    let records = wait_for(pds, &host.did, &chat, 1, Duration::from_secs(30)).await;
    assert!(text_of(&records[0]).starts_with("Welcome"));
    daemon.start_kill().unwrap(); // SIGKILL
    daemon.wait().await.unwrap();

    let mut daemon = chat.start_daemon();
    pds.post_as(&guest, &format!("A1 the people! #{}", chat.tag))
        .await;
    // Q1 is out: kill again between slots.
    wait_for(pds, &host.did, &chat, 2, Duration::from_secs(30)).await;
    daemon.start_kill().unwrap();
    daemon.wait().await.unwrap();
    let mut daemon = chat.start_daemon();
    let records = wait_for(
        pds,
        &host.did,
        &chat,
        chat.posts.len() + 1,
        Duration::from_secs(40),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    daemon.start_kill().unwrap();
    daemon.wait().await.unwrap();
    let logs = chat.logs();

    let records = {
        let again = pds.posts(&host.did).await;
        assert_eq!(again.len(), records.len(), "nothing more arrived\n{logs}");
        again
    };
    // Exactly once each, on time (the welcome's answer was held, not its
    // creation), nothing else.
    for (text, at) in &chat.posts {
        let same: Vec<&Value> = records.iter().filter(|r| text_of(r) == text).collect();
        assert_eq!(same.len(), 1, "{text}\n{logs}");
        let created: Timestamp = same[0]["value"]["createdAt"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let late = created.duration_since(*at);
        assert!(
            !late.is_negative() && late < SignedDuration::from_secs(3),
            "{text}: due {at}, created {created}"
        );
    }
    assert!(
        logs.contains("found on the platform"),
        "the held welcome was reconciled:\n{logs}"
    );
    assert_eq!(
        logs.matches("logging in to Bluesky").count(),
        1,
        "one login for three runs:\n{logs}"
    );

    // The thread: every later post replies to the welcome (root and parent).
    let welcome = records
        .iter()
        .find(|r| text_of(r).starts_with("Welcome"))
        .unwrap();
    let welcome_ref = serde_json::json!({"uri": welcome["uri"], "cid": welcome["cid"]});
    for r in records
        .iter()
        .filter(|r| text_of(r).starts_with('Q') || text_of(r).starts_with("That's"))
    {
        assert_eq!(r["value"]["reply"]["root"], welcome_ref, "{}", text_of(r));
        assert_eq!(r["value"]["reply"]["parent"], welcome_ref, "{}", text_of(r));
    }
    assert!(welcome["value"].get("reply").is_none());

    // Facets: the hashtag on every post, the link on Q1, the guest by DID.
    for r in &records {
        let text = text_of(r);
        let facets = r["value"]["facets"].as_array().cloned().unwrap_or_default();
        let span = |f: &Value| {
            let (s, e) = (
                f["index"]["byteStart"].as_u64().unwrap() as usize,
                f["index"]["byteEnd"].as_u64().unwrap() as usize,
            );
            String::from_utf8(text.as_bytes()[s..e].to_vec()).unwrap()
        };
        let tags: Vec<String> = facets
            .iter()
            .filter(|f| f["features"][0]["tag"].is_string())
            .map(span)
            .collect();
        assert_eq!(tags, vec![format!("#{}", chat.tag)], "{text}");
        if text.starts_with("Q1") {
            assert!(
                facets.iter().any(|f| span(f) == "https://example.org/faq"),
                "{text}"
            );
        }
    }
    let thanks = records
        .iter()
        .find(|r| text_of(r).starts_with("Thank you"))
        .expect("the thank-you");
    assert_eq!(
        text_of(thanks),
        format!("Thank you @{} for joining #{}", guest.handle, chat.tag),
        "{logs}"
    );
    let mention = thanks["value"]["facets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["features"][0]["$type"] == "app.bsky.richtext.facet#mention")
        .expect("the guest is mentioned");
    assert_eq!(mention["features"][0]["did"], guest.did.as_str());
    assert!(chat.start <= Timestamp::now());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_app_password_stops_the_start_with_what_to_fix() {
    let Some(pds) = Pds::get() else { return };
    let host = pds.account("locked").await;
    let chat = Chat::new(&pds.url, &host, "wxyz-wxyz-wxyz-wxyz");
    let mut daemon = chat.start_daemon();
    let status = tokio::time::timeout(Duration::from_secs(20), daemon.wait())
        .await
        .expect("the daemon gives up at once")
        .unwrap();
    let logs = chat.logs();
    assert_eq!(status.code(), Some(3), "{logs}");
    assert!(
        logs.contains("account `host_bsky` (bluesky): not authorized"),
        "{logs}"
    );
    assert!(logs.contains("App passwords"), "{logs}");
    assert!(!logs.contains("wxyz-wxyz"), "{logs}");
    assert!(pds.posts(&host.did).await.is_empty());
}
