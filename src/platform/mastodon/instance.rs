//! The instance's own post limits, and where they are remembered.
//!
//! Mastodon instances choose their limit (500 by default; some allow
//! thousands) and announce it in `GET /api/v2/instance` under
//! `configuration.statuses`. The daemon asks at start-up and keeps the answer
//! in the state database, so `tweetchat check` and `plan`, which never go
//! online, measure posts against the instance's real limit; until the daemon
//! has asked once, they use the default and `plan` says so.

use serde::{Deserialize, Serialize};

use super::client::{Api, Call};
use crate::platform::PostError;
use crate::text::PlatformKind;
use crate::text::length::URL_LENGTH;

/// What a post may count on one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceLimits {
    /// `configuration.statuses.max_characters`.
    pub max_characters: usize,
    /// `configuration.statuses.characters_reserved_per_url`: what any URL
    /// counts.
    pub characters_reserved_per_url: usize,
}

impl Default for InstanceLimits {
    /// Mastodon's own defaults, for an instance not asked yet.
    fn default() -> Self {
        Self {
            max_characters: PlatformKind::Mastodon.default_limit(),
            characters_reserved_per_url: URL_LENGTH,
        }
    }
}

/// The state database key under which an account's limits are kept.
pub fn kv_key(account: &str) -> String {
    format!("mastodon/instance/{account}")
}

impl InstanceLimits {
    pub fn to_json(self) -> String {
        serde_json::json!(self).to_string()
    }

    /// `None` for a row that is not ours (an older format): ask again.
    pub fn from_json(json: &str) -> Option<Self> {
        serde_json::from_str(json).ok()
    }
}

#[derive(Deserialize)]
struct Instance {
    configuration: Configuration,
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_limits_mastodon_announces() {
        let body = br#"{"domain":"mastodon.example","configuration":{"urls":{},"statuses":{"max_characters":1000,"max_media_attachments":4,"characters_reserved_per_url":23}}}"#;
        assert_eq!(
            parse(body).unwrap(),
            InstanceLimits {
                max_characters: 1000,
                characters_reserved_per_url: 23
            }
        );
        assert!(matches!(parse(b"{}"), Err(PostError::Transient(_))));
    }

    #[test]
    fn limits_round_trip_through_the_state_database_format() {
        let limits = InstanceLimits {
            max_characters: 5000,
            characters_reserved_per_url: 30,
        };
        assert_eq!(InstanceLimits::from_json(&limits.to_json()), Some(limits));
        assert_eq!(InstanceLimits::from_json("garbage"), None);
        assert_eq!(InstanceLimits::default().max_characters, 500);
    }
}
