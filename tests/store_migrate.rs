//! `tweetchat store migrate --to postgres://…`, as a process against a real
//! PostgreSQL (support/postgres.rs): an SQLite state with results, an
//! intent in doubt and tokens is copied whole; running it again adds
//! nothing; its transcripts come along; a target holding other state is
//! refused and left as it was;
//! the daemon's lock on the folder stops a copy while it runs.

mod support;

use std::path::Path;
use std::process::Output;

use support::postgres::Postgres;
use tweetchat::platform::RemotePost;
use tweetchat::store::{Claim, Intent, Outcome, PgStore, PostState, SharedStore, StateLock, Store};

fn migrate(state: &Path, to: &str) -> Output {
    let config = tempfile::tempdir().unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tweetchat"));
    command
        .arg("--config-dir")
        .arg(config.path())
        .args(["store", "migrate", "--to", to, "--state"])
        .arg(state)
        .env_remove("TWEETCHAT_CONFIG_DIR");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("TWEETCHAT__") {
            command.env_remove(key);
        }
    }
    command.output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn intent(key: &str) -> Intent {
    Intent {
        key: key.into(),
        chat: "hcsmbm".into(),
        occurrence: "2026-12-02T12:00".into(),
        kind: "question".into(),
        n: Some(1),
        account: "main_x".into(),
        due: "2026-12-02T18:05:00Z".parse().unwrap(),
        missed: None,
    }
}

/// An SQLite state: one post out, one in doubt, tokens.
fn sqlite_state(dir: &Path) {
    let mut store = Store::open(dir).unwrap();
    store.claim(&[intent("posted"), intent("doubt")]).unwrap();
    let remote = RemotePost {
        id: "1869".into(),
        cid: None,
        url: Some("https://x.com/i/web/status/1869".into()),
    };
    store.record("posted", &Outcome::Posted(remote)).unwrap();
    store.kv_set("oauth2/main_x", "{\"tokens\":1}").unwrap();
    tweetchat::transcript::publish(dir, &capture()).unwrap();
}

/// The saved search of hcsmbm on 2026-12-02.
fn capture() -> tweetchat::transcript::Capture {
    let data =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/transcript/2026-12-02.posts.json");
    tweetchat::transcript::Capture::load(&data).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_once_then_says_so_and_refuses_other_state() {
    let Some(pg) = Postgres::get() else { return };
    let url = pg.database().await;
    let state = tempfile::tempdir().unwrap();
    sqlite_state(state.path());

    let first = migrate(state.path(), &url);
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains("copied 2 posts and 1 values"),
        "{}",
        text(&first)
    );
    assert!(
        text(&first).contains("copied 1 transcript\n"),
        "{}",
        text(&first)
    );
    let again = migrate(state.path(), &url);
    assert!(again.status.success(), "{}", text(&again));
    assert!(text(&again).contains("already copied"), "{}", text(&again));
    assert!(
        text(&again).contains("copied 0 of 1 transcripts"),
        "{}",
        text(&again)
    );

    let (shared, _) = SharedStore::postgres(PgStore::connect(&url, None, "r1").await.unwrap());
    let posted = shared.lookup("posted").await.unwrap().unwrap();
    assert_eq!(posted.state, PostState::Posted);
    assert_eq!(posted.remote.unwrap().id, "1869");
    assert_eq!(
        shared.kv_get("oauth2/main_x").await.unwrap().as_deref(),
        Some("{\"tokens\":1}")
    );
    // The transcript came along: its saved search (to rebuild from) and
    // its page, byte for byte, which every replica now serves.
    let pg_store = shared.pg().unwrap();
    let (date, captures) = tweetchat::transcript::database::saved(pg_store, "hcsmbm", None)
        .await
        .unwrap()
        .expect("the saved search was copied");
    assert_eq!(date.to_string(), "2026-12-02");
    assert_eq!(captures, [capture()]);
    let page =
        std::fs::read_to_string(state.path().join("transcripts/hcsmbm/2026-12-02.html")).unwrap();
    assert_eq!(
        pg_store
            .transcript_html("hcsmbm", "2026-12-02")
            .await
            .unwrap()
            .as_deref(),
        Some(page.as_str())
    );
    // The intent is in doubt on PostgreSQL too: the first replica to claim
    // it looks it up on the platform first.
    assert_eq!(
        shared.claim(vec![intent("doubt")]).await.unwrap(),
        [Claim::InDoubt { attempts: 1 }]
    );

    // Another state into the same target: refused, nothing changed.
    let other = tempfile::tempdir().unwrap();
    let mut store = Store::open(other.path()).unwrap();
    store.claim(&[intent("elsewhere")]).unwrap();
    drop(store);
    let refused = migrate(other.path(), &url);
    assert!(!refused.status.success());
    let said = text(&refused);
    assert!(said.contains("is not empty"), "{said}");
    assert_eq!(shared.lookup("elsewhere").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_while_the_daemon_holds_the_folder_and_hides_the_password() {
    let Some(pg) = Postgres::get() else { return };
    let url = pg.database().await;
    let state = tempfile::tempdir().unwrap();
    sqlite_state(state.path());
    let held = StateLock::acquire(state.path()).unwrap();
    let refused = migrate(state.path(), &url);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("stop `tweetchat run`"),
        "{}",
        text(&refused)
    );
    drop(held);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = migrate(
        state.path(),
        &format!("postgres://app:hunter2@127.0.0.1:{port}/chats"),
    );
    assert!(!unreachable.status.success());
    let said = text(&unreachable);
    assert!(!said.contains("hunter2"), "{said}");
    assert!(said.contains("app:***@127.0.0.1"), "{said}");
}
