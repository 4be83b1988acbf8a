//! The parts of a thank-you in the store: the decided texts, and one post
//! record per part.
//!
//! The thanks slot's own key (`chat/occurrence/thanks/account`) is claimed
//! by the dispatcher like every slot and stands for the whole thank-you.
//! Each post it makes has a key of its own, claimed and recorded like any
//! post (intent, then result; an intent left by a crash is reconciled
//! first):
//!
//! - `…/thanks/main_x#1`, `#2`, … : the parts, in order;
//! - `…/thanks/main_x#no-mentions`: the mention-free thank-you that
//!   replaces the parts from the one refused for its mentions.
//!
//! The texts are kept in the state database's key/value table under
//! `thanks/` + the slot key, written before the first part is claimed.

use anyhow::Context;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::decide::Decided;
use crate::daemon::job::Job;
use crate::daemon::poster::{Delivery, MENTIONS_REFUSED, Poster, Posting};
use crate::platform::RemotePost;
use crate::store::{Claim, Intent, Outcome, PostState, SharedStore};

/// Prefix of the key/value entries holding decided thank-yous.
const KV_PREFIX: &str = "thanks/";

/// The key of part `k` (1-based) of the thank-you under `slot_key`.
pub fn part_key(slot_key: &str, k: usize) -> String {
    format!("{slot_key}#{k}")
}

/// The key of the mention-free thank-you that replaces refused parts.
pub fn fallback_key(slot_key: &str) -> String {
    format!("{slot_key}#no-mentions")
}

/// The key/value entry holding the decided thank-you of `slot_key`.
pub fn kv_key(slot_key: &str) -> String {
    format!("{KV_PREFIX}{slot_key}")
}

/// The thank-you decided earlier for `slot_key`, if any.
pub async fn load(store: &SharedStore, slot_key: &str) -> anyhow::Result<Option<Decided>> {
    let Some(json) = store.kv_get(&kv_key(slot_key)).await? else {
        return Ok(None);
    };
    let decided = serde_json::from_str(&json)
        .with_context(|| format!("the stored thank-you of {slot_key} is unreadable"))?;
    Ok(Some(decided))
}

/// Keeps `decided` for `slot_key` (durable when this returns), only while
/// this process's claim of the thanks slot owns it: with replicas, one
/// paused past its lease cannot overwrite what the one that took the
/// thank-you over decided.
pub async fn save(store: &SharedStore, slot_key: &str, decided: &Decided) -> anyhow::Result<()> {
    let json = serde_json::to_string(decided).context("cannot serialize the thank-you")?;
    store.kv_set_under(slot_key, &kv_key(slot_key), &json).await
}

/// How sending one part ended.
#[derive(Debug)]
pub enum Sent {
    Posted(RemotePost),
    /// Refused for its mentions; not recorded yet (the caller first notes
    /// the refusal in the decided thank-you).
    Refused(String),
    Failed(String),
    /// Shutdown in the middle; the key stays claimed.
    InDoubt,
}

/// What to post under one key of the thank-you.
pub struct Part<'a> {
    pub key: &'a str,
    pub text: &'a str,
    pub reply_to: Option<&'a RemotePost>,
    /// Whether it mentions people: only then is a refusal for mentions
    /// handed back as [`Sent::Refused`] (otherwise it is a failure).
    pub mentions: bool,
}

/// One post of the thank-you under its own key: claimed, reconciled if an
/// earlier run left it in doubt, posted, recorded.
pub async fn send(poster: &Poster, job: &Job, part: Part<'_>, cancel: &CancellationToken) -> Sent {
    let Part {
        key,
        text,
        reply_to,
        mentions,
    } = part;
    let mut intent = Intent::for_slot(&job.slot, &job.account);
    intent.key = key.to_string();
    let claim = match claim(poster, job, intent, cancel).await {
        Ok(claim) => claim,
        Err(sent) => return sent,
    };
    let in_doubt = match claim {
        Claim::Fresh => job.state_replaced,
        Claim::InDoubt { .. } => true,
        Claim::Done(remote) => return Sent::Posted(remote),
        Claim::Failed(reason)
        | Claim::Skipped(reason)
        | Claim::SkippedNow(reason)
        | Claim::NotRecorded(reason) => {
            return Sent::Failed(reason);
        }
        // The claim loop waits these out.
        Claim::Held { owner, .. } => {
            return Sent::Failed(format!("held by the replica {owner}"));
        }
    };
    let posting = Posting {
        key,
        text,
        reply_to,
        due: job.slot.at,
        deadline: job.deadline,
        in_doubt,
        missed: None,
        refused: None,
        audience: &job.audience,
    };
    match poster.deliver(posting, cancel).await {
        Delivery::InDoubt => Sent::InDoubt,
        Delivery::Done(Outcome::Failed(reason), MENTIONS_REFUSED) if mentions => {
            Sent::Refused(reason)
        }
        Delivery::Done(outcome, _) => {
            let sent = match &outcome {
                Outcome::Posted(remote) => Sent::Posted(remote.clone()),
                Outcome::Failed(reason) | Outcome::Skipped(reason) => Sent::Failed(reason.clone()),
            };
            record(poster, key, outcome, sent).await
        }
    }
}

/// Claims one part's key, trying again with backoff while the database
/// refuses and the slot's grace window lasts; nothing is posted unclaimed.
async fn claim(
    poster: &Poster,
    job: &Job,
    intent: Intent,
    cancel: &CancellationToken,
) -> Result<Claim, Sent> {
    let mut attempt = 0;
    loop {
        let err = match poster.store.claim(vec![intent.clone()]).await {
            Ok(claims) => match claims.into_iter().next() {
                Some(Claim::NotRecorded(err)) => err,
                // Another replica's live lease: claimed again when it ends.
                Some(Claim::Held { owner, left }) => {
                    let at = poster.clock.now() + left + super::super::dispatch::HELD_MARGIN;
                    debug!(key = %intent.key, %owner, "held by another replica; claiming again at {at}");
                    if !poster.clock.wait_until(at, cancel).await {
                        return Err(Sent::InDoubt);
                    }
                    continue;
                }
                Some(claim) => return Ok(claim),
                None => "the state database answered no claim".to_string(),
            },
            Err(err) => format!("{err:#}"),
        };
        let at = poster.retry.backoff(attempt, poster.clock.now());
        if at > job.deadline {
            let reason = format!(
                "the state database refused to record the intent until the grace window \
                 ended ({err}), so it was never posted"
            );
            if let Err(err) = poster.store.fail_unclaimed(intent, &reason).await {
                warn!("{reason}; recording that failed too: {err:#}");
            }
            return Err(Sent::Failed(reason));
        }
        warn!(key = %intent.key, "cannot record the intent to post ({err}); trying again at {at}");
        attempt += 1;
        if !poster.clock.wait_until(at, cancel).await {
            return Err(Sent::InDoubt);
        }
    }
}

/// Records `outcome` under `key` and commits it before going on, so the
/// next part never leaves before this one's result is durable.
pub async fn record(poster: &Poster, key: &str, outcome: Outcome, sent: Sent) -> Sent {
    if let Err(err) = poster.store.record(key, outcome).await {
        warn!(%key, "the post's result was not recorded; it is reconciled on the next start: {err:#}");
        return Sent::InDoubt;
    }
    sent
}

/// Past the grace window: parts an earlier run left in doubt are only
/// looked up on the platform and recorded; nothing new is posted.
pub async fn reconcile_leftovers(
    poster: &Poster,
    job: &Job,
    decided: &Decided,
    hashtag: &str,
    reason: &str,
    cancel: &CancellationToken,
) {
    let keys = (1..=decided.parts.len())
        .map(|k| (part_key(&job.key, k), decided.parts[k - 1].clone()))
        .chain(decided.refused.map(|_| {
            let text = crate::thanks::generic_thanks(decided.participants, hashtag);
            (fallback_key(&job.key), text)
        }));
    for (key, text) in keys {
        let in_doubt = matches!(
            poster.store.lookup(&key).await,
            Ok(Some(row)) if row.state == PostState::Intent
        );
        if !in_doubt {
            continue;
        }
        let posting = Posting {
            key: &key,
            text: &text,
            reply_to: None,
            due: job.slot.at,
            deadline: job.deadline,
            in_doubt: true,
            missed: Some(reason),
            refused: None,
            audience: &job.audience,
        };
        let outcome = match poster.deliver(posting, cancel).await {
            Delivery::Done(outcome, _) => outcome,
            Delivery::InDoubt => return,
        };
        record(poster, &key, outcome, Sent::InDoubt).await;
    }
}
