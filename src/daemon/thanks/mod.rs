//! The thanks slot: thank every participant by name, publish the transcript.
//!
//! When a thanks slot is due on an account (the end of the occurrence plus
//! `thanks.after`), [`deliver`] replaces the plain post of other slots:
//!
//! 1. [`decide`]: search the hashtag from [`crate::transcript::EARLY_BIRDS`]
//!    before the start to the slot's instant and read each question's
//!    thread (answers given by reply), write the transcript, find the
//!    participants (the account itself, by `whoami`, and `thanks.exclude`
//!    left out) and split the mentions into the fewest posts the account's
//!    limit allows. No search, or nobody found: one generic thank-you.
//! 2. Store the decided texts *before* the first post leaves ([`parts`]), so
//!    a restart posts exactly the same parts and never mentions anyone twice.
//! 3. Post the parts in order, each under its own key, the continuations as
//!    replies to the first (standalone where the platform refuses replies).
//!    A part refused for its mentions (X's restrictions on programmatic
//!    @mentions) is replaced, with everything after it, by one mention-free
//!    thank-you that still counts the people; the refused part's record and
//!    the log say why.
//!
//! The slot's own key is recorded with the first post that went out.

pub mod decide;
pub mod parts;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tracing::{error, info, warn};

use super::job::Job;
use super::poster::{Delivery, Poster};
use crate::plan::ChatPlan;
use crate::platform::{Platform, RemotePost};
use crate::schedule::{Slot, SlotKind};
use crate::store::Outcome;
use crate::text::PlatformKind;
use crate::thanks::generic_thanks;
pub use decide::{Decided, ThanksContext, compose};
use parts::{Part, Sent, send};
pub use parts::{fallback_key, kv_key, part_key};

/// Whether `account`'s search goes into the chat's transcript: every
/// account on a network does (the transcript merges them,
/// [`crate::transcript::publish`]); a console does not. A console's search
/// finds nothing, and rehearsals (console only) must not overwrite a real
/// transcript.
pub fn feeds_transcript(account: &str, platforms: &BTreeMap<String, Arc<dyn Platform>>) -> bool {
    platforms
        .get(account)
        .is_some_and(|p| p.kind() != PlatformKind::Console)
}

/// What a job of `slot` on `account` needs to thank people; `None` for
/// every slot but thanks, and for a plan without `thanks` (a hand-built
/// timeline), whose slot is posted as it stands.
pub fn context(
    slot: &Slot,
    plan: &Arc<ChatPlan>,
    account: &str,
    platforms: &BTreeMap<String, Arc<dyn Platform>>,
    state_dir: Option<&Path>,
) -> Option<Arc<ThanksContext>> {
    if slot.kind != SlotKind::Thanks || plan.thanks.is_none() {
        return None;
    }
    let writes_transcript = feeds_transcript(account, platforms);
    Some(Arc::new(ThanksContext {
        plan: plan.clone(),
        transcript_dir: state_dir
            .filter(|_| writes_transcript)
            .map(Path::to_path_buf),
    }))
}

/// Delivers a thanks job; see the module docs.
pub async fn deliver(
    poster: &Poster,
    job: &Job,
    context: &ThanksContext,
    cancel: &CancellationToken,
) -> Delivery {
    let decided = match parts::load(&poster.store, &job.key).await {
        Ok(Some(decided)) => decided,
        Ok(None) => {
            if let Some(reason) = &job.missed {
                return Delivery::Done(Outcome::Skipped(reason.clone()), "skipped");
            }
            let Some(decided) = decide::decide(poster, job, context, cancel).await else {
                return Delivery::InDoubt;
            };
            if let Err(err) = parts::save(&poster.store, &job.key, &decided).await {
                if err.is::<crate::store::pg::TakenOver>() {
                    // Paused past the lease: the replica that took the
                    // thank-you over decides and posts it.
                    warn!("{err:#}; leaving the thank-you to that replica");
                } else {
                    error!(
                        "cannot keep the thank-you before posting it; trying again on the next start: {err:#}"
                    );
                }
                return Delivery::InDoubt;
            }
            decided
        }
        Err(err) => {
            error!(
                "cannot read the thank-you decided earlier; trying again on the next start: {err:#}"
            );
            return Delivery::InDoubt;
        }
    };
    let hashtag = context.plan.hashtag();
    if let Some(reason) = &job.missed {
        parts::reconcile_leftovers(poster, job, &decided, hashtag, reason, cancel).await;
        return Delivery::Done(Outcome::Skipped(reason.clone()), "skipped");
    }
    post_parts(poster, job, decided, hashtag, cancel).await
}

/// Posts every part not posted yet, then the mention-free replacement if a
/// part was refused for its mentions.
async fn post_parts(
    poster: &Poster,
    job: &Job,
    mut decided: Decided,
    hashtag: &str,
    cancel: &CancellationToken,
) -> Delivery {
    let mut first: Option<RemotePost> = None;
    let mut failure = None;
    let texts = decided.parts.clone();
    for (k, text) in (1..).zip(&texts) {
        if decided.refused.is_some_and(|refused| k >= refused) {
            break;
        }
        if cancel.is_cancelled() {
            return Delivery::InDoubt;
        }
        let reply_to = first.as_ref().filter(|_| k > 1);
        let key = part_key(&job.key, k);
        let part = Part {
            key: &key,
            text,
            reply_to,
            mentions: decided.mentions,
        };
        match send(poster, job, part, cancel).await {
            Sent::Posted(remote) => {
                first.get_or_insert(remote);
            }
            Sent::Refused(reason) => {
                if !note_refusal(poster, job, &mut decided, k, &reason).await {
                    return Delivery::InDoubt;
                }
            }
            Sent::Failed(reason) => {
                warn!(part = k, "part not posted: {reason}");
                failure.get_or_insert(reason);
            }
            Sent::InDoubt => return Delivery::InDoubt,
        }
    }
    if decided.refused.is_some() {
        let text = generic_thanks(decided.participants, hashtag);
        let key = fallback_key(&job.key);
        let part = Part {
            key: &key,
            text: &text,
            reply_to: first.as_ref(),
            mentions: false,
        };
        match send(poster, job, part, cancel).await {
            Sent::Posted(remote) => {
                info!(remote_id = %remote.id, "posted the thank-you without mentions");
                first.get_or_insert(remote);
            }
            Sent::Refused(reason) | Sent::Failed(reason) => {
                warn!("the thank-you without mentions was not posted either: {reason}");
                failure.get_or_insert(reason);
            }
            Sent::InDoubt => return Delivery::InDoubt,
        }
    }
    match first {
        Some(remote) => {
            if let Some(reason) = &decided.reason {
                // Kept when the slot is recorded as posted: `status` says
                // why this thank-you mentions nobody.
                let why = format!("without mentions: {reason}");
                if let Err(err) = poster.store.note(&job.key, &why).await {
                    warn!("cannot note why the thank-you has no mentions: {err:#}");
                }
            }
            Delivery::Done(Outcome::Posted(remote), "posted")
        }
        None => {
            let reason = failure.unwrap_or_else(|| "the thank-you had nothing to post".into());
            Delivery::Done(Outcome::Failed(reason), "failed")
        }
    }
}

/// Part `k` was refused for its mentions: notes it in the stored thank-you
/// (so a restart goes straight to the replacement), then records the part
/// as failed with the reason `status` shows. `false` when the note could
/// not be stored (the part stays in doubt for the next start).
async fn note_refusal(
    poster: &Poster,
    job: &Job,
    decided: &mut Decided,
    k: usize,
    reason: &str,
) -> bool {
    warn!(
        part = k,
        "{reason}; posting a thank-you without mentions instead"
    );
    decided.refused = Some(k);
    decided.reason = Some(reason.to_string());
    if let Err(err) = parts::save(&poster.store, &job.key, decided).await {
        error!("cannot note the refusal; trying again on the next start: {err:#}");
        return false;
    }
    let why = format!("{reason}; the thank-you went out without mentions");
    let key = part_key(&job.key, k);
    parts::record(poster, &key, Outcome::Failed(why), Sent::InDoubt).await;
    true
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::clock::Clock;
    use crate::platform::console::Console;

    struct OtherKind(PlatformKind);

    #[async_trait::async_trait]
    impl Platform for OtherKind {
        fn kind(&self) -> PlatformKind {
            self.0
        }
        async fn whoami(&self) -> Result<crate::platform::Identity, crate::platform::PostError> {
            unreachable!("not called")
        }
        async fn post(
            &self,
            _: &crate::platform::OutgoingPost<'_>,
        ) -> Result<RemotePost, crate::platform::PostError> {
            unreachable!("not called")
        }
        async fn reconcile(
            &self,
            _: &crate::platform::OutgoingPost<'_>,
        ) -> Result<Option<RemotePost>, crate::platform::PostError> {
            unreachable!("not called")
        }
        async fn search(
            &self,
            _: &str,
            _: jiff::Timestamp,
            _: jiff::Timestamp,
        ) -> Result<Vec<crate::platform::FoundPost>, crate::platform::PostError> {
            unreachable!("not called")
        }
    }

    #[test]
    fn every_account_on_a_network_feeds_the_transcript() {
        let clock = Clock::starting_at(jiff::Timestamp::UNIX_EPOCH);
        let mut platforms: BTreeMap<String, Arc<dyn Platform>> = BTreeMap::new();
        let console = Console::new("console", &PathBuf::from("unused"), clock);
        platforms.insert("console".into(), Arc::new(console));
        platforms.insert("main_x".into(), Arc::new(OtherKind(PlatformKind::X)));
        platforms.insert("toot".into(), Arc::new(OtherKind(PlatformKind::Mastodon)));
        assert!(feeds_transcript("toot", &platforms));
        assert!(feeds_transcript("main_x", &platforms));
        assert!(!feeds_transcript("console", &platforms), "rehearsals");
        assert!(!feeds_transcript("gone", &platforms));
    }
}
