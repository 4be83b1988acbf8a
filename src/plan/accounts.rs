//! Checks that need the settings: the accounts a chat names exist, and every
//! post of its first occurrence fits each platform it goes to.

use jiff::Timestamp;

use super::{ChatPlan, Diagnostic, Loc, PlanSpans, When};
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
    let (mut diags, targets) = resolve_accounts(plan, accounts, default_accounts);
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

/// The accounts the plan posts to, and a diagnostic per unknown name.
fn resolve_accounts<'a>(
    plan: &ChatPlan,
    accounts: &'a [AccountLimit],
    default_accounts: &[String],
) -> (Vec<Diagnostic>, Vec<&'a AccountLimit>) {
    let mut diags = Vec::new();
    let names = plan.accounts.as_deref().unwrap_or(default_accounts);
    let mut targets = Vec::new();
    for (i, name) in names.iter().enumerate() {
        match accounts.iter().find(|a| &a.name == name) {
            Some(account) => targets.push(account),
            None => {
                let loc = plan.spans.accounts.get(i).copied().unwrap_or_default();
                let known: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
                let hint = match super::zones::closest(name, known.iter().copied(), 1).first() {
                    Some(best) => format!("did you mean `{best}`? "),
                    None => String::new(),
                };
                let origin = if plan.accounts.is_some() {
                    ""
                } else {
                    " (from the settings' default_accounts)"
                };
                diags.push(
                    at(plan, loc, format!("unknown account `{name}`{origin}")).help(format!(
                        "{hint}accounts in the settings: {}",
                        known.join(", ")
                    )),
                );
            }
        }
    }
    (diags, targets)
}

/// The occurrence whose posts are measured: a one-off chat's own start, or
/// the next occurrence of a recurring one after `now` (or after `from`).
fn first_start(plan: &ChatPlan, now: Timestamp) -> Option<jiff::Zoned> {
    match &plan.when {
        When::Once(start) => plan.tz.to_zoned(*start).ok(),
        When::Repeat(recurrence) => {
            let from = recurrence
                .from
                .and_then(|d| d.to_zoned(plan.tz.clone()).ok())
                .map_or(now, |z| z.timestamp().max(now));
            let until = from
                .checked_add(jiff::SignedDuration::from_hours(24 * 400))
                .ok()?;
            crate::schedule::occurrences(plan, from, until)
                .into_iter()
                .next()
        }
    }
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::plan::load::load_str;
    use crate::plan::validate::tests::BASE;

    fn limits() -> Vec<AccountLimit> {
        [
            ("main_x", PlatformKind::X),
            ("hcsm_mastodon", PlatformKind::Mastodon),
        ]
        .into_iter()
        .map(|(name, platform)| AccountLimit {
            name: name.into(),
            platform,
            limit: platform.default_limit(),
        })
        .collect()
    }

    #[test]
    fn unknown_account_names_are_located_and_suggested() {
        let src = format!("{BASE}accounts: [main_x, hcsm_mastadon]\n");
        let plan = load_str(Path::new("t.yaml"), &src).unwrap();
        let accounts = limits();
        let (diags, targets) = resolve_accounts(&plan, &accounts, &[]);
        assert_eq!(targets.len(), 1);
        assert_eq!(diags.len(), 1);
        assert_eq!((diags[0].line, diags[0].column), (11, 20));
        assert_eq!(diags[0].message, "unknown account `hcsm_mastadon`");
        assert!(
            diags[0]
                .help
                .as_deref()
                .unwrap()
                .contains("did you mean `hcsm_mastodon`")
        );
    }

    #[test]
    fn default_accounts_apply_when_the_plan_names_none() {
        let plan = load_str(Path::new("t.yaml"), BASE).unwrap();
        let accounts = limits();
        let (diags, targets) = resolve_accounts(&plan, &accounts, &["main_x".into()]);
        assert!(diags.is_empty());
        assert_eq!(targets[0].name, "main_x");
        let (diags, _) = resolve_accounts(&plan, &accounts, &["gone".into()]);
        assert_eq!(diags[0].line, 0, "no line to point at: file-level");
        assert!(diags[0].message.contains("default_accounts"));
    }

    #[test]
    fn posts_too_long_for_a_platform_point_at_their_text() {
        let long = "Why? ".repeat(60);
        let src = format!("{BASE}accounts: [main_x, hcsm_mastodon]\n")
            .replace("text: Second?", &format!("text: {long}"));
        let plan = load_str(Path::new("t.yaml"), &src).unwrap();
        let now: Timestamp = "2026-11-27T00:00:00Z".parse().unwrap();
        let diags = check_against_accounts(&plan, &limits(), &[], now);
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
        let short = load_str(Path::new("t.yaml"), BASE).unwrap();
        assert!(check_against_accounts(&short, &limits(), &["main_x".into()], now).is_empty());
    }
}
