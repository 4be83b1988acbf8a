//! The occurrences of a chat as the pages show them: each with its own
//! topic, guest host and questions (a season's sessions), and whether it
//! is held, cancelled (`skip:`), moved (`start:`) or not prepared yet.
//!
//! The chat page lists these; `/chats/CHAT/DATE` (what `{page}` links to)
//! shows one. Every fact comes from the loaded plan through
//! [`crate::schedule`], so a page says what the daemon will post: the
//! questions are the slots' texts as they will go out, and a cancelled or
//! unprepared occurrence lists none because none will. Only what the
//! public may see is here: no account names, no file paths.

use std::collections::BTreeSet;

use jiff::civil::{self, DateTime};
use jiff::{SignedDuration, Timestamp};

use crate::plan::{ChatPlan, Status, When};
use crate::schedule::expand::join_hosts;
use crate::schedule::recurrence::{occurrence_by_key, resolve_repeat};
use crate::schedule::times::zone_label;
use crate::schedule::{Occurrence, SlotKind, every_occurrence, expand_occurrence};

/// Where an occurrence stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// Held at the rule's time.
    Held,
    /// Held at another time; `from` is the rule's time in the chat zone
    /// (`Wed 10 Mar 12:00 CST`).
    Moved { from: String },
    /// Not held (`skip:`), with the organizer's reason when given.
    Cancelled { reason: Option<String> },
    /// Not held: no questions prepared for it yet.
    NotPrepared,
}

/// A question as it will be (or was) posted, with its instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionView {
    pub label: String,
    pub at: Timestamp,
    pub text: String,
}

/// One occurrence of a chat.
#[derive(Debug, Clone)]
pub struct OccurrenceView {
    /// Its page: `/chats/CHAT/DATE`.
    pub page: String,
    /// When it starts (the new time when moved).
    pub at: Timestamp,
    pub standing: Standing,
    /// Its start is before "now".
    pub past: bool,
    /// `{number}` of a held session of a season.
    pub number: Option<u32>,
    pub topic: Option<String>,
    /// `@a and @b`.
    pub host: Option<String>,
    /// Empty when it is not held.
    pub questions: Vec<QuestionView>,
}

/// `/chats/CHAT/DATE` of the occurrence keyed `key`.
pub fn page_path(plan: &ChatPlan, key: DateTime) -> String {
    format!(
        "/chats/{}/{}",
        plan.id,
        crate::plan::season::page_id(plan.recurrence(), key)
    )
}

/// What the pages show of `occurrence`.
pub fn occurrence_view(plan: &ChatPlan, occurrence: &Occurrence, now: Timestamp) -> OccurrenceView {
    let status = plan.status(occurrence.key);
    let standing = match status {
        Status::Skipped(session) => Standing::Cancelled {
            reason: session
                .skip
                .flatten()
                .map(|reason| plan.texts.get(reason).to_string())
                .filter(|reason| !reason.trim().is_empty()),
        },
        Status::Unprepared | Status::Ended => Standing::NotPrepared,
        Status::Held(_) if occurrence.moved() => {
            let rule = resolve_repeat(&plan.tz, occurrence.key);
            Standing::Moved {
                from: format!("{} {}", rule.strftime("%a %-d %b %H:%M"), zone_label(&rule)),
            }
        }
        Status::Held(_) => Standing::Held,
    };
    let held = status.is_held();
    let session = plan.session(occurrence.key);
    let questions = if held {
        expand_occurrence(plan, occurrence)
            .into_iter()
            .filter(|slot| slot.kind == SlotKind::Question)
            .map(|slot| QuestionView {
                label: super::model::slot_label(slot.kind, slot.n),
                at: slot.at,
                text: slot.text,
            })
            .collect()
    } else {
        Vec::new()
    };
    let host = session
        .map(|s| join_hosts(s.hosts.iter().map(|h| plan.texts.get(*h))))
        .filter(|host| !host.is_empty());
    OccurrenceView {
        page: page_path(plan, occurrence.key),
        at: occurrence.start.timestamp(),
        standing,
        past: occurrence.start.timestamp() < now,
        number: if held && plan.season.is_some() {
            plan.number(occurrence.key)
        } else {
            None
        },
        topic: session
            .and_then(|s| s.topic)
            .map(|topic| plan.texts.get(topic).to_string()),
        host,
        questions,
    }
}

/// The next `n` occurrences starting at or after `now`, held or not:
/// cancelled and unprepared weeks are listed (and say so), so nobody
/// waits for a chat that will not happen.
pub fn coming(
    plan: &ChatPlan,
    now: Timestamp,
    look_ahead: SignedDuration,
    n: usize,
) -> Vec<OccurrenceView> {
    let until = now.checked_add(look_ahead).unwrap_or(Timestamp::MAX);
    every_occurrence(plan, now, until)
        .iter()
        .take(n)
        .map(|occurrence| occurrence_view(plan, occurrence, now))
        .collect()
}

/// The occurrence whose page is `/chats/CHAT/SEGMENT`: `2026-12-09`, or
/// `2026-12-09T12-00` where the rule fires more than once that day. `None`
/// for anything that is not one of the chat's occurrences.
pub fn find(plan: &ChatPlan, segment: &str) -> Option<Occurrence> {
    if segment.len() > 16 {
        return None;
    }
    let (day, time) = crate::plan::season::parse_key(segment)?;
    let key = match (time, &plan.when) {
        (Some(time), _) => day.to_datetime(time),
        (None, When::Once(local)) => (local.date() == day).then_some(*local)?,
        (None, When::Repeat(recurrence)) => {
            match crate::plan::season::firings_on(recurrence, day).as_slice() {
                [only] => *only,
                _ => return None,
            }
        }
    };
    occurrence_by_key(plan, key)
}

/// The page of one occurrence: the occurrence, and its transcript's
/// address once one was written.
#[derive(Debug, Clone)]
pub struct OccurrencePage {
    pub summary: super::model::ChatSummary,
    pub occurrence: OccurrenceView,
    pub transcript: Option<String>,
}

pub fn occurrence_page(
    plan: &ChatPlan,
    occurrence: &Occurrence,
    transcripts: &BTreeSet<civil::Date>,
    now: Timestamp,
) -> OccurrencePage {
    let view = occurrence_view(plan, occurrence, now);
    // A moved session's transcript is filed under the day it took place.
    let date = occurrence.start.date();
    let transcript =
        (view.past && transcripts.contains(&date)).then(|| transcript_link(plan, date));
    OccurrencePage {
        summary: super::model::ChatSummary::new(plan, now),
        occurrence: view,
        transcript,
    }
}

/// `/chats/CHAT/transcripts/DATE`.
pub fn transcript_link(plan: &ChatPlan, date: civil::Date) -> String {
    format!("/chats/{}/transcripts/{date}", plan.id)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn season() -> ChatPlan {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/season/inline/edchat.yaml");
        let src = std::fs::read_to_string(&path).unwrap();
        crate::plan::load::load_str(Path::new("chats/edchat.yaml"), &src).unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn each_coming_occurrence_says_where_it_stands() {
        let plan = season();
        let coming = coming(
            &plan,
            ts("2027-02-01T00:00:00Z"),
            SignedDuration::from_hours(24 * 100),
            20,
        );
        let standings: Vec<(&str, &Standing)> = coming
            .iter()
            .map(|o| (o.page.as_str(), &o.standing))
            .collect();
        assert_eq!(
            standings,
            [
                ("/chats/edchat/2027-02-17", &Standing::Held),
                ("/chats/edchat/2027-02-24", &Standing::Held),
                (
                    "/chats/edchat/2027-03-03",
                    &Standing::Cancelled {
                        reason: Some("Spring break".into())
                    }
                ),
                (
                    "/chats/edchat/2027-03-10",
                    &Standing::Moved {
                        from: "Wed 10 Mar 12:00 CST".into()
                    }
                ),
                ("/chats/edchat/2027-03-17", &Standing::Held),
                ("/chats/edchat/2027-03-24", &Standing::Held),
                ("/chats/edchat/2027-03-31", &Standing::NotPrepared),
                ("/chats/edchat/2027-04-07", &Standing::NotPrepared),
            ]
        );
        // Moved: Thursday 11 March 13:00 CST = 19:00Z.
        assert_eq!(coming[3].at, ts("2027-03-11T19:00:00Z"));
        assert_eq!(coming[3].topic.as_deref(), Some("Moved to Thursday"));
        // Numbers count held sessions from 12 on; the cancelled week has none.
        let numbers: Vec<Option<u32>> = coming.iter().map(|o| o.number).collect();
        assert_eq!(
            numbers,
            [
                Some(12),
                Some(13),
                None,
                Some(14),
                Some(15),
                Some(16),
                None,
                None
            ]
        );
        let guest = &coming[1];
        assert_eq!(guest.host.as_deref(), Some("@guest_teacher"));
        assert_eq!(guest.questions.len(), 2);
        assert_eq!(guest.questions[0].label, "Q1");
        assert!(
            guest.questions[0].text.contains("@guest_teacher asks"),
            "{:?}",
            guest.questions
        );
        assert_eq!(guest.questions[0].at, ts("2027-02-24T18:05:00Z"));
        assert_eq!(coming[4].host.as_deref(), Some("@ana and @ben"));
        assert!(coming[2].questions.is_empty() && coming[6].questions.is_empty());
        assert!(coming.iter().all(|o| !o.past));
    }

    #[test]
    fn a_page_segment_finds_only_real_occurrences() {
        let plan = season();
        let moved = find(&plan, "2027-03-10").unwrap();
        assert_eq!(moved.key, civil::datetime(2027, 3, 10, 12, 0, 0, 0));
        assert_eq!(moved.start.timestamp(), ts("2027-03-11T19:00:00Z"));
        assert!(
            find(&plan, "2027-03-03").is_some(),
            "a cancelled week has its page"
        );
        assert!(find(&plan, "2027-03-10T12-00").is_some());
        for missing in [
            "2027-03-11",       // the moved session's new day is not a key
            "2027-03-09",       // a Tuesday
            "2027-02-10",       // before `from`
            "2027-04-14",       // after `until`
            "2027-03-10T13-00", // not the rule's time
            "2027-3-10",
            "../../etc",
            "2027-03-10T12:00:00.000000000",
        ] {
            assert!(find(&plan, missing).is_none(), "{missing}");
        }
    }

    #[test]
    fn the_page_of_a_past_session_links_its_transcript() {
        let plan = season();
        // A moved session's transcript is filed under the day it took place.
        let transcripts = BTreeSet::from([civil::date(2027, 3, 11)]);
        let moved = find(&plan, "2027-03-10").unwrap();
        let before = occurrence_page(&plan, &moved, &transcripts, ts("2027-03-01T00:00:00Z"));
        assert_eq!(before.transcript, None, "not before it happened");
        let planned_day = BTreeSet::from([civil::date(2027, 3, 10)]);
        let elsewhere = occurrence_page(&plan, &moved, &planned_day, ts("2027-03-12T00:00:00Z"));
        assert_eq!(
            elsewhere.transcript, None,
            "filed under the day it took place"
        );
        let after = occurrence_page(&plan, &moved, &transcripts, ts("2027-03-12T00:00:00Z"));
        assert!(after.occurrence.past);
        assert_eq!(
            after.transcript.as_deref(),
            Some("/chats/edchat/transcripts/2027-03-11")
        );
    }
}
