//! Bluesky (AT Protocol) accounts.
//!
//! [`BlueskyAccount`] implements [`Platform`] for one handle on its PDS. The
//! pieces, one concern each:
//!
//! - [`session`]: one login kept in the state database and refreshed, never
//!   a `createSession` per post (it is limited to 30 in 5 minutes).
//! - `xrpc`: one call to the PDS and what its error answers mean.
//! - [`facets`]: which UTF-8 byte ranges are tags, mentions and links.
//! - [`rkey`]: the record key derived from the slot key.
//! - `search`: `app.bsky.feed.searchPosts`, every page.
//! - `thread`: `app.bsky.feed.getPostThread`, the replies under each
//!   question (which a tag search misses when they do not repeat the tag).
//!
//! A post is a `com.atproto.repo.createRecord` of an `app.bsky.feed.post`
//! with `text`, `createdAt`, `langs` (when the chat names its language),
//! `facets`, and for a reply `reply.root` and `reply.parent` as strong
//! references (URI and CID). Its record key is [`rkey::record_key`] of the
//! slot key, so the same slot can only ever be the same record: after a
//! failed or in-doubt create, [`Platform::reconcile`] (and `post` itself,
//! after a temporary failure) asks `getRecord` whether it landed, because
//! the PDS answers a second create with the same key with a 500, not a
//! conflict. As for X, the adapter retries nothing itself beyond one session
//! refresh: the retry policy is the daemon's.

pub mod facets;
pub mod rkey;
mod search;
pub mod session;
mod thread;
mod xrpc;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use async_trait::async_trait;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use self::session::Session;
pub use self::session::{MemorySessions, SessionStore, StoredSession};
use self::xrpc::{Failure, Xrpc};
use crate::clock::Clock;
use crate::platform::{
    FoundPost, Identity, OutgoingPost, Platform, PostError, RemotePost, Replies,
};
use crate::settings::AccountSettings;
use crate::text::PlatformKind;

/// The PDS of accounts hosted by Bluesky itself, when `api_base` is not set.
pub const DEFAULT_API_BASE: &str = "https://bsky.social";

const POST: &str = "app.bsky.feed.post";

/// One Bluesky account, ready to post.
pub struct BlueskyAccount {
    name: String,
    xrpc: Xrpc,
    session: Session,
    clock: Clock,
    /// Handle → DID (`None`: does not resolve), from resolveHandle and
    /// search results.
    dids: Mutex<HashMap<String, Option<String>>>,
}

impl BlueskyAccount {
    /// Reads `handle`, `app_password` and `api_base` from `settings`; the
    /// session is kept in `sessions` under the account's name.
    pub fn new(
        settings: &AccountSettings,
        sessions: Arc<dyn SessionStore>,
        clock: Clock,
    ) -> anyhow::Result<Self> {
        let account = &settings.name;
        let handle = settings.handle.as_deref().with_context(|| {
            format!(
                "account `{account}` (bluesky) has no `handle`: set handle = \"you.bsky.social\""
            )
        })?;
        let password = settings.secret("app_password").cloned().with_context(|| {
            format!(
                "account `{account}` (bluesky) has no `app_password`: create one in the Bluesky app \
                 (Settings → Privacy and security → App passwords) and set app_password (or app_password_file)"
            )
        })?;
        let http = crate::tls::client(settings.timeout)
            .map_err(anyhow::Error::msg)
            .with_context(|| {
                format!("account `{account}`: could not build the HTTP client for Bluesky")
            })?;
        let base = settings
            .api_base
            .as_deref()
            .unwrap_or(DEFAULT_API_BASE)
            .trim_end_matches('/')
            .to_string();
        Ok(Self {
            name: account.clone(),
            xrpc: Xrpc {
                http,
                base,
                timeout: settings.timeout,
            },
            session: Session::new(account, handle, password, sessions, clock.clone()),
            clock,
            dids: Mutex::new(HashMap::new()),
        })
    }

    /// The account's name in the settings.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A call with the session's access token, renewed once if the PDS says
    /// it expired.
    async fn call(
        &self,
        nsid: &str,
        input: Input<'_>,
    ) -> Result<(Value, StoredSession), PostError> {
        let mut session = self.session.current(&self.xrpc).await?;
        let mut renewed = false;
        loop {
            let token = crate::settings::Secret::new(session.access_jwt.clone());
            let answer = match &input {
                Input::Query(params) => self.xrpc.query(nsid, params, Some(&token)).await,
                Input::Body(body) => self.xrpc.procedure(nsid, Some(body), Some(&token)).await,
            };
            match answer {
                Ok(value) => return Ok((value, session)),
                Err(Failure::TokenExpired(why)) if !renewed => {
                    tracing::info!(account = %self.name, "Bluesky access token refused ({why}); renewing the session");
                    session = self.session.renew(&self.xrpc, &session.access_jwt).await?;
                    renewed = true;
                }
                Err(failure) => return Err(failure.into_post_error()),
            }
        }
    }

    /// The record of `post` at `rkey`, if the repository has it.
    async fn get_record(&self, did: &str, rkey: &str) -> Result<Option<RemotePost>, PostError> {
        let params = vec![
            ("repo", did.to_string()),
            ("collection", POST.to_string()),
            ("rkey", rkey.to_string()),
        ];
        match self
            .call("com.atproto.repo.getRecord", Input::Query(params))
            .await
        {
            Ok((value, session)) => {
                let found: Created = serde_json::from_value(value).map_err(|e| {
                    PostError::Transient(format!("the answer to getRecord was not understood: {e}"))
                })?;
                Ok(Some(self.remote(found, &session.handle)))
            }
            Err(PostError::Rejected(why)) if why.contains("RecordNotFound") => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn remote(&self, created: Created, handle: &str) -> RemotePost {
        RemotePost {
            url: search::post_url(handle, &created.uri),
            id: created.uri,
            cid: created.cid,
        }
    }

    /// The record to create: text, time, language, facets, reply refs.
    async fn record(&self, post: &OutgoingPost<'_>) -> Result<Value, PostError> {
        let mut record = json!({
            "$type": POST,
            "text": post.text,
            "createdAt": search::bsky_time(self.clock.now()),
        });
        if let Some(lang) = post_language(post) {
            record["langs"] = json!([lang]);
        }
        let facets = self.facets(post.text).await;
        if !facets.is_empty() {
            record["facets"] = Value::Array(facets);
        }
        if let Some(parent) = post.reply_to {
            let root = post.thread_root.unwrap_or(parent);
            record["reply"] = json!({
                "root": self.strong_ref(root).await?,
                "parent": self.strong_ref(parent).await?,
            });
        }
        Ok(record)
    }

    /// `{uri, cid}` of a post we made (the CID is looked up if unknown).
    async fn strong_ref(&self, post: &RemotePost) -> Result<Value, PostError> {
        if let Some(cid) = &post.cid {
            return Ok(json!({"uri": post.id, "cid": cid}));
        }
        let (did, rkey) = split_uri(&post.id).ok_or_else(|| {
            PostError::Rejected(format!(
                "`{}` is not the at:// URI of a post to reply to",
                post.id
            ))
        })?;
        match self.get_record(did, rkey).await? {
            Some(found) => Ok(json!({"uri": found.id, "cid": found.cid})),
            None => Err(PostError::Rejected(format!(
                "the post to reply to ({}) no longer exists",
                post.id
            ))),
        }
    }

    /// Facets of `text`; mentions whose handle does not resolve stay text.
    async fn facets(&self, text: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for found in facets::detect(text) {
            let facet = match found.feature {
                facets::Feature::Tag(tag) => facets::Facet::Tag {
                    bytes: found.bytes,
                    tag,
                },
                facets::Feature::Link(uri) => facets::Facet::Link {
                    bytes: found.bytes,
                    uri,
                },
                facets::Feature::Mention(handle) => match self.resolve(&handle).await {
                    Some(did) => facets::Facet::Mention {
                        bytes: found.bytes,
                        did,
                    },
                    None => continue,
                },
            };
            out.push(facet.to_json());
        }
        out
    }

    /// The DID of `handle`, via `com.atproto.identity.resolveHandle`.
    async fn resolve(&self, handle: &str) -> Option<String> {
        let key = handle.to_ascii_lowercase();
        if let Some(known) = self.dids.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return known;
        }
        let params = [("handle", key.clone())];
        let did = match self
            .xrpc
            .query("com.atproto.identity.resolveHandle", &params, None)
            .await
        {
            Ok(value) => value.get("did").and_then(Value::as_str).map(str::to_string),
            Err(failure) => {
                let err = failure.into_post_error();
                tracing::warn!(account = %self.name, %handle, "@{handle} stays plain text, not a mention: the handle does not resolve ({err})");
                if err.is_retryable() {
                    return None; // not remembered: it may resolve next time
                }
                None
            }
        };
        if let Ok(mut map) = self.dids.lock() {
            map.insert(key, did.clone());
        }
        did
    }

    fn remember_dids(&self, posts: &[FoundPost]) {
        if let Ok(mut map) = self.dids.lock() {
            for p in posts {
                map.insert(
                    p.author_username.to_ascii_lowercase(),
                    Some(p.author_id.clone()),
                );
            }
        }
    }
}

/// What a call sends.
enum Input<'a> {
    Query(Vec<(&'a str, String)>),
    Body(Value),
}

/// What createRecord and getRecord answer (the fields we keep).
#[derive(Deserialize)]
struct Created {
    uri: String,
    cid: Option<String>,
}

/// `at://DID/COLLECTION/RKEY` → (DID, RKEY).
fn split_uri(uri: &str) -> Option<(&str, &str)> {
    let rest = uri.strip_prefix("at://")?;
    let mut parts = rest.split('/');
    let (did, collection, rkey) = (parts.next()?, parts.next()?, parts.next()?);
    (collection == POST && parts.next().is_none()).then_some((did, rkey))
}

/// The language the post is written in, when the chat says.
fn post_language<'a>(post: &OutgoingPost<'a>) -> Option<&'a str> {
    post.audience.language.as_deref()
}

#[async_trait]
impl Platform for BlueskyAccount {
    fn kind(&self) -> PlatformKind {
        PlatformKind::Bluesky
    }

    /// The record key is derived from the slot key (`rkey.rs`): a second
    /// create of it is refused, never a second post.
    fn repeats_harmless(&self) -> bool {
        true
    }

    async fn whoami(&self) -> Result<Identity, PostError> {
        let (value, _) = self
            .call("com.atproto.server.getSession", Input::Query(Vec::new()))
            .await?;
        let did = value.get("did").and_then(Value::as_str);
        let handle = value.get("handle").and_then(Value::as_str);
        match (did, handle) {
            (Some(did), Some(handle)) => Ok(Identity {
                id: did.to_string(),
                username: handle.to_string(),
                display_name: None,
            }),
            _ => Err(PostError::Transient(
                "the PDS's answer to getSession has no did and handle".into(),
            )),
        }
    }

    async fn post(&self, post: &OutgoingPost<'_>) -> Result<RemotePost, PostError> {
        let session = self.session.current(&self.xrpc).await?;
        let rkey = rkey::record_key(post.key);
        let body = json!({
            "repo": session.did,
            "collection": POST,
            "rkey": rkey,
            "record": self.record(post).await?,
        });
        match self
            .call("com.atproto.repo.createRecord", Input::Body(body))
            .await
        {
            Ok((value, session)) => {
                let created: Created = serde_json::from_value(value).map_err(|e| {
                    PostError::Transient(format!(
                        "the PDS accepted the post but its answer was not understood ({e}); reconcile before retrying"
                    ))
                })?;
                Ok(self.remote(created, &session.handle))
            }
            Err(err @ PostError::Transient(_)) => {
                // A create that timed out may have landed, and a create whose
                // key exists already is answered with a 500: look first.
                match self.get_record(&session.did, &rkey).await {
                    Ok(Some(found)) => {
                        tracing::info!(account = %self.name, uri = %found.id, "the post exists already under its record key ({err})");
                        Ok(found)
                    }
                    _ => Err(err),
                }
            }
            Err(err) => Err(err),
        }
    }

    async fn reconcile(&self, post: &OutgoingPost<'_>) -> Result<Option<RemotePost>, PostError> {
        let session = self.session.current(&self.xrpc).await?;
        self.get_record(&session.did, &rkey::record_key(post.key))
            .await
    }

    async fn search(
        &self,
        hashtag: &str,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<FoundPost>, PostError> {
        let mut found = BTreeMap::new();
        let mut cursor: Option<String> = None;
        for _ in 0..search::MAX_PAGES {
            let params = search::params(hashtag, since, until, cursor.as_deref());
            let (value, _) = self
                .call("app.bsky.feed.searchPosts", Input::Query(params))
                .await?;
            let page = search::page(value)?;
            let empty = page.posts.is_empty();
            let next = page.cursor.clone();
            search::collect(&mut found, page, since, until);
            match next {
                Some(next) if !empty && cursor.as_deref() != Some(next.as_str()) => {
                    cursor = Some(next)
                }
                _ => break,
            }
        }
        let posts = search::in_order(found);
        self.remember_dids(&posts);
        Ok(posts)
    }

    /// Each question's thread view, see `thread`.
    async fn replies(&self, roots: &[RemotePost], since: Timestamp, until: Timestamp) -> Replies {
        let replies = thread::replies(roots, since, until, |uri| async move {
            let (value, _) = self
                .call(
                    "app.bsky.feed.getPostThread",
                    Input::Query(thread::params(&uri)),
                )
                .await?;
            Ok(value)
        })
        .await;
        self.remember_dids(&replies.posts);
        replies
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::settings::Secret;

    fn settings(handle: Option<&str>, password: Option<&str>) -> AccountSettings {
        AccountSettings {
            name: "hcsm_bluesky".into(),
            platform: PlatformKind::Bluesky,
            api_base: None,
            handle: handle.map(str::to_string),
            client_id: None,
            secrets: password
                .map(|p| ("app_password".to_string(), Secret::new(p)))
                .into_iter()
                .collect(),
            timeout: Duration::from_secs(5),
        }
    }

    fn build(s: &AccountSettings) -> anyhow::Result<BlueskyAccount> {
        BlueskyAccount::new(
            s,
            Arc::new(MemorySessions::default()),
            Clock::system(Duration::from_secs(60)),
        )
    }

    #[test]
    fn missing_settings_say_what_to_set_without_the_secret() {
        let err = build(&settings(None, Some("abcd-efgh")))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("has no `handle`"), "{err}");
        assert!(!err.contains("abcd-efgh"), "{err}");
        let err = build(&settings(Some("ann.test"), None))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("App passwords"), "{err}");
        assert_eq!(
            build(&settings(Some("ann.test"), Some("p")))
                .unwrap()
                .name(),
            "hcsm_bluesky"
        );
    }

    #[test]
    fn post_uris_split_into_repo_and_key() {
        assert_eq!(
            split_uri("at://did:plc:abc/app.bsky.feed.post/3kabcdefghi22"),
            Some(("did:plc:abc", "3kabcdefghi22"))
        );
        assert_eq!(split_uri("at://did:plc:abc/app.bsky.feed.like/3k"), None);
        assert_eq!(split_uri("https://bsky.app/x"), None);
    }
}
