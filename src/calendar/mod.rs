//! A chat as an RFC 5545 calendar, for participants to subscribe to.
//!
//! `/chats/CHAT.ics` and `tweetchat calendar CHAT` write the same file, built
//! here from the plan alone (plus the calendar's [`Version`]), so a calendar
//! app shows exactly the instants `tweetchat plan` lists:
//!
//! - a recurring chat whose cron line maps to an `RRULE` is one event with
//!   the chat's zone (`TZID` and a `VTIMEZONE`); any other is one event per
//!   occurrence from [`PAST`] ago to [`AHEAD`], in UTC ([`series`] decides);
//! - every event has the hashtag and title, a `UID` that depends only on the
//!   chat and its occurrence (so apps update rather than duplicate), and the
//!   calendar's `SEQUENCE`.
//!
//! Every value taken from the plan is escaped by construction ([`escape`]):
//! a line break or control character in a title cannot end its property
//! and start an event of its own.
//!
//! The [`Version`] is what must survive between requests: `SEQUENCE` goes up
//! by one whenever the chat's calendar-relevant content changes (title,
//! hashtag, zone, time, duration, questions), and the first time a chat
//! without `from` is published anchors its series. It lives in the state
//! database under [`kv_key`]; this module only says how it moves.

mod escape;
mod series;
mod vtimezone;

use std::fmt::Write as _;

use icalendar::{Calendar, Component, Event, Property};
use jiff::{SignedDuration, Timestamp, Zoned};
use sha2::{Digest, Sha256};

use crate::plan::{ChatPlan, When};
use crate::schedule::{Occurrence, SlotKind, expand_occurrence, occurrences};

/// How far back explicit events reach (and a new series' anchor).
pub const PAST: SignedDuration = SignedDuration::from_hours(60 * 24);
/// How far ahead explicit events reach, and the span the `RRULE` is checked
/// against the zone's DST changes.
pub const AHEAD: SignedDuration = SignedDuration::from_hours(400 * 24);
/// Most explicit events in one file.
pub const MAX_EVENTS: usize = 500;

/// The state database key of a chat's calendar [`Version`].
pub fn kv_key(chat: &str) -> String {
    format!("calendar/{chat}")
}

/// What a calendar keeps between requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// `SEQUENCE`: bumped whenever [`fingerprint`] changes.
    pub sequence: u32,
    /// When it last changed: `DTSTAMP` and `LAST-MODIFIED`.
    pub changed: Timestamp,
    /// A series without `from` starts at its first occurrence from here.
    pub anchor: Timestamp,
    fingerprint: String,
}

impl Version {
    /// The version for a plan whose fingerprint is `fingerprint`, given what
    /// was stored (`None`: never published). The same fingerprint keeps the
    /// stored version; another one bumps `SEQUENCE`.
    pub fn next(stored: Option<&str>, fingerprint: &str, now: Timestamp) -> Version {
        match stored.and_then(Version::decode) {
            Some(old) if old.fingerprint == fingerprint => old,
            Some(old) => Version {
                sequence: old.sequence.saturating_add(1),
                changed: now,
                anchor: old.anchor,
                fingerprint: fingerprint.to_string(),
            },
            None => Version {
                sequence: 0,
                changed: now,
                anchor: now.checked_sub(PAST).unwrap_or(now),
                fingerprint: fingerprint.to_string(),
            },
        }
    }

    /// `1 SEQUENCE CHANGED ANCHOR FINGERPRINT` (instants in Unix seconds).
    pub fn encode(&self) -> String {
        format!(
            "1 {} {} {} {}",
            self.sequence,
            self.changed.as_second(),
            self.anchor.as_second(),
            self.fingerprint
        )
    }

    fn decode(text: &str) -> Option<Version> {
        let mut parts = text.split(' ');
        if parts.next()? != "1" {
            return None;
        }
        let sequence = parts.next()?.parse().ok()?;
        let changed = Timestamp::from_second(parts.next()?.parse().ok()?).ok()?;
        let anchor = Timestamp::from_second(parts.next()?.parse().ok()?).ok()?;
        let fingerprint = parts.next()?.to_string();
        Some(Version {
            sequence,
            changed,
            anchor,
            fingerprint,
        })
    }
}

/// A digest of everything an event shows: when `SEQUENCE` must move.
pub fn fingerprint(plan: &ChatPlan, base: Option<&str>) -> String {
    let when = match &plan.when {
        When::Once(start) => format!("once {start}"),
        When::Repeat(r) => format!("repeat {} {:?} {:?}", plan.repeat_line(r), r.from, r.until),
    };
    let mut hash = Sha256::new();
    for part in [
        plan.title(),
        plan.hashtag(),
        plan.zone_name(),
        &when,
        &plan.duration.as_secs().to_string(),
        plan.question_format(),
        base.unwrap_or(""),
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    for question in &plan.questions {
        hash.update(
            format!("{} {}", question.at.as_secs(), plan.question_text(question)).as_bytes(),
        );
        hash.update([0]);
    }
    // A season's sessions: what any event shows (topic, host, questions,
    // a move, a skip) and the end of the series.
    if let Some(season) = &plan.season {
        hash.update(format!("{:?} {:?}", season.last, season.number_from).as_bytes());
        for session in season.sessions.iter() {
            let text = |span: Option<crate::plan::Span>| span.map_or("", |s| plan.texts.get(s));
            let hosts: Vec<&str> = session.hosts.iter().map(|h| plan.texts.get(*h)).collect();
            hash.update(
                format!(
                    "{} {:?} {:?} {} {}",
                    session.key,
                    session.start,
                    session.skip.map(text),
                    text(session.topic),
                    hosts.join(",")
                )
                .as_bytes(),
            );
            for question in session.questions.iter().flatten() {
                hash.update(
                    format!("{} {}", question.at.as_secs(), plan.question_text(question))
                        .as_bytes(),
                );
            }
            hash.update([0]);
        }
    }
    hash.finalize()[..12]
        .iter()
        .fold(String::new(), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// The whole `.ics` file for `plan`, `now` placing the explicit events.
/// `base` is the pages' public address, for each event's link.
pub fn render(plan: &ChatPlan, version: &Version, now: Timestamp, base: Option<&str>) -> String {
    let mut calendar = Calendar::empty();
    for (key, value) in [
        ("VERSION", "2.0"),
        ("PRODID", "-//tweetchat//chat calendar//EN"),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
    ] {
        calendar.append_property(Property::new(key, value));
    }
    calendar.append_property(Property::new(
        "X-WR-CALNAME",
        escape::own_text(&format!("{} {}", plan.hashtag(), plan.title())),
    ));
    calendar.append_property(Property::new(
        "X-WR-TIMEZONE",
        escape::own_text(plan.zone_name()),
    ));
    calendar.append_property(Property::new("X-PUBLISHED-TTL", "PT6H"));
    let common = Common::new(plan, version, base);
    let mut zone_block = None;
    match &plan.when {
        When::Once(_) => {
            for start in occurrences(plan, Timestamp::MIN, Timestamp::MAX) {
                calendar.push(common.single(&start));
            }
        }
        When::Repeat(recurrence) => {
            let since = recurrence
                .from
                .and_then(|from| from.to_zoned(plan.tz.clone()).ok())
                .map_or(version.anchor, |from| from.timestamp());
            let ahead = now.checked_add(AHEAD).unwrap_or(Timestamp::MAX);
            let first = occurrences(plan, since, ahead).into_iter().next();
            // A season's sessions each have their own topic and questions,
            // skipped weeks and moved ones: one event per held occurrence.
            let rule = series::rule(plan, recurrence).filter(|_| plan.season.is_none());
            match (first, rule) {
                (Some(first), Some(rule)) if agrees_from(plan, &rule, &first, now) => {
                    let from = first
                        .timestamp()
                        .checked_sub(AHEAD)
                        .unwrap_or(first.timestamp());
                    let until = ahead.checked_add(AHEAD).unwrap_or(ahead);
                    zone_block = Some(vtimezone::block(plan.zone_name(), &plan.tz, from, until));
                    calendar.push(common.series(&first, &rule));
                }
                _ => {
                    let past = now.checked_sub(PAST).unwrap_or(now).max(since);
                    for start in occurrences(plan, past, ahead).iter().take(MAX_EVENTS) {
                        calendar.push(common.single(start));
                    }
                }
            }
        }
    }
    let text = calendar.to_string();
    match zone_block {
        // The zone goes before the first event, as RFC 5545's examples do.
        Some(block) => match text.find("BEGIN:VEVENT\r\n") {
            Some(at) => format!("{}{block}{}", &text[..at], &text[at..]),
            None => text,
        },
        None => text,
    }
}

/// Whether the `RRULE` gives every occurrence from `first` (at most two
/// years back) to [`AHEAD`] of `now` the instant tweetchat posts at.
fn agrees_from(plan: &ChatPlan, rule: &series::Rule, first: &Occurrence, now: Timestamp) -> bool {
    let recent = now
        .checked_sub(SignedDuration::from_hours(2 * 366 * 24))
        .unwrap_or(now)
        .max(first.timestamp());
    let ahead = now.checked_add(AHEAD).unwrap_or(Timestamp::MAX);
    let starts: Vec<Zoned> = occurrences(plan, recent, ahead)
        .into_iter()
        .map(|o| o.start)
        .collect();
    series::agrees(plan, rule, std::slice::from_ref(&first.start))
        && series::agrees(plan, rule, &starts)
}

/// What every event of a chat shares.
struct Common<'p> {
    plan: &'p ChatPlan,
    summary: String,
    /// `BASE/chats/ID`, without a trailing `/`.
    page: Option<String>,
    sequence: String,
    stamp: String,
}

impl<'p> Common<'p> {
    fn new(plan: &'p ChatPlan, version: &Version, base: Option<&str>) -> Self {
        Self {
            plan,
            summary: escape::text(&format!("{} {}", plan.hashtag(), plan.title())),
            page: base.map(|base| {
                escape::uri(&format!("{}/chats/{}", base.trim_end_matches('/'), plan.id))
            }),
            sequence: version.sequence.to_string(),
            stamp: utc_stamp(version.changed),
        }
    }

    /// The event's fields other than its instants.
    fn event(&self, uid: String, occurrence: &Occurrence) -> Event {
        let mut event = Event::new();
        event.uid(&escape::text(&uid));
        let topic = self
            .plan
            .session(occurrence.key)
            .and_then(|s| s.topic)
            .map(|t| escape::text(self.plan.texts.get(t)));
        match topic {
            Some(topic) => event.summary(&format!("{}: {topic}", self.summary)),
            None => event.summary(&self.summary),
        };
        event.description(&escape::text(&self.description(occurrence)));
        for (key, value) in [
            ("DTSTAMP", self.stamp.as_str()),
            ("LAST-MODIFIED", self.stamp.as_str()),
            ("SEQUENCE", self.sequence.as_str()),
        ] {
            event.add_property(key, value);
        }
        if let Some(page) = self.page_of(occurrence) {
            event.add_property("URL", &page);
        }
        event
    }

    /// The page an event links to: a season's session's own page
    /// (`/chats/ID/DATE`), else the chat's.
    fn page_of(&self, occurrence: &Occurrence) -> Option<String> {
        let page = self.page.as_ref()?;
        Some(match self.plan.recurrence() {
            Some(recurrence) if self.plan.season.is_some() => format!(
                "{page}/{}",
                crate::plan::season::page_id(Some(recurrence), occurrence.key)
            ),
            _ => page.clone(),
        })
    }

    /// One occurrence, in UTC instants. Its `UID` is its key, so a session
    /// moved to another hour updates the same event.
    fn single(&self, occurrence: &Occurrence) -> Event {
        let start = &occurrence.start;
        let local = occurrence.key.strftime("%Y%m%dT%H%M").to_string();
        let mut event = self.event(format!("{}-{local}@tweetchat", self.plan.id), occurrence);
        let ends = start
            .timestamp()
            .checked_add(self.plan.duration)
            .unwrap_or(Timestamp::MAX);
        event.add_property("DTSTART", utc_stamp(start.timestamp()));
        event.add_property("DTEND", utc_stamp(ends));
        event.done()
    }

    /// The whole series: local start in the chat's zone, the rule, a duration.
    fn series(&self, first: &Occurrence, rule: &series::Rule) -> Event {
        let mut event = self.event(format!("{}-series@tweetchat", self.plan.id), first);
        let local = first.datetime().strftime("%Y%m%dT%H%M%S").to_string();
        event.append_property(
            Property::new("DTSTART", local)
                .add_parameter("TZID", &escape::param(self.plan.zone_name()))
                .done(),
        );
        event.add_property("DURATION", ics_duration(self.plan.duration));
        event.add_property("RRULE", &rule.rrule);
        event.done()
    }

    /// The hashtag, how to take part, the topic and host, the questions and
    /// the page.
    fn description(&self, occurrence: &Occurrence) -> String {
        let plan = self.plan;
        let mut text = format!(
            "{} is a tweet chat: follow {} and answer each question as A1, A2 …",
            plan.title(),
            plan.hashtag()
        );
        if let Some(session) = plan.session(occurrence.key) {
            if let Some(topic) = session.topic {
                let _ = write!(text, "\n\nTopic: {}", plan.texts.get(topic));
            }
            let host = crate::schedule::expand::join_hosts(
                session.hosts.iter().map(|h| plan.texts.get(*h)),
            );
            if !host.is_empty() {
                let _ = write!(text, "\nHosted by {host}");
            }
        }
        let questions: Vec<String> = expand_occurrence(plan, occurrence)
            .into_iter()
            .filter(|slot| slot.kind == SlotKind::Question)
            .map(|slot| {
                let minutes = slot.at.duration_since(slot.starts).as_secs() / 60;
                format!("+{minutes} min: {}", slot.text)
            })
            .collect();
        if !questions.is_empty() {
            text.push_str("\n\n");
            text.push_str(&questions.join("\n"));
        }
        if let Some(page) = self.page_of(occurrence) {
            let _ = write!(text, "\n\n{page}");
        }
        text
    }
}

/// `20261202T180000Z`.
pub(crate) fn utc_stamp(at: Timestamp) -> String {
    at.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// `PT1H30M`, `PT90S` (exact time, as the chat's duration is elapsed time).
fn ics_duration(duration: SignedDuration) -> String {
    let secs = duration.as_secs().max(0);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::from("PT");
    if h > 0 {
        let _ = write!(out, "{h}H");
    }
    if m > 0 {
        let _ = write!(out, "{m}M");
    }
    if s > 0 || (h == 0 && m == 0) {
        let _ = write!(out, "{s}S");
    }
    out
}

#[cfg(test)]
mod tests;
