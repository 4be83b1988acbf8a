//! Checks that need the settings: the accounts a chat names exist, and every
//! post of its first occurrence fits each platform it goes to.

use jiff::Timestamp;

use super::{ChatPlan, Diagnostic, Loc, PlanSpans};
use crate::schedule::{Slot, SlotKind};
use crate::text::{self, PlatformKind};

/// One configured account: its name, platform and post limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLimit {
    pub name: String,
    pub platform: PlatformKind,
    /// Characters as the platform counts them (X 280, Mastodon 500 unless
    /// the instance says otherwise, Bluesky 300).
    pub limit: usize,
}

/// Unknown account names, and every rendered post of the first occurrence
/// after `now` that is too long for a platform the chat posts to.
/// `default_accounts` applies when the plan names none.
pub fn check_against_accounts(
    plan: &ChatPlan,
    accounts: &[AccountLimit],
    default_accounts: &[String],
    now: Timestamp,
) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    let names = plan.accounts.as_deref().unwrap_or(default_accounts);
    let mut targets = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match accounts.iter().find(|a| &a.name == name) {
            Some(account) => targets.push(account),
            None => {
                let loc = plan.spans.accounts.get(i).copied().unwrap_or_default();
                let known: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
                diags.push(
                    at(plan, loc, format!("unknown account `{name}`")).help(format!(
                        "use one of the accounts in the settings: {}",
                        known.join(", ")
                    )),
                );
            }
        }
    }
    let Some(start) = first_start(plan, now) else {
        return diags;
    };
    let slots = crate::schedule::expand_occurrence(plan, &start);
    for slot in &slots {
        for account in &targets {
            if let Some(diag) = too_long(plan, slot, account) {
                diags.push(diag);
            }
        }
    }
    diags.dedup_by(|a, b| a.line == b.line && a.column == b.column && a.message == b.message);
    diags
}

fn first_start(plan: &ChatPlan, now: Timestamp) -> Option<jiff::Zoned> {
    let until = now
        .checked_add(jiff::SignedDuration::from_hours(24 * 400))
        .ok()?;
    crate::schedule::occurrences(plan, now, until)
        .into_iter()
        .next()
}

fn too_long(plan: &ChatPlan, slot: &Slot, account: &AccountLimit) -> Option<Diagnostic> {
    let length = text::count(account.platform, &slot.text);
    if length <= account.limit {
        return None;
    }
    let loc = slot_loc(&plan.spans, slot);
    let what = match (slot.kind, slot.n) {
        (SlotKind::Question, Some(n)) => format!("Q{n}"),
        (SlotKind::Announce, Some(n)) => format!("announcement {n}"),
        (kind, _) => kind.to_string(),
    };
    Some(
        at(
            plan,
            loc,
            format!(
                "{what} is {length} characters on {}, over the limit of {} for `{}`",
                account.platform, account.limit, account.name
            ),
        )
        .help(format!(
            "shorten it by at least {} characters (placeholders such as {{times}} count as rendered)",
            length - account.limit
        )),
    )
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

fn at(plan: &ChatPlan, loc: Loc, message: String) -> Diagnostic {
    Diagnostic::new(&plan.source, loc.line, loc.column, message)
}
