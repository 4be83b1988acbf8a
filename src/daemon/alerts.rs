//! What the daemon tells `[notify]` about posts and occurrences.
//!
//! One event per failed post (its key), one per skipped occurrence and
//! account (however many of its posts were skipped), one per unprepared
//! occurrence; [`Notifier`] drops repeats of the same one.

use jiff::Timestamp;

use crate::notify::{Event, EventKind, Notifier};
use crate::plan::ChatPlan;
use crate::schedule::{Occurrence, Slot};

/// `CHAT/YYYY-MM-DDTHH:MM`, the occurrence as in post keys.
fn occurrence_key(chat: &str, occurrence: jiff::civil::DateTime) -> String {
    format!("{chat}/{}", occurrence.strftime("%Y-%m-%dT%H:%M"))
}

const FAILED_FIX: &str = "see the operator page or `tweetchat status` for this post; post it by hand if it still matters";

/// A post recorded as failed.
pub fn post_failed(notify: &Notifier, slot: &Slot, account: &str, reason: &str, at: Timestamp) {
    notify.send(
        Event::new(
            EventKind::PostFailed,
            at,
            format!(
                "{} of {} (due {}) was not posted on `{account}`: {reason}",
                slot.label(),
                slot.chat,
                slot.at
            ),
        )
        .chat(&*slot.chat)
        .account(account)
        .key(slot.key(account))
        .fix(FAILED_FIX),
    );
}

/// A post recorded as failed where only its key is at hand (a look-up
/// finished aside, [`super::poster`]): the key is
/// `chat/occurrence/label/account`.
pub fn post_failed_by_key(
    notify: &Notifier,
    key: &str,
    due: Timestamp,
    reason: &str,
    at: Timestamp,
) {
    let mut parts = key.rsplitn(4, '/');
    let (account, label, _occurrence, chat) =
        (parts.next(), parts.next(), parts.next(), parts.next());
    let (Some(account), Some(label), Some(chat)) = (account, label, chat) else {
        return;
    };
    notify.send(
        Event::new(
            EventKind::PostFailed,
            at,
            format!("{label} of {chat} (due {due}) was not posted on `{account}`: {reason}"),
        )
        .chat(chat)
        .account(account)
        .key(key)
        .fix(FAILED_FIX),
    );
}

/// Posts of an occurrence skipped on `account` (the first one's reason).
pub fn post_skipped(notify: &Notifier, slot: &Slot, account: &str, reason: &str, at: Timestamp) {
    notify.send(
        Event::new(
            EventKind::PostSkipped,
            at,
            format!(
                "{} of {} (due {}) was skipped on `{account}`: {reason}",
                slot.label(),
                slot.chat,
                slot.at
            ),
        )
        .chat(&*slot.chat)
        .account(account)
        .key(occurrence_key(&slot.chat, slot.occurrence))
        .fix("`tweetchat status` lists every skipped post; later posts of the chat still go out"),
    );
}

/// An occurrence nobody prepared questions for.
pub fn unprepared(
    notify: &Notifier,
    plan: &ChatPlan,
    occurrence: &Occurrence,
    first: &Slot,
    at: Timestamp,
) {
    notify.send(
        Event::new(
            EventKind::Unprepared,
            at,
            format!(
                "session {} of {} is not held: it has no questions yet ({} would be posted at {})",
                occurrence.key.date(),
                plan.id,
                first.label(),
                first.at
            ),
        )
        .chat(plan.id.to_string())
        .key(occurrence_key(plan.id.as_ref(), occurrence.key))
        .fix(format!(
            "add the session's questions (chats/{}/{}.yaml) before {}",
            plan.id,
            occurrence.key.date(),
            first.at
        )),
    );
}
