//! Placeholder checks for every template of a chat, located inside the YAML
//! scalar so the organizer sees the line and column of the bad `{name}`.
//!
//! Which placeholders a template may use depends on the item: `{n}` and
//! `{text}` only in `question_format`, `{mentions}` only in `thanks`.

use super::Diagnostic;
use super::node::Loc;
use super::raw::{At, Item, RawChat, RawSession, RawVariant, Reader, Toggle};
use super::season::SessionFile;
use crate::text::template::{PLACEHOLDERS, placeholders};

/// Placeholders every template may use.
pub const COMMON: &[&str] = &[
    "title", "hashtag", "time", "times", "date", "calendar", "topic", "host", "number", "page",
];
/// Every placeholder any template knows.
pub const ALL: &[&str] = &PLACEHOLDERS;

/// A placeholder problem at a byte offset of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub offset: usize,
    pub message: String,
    pub help: String,
}

/// Every problem of `template` given the placeholders `allowed` for `item`.
/// The syntax (`{name}`, `{{`/`}}` literal braces) is the renderer's own:
/// [`crate::text::template::placeholders`].
pub fn check(template: &str, item: &str, allowed: &[&str]) -> Vec<Problem> {
    match placeholders(template) {
        Ok(uses) => uses
            .into_iter()
            .filter_map(|used| {
                let problem = check_name(used.name, item, allowed)?;
                Some(Problem {
                    offset: used.offset,
                    ..problem
                })
            })
            .collect(),
        Err(err) => vec![Problem {
            offset: err.offset(),
            message: format!("unclosed `{{` in {item}"),
            help: "close the placeholder with `}`, or write `{{` for a literal brace".into(),
        }],
    }
}

fn check_name(name: &str, item: &str, allowed: &[&str]) -> Option<Problem> {
    if allowed.contains(&name) {
        return None;
    }
    let list: Vec<String> = allowed.iter().map(|a| format!("{{{a}}}")).collect();
    let message = if ALL.contains(&name) {
        format!("placeholder `{{{name}}}` is not available in {item}")
    } else {
        format!("unknown placeholder `{{{name}}}` in {item}")
    };
    let suggestion = super::zones::closest(name, allowed.iter().copied(), 1);
    let help = match suggestion.first() {
        Some(best) if !ALL.contains(&name) => {
            format!(
                "did you mean `{{{best}}}`? {item} may use {}",
                list.join(" ")
            )
        }
        _ => format!("{item} may use {}", list.join(" ")),
    };
    Some(Problem {
        offset: 0,
        message,
        help,
    })
}

/// Every template the file (and its session files) spells out, with the
/// placeholders it may use.
pub(super) fn check_chat(r: &mut Reader<'_>, chat: &RawChat, files: &[SessionFile]) {
    let items = chat_items(chat);
    report(r.path, r.src, &mut r.diags, items);
    for file in files {
        let mut items = Vec::new();
        session_items(&file.raw, &mut items, &with);
        report(&file.path, &file.src, &mut r.diags, items);
    }
}

/// Where `{name}` is first used among the chat's and its session files'
/// texts: the file (`None`: the chat file) and the text's place.
pub(super) fn first_use<'a>(
    chat: &'a RawChat,
    files: &'a [SessionFile],
    name: &str,
) -> Option<(Option<&'a std::path::Path>, Loc)> {
    let token = format!("{{{name}}}");
    if let Some((at, _, _)) = chat_items(chat)
        .into_iter()
        .find(|(at, _, _)| at.value.contains(&token))
    {
        return Some((None, at.loc));
    }
    files.iter().find_map(|file| {
        let mut items = Vec::new();
        session_items(&file.raw, &mut items, &with);
        items
            .into_iter()
            .find(|(at, _, _)| at.value.contains(&token))
            .map(|(at, _, _)| (Some(&*file.path), at.loc))
    })
}

fn with(extra: &[&'static str]) -> Vec<&'static str> {
    COMMON.iter().chain(extra).copied().collect()
}

/// Every template the chat file itself spells out.
fn chat_items(chat: &RawChat) -> Items<'_> {
    let mut items: Vec<(&At<String>, String, Vec<&str>)> = Vec::new();
    if let Toggle::On(w) = &chat.welcome {
        items.push((w, "welcome".into(), with(&[])));
    }
    if let Toggle::On(w) = &chat.wrapup {
        items.push((w, "wrapup".into(), with(&[])));
    }
    if let Some(f) = &chat.question_format {
        items.push((f, "question_format".into(), with(&["n", "text"])));
    }
    if let Toggle::On(t) = &chat.thanks
        && let Some(text) = &t.text
    {
        items.push((text, "thanks".into(), with(&["mentions"])));
    }
    if let Toggle::On(list) = &chat.announce {
        for a in list.iter().filter_map(|a| a.text.as_ref()) {
            items.push((a, "an announcement".into(), with(&[])));
        }
    }
    for q in chat.questions.iter().flat_map(|l| &l.value) {
        items.push((&q.text, "a question".into(), with(&[])));
    }
    variant_items(&chat.variants, &mut items, &with);
    for session in chat.sessions.iter().flat_map(|s| &s.value) {
        session_items(session, &mut items, &with);
    }
    items
}

type Items<'a> = Vec<(&'a At<String>, String, Vec<&'static str>)>;

fn session_items<'a>(
    session: &'a RawSession,
    items: &mut Items<'a>,
    with: &dyn Fn(&[&'static str]) -> Vec<&'static str>,
) {
    for (toggle, what, extra) in [
        (&session.welcome, "welcome", &[][..]),
        (&session.wrapup, "wrapup", &[][..]),
        (&session.thanks, "thanks", &["mentions"][..]),
    ] {
        if let Toggle::On(at) = toggle {
            items.push((at, what.into(), with(extra)));
        }
    }
    if let Toggle::On(list) = &session.announce {
        for a in list.iter().filter_map(|a| a.text.as_ref()) {
            items.push((a, "an announcement".into(), with(&[])));
        }
    }
    for q in session.questions.iter().flat_map(|l| &l.value) {
        items.push((&q.text, "a question".into(), with(&[])));
    }
    variant_items(&session.variants, items, with);
}

fn variant_items<'a>(
    variants: &'a [RawVariant],
    items: &mut Items<'a>,
    with: &dyn Fn(&[&'static str]) -> Vec<&'static str>,
) {
    for v in variants {
        let (what, extra): (&str, &[&'static str]) = match v.item {
            Item::Thanks => ("thanks", &["mentions"]),
            Item::Welcome => ("welcome", &[]),
            Item::Wrapup => ("wrapup", &[]),
            Item::Announce(_) => ("an announcement", &[]),
            Item::Question(_) => ("a question", &[]),
        };
        items.push((
            &v.text,
            format!("the {} version of {what}", v.platform),
            with(extra),
        ));
    }
}

fn report(path: &std::path::Path, src: &str, diags: &mut Vec<Diagnostic>, items: Items<'_>) {
    for (at, item, allowed) in items {
        for p in check(&at.value, &item, &allowed) {
            let (line, column) = locate(src, at.loc, &at.value, p.offset);
            diags.push(Diagnostic::new(path, line, column, p.message).help(p.help));
        }
    }
}

/// Line and column of byte `offset` of `value`, the text of the YAML scalar
/// at `loc` in `src`. Finds the same occurrence of the placeholder in the raw
/// scalar (quotes, escapes and folding change offsets, placeholders do not);
/// falls back to the scalar's start.
pub fn locate(src: &str, loc: Loc, value: &str, offset: usize) -> (usize, usize) {
    let fallback = (loc.line.max(1), loc.column.max(1));
    let Some((start, len)) = loc.bytes else {
        return fallback;
    };
    let Some(raw) = src.get(start..start.saturating_add(len)) else {
        return fallback;
    };
    let Some(rest) = value.get(offset..) else {
        return fallback;
    };
    let token_len = rest.find('}').map_or(rest.len(), |end| end + 1);
    let token = &rest[..token_len];
    let nth = value[..offset].matches(token).count();
    let Some((found, _)) = raw.match_indices(token).nth(nth) else {
        return fallback;
    };
    line_column_in(raw, loc, found)
}

/// Line and column of byte `pos` of `raw`, the source text of the node at
/// `loc`, counted from the node's own line and column: the work is the
/// node's length, not the file's, however many problems a file has.
pub fn line_column_in(raw: &str, loc: Loc, pos: usize) -> (usize, usize) {
    let before = raw.get(..pos).unwrap_or(raw);
    let line = loc.line.max(1);
    match before.rfind('\n') {
        None => (line, loc.column.max(1) + before.chars().count()),
        Some(last) => (
            line + before.matches('\n').count(),
            before[last + 1..].chars().count() + 1,
        ),
    }
}

/// 1-based line and column (in characters) of a byte position.
pub fn line_column(src: &str, pos: usize) -> (usize, usize) {
    let before = src.get(..pos).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::node;

    #[test]
    fn accepts_known_placeholders_and_literal_braces() {
        assert!(check("{title} at {times} {{x}} {hashtag}", "welcome", COMMON).is_empty());
        assert!(check("Q{n}. {text}", "question_format", &["n", "text"]).is_empty());
    }

    #[test]
    fn reports_unknown_unavailable_and_unclosed() {
        let problems = check("Hi {titel} and {mentions}", "welcome", COMMON);
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].offset, 3);
        assert!(
            problems[0]
                .message
                .contains("unknown placeholder `{titel}`")
        );
        assert!(problems[0].help.contains("did you mean `{title}`"));
        assert!(problems[1].message.contains("not available in welcome"));
        assert_eq!(problems[1].offset, 15);
        let problems = check("Hi {title", "welcome", COMMON);
        assert!(problems[0].message.contains("unclosed"));
        assert_eq!(problems[0].offset, 3);
    }

    #[test]
    fn locates_inside_plain_quoted_and_block_scalars() {
        let src = "a: x {bad}\nb: \"q\\t{bad}\"\nc: |\n  line\n  y {bad}\n";
        let root = node::parse(src).unwrap();
        let node::Value::Map(entries) = root.value else {
            panic!()
        };
        let spots: Vec<(usize, usize)> = entries
            .iter()
            .map(|(_, v)| {
                let node::Value::Str(text) = &v.value else {
                    panic!()
                };
                let offset = text.find("{bad}").unwrap();
                locate(src, v.loc, text, offset)
            })
            .collect();
        assert_eq!(spots, vec![(1, 6), (2, 8), (5, 5)]);
    }
}
