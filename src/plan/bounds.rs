//! Limits on what a chat file may hold, checked on the YAML tree before
//! anything reads its meaning.
//!
//! A chat file is input the daemon must survive whatever it holds: one file
//! whose question repeats `{title}` 3,000 times over a title of a megabyte
//! once made every check and render build gigabytes, and the daemon (which
//! reloads the file on every start) abort again and again while the good
//! chats beside it stopped. So every value has a size that fits the networks
//! with room to spare, every list a length, and control characters (which
//! reach posts, terminals and log lines) are refused where they stand:
//!
//! | what                                        | at most                |
//! |---------------------------------------------|------------------------|
//! | the file                                    | [`MAX_FILE_BYTES`]     |
//! | `title`                                     | [`MAX_TITLE_CHARS`]    |
//! | a text (question, welcome, announcement …)  | [`MAX_TEXT_CHARS`]     |
//! | a zone name                                 | [`MAX_ZONE_CHARS`]     |
//! | a hashtag, a name, a key, any one-line value| [`MAX_LINE_CHARS`]     |
//! | the entries of one list or mapping          | [`MAX_ENTRIES`]        |
//!
//! A value over its limit is an error and is then cut to the limit in the
//! tree, so the checks after this one (placeholders, zone suggestions,
//! renders) do bounded work and still report everything else in the file.
//!
//! Control characters (Unicode's `Cc`: U+0000–U+001F, U+007F–U+009F) are
//! errors with their code point and position, except the line break `\n`
//! in texts. Which values are texts is told by the nearest key above them
//! (`welcome`, `text`, `questions` …), so new keys that hold texts only need
//! their name in [`TEXT_KEYS`].

use super::Diagnostic;
use super::node::{Loc, Node, Value};
use super::raw::Reader;
use super::templates::line_column_in;

/// The largest chat file read: the longest real season of chats is a few
/// dozen kilobytes.
pub const MAX_FILE_BYTES: u64 = 1 << 20;
/// A title goes into posts beside the time and the hashtag.
pub const MAX_TITLE_CHARS: usize = 200;
/// Twice the longest post a network takes by default (Mastodon's 500).
pub const MAX_TEXT_CHARS: usize = crate::text::template::MAX_RENDERED_CHARS;
/// The longest IANA name is 32 characters.
pub const MAX_ZONE_CHARS: usize = 64;
/// Hashtags, account names, handles, keys, dates, durations, cron lines.
pub const MAX_LINE_CHARS: usize = 200;
/// Questions, announcements, zones, accounts, sessions … in one list.
pub const MAX_ENTRIES: usize = 1_000;
/// Values (keys, scalars, lists) in the whole file: a season of a year of
/// weekly sessions is a few thousand. Past this the file is not read on,
/// so a file of a hundred thousand unknown keys costs one error, not a
/// hundred thousand suggestions.
pub const MAX_VALUES: usize = 20_000;

/// Keys whose values are post texts: line breaks allowed, the longer limit.
/// A value under a list or a mapping takes the nearest key above it.
pub const TEXT_KEYS: &[&str] = &[
    "welcome",
    "wrapup",
    "question_format",
    "text",
    "questions",
    "announce",
    "thanks",
    "topic",
    "skip",
    "x",
    "mastodon",
    "bluesky",
];

/// Keys that name time zones.
const ZONE_KEYS: &[&str] = &["timezone", "show_times_in"];

/// What a string value is, by the key above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Title,
    Text,
    Zone,
    Line,
    Key,
}

impl Kind {
    fn of(key: &str) -> Kind {
        if key == "title" {
            Kind::Title
        } else if TEXT_KEYS.contains(&key) {
            Kind::Text
        } else if ZONE_KEYS.contains(&key) {
            Kind::Zone
        } else {
            Kind::Line
        }
    }

    fn limit(self) -> usize {
        match self {
            Kind::Title => MAX_TITLE_CHARS,
            Kind::Text => MAX_TEXT_CHARS,
            Kind::Zone => MAX_ZONE_CHARS,
            Kind::Line | Kind::Key => MAX_LINE_CHARS,
        }
    }

    /// Why the limit is what it is, for the help.
    fn why(self) -> &'static str {
        match self {
            Kind::Title => "a title goes into posts beside the time and the hashtag",
            Kind::Text => "twice the longest post a network takes",
            Kind::Zone => "zone names are short, like `America/Chicago`",
            Kind::Line => "this value is one short line",
            Kind::Key => "keys are short words, like `questions`",
        }
    }
}

/// Checks every value of the tree, reporting into `r`, and cuts what is too
/// long or too many to its limit. `false` when the file holds more than
/// [`MAX_VALUES`] values: then it was reported and must not be read on.
pub(super) fn check(r: &mut Reader<'_>, root: &mut Node) -> bool {
    let values = count(root, MAX_VALUES + 1);
    if values > MAX_VALUES {
        r.error(
            Loc::default(),
            format!("the file holds more than {MAX_VALUES} values (keys, texts, list items)"),
            "split the chat into several files",
        );
        return false;
    }
    visit(r, root, "");
    true
}

/// The values in `node`, counted up to `stop` (and no further). A loop,
/// not a recursion: a file of a hundred thousand `[` is deep.
fn count(node: &Node, stop: usize) -> usize {
    let mut seen = 0;
    let mut pending = vec![node];
    while let Some(node) = pending.pop() {
        seen += 1;
        if seen >= stop {
            break;
        }
        match &node.value {
            Value::Seq(items) => pending.extend(items),
            Value::Map(entries) => {
                seen += entries.len();
                pending.extend(entries.iter().map(|(_, v)| v));
            }
            _ => {}
        }
    }
    seen
}

fn visit(r: &mut Reader<'_>, node: &mut Node, key: &str) {
    let loc = node.loc;
    match &mut node.value {
        Value::Str(text) => string(r, loc, text, Kind::of(key), key),
        Value::Seq(items) => {
            too_many(r, loc, items, key);
            for item in items {
                visit(r, item, key);
            }
        }
        Value::Map(entries) => {
            too_many(r, loc, entries, key);
            for (k, v) in entries {
                let name = match &mut k.value {
                    Value::Str(name) => {
                        string(r, k.loc, name, Kind::Key, key);
                        name.clone()
                    }
                    _ => String::new(),
                };
                visit(r, v, &name);
            }
        }
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => {}
    }
}

fn too_many<T>(r: &mut Reader<'_>, loc: Loc, items: &mut Vec<T>, key: &str) {
    if items.len() <= MAX_ENTRIES {
        return;
    }
    let what = if key.is_empty() {
        "the file".to_string()
    } else {
        format!("`{key}`")
    };
    r.error(
        loc,
        format!(
            "{what} has {} entries, over the limit of {MAX_ENTRIES}",
            items.len()
        ),
        "split the chat into several files",
    );
    items.truncate(MAX_ENTRIES);
}

fn string(r: &mut Reader<'_>, loc: Loc, text: &mut String, kind: Kind, key: &str) {
    let what = match kind {
        Kind::Key => "a key".to_string(),
        _ if key.is_empty() => "a value".to_string(),
        _ => format!("`{key}`"),
    };
    if let Some((at, c)) = text
        .char_indices()
        .find(|&(_, c)| c.is_control() && !(c == '\n' && kind == Kind::Text))
    {
        let (line, column) = position(r.src, loc, text, at, c);
        let help = if kind == Kind::Text {
            "remove it: a text may hold line breaks but no other control characters"
        } else if c == '\n' || c == '\r' {
            "write it on one line: this value cannot hold a line break"
        } else {
            "remove it: this value is plain text on one line"
        };
        let help = if c == '\t' {
            format!("{help} (write spaces instead of a tab)")
        } else {
            help.to_string()
        };
        r.diags.push(
            Diagnostic::new(
                r.path,
                line,
                column,
                format!("{what} holds the control character {}", code_point(c)),
            )
            .help(help),
        );
    }
    let limit = kind.limit();
    // Counting stops past the limit: a megabyte is not walked to say so.
    if text.len() > limit
        && let Some((cut, _)) = text.char_indices().nth(limit)
    {
        let length = text.chars().count();
        r.error(
            loc,
            format!("{what} is {length} characters long, over the limit of {limit}"),
            format!("shorten it to at most {limit} characters: {}", kind.why()),
        );
        text.truncate(cut);
    }
}

/// `U+001B (escape)`: the code point and a name people know.
pub fn code_point(c: char) -> String {
    let name = match c {
        '\0' => " (NUL)",
        '\t' => " (tab)",
        '\n' => " (line break)",
        '\r' => " (carriage return)",
        '\x1b' => " (escape)",
        '\x7f' => " (delete)",
        _ => "",
    };
    format!("U+{:04X}{name}", u32::from(c))
}

/// Line and column of the character `c` at byte `at` of `value`, the text of
/// the scalar at `loc`: where it stands in the file when written as itself,
/// else (an escape such as `\e` in a quoted string) the scalar's start.
fn position(src: &str, loc: Loc, value: &str, at: usize, c: char) -> (usize, usize) {
    let fallback = (loc.line.max(1), loc.column.max(1));
    let Some((start, len)) = loc.bytes else {
        return fallback;
    };
    let Some(raw) = src.get(start..start.saturating_add(len)) else {
        return fallback;
    };
    let nth = value[..at].matches(c).count();
    match raw.match_indices(c).nth(nth) {
        Some((found, _)) => line_column_in(raw, loc, found),
        None => fallback,
    }
}

/// Every template of `plan` whose post would pass
/// [`crate::text::template::MAX_RENDERED_CHARS`] once filled in with the
/// plan's own title and hashtag and the longest `{time}` and `{times}`,
/// at the text that says so. A plan with such a template is not loaded:
/// the daemon would otherwise post it as written (see
/// [`crate::schedule`]'s fallback for a template that does not render).
pub(super) fn rendered(plan: &super::ChatPlan, spans: &super::PlanSpans) -> Vec<Diagnostic> {
    use crate::text::template::{TemplateError, Vars, render};
    // `{times}` as long as it gets: every zone with an offset for a name.
    let times = "00:00 UTC+05:45 Wed 30 Dec, ".repeat(plan.show_times_in.len() + 1);
    let when = super::hashtags::SampleWhen::of(plan);
    let vars = Vars {
        time: "00:00 UTC+05:45",
        times: &times,
        ..super::hashtags::sample_vars(plan, &when)
    };
    let mut texts: Vec<(&str, &str, Option<Loc>, Vars<'_>)> = Vec::new();
    for (i, a) in plan.announce.iter().enumerate() {
        let loc = spans.announce.get(i).copied();
        texts.push((plan.text(a.text), "an announcement", loc, vars.clone()));
    }
    texts.extend(
        plan.welcome()
            .map(|t| (t, "the welcome", spans.welcome, vars.clone())),
    );
    texts.extend(
        plan.wrapup()
            .map(|t| (t, "the wrap-up", spans.wrapup, vars.clone())),
    );
    texts.extend(
        plan.thanks_text()
            .map(|t| (t, "the thank-you", spans.thanks, vars.clone())),
    );
    let mut problems = Vec::new();
    let mut report = |what: &str, loc: Option<Loc>, err: TemplateError| {
        if let TemplateError::TooLong { limit, .. } = err {
            // A default text is not in the file: point at the title, which
            // it repeats, so the error still has a place to go.
            let (loc, help) = match loc {
                Some(loc) => (
                    loc,
                    "use fewer placeholders, a shorter text or a shorter title",
                ),
                None => (
                    spans.title.unwrap_or_default(),
                    "this is a default text: write your own, shorter one, list fewer `show_times_in` zones, or shorten the title",
                ),
            };
            problems.push(
                Diagnostic::new(
                    &plan.source,
                    loc.line.max(1),
                    loc.column.max(1),
                    format!("{what} passes {limit} characters once its placeholders are filled in"),
                )
                .help(help),
            );
        }
    };
    for (template, what, loc, vars) in texts {
        if let Err(err) = render(template, &vars) {
            report(what, loc, err);
        }
    }
    for (i, q) in plan.questions.iter().enumerate() {
        let loc = spans.questions.get(i).copied();
        let own = match render(plan.question_text(q), &vars) {
            Ok(own) => own,
            Err(err) => {
                report("a question", loc, err);
                continue;
            }
        };
        let with_format = Vars {
            n: Some(q.n),
            text: Some(&own),
            ..vars.clone()
        };
        if let Err(err) = render(plan.question_format(), &with_format) {
            report("a question with `question_format`", loc, err);
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::plan::load::load_str;
    use crate::plan::validate::tests::BASE;

    fn errors(src: &str) -> Vec<Diagnostic> {
        load_str(Path::new("t.yaml"), src).unwrap_err()
    }

    #[test]
    fn crlf_and_nul_in_a_title_are_errors_with_code_point_and_position() {
        let src = BASE.replace("title: Test chat", "title: \"Test\\r\\nBEGIN:VEVENT\"");
        let diags = errors(&src);
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert!(
            diags[0]
                .message
                .contains("`title` holds the control character U+000D (carriage return)"),
            "{}",
            diags[0]
        );
        assert_eq!((diags[0].line, diags[0].column), (1, 8));
        let src = BASE.replace("title: Test chat", "title: Test\0chat");
        let diags = errors(&src);
        assert!(
            diags
                .iter()
                .any(|d| d.message.contains("U+0000 (NUL)") || d.message.contains("YAML")),
            "{diags:#?}"
        );
        let src = BASE.replace("title: Test chat", "title: \"Test\\0chat\"");
        let diags = errors(&src);
        assert!(diags[0].message.contains("U+0000 (NUL)"), "{}", diags[0]);
    }

    #[test]
    fn an_escape_in_a_text_is_located_where_it_stands() {
        // YAML itself refuses a raw escape; a raw tab reaches the checks.
        let src = BASE.replace("text: First?", "text: \"Fir\tst?\"");
        let diags = errors(&src);
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert!(diags[0].message.contains("U+0009 (tab)"), "{}", diags[0]);
        assert!(
            diags[0]
                .help
                .as_deref()
                .unwrap()
                .contains("spaces instead of a tab")
        );
        let line = BASE
            .lines()
            .position(|l| l.contains("text: First?"))
            .unwrap();
        let column = BASE.lines().nth(line).unwrap().find("First").unwrap() + 5;
        assert_eq!((diags[0].line, diags[0].column), (line + 1, column));
        // A line break in a text is fine, in a hashtag it is not.
        let src = BASE.replace("text: First?", "text: \"First\\nline?\"");
        assert!(load_str(Path::new("t.yaml"), &src).is_ok());
        let src = BASE.replace("hashtag: \"#test\"", "hashtag: \"#te\\nst\"");
        let diags = errors(&src);
        assert!(
            diags.iter().any(|d| d
                .message
                .contains("`hashtag` holds the control character U+000A")),
            "{diags:#?}"
        );
    }

    #[test]
    fn a_file_with_windows_line_endings_still_loads() {
        let src = BASE.replace('\n', "\r\n") + "welcome: |\r\n  Hi\r\n  there {hashtag}\r\n";
        let plan = load_str(Path::new("t.yaml"), &src).unwrap();
        assert_eq!(plan.welcome(), Some("Hi\nthere {hashtag}\n"));
    }

    #[test]
    fn long_values_are_errors_and_cut_before_the_checks_after() {
        let title = "T".repeat(5_000);
        let question = "{title}".repeat(3_000);
        let src = BASE
            .replace("title: Test chat", &format!("title: {title}"))
            .replace("text: First?", &format!("text: \"{question}\""));
        let diags = errors(&src);
        let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
        assert!(
            messages.contains(&"`title` is 5000 characters long, over the limit of 200"),
            "{messages:#?}"
        );
        assert!(
            messages.contains(&"`text` is 21000 characters long, over the limit of 1000"),
            "{messages:#?}"
        );
        let zone = "Z".repeat(100_000);
        let diags = errors(&BASE.replace("America/Chicago", &zone));
        assert!(
            diags[0]
                .message
                .contains("`timezone` is 100000 characters long, over the limit of 64"),
            "{}",
            diags[0]
        );
    }

    #[test]
    fn a_template_that_renders_past_the_limit_is_located() {
        let title = "T".repeat(MAX_TITLE_CHARS);
        let question = "{title}".repeat(100);
        let src = BASE
            .replace("title: Test chat", &format!("title: {title}"))
            .replace("text: First?", &format!("text: \"{question}\""));
        let diags = errors(&src);
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert_eq!(
            diags[0].message,
            "a question passes 1000 characters once its placeholders are filled in"
        );
        assert_eq!((diags[0].line, diags[0].column), (8, 11));
    }

    #[test]
    fn a_file_of_too_many_values_is_one_error() {
        let mut src = BASE.to_string();
        for i in 0..MAX_VALUES {
            src.push_str(&format!("k{i}: 1\n"));
        }
        let diags = errors(&src);
        assert_eq!(diags.len(), 1, "{:#?}", &diags[..3]);
        assert!(diags[0].message.contains("more than 20000 values"));
    }

    #[test]
    fn too_many_entries_are_an_error() {
        let mut src = BASE.to_string();
        src.push_str("show_times_in:\n");
        for _ in 0..=MAX_ENTRIES {
            src.push_str("  - UTC\n");
        }
        let diags = errors(&src);
        assert!(
            diags
                .iter()
                .any(|d| d.message == "`show_times_in` has 1001 entries, over the limit of 1000"),
            "{diags:#?}"
        );
    }
}
