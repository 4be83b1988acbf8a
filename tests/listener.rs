//! The HTTP listener under hostile clients: a thousand idle connections
//! under `ulimit -n 256` while a chat posts, a slowloris, an idle
//! keep-alive connection, a full listener, and a flood of `.ics` requests
//! while 51 posts are due. The processes are the real binary; the others
//! are the real listener on 127.0.0.1. Nothing here asserts on time taken
//! beyond "within a generous deadline" (lateness under a flood is measured
//! by `benches/run.sh --flood`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use tweetchat::clock::Clock;
use tweetchat::http::pages::OperatorAccess;
use tweetchat::http::{Health, HttpState, Limits, Metrics, Options, serve_with};

#[derive(Debug, Deserialize)]
struct Entry {
    key: String,
    at: Timestamp,
    posted_at: Timestamp,
}

struct Setup {
    dir: tempfile::TempDir,
    chats: PathBuf,
    state: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let chats = dir.path().join("chats");
    let state = dir.path().join("state");
    std::fs::create_dir_all(&chats).unwrap();
    Setup { chats, state, dir }
}

/// `tweetchat run` through a shell that first sets `ulimit -n` (soft and
/// hard, so the daemon cannot raise it) when `open_files` is given.
fn start_daemon(setup: &Setup, open_files: Option<u32>, header_timeout: &str) -> Child {
    let limit = open_files.map_or(String::new(), |n| format!("ulimit -n {n} && "));
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(setup.dir.path().join("daemon.log"))
        .unwrap();
    Command::new("sh")
        .arg("-c")
        .arg(format!("{limit}exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_tweetchat"))
        .arg("--config-dir")
        .arg(setup.dir.path().join("no-config"))
        .arg("run")
        .env("TWEETCHAT__CHATS_DIR", &setup.chats)
        .env("TWEETCHAT__STATE_DIR", &setup.state)
        .env("TWEETCHAT__HTTP__LISTEN", "127.0.0.1:0")
        .env("TWEETCHAT__HTTP__HEADER_TIMEOUT", header_timeout)
        .env("TWEETCHAT__RESCAN_INTERVAL", "1")
        .env("TWEETCHAT__DEFAULT_ACCOUNTS", "console")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn logs(setup: &Setup) -> String {
    std::fs::read_to_string(setup.dir.path().join("daemon.log")).unwrap_or_default()
}

/// The listener's address and connection cap, as logged at start-up.
fn listening(setup: &Setup) -> (String, usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let logs = logs(setup);
        if let Some(line) = logs.lines().find(|l| l.contains("serving /healthz")) {
            let field = |name: &str| {
                line.split(&format!("{name}="))
                    .nth(1)
                    .and_then(|rest| rest.split_whitespace().next())
                    .unwrap_or_default()
                    .to_string()
            };
            return (field("listen"), field("max_connections").parse().unwrap());
        }
        assert!(Instant::now() < deadline, "no listen address:\n{logs}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("tweetchat run did not stop within 15 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A one-off chat in UTC starting at `start`: welcome, one question at 2 s,
/// wrap-up at 4 s.
fn write_chat(dir: &Path, id: &str, start: Timestamp) {
    let start = start.strftime("%Y-%m-%d %H:%M:%S");
    let yaml = format!(
        "title: Listener test\nhashtag: \"#{id}\"\ntimezone: UTC\nstart: {start}\n\
         duration: 4s\nannounce: false\nwelcome: \"Welcome {{hashtag}}\"\n\
         questions:\n  - at: 2s\n    text: What brings you here?\n\
         wrapup: \"That's a wrap {{hashtag}}\"\nthanks: false\n"
    );
    let tmp = dir.join(format!(".{id}.tmp"));
    std::fs::write(&tmp, yaml).unwrap();
    std::fs::rename(&tmp, dir.join(format!("{id}.yaml"))).unwrap();
}

fn outbox(setup: &Setup) -> Vec<Entry> {
    let Ok(text) = std::fs::read_to_string(setup.state.join("outbox.jsonl")) else {
        return Vec::new();
    };
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn wait_for_posts(setup: &Setup, count: usize, limit: Duration) -> Vec<Entry> {
    let deadline = Instant::now() + limit;
    loop {
        let entries = outbox(setup);
        if entries.len() >= count || Instant::now() > deadline {
            return entries;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A whole second a few seconds from now.
fn soon(seconds: i64) -> Timestamp {
    Timestamp::from_second(Timestamp::now().as_second() + seconds).unwrap()
}

/// `GET path` on a fresh connection; the whole response.
fn get(addr: &str, path: &str) -> std::io::Result<String> {
    let socket: std::net::SocketAddr = addr.parse().map_err(std::io::Error::other)?;
    let mut stream = TcpStream::connect_timeout(&socket, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response)
}

/// `/healthz` answers 200, within a few tries and a minute.
fn healthz_answers(addr: &str) -> String {
    let mut last = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match get(addr, "/healthz") {
            Ok(response) if response.starts_with("HTTP/1.1 200") => return response,
            Ok(response) => last = response,
            Err(err) => last = err.to_string(),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("/healthz never answered 200; last: {last}");
}

/// Whether the server has closed `stream` (a read sees the end).
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(5)));
    let mut buf = [0u8; 64];
    match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => true, // a 503 before the close
        Err(err) => err.kind() == std::io::ErrorKind::ConnectionReset,
    }
}

#[test]
fn a_thousand_idle_connections_under_ulimit_256_do_not_stop_a_post() {
    // The test itself holds a thousand sockets.
    tweetchat::http::fds::raise_open_file_limit();
    let setup = setup();
    let mut daemon = start_daemon(&setup, Some(256), "60s");
    let (addr, cap) = listening(&setup);
    assert_eq!(cap, 128, "256 descriptors less the reserve of 128");

    let mut idle = Vec::new();
    let socket: std::net::SocketAddr = addr.parse().unwrap();
    for _ in 0..1000 {
        if let Ok(stream) = TcpStream::connect_timeout(&socket, Duration::from_secs(2)) {
            idle.push(stream);
        }
    }
    assert!(idle.len() > 500, "only {} connected", idle.len());
    // Written while they are held: the rescan must still open the file,
    // and the posts the outbox.
    let start = soon(3);
    write_chat(&setup.chats, "idle", start);
    let entries = wait_for_posts(&setup, 3, Duration::from_secs(30));
    let health = healthz_answers(&addr);
    let closed = idle.iter_mut().map(closed_by_server).filter(|c| *c).count();
    terminate(&mut daemon);

    let logs = logs(&setup);
    let keys: Vec<_> = entries
        .iter()
        .map(|e| e.key.rsplit('/').nth(1).unwrap())
        .collect();
    assert_eq!(
        keys,
        ["welcome", "question1", "wrapup"],
        "{entries:?}\n{logs}"
    );
    for entry in &entries {
        // Posted, and not as a missed post long after its instant (the
        // review saw 94 s); how late exactly is measured in benches/.
        let late = entry.posted_at.duration_since(entry.at);
        assert!(
            late < jiff::SignedDuration::from_secs(10),
            "{} posted {late:#} after its instant\n{logs}",
            entry.key
        );
    }
    assert!(health.ends_with("ok\n"), "{health}");
    assert!(
        closed + cap >= idle.len(),
        "{closed} of {} idle connections closed; at most {cap} may stay",
        idle.len()
    );
    assert!(!logs.contains("Too many open files"), "{logs}");
}

#[test]
fn a_flood_of_calendar_requests_while_51_posts_are_due_loses_nothing() {
    let setup = setup();
    let start = soon(8);
    let chats: Vec<String> = (0..17).map(|i| format!("flood{i}")).collect();
    for id in &chats {
        write_chat(&setup.chats, id, start);
    }
    let mut daemon = start_daemon(&setup, None, "10s");
    let (addr, _) = listening(&setup);

    let done = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let flooders: Vec<_> = (0..16)
        .map(|n| {
            let (addr, done, served) = (addr.clone(), done.clone(), served.clone());
            let chats = chats.clone();
            std::thread::spawn(move || {
                let mut bodies = Vec::new();
                let mut i = n;
                while !done.load(Ordering::Relaxed) {
                    let chat = &chats[i % chats.len()];
                    i += 1;
                    let Ok(response) = get(&addr, &format!("/chats/{chat}.ics")) else {
                        continue;
                    };
                    served.fetch_add(1, Ordering::Relaxed);
                    if bodies.len() < 64 {
                        bodies.push(response);
                    }
                }
                bodies
            })
        })
        .collect();
    let entries = wait_for_posts(&setup, 51, Duration::from_secs(40));
    done.store(true, Ordering::Relaxed);
    let responses: Vec<String> = flooders
        .into_iter()
        .flat_map(|f| f.join().unwrap())
        .collect();
    let health = healthz_answers(&addr);
    terminate(&mut daemon);

    let logs = logs(&setup);
    let mut keys: Vec<_> = entries.iter().map(|e| e.key.clone()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 51, "every post once: {entries:?}\n{logs}");
    assert_eq!(entries.len(), 51, "none twice: {entries:?}");
    assert!(served.load(Ordering::Relaxed) > 0);
    for response in &responses {
        // Before the rescan has loaded a chat its calendar is a 404 page.
        if response.starts_with("HTTP/1.1 404") {
            continue;
        }
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(
            response.contains("\r\n\r\nBEGIN:VCALENDAR\r\n"),
            "{response}"
        );
        assert!(response.contains("SEQUENCE:0\r\n"), "{response}");
    }
    assert!(health.ends_with("ok\n"), "{health}");
    let latest = entries
        .iter()
        .map(|e| e.posted_at.duration_since(e.at))
        .max()
        .unwrap_or_default();
    eprintln!(
        "{} calendar requests answered; latest post {latest:#} after its instant",
        served.load(Ordering::Relaxed)
    );
}

/// The listener alone on a loopback port, with `limits`.
async fn listener(limits: Limits) -> (String, CancellationToken) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let health = Arc::new(Health::new(Duration::from_secs(3600)));
    health.beat();
    let state = HttpState {
        metrics: Arc::new(Metrics::default()),
        health,
        clock: Clock::starting_at("2026-12-02T18:00:00Z".parse().unwrap()),
    };
    let options = Options {
        access: OperatorAccess::default(),
        limits,
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(serve_with(listener, state, None, options, shutdown.clone()));
    (addr, shutdown)
}

/// Reads until the server closes the connection (within a generous 20 s);
/// what it sent.
async fn until_closed(stream: &mut tokio::net::TcpStream) -> String {
    let mut all = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut all)).await;
    assert!(read.is_ok(), "the server kept the connection open");
    String::from_utf8_lossy(&all).into_owned()
}

#[tokio::test]
async fn a_slowloris_is_closed_after_the_header_timeout() {
    let limits = Limits {
        cap: 16,
        header_timeout: Duration::from_secs(1),
    };
    let (addr, shutdown) = listener(limits).await;
    let stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let closed = tokio::spawn(async move {
        let mut all = Vec::new();
        let _ = reader.read_to_end(&mut all).await;
        all
    });
    // One header line every 200 ms, for up to 30 s: never a whole head.
    let mut sent = 0;
    let trickle = async {
        writer.write_all(b"GET /healthz HTTP/1.1\r\n").await?;
        for i in 0..150 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            writer.write_all(format!("x-{i}: y\r\n").as_bytes()).await?;
            sent += 1;
        }
        std::io::Result::Ok(())
    };
    let trickled = tokio::select! {
        result = trickle => result.is_ok(),
        _ = tokio::time::sleep(Duration::from_secs(40)) => true,
    };
    let answer = tokio::time::timeout(Duration::from_secs(10), closed)
        .await
        .expect("the server never closed the slowloris connection")
        .unwrap();
    assert!(!trickled || sent < 150, "the trickle went on undisturbed");
    let answer = String::from_utf8_lossy(&answer);
    assert!(!answer.contains("200 OK"), "{answer}");
    // The listener still serves everyone else.
    let mut fresh = tokio::net::TcpStream::connect(&addr).await.unwrap();
    fresh
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    assert!(until_closed(&mut fresh).await.starts_with("HTTP/1.1 200"));
    shutdown.cancel();
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_timeout() {
    let limits = Limits {
        cap: 16,
        header_timeout: Duration::from_secs(1),
    };
    let (addr, shutdown) = listener(limits).await;
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // The answer comes, then nothing more is asked: the server closes.
    let all = until_closed(&mut stream).await;
    assert!(all.starts_with("HTTP/1.1 200"), "{all}");
    assert!(all.ends_with("ok\n"), "one answer, then the close: {all}");
    let mut probe = [0u8; 1];
    assert_eq!(stream.read(&mut probe).await.unwrap_or(0), 0, "closed");
    shutdown.cancel();
}

#[tokio::test]
async fn a_full_listener_closes_its_oldest_idle_connection_for_a_new_one() {
    let limits = Limits {
        cap: 4,
        header_timeout: Duration::from_secs(60),
    };
    let (addr, shutdown) = listener(limits).await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
        // Accepted in this order.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut fresh = tokio::net::TcpStream::connect(&addr).await.unwrap();
    fresh
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    assert!(until_closed(&mut fresh).await.starts_with("HTTP/1.1 200"));
    let oldest = until_closed(&mut idle[0]).await;
    assert_eq!(oldest, "", "the oldest idle connection was closed");
    // The others are still open: a request on the newest is answered.
    let newest = idle.last_mut().unwrap();
    newest
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    assert!(until_closed(newest).await.starts_with("HTTP/1.1 200"));
    shutdown.cancel();
}
