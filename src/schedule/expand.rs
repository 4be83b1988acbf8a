//! Every slot of every occurrence in a window.
//!
//! One occurrence becomes: announcements `before` the start (1-based in file
//! order), the welcome at the start, Q1..Qn at their offsets, the wrap-up at
//! the end (start + duration) and the thank-you `after` the end. Every text is
//! rendered and carries the hashtag once; a thank-you keeps `{mentions}`
//! literally, filled in after the chat (see
//! [`fill_mentions`](crate::text::template::fill_mentions)).
//!
//! Offsets of whole days are calendar days in the chat zone: "1d before" a
//! chat at 12:00 is 12:00 the day before even when the clocks changed
//! overnight, which is what an organizer means by "tomorrow at noon". The
//! rest of an offset (`1d2h` → 2h, `5m`) is elapsed time.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp, ToSpan, Zoned};

use super::times::{render_date, render_time, render_times};
use super::{Occurrence, Slot, SlotKind, occurrences};
use crate::plan::{ChatPlan, Item, Session, Text, defaults};
use crate::text::PlatformKind;
use crate::text::template::{TemplateError, Vars, ensure_hashtag, render_capped};

/// `@a`, `@a and @b`, `@a, @b and @c`.
pub fn join_hosts<'a>(hosts: impl Iterator<Item = &'a str>) -> String {
    let hosts: Vec<&str> = hosts.collect();
    match hosts.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Whether any template the occurrence may post uses `{name}` (so a
/// costly value like `{number}` is worked out only where it is used).
pub(crate) fn plan_uses(plan: &ChatPlan, session: Option<&Session>, name: &str) -> bool {
    let own = session.into_iter().flat_map(|s| {
        let texts = [s.welcome, s.wrapup, s.thanks]
            .into_iter()
            .flatten()
            .flatten()
            .map(|t| plan.text(t));
        let announce = s.announce.iter().flatten().map(|a| plan.text(a.text));
        let questions = s.questions.iter().flatten().map(|q| plan.question_text(q));
        let variants = s.variants.iter().map(|v| plan.texts.get(v.text));
        texts
            .chain(announce)
            .chain(questions)
            .chain(variants)
            .collect::<Vec<_>>()
    });
    let chat = plan
        .announce
        .iter()
        .map(|a| plan.text(a.text))
        .chain(plan.questions.iter().map(|q| plan.question_text(q)))
        .chain([plan.question_format()])
        .chain(plan.welcome())
        .chain(plan.wrapup())
        .chain(plan.thanks_text())
        .chain(
            plan.season
                .iter()
                .flat_map(|s| s.variants.iter())
                .map(|v| plan.texts.get(v.text)),
        );
    own.chain(chat).any(|t| t.contains(&format!("{{{name}}}")))
}

/// How far a calendar-day shift may stray from 24 h per day (DST, and the
/// rare zone that skipped a whole day); widens the search for occurrences.
const CALENDAR_SLACK: SignedDuration = SignedDuration::from_hours(48);

/// Slots of `plan` due in `[from, until)`, ordered by instant then kind.
///
/// Occurrences starting outside the window still contribute the slots that
/// fall in it (an announcement the day before, the thank-you after).
pub fn expand(plan: &ChatPlan, from: Timestamp, until: Timestamp) -> Vec<Slot> {
    if from >= until {
        return Vec::new();
    }
    let (lead, lag) = (lead(plan), lag(plan));
    let first_start = from
        .checked_sub(lag + CALENDAR_SLACK)
        .unwrap_or(Timestamp::MIN);
    let last_start = until
        .checked_add(lead + CALENDAR_SLACK)
        .unwrap_or(Timestamp::MAX);
    let mut slots: Vec<Slot> = occurrences(plan, first_start, last_start)
        .iter()
        .flat_map(|occurrence| expand_occurrence(plan, occurrence))
        .filter(|slot| from <= slot.at && slot.at < until)
        .collect();
    slots.sort_by_key(|slot| (slot.at, slot.kind, slot.n));
    slots
}

/// How long before an occurrence's start its first post is due: the
/// earliest announcement (zero without one).
pub fn lead(plan: &ChatPlan) -> SignedDuration {
    let sessions = plan.season.iter().flat_map(|s| s.sessions.iter());
    plan.announce
        .iter()
        .chain(sessions.flat_map(|s| s.announce.iter().flatten()))
        .map(|a| a.before)
        .max()
        .unwrap_or(SignedDuration::ZERO)
        .max(SignedDuration::ZERO)
        + moved_by(plan)
}

/// The furthest any session moved from its rule's time: occurrences are
/// looked for that much further on either side of a window.
fn moved_by(plan: &ChatPlan) -> SignedDuration {
    plan.season
        .iter()
        .flat_map(|s| s.sessions.iter())
        .filter_map(|s| {
            let to = s.start?;
            Some(to.duration_since(s.key).abs())
        })
        .max()
        .unwrap_or(SignedDuration::ZERO)
}

/// How long after an occurrence's start its last post is due: the end or
/// the last question, whichever is later, and the thank-you after it.
pub fn lag(plan: &ChatPlan) -> SignedDuration {
    let sessions = plan.season.iter().flat_map(|s| s.sessions.iter());
    let last_question = plan
        .questions
        .iter()
        .chain(sessions.flat_map(|s| s.questions.iter().flatten()))
        .map(|q| q.at)
        .max();
    let after = plan
        .thanks
        .as_ref()
        .map_or(SignedDuration::ZERO, |t| t.after);
    plan.duration
        .max(last_question.unwrap_or(SignedDuration::ZERO))
        + after
        + moved_by(plan)
}

/// The first slot of `plan` due at or after `from`, however far ahead
/// (`None` once every occurrence is over). Occurrences are expanded one at a
/// time, and only while one could still hold an earlier slot (a later
/// occurrence's announcement can come before an earlier one's thank-you).
pub fn first_slot_from(plan: &ChatPlan, from: Timestamp) -> Option<Slot> {
    let lead = lead(plan);
    let mut search = from
        .checked_sub(lag(plan) + CALENDAR_SLACK)
        .unwrap_or(Timestamp::MIN);
    let mut best: Option<Slot> = None;
    while let Some(start) = super::next_occurrence(plan, search) {
        let earliest = start
            .timestamp()
            .checked_sub(lead)
            .unwrap_or(Timestamp::MIN);
        if best.as_ref().is_some_and(|b| b.at <= earliest) {
            break;
        }
        let slots = expand_occurrence(plan, &start);
        if slots.is_empty() {
            break;
        }
        let first = slots.into_iter().find(|slot| slot.at >= from);
        if let Some(slot) = first
            && best.as_ref().is_none_or(|b| slot.at < b.at)
        {
            best = Some(slot);
        }
        let Ok(next) = start.timestamp().checked_add(SignedDuration::from_secs(1)) else {
            break;
        };
        if matches!(plan.when, crate::plan::When::Once(_)) {
            break;
        }
        search = next;
    }
    best
}

/// Every slot of `occurrence`, ordered by instant then kind then number.
/// Its session (if prepared) replaces the chat's texts and questions; the
/// slots carry the occurrence's key, so a moved session keeps its keys.
pub fn expand_occurrence(plan: &ChatPlan, occurrence: &Occurrence) -> Vec<Slot> {
    let start = &occurrence.start;
    let session = plan.session(occurrence.key);
    let texts = OccurrenceText::new(plan, occurrence, session);
    let starts = start.timestamp();
    let ends = starts.checked_add(plan.duration).unwrap_or(Timestamp::MAX);
    let mut slots: Vec<Slot> = posts(plan, session, start, ends, &texts)
        .into_iter()
        .map(|post| Slot {
            chat: Arc::clone(&texts.chat),
            occurrence: occurrence.key,
            kind: post.kind,
            n: post.n,
            at: post.at,
            text: post.text,
            variants: post.variants,
            starts,
            ends,
        })
        .collect();
    slots.sort_by_key(|slot| (slot.at, slot.kind, slot.n));
    slots
}

/// One post of an occurrence.
struct Post {
    kind: SlotKind,
    n: Option<u32>,
    at: Timestamp,
    text: String,
    variants: Vec<(PlatformKind, String)>,
}

/// The networks a text may have its own version for.
const NETWORKS: [PlatformKind; 3] = [
    PlatformKind::X,
    PlatformKind::Mastodon,
    PlatformKind::Bluesky,
];

/// Every post of the occurrence starting at `start` and ending at `ends`.
fn posts(
    plan: &ChatPlan,
    session: Option<&Session>,
    start: &Zoned,
    ends: Timestamp,
    texts: &OccurrenceText<'_>,
) -> Vec<Post> {
    let starts = start.timestamp();
    let announce = session
        .and_then(|s| s.announce.as_deref())
        .unwrap_or(&plan.announce);
    let questions = session
        .and_then(|s| s.questions.as_deref())
        .unwrap_or(&plan.questions);
    let pick = |own: Option<Option<Text>>, chat: Option<Text>| own.unwrap_or(chat);
    let welcome = pick(session.and_then(|s| s.welcome), plan.welcome);
    let wrapup = pick(session.and_then(|s| s.wrapup), plan.wrapup);
    let thanks = match session.and_then(|s| s.thanks) {
        Some(None) => None,
        Some(Some(text)) => Some((
            plan.thanks
                .as_ref()
                .map_or(defaults::THANKS_AFTER, |t| t.after),
            text,
        )),
        None => plan.thanks.as_ref().map(|t| (t.after, t.text)),
    };
    let mut posts = Vec::with_capacity(announce.len() + questions.len() + 3);
    let versions = |item: Item, render: &dyn Fn(&str) -> String| -> Vec<(PlatformKind, String)> {
        NETWORKS
            .iter()
            .filter_map(|&p| Some((p, render(plan.variant(session, item, p)?))))
            .collect()
    };
    for (index, announcement) in (1u32..).zip(announce) {
        let at = shift(start, -announcement.before);
        let render = |t: &str| texts.post(t, texts.vars(), "announcement");
        let item = Item::Announce(index as usize - 1);
        posts.push(Post {
            kind: SlotKind::Announce,
            n: Some(index),
            at,
            text: render(plan.text(announcement.text)),
            variants: versions(item, &render),
        });
    }
    if let Some(welcome) = welcome {
        let render = |t: &str| texts.post(t, texts.vars(), "welcome");
        posts.push(Post {
            kind: SlotKind::Welcome,
            n: None,
            at: starts,
            text: render(plan.text(welcome)),
            variants: versions(Item::Welcome, &render),
        });
    }
    for question in questions {
        let at = starts.checked_add(question.at).unwrap_or(Timestamp::MAX);
        let render = |t: &str| texts.question(question.n, t);
        let item = Item::Question(question.n as usize - 1);
        posts.push(Post {
            kind: SlotKind::Question,
            n: Some(question.n),
            at,
            text: render(plan.question_text(question)),
            variants: versions(item, &render),
        });
    }
    if let Some(wrapup) = wrapup {
        let render = |t: &str| texts.post(t, texts.vars(), "wrap-up");
        posts.push(Post {
            kind: SlotKind::Wrapup,
            n: None,
            at: ends,
            text: render(plan.text(wrapup)),
            variants: versions(Item::Wrapup, &render),
        });
    }
    if let Some((after, text)) = thanks {
        let end = ends.to_zoned(start.time_zone().clone());
        let render = |t: &str| {
            let vars = Vars {
                mentions: Some("{mentions}"),
                ..texts.vars()
            };
            texts.post(t, vars, "thank-you")
        };
        posts.push(Post {
            kind: SlotKind::Thanks,
            n: None,
            at: shift(&end, after),
            text: render(plan.text(text)),
            variants: versions(Item::Thanks, &render),
        });
    }
    posts
}

/// `from` moved by `by`: whole days on the calendar of its zone, the rest in
/// elapsed time.
fn shift(from: &Zoned, by: SignedDuration) -> Timestamp {
    const DAY: i64 = 24 * 60 * 60;
    let days = by.as_secs() / DAY;
    let rest = by - SignedDuration::from_secs(days * DAY);
    from.checked_add(days.days())
        .ok()
        .and_then(|day| day.timestamp().checked_add(rest).ok())
        .or_else(|| from.timestamp().checked_add(by).ok())
        .unwrap_or(if by.is_negative() {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        })
}

/// What every text of one occurrence shares.
struct OccurrenceText<'p> {
    plan: &'p ChatPlan,
    chat: Arc<str>,
    time: String,
    times: String,
    date: String,
    /// What `{calendar}` becomes, made once per occurrence.
    calendar: Option<String>,
    topic: Option<&'p str>,
    /// The hosts joined: `@a`, `@a and @b`, `@a, @b and @c`.
    host: Option<String>,
    number: Option<u32>,
    page: Option<String>,
}

impl<'p> OccurrenceText<'p> {
    fn new(plan: &'p ChatPlan, occurrence: &Occurrence, session: Option<&'p Session>) -> Self {
        let start = &occurrence.start;
        let uses = |name: &str| plan_uses(plan, session, name);
        Self {
            plan,
            chat: Arc::from(plan.id.as_str()),
            time: render_time(start),
            times: render_times(start, &plan.show_times_in),
            date: render_date(start),
            calendar: plan.calendar_url(),
            topic: session.and_then(|s| s.topic).map(|t| plan.texts.get(t)),
            host: session
                .map(|s| join_hosts(s.hosts.iter().map(|h| plan.texts.get(*h))))
                .filter(|h| !h.is_empty()),
            number: if uses("number") {
                plan.number(occurrence.key)
            } else {
                None
            },
            page: plan.page_url(occurrence.key),
        }
    }

    /// Placeholders every post may use.
    fn vars(&self) -> Vars<'_> {
        Vars {
            title: self.plan.title(),
            hashtag: self.plan.hashtag(),
            time: &self.time,
            times: &self.times,
            date: &self.date,
            n: None,
            text: None,
            mentions: None,
            calendar: self.calendar.as_deref(),
            topic: self.topic,
            host: self.host.as_deref(),
            number: self.number,
            page: self.page.as_deref(),
        }
    }

    /// A question: its own text rendered, then the question format.
    fn question(&self, n: u32, text: &str) -> String {
        let own = self.render(text, self.vars(), "question");
        let vars = Vars {
            n: Some(n),
            text: Some(&own),
            ..self.vars()
        };
        self.post(self.plan.question_format(), vars, "question format")
    }

    /// A finished post: rendered, hashtag once.
    fn post(&self, template: &str, vars: Vars<'_>, what: &str) -> String {
        ensure_hashtag(&self.render(template, vars, what), self.plan.hashtag())
    }

    /// Validation rejects templates that do not render, so a failure here is
    /// a bug upstream: keep the raw template rather than nothing, and say
    /// so. A post that passes the render cap (values that only grew past it
    /// here, such as a long `{times}`) keeps its text cut just past the cap:
    /// the daemon measures every text before it posts it, and records such
    /// a post as failed with what to change rather than sending it.
    fn render(&self, template: &str, vars: Vars<'_>, what: &str) -> String {
        match render_capped(template, &vars) {
            (text, None) => text,
            (text, Some(err @ TemplateError::TooLong { .. })) => {
                tracing::warn!(chat = %self.plan.id, error = %err, "{what} passes the render cap; it will not be posted");
                text
            }
            (_, Some(err)) => {
                tracing::warn!(chat = %self.plan.id, error = %err, "{what} template did not render; posting it as written");
                template.to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::When;
    use crate::schedule::fixtures::{HCSMBM_QUESTIONS as QUESTIONS, hcsmbm, repeating};
    use jiff::civil;

    fn zoned(s: &str) -> Occurrence {
        Occurrence::at(s.parse().unwrap())
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn summary(slots: &[Slot]) -> Vec<(String, String, Option<u32>)> {
        slots
            .iter()
            .map(|s| (s.at.to_string(), s.kind.to_string(), s.n))
            .collect()
    }

    #[test]
    fn one_december_occurrence() {
        let slots = expand_occurrence(&hcsmbm(), &zoned("2026-12-02T12:00[America/Chicago]"));
        let s = |at: &str, kind: &str, n| (at.to_string(), kind.to_string(), n);
        assert_eq!(
            summary(&slots),
            [
                s("2026-12-01T18:00:00Z", "announce", Some(1)),
                s("2026-12-02T17:00:00Z", "announce", Some(2)),
                s("2026-12-02T18:00:00Z", "welcome", None),
                s("2026-12-02T18:05:00Z", "question", Some(1)),
                s("2026-12-02T18:15:00Z", "question", Some(2)),
                s("2026-12-02T18:25:00Z", "question", Some(3)),
                s("2026-12-02T18:35:00Z", "question", Some(4)),
                s("2026-12-02T19:00:00Z", "wrapup", None),
                s("2026-12-02T19:10:00Z", "thanks", None),
            ]
        );
        let texts: Vec<&str> = slots.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts[0],
            "Tomorrow: Health Care Social Media Buddy Mentoring at 12:00 CST Wed 2 Dec — 11:00 MST, 18:00 GMT. #hcsmbm"
        );
        assert_eq!(
            texts[1],
            "In an hour: Health Care Social Media Buddy Mentoring at 12:00 CST #hcsmbm"
        );
        assert_eq!(
            texts[2],
            "Welcome to Health Care Social Media Buddy Mentoring on Wed 2 Dec 2026! #hcsmbm"
        );
        assert_eq!(texts[3], format!("Q1. {} #hcsmbm", QUESTIONS[0]));
        assert_eq!(
            texts[8],
            "Thank you to everyone who joined #hcsmbm today: {mentions}"
        );
        let slot = &slots[3];
        assert_eq!(slot.occurrence, "2026-12-02T12:00".parse().unwrap());
        assert_eq!(
            (slot.starts, slot.ends),
            (ts("2026-12-02T18:00Z"), ts("2026-12-02T19:00Z"))
        );
        assert_eq!(
            slot.key("main_x"),
            "hcsmbm/2026-12-02T12:00/question1/main_x"
        );
    }

    #[test]
    fn may_occurrence_is_an_hour_earlier_in_utc() {
        let slots = expand_occurrence(&hcsmbm(), &zoned("2026-05-13T12:00[America/Chicago]"));
        let q1 = slots.iter().find(|s| s.kind == SlotKind::Question).unwrap();
        assert_eq!(q1.at, ts("2026-05-13T17:05Z"));
        assert!(
            slots[0]
                .text
                .contains("12:00 CDT Wed 13 May — 11:00 MDT, 18:00 BST")
        );
    }

    #[test]
    fn whole_days_before_are_calendar_days() {
        // Clocks spring forward overnight before Sunday 8 March 2026: "1d
        // before" is still noon on Saturday (CST), 23 hours earlier.
        let mut plan = hcsmbm();
        plan.when = When::Once("2026-03-08T12:00".parse().unwrap());
        let slots = expand_occurrence(&plan, &zoned("2026-03-08T12:00[America/Chicago]"));
        assert_eq!(slots[0].at, ts("2026-03-07T18:00Z"));
        assert_eq!(slots[2].at, ts("2026-03-08T17:00Z"));
    }

    #[test]
    fn window_takes_slots_of_occurrences_starting_outside_it() {
        let plan = hcsmbm();
        // Tuesday noon to Wednesday 19:05Z: the thanks of 25 Nov is outside,
        // the Tuesday announcement of 2 Dec inside, its thanks outside.
        let slots = expand(&plan, ts("2026-12-01T18:00Z"), ts("2026-12-02T19:05Z"));
        assert_eq!(slots.first().unwrap().at, ts("2026-12-01T18:00Z"));
        assert_eq!(slots.first().unwrap().kind, SlotKind::Announce);
        assert_eq!(slots.last().unwrap().kind, SlotKind::Wrapup);
        assert_eq!(slots.len(), 8);
        // A window holding only the thanks of the previous week's chat.
        let slots = expand(&plan, ts("2026-11-25T19:01Z"), ts("2026-11-26T00:00Z"));
        assert_eq!(
            summary(&slots),
            [("2026-11-25T19:10:00Z".into(), "thanks".into(), None)]
        );
        assert_eq!(slots[0].occurrence, "2026-11-25T12:00".parse().unwrap());
    }

    #[test]
    fn a_week_is_one_occurrence_and_the_next_announcement() {
        let slots = expand(&hcsmbm(), ts("2026-12-02T00:00Z"), ts("2026-12-09T00:00Z"));
        assert_eq!(slots.len(), 8 + 1);
        assert!(slots.windows(2).all(|w| w[0].at <= w[1].at));
        assert_eq!(slots.last().unwrap().at, ts("2026-12-08T18:00Z"));
    }

    #[test]
    fn ties_order_by_kind_then_number() {
        let mut plan = hcsmbm();
        plan.questions[0].at = SignedDuration::ZERO;
        plan.announce[1].before = SignedDuration::from_hours(24);
        let slots = expand_occurrence(&plan, &zoned("2026-12-02T12:00[America/Chicago]"));
        let head: Vec<_> = slots.iter().take(4).map(|s| (s.kind, s.n)).collect();
        assert_eq!(
            head,
            [
                (SlotKind::Announce, Some(1)),
                (SlotKind::Announce, Some(2)),
                (SlotKind::Welcome, None),
                (SlotKind::Question, Some(1)),
            ]
        );
    }

    #[test]
    fn turned_off_posts_have_no_slots() {
        let mut plan = hcsmbm();
        plan.welcome = None;
        plan.wrapup = None;
        plan.thanks = None;
        plan.announce = Box::default();
        let slots = expand_occurrence(&plan, &zoned("2026-12-02T12:00[America/Chicago]"));
        assert!(slots.iter().all(|s| s.kind == SlotKind::Question));
        assert_eq!(slots.len(), 4);
    }

    #[test]
    fn hashtag_is_appended_when_missing_and_nothing_is_removed() {
        let mut plan = hcsmbm();
        plan.questions[0].text = plan.own("What does #HCSMBM mean for {title}?");
        let slots = expand_occurrence(&plan, &zoned("2026-12-02T12:00[America/Chicago]"));
        let q: Vec<&str> = slots
            .iter()
            .filter(|s| s.kind == SlotKind::Question)
            .map(|s| s.text.as_str())
            .collect();
        // The fixture's format adds {hashtag} itself: the organizer's words
        // are posted as written, twice (`check` warns about it).
        assert_eq!(
            q[0],
            "Q1. What does #HCSMBM mean for Health Care Social Media Buddy Mentoring? #hcsmbm"
        );
        plan.question_format =
            crate::plan::Text::Default(crate::plan::defaults::Stock::QuestionFormat);
        let slots = expand_occurrence(&plan, &zoned("2026-12-02T12:00[America/Chicago]"));
        let q1 = slots.iter().find(|s| s.kind == SlotKind::Question).unwrap();
        assert_eq!(
            q1.text,
            "Q1. What does #HCSMBM mean for Health Care Social Media Buddy Mentoring?"
        );
        assert_eq!(q[3], format!("Q4. {} #hcsmbm", QUESTIONS[3]));
    }

    #[test]
    fn a_template_that_does_not_render_is_kept_as_written() {
        let mut plan = hcsmbm();
        plan.welcome = Some(plan.own_text("Hello {bogus}"));
        let slots = expand_occurrence(&plan, &zoned("2026-12-02T12:00[America/Chicago]"));
        let welcome = slots.iter().find(|s| s.kind == SlotKind::Welcome).unwrap();
        assert_eq!(welcome.text, "Hello {bogus} #hcsmbm");
    }

    #[test]
    fn empty_window_is_empty() {
        assert!(expand(&hcsmbm(), ts("2026-12-02T00:00Z"), ts("2026-12-02T00:00Z")).is_empty());
    }

    fn first_from(plan: &ChatPlan, from: &str) -> Option<(String, String, civil::DateTime)> {
        first_slot_from(plan, ts(from)).map(|s| (s.at.to_string(), s.label(), s.occurrence))
    }

    #[test]
    fn first_slot_from_is_the_next_post_that_is_not_past() {
        let plan = hcsmbm();
        let wed = civil::date(2026, 12, 2).at(12, 0, 0, 0);
        let next_wed = civil::date(2026, 12, 9).at(12, 0, 0, 0);
        // In the middle of a chat: the next question, not the one just gone.
        assert_eq!(
            first_from(&plan, "2026-12-02T18:06Z"),
            Some(("2026-12-02T18:15:00Z".into(), "question2".into(), wed))
        );
        // An instant that is due counts as next.
        assert_eq!(
            first_from(&plan, "2026-12-01T18:00Z"),
            Some(("2026-12-01T18:00:00Z".into(), "announce1".into(), wed))
        );
        // After the thank-you: next week's day-ahead announcement, far
        // beyond any 48 h window.
        assert_eq!(
            first_from(&plan, "2026-12-02T19:11Z"),
            Some(("2026-12-08T18:00:00Z".into(), "announce1".into(), next_wed))
        );
    }

    #[test]
    fn a_later_occurrences_announcement_can_come_first() {
        // Daily at 12:00, announced 23 h ahead (13:00 the day before), thanked
        // 22 h after its end (11:00 the next day): at 12:30 the next post is
        // tomorrow's announcement at 13:00 today, before today's thank-you.
        let mut plan = repeating("America/Chicago", "0 12 * * *", None, None);
        plan.welcome = Some(plan.own_text("Hi {hashtag}"));
        let announce = plan.own_text("Tomorrow {hashtag}");
        plan.announce = Box::new([crate::plan::Announcement {
            before: SignedDuration::from_hours(23),
            text: announce,
        }]);
        let thanks = plan.own_text("Thanks {mentions}");
        plan.thanks = Some(crate::plan::Thanks {
            after: SignedDuration::from_hours(22),
            text: thanks,
            exclude: Box::default(),
            search: false,
        });
        assert_eq!(
            first_from(&plan, "2026-12-02T18:30Z"),
            Some((
                "2026-12-02T19:00:00Z".into(),
                "announce1".into(),
                civil::date(2026, 12, 3).at(12, 0, 0, 0)
            ))
        );
    }

    #[test]
    fn no_first_slot_once_a_chat_is_over_or_posts_nothing() {
        let mut once = hcsmbm();
        once.when = When::Once(civil::date(2026, 12, 2).at(12, 0, 0, 0));
        assert_eq!(first_from(&once, "2026-12-02T19:10:01Z"), None);
        assert_eq!(
            first_from(&once, "2026-12-02T19:00Z").map(|s| s.1),
            Some("wrapup".to_string())
        );
        // A recurring plan with nothing to post ends the search at once.
        let silent = repeating("America/Chicago", "0 12 * * WED", None, None);
        assert_eq!(first_from(&silent, "2026-12-02T00:00Z"), None);
    }
}
