//! A real PostgreSQL for the tests: a private cluster per test binary, or
//! the server `TWEETCHAT_TEST_POSTGRES` names (a URL whose user may create
//! databases).
//!
//! The private cluster is Debian's PostgreSQL (`/usr/lib/postgresql/N/bin`,
//! the highest N; `tests/run` and `.ci/run` install it when missing):
//! `initdb` into a temporary folder, then `postgres` on a free
//! 127.0.0.1 port with its unix socket inside that folder, `fsync` off (a
//! test's data need not survive a power cut). Run as root, both run as the
//! `postgres` user (PostgreSQL refuses root), the folder owned by it.
//!
//! Rather than `pg_ctl start`, which leaves a server running after the test
//! binary dies, the server runs under a small shell that watches its stdin:
//! when the test binary ends, however it ends (a panic, `kill -9`), the pipe
//! closes, the shell stops the server (fast shutdown) and removes the
//! folder. A static is never dropped, so this is the "stop on drop" that
//! also holds for a killed binary.
//!
//! Each test gets a database of its own ([`Postgres::database`]); when
//! PostgreSQL cannot be had, [`Postgres::get`] records a skip (see
//! `skip.rs`), or fails under CI.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// A PostgreSQL server the tests may create databases on.
pub struct Postgres {
    /// A URL to the `postgres` database as a user who may create databases.
    admin_url: String,
    _server: Option<Server>,
}

/// The private cluster's watcher shell; it stops the server when its stdin
/// closes.
struct Server {
    _child: Mutex<Child>,
    _stdin: Mutex<ChildStdin>,
}

static POSTGRES: OnceLock<Result<Postgres, String>> = OnceLock::new();
static DATABASES: AtomicUsize = AtomicUsize::new(0);

impl Postgres {
    /// The server of this test binary, started on first use; `None` after
    /// recording a skip when PostgreSQL is not installed here.
    pub fn get() -> Option<&'static Postgres> {
        match POSTGRES.get_or_init(Postgres::start) {
            Ok(pg) => Some(pg),
            Err(why) => {
                super::skip::skip_or_fail(why);
                None
            }
        }
    }

    fn start() -> Result<Postgres, String> {
        if let Some(url) = std::env::var_os("TWEETCHAT_TEST_POSTGRES") {
            let url = url
                .into_string()
                .map_err(|_| "TWEETCHAT_TEST_POSTGRES is not UTF-8".to_string())?;
            return Ok(Postgres {
                admin_url: url,
                _server: None,
            });
        }
        let bin = bin_dir().ok_or_else(|| {
            "PostgreSQL is not installed (no /usr/lib/postgresql/N/bin/initdb); bash tests/run \
             installs it, or set TWEETCHAT_TEST_POSTGRES"
                .to_string()
        })?;
        let mut last = String::new();
        // A free port may be taken between finding it and listening on it.
        for _ in 0..3 {
            match Server::start(&bin) {
                Ok((server, port)) => {
                    return Ok(Postgres {
                        admin_url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
                        _server: Some(server),
                    });
                }
                Err(err) => last = err,
            }
        }
        Err(format!("the private PostgreSQL did not start: {last}"))
    }

    /// A new, empty database for one test, as a URL
    /// (`postgres://postgres@127.0.0.1:PORT/tN_M`).
    pub async fn database(&self) -> String {
        let name = format!(
            "t{}_{}",
            std::process::id(),
            DATABASES.fetch_add(1, Ordering::Relaxed)
        );
        let (client, connection) = tokio_postgres::connect(&self.admin_url, tokio_postgres::NoTls)
            .await
            .expect("connecting to the test PostgreSQL");
        let connection = tokio::spawn(connection);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("creating a test database");
        drop(client);
        let _ = connection.await;
        with_database(&self.admin_url, &name)
    }

    /// The URL of the server's `postgres` database.
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }
}

/// `url` with its database replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// Debian's newest PostgreSQL binaries.
fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// The script the watcher shell runs: initdb, the server in the
/// background, then wait for stdin to close and stop it.
const SCRIPT: &str = r#"
set -u
"$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >"$DIR/initdb.log" 2>&1 || { echo "initdb failed: $(tail -3 "$DIR/initdb.log")"; exit 1; }
"$BIN/postgres" -D "$DIR/data" -h 127.0.0.1 -p "$PORT" -k "$DIR" -F \
    -c max_connections=300 -c log_min_messages=warning ${EXTRA:-} >"$DIR/server.log" 2>&1 &
pid=$!
echo "started $pid"
cat >/dev/null
kill -INT "$pid" 2>/dev/null
wait "$pid"
rm -rf "$DIR"
"#;

/// A server that takes TLS connections only, with the test certificates
/// of `tests/data/tls/postgres` (for the name `localhost`).
const TLS_HBA: &str = "local all all trust\n\
    hostnossl all all 127.0.0.1/32 reject\n\
    hostssl all all 127.0.0.1/32 trust\n";

impl Postgres {
    /// A private cluster of its own that refuses plain connections and
    /// serves `tests/data/tls/postgres/server.pem`; stopped when dropped.
    /// `None` after recording a skip when PostgreSQL is not installed.
    pub fn start_tls() -> Option<Postgres> {
        let started = bin_dir()
            .ok_or_else(|| {
                "PostgreSQL is not installed (no /usr/lib/postgresql/N/bin/initdb)".to_string()
            })
            .and_then(|bin| Server::start_with(&bin, true));
        match started {
            Ok((server, port)) => Some(Postgres {
                admin_url: format!("postgres://postgres@localhost:{port}/postgres"),
                _server: Some(server),
            }),
            Err(why) => {
                super::skip::skip_or_fail(&why);
                None
            }
        }
    }
}

impl Server {
    fn start(bin: &Path) -> Result<(Server, u16), String> {
        Server::start_with(bin, false)
    }

    fn start_with(bin: &Path, tls: bool) -> Result<(Server, u16), String> {
        let port = free_port()?;
        let dir = tempfile::Builder::new()
            .prefix("tweetchat-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?
            // Removed by the watcher shell when the server stops.
            .keep();
        let mut extra = String::new();
        if tls {
            let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tls/postgres");
            let copy = |name: &str| {
                std::fs::copy(data.join(name), dir.join(name)).map_err(|e| format!("{name}: {e}"))
            };
            copy("server.pem")?;
            copy("server-key.pem")?;
            std::fs::set_permissions(
                dir.join("server-key.pem"),
                std::os::unix::fs::PermissionsExt::from_mode(0o600),
            )
            .map_err(|e| e.to_string())?;
            std::fs::write(dir.join("hba.conf"), TLS_HBA).map_err(|e| e.to_string())?;
            extra = format!(
                "-c ssl=on -c ssl_cert_file={0}/server.pem -c ssl_key_file={0}/server-key.pem \
                 -c hba_file={0}/hba.conf",
                dir.display()
            );
        }
        let root = rustix::process::geteuid().is_root();
        let mut command = if root {
            let status = Command::new("chown")
                .arg("-R")
                .arg("postgres:")
                .arg(&dir)
                .status()
                .map_err(|e| format!("chown: {e}"))?;
            if !status.success() {
                return Err(format!(
                    "cannot give {} to the postgres user (is there one?)",
                    dir.display()
                ));
            }
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--", "sh", "-c", SCRIPT]);
            command
        } else {
            let mut command = Command::new("sh");
            command.args(["-c", SCRIPT]);
            command
        };
        command
            .env("BIN", bin)
            .env("DIR", &dir)
            .env("PORT", port.to_string())
            .env("EXTRA", extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = command.spawn().map_err(|e| format!("starting sh: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        if !line.starts_with("started") {
            let _ = child.wait();
            return Err(line.trim().to_string());
        }
        let server = Server {
            _child: Mutex::new(child),
            _stdin: Mutex::new(stdin),
        };
        // Ready when it accepts connections (a few hundred milliseconds).
        for _ in 0..300 {
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ready {
                return Ok((server, port));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
        Err(format!("not ready after 30 s: {}", log.trim()))
    }
}
