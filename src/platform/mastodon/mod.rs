//! Mastodon accounts (and other servers that speak the Mastodon API, such as
//! GoToSocial).
//!
//! [`MastodonAccount`] implements [`Platform`] for one configured account
//! (`api_base` = the instance, `access_token` with the scopes `read` and
//! `write:statuses`). The pieces, one concern each:
//!
//! - `client`: one request with the Bearer token, rate-limit headers, and
//!   every refusal mapped onto [`PostError`] with the instance's own words.
//! - [`instance`]: the instance's limits (`GET /api/v2/instance`), kept in
//!   the state database through a [`LimitStore`] so `check` and `plan` use
//!   them offline.
//! - `timeline`: reading statuses page by page through the `Link` header:
//!   the hashtag's timeline for thanks, the account's own for reconciling.
//!   Next-page links may name the instance by its own `domain` rather than
//!   by `api_base` (a server behind an internal address); both are
//!   accepted, read once at start, and any other host is refused.
//! - `context`: the replies under each question (`/statuses/:id/context`),
//!   which a hashtag timeline misses.
//!
//! Exactly once: every status is sent with an `Idempotency-Key` derived from
//! the slot key. Mastodon keeps a key for an hour and answers a repeat with
//! the status it already made; GoToSocial ignores the header. So a post left
//! in doubt is first looked for among the account's own statuses since the
//! slot was due, and only when it is not there is it sent again, with the
//! same key as a second guard.

mod client;
mod context;
pub mod instance;
mod timeline;

use std::sync::Mutex;

use anyhow::Context as _;
use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tracing::{info, warn};

use self::client::{Api, Call};
pub use self::instance::InstanceLimits;
use self::timeline::{Status, comparable, html_to_text};
use crate::clock::Clock;
use crate::platform::{
    FoundPost, Identity, OutgoingPost, Platform, PostError, Quota, RemotePost, Replies,
};
use crate::settings::AccountSettings;
use crate::text::PlatformKind;

/// How far before a slot's due instant reconciling looks, for a server
/// clock a little behind ours.
const CLOCK_SLACK: SignedDuration = SignedDuration::from_secs(120);

/// Where an account's instance limits are remembered (the state database in
/// the daemon; memory in tests).
pub trait LimitStore: Send + Sync {
    fn load(&self, account: &str) -> Option<InstanceLimits>;
    fn save(&self, account: &str, limits: InstanceLimits) -> anyhow::Result<()>;
}

/// One Mastodon account, ready to post.
pub struct MastodonAccount {
    name: String,
    api: Api,
    clock: Clock,
    limits: Mutex<InstanceLimits>,
    store: std::sync::Arc<dyn LimitStore>,
    me: tokio::sync::OnceCell<Identity>,
    /// Set once the instance has been asked (limits, software, domain).
    asked: tokio::sync::OnceCell<()>,
    /// Set once an answer came: later answers are logged only when they
    /// change something.
    read_once: std::sync::atomic::AtomicBool,
}

impl MastodonAccount {
    /// Reads `api_base` and `access_token` from `settings` (the settings
    /// loader has already required both) and the limits last seen.
    pub fn new(
        settings: &AccountSettings,
        store: std::sync::Arc<dyn LimitStore>,
        clock: Clock,
    ) -> anyhow::Result<Self> {
        let account = &settings.name;
        let base = settings
            .api_base
            .as_deref()
            .map(|b| b.trim_end_matches('/').to_string())
            .with_context(|| {
                format!("account `{account}` has no api_base: set it to the instance, e.g. \"https://mastodon.social\"")
            })?;
        let token = settings.secrets.get("access_token").cloned().with_context(|| {
            format!("account `{account}` has no `access_token`: set `access_token` (or `access_token_file`)")
        })?;
        let http = crate::tls::client(settings.timeout)
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("account `{account}`: could not build the HTTP client"))?;
        let limits = store.load(account).unwrap_or_default();
        Ok(Self {
            name: account.clone(),
            api: Api {
                http,
                base,
                token,
                timeout: settings.timeout,
                quota: Mutex::new(None),
            },
            clock,
            limits: Mutex::new(limits),
            store,
            me: tokio::sync::OnceCell::new(),
            asked: tokio::sync::OnceCell::new(),
            read_once: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The limits in force: the instance's once asked, else the last seen.
    pub fn instance_limits(&self) -> InstanceLimits {
        self.limits.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Asks the instance once per run (at start, through `whoami`, or at
    /// the first search); later calls return at once. The daemon asks
    /// again on SIGHUP and daily ([`Platform::refresh_limits`]).
    async fn ask_instance_once(&self) {
        self.asked.get_or_init(|| self.read_limits()).await;
    }

    /// Asks the instance for its limits and remembers them; a failure keeps
    /// what was known and only warns (posting does not depend on it).
    /// Logged at start and whenever they change.
    async fn read_limits(&self) {
        match instance::fetch(&self.api).await {
            Ok(limits) => {
                let first = !self
                    .read_once
                    .swap(true, std::sync::atomic::Ordering::Relaxed);
                let before = self.instance_limits();
                if let Ok(mut known) = self.limits.lock() {
                    *known = limits.clone();
                }
                if !first && before == limits {
                    return;
                }
                if let Err(err) = self.store.save(&self.name, limits.clone()) {
                    warn!(account = %self.name, "could not remember the instance's limits: {err:#}");
                }
                let links = match limits.software {
                    instance::Software::Mastodon => {
                        format!("a link counts {}", limits.characters_reserved_per_url)
                    }
                    _ => "links count in full".to_string(),
                };
                info!(
                    account = %self.name,
                    max_characters = limits.max_characters,
                    software = limits.software.as_str(),
                    "instance limits read: {} characters, {links}",
                    limits.max_characters
                );
                if first {
                    self.note_other_name(limits.domain.as_deref());
                }
            }
            Err(err) => warn!(
                account = %self.name,
                "could not read the instance's limits, using {} characters: {err}",
                self.instance_limits().max_characters
            ),
        }
    }

    /// Logs (once, when the instance is read) that the instance calls itself
    /// by another name than `api_base`: its next-page links name that host
    /// and are followed through `api_base`.
    fn note_other_name(&self, domain: Option<&str>) {
        let Some(domain) = instance::other_name(&self.api.base, domain) else {
            return;
        };
        info!(
            account = %self.name,
            "the instance calls itself `{domain}` while api_base is {}; its next-page links on \
             `{domain}` are followed through api_base, links to any other host are refused",
            self.api.base
        );
    }

    /// The instance's own host name, as last read.
    fn domain(&self) -> Option<String> {
        self.instance_limits().domain
    }

    async fn identity(&self) -> Result<Identity, PostError> {
        let answer = self
            .api
            .send(&Call::get(
                "/api/v1/accounts/verify_credentials",
                Vec::new(),
            ))
            .await?;
        let me: timeline::Account = serde_json::from_slice(&answer.body).map_err(|e| {
            PostError::Transient(format!(
                "the answer to verify_credentials was not understood: {e}"
            ))
        })?;
        Ok(Identity {
            id: me.id,
            username: me.acct,
            display_name: me.display_name.filter(|n| !n.is_empty()),
        })
    }
}

/// The `Idempotency-Key` of a slot key: a hash, so the header is short
/// ASCII whatever the chat's name, and the same key on every attempt.
pub fn idempotency_key(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex: String = digest.iter().take(20).map(|b| format!("{b:02x}")).collect();
    format!("tweetchat-{hex}")
}

/// What `POST /api/v1/statuses` takes (the fields we use).
pub fn create_body(post: &OutgoingPost<'_>) -> serde_json::Value {
    let mut body = serde_json::json!({
        "status": post.text,
        "visibility": post.audience.visibility.as_str(),
    });
    if let Some(language) = &post.audience.language {
        body["language"] = crate::plan::audience::primary_language(language).into();
    }
    if let Some(parent) = post.reply_to {
        body["in_reply_to_id"] = parent.id.clone().into();
    }
    body
}

#[derive(Deserialize)]
struct Created {
    id: String,
    url: Option<String>,
    uri: Option<String>,
}

fn remote(id: String, url: Option<String>) -> RemotePost {
    RemotePost { id, cid: None, url }
}

#[async_trait]
impl Platform for MastodonAccount {
    fn kind(&self) -> PlatformKind {
        PlatformKind::Mastodon
    }

    fn limit(&self) -> usize {
        self.instance_limits().max_characters
    }

    fn url_length(&self) -> usize {
        self.instance_limits().url_length()
    }

    /// Mastodon keeps an `Idempotency-Key` for an hour; GoToSocial and
    /// servers not recognised ignore it.
    fn repeats_harmless(&self) -> bool {
        self.instance_limits().software == instance::Software::Mastodon
    }

    fn quota(&self) -> Option<Quota> {
        self.api.quota()
    }

    /// Asks the instance again: an administrator may have changed its
    /// limits since the start.
    async fn refresh_limits(&self) {
        self.read_limits().await;
    }

    /// `verify_credentials`, and the instance's limits while at it.
    async fn whoami(&self) -> Result<Identity, PostError> {
        let me = self.me.get_or_try_init(|| self.identity()).await?.clone();
        self.ask_instance_once().await;
        Ok(me)
    }

    /// `verify_credentials` now, not the identity remembered at start.
    async fn check(&self) -> Result<Identity, PostError> {
        self.identity().await
    }

    async fn post(&self, post: &OutgoingPost<'_>) -> Result<RemotePost, PostError> {
        let call = Call {
            json: Some(create_body(post)),
            idempotency_key: Some(idempotency_key(post.key)),
            method: reqwest::Method::POST,
            ..Call::get("/api/v1/statuses", Vec::new())
        };
        let answer = self.api.send(&call).await?;
        let created: Created = serde_json::from_slice(&answer.body).map_err(|e| {
            PostError::Transient(format!(
                "the instance accepted the post but its answer was not understood ({e}); reconcile before retrying"
            ))
        })?;
        Ok(remote(created.id, created.url.or(created.uri)))
    }

    /// The account's own statuses since the slot was due, matched by text.
    async fn reconcile(&self, post: &OutgoingPost<'_>) -> Result<Option<RemotePost>, PostError> {
        let me = self.whoami().await?;
        let path = format!(
            "/api/v1/accounts/{}/statuses?exclude_reblogs=true",
            utf8_percent_encode(&me.id, NON_ALPHANUMERIC)
        );
        let since = post.due.saturating_sub(CLOCK_SLACK).unwrap_or(post.due);
        let until = self
            .clock
            .now()
            .saturating_add(SignedDuration::from_hours(24))
            .unwrap_or(Timestamp::MAX);
        let domain = self.domain();
        let statuses =
            timeline::read_range(&self.api, &path, since, until, domain.as_deref()).await?;
        let wanted = comparable(post.text);
        let parent = post.reply_to.map(|p| p.id.as_str());
        let found = statuses.into_iter().find(|s: &Status| {
            comparable(&html_to_text(&s.content)) == wanted
                && (parent.is_none() || s.in_reply_to_id.as_deref() == parent)
        });
        Ok(found.map(|s| remote(s.id, s.url.or(s.uri))))
    }

    /// The hashtag's timeline (`limit=40`, pages through `Link`).
    async fn search(
        &self,
        hashtag: &str,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<FoundPost>, PostError> {
        let tag = hashtag.trim_start_matches('#');
        let path = format!(
            "/api/v1/timelines/tag/{}",
            utf8_percent_encode(tag, NON_ALPHANUMERIC)
        );
        self.ask_instance_once().await;
        let domain = self.domain();
        let statuses =
            timeline::read_range(&self.api, &path, since, until, domain.as_deref()).await?;
        Ok(statuses.into_iter().map(Status::into_found).collect())
    }

    /// Each question's context (`descendants`), see `context`.
    async fn replies(&self, roots: &[RemotePost], since: Timestamp, until: Timestamp) -> Replies {
        context::replies(&self.api, roots, since, until).await
    }
}

/// Limits kept in memory only (tests, `rehearse`).
#[derive(Default)]
pub struct MemoryLimits(Mutex<std::collections::BTreeMap<String, InstanceLimits>>);

impl LimitStore for MemoryLimits {
    fn load(&self, account: &str) -> Option<InstanceLimits> {
        self.0.lock().ok()?.get(account).cloned()
    }
    fn save(&self, account: &str, limits: InstanceLimits) -> anyhow::Result<()> {
        if let Ok(mut map) = self.0.lock() {
            map.insert(account.to_string(), limits);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Visibility;
    use crate::platform::Audience;

    #[test]
    fn idempotency_keys_are_stable_short_and_distinct() {
        let a = idempotency_key("hcsmbm/2026-12-02T12:00/question3/hcsm_mastodon");
        assert_eq!(
            a,
            idempotency_key("hcsmbm/2026-12-02T12:00/question3/hcsm_mastodon")
        );
        assert_ne!(
            a,
            idempotency_key("hcsmbm/2026-12-02T12:00/question4/hcsm_mastodon")
        );
        assert_eq!(a.len(), "tweetchat-".len() + 40);
        assert!(a.is_ascii());
    }

    #[test]
    fn the_body_carries_visibility_language_and_parent() {
        let parent = remote("109".into(), None);
        let audience = Audience {
            visibility: Visibility::Unlisted,
            language: Some("pt-BR".into()),
        };
        let post = OutgoingPost {
            key: "k",
            text: "Q2 #x",
            reply_to: Some(&parent),
            thread_root: Some(&parent),
            due: Timestamp::UNIX_EPOCH,
            window_end: Timestamp::UNIX_EPOCH,
            audience: &audience,
        };
        assert_eq!(
            create_body(&post),
            serde_json::json!({"status": "Q2 #x", "visibility": "unlisted", "language": "pt", "in_reply_to_id": "109"})
        );
        let plain = OutgoingPost {
            reply_to: None,
            audience: &Audience::DEFAULT,
            ..post
        };
        assert_eq!(
            create_body(&plain),
            serde_json::json!({"status": "Q2 #x", "visibility": "public"})
        );
    }
}
