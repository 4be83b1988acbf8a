//! What each page shows, built from the loaded plans and the store's rows;
//! no HTML here, so the views stay templates and this stays testable.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::sessions::OccurrenceView;
use crate::plan::{ChatPlan, When};
use crate::schedule::{Occurrence, Slot, SlotKind, expand_occurrence, occurrences};
use crate::store::{PostRecord, PostState};
use crate::text::PlatformKind;

/// How far ahead the pages look for occurrences.
const LOOK_AHEAD: SignedDuration = SignedDuration::from_hours(400 * 24);
/// How far back the chat page lists past occurrences.
pub(super) const LOOK_BACK: SignedDuration = SignedDuration::from_hours(120 * 24);
/// Most past occurrences listed on a chat page.
const MAX_PAST: usize = 12;

/// A chat as every page introduces it.
#[derive(Debug, Clone)]
pub struct ChatSummary {
    pub id: String,
    pub title: String,
    pub hashtag: String,
    pub zone_name: String,
    pub tz: TimeZone,
    /// `Every week: 0 12 * * WED (America/Chicago)` or `Once`.
    pub rhythm: String,
    pub next: Option<Timestamp>,
}

impl ChatSummary {
    pub fn new(plan: &ChatPlan, now: Timestamp) -> Self {
        let next = upcoming(plan, now, 1).into_iter().next();
        // The zone's abbreviation at the next occurrence (`CST`), else its name.
        let zone = next
            .as_ref()
            .map(|o| o.start.strftime("%Z").to_string())
            .filter(|abbr| abbr.chars().all(char::is_alphabetic))
            .map_or_else(
                || plan.zone_name().to_string(),
                |abbr| format!("{abbr} ({})", plan.zone_name()),
            );
        let rhythm = match &plan.when {
            When::Once(_) => format!("Once, {} long", human(plan.duration)),
            When::Repeat(r) => match super::rhythm::in_words(plan.repeat_line(r)) {
                Some(words) => format!("{words} {zone}, {} long", human(plan.duration)),
                None => format!(
                    "Recurring: `{}` in {}, {} long",
                    plan.repeat_line(r),
                    plan.zone_name(),
                    human(plan.duration)
                ),
            },
        };
        Self {
            id: plan.id.to_string(),
            title: plan.title().to_string(),
            hashtag: plan.hashtag().to_string(),
            zone_name: plan.zone_name().to_string(),
            tz: plan.tz.clone(),
            rhythm,
            next: next.as_ref().map(|o| o.start.timestamp()),
        }
    }
}

/// `1h30m`.
fn human(duration: SignedDuration) -> String {
    let secs = duration.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    for (n, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() { "0s".into() } else { out }
}

/// The next `n` occurrences starting at or after `now`.
pub fn upcoming(plan: &ChatPlan, now: Timestamp, n: usize) -> Vec<Occurrence> {
    let until = now.checked_add(LOOK_AHEAD).unwrap_or(Timestamp::MAX);
    let mut found = occurrences(plan, now, until);
    found.truncate(n);
    found
}

/// Past occurrences, newest first.
pub fn past(plan: &ChatPlan, now: Timestamp, since: SignedDuration, n: usize) -> Vec<Occurrence> {
    let from = now.checked_sub(since).unwrap_or(Timestamp::MIN);
    let mut found = occurrences(plan, from, now);
    found.reverse();
    found.truncate(n);
    found
}

/// One post of the next occurrence.
#[derive(Debug, Clone)]
pub struct SlotView {
    pub label: String,
    pub at: Timestamp,
    pub text: String,
    /// `To: main_x (X), hcsm (Mastodon)` for the operator, `To: X, Mastodon`
    /// for everyone else.
    pub posted_to: String,
}

/// A past occurrence and its transcript's address, if one was written.
#[derive(Debug, Clone)]
pub struct PastView {
    pub at: Timestamp,
    pub transcript: Option<String>,
    /// Its session's topic, and its page.
    pub topic: Option<String>,
    pub page: String,
}

#[derive(Debug, Clone)]
pub struct ChatView {
    pub summary: ChatSummary,
    /// Held, cancelled, moved and unprepared ones alike.
    pub upcoming: Vec<OccurrenceView>,
    /// A season: each occurrence lists its own questions.
    pub season: bool,
    pub next_slots: Vec<SlotView>,
    pub past: Vec<PastView>,
}

/// Who a chat posts to, as the pages say it.
#[derive(Debug, Clone, Default)]
pub struct Audience {
    pub default_accounts: Vec<String>,
    pub platforms: BTreeMap<String, PlatformKind>,
}

impl Audience {
    pub fn accounts(&self, plan: &ChatPlan) -> Vec<String> {
        plan.accounts
            .as_deref()
            .map_or_else(|| self.default_accounts.clone(), <[String]>::to_vec)
    }

    fn posted_to(&self, plan: &ChatPlan, operator: bool) -> String {
        let accounts = self.accounts(plan);
        let names: Vec<String> = if operator {
            accounts
                .iter()
                .map(|a| match self.platforms.get(a) {
                    Some(p) => format!("{a} ({})", platform_name(*p)),
                    None => a.clone(),
                })
                .collect()
        } else {
            let mut platforms: Vec<&str> = accounts
                .iter()
                .filter_map(|a| self.platforms.get(a).map(|p| platform_name(*p)))
                .collect();
            platforms.dedup();
            platforms.into_iter().map(str::to_string).collect()
        };
        format!("To: {}", names.join(", "))
    }
}

fn platform_name(platform: PlatformKind) -> &'static str {
    match platform {
        PlatformKind::X => "X",
        PlatformKind::Mastodon => "Mastodon",
        PlatformKind::Bluesky => "Bluesky",
        PlatformKind::Console => "console",
    }
}

/// `Announcement 1`, `Welcome`, `Q3`, `Wrap-up`, `Thank-you`.
pub fn slot_label(kind: SlotKind, n: Option<u32>) -> String {
    match (kind, n) {
        (SlotKind::Announce, Some(n)) => format!("Announcement {n}"),
        (SlotKind::Announce, None) => "Announcement".into(),
        (SlotKind::Welcome, _) => "Welcome".into(),
        (SlotKind::Question, Some(n)) => format!("Q{n}"),
        (SlotKind::Question, None) => "Question".into(),
        (SlotKind::Wrapup, _) => "Wrap-up".into(),
        (SlotKind::Thanks, _) => "Thank-you".into(),
    }
}

/// The chat page: upcoming occurrences, every slot of the next, the past
/// ones with their transcripts (`transcripts`: the dates that have one).
/// Only past
/// occurrences this daemon hosted are listed: one with a record in `rows`
/// (the store's results for the chat) or a transcript. A fresh install,
/// or a chat added last week, lists none from before it ran.
pub fn chat_view(
    plan: &ChatPlan,
    audience: &Audience,
    transcripts: &std::collections::BTreeSet<jiff::civil::Date>,
    rows: &[PostRecord],
    now: Timestamp,
    count: usize,
    operator: bool,
) -> ChatView {
    let recorded: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    let accounts = audience.accounts(plan);
    let coming = upcoming(plan, now, 1);
    let posted_to = audience.posted_to(plan, operator);
    let next_slots = coming
        .first()
        .map(|start| {
            expand_occurrence(plan, start)
                .into_iter()
                .map(|slot| SlotView {
                    label: slot_label(slot.kind, slot.n),
                    at: slot.at,
                    text: slot.text.replace("{mentions}", "@each @participant"),
                    posted_to: posted_to.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let past = past(plan, now, LOOK_BACK, MAX_PAST)
        .into_iter()
        .filter_map(|start| {
            let date = start.date();
            let transcript = transcripts
                .contains(&date)
                .then(|| format!("/chats/{}/transcripts/{date}", plan.id));
            let hosted = transcript.is_some()
                || expand_occurrence(plan, &start).iter().any(|slot| {
                    accounts
                        .iter()
                        .any(|account| recorded.contains(slot.key(account).as_str()))
                });
            hosted.then(|| PastView {
                at: start.timestamp(),
                transcript,
                topic: plan
                    .session(start.key)
                    .and_then(|s| s.topic)
                    .map(|topic| plan.texts.get(topic).to_string()),
                page: super::sessions::page_path(plan, start.key),
            })
        })
        .collect();
    ChatView {
        summary: ChatSummary::new(plan, now),
        upcoming: super::sessions::coming(plan, now, LOOK_AHEAD, count),
        season: plan.season.is_some(),
        next_slots,
        past,
    }
}

/// How one slot on one account ended, as the results page says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultState {
    Posted,
    Skipped,
    Failed,
    /// Claimed by a run that never recorded an answer.
    InDoubt,
    /// Claimed, due moments ago: being posted.
    Claimed,
    /// Due, but nothing recorded.
    Missing,
    Upcoming,
}

#[derive(Debug, Clone)]
pub struct ResultRow {
    pub label: String,
    pub due: Timestamp,
    pub account: String,
    pub state: ResultState,
    pub link: Option<String>,
    pub reason: Option<String>,
    pub attempts: u32,
}

#[derive(Debug, Clone)]
pub struct OccurrenceResults {
    pub start: Timestamp,
    pub rows: Vec<ResultRow>,
}

#[derive(Debug, Clone)]
pub struct ResultsView {
    pub summary: ChatSummary,
    pub days: u32,
    pub occurrences: Vec<OccurrenceResults>,
    pub truncated: bool,
    /// Accounts the daemon keeps this chat off, each with every post that
    /// does not fit it (`crate::daemon::verdict`).
    pub kept_out: Vec<(String, Vec<String>)>,
    /// The replica that served the page and its store (`[store] replica`).
    pub replica: Option<String>,
}

/// How long a claimed post may go unanswered before it counts as in doubt.
const IN_DOUBT_AFTER: SignedDuration = SignedDuration::from_mins(2);

/// The results page: every slot × account of the occurrences that started
/// in the last `days` days (newest first), with the store's record for it.
pub fn results_view(
    plan: &ChatPlan,
    audience: &Audience,
    rows: &[PostRecord],
    now: Timestamp,
    days: u32,
    truncated: bool,
) -> ResultsView {
    let by_key: BTreeMap<&str, &PostRecord> = rows.iter().map(|r| (r.key.as_str(), r)).collect();
    let accounts = audience.accounts(plan);
    let since = SignedDuration::from_hours(24 * i64::from(days));
    let occurrences = past(plan, now, since, usize::MAX)
        .into_iter()
        .map(|start| OccurrenceResults {
            start: start.timestamp(),
            rows: expand_occurrence(plan, &start)
                .iter()
                .flat_map(|slot| {
                    accounts.iter().map(|account| {
                        result_row(
                            slot,
                            account,
                            by_key.get(slot.key(account).as_str()).copied(),
                            now,
                        )
                    })
                })
                .collect(),
        })
        .collect();
    ResultsView {
        summary: ChatSummary::new(plan, now),
        days,
        occurrences,
        truncated,
        kept_out: Vec::new(),
        replica: None,
    }
}

fn result_row(
    slot: &Slot,
    account: &str,
    record: Option<&PostRecord>,
    now: Timestamp,
) -> ResultRow {
    let state = match record.map(|r| r.state) {
        Some(PostState::Posted) => ResultState::Posted,
        Some(PostState::Skipped) => ResultState::Skipped,
        Some(PostState::Failed) => ResultState::Failed,
        Some(PostState::Intent) if now.duration_since(slot.at) > IN_DOUBT_AFTER => {
            ResultState::InDoubt
        }
        Some(PostState::Intent) => ResultState::Claimed,
        None if slot.at <= now => ResultState::Missing,
        None => ResultState::Upcoming,
    };
    let reason = match (state, record.and_then(|r| r.reason.clone())) {
        (ResultState::Missing, _) => Some(
            "nothing recorded: the daemon was not running then, or the chat changed since".into(),
        ),
        (ResultState::InDoubt, None) => Some(
            "claimed but never answered; reconciled with the platform at the next start".into(),
        ),
        (_, reason) => reason,
    };
    let link = record
        .and_then(|r| r.remote.as_ref())
        .and_then(|remote| remote.url.clone())
        .filter(|url| url.starts_with("https://") || url.starts_with("http://"));
    ResultRow {
        label: slot_label(slot.kind, slot.n),
        due: slot.at,
        account: account.to_string(),
        state,
        link,
        reason,
        attempts: record.map_or(0, |r| r.attempts),
    }
}

/// An error page.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub title: String,
    pub detail: String,
}

impl Problem {
    pub fn new(status: StatusCode, title: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            status,
            title: title.into(),
            detail: detail.into(),
        }
    }
}
