//! Operator settings, layered with the `config` crate.
//!
//! Order (later wins): `config/default.toml` (committed), the file that
//! `TWEETCHAT_DEFAULTS_FILE` names (a packager's defaults: the container
//! image's), `config/local.toml` (optional, git-ignored), then
//! `TWEETCHAT__SECTION__KEY` environment variables (with `--env-file`, the
//! file's variables over the process's). Secrets are [`Secret`]s: they print as `***` in `Debug`,
//! `Display` and logs, and can come from a file (`access_token_file = "…"`) so
//! they never need to sit in the environment of a `docker inspect`.

//!
//! When `config_dir/default.toml` is missing (or the whole folder is, as in
//! the container), a built-in copy of the committed file is used instead, so
//! `tweetchat check somefile.yaml` works from any directory; `local.toml` and
//! the environment still apply on top.
//!
//! Every problem is reported at once, each naming the setting and where it
//! came from (file or environment variable); secret values are never printed.

mod account;
pub mod env_file;
pub mod explain;
mod layers;
pub mod log_filter;
mod reader;
pub mod secret_file;
mod store;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Map, Value};
use serde::Deserialize;

use self::reader::{Field, Table};

use crate::text::PlatformKind;

pub use self::store::{StoreSettings, default_replica, redact_url};

/// A value that must never be printed.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The only way to read the value; grep for it in review.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub chats_dir: PathBuf,
    pub state_dir: PathBuf,
    pub default_accounts: Vec<String>,
    /// How often the chats folder is rescanned (the ground truth for reloads).
    pub rescan_interval: Duration,
    /// How long finished post records, decided thank-yous and outbox lines
    /// are kept (transcripts stay).
    pub retention: Duration,
    pub http: HttpSettings,
    pub log: LogSettings,
    pub grace: GraceSettings,
    pub accounts: BTreeMap<String, AccountSettings>,
    /// Where the state lives: SQLite in `state_dir`, or PostgreSQL.
    pub store: StoreSettings,
    pub notify: NotifySettings,
}

/// `[notify]`: the webhook for what needs a person ([`crate::notify`]).
#[derive(Debug, Clone, Default)]
pub struct NotifySettings {
    /// Where events are POSTed; `None` sends nothing. A secret: hook URLs
    /// embed tokens.
    pub url: Option<Secret>,
    /// The kinds sent; `None`: all.
    pub events: Option<std::collections::BTreeSet<crate::notify::EventKind>>,
    /// How long one event is tried before it is given up.
    pub give_up_after: Duration,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// `host:port`; empty turns the listener off.
    pub listen: String,
    /// Where participants reach the public pages (`https://chats.example.org`,
    /// no trailing `/`); empty: `http://` + `listen`. `{calendar}` links here.
    pub public_url: String,
    /// Opens the operator pages (results, account names) from anywhere; without
    /// it they answer only direct loopback requests, and only when
    /// `trust_loopback` says so.
    pub operator_token: Option<Secret>,
    /// Whether a loopback peer without forwarding headers is the operator.
    /// `trust_loopback = "auto"` (the default) resolves, when the settings
    /// are read, to `public_url` being empty: once the pages are published, a
    /// relay on this machine (`ssh -R`, socat, a sidecar) may carry anyone's
    /// request from loopback.
    pub trust_loopback: bool,
    /// Most connections the listener keeps open at once (further capped by
    /// the open-file limit, less a reserve for the store and the posts).
    pub max_connections: usize,
    /// How long a connection may take to send a request's headers, and how
    /// long it may sit idle between requests, before it is closed.
    pub header_timeout: Duration,
}

impl HttpSettings {
    /// The address `{calendar}` and the pages' links start with: `public_url`,
    /// else the listener's own address; `None` without either.
    pub fn public_base(&self) -> Option<String> {
        if !self.public_url.is_empty() {
            return Some(self.public_url.clone());
        }
        let listen = self.listen.trim();
        (!listen.is_empty()).then(|| format!("http://{listen}"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub format: LogFormat,
    /// A log filter (`info`, `tweetchat=debug`: see [`log_filter`]);
    /// `RUST_LOG` wins.
    pub level: String,
}

/// How late a missed slot may still be posted.
#[derive(Debug, Clone, Copy)]
pub struct GraceSettings {
    /// Welcome, questions, wrap-up.
    pub question: Duration,
    /// Announcements.
    pub announce: Duration,
    /// Thank-you posts.
    pub thanks: Duration,
}

/// One named account. `platform` picks the adapter; the other fields are
/// read by that adapter (each checks that what it needs is there).
#[derive(Debug, Clone)]
pub struct AccountSettings {
    pub name: String,
    pub platform: PlatformKind,
    /// Every platform takes `api_base`, so tests can point at loopback.
    pub api_base: Option<String>,
    /// Bluesky handle.
    pub handle: Option<String>,
    /// X OAuth 2.0 client id (not a secret).
    pub client_id: Option<String>,
    /// Every other credential: `consumer_key`, `consumer_secret`,
    /// `access_token`, `access_token_secret`, `client_secret`,
    /// `refresh_token`, `app_password` (from the value or `NAME_file`).
    pub secrets: BTreeMap<String, Secret>,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl AccountSettings {
    /// A credential by name (`access_token`, `app_password`, …).
    pub fn secret(&self, key: &str) -> Option<&Secret> {
        self.secrets.get(key)
    }
}

impl Settings {
    /// Reads `config_dir/default.toml` (built-in copy when missing), the
    /// `TWEETCHAT_DEFAULTS_FILE`, then `config_dir/local.toml` if present,
    /// then `TWEETCHAT__…` environment variables (and `--env-file`'s), and
    /// checks the result.
    pub fn load(config_dir: &Path) -> anyhow::Result<Settings> {
        Self::load_from(config_dir, env_file::environment())
    }

    /// [`Settings::load`] with an explicit environment, so tests never touch
    /// the process's.
    pub fn load_from(
        config_dir: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Settings> {
        let tree = layers::merge(config_dir, env)?;
        let mut problems = Vec::new();
        match read_settings(tree, &mut problems) {
            Some(settings) if problems.is_empty() => Ok(settings),
            _ => Err(anyhow::anyhow!(
                "invalid settings:\n  - {}",
                problems.join("\n  - ")
            )),
        }
    }

    /// The built-in defaults alone (no files, no environment): a starting
    /// point for tests (`Settings { state_dir, ..Settings::builtin() }`).
    pub fn builtin() -> Settings {
        let nowhere = Path::new("/nonexistent/tweetchat-builtin-defaults");
        // The built-in file is a compile-time constant checked by a test.
        Self::load_from(nowhere, []).expect("the built-in default.toml is valid")
    }

    /// The accounts a chat without an `accounts:` list posts to.
    pub fn default_account_settings(&self) -> impl Iterator<Item = &AccountSettings> {
        self.default_accounts
            .iter()
            .filter_map(|name| self.accounts.get(name))
    }
}

/// The root table; `None` when anything required is missing or wrong.
fn read_settings(tree: Map<String, Value>, problems: &mut Vec<String>) -> Option<Settings> {
    let mut root = Table::new(String::new(), tree.into_iter().collect());
    let chats_dir = required(&mut root, "chats_dir", problems, Field::non_empty_string);
    let state_dir = required(&mut root, "state_dir", problems, Field::non_empty_string);
    let default_accounts = required(&mut root, "default_accounts", problems, Field::string_list);
    let rescan_interval = required(&mut root, "rescan_interval", problems, Field::duration);
    let retention = required(&mut root, "retention", problems, Field::duration);
    let http = section(&mut root, "http", problems, read_http);
    let log = section(&mut root, "log", problems, read_log);
    let grace = section(&mut root, "grace", problems, read_grace);
    let accounts = section(&mut root, "accounts", problems, read_accounts);
    let store = section(&mut root, "store", problems, store::read_store);
    // Optional: settings written before it existed stay valid.
    let notify = match root.take("notify") {
        None => Some(NotifySettings::default()),
        Some(field) => match field.table() {
            Ok(table) => read_notify(table, problems),
            Err(e) => {
                problems.push(e);
                None
            }
        },
    };
    reject_unknown(
        root,
        "chats_dir, state_dir, default_accounts, rescan_interval, retention, [http], [log], [grace], [store], [accounts.NAME], [notify]",
        problems,
    );
    let (default_accounts, (accounts, broken)) = (default_accounts?, accounts?);
    for name in &default_accounts {
        // An account defined with a mistake was reported already.
        if !accounts.contains_key(name) && !broken.contains(name) {
            let known: Vec<&str> = accounts.keys().map(String::as_str).collect();
            problems.push(format!(
                "`default_accounts` names `{name}`, which is not an account; define [accounts.{name}] or use one of {}",
                known.join(", ")
            ));
        }
    }
    Some(Settings {
        chats_dir: PathBuf::from(chats_dir?),
        state_dir: PathBuf::from(state_dir?),
        default_accounts,
        rescan_interval: rescan_interval?,
        retention: retention?,
        http: http?,
        log: log?,
        grace: grace?,
        accounts,
        store: store?,
        notify: notify?,
    })
}

fn read_notify(mut table: Table, problems: &mut Vec<String>) -> Option<NotifySettings> {
    let origin = table
        .origin_of("url")
        .or_else(|| table.origin_of("url_file"))
        .unwrap_or_default();
    let url = account::read_secret(&mut table, "url")
        .map_err(|e| problems.push(e))
        .ok()?;
    // Checked without echoing it: the URL is a secret.
    let url = match url {
        Some(url) if url.expose().trim().is_empty() => None,
        Some(url) => {
            let scheme =
                url.expose().starts_with("http://") || url.expose().starts_with("https://");
            if !scheme || reqwest::Url::parse(url.expose()).is_err() {
                problems.push(format!(
                    "[notify] url (from {}) is not an http:// or https:// address; give the \
                     webhook's full address, e.g. \"https://ntfy.example.org/tweetchat\"",
                    origin
                ));
                return None;
            }
            Some(url)
        }
        None => None,
    };
    let events = match table.take("events") {
        None => None,
        Some(field) => {
            let names = field.string_list().map_err(|e| problems.push(e)).ok()?;
            let mut kinds = std::collections::BTreeSet::new();
            for name in names {
                match crate::notify::EventKind::parse(name.trim()) {
                    Some(kind) => {
                        kinds.insert(kind);
                    }
                    None => {
                        let known: Vec<&str> = crate::notify::EventKind::ALL
                            .iter()
                            .map(|k| k.name())
                            .collect();
                        problems.push(field.error(format!(
                            "unknown event `{name}`; expected some of {}",
                            known.join(", ")
                        )));
                        return None;
                    }
                }
            }
            Some(kinds)
        }
    };
    let give_up_after = match table.take("give_up_after") {
        None => Duration::from_secs(600),
        Some(field) => field.duration().map_err(|e| problems.push(e)).ok()?,
    };
    reject_unknown(table, "url, url_file, events, give_up_after", problems);
    Some(NotifySettings {
        url,
        events,
        give_up_after,
    })
}

/// Takes `key` from `table` and converts it, or reports it missing.
fn required<T>(
    table: &mut Table,
    key: &str,
    problems: &mut Vec<String>,
    convert: impl FnOnce(&Field) -> Result<T, String>,
) -> Option<T> {
    let Some(field) = table.take(key) else {
        let full = if table.key.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", table.key)
        };
        problems.push(format!(
            "missing setting `{full}`; config/default.toml lists every setting with its default"
        ));
        return None;
    };
    convert(&field).map_err(|e| problems.push(e)).ok()
}

/// A `[section]` table read by `read`, or reported missing / not a table.
fn section<T>(
    root: &mut Table,
    key: &str,
    problems: &mut Vec<String>,
    read: impl FnOnce(Table, &mut Vec<String>) -> Option<T>,
) -> Option<T> {
    let Some(field) = root.take(key) else {
        problems.push(format!(
            "missing section [{key}]; config/default.toml lists every setting with its default"
        ));
        return None;
    };
    match field.table() {
        Ok(table) => read(table, problems),
        Err(e) => {
            problems.push(e);
            None
        }
    }
}

/// Every key nobody took is a typo or a setting that does not exist: the
/// closest expected name is offered first (`qestion`: did you mean
/// `question`?), then the whole list.
fn reject_unknown(table: Table, expected: &str, problems: &mut Vec<String>) {
    for field in table.leftovers() {
        let name = field.key.rsplit('.').next().unwrap_or_default();
        // `[accounts.NAME]` is offered as `accounts`.
        let names = expected.split(", ").map(|e| {
            e.trim_start_matches('[')
                .split(['.', ']'])
                .next()
                .unwrap_or(e)
        });
        let hint = did_you_mean(name, names);
        problems.push(field.error(format!("unknown setting; {hint}expected one of {expected}")));
    }
}

/// `did you mean `question`? ` when one of `names` is a likely typo of
/// `name`, else nothing.
fn did_you_mean<'n>(name: &str, names: impl Iterator<Item = &'n str>) -> String {
    crate::plan::zones::closest(name, names, 1)
        .first()
        .map(|c| format!("did you mean `{c}`? "))
        .unwrap_or_default()
}

fn read_http(mut table: Table, problems: &mut Vec<String>) -> Option<HttpSettings> {
    let listen = required(&mut table, "listen", problems, |field| {
        let listen = field.string()?;
        let port_ok = listen
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if listen.is_empty() || port_ok {
            Ok(listen)
        } else {
            Err(field.error(format!(
                "expected host:port such as \"127.0.0.1:9090\" (or \"\" for no listener), found `{listen}`"
            )))
        }
    });
    let public_url = required(&mut table, "public_url", problems, public_url);
    let operator_token = account::read_secret(&mut table, "operator_token")
        .map_err(|e| problems.push(e))
        .ok();
    let trust_loopback = required(&mut table, "trust_loopback", problems, |field| {
        match field.string()?.trim() {
            "auto" => Ok(None),
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            other => Err(field.error(format!(
                "expected true, false or \"auto\" (trusted only while public_url is empty), found `{other}`"
            ))),
        }
    });
    let max_connections = required(&mut table, "max_connections", problems, |field| {
        let text = field.string()?;
        match text.trim().parse::<usize>() {
            Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
            _ => Err(field.error(format!(
                "expected a number of connections from 1 to 1000000 such as 256, found `{text}`"
            ))),
        }
    });
    let header_timeout = required(&mut table, "header_timeout", problems, Field::duration);
    reject_unknown(
        table,
        "listen, public_url, operator_token, operator_token_file, trust_loopback, \
         max_connections, header_timeout",
        problems,
    );
    let public_url = public_url?;
    Some(HttpSettings {
        listen: listen?,
        trust_loopback: trust_loopback?.unwrap_or(public_url.is_empty()),
        public_url,
        operator_token: operator_token?,
        max_connections: max_connections?,
        header_timeout: header_timeout?,
    })
}

/// `""`, or an `http(s)://` address without query or fragment; kept without
/// its trailing `/`.
fn public_url(field: &Field) -> Result<String, String> {
    let url = field.string()?;
    let url = url.trim().trim_end_matches('/');
    let scheme = url.starts_with("http://") || url.starts_with("https://");
    if url.is_empty() || (scheme && !url.contains(['?', '#', ' ', '"', '<', '>'])) {
        Ok(url.to_string())
    } else {
        Err(field.error(format!(
            "expected the public address of the pages such as \"https://chats.example.org\" \
             (or \"\" for the listener's own), found `{url}`"
        )))
    }
}

fn read_log(mut table: Table, problems: &mut Vec<String>) -> Option<LogSettings> {
    let format = required(&mut table, "format", problems, |field| {
        match field.string()?.as_str() {
            "pretty" => Ok(LogFormat::Pretty),
            "json" => Ok(LogFormat::Json),
            other => Err(field.error(format!("expected \"pretty\" or \"json\", found `{other}`"))),
        }
    });
    let level = required(&mut table, "level", problems, |field| {
        let level = field.string()?;
        log_filter::parse(&level).map_err(|e| {
            field.error(format!(
                "expected a filter such as \"info\" or \"tweetchat=debug\": {e}"
            ))
        })?;
        Ok(level)
    });
    reject_unknown(table, "format, level", problems);
    Some(LogSettings {
        format: format?,
        level: level?,
    })
}

fn read_grace(mut table: Table, problems: &mut Vec<String>) -> Option<GraceSettings> {
    let question = required(&mut table, "question", problems, Field::duration);
    let announce = required(&mut table, "announce", problems, Field::duration);
    let thanks = required(&mut table, "thanks", problems, Field::duration);
    reject_unknown(table, "question, announce, thanks", problems);
    Some(GraceSettings {
        question: question?,
        announce: announce?,
        thanks: thanks?,
    })
}

/// The accounts that were read, and the names of those defined with a
/// mistake (reported here).
fn read_accounts(
    mut table: Table,
    problems: &mut Vec<String>,
) -> Option<(BTreeMap<String, AccountSettings>, BTreeSet<String>)> {
    let mut accounts = BTreeMap::new();
    let mut broken = BTreeSet::new();
    for (name, field) in table.drain() {
        if !account::is_valid_name(&name) {
            problems.push(field.error(
                "account names are lowercase letters, digits and `_` (they appear in environment variable names)",
            ));
            broken.insert(name);
            continue;
        }
        let table = match field.table() {
            Ok(table) => table,
            Err(e) => {
                problems.push(e);
                broken.insert(name);
                continue;
            }
        };
        match account::read_account(&name, table, problems) {
            Some(account) => {
                accounts.insert(name, account);
            }
            None => {
                broken.insert(name);
            }
        }
    }
    Some((accounts, broken))
}

/// The effective settings as TOML, secrets as `***`: what `tweetchat run`
/// logs at start and what an operator compares against their files.
impl fmt::Display for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "chats_dir = {:?}", self.chats_dir.display().to_string())?;
        writeln!(f, "state_dir = {:?}", self.state_dir.display().to_string())?;
        writeln!(f, "default_accounts = {:?}", self.default_accounts)?;
        writeln!(f, "rescan_interval = \"{}\"", human(self.rescan_interval))?;
        writeln!(f, "retention = \"{}\"", human(self.retention))?;
        writeln!(f, "[http]\nlisten = {:?}", self.http.listen)?;
        writeln!(f, "public_url = {:?}", self.http.public_url)?;
        if self.http.operator_token.is_some() {
            writeln!(f, "operator_token = \"***\"")?;
        }
        writeln!(f, "trust_loopback = {}", self.http.trust_loopback)?;
        writeln!(f, "max_connections = {}", self.http.max_connections)?;
        writeln!(
            f,
            "header_timeout = \"{}\"",
            human(self.http.header_timeout)
        )?;
        let format = match self.log.format {
            LogFormat::Pretty => "pretty",
            LogFormat::Json => "json",
        };
        writeln!(
            f,
            "[log]\nformat = \"{format}\"\nlevel = {:?}",
            self.log.level
        )?;
        writeln!(
            f,
            "[grace]\nquestion = \"{}\"\nannounce = \"{}\"\nthanks = \"{}\"",
            human(self.grace.question),
            human(self.grace.announce),
            human(self.grace.thanks)
        )?;
        for account in self.accounts.values() {
            write!(f, "{account}")?;
        }
        if self.notify.url.is_some() {
            writeln!(f, "[notify]\nurl = \"***\"")?;
            if let Some(events) = &self.notify.events {
                let names: Vec<&str> = events.iter().map(|k| k.name()).collect();
                writeln!(f, "events = {names:?}")?;
            }
            writeln!(
                f,
                "give_up_after = \"{}\"",
                human(self.notify.give_up_after)
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for AccountSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "[accounts.{}]\nplatform = \"{}\"",
            self.name, self.platform
        )?;
        let plain = [
            ("api_base", &self.api_base),
            ("handle", &self.handle),
            ("client_id", &self.client_id),
        ];
        for (key, value) in plain {
            if let Some(value) = value {
                writeln!(f, "{key} = {value:?}")?;
            }
        }
        writeln!(f, "timeout = \"{}\"", human(self.timeout))?;
        for (key, secret) in &self.secrets {
            writeln!(f, "{key} = \"{secret}\"")?;
        }
        Ok(())
    }
}

/// `1h 30m` rather than `5400s`.
fn human(duration: Duration) -> String {
    match jiff::SignedDuration::try_from(duration) {
        Ok(d) => format!("{d:#}"),
        Err(_) => format!("{}s", duration.as_secs()),
    }
}
