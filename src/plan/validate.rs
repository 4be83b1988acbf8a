//! Meaning checks that turn a parsed file into a [`super::ChatPlan`].
//!
//! Every check reports into the same [`Reader`] so a file with an unknown
//! key, a bad zone and a bad duration gets all three diagnostics. A plan is
//! built only when nothing was reported.

use std::borrow::Cow;
use std::sync::Arc;

use jiff::SignedDuration;
use jiff::tz::TimeZone;

use super::defaults::Stock;
use super::node::Loc;
use super::offsets::{non_negative, positive};
use super::raw::{At, RawAnnounce, RawChat, Reader, Toggle};
use super::season::{self, Season, SessionFile};
use super::{
    Announcement, ChatPlan, Diagnostic, PlanSpans, Text, TextsBuilder, Thanks, When, defaults,
    questions, templates, when, zones,
};

pub use super::accounts::AccountLimit;

/// Builds the plan with id `id` from a read file, or every problem in it.
pub fn build(r: Reader<'_>, chat: &RawChat, id: &str) -> Result<ChatPlan, Vec<Diagnostic>> {
    build_spanned(r, chat, id).map(|(plan, _)| plan)
}

/// [`build`], and where each text sits in the file (for `check`).
pub fn build_spanned(
    r: Reader<'_>,
    chat: &RawChat,
    id: &str,
) -> Result<(ChatPlan, PlanSpans), Vec<Diagnostic>> {
    build_warned(r, chat, id).0
}

/// A build's result: the plan and its spans, or every error.
pub type Built = Result<(ChatPlan, PlanSpans), Vec<Diagnostic>>;

/// [`build_spanned`], and the warnings either way.
pub fn build_warned(r: Reader<'_>, chat: &RawChat, id: &str) -> (Built, Vec<Diagnostic>) {
    build_with_sessions(r, chat, id, &[])
}

/// [`build_warned`] for a chat with session files (`chats/NAME/DATE.yaml`).
pub fn build_with_sessions<'c>(
    mut r: Reader<'_>,
    chat: &'c RawChat,
    id: &str,
    files: &'c [SessionFile],
) -> (Built, Vec<Diagnostic>) {
    let mut warnings = std::mem::take(&mut r.warnings);
    let plan = build_plan(&mut r, chat, id, files);
    warnings.append(&mut r.warnings);
    warnings.sort_by_key(|d| (d.line, d.column));
    (plan, warnings)
}

fn build_plan<'c>(
    r: &mut Reader<'_>,
    chat: &'c RawChat,
    id: &str,
    files: &'c [SessionFile],
) -> Result<(ChatPlan, PlanSpans), Vec<Diagnostic>> {
    let mut texts = TextsBuilder::new();
    let title = required(r, &chat.title, "title").and_then(|t| title(r, t));
    let hashtag = required(r, &chat.hashtag, "hashtag").and_then(|h| hashtag(r, h));
    let chat_zone = required(r, &chat.timezone, "timezone").and_then(|z| zone(r, z));
    let when = when::read(r, chat, chat_zone.as_ref(), &mut texts);
    let length = chat
        .duration
        .as_ref()
        .map_or(Some(defaults::DURATION), |d| positive(r, d, "duration"));
    let show_times_in = chat
        .show_times_in
        .iter()
        .filter_map(|z| zone(r, z))
        .collect();
    let accounts = accounts(r, chat);
    // A season's sessions may bring the questions instead.
    let seasonal = chat.repeat.is_some() && (chat.sessions.is_some() || !files.is_empty());
    let questions = questions::resolve(r, chat, seasonal, length, &mut texts);
    let announce = announce(r, chat, &mut texts);
    let thanks = thanks(r, chat, &mut texts);
    let visibility = super::audience::visibility(r, chat);
    let language = super::audience::language(r, chat).map(|l| texts.add(l));
    let mut session_spans = std::collections::HashMap::new();
    let season = season(
        r,
        chat,
        files,
        when.as_ref(),
        chat_zone.as_ref(),
        length,
        !questions.is_empty(),
        &mut texts,
        &mut session_spans,
    );
    templates::check_chat(r, chat, files);
    r.diags.sort_by_key(|d| (d.line, d.column));
    let incomplete_plan = [title.is_none(), hashtag.is_none(), chat_zone.is_none()]
        .into_iter()
        .chain([when.is_none(), length.is_none()])
        .any(|missing| missing);
    if incomplete_plan || !r.diags.is_empty() {
        // Every problem in one `check`: the numbering warning too.
        super::numbering::check_raw(r, chat);
    }
    let (Some(title), Some(hashtag), Some(tz), Some(when), Some(duration)) =
        (title, hashtag, chat_zone, when, length)
    else {
        return Err(incomplete(r));
    };
    if !r.diags.is_empty() {
        return Err(std::mem::take(&mut r.diags));
    }
    let title = texts.add(title);
    let hashtag = texts.add(hashtag);
    let welcome = text_or(&chat.welcome, Stock::Welcome, &mut texts);
    let question_format = chat
        .question_format
        .as_ref()
        .map_or(Text::Default(Stock::QuestionFormat), |f| {
            texts.own(f.value.as_str())
        });
    let wrapup = text_or(&chat.wrapup, Stock::Wrapup, &mut texts);
    let plan = ChatPlan {
        id: id.into(),
        source: Arc::from(r.path),
        texts: texts.finish(),
        title,
        hashtag,
        tz,
        when,
        duration,
        show_times_in,
        accounts,
        thread: chat.thread.as_ref().is_some_and(|t| t.value),
        visibility,
        language,
        announce,
        welcome,
        questions,
        question_format,
        wrapup,
        thanks,
        calendar_base: None,
        season,
    };
    let mut spans = spans(chat);
    spans.sessions = session_spans;
    super::hashtags::check(r, &plan, &spans);
    super::numbering::check(r, &plan, &spans);
    Ok((plan, spans))
}

/// Sessions, `count`, `number_from` and per-network texts; `None` for a
/// chat with none of them.
#[allow(clippy::too_many_arguments)]
fn season<'c>(
    r: &mut Reader<'_>,
    chat: &'c RawChat,
    files: &'c [SessionFile],
    when: Option<&When>,
    tz: Option<&TimeZone>,
    length: Option<SignedDuration>,
    has_questions: bool,
    texts: &mut TextsBuilder<'c>,
    spans: &mut std::collections::HashMap<jiff::civil::DateTime, (std::path::PathBuf, Loc)>,
) -> Option<Box<Season>> {
    let recurrence = match when {
        Some(When::Repeat(recurrence)) => Some(&**recurrence),
        _ => None,
    };
    if chat.start.is_some() {
        let keys = [
            (chat.count.as_ref().map(|c| c.loc), "count"),
            (chat.number_from.as_ref().map(|c| c.loc), "number_from"),
            (chat.sessions.as_ref().map(|s| s.loc), "sessions"),
        ];
        for (loc, key) in keys {
            if let Some(loc) = loc {
                r.error(
                    loc,
                    format!("`{key}` only applies to a `repeat` chat"),
                    "remove it, or replace `start` with `repeat`",
                );
            }
        }
        if let Some(file) = files.first() {
            r.diags.push(
                Diagnostic::new(&file.path, 1, 1, "a session file belongs to a `repeat` chat")
                    .help(format!(
                        "{} has `start`, so it happens once: move this file out of its folder, or make the chat `repeat`",
                        r.path.display()
                    )),
            );
        }
    }
    let (count, number_from) = season::numbers(r, chat.count.as_ref(), chat.number_from.as_ref());
    if let (Some(at), Some(rec)) = (&chat.count, recurrence)
        && rec.from.is_none()
    {
        r.error(
            at.loc,
            "`count` needs `from`: the date the series starts counting",
            "add `from: 2026-12-02` (the date of the first session)",
        );
    }
    if let Some(rec) = recurrence
        && rec.from.is_none()
        && let Some((file, loc)) = templates::first_use(chat, files, "number")
    {
        let message = "`{number}` counts the sessions from `from`, which the chat does not set";
        let help = "add `from: 2026-12-02` (the date of the first session), and `number_from` to continue an older series";
        match file {
            Some(path) => r.diags.push(
                Diagnostic::new(path, loc.line.max(1), loc.column.max(1), message).help(help),
            ),
            None => r.error(loc, message, help),
        }
    }
    let in_file = chat
        .sessions
        .as_ref()
        .map_or(&[][..], |s| s.value.as_slice());
    let ctx = season::Context {
        recurrence,
        tz,
        length,
        has_questions,
    };
    let resolved = season::resolve(r, in_file, files, &ctx, texts);
    for (session, loc) in &resolved {
        let path = session.file.as_deref().unwrap_or(r.path).to_path_buf();
        spans.insert(session.key, (path, *loc));
    }
    let sessions: Vec<_> = resolved.into_iter().map(|(s, _)| s).collect();
    let variants = season::variants(&chat.variants, texts);
    if sessions.is_empty()
        && variants.is_empty()
        && count.is_none()
        && chat.number_from.is_none()
        && chat.sessions.is_none()
    {
        return None;
    }
    let mut season = Season {
        sessions: sessions.into_boxed_slice(),
        count,
        number_from,
        last: None,
        variants,
    };
    if let Some(recurrence) = recurrence {
        season.last = season::last_held(recurrence, &season, has_questions);
    }
    Some(Box::new(season))
}

fn required<'c>(
    r: &mut Reader<'_>,
    value: &'c Option<At<String>>,
    key: &str,
) -> Option<&'c At<String>> {
    if value.is_none()
        && !r
            .diags
            .iter()
            .any(|d| d.message.contains(&format!("`{key}`")))
    {
        let example = super::keys::line(key);
        let quote = if key == "hashtag" {
            " (quote it: an unquoted # starts a YAML comment)"
        } else {
            ""
        };
        r.error(
            Loc::default(),
            format!("missing `{key}`"),
            format!("add `{example}`{quote}"),
        );
    }
    value.as_ref()
}

/// Every check that gives up reports why; this is the safety net.
fn incomplete(r: &mut Reader<'_>) -> Vec<Diagnostic> {
    if r.diags.is_empty() {
        r.error(
            Loc::default(),
            "the chat could not be read",
            "check `title`, `hashtag`, `timezone`, `start`/`repeat` and `duration`",
        );
    }
    std::mem::take(&mut r.diags)
}

fn title<'c>(r: &mut Reader<'_>, at: &'c At<String>) -> Option<&'c str> {
    let title = at.value.trim();
    if title.is_empty() {
        r.error(
            at.loc,
            "`title` is empty",
            "write the chat's name, e.g. `title: Health Care Social Media Buddy Mentoring`",
        );
        return None;
    }
    Some(title)
}

/// `#` then letters, digits or `_`, not all digits.
fn hashtag<'c>(r: &mut Reader<'_>, at: &'c At<String>) -> Option<&'c str> {
    let tag = at.value.trim();
    let body = tag.strip_prefix('#').unwrap_or("");
    let valid = !body.is_empty()
        && body.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !body.chars().all(|c| c.is_ascii_digit());
    if valid {
        return Some(tag);
    }
    let mut fixed: String = tag
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if fixed.chars().all(|c| c.is_ascii_digit()) {
        fixed.insert_str(0, "chat");
    }
    r.error(
        at.loc,
        format!("`{tag}` is not a hashtag: it must be `#` followed by letters, digits or `_`, not only digits"),
        format!("write `hashtag: \"#{fixed}\"`"),
    );
    None
}

fn zone(r: &mut Reader<'_>, at: &At<String>) -> Option<TimeZone> {
    let name = at.value.trim();
    match zones::lookup(name) {
        Ok(tz) => {
            if let Some((message, help)) = zones::abbreviation_warning(name, &tz) {
                r.warn(at.loc, message, help);
            }
            Some(tz)
        }
        Err(help) => {
            r.error(at.loc, format!("unknown time zone `{name}`"), help);
            None
        }
    }
}

fn accounts(r: &mut Reader<'_>, chat: &RawChat) -> Option<Box<[String]>> {
    let list = chat.accounts.as_ref()?;
    if list.value.is_empty() {
        r.error(
            list.loc,
            "`accounts` is empty, so the chat would post nowhere",
            "name at least one account from the settings, or remove `accounts` to use the default",
        );
    }
    for name in &list.value {
        let valid = !name.value.is_empty()
            && name
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            let fixed: String = name
                .value
                .to_lowercase()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            r.error(
                name.loc,
                format!(
                    "`{}` is not an account name: use lowercase letters, digits and `_`",
                    name.value
                ),
                format!("write `{fixed}` (and name the account the same in the settings)"),
            );
        }
    }
    Some(list.value.iter().map(|a| a.value.clone()).collect())
}

fn announce<'c>(
    r: &mut Reader<'_>,
    chat: &'c RawChat,
    texts: &mut TextsBuilder<'c>,
) -> Box<[Announcement]> {
    announcements(r, &chat.announce, texts).unwrap_or_else(defaults::announcements)
}

/// The announcements of a list as written; `None` where it is left out
/// (the default, or for a session the chat's).
pub(super) fn announcements<'c>(
    r: &mut Reader<'_>,
    announce: &'c Toggle<Vec<RawAnnounce>>,
    texts: &mut TextsBuilder<'c>,
) -> Option<Box<[Announcement]>> {
    match announce {
        Toggle::Off => Some(Box::default()),
        Toggle::Default => None,
        Toggle::On(list) => Some(
            list.iter()
                .filter_map(|a| {
                    let before = positive(r, a.before.as_ref()?, "before")?;
                    let text = a.text.as_ref().map_or(Text::Default(Stock::Announce), |t| {
                        texts.own(t.value.as_str())
                    });
                    Some(Announcement { before, text })
                })
                .collect(),
        ),
    }
}

fn thanks<'c>(
    r: &mut Reader<'_>,
    chat: &'c RawChat,
    texts: &mut TextsBuilder<'c>,
) -> Option<Thanks> {
    let raw = match &chat.thanks {
        Toggle::Off => return None,
        Toggle::Default => return Some(defaults::thanks()),
        Toggle::On(raw) => raw,
    };
    let after = match &raw.after {
        Some(at) => {
            non_negative(r, at, "after", SignedDuration::ZERO).unwrap_or(defaults::THANKS_AFTER)
        }
        None => defaults::THANKS_AFTER,
    };
    Some(Thanks {
        after,
        text: raw.text.as_ref().map_or(Text::Default(Stock::Thanks), |t| {
            texts.own(t.value.as_str())
        }),
        exclude: raw
            .exclude
            .iter()
            .map(|h| texts.add(lowercase(h.value.trim().trim_start_matches('@'))))
            .collect(),
        search: raw.search.as_ref().is_none_or(|s| s.value),
    })
}

/// `handle` in lowercase, borrowed when it already is.
fn lowercase(handle: &str) -> Cow<'_, str> {
    let lower = handle.to_lowercase();
    if lower == handle {
        Cow::Borrowed(handle)
    } else {
        Cow::Owned(lower)
    }
}

fn text_or<'c>(
    item: &'c Toggle<At<String>>,
    default: Stock,
    texts: &mut TextsBuilder<'c>,
) -> Option<Text> {
    match item {
        Toggle::Off => None,
        Toggle::Default => Some(Text::Default(default)),
        Toggle::On(at) => Some(texts.own(at.value.as_str())),
    }
}

fn spans(chat: &RawChat) -> PlanSpans {
    let toggle = |t: &Toggle<At<String>>| match t {
        Toggle::On(at) => Some(at.loc),
        _ => None,
    };
    PlanSpans {
        title: chat.title.as_ref().map(|t| t.loc),
        welcome: toggle(&chat.welcome),
        wrapup: toggle(&chat.wrapup),
        question_format: chat.question_format.as_ref().map(|f| f.loc),
        thanks: match &chat.thanks {
            Toggle::On(t) => t.text.as_ref().map(|t| t.loc),
            _ => None,
        },
        announce: match &chat.announce {
            Toggle::On(list) => list
                .iter()
                .map(|a| a.text.as_ref().map_or(a.loc, |t| t.loc))
                .collect(),
            _ => Vec::new(),
        },
        questions: chat
            .questions
            .iter()
            .flat_map(|l| &l.value)
            .map(|q| q.text.loc)
            .collect(),
        accounts: chat
            .accounts
            .iter()
            .flat_map(|l| &l.value)
            .map(|a| a.loc)
            .collect(),
        sessions: Default::default(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    use super::*;
    use crate::plan::load::load_str;

    /// A valid one-off chat; tests replace one line to make one mistake.
    pub const BASE: &str = "title: Test chat
hashtag: \"#test\"
timezone: America/Chicago
start: 2027-01-13 12:00
duration: 1h
questions:
  - at: 5m
    text: First?
  - at: 15m
    text: Second?
";

    /// `BASE` with line `n` (1-based) replaced by `line` (which may span lines).
    pub fn with_line(n: usize, line: &str) -> String {
        let mut lines: Vec<&str> = BASE.lines().collect();
        lines[n - 1] = line;
        lines.join("\n") + "\n"
    }

    pub fn errors(src: &str) -> Vec<Diagnostic> {
        load_str(Path::new("t.yaml"), src).expect_err("expected problems")
    }

    /// The only error of `src`: its line, column, message and help.
    pub fn only_error(src: &str) -> (usize, usize, String, String) {
        let diags = errors(src);
        assert_eq!(diags.len(), 1, "{diags:#?}");
        let d = &diags[0];
        (
            d.line,
            d.column,
            d.message.clone(),
            d.help.clone().unwrap_or_default(),
        )
    }

    #[test]
    fn base_loads_with_defaults() {
        let plan = load_str(Path::new("chats/base.yaml"), BASE).unwrap();
        assert_eq!(plan.id, "base");
        assert_eq!(plan.hashtag(), "#test");
        assert_eq!(plan.duration, SignedDuration::from_hours(1));
        assert_eq!(plan.announce, defaults::announcements());
        assert_eq!(plan.welcome(), Some(defaults::WELCOME));
        assert_eq!(plan.wrapup(), Some(defaults::WRAPUP));
        assert_eq!(plan.thanks, Some(defaults::thanks()));
        assert_eq!(plan.question_format(), defaults::QUESTION_FORMAT);
        assert!(!plan.thread);
        assert_eq!(plan.accounts, None);
        assert_eq!(plan.questions[1].at, SignedDuration::from_mins(15));
        let (_, spans) = crate::plan::load::load_str_spanned(Path::new("b.yaml"), BASE).unwrap();
        assert_eq!(spans.questions[1].line, 10);
    }

    #[test]
    fn false_turns_items_off() {
        let src = format!("{BASE}welcome: false\nwrapup: false\nannounce: false\nthanks: false\n");
        let plan = load_str(Path::new("t.yaml"), &src).unwrap();
        assert_eq!(plan.welcome, None);
        assert_eq!(plan.wrapup, None);
        assert!(plan.announce.is_empty());
        assert_eq!(plan.thanks, None);
    }

    #[test]
    fn explicit_items_are_read() {
        let src = format!(
            "{BASE}thread: true\naccounts: [main_x, hcsm_mastodon]\nannounce:\n  - before: 2h\n    text: Soon {{hashtag}}\n  - before: 30m\nthanks:\n  after: 0s\n  exclude: ['@CoHost']\n  search: false\nquestion_format: \"{{n}}) {{text}}\"\n"
        );
        let (plan, spans) = crate::plan::load::load_str_spanned(Path::new("t.yaml"), &src).unwrap();
        assert!(plan.thread);
        assert_eq!(
            plan.accounts.as_deref(),
            Some(&["main_x".to_string(), "hcsm_mastodon".to_string()][..])
        );
        assert_eq!(plan.announce[0].before, SignedDuration::from_hours(2));
        assert_eq!(plan.text(plan.announce[1].text), defaults::ANNOUNCE);
        let thanks = plan.thanks.as_ref().unwrap();
        assert_eq!((thanks.after, thanks.search), (SignedDuration::ZERO, false));
        assert_eq!(plan.excluded().collect::<Vec<_>>(), ["cohost"]);
        assert_eq!(plan.question_format(), "{n}) {text}");
        assert_eq!(spans.accounts[1].column, 20);
    }

    #[test]
    fn an_unknown_key_a_bad_zone_and_a_bad_duration_are_all_reported() {
        let src = BASE
            .replace("America/Chicago", "America/Chicgo")
            .replace("duration: 1h", "duration: 1hour\ncolour: blue");
        let found: Vec<_> = errors(&src)
            .iter()
            .map(|d| (d.line, d.column, d.message.clone()))
            .collect();
        assert_eq!(found.len(), 3, "{found:#?}");
        assert_eq!((found[0].0, found[0].1), (3, 11));
        assert!(found[0].2.contains("unknown time zone `America/Chicgo`"));
        assert_eq!((found[1].0, found[1].1), (5, 11));
        assert!(found[1].2.contains("`duration` is not a duration"));
        assert_eq!((found[2].0, found[2].1), (6, 1));
        assert!(found[2].2.contains("unknown key `colour`"));
    }

    #[test]
    fn an_empty_title_is_reported() {
        let (line, column, message, help) = only_error(&with_line(1, "title: \"\""));
        assert_eq!((line, column, message.as_str()), (1, 8, "`title` is empty"));
        assert!(help.contains("title: "), "{help}");
    }

    #[test]
    fn missing_keys_point_at_the_top_and_say_what_to_add() {
        let (line, column, message, help) = only_error(&with_line(1, "# no title"));
        assert_eq!((line, column), (1, 1));
        assert_eq!(message, "missing `title`");
        assert!(help.contains("add `title: "), "{help}");
    }

    #[test]
    fn an_unquoted_hashtag_is_a_comment_and_we_say_so() {
        let (line, column, message, help) = only_error(&with_line(2, "hashtag: #test"));
        assert_eq!((line, column), (2, 8));
        assert_eq!(message, "expected text for `hashtag`, found nothing");
        assert!(help.contains("quote it"), "{help}");
    }

    #[test]
    fn invalid_hashtags_get_a_fixed_suggestion() {
        for (tag, fixed) in [
            ("\"#123\"", "#chat123"),
            ("test", "#test"),
            ("\"#hcsm bm!\"", "#hcsmbm"),
            ("\"#\"", "#chat"),
        ] {
            let (line, column, message, help) =
                only_error(&with_line(2, &format!("hashtag: {tag}")));
            assert_eq!((line, column), (2, 10), "{tag}");
            assert!(message.contains("is not a hashtag"), "{message}");
            assert!(help.contains(&format!("\"{fixed}\"")), "{tag}: {help}");
        }
        assert!(
            load_str(
                Path::new("t.yaml"),
                &with_line(2, "hashtag: \"#Santé_2027\"")
            )
            .is_ok()
        );
    }

    #[test]
    fn unknown_zones_suggest_close_names() {
        let (line, column, message, help) = only_error(&with_line(3, "timezone: Chicago"));
        assert_eq!((line, column), (3, 11));
        assert_eq!(message, "unknown time zone `Chicago`");
        assert!(help.contains("`America/Chicago`"), "{help}");
        let src = format!("{BASE}show_times_in: [Europe/London, Europe/Pariss]\n");
        let (line, column, _, help) = only_error(&src);
        assert_eq!((line, column), (11, 32));
        assert!(help.contains("`Europe/Paris`"), "{help}");
    }

    #[test]
    fn durations_must_be_well_formed_and_positive() {
        let (line, column, message, help) = only_error(&with_line(5, "duration: 0m"));
        assert_eq!((line, column), (5, 11));
        assert!(message.contains("must be more than zero"), "{message}");
        assert!(help.contains("duration: 10m"), "{help}");
        let (_, _, message, help) = only_error(&with_line(5, "duration: 90"));
        assert!(message.contains("needs a unit"), "{message}");
        assert!(help.contains("`1h30m`"), "{help}");
        let src = format!("{BASE}announce:\n  - before: -1h\n");
        let (line, column, message, _) = only_error(&src);
        assert_eq!((line, column), (12, 13));
        assert!(message.contains("`before` must be more than zero"));
    }

    #[test]
    fn account_names_are_lowercase_words() {
        let src = format!("{BASE}accounts: [main_x, Main-X]\n");
        let (line, column, message, help) = only_error(&src);
        assert_eq!((line, column), (11, 20));
        assert!(message.contains("`Main-X` is not an account name"));
        assert!(help.contains("`main_x`"), "{help}");
        let (_, _, message, _) = only_error(&format!("{BASE}accounts: []\n"));
        assert!(message.contains("empty"));
    }

    #[test]
    fn placeholders_are_checked_per_item_and_located() {
        let src = format!("{BASE}welcome: \"Hi {{titel}} at {{time}}\"\n");
        let (line, column, message, help) = only_error(&src);
        assert_eq!((line, column), (11, 14));
        assert_eq!(message, "unknown placeholder `{titel}` in welcome");
        assert!(help.contains("did you mean `{title}`"), "{help}");

        let src = format!("{BASE}wrapup: |\n  Bye!\n  Thanks {{mentions}}\n");
        let (line, column, message, _) = only_error(&src);
        assert_eq!((line, column), (13, 10));
        assert!(message.contains("`{mentions}` is not available in wrapup"));

        let src = format!("{BASE}thanks:\n  text: \"{{mentions}} {{n}}\"\n");
        let (line, column, message, help) = only_error(&src);
        assert_eq!((line, column), (12, 21));
        assert!(message.contains("`{n}` is not available in thanks"));
        assert!(help.contains("{mentions}"), "{help}");

        let src = format!("{BASE}question_format: \"{{n}}. {{text}} {{mentions}}\"\n");
        let (_, column, message, _) = only_error(&src);
        assert_eq!(column, 31);
        assert!(message.contains("question_format"));

        let src = with_line(8, "    text: What about {text}?");
        let (line, column, message, _) = only_error(&src);
        assert_eq!((line, column), (8, 22));
        assert!(message.contains("not available in a question"));
    }
}
