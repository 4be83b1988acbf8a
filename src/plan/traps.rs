//! YAML's own traps in post texts, found with the source and every span.
//!
//! A chat file is YAML, and YAML quietly rewrites unquoted text: a ` #`
//! starts a comment, so `text: Hi all, it is #edchat time!` posts
//! `Hi all, it is`. The file still loads, so this is a warning that shows
//! what will be posted and how to quote it. (A `: ` inside an unquoted
//! question, the other trap, turns it into a mapping; [`super::raw`]
//! reports that as the one error for that question.)

use super::node::Loc;
use super::raw::{At, RawChat, Reader, Toggle};

/// Warns about every post text that an unquoted ` #word` cut short.
pub fn check(r: &mut Reader<'_>, chat: &RawChat) {
    let mut texts: Vec<(&At<String>, &str)> = Vec::new();
    if let Some(title) = &chat.title {
        texts.push((title, "title"));
    }
    for (toggle, key) in [(&chat.welcome, "welcome"), (&chat.wrapup, "wrapup")] {
        if let Toggle::On(text) = toggle {
            texts.push((text, key));
        }
    }
    if let Some(format) = &chat.question_format {
        texts.push((format, "question_format"));
    }
    if let Toggle::On(list) = &chat.announce {
        texts.extend(
            list.iter()
                .filter_map(|a| a.text.as_ref())
                .map(|t| (t, "text")),
        );
    }
    for q in chat.questions.iter().flat_map(|l| &l.value) {
        texts.push((&q.text, if q.at.is_some() { "text" } else { "-" }));
    }
    if let Toggle::On(thanks) = &chat.thanks
        && let Some(text) = &thanks.text
    {
        texts.push((text, "text"));
    }
    for (text, key) in texts {
        if let Some(cut) = cut_by_comment(r.src, text.loc) {
            warn_cut(r, text, key, cut);
        }
    }
}

/// The comment that follows a plain scalar on its last line, when it looks
/// like words the organizer meant to post (`#edchat time!`), not a comment
/// (`# a note`).
fn cut_by_comment(src: &str, loc: Loc) -> Option<&str> {
    let (start, len) = loc.bytes?;
    let raw = src.get(start..start.checked_add(len)?)?;
    if raw.starts_with(['"', '\'', '|', '>']) {
        return None;
    }
    let rest = src.get(start + len..)?;
    let line = rest.split('\n').next().unwrap_or("");
    let trimmed = line.trim_start_matches([' ', '\t']);
    let comment = trimmed.strip_prefix('#')?;
    let spaced = trimmed.len() < line.len() || raw.ends_with([' ', '\t']);
    let looks_like_text = comment.starts_with(|c: char| c.is_alphanumeric() || c == '_');
    (spaced && looks_like_text).then_some(trimmed.trim_end())
}

fn warn_cut(r: &mut Reader<'_>, text: &At<String>, key: &str, cut: &str) {
    let kept = text.value.trim_end();
    let whole = format!("{kept} {cut}")
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    let fix = if key == "-" {
        format!("- \"{whole}\"")
    } else {
        format!("{key}: \"{whole}\"")
    };
    r.warn(
        text.loc,
        format!(
            "the text stops before `{cut}`: an unquoted ` #` starts a YAML comment, so this posts `{kept}`"
        ),
        format!("quote the whole text: `{fix}`"),
    );
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::plan::load::load_str_warned;
    use crate::plan::validate::tests::BASE;

    fn warnings(src: &str) -> Vec<(usize, usize, String, String)> {
        let loaded = load_str_warned(Path::new("t.yaml"), src);
        assert!(loaded.plan.is_ok(), "{:#?}", loaded.plan.err());
        loaded
            .warnings
            .into_iter()
            .map(|d| (d.line, d.column, d.message, d.help.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn an_unquoted_hash_that_cuts_a_text_is_a_warning_with_the_fix() {
        let src = format!("{BASE}welcome: Hi all, it is #edchat time!\n");
        let found = warnings(&src);
        assert_eq!(found.len(), 1, "{found:#?}");
        let (line, column, message, help) = &found[0];
        assert_eq!((*line, *column), (11, 10));
        assert_eq!(
            message,
            "the text stops before `#edchat time!`: an unquoted ` #` starts a YAML comment, so this posts `Hi all, it is`"
        );
        assert_eq!(
            help,
            "quote the whole text: `welcome: \"Hi all, it is #edchat time!\"`"
        );
    }

    #[test]
    fn question_items_and_question_texts_are_checked() {
        let src = BASE.replace("text: Second?", "text: Second? #tag")
            + "  - Third, with #edchat friends?\n";
        let found = warnings(&src);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!((found[0].0, found[0].1), (10, 11));
        assert!(
            found[0].3.contains("`text: \"Second? #tag\"`"),
            "{}",
            found[0].3
        );
        assert_eq!((found[1].0, found[1].1), (11, 5));
        assert!(
            found[1].3.contains("`- \"Third, with #edchat friends?\"`"),
            "{}",
            found[1].3
        );
    }

    #[test]
    fn real_comments_and_quoted_texts_are_left_alone() {
        let src = format!(
            "{BASE}welcome: \"Hi all, it is #edchat time!\"\nwrapup: Bye  # a note for co-hosts\nthanks:\n  text: |\n    Thanks #edchat {{mentions}}\n"
        );
        assert!(warnings(&src).is_empty());
    }
}
