//! A season: what a recurring chat says about each of its sessions.
//!
//! A weekly chat has its own topic, guest and questions every week,
//! prepared weeks ahead. The rule (`repeat`) says *when*; `sessions:` (or
//! one file per session, `chats/NAME/DATE.yaml`) says *what* for a given
//! occurrence, keyed by the local date the rule gives it. The key never
//! changes when the content does: a session moved to another hour keeps
//! its rule date as its identity, so every post already made stays made.
//!
//! This module holds the model ([`Season`], [`Session`], [`Variant`]) and
//! its checks: a session date must be an occurrence of the rule (the error
//! names the nearest ones), a moved start must exist in the zone, `count`
//! and `number_from` are whole numbers, and a date may be given only once.
//! Which occurrences are held and in what order is [`crate::schedule`]'s.

use std::path::Path;
use std::sync::Arc;

use jiff::civil::{self, Date, DateTime};

use super::node::Loc;
use super::raw::{At, Item, RawSession, RawVariant, Reader, Toggle};
use super::{Announcement, Question, Recurrence, Span, Text, TextsBuilder};
use crate::text::PlatformKind;

/// More than a plain chat: sessions, `count`, `number_from`, and texts with
/// a version per network. A plan without any of these holds `None` (one
/// pointer), so 10,000 plain chats pay nothing for it.
#[derive(Debug, Clone, Default)]
pub struct Season {
    /// In key order; every key an occurrence of the rule.
    pub sessions: Box<[Session]>,
    /// `count`: held sessions after which the chat ends.
    pub count: Option<u32>,
    /// `number_from`: the `{number}` of the first session (default 1).
    pub number_from: u32,
    /// The key of the last held session under `count`.
    pub last: Option<DateTime>,
    /// Per-network versions of the chat's own texts.
    pub variants: Box<[Variant]>,
}

impl Season {
    /// The session keyed `key`, if prepared.
    pub fn session(&self, key: DateTime) -> Option<&Session> {
        self.sessions
            .binary_search_by(|s| s.key.cmp(&key))
            .ok()
            .map(|i| &self.sessions[i])
    }
}

/// One session of a recurring chat.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The rule's local start of this occurrence: its identity.
    pub key: DateTime,
    /// Where it moved to (local), if it moved.
    pub start: Option<DateTime>,
    /// Not held; with the reason when given.
    pub skip: Option<Option<Span>>,
    pub topic: Option<Span>,
    pub hosts: Box<[Span]>,
    /// Replaces the chat's questions.
    pub questions: Option<Box<[Question]>>,
    /// `None`: the chat's; `Some(None)`: turned off.
    pub welcome: Option<Option<Text>>,
    pub wrapup: Option<Option<Text>>,
    pub thanks: Option<Option<Text>>,
    /// `None`: the chat's; an empty list: turned off.
    pub announce: Option<Box<[Announcement]>>,
    pub variants: Box<[Variant]>,
    /// The session file it came from, when it has one of its own.
    pub file: Option<Arc<Path>>,
}

/// A version of one text for one network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    pub item: Item,
    pub platform: PlatformKind,
    pub text: Span,
}

/// The version of `item` for `platform` among `variants`.
pub fn variant(variants: &[Variant], item: Item, platform: PlatformKind) -> Option<Span> {
    variants
        .iter()
        .find(|v| v.item == item && v.platform == platform)
        .map(|v| v.text)
}

/// A session written in its own file.
#[derive(Debug)]
pub struct SessionFile {
    pub path: Arc<Path>,
    pub src: String,
    pub raw: RawSession,
    /// What reading its YAML found (syntax, keys, shapes).
    pub diags: Vec<super::Diagnostic>,
    pub warnings: Vec<super::Diagnostic>,
}

/// What the sessions need from the rest of the chat to be checked.
pub struct Context<'a> {
    pub recurrence: Option<&'a Recurrence>,
    pub tz: Option<&'a jiff::tz::TimeZone>,
    pub length: Option<jiff::SignedDuration>,
    /// The chat has top-level questions.
    pub has_questions: bool,
}

/// The most sessions a chat may prepare, and the highest `count`: ten
/// thousand weeks is two centuries.
pub const MAX_SESSIONS: usize = 10_000;

/// Reads `count` and `number_from`.
pub fn numbers(
    r: &mut Reader<'_>,
    count: Option<&At<String>>,
    from: Option<&At<String>>,
) -> (Option<u32>, u32) {
    let mut read = |at: &At<String>, key: &str| -> Option<u32> {
        match at.value.trim().parse::<u32>() {
            Ok(n) if n >= 1 && n as usize <= MAX_SESSIONS => Some(n),
            _ => {
                r.error(
                    at.loc,
                    format!(
                        "`{key}` must be a whole number from 1 to {MAX_SESSIONS}, found `{}`",
                        at.value.trim()
                    ),
                    format!("write it like `{key}: 12`"),
                );
                None
            }
        }
    };
    let count = count.and_then(|c| read(c, "count"));
    let number_from = from.and_then(|n| read(n, "number_from")).unwrap_or(1);
    (count, number_from)
}

/// Every session, from the file's `sessions:` and from session files,
/// checked and in key order. Problems in a session file are reported
/// against that file.
pub fn resolve<'c>(
    r: &mut Reader<'_>,
    in_file: &'c [RawSession],
    files: &'c [SessionFile],
    ctx: &Context<'_>,
    texts: &mut TextsBuilder<'c>,
) -> Vec<(Session, Loc)> {
    let mut sessions: Vec<(Session, Option<&'c Path>, Loc)> = Vec::new();
    for raw in in_file {
        if let Some(session) = one(r, raw, None, ctx, texts) {
            sessions.push((session, None, raw.date.loc));
        }
    }
    for file in files {
        let mut sub = Reader::new(&file.path, &file.src);
        sub.diags.extend(file.diags.iter().cloned());
        sub.warnings.extend(file.warnings.iter().cloned());
        if let Some(session) = one(&mut sub, &file.raw, Some(&file.path), ctx, texts) {
            sessions.push((session, Some(&file.path), file.raw.date.loc));
        }
        r.diags.append(&mut sub.diags);
        r.warnings.append(&mut sub.warnings);
    }
    sessions.sort_by_key(|(s, _, _)| s.key);
    for pair in sessions.windows(2) {
        let ((first, first_path, first_loc), (second, second_path, second_loc)) =
            (&pair[0], &pair[1]);
        if first.key != second.key {
            continue;
        }
        let place = |path: Option<&Path>, loc: Loc| match path {
            Some(path) => path.display().to_string(),
            None => format!("{}:{}", r.path.display(), loc.line),
        };
        let (a, b) = (
            place(*first_path, *first_loc),
            place(*second_path, *second_loc),
        );
        let message = format!(
            "session {} is prepared twice: in {a} and in {b}",
            first.key.date()
        );
        let help = "keep one of them: either the entry under `sessions:` or the session file";
        match second_path {
            Some(path) => r
                .diags
                .push(super::Diagnostic::new(path, 1, 1, message).help(help)),
            None => r.error(*second_loc, message, help),
        }
    }
    if sessions.len() > MAX_SESSIONS {
        r.error(
            Loc::default(),
            format!(
                "{} sessions are prepared; at most {MAX_SESSIONS} are read",
                sessions.len()
            ),
            "remove sessions long past",
        );
    }
    sessions.dedup_by_key(|(s, _, _)| s.key);
    sessions.into_iter().map(|(s, _, loc)| (s, loc)).collect()
}

/// One session, or `None` after reporting why not.
fn one<'c>(
    r: &mut Reader<'_>,
    raw: &'c RawSession,
    file: Option<&Path>,
    ctx: &Context<'_>,
    texts: &mut TextsBuilder<'c>,
) -> Option<Session> {
    let Some(recurrence) = ctx.recurrence else {
        return None; // `sessions` without `repeat` is reported once, at the key
    };
    let key = key(r, &raw.date, recurrence, file)?;
    let start = match &raw.start {
        Some(at) => {
            let dt = super::when::datetime(r, at)?;
            if let Some(tz) = ctx.tz {
                super::when::check_exists(r, at, dt, tz)?;
            }
            (dt != key).then_some(dt)
        }
        None => None,
    };
    let questions = match &raw.questions {
        Some(list) => Some(super::questions::resolve_list(r, list, ctx.length, texts)),
        None => None,
    };
    let skip = raw
        .skip
        .as_ref()
        .map(|reason| reason.value.as_deref().map(|why| texts.add(why.trim())));
    if skip.is_some()
        && let Some(at) = &raw.start
    {
        r.warn(
            at.loc,
            format!(
                "session {} is skipped, so its `start` moves nothing",
                key.date()
            ),
            "remove `start`, or remove `skip` to hold the session at that time",
        );
    }
    fn own<'c>(t: &'c Toggle<At<String>>, texts: &mut TextsBuilder<'c>) -> Option<Option<Text>> {
        match t {
            Toggle::Default => None,
            Toggle::Off => Some(None),
            Toggle::On(at) => Some(Some(texts.own(at.value.as_str()))),
        }
    }
    let _ = raw
        .topic
        .as_ref()
        .filter(|t| t.value.trim().is_empty())
        .map(|t| {
            r.error(
                t.loc,
                "`topic` is empty",
                "write this session's topic, or remove the key",
            )
        });
    Some(Session {
        key,
        start,
        skip,
        topic: raw
            .topic
            .as_ref()
            .filter(|t| !t.value.trim().is_empty())
            .map(|t| texts.add(t.value.trim())),
        hosts: raw.host.iter().map(|h| texts.add(h.value.trim())).collect(),
        questions,
        welcome: own(&raw.welcome, texts),
        wrapup: own(&raw.wrapup, texts),
        thanks: own(&raw.thanks, texts),
        announce: super::validate::announcements(r, &raw.announce, texts),
        variants: variants(&raw.variants, texts),
        file: file.map(Arc::from),
    })
}

/// The per-network versions, in the plan's texts.
pub fn variants<'c>(raw: &'c [RawVariant], texts: &mut TextsBuilder<'c>) -> Box<[Variant]> {
    raw.iter()
        .map(|v| Variant {
            item: v.item,
            platform: v.platform,
            text: texts.add(v.text.value.as_str()),
        })
        .collect()
}

/// The occurrence a session's date names: the rule's one firing on that
/// date, or the date and time given. Not an occurrence: an error naming the
/// nearest ones.
fn key(
    r: &mut Reader<'_>,
    date: &At<String>,
    recurrence: &Recurrence,
    file: Option<&Path>,
) -> Option<DateTime> {
    let text = date.value.trim();
    let what = if file.is_some() {
        "the session file's name"
    } else {
        "a session's date"
    };
    let (day, time) = match parse_key(text) {
        Some(parsed) => parsed,
        None => {
            let help = if file.is_some() {
                "name the file after the session's local date, like `2026-12-09.yaml` \
                 (`2026-12-09T12-00.yaml` where the rule fires more than once that day)"
            } else {
                "write the session's local date, like `2026-12-09:` (or `2026-12-09 12:00:` \
                 where the rule fires more than once that day)"
            };
            r.error(date.loc, format!("{what} `{text}` is not a date"), help);
            return None;
        }
    };
    let firings = firings_on(recurrence, day);
    let found = match time {
        Some(time) => firings.iter().copied().find(|f| f.time() == time),
        None if firings.len() == 1 => Some(firings[0]),
        None if firings.len() > 1 => {
            let times: Vec<String> = firings
                .iter()
                .take(6)
                .map(|f| f.strftime("%H:%M").to_string())
                .collect();
            let example = firings[0].strftime("%Y-%m-%d %H:%M");
            r.error(
                date.loc,
                format!(
                    "the chat happens {} times on {day} ({}{}): say which one",
                    firings.len(),
                    times.join(", "),
                    if firings.len() > times.len() {
                        ", …"
                    } else {
                        ""
                    }
                ),
                if file.is_some() {
                    format!(
                        "name the file with the time, like `{}.yaml`",
                        example.to_string().replace(' ', "T").replace(':', "-")
                    )
                } else {
                    format!("write the date and time, like `{example}:`")
                },
            );
            return None;
        }
        None => None,
    };
    if let Some(found) = found {
        return Some(found);
    }
    let wanted = day.to_datetime(time.unwrap_or(civil::Time::midnight()));
    let (before, after) = nearest(recurrence, wanted);
    let show = |dt: Option<DateTime>| dt.map(|d| d.strftime("%a %-d %b %Y %H:%M").to_string());
    let near = match (show(before), show(after)) {
        (Some(b), Some(a)) => format!("the nearest are {b} and {a}"),
        (Some(b), None) => format!("the last one is {b}"),
        (None, Some(a)) => format!("the first one is {a}"),
        (None, None) => "it has none".to_string(),
    };
    let written = if time.is_some() {
        wanted.strftime("%a %-d %b %Y %H:%M").to_string()
    } else {
        day.strftime("%a %-d %b %Y").to_string()
    };
    let bounds = match (recurrence.from, recurrence.until) {
        (Some(f), _) if day < f => format!(" (it starts on {f})"),
        (_, Some(u)) if day > u => format!(" (it ends on {u})"),
        _ => String::new(),
    };
    let fix = match after.or(before) {
        Some(dt) if file.is_some() => format!("rename the file to `{}.yaml`", dt.date()),
        Some(dt) => format!("write `{}:`", dt.date()),
        None => "check the date against `repeat`, `from` and `until`".to_string(),
    };
    r.error(
        date.loc,
        format!("{written} is not a session of this chat{bounds}: {near}"),
        fix,
    );
    None
}

/// `2026-12-09`, `2026-12-09 12:00`, `2026-12-09T12:00` or (file names)
/// `2026-12-09T12-00`.
pub fn parse_key(text: &str) -> Option<(Date, Option<civil::Time>)> {
    let text = text.trim();
    let day: Date = text.get(..10)?.parse().ok()?;
    let rest = &text[10..];
    if rest.is_empty() {
        return Some((day, None));
    }
    let time = rest.strip_prefix([' ', 'T', 't'])?;
    let time = if time.len() == 5 && time.as_bytes()[2] == b'-' {
        format!("{}:{}", &time[..2], &time[3..])
    } else {
        time.to_string()
    };
    let time: civil::Time = time.parse().ok()?;
    Some((day, Some(time)))
}

/// The rule's local firings on `day`, within `from`/`until` (at most a
/// day's minutes).
pub fn firings_on(recurrence: &Recurrence, day: Date) -> Vec<DateTime> {
    if recurrence.from.is_some_and(|f| day < f) || recurrence.until.is_some_and(|u| day > u) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut cursor = day.to_datetime(civil::Time::midnight());
    let mut inclusive = true;
    while let Some(next) = recurrence.cron.next_after(cursor, inclusive) {
        if next.date() != day || out.len() >= 24 * 60 {
            break;
        }
        out.push(next);
        cursor = next;
        inclusive = false;
    }
    out
}

/// The rule's firings nearest `wanted`: the last before it and the first
/// after it, within `from`/`until` (looked for up to about two years back).
fn nearest(recurrence: &Recurrence, wanted: DateTime) -> (Option<DateTime>, Option<DateTime>) {
    let in_bounds = |dt: &DateTime| {
        recurrence.from.is_none_or(|f| dt.date() >= f)
            && recurrence.until.is_none_or(|u| dt.date() <= u)
    };
    let start = match recurrence.from {
        Some(f) if wanted.date() < f => f.to_datetime(civil::Time::midnight()),
        _ => wanted,
    };
    let after = recurrence.cron.next_after(start, false).filter(in_bounds);
    let mut before = None;
    let mut day = match recurrence.until {
        Some(u) if u < wanted.date() => u,
        _ => wanted.date(),
    };
    for _ in 0..800 {
        if recurrence.from.is_some_and(|f| day < f) {
            break;
        }
        if let Some(last) = firings_on(recurrence, day)
            .into_iter()
            .rfind(|f| *f < wanted)
        {
            before = Some(last);
            break;
        }
        let Ok(previous) = day.yesterday() else { break };
        day = previous;
    }
    (before, after)
}

/// Whether an occurrence is held, and why not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Status<'p> {
    /// Held, with its session when one is prepared.
    Held(Option<&'p Session>),
    /// `skip:` (with the reason when given).
    Skipped(&'p Session),
    /// Neither the chat nor a session gives it questions.
    Unprepared,
    /// After `count` held sessions.
    Ended,
}

impl Status<'_> {
    pub fn is_held(&self) -> bool {
        matches!(self, Status::Held(_))
    }
}

/// Whether the occurrence `key` is held: not skipped, with questions from
/// the chat or its session, and not past `count`.
pub fn status<'p>(season: Option<&'p Season>, has_questions: bool, key: DateTime) -> Status<'p> {
    // Without a season the loader made sure the chat has questions (plans
    // built by hand may have none and still run).
    let Some(season) = season else {
        return Status::Held(None);
    };
    if season.last.is_some_and(|last| key > last) {
        return Status::Ended;
    }
    let session = season.session(key);
    match session {
        Some(s) if s.skip.is_some() => Status::Skipped(s),
        Some(s) if s.questions.as_ref().is_some_and(|q| !q.is_empty()) || has_questions => {
            Status::Held(Some(s))
        }
        None if has_questions => Status::Held(None),
        _ => Status::Unprepared,
    }
}

/// The key of the `count`-th held occurrence: the rule walked from `from`
/// when the chat has questions of its own (each key held unless skipped),
/// the prepared sessions otherwise (only they can be held). `None` when
/// not reached yet.
pub fn last_held(
    recurrence: &Recurrence,
    season: &Season,
    has_questions: bool,
) -> Option<DateTime> {
    let count = season.count? as usize;
    if !has_questions {
        return season
            .sessions
            .iter()
            .filter(|s| s.skip.is_none() && s.questions.as_ref().is_some_and(|q| !q.is_empty()))
            .nth(count - 1)
            .map(|s| s.key);
    }
    let mut held = 0;
    for key in keys(recurrence).take(count + season.sessions.len() + 1) {
        if season.session(key).is_none_or(|s| s.skip.is_none()) {
            held += 1;
            if held == count {
                return Some(key);
            }
        }
    }
    None
}

/// The running number of the held occurrence `key` among held
/// occurrences from `from` on, plus `number_from - 1`; `None` without
/// `from` or past 10,000 occurrences.
pub fn number(
    recurrence: &Recurrence,
    season: Option<&Season>,
    has_questions: bool,
    key: DateTime,
) -> Option<u32> {
    recurrence.from?;
    let base = season.map_or(1, |s| s.number_from);
    let mut held: u32 = 0;
    for k in keys(recurrence).take(MAX_SESSIONS * 10) {
        if k >= key {
            return Some(base + held);
        }
        if status(season, has_questions, k).is_held() {
            held += 1;
        }
    }
    None
}

/// The rule's keys (local firings) from `from` on, within `until`.
pub fn keys(recurrence: &Recurrence) -> impl Iterator<Item = DateTime> + '_ {
    let mut cursor = recurrence
        .from
        .unwrap_or(civil::date(2026, 1, 1))
        .to_datetime(civil::Time::midnight());
    let mut inclusive = true;
    std::iter::from_fn(move || {
        let next = recurrence.cron.next_after(cursor, inclusive)?;
        inclusive = false;
        cursor = next;
        recurrence
            .until
            .is_none_or(|u| next.date() <= u)
            .then_some(next)
    })
}

/// The address segment of an occurrence's page: its date, with the time
/// (`2026-12-09T12-00`) where the rule fires more than once that day.
pub fn page_id(recurrence: Option<&Recurrence>, key: DateTime) -> String {
    let several = recurrence.is_some_and(|r| firings_on(r, key.date()).len() > 1);
    if several {
        key.strftime("%Y-%m-%dT%H-%M").to_string()
    } else {
        key.date().to_string()
    }
}
