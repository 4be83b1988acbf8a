//! The instance's own post limits, and where they are remembered.
//!
//! Mastodon instances choose their limit (500 by default; some allow
//! thousands) and announce it in `GET /api/v2/instance` under
//! `configuration.statuses`. The daemon asks at start-up and keeps the answer
//! in the state database, so `tweetchat check` and `plan`, which never go
//! online, measure posts against the instance's real limit; until the daemon
//! has asked once, they use the default and `plan` says so.
//!
//! Servers that speak the Mastodon API do not all count alike: Mastodon
//! counts every link as `characters_reserved_per_url` and a remote mention
//! as its local part, while GoToSocial announces the same field but counts
//! every character as written. So the answer's `version` and `source_url`
//! name the software, and only Mastodon (and its forks) gets the reserved
//! length; GoToSocial and any server not recognised count links in full,
//! the safe side. The instance's own `domain` is kept too: pagination links
//! are built from it, which may not be the name `api_base` uses.

use serde::{Deserialize, Serialize};

use super::client::{Api, Call};
use crate::platform::PostError;
use crate::text::PlatformKind;
use crate::text::length::{URL_IN_FULL, URL_LENGTH};

/// The server software behind an instance, as far as counting goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Software {
    /// Mastodon or a fork of it: links count the reserved length.
    Mastodon,
    /// GoToSocial: every character counts as written.
    GoToSocial,
    /// Anything else (or not asked yet): counted as written, the safe side.
    #[default]
    Unknown,
}

impl Software {
    /// From `/api/v2/instance`'s `version` and `source_url`.
    pub fn detect(version: &str, source_url: Option<&str>) -> Self {
        let version = version.to_ascii_lowercase();
        let source = source_url.unwrap_or_default().to_ascii_lowercase();
        if version.contains("gotosocial") || source.contains("gotosocial") {
            return Software::GoToSocial;
        }
        // Pleroma and Akkoma say `2.7.2 (compatible; Pleroma 2.5.0)`.
        let compatible = version.contains("compatible");
        let source = source.trim_end_matches('/').trim_end_matches(".git");
        if !compatible && source.ends_with("/mastodon") {
            return Software::Mastodon;
        }
        Software::Unknown
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Software::Mastodon => "Mastodon",
            Software::GoToSocial => "GoToSocial",
            Software::Unknown => "an unrecognised server",
        }
    }
}

/// What a post may count on one instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceLimits {
    /// `configuration.statuses.max_characters`.
    pub max_characters: usize,
    /// `configuration.statuses.characters_reserved_per_url`: what any URL
    /// counts on Mastodon (announced, but not honoured, by GoToSocial).
    pub characters_reserved_per_url: usize,
    /// The software, which decides whether the reserved length applies.
    /// (Rows written before it was read say nothing: counted as written.)
    #[serde(default)]
    pub software: Software,
    /// The instance's own host name (`domain`), where its pagination
    /// links point.
    #[serde(default)]
    pub domain: Option<String>,
}

impl Default for InstanceLimits {
    /// Mastodon's own defaults, for an instance not asked yet.
    fn default() -> Self {
        Self {
            max_characters: PlatformKind::Mastodon.default_limit(),
            characters_reserved_per_url: URL_LENGTH,
            software: Software::Mastodon,
            domain: None,
        }
    }
}

/// The state database key under which an account's limits are kept.
pub fn kv_key(account: &str) -> String {
    format!("mastodon/instance/{account}")
}

impl InstanceLimits {
    /// What a link counts as this server counts it: the reserved length on
    /// Mastodon, [`URL_IN_FULL`] (every character, mentions in full too)
    /// anywhere else.
    pub fn url_length(&self) -> usize {
        match self.software {
            Software::Mastodon => self.characters_reserved_per_url,
            Software::GoToSocial | Software::Unknown => URL_IN_FULL,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::json!(self).to_string()
    }

    /// `None` for a row that is not ours (an older format): ask again.
    pub fn from_json(json: &str) -> Option<Self> {
        serde_json::from_str(json).ok()
    }
}

/// The instance's own name when it differs from the host `api_base` names
/// (an internal address, a service name, `127.0.0.1` for `localhost`):
/// its next-page links name that host. `None` when they agree or the
/// domain is not known yet.
pub fn other_name<'d>(api_base: &str, domain: Option<&'d str>) -> Option<&'d str> {
    let domain = domain?;
    let base = reqwest::Url::parse(api_base).ok()?;
    let host = base.host_str().unwrap_or_default().to_ascii_lowercase();
    let with_port = match base.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.clone(),
    };
    (domain != host && domain != with_port).then_some(domain)
}

#[derive(Deserialize)]
struct Instance {
    configuration: Configuration,
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    version: String,
    #[serde(default)]
    source_url: Option<String>,
}

#[derive(Deserialize)]
struct Configuration {
    statuses: Statuses,
}

#[derive(Deserialize)]
struct Statuses {
    max_characters: usize,
    #[serde(default = "default_url_length")]
    characters_reserved_per_url: usize,
}

fn default_url_length() -> usize {
    URL_LENGTH
}

/// Asks the instance (`GET /api/v2/instance`).
pub async fn fetch(api: &Api) -> Result<InstanceLimits, PostError> {
    let answer = api.send(&Call::get("/api/v2/instance", Vec::new())).await?;
    parse(&answer.body)
}

fn parse(body: &[u8]) -> Result<InstanceLimits, PostError> {
    let instance: Instance = serde_json::from_slice(body).map_err(|e| {
        PostError::Transient(format!(
            "the answer to /api/v2/instance has no usable configuration.statuses ({e})"
        ))
    })?;
    let statuses = instance.configuration.statuses;
    if statuses.max_characters == 0 {
        return Err(PostError::Transient(
            "the instance announces max_characters = 0".into(),
        ));
    }
    Ok(InstanceLimits {
        max_characters: statuses.max_characters,
        characters_reserved_per_url: statuses.characters_reserved_per_url,
        software: Software::detect(&instance.version, instance.source_url.as_deref()),
        domain: instance
            .domain
            .map(|d| d.trim().to_ascii_lowercase())
            .filter(|d| !d.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_limits_mastodon_announces() {
        let body = br#"{"domain":"Mastodon.example","version":"4.3.0","source_url":"https://github.com/mastodon/mastodon","configuration":{"urls":{},"statuses":{"max_characters":1000,"max_media_attachments":4,"characters_reserved_per_url":23}}}"#;
        let limits = parse(body).unwrap();
        assert_eq!(
            limits,
            InstanceLimits {
                max_characters: 1000,
                characters_reserved_per_url: 23,
                software: Software::Mastodon,
                domain: Some("mastodon.example".into()),
            }
        );
        assert_eq!(limits.url_length(), 23);
        assert!(matches!(parse(b"{}"), Err(PostError::Transient(_))));
    }

    #[test]
    fn limits_round_trip_through_the_state_database_format() {
        let limits = InstanceLimits {
            max_characters: 5000,
            characters_reserved_per_url: 30,
            software: Software::GoToSocial,
            domain: Some("gts.example".into()),
        };
        assert_eq!(
            InstanceLimits::from_json(&limits.to_json()),
            Some(limits.clone())
        );
        // A row from before the software was read counts links in full.
        let old =
            InstanceLimits::from_json(r#"{"max_characters":500,"characters_reserved_per_url":23}"#)
                .unwrap();
        assert_eq!(old.url_length(), URL_IN_FULL);
        assert_eq!(InstanceLimits::from_json("garbage"), None);
        assert_eq!(InstanceLimits::default().max_characters, 500);
    }

    #[test]
    fn another_name_is_told_only_when_the_hosts_differ() {
        let gts = Some("gts.example");
        assert_eq!(other_name("http://10.0.0.5:8080", gts), gts);
        assert_eq!(other_name("https://gts.example", gts), None);
        assert_eq!(other_name("https://GTS.example/", gts), None);
        assert_eq!(
            other_name("http://localhost:8080", Some("localhost:8080")),
            None
        );
        assert_eq!(other_name("http://10.0.0.5", None), None);
    }

    #[test]
    fn the_software_decides_how_links_count() {
        let gts = br#"{"domain":"gts.example","version":"0.17.3+git-1a2b3c4","source_url":"https://codeberg.org/superseriousbusiness/gotosocial","configuration":{"statuses":{"max_characters":300,"characters_reserved_per_url":25}}}"#;
        let limits = parse(gts).unwrap();
        assert_eq!(limits.software, Software::GoToSocial);
        assert_eq!(limits.url_length(), URL_IN_FULL);
        assert_eq!(
            Software::detect(
                "4.3.0+glitch",
                Some("https://github.com/glitch-soc/mastodon/")
            ),
            Software::Mastodon
        );
        assert_eq!(
            Software::detect(
                "2.7.2 (compatible; Pleroma 2.5.0)",
                Some("https://git.pleroma.social/pleroma/pleroma")
            ),
            Software::Unknown
        );
        assert_eq!(Software::detect("4.3.0", None), Software::Unknown);
    }
}
