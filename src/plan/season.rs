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
    let questions = raw
        .questions
        .as_ref()
        .map(|list| super::questions::resolve_list(r, list, ctx.length, texts));
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use jiff::civil::date;

    use super::*;
    use crate::plan::load::{load_str, load_str_warned, load_str_with_sessions, session_file};
    use crate::plan::{ChatPlan, Diagnostic};

    /// A weekly Wednesday noon chat in Chicago with `extra` appended.
    fn weekly(extra: &str) -> String {
        format!(
            "title: Season\nhashtag: \"#season\"\ntimezone: America/Chicago\n\
             repeat: \"0 12 * * WED\"\nfrom: 2027-02-17\n{extra}"
        )
    }

    fn load(src: &str) -> ChatPlan {
        load_str(Path::new("chats/season.yaml"), src).unwrap_or_else(|d| panic!("{d:#?}"))
    }

    fn errors(src: &str) -> Vec<Diagnostic> {
        load_str(Path::new("chats/season.yaml"), src).expect_err("expected problems")
    }

    fn noon(y: i16, m: i8, d: i8) -> DateTime {
        date(y, m, d).at(12, 0, 0, 0)
    }

    #[test]
    fn a_date_that_is_not_an_occurrence_names_the_nearest_ones() {
        let diags = errors(&weekly(
            "sessions:\n  2027-03-04:\n    topic: Thursday?\n    questions: [Q?]\n",
        ));
        assert_eq!(diags.len(), 1, "{diags:#?}");
        let d = &diags[0];
        assert_eq!((d.line, d.column), (7, 3));
        assert_eq!(
            d.message,
            "Thu 4 Mar 2027 is not a session of this chat: the nearest are Wed 3 Mar 2027 12:00 and Wed 10 Mar 2027 12:00"
        );
        assert_eq!(d.help.as_deref(), Some("write `2027-03-10:`"));
        // Before `from`: the first one is named.
        let diags = errors(&weekly("sessions:\n  2027-02-10:\n    skip: true\n"));
        assert!(
            diags[0]
                .message
                .contains("(it starts on 2027-02-17): the first one is Wed 17 Feb 2027 12:00"),
            "{diags:#?}"
        );
        assert!(
            errors(&weekly("sessions:\n  next week:\n    skip: true\n"))[0]
                .message
                .contains("is not a date")
        );
    }

    #[test]
    fn a_session_file_on_a_wrong_date_gets_the_same_error_against_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let chat = dir.path().join("season.yaml");
        let folder = dir.path().join("season");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(
            folder.join("2027-03-04.yaml"),
            "topic: Thursday?\nquestions: [Q?]\n",
        )
        .unwrap();
        let files = vec![session_file(&folder.join("2027-03-04.yaml"))];
        let loaded = load_str_with_sessions(&chat, &weekly("questions: [Q?]\n"), &files);
        let diags = loaded.plan.expect_err("expected problems");
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert!(diags[0].path.ends_with("season/2027-03-04.yaml"));
        assert!(
            diags[0]
                .message
                .contains("Thu 4 Mar 2027 is not a session of this chat")
        );
        assert_eq!(
            diags[0].help.as_deref(),
            Some("rename the file to `2027-03-10.yaml`")
        );
    }

    #[test]
    fn a_date_in_both_places_is_an_error_naming_both() {
        let dir = tempfile::tempdir().unwrap();
        let chat = dir.path().join("season.yaml");
        let folder = dir.path().join("season");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join("2027-02-24.yaml"), "topic: Two\n").unwrap();
        let files = vec![session_file(&folder.join("2027-02-24.yaml"))];
        let src = weekly("questions: [Q?]\nsessions:\n  2027-02-24:\n    topic: One\n");
        let diags = load_str_with_sessions(&chat, &src, &files)
            .plan
            .expect_err("expected problems");
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert!(
            diags[0]
                .message
                .starts_with("session 2027-02-24 is prepared twice: in ")
        );
        assert!(
            diags[0].message.contains("season.yaml:8"),
            "{}",
            diags[0].message
        );
        assert!(
            diags[0].message.contains("2027-02-24.yaml"),
            "{}",
            diags[0].message
        );
    }

    #[test]
    fn a_rule_that_fires_twice_a_day_needs_the_time() {
        let src = "title: S\nhashtag: \"#s\"\ntimezone: UTC\nrepeat: \"0 9,15 * * *\"\n\
                   questions: [Q?]\nsessions:\n  2027-02-17:\n    topic: Which?\n";
        let diags = errors(src);
        assert!(
            diags[0]
                .message
                .contains("happens 2 times on 2027-02-17 (09:00, 15:00)"),
            "{diags:#?}"
        );
        assert_eq!(
            diags[0].help.as_deref(),
            Some("write the date and time, like `2027-02-17 09:00:`")
        );
        let plan = load(&src.replace("2027-02-17:", "2027-02-17 15:00:"));
        let key = date(2027, 2, 17).at(15, 0, 0, 0);
        assert!(plan.session(key).is_some());
        assert_eq!(page_id(plan.recurrence(), key), "2027-02-17T15-00");
    }

    #[test]
    fn count_ends_after_held_sessions_and_until_still_applies() {
        // Three held sessions from 17 Feb, one of them skipped: 17 Feb, 3
        // and 10 March are held; `until` alone would allow more.
        let plan = load(&weekly(
            "until: 2027-12-31\ncount: 3\nquestions: [Q?]\nsessions:\n  2027-02-24:\n    skip: true\n",
        ));
        assert_eq!(plan.season.as_ref().unwrap().last, Some(noon(2027, 3, 10)));
        assert!(plan.status(noon(2027, 3, 10)).is_held());
        assert_eq!(plan.status(noon(2027, 3, 17)), Status::Ended);
        assert!(matches!(plan.status(noon(2027, 2, 24)), Status::Skipped(_)));
        // `until` before `count` is reached ends it first.
        let plan = load(&weekly("until: 2027-02-24\ncount: 10\nquestions: [Q?]\n"));
        assert_eq!(plan.season.as_ref().unwrap().last, None);
        let errors = errors(&weekly(
            "until: 2027-02-24\ncount: 10\nquestions: [Q?]\nsessions:\n  2027-03-03:\n    topic: After\n",
        ));
        assert!(
            errors[0].message.contains("(it ends on 2027-02-24)"),
            "{errors:#?}"
        );
    }

    #[test]
    fn count_needs_from_and_number_needs_from() {
        let src = weekly("count: 3\nquestions: [Q?]\n").replace("from: 2027-02-17\n", "");
        assert!(errors(&src)[0].message.contains("`count` needs `from`"));
        let src = weekly("welcome: \"Session {number}\"\nquestions: [Q?]\n")
            .replace("from: 2027-02-17\n", "");
        let diags = errors(&src);
        assert_eq!((diags[0].line, diags[0].column), (5, 10), "{diags:#?}");
        assert!(
            diags[0]
                .message
                .contains("`{number}` counts the sessions from `from`")
        );
    }

    #[test]
    fn numbers_count_held_sessions_from_number_from() {
        let plan = load(&weekly(
            "number_from: 12\nquestions: [Q?]\nsessions:\n  2027-02-24:\n    skip: Holiday\n",
        ));
        assert_eq!(plan.number(noon(2027, 2, 17)), Some(12));
        assert_eq!(
            plan.number(noon(2027, 3, 3)),
            Some(13),
            "the skipped week is not counted"
        );
        assert_eq!(plan.number(noon(2027, 3, 10)), Some(14));
    }

    #[test]
    fn sessions_alone_may_bring_the_questions() {
        let plan = load(&weekly(
            "sessions:\n  2027-02-24:\n    topic: Only this one\n    host: [\"@a\", \"@b\"]\n    questions: [Why?]\n",
        ));
        assert!(plan.questions.is_empty());
        assert_eq!(plan.status(noon(2027, 2, 17)), Status::Unprepared);
        assert!(plan.status(noon(2027, 2, 24)).is_held());
        let session = plan.session(noon(2027, 2, 24)).unwrap();
        assert_eq!(plan.texts.get(session.topic.unwrap()), "Only this one");
        assert_eq!(session.hosts.len(), 2);
        // Without `sessions` the questions are still required.
        assert!(
            errors(&weekly(""))[0]
                .message
                .contains("missing `questions`")
        );
    }

    #[test]
    fn a_moved_session_keeps_its_key_and_must_exist() {
        let plan = load(&weekly(
            "questions: [Q?]\nsessions:\n  2027-03-10:\n    start: 2027-03-11 13:00\n",
        ));
        let session = plan.session(noon(2027, 3, 10)).unwrap();
        assert_eq!(session.start, Some(date(2027, 3, 11).at(13, 0, 0, 0)));
        // 02:30 on 14 March 2027 does not exist in Chicago.
        let diags = errors(&weekly(
            "questions: [Q?]\nsessions:\n  2027-03-10:\n    start: 2027-03-14 02:30\n",
        ));
        assert!(diags[0].message.contains("does not exist"), "{diags:#?}");
        // Moving a skipped session moves nothing, and says so.
        let loaded = load_str_warned(
            Path::new("chats/season.yaml"),
            &weekly(
                "questions: [Q?]\nsessions:\n  2027-03-10:\n    skip: true\n    start: 2027-03-11 13:00\n",
            ),
        );
        assert!(loaded.plan.is_ok());
        assert!(
            loaded.warnings[0]
                .message
                .contains("is skipped, so its `start` moves nothing")
        );
    }

    #[test]
    fn texts_may_have_a_version_per_network() {
        let plan = load(&weekly(
            "questions:\n  - text: A long question for everyone\n    x: Short for X\n\
             welcome:\n  text: Hello everyone\n  bluesky: Hello sky\n",
        ));
        let x = crate::text::PlatformKind::X;
        let sky = crate::text::PlatformKind::Bluesky;
        assert_eq!(
            plan.variant(None, Item::Question(0), x),
            Some("Short for X")
        );
        assert_eq!(plan.variant(None, Item::Question(0), sky), None);
        assert_eq!(plan.variant(None, Item::Welcome, sky), Some("Hello sky"));
        let diags = errors(&weekly("questions: [Q?]\nwelcome:\n  x: Only X\n"));
        assert!(
            diags[0]
                .message
                .contains("`welcome` written as a mapping needs `text`")
        );
        let diags = errors(&weekly("questions:\n  - text: Q?\n    x: \"{titel}\"\n"));
        assert!(
            diags[0]
                .message
                .contains("unknown placeholder `{titel}` in the x version of a question")
        );
    }

    #[test]
    fn skip_yes_or_no_is_asked_about_not_read_as_a_reason() {
        for word in ["yes", "no", "Off"] {
            let diags = errors(&weekly(&format!(
                "questions: [Q?]\nsessions:\n  2027-02-24:\n    skip: {word}\n"
            )));
            assert_eq!(diags.len(), 1, "{word}: {diags:#?}");
            assert_eq!((diags[0].line, diags[0].column), (9, 11));
            assert_eq!(
                diags[0].message,
                format!("`skip: {word}` is not clear: is the session skipped?")
            );
        }
        let plan = load(&weekly(
            "questions: [Q?]\nsessions:\n  2027-02-24:\n    skip: Holiday week\n",
        ));
        assert!(matches!(plan.status(noon(2027, 2, 24)), Status::Skipped(_)));
    }

    #[test]
    fn a_start_chat_cannot_have_sessions() {
        let src = "title: S\nhashtag: \"#s\"\ntimezone: UTC\nstart: 2027-02-17 12:00\n\
                   questions: [Q?]\ncount: 2\nsessions: {}\n";
        let messages: Vec<String> = errors(src).into_iter().map(|d| d.message).collect();
        assert!(messages.contains(&"`count` only applies to a `repeat` chat".to_string()));
        assert!(messages.contains(&"`sessions` only applies to a `repeat` chat".to_string()));
    }
}
