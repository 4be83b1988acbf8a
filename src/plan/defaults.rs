//! What a chat gets for what its file leaves out. Listed in one place so the
//! README, `plan` output and these values cannot drift apart.

use jiff::SignedDuration;

use super::{Announcement, Text, Thanks};

/// `duration` when omitted.
pub const DURATION: SignedDuration = SignedDuration::from_hours(1);
/// The text of an announcement that gives only `before`.
pub const ANNOUNCE: &str =
    "Coming up: {title} at {times}. Join us and bring your answers! {hashtag}";
/// The text of the default announcement a day ahead.
pub const ANNOUNCE_DAY: &str = "Tomorrow: {title} at {times}. Join us! {hashtag}";
/// The text of the default announcement an hour ahead.
pub const ANNOUNCE_HOUR: &str = "In one hour: {title} at {times}. See you there! {hashtag}";
pub const WELCOME: &str =
    "Welcome to {title}! Introduce yourself, then answer each question with A1, A2 … {hashtag}";
/// The hashtag is appended when the question lacks it, so a question that
/// names the tag itself does not carry it twice.
pub const QUESTION_FORMAT: &str = "Q{n}. {text}";
/// Says "joining {title}", not "a great {title} chat": many titles end in
/// "chat" already (`Emoji chat` would give "Emoji chat chat").
pub const WRAPUP: &str = "That's a wrap! Thank you for joining {title}. {hashtag}";
pub const THANKS: &str = "Thank you so much to everyone who joined {hashtag} today: {mentions}";
/// `thanks.after` when omitted: how long after the end.
pub const THANKS_AFTER: SignedDuration = SignedDuration::from_mins(10);

/// A default template by name: a plan holds one byte for it, where a
/// `&'static str` would take 16 and leave no room for `Option`'s `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stock {
    Announce,
    AnnounceDay,
    AnnounceHour,
    Welcome,
    QuestionFormat,
    Wrapup,
    Thanks,
}

impl Stock {
    /// The template's text.
    pub const fn text(self) -> &'static str {
        match self {
            Stock::Announce => ANNOUNCE,
            Stock::AnnounceDay => ANNOUNCE_DAY,
            Stock::AnnounceHour => ANNOUNCE_HOUR,
            Stock::Welcome => WELCOME,
            Stock::QuestionFormat => QUESTION_FORMAT,
            Stock::Wrapup => WRAPUP,
            Stock::Thanks => THANKS,
        }
    }
}

/// Announcements when `announce` is omitted: a day and an hour before.
pub fn announcements() -> Box<[Announcement]> {
    Box::new([
        Announcement {
            before: SignedDuration::from_hours(24),
            text: Text::Default(Stock::AnnounceDay),
        },
        Announcement {
            before: SignedDuration::from_hours(1),
            text: Text::Default(Stock::AnnounceHour),
        },
    ])
}

/// Thanks when `thanks` is omitted.
pub fn thanks() -> Thanks {
    Thanks {
        after: THANKS_AFTER,
        text: Text::Default(Stock::Thanks),
        exclude: Box::default(),
        search: true,
    }
}

#[cfg(test)]
mod tests {
    use crate::text::template::{Vars, render};

    #[test]
    fn a_title_ending_in_chat_reads_once_in_the_default_wrapup() {
        let vars = Vars {
            title: "Emoji chat",
            hashtag: "#emojichat",
            ..Vars::default()
        };
        let post = render(super::WRAPUP, &vars).unwrap();
        assert_eq!(
            post,
            "That's a wrap! Thank you for joining Emoji chat. #emojichat"
        );
        assert!(!post.contains("chat chat"));
    }
}
