//! Chat plans built by hand for unit tests, so the schedule can be tested
//! without the YAML loader.

use std::path::Path;

use jiff::SignedDuration;
use jiff::tz::TimeZone;

use crate::plan::{Announcement, ChatPlan, Question, Recurrence, Span, TextsBuilder, Thanks, When};

/// The four questions of the #hcsmbm chat.
pub const HCSMBM_QUESTIONS: [&str; 4] = [
    "Everyone's needs are different. What are the keys to identifying each patient's needs?",
    "What guidelines need to be developed to deliver meaningful and individualized support?",
    "How can we categorize what a doctor and a mentor offer, to match patient's individual needs?",
    "How do we track progress and make adjustments when necessary?",
];

/// A bare plan in `zone`: one hour, nothing but `when`.
pub fn bare(zone: &str, when: When) -> ChatPlan {
    let mut texts = TextsBuilder::new();
    let title = texts.add("Test");
    let hashtag = texts.add("#test");
    let question_format = texts.own("Q{n}. {text} {hashtag}");
    ChatPlan {
        id: "test".into(),
        source: Path::new("chats/test.yaml").into(),
        texts: texts.finish(),
        title,
        hashtag,
        tz: TimeZone::get(zone).unwrap(),
        when,
        duration: SignedDuration::from_hours(1),
        show_times_in: Box::default(),
        accounts: None,
        thread: false,
        announce: Box::default(),
        welcome: None,
        questions: Box::default(),
        question_format,
        visibility: Default::default(),
        language: None,
        wrapup: None,
        thanks: None,
        calendar_base: None,
        season: None,
    }
}

/// Makes `plan` recur on a cron line, with optional inclusive local dates
/// (the line goes into the plan's texts).
pub fn set_repeat(plan: &mut ChatPlan, line: &str, from: Option<&str>, until: Option<&str>) {
    let span = plan.own(line);
    plan.when = recurrence(span, line, from, until);
}

/// `line` recurring, its text already at `span`.
fn recurrence(span: Span, line: &str, from: Option<&str>, until: Option<&str>) -> When {
    When::Repeat(Box::new(Recurrence {
        line: span,
        cron: line.parse::<crate::plan::cron::Cron>().unwrap(),
        from: from.map(|d| d.parse().unwrap()),
        until: until.map(|d| d.parse().unwrap()),
    }))
}

/// A bare plan in `zone` ([`bare`]) recurring as [`set_repeat`] says.
pub fn repeating(zone: &str, line: &str, from: Option<&str>, until: Option<&str>) -> ChatPlan {
    let mut plan = bare(
        zone,
        When::Once(jiff::civil::date(2026, 1, 1).at(0, 0, 0, 0)),
    );
    set_repeat(&mut plan, line, from, until);
    plan
}

pub fn shown(names: &[&str]) -> Box<[TimeZone]> {
    names
        .iter()
        .map(|name| TimeZone::get(name).unwrap())
        .collect()
}

/// The weekly #hcsmbm chat: Wednesdays 12:00 Chicago, shown in Denver and
/// London, announced a day and an hour before, four questions ten minutes
/// apart from 5m, wrap-up at 1h, thanks 10m later.
pub fn hcsmbm() -> ChatPlan {
    let mut texts = TextsBuilder::new();
    let title = texts.add("Health Care Social Media Buddy Mentoring");
    let hashtag = texts.add("#hcsmbm");
    let question_format = texts.own("Q{n}. {text} {hashtag}");
    let announce = Box::new([
        Announcement {
            before: SignedDuration::from_hours(24),
            text: texts.own("Tomorrow: {title} at {times}."),
        },
        Announcement {
            before: SignedDuration::from_hours(1),
            text: texts.own("In an hour: {title} at {time} {hashtag}"),
        },
    ]);
    let welcome = Some(texts.own("Welcome to {title} on {date}! {hashtag}"));
    let questions = (1u32..)
        .zip(HCSMBM_QUESTIONS)
        .map(|(n, text)| Question {
            n,
            at: SignedDuration::from_mins(5 + 10 * (i64::from(n) - 1)),
            text: texts.add(text),
        })
        .collect();
    let wrapup = Some(texts.own("That's a wrap! Thank you for a great {hashtag} chat."));
    let thanks = Some(Thanks {
        after: SignedDuration::from_mins(10),
        text: texts.own("Thank you to everyone who joined {hashtag} today: {mentions}"),
        exclude: Box::default(),
        search: true,
    });
    let line = "0 12 * * WED";
    let when = recurrence(texts.add(line), line, None, None);
    ChatPlan {
        id: "hcsmbm".into(),
        source: Path::new("chats/hcsmbm.yaml").into(),
        texts: texts.finish(),
        title,
        hashtag,
        question_format,
        show_times_in: shown(&["America/Denver", "Europe/London"]),
        announce,
        welcome,
        questions,
        wrapup,
        thanks,
        when,
        ..bare(
            "America/Chicago",
            When::Once(jiff::civil::date(2026, 1, 1).at(0, 0, 0, 0)),
        )
    }
}
