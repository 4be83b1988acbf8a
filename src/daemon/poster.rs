//! One key on one account: resolve a doubt, post, retry, decide.
//!
//! Every post the daemon makes goes through [`Poster::deliver`]: a slot's
//! own post ([`super::deliver`]) and each part of a thank-you
//! ([`super::thanks`]). It knows nothing of slots or thank-yous, only of a
//! [`Posting`]: a key, a text, what it replies to and the deadline.
//!
//! A post that may have left (an earlier run claimed it, or a send timed
//! out) is never posted blind: [`Poster::resolve_doubt`] asks the platform,
//! again with backoff while the platform cannot tell, and only a sure "not
//! there" lets it post. When it still cannot tell at the deadline, the key
//! is recorded as failed with that reason: better one missing post that
//! `status` explains than a doubled one.

use std::sync::Arc;

use jiff::Timestamp;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::retry::{Retry, RetryPolicy};
use crate::clock::Clock;
use crate::http::Metrics;
use crate::platform::{OutgoingPost, Platform, PostError, RemotePost};
use crate::store::{Outcome, SharedStore};

/// The metrics label of a post refused for its @mentions; the thanks slot
/// falls back to a mention-free thank-you on it.
pub const MENTIONS_REFUSED: &str = "mentions_refused";

/// How a job (or one key of it) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Record this; the label is the metrics result.
    Done(Outcome, &'static str),
    /// Shutdown came first: leave the claim in doubt; the next start
    /// reconciles it.
    InDoubt,
}

/// What to post under one key.
#[derive(Debug, Clone)]
pub struct Posting<'a> {
    pub key: &'a str,
    pub text: &'a str,
    pub reply_to: Option<&'a RemotePost>,
    /// The instant the slot was due.
    pub due: Timestamp,
    /// No attempt starts after it.
    pub deadline: Timestamp,
    /// An earlier run claimed it without recording an answer.
    pub in_doubt: bool,
    /// Why it must not be posted any more; in doubt, it is only looked up.
    pub missed: Option<&'a str>,
    /// The chat's visibility and language.
    pub audience: &'a crate::platform::Audience,
}

/// What the platform says about a post in doubt.
enum Doubt {
    Posted(RemotePost),
    NotPosted,
    /// Still unknown at the end of the window, with the last error.
    Unknown(String),
    Cancelled,
}

/// What one account needs to post.
pub struct Poster {
    /// The account's name in the settings.
    pub account: String,
    pub platform: Arc<dyn Platform>,
    pub store: SharedStore,
    pub clock: Clock,
    pub metrics: Option<Arc<Metrics>>,
    pub retry: RetryPolicy,
    /// How long this process's claim must still last when a write starts.
    pub write_hold: std::time::Duration,
}

impl Poster {
    /// Delivers one key; `cancel` interrupts waits, never a request in flight.
    pub async fn deliver(&self, posting: Posting<'_>, cancel: &CancellationToken) -> Delivery {
        let mut post = OutgoingPost {
            key: posting.key,
            text: posting.text,
            reply_to: posting.reply_to,
            thread_root: posting.reply_to,
            due: posting.due,
            window_end: posting.deadline,
            audience: posting.audience,
        };
        if posting.in_doubt {
            warn!(key = %posting.key, "an earlier run may have posted this; checking the platform first");
            match self.resolve_doubt(&post, posting.deadline, cancel).await {
                Doubt::Posted(remote) => {
                    info!(remote_id = %remote.id, "found on the platform after a restart; not posting again");
                    return Delivery::Done(Outcome::Posted(remote), "reconciled");
                }
                Doubt::NotPosted => info!("not on the platform after a restart; posting it"),
                Doubt::Unknown(reason) => return unknown(reason),
                Doubt::Cancelled => return Delivery::InDoubt,
            }
        }
        if let Some(reason) = posting.missed {
            return Delivery::Done(Outcome::Skipped(reason.to_string()), "skipped");
        }
        self.post_with_retries(&mut post, posting.deadline, cancel)
            .await
    }

    async fn post_with_retries(
        &self,
        post: &mut OutgoingPost<'_>,
        deadline: Timestamp,
        cancel: &CancellationToken,
    ) -> Delivery {
        if let Some(metrics) = &self.metrics {
            let late = self.clock.now().duration_since(post.due);
            metrics.observe_lateness(late.as_secs_f64().max(0.0));
        }
        let mut attempt = 0;
        loop {
            if !self.still_owned(post.key, deadline, cancel).await {
                return Delivery::InDoubt;
            }
            let answer = self.platform.post(post).await;
            self.export_quota();
            if let Some(metrics) = &self.metrics {
                let reached = !matches!(answer, Err(PostError::Unreachable(_)));
                metrics.set_account_up(&self.account, reached);
            }
            let err = match answer {
                Ok(remote) => {
                    info!(remote_id = %remote.id, "posted");
                    return Delivery::Done(Outcome::Posted(remote), "posted");
                }
                Err(err) => err,
            };
            match &err {
                // A timeout or a dropped connection may hide a success.
                PostError::Transient(_) => match self.resolve_doubt(post, deadline, cancel).await {
                    Doubt::Posted(remote) => {
                        info!(remote_id = %remote.id, "the failed attempt went out after all");
                        return Delivery::Done(Outcome::Posted(remote), "reconciled");
                    }
                    Doubt::NotPosted => {}
                    Doubt::Unknown(reason) => return unknown(format!("{err}; {reason}")),
                    Doubt::Cancelled => return Delivery::InDoubt,
                },
                PostError::Duplicate(why) => return self.after_duplicate(post, why).await,
                PostError::ReplyRefused(why) if post.reply_to.is_some() => {
                    warn!("reply refused ({why}); posting it standalone instead");
                    post.reply_to = None;
                    post.thread_root = None;
                    continue;
                }
                PostError::MentionsRefused(_) => {
                    warn!("not posted: {err}");
                    return Delivery::Done(Outcome::Failed(err.to_string()), MENTIONS_REFUSED);
                }
                _ => {}
            }
            let retry_at = match self.retry.after(&err, attempt, self.clock.now(), deadline) {
                Retry::At(at) => at,
                Retry::GiveUp(reason) => {
                    warn!("not posted: {reason}");
                    return Delivery::Done(Outcome::Failed(reason), "failed");
                }
            };
            attempt += 1;
            warn!("{err}; retrying at {retry_at}");
            if !self.clock.wait_until(retry_at, cancel).await {
                return Delivery::InDoubt;
            }
        }
    }

    /// The one in-doubt path: asks the platform whether `post` is out,
    /// again with backoff while it cannot tell, until `deadline` (or the
    /// policy's doubt window, when that ends later).
    async fn resolve_doubt(
        &self,
        post: &OutgoingPost<'_>,
        deadline: Timestamp,
        cancel: &CancellationToken,
    ) -> Doubt {
        let until = self.retry.doubt_deadline(deadline, self.clock.now());
        let mut attempt = 0;
        loop {
            let err = match self.platform.reconcile(post).await {
                Ok(Some(remote)) => return Doubt::Posted(remote),
                Ok(None) => return Doubt::NotPosted,
                Err(err) => err,
            };
            // Whatever the error, the answer is "unknown": asked again.
            let at = match &err {
                PostError::RateLimited { reset: Some(reset) } if *reset > self.clock.now() => {
                    *reset
                }
                _ => self.retry.backoff(attempt, self.clock.now()),
            };
            if at > until {
                return Doubt::Unknown(format!(
                    "could not check whether it was already posted ({err}) before {until}"
                ));
            }
            warn!("could not check whether it went out ({err}); asking again at {at}");
            attempt += 1;
            if !self.clock.wait_until(at, cancel).await {
                return Doubt::Cancelled;
            }
        }
    }

    /// Whether this process's claim of `key` still owns it, with enough
    /// left for the write about to start (always on SQLite; on PostgreSQL
    /// the lease, see `docs/leases.md`). Where a repeated write would be a
    /// second post (X, the console, GoToSocial:
    /// [`Platform::repeats_harmless`]), the lease is first extended to cover
    /// [`Self::write_hold`] (the request's timeout and a margin), so no
    /// other replica takes the key over while this write may still land;
    /// on Mastodon (`Idempotency-Key`) and Bluesky (the record key) a second
    /// write of the key is harmless, so the live lease is enough and a dead
    /// owner's slot is taken over within the short lease.
    ///
    /// A claim taken over by another replica is left to it: nothing is
    /// posted or recorded under it here. A database that cannot say is
    /// asked again with backoff until `deadline`; then the claim is let go
    /// (its lease runs out and another replica, or the next start, takes
    /// it over as in doubt).
    async fn still_owned(
        &self,
        key: &str,
        deadline: Timestamp,
        cancel: &CancellationToken,
    ) -> bool {
        let hold = if self.platform.repeats_harmless() {
            std::time::Duration::ZERO
        } else {
            self.write_hold
        };
        let mut attempt = 0;
        loop {
            let err = match self.store.lease_for_write(key, hold).await {
                Ok(true) => return true,
                Ok(false) => {
                    warn!(%key, "this replica's claim was taken over by another replica; not posting");
                    return false;
                }
                Err(err) => err,
            };
            let at = self.retry.backoff(attempt, self.clock.now());
            if at > deadline {
                warn!(%key, "cannot confirm this replica's claim ({err:#}); letting it go unposted");
                self.store.let_go(key);
                return false;
            }
            warn!(%key, "cannot confirm this replica's claim ({err:#}); asking again at {at}");
            attempt += 1;
            if !self.clock.wait_until(at, cancel).await {
                return false;
            }
        }
    }

    /// The rate-limit window the platform reported with its last answer.
    fn export_quota(&self) {
        let Some(metrics) = &self.metrics else {
            return;
        };
        if let Some(quota) = self.platform.quota() {
            metrics.set_quota(&self.account, quota.remaining, quota.limit, quota.reset);
        }
    }

    /// The platform says it has this text already: it may be ours.
    async fn after_duplicate(&self, post: &OutgoingPost<'_>, why: &str) -> Delivery {
        match self.platform.reconcile(post).await {
            Ok(Some(remote)) => {
                info!(remote_id = %remote.id, "already posted (the platform reported a duplicate)");
                Delivery::Done(Outcome::Posted(remote), "reconciled")
            }
            Ok(None) => {
                let reason = format!(
                    "the platform refused it as duplicate content ({why}) and no earlier post \
                     with this key was found: change the text so it differs from a recent post"
                );
                warn!("not posted: {reason}");
                Delivery::Done(Outcome::Failed(reason), "failed")
            }
            Err(err) => Delivery::Done(
                Outcome::Failed(format!(
                    "duplicate content ({why}); could not check for an earlier post: {err}"
                )),
                "failed",
            ),
        }
    }
}

/// Still unknown at the deadline: recorded as failed, never posted blind.
fn unknown(reason: String) -> Delivery {
    let reason = format!("{reason}; not posted again so that it cannot appear twice");
    warn!("in doubt: {reason}");
    Delivery::Done(Outcome::Failed(reason), "failed")
}
