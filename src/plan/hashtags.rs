//! A post that names the chat's hashtag more than once.
//!
//! tweetchat never rewrites the organizer's words: the hashtag is appended
//! when a text lacks it and nothing is ever removed. So a text that carries
//! the tag twice (`Join #edchat … {hashtag}`) is posted as written, and this
//! check warns about it where it was written.

use super::raw::Reader;
use super::{ChatPlan, Loc, PlanSpans, When};
use crate::text::template::{Vars, count_hashtag, render};

/// Warns once per text of `plan` whose rendered post carries the hashtag
/// more than once.
pub(super) fn check(r: &mut Reader<'_>, plan: &ChatPlan, spans: &PlanSpans) {
    let when = SampleWhen::of(plan);
    let vars = sample_vars(plan, &when);
    // Each text as it is posted (before the hashtag rule), what it is and
    // where it was written; a template that does not render is reported by
    // the template checks instead.
    let mut posts: Vec<(String, &str, Option<Loc>)> = Vec::new();
    let push = |posts: &mut Vec<_>, template: &str, what, loc| {
        if let Ok(post) = render(template, &vars) {
            posts.push((post, what, loc));
        }
    };
    for (i, a) in plan.announce.iter().enumerate() {
        let loc = spans.announce.get(i).copied();
        // An entry with only `before` gets the default text: located at
        // the entry, but it is the default that speaks.
        let loc = loc.filter(|_| !matches!(a.text, super::Text::Default(_)));
        push(&mut posts, plan.text(a.text), "an announcement", loc);
    }
    if let Some(welcome) = plan.welcome() {
        push(&mut posts, welcome, "the welcome", spans.welcome);
    }
    for (i, q) in plan.questions.iter().enumerate() {
        let text = plan.question_text(q);
        let own = render(text, &vars).unwrap_or_else(|_| text.to_string());
        let with_format = Vars {
            n: Some(q.n),
            text: Some(&own),
            ..vars.clone()
        };
        // Already the post: its `{text}` is not read as a template again.
        let post = render(plan.question_format(), &with_format).unwrap_or(own);
        posts.push((post, "a question", spans.questions.get(i).copied()));
    }
    if let Some(wrapup) = plan.wrapup() {
        push(&mut posts, wrapup, "the wrap-up", spans.wrapup);
    }
    if let Some(thanks) = plan.thanks_text() {
        push(&mut posts, thanks, "the thank-you", spans.thanks);
    }
    for (post, what, loc) in posts {
        let times = count_hashtag(&post, plan.hashtag());
        if times < 2 {
            continue;
        }
        let from_default = loc.is_none();
        let title_has_it = count_hashtag(plan.title(), plan.hashtag()) > 0;
        let default = if from_default {
            " (the default text with your title)"
        } else {
            ""
        };
        let help = if from_default && title_has_it {
            // Nothing of the organizer's to write once: the default text
            // says {title} and {hashtag}, and the title holds the tag.
            format!(
                "the title `{}` carries {} and the default text adds {{hashtag}}: take {} out of `title:`, \
                 or write your own `{}:` text",
                plan.title(),
                plan.hashtag(),
                plan.hashtag(),
                key_of(what)
            )
        } else {
            format!(
                "write {} once (or not at all: it is appended when a text lacks it){}",
                plan.hashtag(),
                if what == "a question" {
                    "; the question format adds it too when it has {hashtag}"
                } else {
                    ""
                }
            )
        };
        let loc = loc.or(spans.title).unwrap_or_default();
        r.warn(
            loc,
            format!(
                "{what}{default} carries {} {times} times and is posted as written: `{post}`",
                plan.hashtag()
            ),
            help,
        );
    }
}

/// The chat key a warning's `what` is written under.
fn key_of(what: &str) -> &'static str {
    match what {
        "an announcement" => "announce",
        "the welcome" => "welcome",
        "the wrap-up" => "wrapup",
        "the thank-you" => "thanks",
        _ => "questions",
    }
}

/// `{time}` and `{date}` of the chat's next start (a one-off's own), so a
/// warning quotes the post as it will read: `12:00 CST`, `Wed 2 Dec 2026`.
pub(super) struct SampleWhen {
    time: String,
    date: String,
}

impl SampleWhen {
    pub(super) fn of(plan: &ChatPlan) -> SampleWhen {
        let local = match &plan.when {
            When::Once(start) => Some(*start),
            When::Repeat(rule) => {
                let now = jiff::Zoned::now()
                    .with_time_zone(plan.tz.clone())
                    .datetime();
                let from = rule
                    .from
                    .map(|d| d.to_datetime(jiff::civil::Time::midnight()))
                    .filter(|from| *from > now)
                    .unwrap_or(now);
                rule.cron.next_after(from, true)
            }
        };
        match local.and_then(|dt| plan.tz.to_zoned(dt).ok()) {
            Some(start) => SampleWhen {
                time: start.strftime("%H:%M %Z").to_string(),
                date: start.strftime("%a %-d %b %Y").to_string(),
            },
            None => SampleWhen {
                time: "12:00".into(),
                date: "Wed 2 Dec 2026".into(),
            },
        }
    }
}

/// Placeholder values for checking what `plan`'s texts turn into: its own
/// title and hashtag, its next start's time and date, a sample calendar
/// address.
pub(super) fn sample_vars<'a>(plan: &'a ChatPlan, when: &'a SampleWhen) -> Vars<'a> {
    Vars {
        title: plan.title(),
        hashtag: plan.hashtag(),
        time: &when.time,
        times: &when.time,
        date: &when.date,
        n: None,
        text: None,
        mentions: Some(""),
        calendar: Some("https://example.org/chats/chat.ics"),
        topic: Some(""),
        host: Some(""),
        number: Some(1),
        page: Some("https://example.org/chats/chat/2026-12-02"),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::plan::load::load_str_warned;
    use crate::plan::validate::tests::BASE;

    #[test]
    fn a_repeated_hashtag_is_a_warning_and_the_words_stay() {
        let src = BASE.replace("#test", "#edchat")
            + "welcome: \"#edchat is here! Join #EdChat and #edchat now {hashtag}\"\n";
        let loaded = load_str_warned(Path::new("t.yaml"), &src);
        let plan = loaded.plan.unwrap().0;
        assert_eq!(
            plan.welcome(),
            Some("#edchat is here! Join #EdChat and #edchat now {hashtag}")
        );
        assert_eq!(loaded.warnings.len(), 1, "{:#?}", loaded.warnings);
        let warning = &loaded.warnings[0];
        assert_eq!((warning.line, warning.column), (11, 10));
        assert!(warning.warning);
        assert!(
            warning
                .message
                .starts_with("the welcome carries #edchat 4 times"),
            "{}",
            warning.message
        );
    }

    #[test]
    fn a_default_text_with_a_tagged_title_quotes_the_real_time_and_fits_the_help() {
        let src = BASE.replace("title: Test chat", "title: \"#test Tuesday\"")
            + "announce:\n  - before: 1d\n";
        let loaded = load_str_warned(Path::new("t.yaml"), &src);
        assert!(loaded.plan.is_ok());
        let warning = loaded
            .warnings
            .iter()
            .find(|w| w.message.starts_with("an announcement (the default text"))
            .unwrap_or_else(|| panic!("{:#?}", loaded.warnings));
        // The chat's own time, not a sample.
        assert!(warning.message.contains("12:00 CST"), "{}", warning.message);
        let help = warning.help.as_deref().unwrap();
        assert!(
            help.starts_with(
                "the title `#test Tuesday` carries #test and the default text adds {hashtag}"
            ),
            "{help}"
        );
        // Pointed at the title, which is what to change.
        assert_eq!(warning.line, 1);
    }

    #[test]
    fn a_repeating_chat_quotes_its_own_time() {
        let src = BASE.replace("start: 2027-01-13 12:00", "repeat: \"30 19 * * TUE\"")
            + "welcome: \"{hashtag} at {time}: welcome to #test!\"\n";
        let loaded = load_str_warned(Path::new("t.yaml"), &src);
        assert!(loaded.plan.is_ok(), "{:#?}", loaded.plan.err());
        assert_eq!(loaded.warnings.len(), 1, "{:#?}", loaded.warnings);
        let message = &loaded.warnings[0].message;
        assert!(message.contains("#test at 19:30 C"), "{message}");
    }

    #[test]
    fn a_question_naming_the_tag_is_fine_with_the_default_format() {
        let src = BASE.replace("text: First?", "text: \"What does #TEST mean?\"");
        let loaded = load_str_warned(Path::new("t.yaml"), &src);
        assert!(loaded.plan.is_ok());
        assert!(loaded.warnings.is_empty(), "{:#?}", loaded.warnings);
        let src = src + "question_format: \"Q{n}. {text} {hashtag}\"\n";
        let loaded = load_str_warned(Path::new("t.yaml"), &src);
        assert_eq!(loaded.warnings.len(), 1, "{:#?}", loaded.warnings);
        assert_eq!(loaded.warnings[0].line, 8);
        assert!(
            loaded.warnings[0]
                .help
                .as_deref()
                .unwrap()
                .contains("question format")
        );
    }
}
