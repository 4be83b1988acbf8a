//! Every post of a chat's next occurrence against the accounts it goes to.
//!
//! `tweetchat check` renders the posts of one occurrence (the first one to
//! come) and counts each the way its platform counts, so a question too
//! long for X is found before the day. Names of unknown accounts are
//! [`crate::plan::accounts`]'s; this needs rendered texts, hence the
//! schedule.

use jiff::Timestamp;

use super::{Slot, SlotKind, expand_occurrence, next_occurrence};
use crate::plan::accounts::{AccountLimit, resolve_accounts};
use crate::plan::{ChatPlan, Diagnostic, Loc, PlanSpans, When};

/// Unknown account names, and every rendered post of the first occurrence
/// after `now` that is too long for a platform the chat posts to.
/// `default_accounts` applies when the plan names none.
pub fn check_against_accounts(
    plan: &ChatPlan,
    spans: &PlanSpans,
    accounts: &[AccountLimit],
    default_accounts: &[String],
    now: Timestamp,
) -> Vec<Diagnostic> {
    let (mut diags, targets) = resolve_accounts(plan, spans, accounts, default_accounts);
    diags.extend(
        too_long_posts(plan, spans, &targets, now)
            .into_iter()
            .map(|(_, diag)| diag),
    );
    diags.dedup_by(|a, b| a.line == b.line && a.column == b.column && a.message == b.message);
    diags
}

/// Every rendered post that does not fit one of `targets`, with the
/// account it does not fit: the posts of the first occurrence after `now`
/// and of every prepared session still to come. `check` reports these as
/// errors; the daemon keeps the chat off each account named here
/// ([`crate::daemon::verdict`]): one function, so the two never disagree.
pub fn too_long_posts<'a>(
    plan: &ChatPlan,
    spans: &PlanSpans,
    targets: &[&'a AccountLimit],
    now: Timestamp,
) -> Vec<(&'a AccountLimit, Diagnostic)> {
    let mut found = Vec::new();
    if targets.is_empty() {
        return found;
    }
    let mut measured = Vec::new();
    if let Some(start) = first_start(plan, now) {
        measured.push(start);
    }
    // Every prepared session to come has texts of its own: each is measured.
    let prepared = plan.season.iter().flat_map(|s| s.sessions.iter());
    for session in prepared.take(crate::plan::season::MAX_SESSIONS) {
        let occurrence = match session.start {
            Some(start) => super::Occurrence {
                key: session.key,
                start: super::recurrence::resolve_once(&plan.tz, start),
            },
            None => super::Occurrence {
                key: session.key,
                start: super::recurrence::resolve_repeat(&plan.tz, session.key),
            },
        };
        let ends = occurrence
            .start
            .timestamp()
            .checked_add(super::lag(plan))
            .unwrap_or(Timestamp::MAX);
        if ends >= now
            && plan.status(session.key).is_held()
            && !measured.iter().any(|m| m.key == session.key)
        {
            measured.push(occurrence);
        }
    }
    for occurrence in &measured {
        for slot in &expand_occurrence(plan, occurrence) {
            for account in targets {
                if let Some(diag) = too_long(plan, spans, slot, account) {
                    found.push((*account, diag));
                }
            }
        }
    }
    found
}

/// The occurrence whose posts are measured: a one-off chat's own start, or
/// the next occurrence of a recurring one after `now` (or after `from`).
fn first_start(plan: &ChatPlan, now: Timestamp) -> Option<super::Occurrence> {
    match &plan.when {
        When::Once(start) => plan.tz.to_zoned(*start).ok().map(super::Occurrence::at),
        When::Repeat(recurrence) => {
            let from = recurrence
                .from
                .and_then(|d| d.to_zoned(plan.tz.clone()).ok())
                .map_or(now, |z| z.timestamp().max(now));
            next_occurrence(plan, from)
        }
    }
}

fn too_long(
    plan: &ChatPlan,
    spans: &PlanSpans,
    slot: &Slot,
    account: &AccountLimit,
) -> Option<Diagnostic> {
    let text = slot.text_for(account.platform);
    let length = account.count(text);
    if length <= account.limit {
        return None;
    }
    let (path, loc) = match spans.sessions.get(&slot.occurrence) {
        // A session's own text: point at the session.
        Some((path, loc)) if session_owns(plan, slot) => (path.clone(), *loc),
        _ => (plan.source.to_path_buf(), slot_loc(spans, slot)),
    };
    let session = plan
        .session(slot.occurrence)
        .filter(|_| session_owns(plan, slot))
        .map_or(String::new(), |s| format!(" (session {})", s.key.date()));
    let what = match (slot.kind, slot.n) {
        (SlotKind::Question, Some(n)) => format!("Q{n}"),
        (SlotKind::Announce, Some(n)) => format!("announcement {n}"),
        (kind, _) => kind.to_string(),
    };
    let own_version = text != slot.text;
    let help = if own_version {
        format!(
            "shorten its `{}:` version by at least {} characters (placeholders such as {{times}} count as rendered)",
            account.platform,
            length - account.limit
        )
    } else {
        format!(
            "write an `{}:` version of this text beside `text:` for accounts on {}, or shorten it by at least {} characters (placeholders such as {{times}} count as rendered)",
            account.platform,
            account.platform,
            length - account.limit
        )
    };
    Some(
        Diagnostic::new(
            &path,
            loc.line,
            loc.column,
            format!(
                "{what}{session} is {length} characters on {}, over the limit of {} for `{}`",
                account.platform, account.limit, account.name
            ),
        )
        .help(help),
    )
}

/// Whether the slot's text comes from its session rather than the chat.
fn session_owns(plan: &ChatPlan, slot: &Slot) -> bool {
    let Some(session) = plan.session(slot.occurrence) else {
        return false;
    };
    match slot.kind {
        SlotKind::Announce => session.announce.is_some(),
        SlotKind::Welcome => session.welcome.is_some(),
        SlotKind::Question => session.questions.is_some(),
        SlotKind::Wrapup => session.wrapup.is_some(),
        SlotKind::Thanks => session.thanks.is_some(),
    }
}

fn slot_loc(spans: &PlanSpans, slot: &Slot) -> Loc {
    let index = slot.n.map(|n| n as usize).unwrap_or(1).saturating_sub(1);
    let found = match slot.kind {
        SlotKind::Announce => spans.announce.get(index).copied(),
        SlotKind::Welcome => spans.welcome,
        SlotKind::Question => spans.questions.get(index).copied(),
        SlotKind::Wrapup => spans.wrapup,
        SlotKind::Thanks => spans.thanks,
    };
    found.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::plan::load::load_str_spanned;
    use crate::plan::validate::tests::BASE;

    fn limits() -> Vec<AccountLimit> {
        crate::plan::accounts::tests::limits()
    }

    #[test]
    fn posts_too_long_for_a_platform_point_at_their_text() {
        let long = "Why? ".repeat(60);
        let src = format!("{BASE}accounts: [main_x, hcsm_mastodon]\n")
            .replace("text: Second?", &format!("text: {long}"));
        let (plan, spans) = load_str_spanned(Path::new("t.yaml"), &src).unwrap();
        let now: Timestamp = "2026-11-27T00:00:00Z".parse().unwrap();
        let diags = check_against_accounts(&plan, &spans, &limits(), &[], now);
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert_eq!((diags[0].line, diags[0].column), (10, 11));
        assert!(
            diags[0]
                .message
                .starts_with("Q2 is 309 characters on x, over the limit of 280"),
            "{}",
            diags[0].message
        );
        assert!(diags[0].help.as_deref().unwrap().contains("at least 29"));
        let (short, spans) = load_str_spanned(Path::new("t.yaml"), BASE).unwrap();
        let main = ["main_x".to_string()];
        assert!(check_against_accounts(&short, &spans, &limits(), &main, now).is_empty());
    }

    /// Every link counts what the account's instance reserves for one: a
    /// question that fits at 23 a link does not at 200.
    #[test]
    fn links_count_as_the_mastodon_instance_reserves() {
        let src = format!("{BASE}accounts: [hcsm_mastodon]\n").replace(
            "text: Second?",
            &format!(
                "text: \"{} https://example.org/a https://example.org/b\"",
                "Why? ".repeat(80)
            ),
        );
        let (plan, spans) = load_str_spanned(Path::new("t.yaml"), &src).unwrap();
        let now: Timestamp = "2026-11-27T00:00:00Z".parse().unwrap();
        let mut accounts = limits();
        assert!(check_against_accounts(&plan, &spans, &accounts, &[], now).is_empty());
        accounts[1].url_length = 200;
        let diags = check_against_accounts(&plan, &spans, &accounts, &[], now);
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert!(
            diags[0]
                .message
                .contains("on mastodon, over the limit of 500 for `hcsm_mastodon`"),
            "{}",
            diags[0].message
        );
    }
}
