//! Chat plans built by hand for unit tests, so the schedule can be tested
//! without the YAML loader.

use std::path::Path;

use jiff::SignedDuration;
use jiff::tz::TimeZone;

use crate::plan::{Announcement, ChatPlan, Question, Recurrence, Thanks, When};

/// The four questions of the #hcsmbm chat.
pub const HCSMBM_QUESTIONS: [&str; 4] = [
    "Everyone's needs are different. What are the keys to identifying each patient's needs?",
    "What guidelines need to be developed to deliver meaningful and individualized support?",
    "How can we categorize what a doctor and a mentor offer, to match patient's individual needs?",
    "How do we track progress and make adjustments when necessary?",
];

/// A bare plan in `zone`: one hour, nothing but `when`.
pub fn bare(zone: &str, when: When) -> ChatPlan {
    ChatPlan {
        id: "test".into(),
        source: Path::new("chats/test.yaml").into(),
        title: "Test".into(),
        hashtag: "#test".into(),
        tz: TimeZone::get(zone).unwrap(),
        when,
        duration: SignedDuration::from_hours(1),
        show_times_in: Vec::new(),
        accounts: None,
        thread: false,
        announce: Vec::new(),
        welcome: None,
        questions: Vec::new(),
        question_format: "Q{n}. {text} {hashtag}".into(),
        visibility: Default::default(),
        language: None,
        wrapup: None,
        thanks: None,
        calendar_url: None,
    }
}

/// A recurrence from a cron line and optional inclusive local dates.
pub fn repeat(line: &str, from: Option<&str>, until: Option<&str>) -> When {
    When::Repeat(Box::new(Recurrence {
        line: line.into(),
        cron: line.parse::<crate::plan::cron::Cron>().unwrap(),
        from: from.map(|d| d.parse().unwrap()),
        until: until.map(|d| d.parse().unwrap()),
    }))
}

pub fn shown(names: &[&str]) -> Vec<TimeZone> {
    names
        .iter()
        .map(|name| TimeZone::get(name).unwrap())
        .collect()
}

/// The weekly #hcsmbm chat: Wednesdays 12:00 Chicago, shown in Denver and
/// London, announced a day and an hour before, four questions ten minutes
/// apart from 5m, wrap-up at 1h, thanks 10m later.
pub fn hcsmbm() -> ChatPlan {
    ChatPlan {
        id: "hcsmbm".into(),
        source: Path::new("chats/hcsmbm.yaml").into(),
        title: "Health Care Social Media Buddy Mentoring".into(),
        hashtag: "#hcsmbm".into(),
        show_times_in: shown(&["America/Denver", "Europe/London"]),
        announce: vec![
            Announcement {
                before: SignedDuration::from_hours(24),
                text: "Tomorrow: {title} at {times}.".into(),
            },
            Announcement {
                before: SignedDuration::from_hours(1),
                text: "In an hour: {title} at {time} {hashtag}".into(),
            },
        ],
        welcome: Some("Welcome to {title} on {date}! {hashtag}".into()),
        questions: (1u32..)
            .zip(HCSMBM_QUESTIONS)
            .map(|(n, text)| Question {
                n,
                at: SignedDuration::from_mins(5 + 10 * (i64::from(n) - 1)),
                text: text.into(),
            })
            .collect(),
        wrapup: Some("That's a wrap! Thank you for a great {hashtag} chat.".into()),
        thanks: Some(Thanks {
            after: SignedDuration::from_mins(10),
            text: "Thank you to everyone who joined {hashtag} today: {mentions}".into(),
            exclude: Vec::new(),
            search: true,
        }),
        ..bare("America/Chicago", repeat("0 12 * * WED", None, None))
    }
}
