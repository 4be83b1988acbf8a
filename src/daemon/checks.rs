//! Every account checked before each chat.
//!
//! Credentials expire, apps lose their write permission, instances move:
//! found at the first question, it is too late to fix. So at start (once
//! the first chats are loaded, and for a chat added later when it is
//! loaded), a day before and an hour before each held occurrence, every
//! account the chat posts to is asked ([`Platform::check`]: X
//! `GET /2/users/me` and the app's `x-access-level`, Mastodon
//! `verify_credentials`, Bluesky the session). A rate-limit window the
//! answer says is used up until after the chat starts fails the check too.
//! Chats due at the same instant share one request per account.
//!
//! A failure is logged as an error naming the chat, the account and the
//! fix, recorded in [`Metrics`] (the one record behind
//! `tweetchat_account_up`, `tweetchat_account_checked_seconds` and the
//! operator page), and sent to `[notify]` once per account and occurrence
//! (again only after the account passed in between). A check never holds a
//! post: it runs in a task of its own, and the post path neither waits for
//! it nor reads its verdict. Time is the daemon's [`Clock`], so paused-time
//! tests drive it like the posts.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{error, info};

use crate::clock::Clock;
use crate::http::Metrics;
use crate::notify::{Event, EventKind, Notifier};
use crate::plan::ChatPlan;
use crate::platform::{Platform, PostError, Quota};
use crate::schedule;
use crate::text::PlatformKind;

/// How long before an occurrence's start its accounts are checked.
pub const BEFORE: [(SignedDuration, &str); 2] = [
    (SignedDuration::from_hours(24), "a day before"),
    (SignedDuration::from_hours(1), "an hour before"),
];

/// How far ahead the next check is looked for (then looked for again).
const LOOK_AHEAD: SignedDuration = SignedDuration::from_hours(24 * 8);

/// What the checks need.
pub struct Checks {
    pub accounts: BTreeMap<String, Arc<dyn Platform>>,
    pub default_accounts: Vec<String>,
    pub clock: Clock,
    pub metrics: Option<Arc<Metrics>>,
    pub notify: Notifier,
    /// The plans as the daemon last published them.
    pub plans: watch::Receiver<Arc<Vec<Arc<ChatPlan>>>>,
}

/// One occurrence whose accounts are due for a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub chat: String,
    /// `CHAT/YYYY-MM-DDTHH:MM`, as in post keys.
    pub occurrence: String,
    pub starts: Timestamp,
    pub accounts: Vec<String>,
    /// `a day before`, `an hour before`, `at start, before`, `on loading,
    /// before` (the chat's name follows in messages).
    pub when: &'static str,
}

/// Runs until `cancel` fires.
pub async fn run(mut checks: Checks, cancel: CancellationToken) {
    // Chats whose next occurrence was checked on loading: all of them at
    // start, then each chat added while running (its day-before check may
    // have passed already).
    let mut loaded: BTreeSet<String> = BTreeSet::new();
    let mut done_until = checks.clock.now();
    let mut plans_open = true;
    loop {
        let plans = checks.plans.borrow_and_update().clone();
        let now = checks.clock.now();
        let until = now + SignedDuration::from_millis(1);
        let when = if loaded.is_empty() {
            "at start, before"
        } else {
            "on loading, before"
        };
        let new: Vec<Arc<ChatPlan>> = plans
            .iter()
            .filter(|plan| !loaded.contains(&*plan.id))
            .cloned()
            .collect();
        loaded.extend(new.iter().map(|plan| plan.id.to_string()));
        let mut due = next_occurrences(&new, &checks.default_accounts, now, when);
        due.extend(due_between(
            &plans,
            &checks.default_accounts,
            done_until,
            until,
        ));
        done_until = until;
        if !due.is_empty() {
            check_round(&checks, &due).await;
        }
        let next = next_check(&plans, done_until);
        let wake = next.unwrap_or(done_until + LOOK_AHEAD);
        tokio::select! {
            biased;
            _ = cancel.cancelled() => return,
            changed = checks.plans.changed(), if plans_open => {
                plans_open = changed.is_ok();
            }
            _ = checks.clock.sleep_until(wake) => {}
        }
    }
}

/// The accounts a chat posts to.
fn accounts_of<'a>(plan: &'a ChatPlan, default_accounts: &'a [String]) -> &'a [String] {
    plan.accounts.as_deref().unwrap_or(default_accounts)
}

fn occurrence_key(plan: &ChatPlan, occurrence: &schedule::Occurrence) -> String {
    format!("{}/{}", plan.id, occurrence.key.strftime("%Y-%m-%dT%H:%M"))
}

/// Each chat's next held occurrence (at start, or a chat just loaded).
pub fn next_occurrences(
    plans: &[Arc<ChatPlan>],
    default_accounts: &[String],
    now: Timestamp,
    when: &'static str,
) -> Vec<Due> {
    let until = now.checked_add(LOOK_AHEAD).unwrap_or(Timestamp::MAX);
    plans
        .iter()
        .filter_map(|plan| {
            let occurrence = schedule::occurrences(plan, now, until).into_iter().next()?;
            Some(Due {
                chat: plan.id.to_string(),
                occurrence: occurrence_key(plan, &occurrence),
                starts: occurrence.timestamp(),
                accounts: accounts_of(plan, default_accounts).to_vec(),
                when,
            })
        })
        .collect()
}

/// Checks whose instant lies in `[from, until)`.
pub fn due_between(
    plans: &[Arc<ChatPlan>],
    default_accounts: &[String],
    from: Timestamp,
    until: Timestamp,
) -> Vec<Due> {
    let mut due = Vec::new();
    for plan in plans {
        for (before, when) in BEFORE {
            let (Some(start), Some(end)) = (
                from.checked_add(before).ok(),
                until.checked_add(before).ok(),
            ) else {
                continue;
            };
            for occurrence in schedule::occurrences(plan, start, end) {
                due.push(Due {
                    chat: plan.id.to_string(),
                    occurrence: occurrence_key(plan, &occurrence),
                    starts: occurrence.timestamp(),
                    accounts: accounts_of(plan, default_accounts).to_vec(),
                    when,
                });
            }
        }
    }
    due
}

/// The first check instant at or after `from`.
pub fn next_check(plans: &[Arc<ChatPlan>], from: Timestamp) -> Option<Timestamp> {
    let mut next: Option<Timestamp> = None;
    for plan in plans {
        for (before, _) in BEFORE {
            let Ok(start) = from.checked_add(before) else {
                continue;
            };
            let end = start.checked_add(LOOK_AHEAD).unwrap_or(Timestamp::MAX);
            if let Some(first) = schedule::occurrences(plan, start, end).into_iter().next() {
                let at = first.timestamp() - before;
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
    }
    next
}

/// One request per account named in `due`, all at once; then each failure
/// reported for every chat that posts to the account.
async fn check_round(checks: &Checks, due: &[Due]) {
    let names: BTreeSet<&str> = due
        .iter()
        .flat_map(|d| d.accounts.iter().map(String::as_str))
        .filter(|name| checks.accounts.contains_key(*name))
        .collect();
    let mut asking = tokio::task::JoinSet::new();
    for name in names {
        let Some(platform) = checks.accounts.get(name).cloned() else {
            continue;
        };
        let name = name.to_string();
        asking.spawn(async move {
            let answer = platform.check().await;
            (name, platform, answer)
        });
    }
    let now = checks.clock.now();
    let (mut passing, mut failing) = (Vec::new(), Vec::new());
    while let Some(joined) = asking.join_next().await {
        let Ok((name, platform, answer)) = joined else {
            continue;
        };
        let quota = platform.quota();
        if let (Some(metrics), Some(quota)) = (&checks.metrics, quota) {
            metrics.set_quota(&name, quota.remaining, quota.limit, quota.reset);
        }
        let chats: Vec<&Due> = due.iter().filter(|d| d.accounts.contains(&name)).collect();
        // Credentials pass, but nothing is left of the window until after
        // the chat has started: its first posts would wait past their grace.
        let answer = answer.and_then(|me| match quota.and_then(|q| used_up(q, &chats)) {
            Some(err) => Err(err),
            None => Ok(me),
        });
        match answer {
            Ok(me) => {
                passed(checks, &name, &me.username, now);
                passing.push(name);
            }
            Err(err) => {
                failing.push(name.clone());
                let fix = fix_for(&name, platform.kind(), &err);
                if let Some(metrics) = &checks.metrics {
                    metrics.account_checked(&name, now, Err(format!("{err}; {fix}")));
                }
                for d in chats {
                    report(checks, d, &name, &err, &fix, now);
                }
            }
        }
    }
    log_round(due, passing, failing);
}

/// One line a round, so the log shows the checks happen.
fn log_round(due: &[Due], mut passing: Vec<String>, mut failing: Vec<String>) {
    let chats: BTreeSet<String> = due
        .iter()
        .map(|d| format!("{} {}", d.when, d.chat))
        .collect();
    let chats: Vec<String> = chats.into_iter().collect();
    passing.sort();
    failing.sort();
    info!(
        passing = %passing.join(","),
        failing = %failing.join(","),
        "accounts checked {}: {} pass, {} fail",
        chats.join("; "),
        passing.len(),
        failing.len()
    );
}

/// `Some` when the network says no request is left in the window and the
/// window resets after one of `chats` starts.
fn used_up(quota: Quota, chats: &[&Due]) -> Option<PostError> {
    if quota.remaining > 0 {
        return None;
    }
    let first = chats.iter().map(|d| d.starts).min()?;
    match quota.reset {
        Some(reset) if reset <= first => None,
        reset => Some(PostError::RateLimited { reset }),
    }
}

fn passed(checks: &Checks, name: &str, username: &str, now: Timestamp) {
    let was_down = checks
        .metrics
        .as_ref()
        .and_then(|m| m.accounts().get(name).map(|h| h.reason.is_some()))
        .unwrap_or(false);
    if was_down {
        info!(account = %name, "account `{name}` passes its check again: it posts as @{username}");
    } else {
        tracing::debug!(account = %name, "account `{name}` checked: it posts as @{username}");
    }
    if let Some(metrics) = &checks.metrics {
        metrics.account_checked(name, now, Ok(format!("@{username}")));
    }
    checks.notify.forget(EventKind::AccountFailing, name);
}

fn report(checks: &Checks, due: &Due, account: &str, err: &PostError, fix: &str, now: Timestamp) {
    let message = format!(
        "account `{account}` failed its check {} chat {} (starting {}): {err}",
        due.when, due.chat, due.starts
    );
    error!(chat = %due.chat, account, occurrence = %due.occurrence, "{message}; fix: {fix}");
    checks.notify.send(
        Event::new(EventKind::AccountFailing, now, message)
            .chat(&due.chat)
            .account(account)
            .key(&due.occurrence)
            .fix(fix),
    );
}

/// What to do about a failed check, in words.
pub fn fix_for(account: &str, kind: PlatformKind, err: &PostError) -> String {
    match err {
        PostError::Unauthorized(_) | PostError::Rejected(_) => match kind {
            PlatformKind::X => format!(
                "fix its keys in [accounts.{account}], or for OAuth 2.0 run \
                 `tweetchat auth x --account {account}`"
            ),
            PlatformKind::Bluesky => {
                format!("make a new app password and put it in [accounts.{account}] app_password")
            }
            _ => format!("fix its credentials in [accounts.{account}]"),
        },
        PostError::Unreachable(_) => {
            format!("check [accounts.{account}] api_base and this machine's network")
        }
        PostError::RateLimited { .. } => format!(
            "the platform's rate limit for `{account}` is used up; posts wait for its reset \
             within their grace windows; use the account less elsewhere until the chat"
        ),
        _ => "the platform answered with an error; it is checked again before the chat, \
              and posts are retried within their grace windows"
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::fixtures::hcsmbm;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// hcsmbm: Wednesdays 12:00 America/Chicago (18:00Z in December).
    #[test]
    fn checks_fall_a_day_and_an_hour_before_each_occurrence() {
        let plans = vec![Arc::new(hcsmbm())];
        let accounts = vec!["main_x".to_string()];
        let from = ts("2026-12-01T00:00Z");
        assert_eq!(next_check(&plans, from), Some(ts("2026-12-01T18:00Z")));
        assert_eq!(
            next_check(&plans, ts("2026-12-01T18:00:01Z")),
            Some(ts("2026-12-02T17:00Z"))
        );
        let due = due_between(
            &plans,
            &accounts,
            ts("2026-12-01T17:59Z"),
            ts("2026-12-01T18:01Z"),
        );
        assert_eq!(due.len(), 1, "{due:?}");
        assert_eq!(due[0].when, "a day before");
        assert_eq!(due[0].occurrence, "hcsmbm/2026-12-02T12:00");
        assert_eq!(due[0].starts, ts("2026-12-02T18:00Z"));
        let due = due_between(
            &plans,
            &accounts,
            ts("2026-12-02T16:59Z"),
            ts("2026-12-02T17:01Z"),
        );
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].when, "an hour before");
        // Nothing between the hour before and the next week's day before.
        assert!(
            due_between(
                &plans,
                &accounts,
                ts("2026-12-02T17:01Z"),
                ts("2026-12-08T17:59Z")
            )
            .is_empty()
        );
        let at_start = next_occurrences(&plans, &accounts, from, "at start, before");
        assert_eq!(at_start.len(), 1);
        assert_eq!(at_start[0].accounts, accounts);
    }

    #[test]
    fn a_window_used_up_past_the_start_fails_the_check() {
        let due = Due {
            chat: "hcsmbm".into(),
            occurrence: "hcsmbm/2026-12-02T12:00".into(),
            starts: ts("2026-12-02T18:00Z"),
            accounts: vec!["main_x".into()],
            when: "an hour before",
        };
        let quota = |remaining, reset: &str| Quota {
            limit: 300,
            remaining,
            reset: Some(ts(reset)),
        };
        // Requests left, or none but back before the chat: fine.
        assert_eq!(used_up(quota(1, "2026-12-03T00:00Z"), &[&due]), None);
        assert_eq!(used_up(quota(0, "2026-12-02T17:15Z"), &[&due]), None);
        let reset = ts("2026-12-02T18:30Z");
        assert_eq!(
            used_up(quota(0, "2026-12-02T18:30Z"), &[&due]),
            Some(PostError::RateLimited { reset: Some(reset) })
        );
        let fix = fix_for(
            "main_x",
            PlatformKind::X,
            &PostError::RateLimited { reset: None },
        );
        assert!(fix.contains("rate limit for `main_x` is used up"), "{fix}");
    }

    #[test]
    fn the_fix_names_the_account_and_what_to_do() {
        let refused = PostError::Unauthorized("X rejected the credentials (401)".into());
        assert!(
            fix_for("main_x", PlatformKind::X, &refused)
                .contains("tweetchat auth x --account main_x")
        );
        let down = PostError::Unreachable(crate::platform::unreachable(
            "http://127.0.0.1:9",
            "connection refused",
        ));
        assert!(
            down.to_string()
                .contains("connection refused: check api_base")
        );
        assert!(fix_for("m", PlatformKind::Mastodon, &down).contains("[accounts.m] api_base"));
    }
}
