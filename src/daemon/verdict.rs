//! One verdict on every chat file: what `check` calls invalid for an
//! account, the daemon does not post there.
//!
//! `check` measures every post of a chat's next occurrence (and of every
//! prepared session) against the limits of the accounts it goes to, with
//! the limits the daemon last read from each server. The daemon learns
//! those limits while it runs (a Mastodon instance read at start, read
//! again on SIGHUP and daily, where an administrator may have lowered
//! them), so whenever the limits or the plans change it passes the loaded
//! chats through the same function ([`too_long_posts`]) and keeps each
//! chat off every account it does not fit: its posts there are recorded as
//! failed with the reason and the fix, never sent into a refusal; its other
//! accounts and every other chat post as usual. The verdict is logged once
//! when it changes, and noted in `state_dir/kept-out.json` for `status`
//! and the operator page (the note is rewritten at start, so it never
//! outlives the process that wrote it).
//!
//! The daemon keeps no file positions (they would cost memory on every
//! loaded chat), so a chat found too long is read again to point at the
//! line, and the located verdict is only used when it says the same.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::plan::accounts::AccountLimit;
use crate::plan::{ChatPlan, Diagnostic, PlanSpans};
use crate::platform::Platform;
use crate::schedule::lengths::too_long_posts;

/// The note's file name inside `state_dir`.
pub const FILE_NAME: &str = "kept-out.json";

/// What each account takes, as the daemon's platforms say now.
pub fn limits_of(accounts: &BTreeMap<String, Arc<dyn Platform>>) -> Vec<AccountLimit> {
    accounts
        .iter()
        .map(|(name, platform)| AccountLimit {
            name: name.clone(),
            platform: platform.kind(),
            limit: platform.limit(),
            url_length: platform.url_length(),
        })
        .collect()
}

/// The accounts among `changed` whose limits differ between `before` and
/// `after` (or that appear in only one of them).
pub fn changed_accounts(before: &[AccountLimit], after: &[AccountLimit]) -> Vec<String> {
    let mut changed: Vec<String> = after
        .iter()
        .filter(|now| before.iter().all(|was| was != *now))
        .map(|now| now.name.clone())
        .collect();
    changed.extend(
        before
            .iter()
            .filter(|was| after.iter().all(|now| now.name != was.name))
            .map(|was| was.name.clone()),
    );
    changed
}

/// The accounts `plan` posts to that it does not fit, each with every post
/// that does not fit it, as `check` reports them.
pub fn judge(
    plan: &ChatPlan,
    limits: &[AccountLimit],
    default_accounts: &[String],
    now: Timestamp,
) -> BTreeMap<String, Vec<Diagnostic>> {
    let names = plan.accounts.as_deref().unwrap_or(default_accounts);
    let targets: Vec<&AccountLimit> = limits.iter().filter(|l| names.contains(&l.name)).collect();
    let found = too_long_posts(plan, &PlanSpans::default(), &targets, now);
    if found.is_empty() {
        return BTreeMap::new();
    }
    let found = located(plan, &targets, now, &found).unwrap_or_else(|| {
        found
            .into_iter()
            .map(|(account, diag)| (account.name.clone(), diag))
            .collect()
    });
    let mut verdict: BTreeMap<String, Vec<Diagnostic>> = BTreeMap::new();
    for (account, diag) in found {
        let problems = verdict.entry(account).or_default();
        if !problems.iter().any(|d| d.message == diag.message) {
            problems.push(diag);
        }
    }
    verdict
}

/// The same verdict with lines and columns, from the chat's file read
/// again; `None` when the file no longer says the same (it changed since,
/// and the next rescan loads it).
fn located(
    plan: &ChatPlan,
    targets: &[&AccountLimit],
    now: Timestamp,
    found: &[(&AccountLimit, Diagnostic)],
) -> Option<Vec<(String, Diagnostic)>> {
    let (mut again, spans) = crate::plan::load_file_spanned(&plan.source).ok()?;
    if let Some(base) = &plan.calendar_base {
        crate::plan::set_calendar_base(&mut again, Arc::clone(base));
    }
    let with_lines = too_long_posts(&again, &spans, targets, now);
    let same = with_lines.len() == found.len()
        && with_lines
            .iter()
            .zip(found)
            .all(|((a, d), (b, e))| a.name == b.name && d.message == e.message);
    same.then(|| {
        with_lines
            .into_iter()
            .map(|(account, diag)| (account.name.clone(), diag))
            .collect()
    })
}

/// The reason recorded for each post of a chat kept off `account`.
pub fn reason(chat: &str, account: &str, problems: &[Diagnostic]) -> String {
    let first = problems.first().map_or_else(String::new, one_line);
    let more = match problems.len() {
        0 | 1 => String::new(),
        n => format!(" (and {} more; `tweetchat check` lists them)", n - 1),
    };
    format!(
        "chat `{chat}` does not fit account `{account}`, so none of it is posted there \
         (`tweetchat check` calls the file invalid for it): {first}{more}"
    )
}

/// `path:line:col: message; help` on one line.
fn one_line(diag: &Diagnostic) -> String {
    let at = if diag.line == 0 {
        diag.path.display().to_string()
    } else {
        format!("{}:{}:{}", diag.path.display(), diag.line, diag.column)
    };
    match &diag.help {
        Some(help) => format!("{at}: {}; {help}", diag.message),
        None => format!("{at}: {}", diag.message),
    }
}

/// Chats kept off accounts: the reason by chat and account, as the
/// dispatcher reads it for every job.
#[derive(Debug, Default, Clone)]
pub struct KeptOut {
    by_chat: HashMap<Arc<str>, Kept>,
}

/// One chat's verdict.
#[derive(Debug, Clone)]
struct Kept {
    file: PathBuf,
    since: Timestamp,
    /// By account: the reason recorded, and every problem on its own line.
    accounts: BTreeMap<String, (Arc<str>, Vec<String>)>,
}

impl KeptOut {
    /// Why `chat` must not post on `account`, if it must not.
    pub fn reason(&self, chat: &str, account: &str) -> Option<Arc<str>> {
        self.by_chat
            .get(chat)
            .and_then(|kept| kept.accounts.get(account))
            .map(|(reason, _)| Arc::clone(reason))
    }

    pub fn is_empty(&self) -> bool {
        self.by_chat.is_empty()
    }

    /// Replaces the verdict on `plan`; logs what changed. `true` when it did.
    pub fn set(
        &mut self,
        plan: &ChatPlan,
        verdict: BTreeMap<String, Vec<Diagnostic>>,
        now: Timestamp,
    ) -> bool {
        let chat = plan.id.arc();
        let before = self.by_chat.remove(&chat);
        let mut accounts = BTreeMap::new();
        for (account, problems) in verdict {
            let lines: Vec<String> = problems.iter().map(one_line).collect();
            let was = before
                .as_ref()
                .and_then(|kept| kept.accounts.get(&account))
                .is_some_and(|(_, had)| *had == lines);
            if !was {
                for diag in &problems {
                    tracing::error!(chat = %plan.id, account = %account, "{diag}");
                }
                tracing::error!(
                    chat = %plan.id,
                    account = %account,
                    "chat `{}` does not fit account `{account}`: none of its posts go out there \
                     until the file is fixed; its other accounts post as usual",
                    plan.id
                );
            }
            let reason: Arc<str> = reason(&plan.id, &account, &problems).into();
            accounts.insert(account, (reason, lines));
        }
        if let Some(before) = &before {
            for account in before.accounts.keys() {
                if !accounts.contains_key(account) {
                    tracing::info!(chat = %plan.id, account = %account, "chat `{}` fits account `{account}` again: its posts go out there", plan.id);
                }
            }
        }
        let changed = match &before {
            Some(kept) => {
                kept.accounts.len() != accounts.len()
                    || kept
                        .accounts
                        .iter()
                        .zip(&accounts)
                        .any(|((a, (_, x)), (b, (_, y)))| a != b || x != y)
            }
            None => !accounts.is_empty(),
        };
        if !accounts.is_empty() {
            let since = before.map_or(now, |kept| kept.since);
            self.by_chat.insert(
                chat,
                Kept {
                    file: plan.source.to_path_buf(),
                    since,
                    accounts,
                },
            );
        }
        changed
    }

    /// Forgets `chat` (its file is gone). `true` when it had a verdict.
    pub fn remove(&mut self, chat: &str) -> bool {
        self.by_chat.remove(chat).is_some()
    }

    /// The note `status` and the operator page read.
    pub fn note(&self) -> Vec<NotedChat> {
        let mut chats: Vec<NotedChat> = self
            .by_chat
            .iter()
            .map(|(chat, kept)| NotedChat {
                chat: chat.to_string(),
                file: kept.file.clone(),
                since: kept.since,
                accounts: kept
                    .accounts
                    .iter()
                    .map(|(account, (_, problems))| NotedAccount {
                        account: account.clone(),
                        problems: problems.clone(),
                    })
                    .collect(),
            })
            .collect();
        chats.sort_by(|a, b| a.chat.cmp(&b.chat));
        chats
    }
}

/// A chat kept off some of its accounts, as noted for `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotedChat {
    pub chat: String,
    pub file: PathBuf,
    /// Since when (this run).
    pub since: Timestamp,
    pub accounts: Vec<NotedAccount>,
}

/// One account a chat is kept off, with every post that does not fit it
/// (`path:line:col: message; help`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotedAccount {
    pub account: String,
    pub problems: Vec<String>,
}

/// Writes the note (a new file renamed over the old one).
pub fn write(state_dir: &Path, chats: &[NotedChat]) -> std::io::Result<()> {
    std::fs::create_dir_all(state_dir)?;
    let path = state_dir.join(FILE_NAME);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(chats)?)?;
    std::fs::rename(&tmp, &path)
}

/// The note of the running daemon; empty when there is none or it cannot
/// be read.
pub fn read(state_dir: &Path) -> Vec<NotedChat> {
    std::fs::read(state_dir.join(FILE_NAME))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::PlatformKind;

    fn limit(name: &str, platform: PlatformKind, limit: usize) -> AccountLimit {
        AccountLimit {
            limit,
            ..AccountLimit::with_defaults(name, platform)
        }
    }

    #[test]
    fn only_accounts_whose_limits_moved_are_changed() {
        let before = [
            limit("m", PlatformKind::Mastodon, 500),
            limit("x", PlatformKind::X, 280),
        ];
        let after = [
            limit("m", PlatformKind::Mastodon, 300),
            limit("x", PlatformKind::X, 280),
        ];
        assert_eq!(changed_accounts(&before, &after), ["m"]);
        assert!(changed_accounts(&after, &after).is_empty());
        assert_eq!(changed_accounts(&[], &after), ["m", "x"]);
    }

    #[test]
    fn a_chat_too_long_for_one_account_is_kept_off_that_one_only() {
        let src = crate::plan::validate::tests::BASE.replace(
            "text: Second?",
            &format!("text: \"{}\"", "Why? ".repeat(70)),
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.yaml");
        std::fs::write(&path, format!("{src}accounts: [m, b]\n")).unwrap();
        let plan = crate::plan::load_file(&path).unwrap();
        let now: Timestamp = "2026-11-27T00:00:00Z".parse().unwrap();
        let limits = [
            limit("m", PlatformKind::Mastodon, 500),
            limit("b", PlatformKind::Bluesky, 400),
            limit("x", PlatformKind::X, 280),
        ];
        assert!(judge(&plan, &limits, &[], now).is_empty());
        let lowered = [
            limit("m", PlatformKind::Mastodon, 300),
            limit("b", PlatformKind::Bluesky, 400),
            limit("x", PlatformKind::X, 280),
        ];
        let verdict = judge(&plan, &lowered, &[], now);
        assert_eq!(verdict.keys().collect::<Vec<_>>(), ["m"]);
        let diag = &verdict["m"][0];
        // Located by reading the file again, as `check` prints it.
        assert!(diag.line > 0, "{diag}");
        assert!(
            diag.message.contains("over the limit of 300 for `m`"),
            "{diag}"
        );
        let mut kept = KeptOut::default();
        assert!(kept.set(&plan, verdict.clone(), now));
        assert!(!kept.set(&plan, verdict, now), "the same verdict again");
        let why = kept.reason("long", "m").unwrap();
        assert!(why.contains("does not fit account `m`"), "{why}");
        assert!(why.contains("long.yaml:"), "{why}");
        assert_eq!(kept.reason("long", "b"), None);
        assert_eq!(kept.note()[0].accounts[0].account, "m");
        write(dir.path(), &kept.note()).unwrap();
        assert_eq!(read(dir.path()), kept.note());
        assert!(kept.set(&plan, BTreeMap::new(), now), "fits again");
        assert!(kept.is_empty());
    }
}
