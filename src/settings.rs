//! Operator settings, layered with the `config` crate.
//!
//! Order (later wins): `config/default.toml` (committed), `config/local.toml`
//! (optional, git-ignored), then `TWEETCHAT__SECTION__KEY` environment
//! variables. Secrets are [`Secret`]s: they print as `***` in `Debug`,
//! `Display` and logs, and can come from a file (`access_token_file = "…"`) so
//! they never need to sit in the environment of a `docker inspect`.

// Filled in by the settings work; the shapes below are the contract the daemon
// and the platform adapters code against.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::text::PlatformKind;

/// A value that must never be printed.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
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
    pub http: HttpSettings,
    pub log: LogSettings,
    pub grace: GraceSettings,
    pub accounts: BTreeMap<String, AccountSettings>,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// `host:port`; empty turns the listener off.
    pub listen: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct LogSettings {
    pub format: LogFormat,
    /// An `EnvFilter` directive (`info`, `tweetchat=debug`); `RUST_LOG` wins.
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

impl Settings {
    /// Reads `config_dir/default.toml`, then `config_dir/local.toml` if present,
    /// then `TWEETCHAT__…` environment variables, and checks the result.
    pub fn load(config_dir: &std::path::Path) -> anyhow::Result<Settings> {
        let _ = config_dir;
        todo!("Settings::load")
    }
}
