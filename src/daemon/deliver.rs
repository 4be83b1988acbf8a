//! An ordinary slot on one account: its text, as a reply to the thread's
//! welcome where the chat is a thread, through the account's [`Poster`].

use tokio_util::sync::CancellationToken;
use tracing::warn;

use super::job::Job;
use super::poster::{Delivery, Poster, Posting};
use crate::platform::{OutgoingPost, Platform, RemotePost};
use crate::schedule::{Slot, SlotKind};
use crate::store::SharedStore;
use crate::text::PlatformKind;

/// Delivers the slot's own post.
pub async fn deliver(poster: &Poster, job: &Job, cancel: &CancellationToken) -> Delivery {
    let text = post_text(&job.slot, poster.platform.kind());
    let root = thread_root(&poster.store, job).await;
    let posting = Posting {
        key: &job.key,
        text: &text,
        reply_to: root.as_ref(),
        due: job.slot.at,
        deadline: job.deadline,
        in_doubt: job.in_doubt,
        missed: job.missed.as_deref(),
        refused: job.refused.as_deref(),
        audience: &job.audience,
    };
    poster.deliver(posting, cancel).await
}

/// Hands the platform what [`deliver`] is about to post, ahead of the
/// slot's instant ([`Platform::prepare`]); nothing for a job that will be
/// looked up or skipped rather than posted.
pub async fn prepare(platform: &dyn Platform, store: &SharedStore, job: &Job) {
    if job.in_doubt || job.missed.is_some() || job.refused.is_some() {
        return;
    }
    let text = post_text(&job.slot, platform.kind());
    let root = thread_root(store, job).await;
    let post = OutgoingPost {
        key: &job.key,
        text: &text,
        reply_to: root.as_ref(),
        thread_root: root.as_ref(),
        due: job.slot.at,
        window_end: job.deadline,
        audience: &job.audience,
    };
    platform.prepare(&post).await;
}

/// The welcome of the same occurrence on this account, when the chat is
/// a thread and this is a question or the wrap-up.
async fn thread_root(store: &SharedStore, job: &Job) -> Option<RemotePost> {
    if !job.thread || !matches!(job.slot.kind, SlotKind::Question | SlotKind::Wrapup) {
        return None;
    }
    let welcome = Slot {
        kind: SlotKind::Welcome,
        n: None,
        ..(*job.slot).clone()
    };
    match store.lookup(&welcome.key(&job.account)).await {
        Ok(Some(record)) => record.remote,
        Ok(None) => None,
        Err(err) => {
            warn!("cannot read the welcome to reply to, posting standalone: {err:#}");
            None
        }
    }
}

/// The text to post for a slot on a `platform` account: the chat's own
/// version for that network where it wrote one.
fn post_text(slot: &Slot, platform: PlatformKind) -> String {
    let text = slot.text_for(platform);
    match slot.kind {
        SlotKind::Thanks => thanks_without_mentions(text),
        _ => text.to_string(),
    }
}

/// A generic thank-you: the template with `{mentions}` taken out (finding and
/// mentioning participants is the thanks work's job), so the timeline is
/// complete until then.
pub fn thanks_without_mentions(text: &str) -> String {
    let Some((before, after)) = text.split_once("{mentions}") else {
        return text.to_string();
    };
    let before = before
        .trim_end()
        .trim_end_matches([':', ',', ';', '-', '—']);
    let after = after.trim_start();
    let mut out = before.trim_end().to_string();
    if !after.is_empty() {
        if !after.starts_with(['.', '!', '?', ',']) {
            out.push(' ');
        }
        out.push_str(after);
    }
    if !out.ends_with(['.', '!', '?'])
        && !out
            .split_whitespace()
            .last()
            .is_some_and(|w| w.starts_with('#'))
    {
        out.push('!');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thanks_lose_their_mentions_gracefully() {
        assert_eq!(
            thanks_without_mentions("Thank you to everyone who joined #hcsmbm today: {mentions}"),
            "Thank you to everyone who joined #hcsmbm today!"
        );
        assert_eq!(
            thanks_without_mentions("Thanks {mentions} for a great #c chat"),
            "Thanks for a great #c chat!"
        );
        assert_eq!(thanks_without_mentions("Thanks all! #c"), "Thanks all! #c");
    }
}
