//! `tweetchat status`: what is coming up and what happened.
//!
//! Upcoming slots come from the plans in the chats folder (the same timeline
//! the daemon follows); recent results come from the state database (key,
//! state, remote id or link, reason). The database is only read (opened
//! read-only, never migrated, so it runs beside the daemon): `status`
//! on a machine where the daemon never ran says so instead of creating one.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::cli::{OutputFormat, StatusArgs};
use crate::daemon::last_good::{self, LastGood};
use crate::plan::{self, ChatPlan};
use crate::schedule::{self, Slot};
use crate::settings::Settings;
use crate::store::{self, PostRecord};

/// How many upcoming slots and recent results are shown.
const SHOWN: usize = 10;

#[derive(Debug, Serialize)]
struct Upcoming {
    at: Timestamp,
    /// The instant in the chat's zone, RFC 3339 with its offset.
    local: String,
    /// For the table: `Wed 2 Dec 12:05 CST`.
    #[serde(skip)]
    local_short: String,
    chat: String,
    kind: String,
    n: Option<u32>,
    accounts: Vec<String>,
    text: String,
    /// From the version the daemon keeps running (the file is invalid).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    last_good: bool,
}

/// A chat the daemon runs on its last good version: its file on disk does
/// not load.
#[derive(Debug, Serialize)]
struct KeptVersion {
    chat: String,
    file: std::path::PathBuf,
    problems: Vec<String>,
    since: Timestamp,
}

/// A session in the next 14 days that is not held, and why.
#[derive(Debug, Serialize)]
struct NotHeld {
    chat: String,
    /// The occurrence's key (the rule's local start).
    occurrence: String,
    starts: Timestamp,
    why: String,
}

#[derive(Debug, Serialize)]
struct Status {
    upcoming: Vec<Upcoming>,
    /// Sessions in the next 14 days that are not held (skipped, or with
    /// no questions yet).
    not_held: Vec<NotHeld>,
    /// Chats whose slots in `upcoming` come from the version the daemon
    /// keeps running, because the file on disk is invalid.
    last_good: Vec<KeptVersion>,
    /// Chats the running daemon keeps off accounts they do not fit (a
    /// post too long for the account's limit): none of their posts go out
    /// there.
    kept_out: Vec<crate::daemon::verdict::NotedChat>,
    /// Slots found in the same window beyond the ones listed.
    more: usize,
    /// The end of the window searched for upcoming slots.
    until: Timestamp,
    recent: Vec<PostRecord>,
}

pub fn run(config_dir: &Path, args: StatusArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config_dir)?;
    let state_dir = args.state.unwrap_or_else(|| settings.state_dir.clone());
    let report = plan::load_dir(&settings.chats_dir);
    for diagnostic in &report.errors {
        eprintln!("{diagnostic}");
    }
    let now = Timestamp::now();
    // Chats the daemon keeps on their last good version: their file is
    // among the errors above, but their slots still go out.
    let same = |path: &Path| std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let invalid: std::collections::HashSet<std::path::PathBuf> =
        report.errors.iter().map(|d| same(&d.path)).collect();
    let kept: Vec<LastGood> = last_good::read_all(&last_good::dir(&state_dir))
        .into_iter()
        .filter(|note| invalid.contains(&same(&note.file)))
        .collect();
    let (upcoming, more, until) = upcoming(&report.plans, &kept, &settings, now);
    let recent = match store::CommandStore::open_read_only(&settings, &state_dir)? {
        Some(store) => {
            // Read a few more than shown: thank-you parts that repeat their
            // slot's row are dropped below.
            let mut recent = each_post_once(store.recent(SHOWN * 3)?);
            recent.truncate(SHOWN);
            recent
        }
        None => Vec::new(),
    };
    let last_good = kept
        .into_iter()
        .map(|note| KeptVersion {
            chat: note.chat,
            file: note.file,
            problems: note.problems,
            since: note.since,
        })
        .collect();
    let status = Status {
        not_held: not_held(&report.plans, Timestamp::now()),
        upcoming,
        last_good,
        kept_out: crate::daemon::verdict::read(&state_dir),
        more,
        until,
        recent,
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &status)
                .context("writing the status as JSON")?;
            writeln!(out)?;
        }
        OutputFormat::Text => write_text(&mut out, &status)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Each post once. A thank-you's slot row (`…/thanks/acct`) records the
/// first post it made, which is also the row of its part `…/thanks/acct#1`:
/// the part row with the same post as its slot's row is left out.
fn each_post_once(records: Vec<PostRecord>) -> Vec<PostRecord> {
    let slots: std::collections::BTreeSet<(&str, &str)> = records
        .iter()
        .filter_map(|r| Some((r.key.as_str(), r.remote.as_ref()?.id.as_str())))
        .collect();
    let repeats: std::collections::BTreeSet<usize> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            let (Some((slot, _)), Some(remote)) = (r.key.split_once('#'), &r.remote) else {
                return false;
            };
            slots.contains(&(slot, remote.id.as_str()))
        })
        .map(|(i, _)| i)
        .collect();
    records
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !repeats.contains(i))
        .map(|(_, r)| r)
        .collect()
}

/// Sessions starting in the next 14 days that are not held.
fn not_held(plans: &[ChatPlan], now: Timestamp) -> Vec<NotHeld> {
    let until = now + SignedDuration::from_hours(24 * 14);
    let mut found: Vec<NotHeld> = plans
        .iter()
        .filter(|p| p.season.is_some())
        .flat_map(|plan| {
            schedule::every_occurrence(plan, now, until)
                .into_iter()
                .filter_map(move |o| {
                    Some(NotHeld {
                        chat: plan.id.to_string(),
                        occurrence: o.key.to_string(),
                        starts: o.start.timestamp(),
                        why: schedule::not_held_reason(plan, o.key)?,
                    })
                })
        })
        .collect();
    found.sort_by_key(|n| n.starts);
    found
}

/// The next [`SHOWN`] slots of every plan, looking further ahead until
/// enough are found (weekly and monthly chats are sparse); how many more
/// the window held, and where it ended.
fn upcoming(
    plans: &[ChatPlan],
    kept: &[LastGood],
    settings: &Settings,
    now: Timestamp,
) -> (Vec<Upcoming>, usize, Timestamp) {
    let mut slots: Vec<(Slot, &ChatPlan)> = Vec::new();
    let mut until = now;
    for days in [2, 14, 62, 400] {
        until = now + SignedDuration::from_hours(24 * days);
        slots = plans
            .iter()
            .flat_map(|plan| {
                schedule::expand(plan, now, until)
                    .into_iter()
                    .map(move |s| (s, plan))
            })
            .collect();
        if slots.len() >= SHOWN {
            break;
        }
    }
    let mut all: Vec<Upcoming> = slots
        .into_iter()
        .map(|(slot, plan)| {
            let local = slot.at.to_zoned(plan.tz.clone());
            Upcoming {
                at: slot.at,
                local: local.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string(),
                local_short: format!(
                    "{} {}",
                    local.strftime("%a %-d %b %H:%M"),
                    crate::schedule::times::zone_label(&local)
                ),
                chat: slot.chat.to_string(),
                kind: slot.kind.as_str().to_string(),
                n: slot.n,
                accounts: plan
                    .accounts
                    .as_deref()
                    .map_or_else(|| settings.default_accounts.clone(), <[String]>::to_vec),
                text: slot.text,
                last_good: false,
            }
        })
        .collect();
    let kept_slots = kept.iter().flat_map(|note| {
        note.slots
            .iter()
            .filter(|slot| slot.at >= now && slot.at < until)
            .map(|slot| Upcoming {
                at: slot.at,
                local: slot.local.clone(),
                local_short: slot.local_short.clone(),
                chat: note.chat.clone(),
                kind: slot.kind.clone(),
                n: slot.n,
                accounts: slot
                    .accounts
                    .clone()
                    .unwrap_or_else(|| settings.default_accounts.clone()),
                text: slot.text.clone(),
                last_good: true,
            })
    });
    all.extend(kept_slots);
    all.sort_by(|a, b| (a.at, &a.chat, &a.kind, a.n).cmp(&(b.at, &b.chat, &b.kind, b.n)));
    let more = all.len().saturating_sub(SHOWN);
    all.truncate(SHOWN);
    (all, more, until)
}

fn write_text(out: &mut impl Write, status: &Status) -> std::io::Result<()> {
    writeln!(out, "Upcoming")?;
    if status.upcoming.is_empty() {
        writeln!(out, "  nothing scheduled")?;
    }
    for slot in &status.upcoming {
        let label = match slot.n {
            Some(n) => format!("{}{n}", slot.kind),
            None => slot.kind.to_string(),
        };
        writeln!(
            out,
            "  {}  {:<22} {:<16} {:<10} {}{}",
            slot.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            slot.local_short,
            slot.chat,
            label,
            slot.accounts.join(","),
            if slot.last_good {
                "  (last good version)"
            } else {
                ""
            }
        )?;
    }
    for kept in &status.last_good {
        // The first line of the first problem (`path:line:col: …`); `check`
        // shows them all.
        let why = kept
            .problems
            .first()
            .and_then(|p| p.lines().next())
            .unwrap_or("");
        writeln!(
            out,
            "  {}: the file on disk is invalid since {} ({why}); the daemon keeps posting \
             the last version that loaded, as listed. Fix the file (`tweetchat check`) to \
             change what it posts.",
            kept.chat,
            kept.since.strftime("%Y-%m-%d %H:%M UTC"),
        )?;
    }
    for kept in &status.kept_out {
        for account in &kept.accounts {
            // The first problem; `check` shows them all.
            let why = account.problems.first().map_or("", String::as_str);
            writeln!(
                out,
                "  {}: kept off account `{}` since {}: a post does not fit it ({why}); none of \
                 the chat's posts go out there until the file is fixed (`tweetchat check`).",
                kept.chat,
                account.account,
                kept.since.strftime("%Y-%m-%d %H:%M UTC"),
            )?;
        }
    }
    if status.more > 0 {
        writeln!(
            out,
            "  and {} more before {} (`tweetchat plan` lists every post)",
            status.more,
            status.until.strftime("%Y-%m-%d %H:%M UTC")
        )?;
    }
    if !status.not_held.is_empty() {
        writeln!(out, "\nNot held (next 14 days)")?;
        for n in &status.not_held {
            writeln!(
                out,
                "  {}  {:<16} session {}: {}",
                n.starts.strftime("%Y-%m-%dT%H:%M:%SZ"),
                n.chat,
                n.occurrence,
                n.why
            )?;
        }
    }
    writeln!(out, "\nRecent")?;
    if status.recent.is_empty() {
        writeln!(out, "  nothing yet")?;
    }
    for record in &status.recent {
        let detail = match (&record.remote, &record.reason) {
            (Some(remote), reason) => {
                let link = remote.url.clone().unwrap_or_else(|| remote.id.clone());
                match reason {
                    Some(reason) => format!("{link} ({reason})"),
                    None => link,
                }
            }
            (None, Some(reason)) => reason.clone(),
            (None, None) => String::new(),
        };
        writeln!(
            out,
            "  {}  {:<8} {}  {}",
            record.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            record.state.as_str(),
            record.key,
            detail
        )?;
    }
    Ok(())
}
