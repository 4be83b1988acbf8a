//! A post that names the chat's hashtag more than once.
//!
//! tweetchat never rewrites the organizer's words: the hashtag is appended
//! when a text lacks it and nothing is ever removed. So a text that carries
//! the tag twice (`Join #edchat … {hashtag}`) is posted as written, and this
//! check warns about it where it was written.

use super::raw::Reader;
use super::{ChatPlan, Loc, PlanSpans};
use crate::text::template::{Vars, count_hashtag, render};

/// Warns once per text of `plan` whose rendered post carries the hashtag
/// more than once.
pub(super) fn check(r: &mut Reader<'_>, plan: &ChatPlan, spans: &PlanSpans) {
    let vars = sample_vars(plan);
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
        let loc = loc.unwrap_or_default();
        let default = if loc.line == 0 {
            " (the default text with your title or question)"
        } else {
            ""
        };
        r.warn(
            loc,
            format!(
                "{what}{default} carries {} {times} times and is posted as written: `{post}`",
                plan.hashtag()
            ),
            format!(
                "write {} once (or not at all: it is appended when a text lacks it){}",
                plan.hashtag(),
                if what == "a question" {
                    "; the question format adds it too when it has {hashtag}"
                } else {
                    ""
                }
            ),
        );
    }
}

/// Placeholder values for checking what `plan`'s texts turn into: its own
/// title and hashtag, a sample time, date and calendar address.
pub(super) fn sample_vars(plan: &ChatPlan) -> Vars<'_> {
    Vars {
        title: plan.title(),
        hashtag: plan.hashtag(),
        time: "12:00",
        times: "12:00",
        date: "Wed 2 Dec 2026",
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
