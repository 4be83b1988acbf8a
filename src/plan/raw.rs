//! The chat file as written: every key, each value with its location, read
//! from a [`Node`] tree by hand so that every wrong key or type is reported,
//! not just the first (a derived serde struct stops at the first error).
//!
//! Nothing here checks meaning (zones, times, templates): that is
//! [`super::validate`]. This module only knows shapes.

use super::Diagnostic;
use super::keys::{self, line as example};
use super::node::{Loc, Node, Value};
use super::zones::closest;
use crate::text::PlatformKind;
use std::path::Path;

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct At<T> {
    pub value: T,
    pub loc: Loc,
}

/// An item that `false` turns off and omission leaves at its default.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Toggle<T> {
    /// Omitted (or `true`): the default.
    #[default]
    Default,
    /// `false`.
    Off,
    On(T),
}

/// Every top-level key of a chat file.
#[derive(Debug, Clone, Default)]
pub struct RawChat {
    pub title: Option<At<String>>,
    pub hashtag: Option<At<String>>,
    pub timezone: Option<At<String>>,
    pub start: Option<At<String>>,
    pub repeat: Option<At<String>>,
    pub from: Option<At<String>>,
    pub until: Option<At<String>>,
    pub duration: Option<At<String>>,
    pub show_times_in: Vec<At<String>>,
    pub accounts: Option<At<Vec<At<String>>>>,
    pub thread: Option<At<bool>>,
    pub visibility: Option<At<String>>,
    pub language: Option<At<String>>,
    pub announce: Toggle<Vec<RawAnnounce>>,
    pub welcome: Toggle<At<String>>,
    pub questions: Option<At<Vec<RawQuestion>>>,
    pub question_format: Option<At<String>>,
    pub wrapup: Toggle<At<String>>,
    pub thanks: Toggle<RawThanks>,
    pub count: Option<At<String>>,
    pub number_from: Option<At<String>>,
    /// `sessions:` in the file, in file order; `None` when absent.
    pub sessions: Option<At<Vec<RawSession>>>,
    /// Per-network versions of the texts above.
    pub variants: Vec<RawVariant>,
}

/// Which text a per-network version belongs to: of the chat, or of one
/// session (its own list of versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Item {
    Welcome,
    Wrapup,
    Thanks,
    /// 0-based, in file order.
    Announce(usize),
    /// 0-based, in file order.
    Question(usize),
}

/// `x: "…"` (or `mastodon`, `bluesky`) beside a `text`.
#[derive(Debug, Clone, PartialEq)]
pub struct RawVariant {
    pub item: Item,
    pub platform: PlatformKind,
    pub text: At<String>,
}

/// One session of a `repeat` chat, as written under `sessions:` or in its
/// own file. `Toggle::Default` means "the chat's".
#[derive(Debug, Clone, Default)]
pub struct RawSession {
    /// The key as written (`2026-12-09`, `2026-12-09 12:00`); for a
    /// session file, its name.
    pub date: At<String>,
    pub topic: Option<At<String>>,
    pub host: Vec<At<String>>,
    pub questions: Option<At<Vec<RawQuestion>>>,
    pub welcome: Toggle<At<String>>,
    pub wrapup: Toggle<At<String>>,
    pub announce: Toggle<Vec<RawAnnounce>>,
    pub thanks: Toggle<At<String>>,
    pub start: Option<At<String>>,
    /// `skip: true` (no reason), `skip: "reason"`; absent or `false`: held.
    pub skip: Option<At<Option<String>>>,
    pub variants: Vec<RawVariant>,
}

impl<T: Default> Default for At<T> {
    fn default() -> Self {
        At {
            value: T::default(),
            loc: Loc::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawAnnounce {
    pub before: Option<At<String>>,
    pub text: Option<At<String>>,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawQuestion {
    pub at: Option<At<String>>,
    pub text: At<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawThanks {
    pub after: Option<At<String>>,
    pub text: Option<At<String>>,
    pub exclude: Vec<At<String>>,
    pub search: Option<At<bool>>,
}

/// Collects diagnostics for one file while its tree is read.
pub struct Reader<'a> {
    pub path: &'a Path,
    pub src: &'a str,
    pub diags: Vec<Diagnostic>,
    /// Problems that do not stop the plan from loading.
    pub warnings: Vec<Diagnostic>,
}

impl<'a> Reader<'a> {
    pub fn new(path: &'a Path, src: &'a str) -> Self {
        Self {
            path,
            src,
            diags: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Records a warning at `loc`: the plan still loads.
    pub fn warn(&mut self, loc: Loc, message: impl Into<String>, help: impl Into<String>) {
        let line = loc.line.max(1);
        let column = loc.column.max(1);
        self.warnings.push(
            Diagnostic::new(self.path, line, column, message)
                .help(help)
                .warning(),
        );
    }

    /// Records a problem at `loc`.
    pub fn error(&mut self, loc: Loc, message: impl Into<String>, help: impl Into<String>) {
        let line = loc.line.max(1);
        let column = loc.column.max(1);
        self.diags
            .push(Diagnostic::new(self.path, line, column, message).help(help));
    }

    /// Reads the whole file.
    pub fn chat(&mut self, root: &Node) -> RawChat {
        let mut chat = RawChat::default();
        if matches!(root.value, Value::Null) {
            self.error(
                root.loc,
                "the chat file is empty",
                format!("start with `{}`", example("title")),
            );
            return chat;
        }
        let known = keys::names(keys::TOP);
        for (key, value) in self.entries(root, "the chat file", &known) {
            self.top_level(&mut chat, key, value);
        }
        chat
    }

    fn top_level(&mut self, chat: &mut RawChat, key: &str, value: &Node) {
        match key {
            "title" => chat.title = self.string(value, key),
            "hashtag" => chat.hashtag = self.string(value, key),
            "timezone" => chat.timezone = self.string(value, key),
            "start" => chat.start = self.string(value, key),
            "repeat" => chat.repeat = self.string(value, key),
            "from" => chat.from = self.string(value, key),
            "until" => chat.until = self.string(value, key),
            "duration" => chat.duration = self.string(value, key),
            "show_times_in" => chat.show_times_in = self.strings(value, key),
            "accounts" => {
                chat.accounts = Some(At {
                    value: self.strings(value, key),
                    loc: value.loc,
                })
            }
            "thread" => chat.thread = self.boolean(value, key),
            "visibility" => chat.visibility = self.string(value, key),
            "language" => chat.language = self.string(value, key),
            "announce" => chat.announce = self.announce(value, &mut chat.variants),
            "welcome" => {
                chat.welcome = self.toggle_text(value, key, Item::Welcome, &mut chat.variants)
            }
            "questions" => chat.questions = self.questions(value, &mut chat.variants),
            "question_format" => chat.question_format = self.string(value, key),
            "wrapup" => {
                chat.wrapup = self.toggle_text(value, key, Item::Wrapup, &mut chat.variants)
            }
            "thanks" => chat.thanks = self.thanks(value, &mut chat.variants),
            "count" => chat.count = self.string(value, key),
            "number_from" => chat.number_from = self.string(value, key),
            "sessions" => chat.sessions = self.sessions(value),
            _ => self.unread(key, value),
        }
    }

    /// The entries of a mapping whose keys are in `known`; reports unknown
    /// and non-string keys and a non-mapping node.
    fn entries<'n, 'k>(
        &mut self,
        node: &'n Node,
        what: &str,
        known: &[&'k str],
    ) -> Vec<(&'k str, &'n Node)> {
        let Value::Map(entries) = &node.value else {
            self.error(
                node.loc,
                format!(
                    "expected a mapping of keys for {what}, found {}",
                    node.value.kind()
                ),
                format!("write `key: value` lines; keys are {}", known.join(", ")),
            );
            return Vec::new();
        };
        let src = self.src;
        let mut out = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            let name = match &key.value {
                Value::Str(s) => s.as_str(),
                _ => key.source_text(src).unwrap_or("?"),
            };
            // The known name itself, so no key is copied.
            if let Some(known) = known.iter().find(|k| **k == name) {
                out.push((*known, value));
                continue;
            }
            let help = match closest(name, known.iter().copied(), 1).first() {
                Some(best) => format!(
                    "did you mean `{best}`? expected one of {}",
                    known.join(", ")
                ),
                None => format!("expected one of {}", known.join(", ")),
            };
            self.error(key.loc, format!("unknown key `{name}` in {what}"), help);
        }
        out
    }

    /// A key listed in [`keys`] that this reader has no arm for: a bug in
    /// tweetchat, reported rather than ignored so the schema tests catch it.
    fn unread(&mut self, key: &str, value: &Node) {
        self.error(
            value.loc,
            format!("tweetchat lists `{key}` as a key but does not read it (a bug)"),
            "please report it; remove the key meanwhile",
        );
    }

    /// A scalar read as text; numbers keep the digits as written.
    pub fn string(&mut self, node: &Node, key: &str) -> Option<At<String>> {
        let text = match &node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(_) | Value::Float(_) => node
                .source_text(self.src)
                .map(str::to_string)
                .or_else(|| Some(scalar_text(&node.value))),
            _ => None,
        };
        match text {
            Some(value) => Some(At {
                value,
                loc: node.loc,
            }),
            None => {
                let quote = if node.value == Value::Null
                    && (key == "hashtag" || self.comment_on_line(node.loc))
                {
                    " (quote it: an unquoted # starts a YAML comment)"
                } else {
                    ""
                };
                self.error(
                    node.loc,
                    format!("expected text for `{key}`, found {}", node.value.kind()),
                    format!("write it like `{}`{quote}", example(key)),
                );
                None
            }
        }
    }

    /// The line of `loc` holds a `#` that YAML read as a comment.
    fn comment_on_line(&self, loc: Loc) -> bool {
        let line = self
            .src
            .lines()
            .nth(loc.line.saturating_sub(1))
            .unwrap_or("");
        line.contains(": #") || line.trim_start().starts_with("- #")
    }

    /// A list item that YAML read as a one-entry mapping because of a `: `
    /// in unquoted text (`- What is one thing: your answer?`): one error
    /// that says so, instead of an unknown key and a missing `text`.
    fn colon_trap(&mut self, item: &Node, known: &[&str]) -> bool {
        let Value::Map(entries) = &item.value else {
            return false;
        };
        let [(key, value)] = entries.as_slice() else {
            return false;
        };
        let (Value::Str(name), Value::Str(_) | Value::Null) = (&key.value, &value.value) else {
            return false;
        };
        let one_line = value.value == Value::Null || value.loc.line == key.loc.line;
        if known.contains(&name.as_str()) || !one_line {
            return false;
        }
        let line = self
            .src
            .lines()
            .nth(key.loc.line.saturating_sub(1))
            .unwrap_or("");
        let written = line.trim_start().trim_start_matches("- ").trim();
        let quote = |text: &str| text.replace('\\', "\\\\").replace('"', "\\\"");
        // `Q1: What …`: the question format numbers it already, so the
        // first answer says to drop the number, not only to quote.
        let help = match super::numbering::strip_own_number(written) {
            Some((own, rest)) => format!(
                "drop `{own}` (the question format numbers each question) and quote the rest: `- \"{}\"`; \
                 to keep your own numbers, quote it whole and set `question_format: \"{{text}}\"`",
                quote(rest)
            ),
            None => format!("quote the whole question: `- \"{}\"`", quote(written)),
        };
        self.error(
            item.loc,
            format!("this question was read as `key: value` because of the `: ` after `{name}`"),
            help,
        );
        true
    }

    fn strings(&mut self, node: &Node, key: &str) -> Vec<At<String>> {
        let Value::Seq(items) = &node.value else {
            self.error(
                node.loc,
                format!("expected a list for `{key}`, found {}", node.value.kind()),
                format!("write it like `{}`", example(key)),
            );
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| self.string(item, key))
            .collect()
    }

    fn boolean(&mut self, node: &Node, key: &str) -> Option<At<bool>> {
        match node.value {
            Value::Bool(value) => Some(At {
                value,
                loc: node.loc,
            }),
            _ => {
                self.error(
                    node.loc,
                    format!(
                        "expected true or false for `{key}`, found {}",
                        node.value.kind()
                    ),
                    format!("write `{key}: true` or `{key}: false`"),
                );
                None
            }
        }
    }

    fn toggle_text(
        &mut self,
        node: &Node,
        key: &str,
        item: Item,
        variants: &mut Vec<RawVariant>,
    ) -> Toggle<At<String>> {
        match node.value {
            Value::Bool(false) => Toggle::Off,
            Value::Bool(true) => Toggle::Default,
            Value::Map(_) => self
                .text_with_variants(node, key, item, variants)
                .map_or(Toggle::Default, Toggle::On),
            _ => self.string(node, key).map_or(Toggle::Default, Toggle::On),
        }
    }

    /// `{text, x, mastodon, bluesky}`: the text, with the versions pushed
    /// onto `variants`.
    fn text_with_variants(
        &mut self,
        node: &Node,
        key: &str,
        item: Item,
        variants: &mut Vec<RawVariant>,
    ) -> Option<At<String>> {
        let mut text = None;
        let mut has_text = false;
        let known = keys::names(keys::VARIANTS);
        let what = format!("`{key}`");
        for (name, value) in self.entries(node, &what, &known) {
            if name == "text" {
                has_text = true;
                text = self.string(value, "text");
            } else {
                self.variant(name, value, item, variants);
            }
        }
        if !has_text {
            self.error(
                node.loc,
                format!("{what} written as a mapping needs `text`"),
                format!("add `text: \"…\"` (the version every network gets unless it has its own), or write `{key}: \"…\"`"),
            );
        }
        text
    }

    /// One `x:`/`mastodon:`/`bluesky:` version of `item`.
    fn variant(&mut self, name: &str, value: &Node, item: Item, variants: &mut Vec<RawVariant>) {
        let platform = match name {
            "x" => PlatformKind::X,
            "mastodon" => PlatformKind::Mastodon,
            "bluesky" => PlatformKind::Bluesky,
            _ => return self.unread(name, value),
        };
        if let Some(text) = self.string(value, name) {
            variants.push(RawVariant {
                item,
                platform,
                text,
            });
        }
    }

    fn announce(
        &mut self,
        node: &Node,
        variants: &mut Vec<RawVariant>,
    ) -> Toggle<Vec<RawAnnounce>> {
        match &node.value {
            Value::Bool(false) => Toggle::Off,
            Value::Bool(true) => Toggle::Default,
            Value::Seq(items) => Toggle::On(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.announcement(item, i, variants))
                    .collect(),
            ),
            _ => {
                self.error(
                    node.loc,
                    format!(
                        "expected a list of announcements, found {}",
                        node.value.kind()
                    ),
                    format!(
                        "write it like `{}`, or `announce: false`",
                        example("announce")
                    ),
                );
                Toggle::Default
            }
        }
    }

    fn announcement(
        &mut self,
        item: &Node,
        index: usize,
        variants: &mut Vec<RawVariant>,
    ) -> RawAnnounce {
        let mut entry = RawAnnounce {
            before: None,
            text: None,
            loc: item.loc,
        };
        let mut has_before = false;
        let known = keys::names(keys::ANNOUNCE);
        for (key, value) in self.entries(item, "an announcement", &known) {
            match key {
                "before" => {
                    has_before = true;
                    entry.before = self.string(value, "before");
                }
                "text" => entry.text = self.string(value, "text"),
                _ => self.variant(key, value, Item::Announce(index), variants),
            }
        }
        if !has_before && matches!(item.value, Value::Map(_)) {
            self.error(
                item.loc,
                "an announcement needs `before`",
                "add `before: 1d` (how long before the start)",
            );
        }
        entry
    }

    fn questions(
        &mut self,
        node: &Node,
        variants: &mut Vec<RawVariant>,
    ) -> Option<At<Vec<RawQuestion>>> {
        let Value::Seq(items) = &node.value else {
            self.error(
                node.loc,
                format!("expected a list of questions, found {}", node.value.kind()),
                format!("write it like `{}`", example("questions")),
            );
            return None;
        };
        let mut out = Vec::new();
        for item in items {
            if !matches!(item.value, Value::Map(_)) {
                if let Some(text) = self.string(item, "questions") {
                    out.push(RawQuestion { at: None, text });
                }
                continue;
            }
            let known = keys::names(keys::QUESTION);
            if self.colon_trap(item, &known) {
                continue;
            }
            let mut at = None;
            let mut text = None;
            for (key, value) in self.entries(item, "a question", &known) {
                match key {
                    "at" => at = self.string(value, "at"),
                    "text" => text = self.string(value, "text"),
                    _ => self.variant(key, value, Item::Question(out.len()), variants),
                }
            }
            match text {
                Some(text) => out.push(RawQuestion { at, text }),
                None => self.error(
                    item.loc,
                    "a question needs `text`",
                    "add `text: Your question?` (and optionally `at: 15m`)",
                ),
            }
        }
        Some(At {
            value: out,
            loc: node.loc,
        })
    }

    fn thanks(&mut self, node: &Node, variants: &mut Vec<RawVariant>) -> Toggle<RawThanks> {
        match node.value {
            Value::Bool(false) => return Toggle::Off,
            Value::Bool(true) => return Toggle::Default,
            Value::Str(_) => {
                self.error(
                    node.loc,
                    "`thanks` takes keys, not a text",
                    "write `thanks:` and below it `  text: \"Thank you {mentions}\"` (and `  after: 10m`), or `thanks: false`",
                );
                return Toggle::Default;
            }
            _ => {}
        }
        let mut thanks = RawThanks::default();
        let known = keys::names(keys::THANKS);
        for (key, value) in self.entries(node, "`thanks`", &known) {
            match key {
                "after" => thanks.after = self.string(value, "after"),
                "text" => thanks.text = self.string(value, "text"),
                "exclude" => thanks.exclude = self.strings(value, "exclude"),
                "search" => thanks.search = self.boolean(value, "search"),
                _ => self.variant(key, value, Item::Thanks, variants),
            }
        }
        Toggle::On(thanks)
    }
}

impl Reader<'_> {
    /// `sessions:`: a mapping from dates to sessions.
    fn sessions(&mut self, node: &Node) -> Option<At<Vec<RawSession>>> {
        let Value::Map(entries) = &node.value else {
            self.error(
                node.loc,
                format!(
                    "expected `sessions` as a mapping keyed by date, found {}",
                    node.value.kind()
                ),
                "write `sessions:`, then each session's date on its own line (`  2026-12-09:`) \
                 with its keys indented below it (`    topic: …`)",
            );
            return None;
        };
        let sessions = entries
            .iter()
            .map(|(key, value)| {
                let date = match &key.value {
                    Value::Str(s) => s.clone(),
                    _ => key.source_text(self.src).unwrap_or("?").to_string(),
                };
                let date = At {
                    value: date,
                    loc: key.loc,
                };
                self.session(value, date)
            })
            .collect();
        Some(At {
            value: sessions,
            loc: node.loc,
        })
    }

    /// One session's keys (an entry of `sessions:`, or a session file's
    /// whole tree), dated `date`.
    pub fn session(&mut self, node: &Node, date: At<String>) -> RawSession {
        let mut session = RawSession {
            date,
            ..RawSession::default()
        };
        if matches!(node.value, Value::Null) {
            self.error(
                node.loc,
                format!("session {} has nothing in it", session.date.value),
                "give it keys like `topic: …` and `questions:`, or `skip: true`",
            );
            return session;
        }
        let known = keys::names(keys::SESSION);
        let what = format!("session {}", session.date.value.trim());
        let variants = &mut session.variants;
        for (key, value) in self.entries(node, &what, &known) {
            match key {
                "topic" => session.topic = self.string(value, key),
                "host" => {
                    session.host = match value.value {
                        Value::Seq(_) => self.strings(value, key),
                        _ => self.string(value, key).into_iter().collect(),
                    }
                }
                "questions" => session.questions = self.questions(value, variants),
                "welcome" => {
                    session.welcome = self.toggle_text(value, key, Item::Welcome, variants)
                }
                "wrapup" => session.wrapup = self.toggle_text(value, key, Item::Wrapup, variants),
                "announce" => session.announce = self.announce(value, variants),
                "thanks" => session.thanks = self.toggle_text(value, key, Item::Thanks, variants),
                "start" => session.start = self.string(value, key),
                "skip" => {
                    session.skip = match &value.value {
                        Value::Bool(false) => None,
                        Value::Bool(true) => Some(At {
                            value: None,
                            loc: value.loc,
                        }),
                        // YAML 1.1's booleans read as words here: `skip: no`
                        // must not skip with the reason "no".
                        Value::Str(word)
                            if ["yes", "no", "on", "off", "y", "n"]
                                .contains(&word.trim().to_lowercase().as_str()) =>
                        {
                            self.error(
                                value.loc,
                                format!("`skip: {}` is not clear: is the session skipped?", word.trim()),
                                "write `skip: true` (or the reason, like `skip: Holiday week`) to skip it, or remove `skip` to hold it",
                            );
                            None
                        }
                        _ => self.string(value, key).map(|reason| At {
                            value: Some(reason.value),
                            loc: reason.loc,
                        }),
                    }
                }
                _ => self.unread(key, value),
            }
        }
        session
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::Int(n) => n.to_string(),
        Value::Float(f) => f.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::node;

    fn read(src: &str) -> (RawChat, Vec<Diagnostic>) {
        let root = node::parse(src).unwrap();
        let mut reader = Reader::new(Path::new("t.yaml"), src);
        let chat = reader.chat(&root);
        (chat, reader.diags)
    }

    #[test]
    fn reads_every_shape() {
        let src = "title: T\nhashtag: '#t'\nquestions:\n  - One?\n  - at: 5m\n    text: Two?\nwelcome: false\nthanks:\n  exclude: [bot]\n  search: false\nannounce:\n  - before: 1d\nthread: true\n";
        let (chat, diags) = read(src);
        assert!(diags.is_empty(), "{diags:?}");
        let questions = chat.questions.unwrap().value;
        assert_eq!(questions[0].text.value, "One?");
        assert_eq!(questions[1].at.as_ref().unwrap().value, "5m");
        assert_eq!(chat.welcome, Toggle::Off);
        assert_eq!(chat.wrapup, Toggle::Default);
        let Toggle::On(thanks) = chat.thanks else {
            panic!()
        };
        assert_eq!(thanks.exclude[0].value, "bot");
        assert!(!thanks.search.unwrap().value);
        assert!(chat.thread.unwrap().value);
    }

    #[test]
    fn numbers_keep_their_digits() {
        let (chat, diags) = read("title: 1.10\n");
        assert!(diags.is_empty());
        assert_eq!(chat.title.unwrap().value, "1.10");
    }

    #[test]
    fn reports_every_unknown_key_and_wrong_type() {
        let src = "title: [a]\ntitel: x\nquestions:\n  - at: 5m\n    txt: Hi\nthread: maybe\n";
        let (_, diags) = read(src);
        let found: Vec<_> = diags.iter().map(|d| (d.line, d.column)).collect();
        assert_eq!(
            found,
            vec![(2, 1), (1, 8), (5, 5), (4, 5), (6, 9)],
            "{diags:#?}"
        );
        assert!(diags[0].message.contains("unknown key `titel`"));
        assert!(
            diags[0]
                .help
                .as_deref()
                .unwrap()
                .contains("did you mean `title`")
        );
        assert!(
            diags[2]
                .help
                .as_deref()
                .unwrap()
                .contains("did you mean `text`")
        );
        assert!(diags[3].message.contains("needs `text`"));
        assert!(diags[4].help.as_deref().unwrap().contains("thread: true"));
    }

    #[test]
    fn announcements_need_before_once() {
        let (_, diags) = read("announce:\n  - text: Soon\n  - before: [1d]\n  - 1d\n");
        let found: Vec<_> = diags
            .iter()
            .map(|d| (d.line, d.column, d.message.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                (2, 5, "an announcement needs `before`"),
                (3, 13, "expected text for `before`, found a list"),
                (
                    4,
                    5,
                    "expected a mapping of keys for an announcement, found a string"
                ),
            ]
        );
    }

    #[test]
    fn thanks_as_a_bare_text_says_how_to_write_it() {
        let (_, diags) = read("thanks: Thanks all!\n");
        assert_eq!((diags[0].line, diags[0].column), (1, 9));
        assert!(diags[0].help.as_deref().unwrap().contains("text: "));
    }

    #[test]
    fn a_list_at_the_top_is_explained() {
        let (_, diags) = read("- a\n- b\n");
        assert_eq!((diags[0].line, diags[0].column), (1, 1));
        assert!(diags[0].message.contains("expected a mapping"));
    }
}
