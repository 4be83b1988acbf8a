//! Two `tweetchat run` processes on one PostgreSQL (the test binary's
//! private cluster, `support/postgres.rs`) and one fake X, each with its own
//! state folder and replica name: every slot goes out exactly once; when
//! the replica holding a slot's claim is killed with SIGKILL just before
//! its instant, the other posts it; when it is stopped (SIGSTOP) beyond its
//! lease and then continued, it neither posts nor overwrites what the other
//! recorded. X has no idempotency, so the fake's count of create requests
//! per text (`creates`) shows any second attempt, even one X would refuse.
//! See docs/replicas.md ("Why no post goes out twice") for the argument these check.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use support::fake_x::FakeX;
use support::postgres::Postgres;

/// One replica: its config folder (with its log) and its process.
struct Replica {
    name: &'static str,
    dir: PathBuf,
    child: tokio::process::Child,
}

impl Replica {
    fn start(root: &Path, name: &'static str, url: &str, fake: &FakeX) -> Replica {
        Replica::start_listening(root, name, url, fake, "")
    }

    /// A replica serving its pages on `listen` (`""`: none).
    fn start_listening(
        root: &Path,
        name: &'static str,
        url: &str,
        fake: &FakeX,
        listen: &str,
    ) -> Replica {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("local.toml"),
            settings(root, &dir, name, url, fake, listen),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("daemon.log")).unwrap();
        let mut command = tweetchat(&dir);
        command
            .arg("run")
            .env("RUST_LOG", "info,tweetchat=debug")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true);
        Replica {
            name,
            dir,
            child: command.spawn().unwrap(),
        }
    }

    fn log(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("daemon.log")).unwrap_or_default();
        format!("--- {} ---\n{log}", self.name)
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.id().unwrap().to_string();
        let status = std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

/// A replica's (or a command's) `local.toml`: its own state folder, the
/// shared chats, the shared database, the fake X.
fn settings(root: &Path, dir: &Path, name: &str, url: &str, fake: &FakeX, listen: &str) -> String {
    format!(
        "state_dir = {:?}\nchats_dir = {:?}\ndefault_accounts = [\"main_x\"]\n\
         [http]\nlisten = {listen:?}\n\
         [store]\nurl = {url:?}\nreplica = {name:?}\n\
         [accounts.main_x]\nplatform = \"x\"\napi_base = {:?}\ntimeout = \"2s\"\n\
         consumer_key = \"fake-consumer-key\"\nconsumer_secret = \"fake-consumer-secret\"\n\
         access_token = \"2244994945-fake-access-token\"\n\
         access_token_secret = \"fake-access-token-secret\"\n",
        dir.join("state"),
        root.join("chats"),
        fake.base,
    )
}

/// `tweetchat --config-dir DIR`, with no settings from this environment.
fn tweetchat(dir: &Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_tweetchat"));
    command
        .arg("--config-dir")
        .arg(dir)
        .env_remove("TWEETCHAT_CONFIG_DIR");
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("TWEETCHAT__") {
            command.env_remove(key);
        }
    }
    command
}

/// A chat starting at `start`: the welcome, Q1 two seconds later and the
/// wrap-up at four.
fn write_chat(root: &Path, start: Timestamp, tag: &str) -> Vec<(String, SignedDuration)> {
    std::fs::create_dir_all(root.join("chats")).unwrap();
    let chat = format!(
        "title: Replicas\nhashtag: \"#{tag}\"\ntimezone: UTC\nstart: {}\nduration: 4s\n\
         announce: false\nwelcome: \"Welcome to {{title}}! {{hashtag}}\"\n\
         questions:\n  - at: 2s\n    text: Which replica is this?\n\
         wrapup: \"That's a wrap! {{hashtag}}\"\nthanks: false\n",
        start.strftime("%Y-%m-%d %H:%M:%S")
    );
    std::fs::write(root.join("chats/replicas.yaml"), chat).unwrap();
    vec![
        (format!("Welcome to Replicas! #{tag}"), SignedDuration::ZERO),
        (
            format!("Q1. Which replica is this? #{tag}"),
            SignedDuration::from_secs(2),
        ),
        (
            format!("That's a wrap! #{tag}"),
            SignedDuration::from_secs(4),
        ),
    ]
}

/// Waits until every replica says it is running (a bound against a hang).
async fn wait_running(replicas: &[Replica]) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !replicas
        .iter()
        .all(|r| r.log().contains("tweetchat is running"))
    {
        let logs = replicas.iter().map(Replica::log).collect::<String>();
        assert!(tokio::time::Instant::now() < deadline, "{logs}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Two replicas started on an empty chats folder; once each says it is
/// running, the chat is written to start a few seconds later and each is
/// told to rescan (SIGHUP). So the instant is ahead of both replicas'
/// claims however slowly they started on a loaded machine, and the kill or
/// the stop lands just before it.
async fn two_running_then_the_chat(
    root: &Path,
    url: &str,
    fake: &FakeX,
    tag: &str,
) -> ([Replica; 2], Timestamp, Vec<(String, SignedDuration)>) {
    std::fs::create_dir_all(root.join("chats")).unwrap();
    let replicas = [
        Replica::start(root, "a", url, fake),
        Replica::start(root, "b", url, fake),
    ];
    wait_running(&replicas).await;
    let start = Timestamp::from_second(Timestamp::now().as_second() + 5).unwrap();
    let expected = write_chat(root, start, tag);
    for replica in &replicas {
        replica.signal("-HUP");
    }
    (replicas, start, expected)
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client
}

/// The replica holding the welcome's claim, once one does (polled from
/// before its instant).
async fn welcome_owner(db: &tokio_postgres::Client, until: Timestamp) -> Option<String> {
    while Timestamp::now() < until {
        let row = db
            .query_opt(
                "SELECT owner FROM posts WHERE kind = 'welcome' AND state = 'intent'",
                &[],
            )
            .await
            // The replicas may not have created the table yet.
            .unwrap_or(None);
        if let Some(owner) = row.and_then(|row| row.get::<_, Option<String>>(0)) {
            return Some(owner);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

async fn sleep_until(at: Timestamp) {
    let left = at.duration_since(Timestamp::now());
    if left.is_positive() {
        tokio::time::sleep(left.unsigned_abs()).await;
    }
}

/// Waits until every expected text is on X, then a little more (for a
/// second attempt that would come late), and checks each is there once,
/// was sent once, and is recorded as posted with that tweet's id.
async fn assert_each_once(
    fake: &FakeX,
    db: &tokio_postgres::Client,
    expected: &[(String, SignedDuration)],
    logs: impl Fn() -> String,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let on_x = fake.tweets();
        if expected
            .iter()
            .all(|(text, _)| on_x.iter().any(|t| &t.sent_text == text))
        {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{}", logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Past every lease and write hold (2 s timeout + 5 s): a late second
    // attempt would have arrived by now.
    tokio::time::sleep(Duration::from_secs(9)).await;
    let tweets = fake.tweets();
    let creates = fake.state().creates.clone();
    for (text, _) in expected {
        let on_x: Vec<_> = tweets.iter().filter(|t| &t.sent_text == text).collect();
        assert_eq!(on_x.len(), 1, "{text}\n{}", logs());
        assert_eq!(creates.get(text), Some(&1), "{text} sent again\n{}", logs());
        let row = db
            .query_one(
                "SELECT state, remote_id FROM posts WHERE remote_id = $1",
                &[&on_x[0].id],
            )
            .await;
        let row = row.unwrap_or_else(|err| panic!("{text}: {err}\n{}", logs()));
        assert_eq!(row.get::<_, String>(0), "posted", "{text}");
    }
    assert_eq!(tweets.len(), expected.len(), "{}", logs());
}

/// Both replicas run the whole chat: each slot once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_post_every_slot_exactly_once() {
    let Some(pg) = Postgres::get() else { return };
    let url = pg.database().await;
    let fake = FakeX::start().await;
    let root = tempfile::tempdir().unwrap();
    let start = Timestamp::from_second(Timestamp::now().as_second() + 6).unwrap();
    let tag = format!("rep{}", std::process::id() % 100_000);
    let expected = write_chat(root.path(), start, &tag);
    let replicas = [
        Replica::start(root.path(), "a", &url, &fake),
        Replica::start(root.path(), "b", &url, &fake),
    ];
    let db = connect(&url).await;
    let logs = || replicas.iter().map(Replica::log).collect::<String>();
    assert_each_once(&fake, &db, &expected, logs).await;
}

/// The owner of the welcome's claim is killed just before the welcome's
/// instant: the other replica takes the claim over as in doubt, looks the
/// welcome up on X, does not find it and posts it; the rest of the chat
/// goes on from the survivor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_killed_at_its_instant_is_replaced() {
    let Some(pg) = Postgres::get() else { return };
    let url = pg.database().await;
    let fake = FakeX::start().await;
    let root = tempfile::tempdir().unwrap();
    let tag = format!("kill{}", std::process::id() % 100_000);
    let (mut replicas, start, expected) =
        two_running_then_the_chat(root.path(), &url, &fake, &tag).await;
    let db = connect(&url).await;
    let owner = welcome_owner(&db, start)
        .await
        .unwrap_or_else(|| panic!("nobody claimed the welcome ahead of its instant"));
    sleep_until(start - SignedDuration::from_millis(30)).await;
    let owner = replicas.iter_mut().find(|r| r.name == owner).unwrap();
    owner.child.start_kill().unwrap();
    owner.child.wait().await.unwrap();
    let logs = || replicas.iter().map(Replica::log).collect::<String>();
    assert_each_once(&fake, &db, &expected, &logs).await;
    let welcome = fake
        .tweets()
        .into_iter()
        .find(|t| t.sent_text == expected[0].0)
        .unwrap();
    eprintln!(
        "failover: the welcome arrived {:#} after its instant",
        welcome.created_at.duration_since(start)
    );
    assert!(logs().contains("claimed before by a run that did not finish it"));
}

/// The owner of the welcome's claim is stopped just before the instant,
/// for longer than its lease; the other replica posts the welcome. Woken
/// up, the first neither posts it nor records anything over it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_paused_beyond_its_lease_neither_posts_nor_overwrites() {
    let Some(pg) = Postgres::get() else { return };
    let url = pg.database().await;
    let fake = FakeX::start().await;
    let root = tempfile::tempdir().unwrap();
    let tag = format!("stop{}", std::process::id() % 100_000);
    let (replicas, start, expected) =
        two_running_then_the_chat(root.path(), &url, &fake, &tag).await;
    let db = connect(&url).await;
    let owner = welcome_owner(&db, start)
        .await
        .unwrap_or_else(|| panic!("nobody claimed the welcome ahead of its instant"));
    sleep_until(start - SignedDuration::from_millis(30)).await;
    let paused = replicas.iter().find(|r| r.name == owner).unwrap();
    paused.signal("-STOP");
    // The other replica takes the welcome over once the lease has run out.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !fake.tweets().iter().any(|t| t.sent_text == expected[0].0) {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    paused.signal("-CONT");
    let logs = || replicas.iter().map(Replica::log).collect::<String>();
    assert_each_once(&fake, &db, &expected, &logs).await;
    assert!(
        paused.log().contains("taken over by another replica"),
        "{}",
        logs()
    );
}

/// A replica started before PostgreSQL can be reached (nothing listens on
/// its port) waits for it, saying so, rather than exiting: a refusal (exit
/// 3) would not be restarted by the systemd unit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_started_before_postgres_answers_waits_for_it() {
    let port = free_port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/tweetchat");
    let fake = FakeX::start().await;
    let root = tempfile::tempdir().unwrap();
    write_chat(
        root.path(),
        Timestamp::now() + SignedDuration::from_hours(1),
        "wait",
    );
    let mut replica = Replica::start(root.path(), "early", &url, &fake);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !replica.log().contains("trying again in") {
        assert!(tokio::time::Instant::now() < deadline, "{}", replica.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        replica.child.try_wait().unwrap().is_none(),
        "{}",
        replica.log()
    );
    assert!(
        replica.log().contains("is unreachable"),
        "{}",
        replica.log()
    );
}

/// A server that answers and refuses (here: no such database) stops the
/// replica at once with exit code 3: waiting would not change it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_refused_by_postgres_stops_with_exit_code_3() {
    let Some(pg) = Postgres::get() else { return };
    let url = support::postgres::with_database(pg.admin_url(), "no_such_database");
    let fake = FakeX::start().await;
    let root = tempfile::tempdir().unwrap();
    write_chat(
        root.path(),
        Timestamp::now() + SignedDuration::from_hours(1),
        "refused",
    );
    let mut replica = Replica::start(root.path(), "refused", &url, &fake);
    let status = tokio::time::timeout(Duration::from_secs(60), replica.child.wait())
        .await
        .unwrap_or_else(|_| panic!("still running:\n{}", replica.log()))
        .unwrap();
    assert_eq!(status.code(), Some(3), "{}", replica.log());
    assert!(
        replica.log().contains("no_such_database"),
        "{}",
        replica.log()
    );
    assert!(
        !replica.log().contains("trying again in"),
        "{}",
        replica.log()
    );
}

/// A state folder left by SQLite, as after `store migrate`: its identity
/// mirror names a store with 9 writes and the console's outbox holds a
/// line stamped with it. On SQLite that folder beside a new database is
/// refused (issue 25's check); a replica on PostgreSQL starts on it and
/// posts, since the identity check is SQLite's (the shared database has no
/// mirror per folder).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_folder_left_by_sqlite_does_not_stop_a_replica() {
    let Some(pg) = Postgres::get() else { return };
    let url = pg.database().await;
    let fake = FakeX::start().await;
    let root = tempfile::tempdir().unwrap();
    let start = Timestamp::from_second(Timestamp::now().as_second() + 6).unwrap();
    let tag = format!("left{}", std::process::id() % 100_000);
    let expected = write_chat(root.path(), start, &tag);
    let state = root.path().join("migrated/state");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(
        state.join("identity"),
        "id = 0123456789abcdef0123456789abcdef\nseq = 9\n",
    )
    .unwrap();
    let at = Timestamp::now() - SignedDuration::from_mins(5);
    std::fs::write(
        state.join("outbox.jsonl"),
        format!(
            "{{\"key\":\"old/{at}/welcome/console\",\"at\":\"{at}\",\"posted_at\":\"{at}\",\
             \"text\":\"Welcome #old\",\"reply_to\":null,\
             \"store\":{{\"id\":\"0123456789abcdef0123456789abcdef\",\"seq\":9}}}}\n"
        ),
    )
    .unwrap();
    let replica = Replica::start(root.path(), "migrated", &url, &fake);
    let db = connect(&url).await;
    assert_each_once(&fake, &db, &expected, || replica.log()).await;
    assert!(!replica.log().contains("not starting"), "{}", replica.log());
}

/// The console's record is shared on PostgreSQL: a replica died after
/// writing its console post (the line is in the database) and before
/// recording it (the claim is an intent with an expired lease). Another
/// replica takes the key over in doubt, finds the line in the database,
/// though its own outbox file does not have it, and records the post
/// without writing it again; the rest of the chat goes out once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_post_made_by_a_dead_replica_is_found_in_the_database() {
    let Some(pg) = Postgres::get() else { return };
    let url = pg.database().await;
    let fake = FakeX::start().await;
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("chats")).unwrap();
    let replica = Replica::start(root.path(), "survivor", &url, &fake);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !replica.log().contains("tweetchat is running") {
        assert!(tokio::time::Instant::now() < deadline, "{}", replica.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let start = Timestamp::from_second(Timestamp::now().as_second() + 4).unwrap();
    let occurrence = start.strftime("%Y-%m-%dT%H:%M").to_string();
    let key = format!("console/{occurrence}/welcome/console");
    let welcome = "Welcome to Console! #consoletag";
    let db = connect(&url).await;
    db.execute(
        "INSERT INTO posts (key, chat, occurrence, kind, n, account, due, state, attempts, \
         updated_at, owner, lease_until, generation) VALUES ($1, 'console', $2, 'welcome', \
         NULL, 'console', $3, 'intent', 1, $3, 'dead', 0, 1)",
        &[&key, &occurrence, &start.as_millisecond()],
    )
    .await
    .unwrap();
    let line = serde_json::json!({
        "key": key, "at": start.to_string(), "posted_at": start.to_string(),
        "text": welcome, "reply_to": null,
    });
    db.execute(
        "INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, 0)",
        &[&format!("console/{key}"), &line.to_string()],
    )
    .await
    .unwrap();
    std::fs::write(
        root.path().join("chats/console.yaml"),
        format!(
            "title: Console\nhashtag: \"#consoletag\"\ntimezone: UTC\nstart: {}\n\
             duration: 4s\nannounce: false\naccounts: [console]\n\
             welcome: \"Welcome to {{title}}! {{hashtag}}\"\n\
             questions:\n  - at: 2s\n    text: Which replica is this?\n\
             wrapup: \"That's a wrap! {{hashtag}}\"\nthanks: false\n",
            start.strftime("%Y-%m-%d %H:%M:%S")
        ),
    )
    .unwrap();
    replica.signal("-HUP");
    let outbox = replica.dir.join("state/outbox.jsonl");
    let lines = || {
        std::fs::read_to_string(&outbox)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    while lines().len() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "{}", replica.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let row = db
        .query_one(
            "SELECT state, generation FROM posts WHERE key = $1",
            &[&key],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "posted", "{}", replica.log());
    assert_eq!(row.get::<_, i64>(1), 2, "taken over once");
    let written = lines();
    assert!(
        !written.iter().any(|l| l.contains(welcome)),
        "the welcome was written again: {written:?}\n{}",
        replica.log()
    );
    assert_eq!(written.len(), 2, "Q1 and the wrap-up: {written:?}");
    let shared: i64 = db
        .query_one("SELECT count(*) FROM kv WHERE key LIKE 'console/%'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(shared, 3, "every console post is in the database");
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// One replica runs the thank-you, but the transcript is the database's:
/// both replicas serve its page and link it from the chat's page, neither
/// writes a file, and `tweetchat transcript` on a third machine (a folder
/// of its own, no replica's disk) rebuilds it from the saved search.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_replica_serves_the_transcript_and_any_machine_rebuilds_it() {
    let Some(pg) = Postgres::get() else { return };
    let url = pg.database().await;
    let fake = FakeX::start().await;
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("chats")).unwrap();
    let ports = [free_port(), free_port()];
    let replicas = [
        Replica::start_listening(
            root.path(),
            "a",
            &url,
            &fake,
            &format!("127.0.0.1:{}", ports[0]),
        ),
        Replica::start_listening(
            root.path(),
            "b",
            &url,
            &fake,
            &format!("127.0.0.1:{}", ports[1]),
        ),
    ];
    let logs = || replicas.iter().map(Replica::log).collect::<String>();
    wait_running(&replicas).await;
    let start = Timestamp::from_second(Timestamp::now().as_second() + 4).unwrap();
    let tag = format!("tr{}", std::process::id() % 100_000);
    let chat = format!(
        "title: Replicas\nhashtag: \"#{tag}\"\ntimezone: UTC\nstart: {}\nduration: 4s\n\
         announce: false\nwelcome: \"Welcome to {{title}}! {{hashtag}}\"\n\
         questions:\n  - at: 2s\n    text: Which replica is this?\n\
         wrapup: \"That's a wrap! {{hashtag}}\"\n\
         thanks:\n  after: 1s\n  text: \"Thank you {{mentions}}! {{hashtag}}\"\n",
        start.strftime("%Y-%m-%d %H:%M:%S")
    );
    let ada = support::fake_x_data::FakeUser::new("5001", "ada", "Ada");
    fake.seed_search([support::fake_x_data::SearchPost::new(
        900,
        &ada,
        &format!("A1 both replicas hear me #{tag}"),
        // X's search sees nothing from its last 10 s, and the chat's end is
        // closer than that: an early bird's answer.
        start - SignedDuration::from_secs(30),
    )]);
    std::fs::write(root.path().join("chats/replicas.yaml"), chat).unwrap();
    for replica in &replicas {
        replica.signal("-HUP");
    }

    let db = connect(&url).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let built: Option<bool> = db
            .query_opt(
                "SELECT html IS NOT NULL FROM transcripts WHERE chat = 'replicas'",
                &[],
            )
            .await
            .ok()
            .flatten()
            .map(|row| row.get(0));
        if built == Some(true) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{}", logs());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        fake.tweets()
            .iter()
            .any(|t| t.sent_text.starts_with("Thank you @ada")),
        "{:?}\n{}",
        fake.tweets(),
        logs()
    );
    let date = start.to_zoned(jiff::tz::TimeZone::UTC).date();
    tweetchat::tls::init();
    let client = reqwest::Client::new();
    let get = |port: u16, path: String| {
        let client = client.clone();
        async move {
            let answer = client
                .get(format!("http://127.0.0.1:{port}{path}"))
                .send()
                .await
                .unwrap();
            (answer.status(), answer.text().await.unwrap())
        }
    };
    for port in ports {
        let (status, body) = get(port, format!("/chats/replicas/transcripts/{date}")).await;
        assert_eq!(status, 200, "replica on {port}\n{}", logs());
        assert!(body.contains("A1 both replicas hear me"), "{body}");
        let (_, chat_page) = get(port, "/chats/replicas".into()).await;
        assert!(
            chat_page.contains(&format!("/chats/replicas/transcripts/{date}")),
            "replica on {port} does not link the transcript\n{chat_page}"
        );
    }
    for replica in &replicas {
        assert!(
            !replica.dir.join("state/transcripts").exists(),
            "{} wrote transcript files",
            replica.name
        );
    }
    // Each counts the replicas alive (every few seconds) for /metrics.
    for port in ports {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let (_, metrics) = get(port, "/metrics".into()).await;
            if metrics.contains("\ntweetchat_replicas_alive 2\n") {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{metrics}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    // A third machine: only the settings, an empty folder of its own.
    let elsewhere = root.path().join("c");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(
        elsewhere.join("local.toml"),
        settings(root.path(), &elsewhere, "c", &url, &fake, ""),
    )
    .unwrap();
    let rebuilt = tweetchat(&elsewhere)
        .args(["transcript", "replicas"])
        .output()
        .await
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&rebuilt.stdout),
        String::from_utf8_lossy(&rebuilt.stderr)
    );
    assert!(rebuilt.status.success(), "{said}");
    assert!(said.contains("saved in the state database"), "{said}");
    let markdown =
        std::fs::read_to_string(elsewhere.join(format!("state/transcripts/replicas/{date}.md")))
            .unwrap();
    assert!(markdown.contains("A1 both replicas hear me"), "{markdown}");
}
