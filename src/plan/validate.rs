//! Meaning checks that turn a parsed file into a [`super::ChatPlan`].
//!
//! Every check reports into the same [`Reader`] so a file with an unknown
//! key, a bad zone and a bad duration gets all three diagnostics. A plan is
//! built only when nothing was reported.

use jiff::SignedDuration;
use jiff::tz::TimeZone;

use super::node::Loc;
use super::raw::{At, RawChat, RawQuestion, Reader, Toggle};
use super::{
    Announcement, ChatPlan, Diagnostic, PlanSpans, Question, ShownZone, Thanks, defaults, duration,
    templates, when, zones,
};

pub use super::accounts::{AccountLimit, check_against_accounts};

/// Builds the plan with id `id` from a read file, or every problem in it.
pub fn build(mut r: Reader<'_>, chat: &RawChat, id: &str) -> Result<ChatPlan, Vec<Diagnostic>> {
    let title = required(&mut r, &chat.title, "title");
    let hashtag = required(&mut r, &chat.hashtag, "hashtag").and_then(|h| hashtag(&mut r, h));
    let chat_zone = required(&mut r, &chat.timezone, "timezone").and_then(|z| zone(&mut r, z));
    let when = when::read(&mut r, chat, chat_zone.as_ref().map(|(_, tz)| tz));
    let length = chat
        .duration
        .as_ref()
        .map_or(Some(defaults::DURATION), |d| {
            positive(&mut r, d, "duration")
        });
    let show_times_in = chat
        .show_times_in
        .iter()
        .filter_map(|z| zone(&mut r, z).map(|(name, tz)| ShownZone { name, tz }))
        .collect();
    let accounts = accounts(&mut r, chat);
    let questions = questions(&mut r, chat, length);
    let announce = announce(&mut r, chat);
    let thanks = thanks(&mut r, chat);
    check_templates(&mut r, chat);
    r.diags.sort_by_key(|d| (d.line, d.column));
    let (Some(title), Some(hashtag), Some((zone_name, tz)), Some(when), Some(duration)) =
        (title, hashtag, chat_zone, when, length)
    else {
        return Err(r.diags);
    };
    if !r.diags.is_empty() {
        return Err(r.diags);
    }
    Ok(ChatPlan {
        id: id.to_string(),
        source: r.path.to_path_buf(),
        title: title.value.clone(),
        hashtag,
        zone_name,
        tz,
        when,
        duration,
        show_times_in,
        accounts,
        thread: chat.thread.as_ref().is_some_and(|t| t.value),
        announce,
        welcome: text_or(&chat.welcome, defaults::WELCOME),
        questions,
        question_format: chat
            .question_format
            .as_ref()
            .map_or(defaults::QUESTION_FORMAT.to_string(), |f| f.value.clone()),
        wrapup: text_or(&chat.wrapup, defaults::WRAPUP),
        thanks,
        spans: spans(chat),
    })
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
        let example = super::raw::KEYS
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(String::new(), |(_, e)| e.to_string());
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

/// `#` then letters, digits or `_`, not all digits.
fn hashtag(r: &mut Reader<'_>, at: &At<String>) -> Option<String> {
    let tag = at.value.trim();
    let body = tag.strip_prefix('#').unwrap_or("");
    let valid = !body.is_empty()
        && body.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !body.chars().all(|c| c.is_ascii_digit());
    if valid {
        return Some(tag.to_string());
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

fn zone(r: &mut Reader<'_>, at: &At<String>) -> Option<(String, TimeZone)> {
    let name = at.value.trim();
    match zones::lookup(name) {
        Ok(tz) => Some((name.to_string(), tz)),
        Err(help) => {
            r.error(at.loc, format!("unknown time zone `{name}`"), help);
            None
        }
    }
}

/// A duration; reports malformed ones.
fn parse_duration(r: &mut Reader<'_>, at: &At<String>, key: &str) -> Option<SignedDuration> {
    match duration::parse(&at.value) {
        Ok(d) => Some(d),
        Err(err) => {
            r.error(
                at.loc,
                format!("`{key}` is not a duration: {err}"),
                duration::HELP,
            );
            None
        }
    }
}

/// A duration that must be more than zero.
fn positive(r: &mut Reader<'_>, at: &At<String>, key: &str) -> Option<SignedDuration> {
    non_negative(r, at, key, SignedDuration::from_secs(1))
}

fn non_negative(
    r: &mut Reader<'_>,
    at: &At<String>,
    key: &str,
    min: SignedDuration,
) -> Option<SignedDuration> {
    let d = parse_duration(r, at, key)?;
    if d >= min {
        return Some(d);
    }
    let least = if min.is_zero() {
        "zero or more"
    } else {
        "more than zero"
    };
    r.error(
        at.loc,
        format!("`{key}` must be {least}, found `{}`", at.value.trim()),
        format!("write a positive duration like `{key}: 10m`"),
    );
    None
}

fn accounts(r: &mut Reader<'_>, chat: &RawChat) -> Option<Vec<String>> {
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

/// Resolves question offsets. Questions without `at` are spread evenly:
/// a run of k such questions between the previous explicit `at` (or the
/// start) and the next one (or the end) lands at equal steps of
/// (next - previous) / (k + 1), truncated to whole seconds.
fn questions(r: &mut Reader<'_>, chat: &RawChat, length: Option<SignedDuration>) -> Vec<Question> {
    let Some(list) = &chat.questions else {
        r.error(
            Loc::default(),
            "missing `questions`",
            format!("add `{}`", super::raw::KEYS[13].1),
        );
        return Vec::new();
    };
    if list.value.is_empty() {
        r.error(
            list.loc,
            "`questions` is empty",
            "add at least one question, e.g. `- What brought you here?`",
        );
    }
    let explicit = explicit_offsets(r, &list.value, length);
    let resolved = spread(&explicit, length.unwrap_or(defaults::DURATION));
    list.value
        .iter()
        .zip(resolved)
        .enumerate()
        .map(|(i, (q, at))| Question {
            n: u32::try_from(i + 1).unwrap_or(u32::MAX),
            at,
            text: q.text.value.clone(),
        })
        .collect()
}

/// Parsed `at`s, checked against the end, file order and each other.
/// Without a valid `length` the end is unknown and not checked.
fn explicit_offsets(
    r: &mut Reader<'_>,
    list: &[RawQuestion],
    length: Option<SignedDuration>,
) -> Vec<Option<SignedDuration>> {
    let mut out = Vec::new();
    let mut previous: Option<(usize, SignedDuration)> = None;
    for (i, q) in list.iter().enumerate() {
        let Some(at) = &q.at else {
            out.push(None);
            continue;
        };
        let Some(offset) = non_negative(r, at, "at", SignedDuration::ZERO) else {
            out.push(None);
            continue;
        };
        let n = i + 1;
        if let Some(length) = length.filter(|l| offset >= *l) {
            r.error(
                at.loc,
                format!(
                    "Q{n} at {} is not before the end of the chat ({} long)",
                    at.value.trim(),
                    duration::format(length)
                ),
                format!(
                    "move it inside the chat, e.g. `at: {}`, or lengthen `duration`",
                    duration::format(length - SignedDuration::from_mins(5).min(length / 2))
                ),
            );
        } else if let Some((m, before)) = previous {
            if offset.as_secs() / 60 == before.as_secs() / 60 {
                r.error(
                    at.loc,
                    format!("Q{n} and Q{m} are both at minute {}", offset.as_secs() / 60),
                    format!(
                        "move Q{n} to a later minute, e.g. `at: {}`",
                        duration::format(before + SignedDuration::from_mins(5))
                    ),
                );
            } else if offset < before {
                r.error(
                    at.loc,
                    format!(
                        "Q{n} at {} comes before Q{m} at {}; questions are posted in file order",
                        at.value.trim(),
                        duration::format(before)
                    ),
                    "reorder the questions, or fix their `at`",
                );
            }
        }
        previous = Some((n, offset));
        out.push(Some(offset));
    }
    out
}

fn spread(explicit: &[Option<SignedDuration>], length: SignedDuration) -> Vec<SignedDuration> {
    let mut out = Vec::with_capacity(explicit.len());
    let mut i = 0;
    while i < explicit.len() {
        if let Some(at) = explicit[i] {
            out.push(at);
            i += 1;
            continue;
        }
        let run_end = (i..explicit.len())
            .find(|&j| explicit[j].is_some())
            .unwrap_or(explicit.len());
        let lo = out.last().copied().unwrap_or(SignedDuration::ZERO);
        let hi = explicit
            .get(run_end)
            .copied()
            .flatten()
            .unwrap_or(length)
            .max(lo);
        let k = i64::try_from(run_end - i).unwrap_or(i64::MAX);
        let step = (hi - lo).as_secs() / (k + 1);
        for j in 1..=k {
            out.push(lo + SignedDuration::from_secs(step * j));
        }
        i = run_end;
    }
    out
}

fn announce(r: &mut Reader<'_>, chat: &RawChat) -> Vec<Announcement> {
    match &chat.announce {
        Toggle::Off => Vec::new(),
        Toggle::Default => defaults::announcements(),
        Toggle::On(list) => list
            .iter()
            .filter_map(|a| {
                let before = positive(r, a.before.as_ref()?, "before")?;
                let text = a
                    .text
                    .as_ref()
                    .map_or(defaults::ANNOUNCE.to_string(), |t| t.value.clone());
                Some(Announcement { before, text })
            })
            .collect(),
    }
}

fn thanks(r: &mut Reader<'_>, chat: &RawChat) -> Option<Thanks> {
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
        text: raw
            .text
            .as_ref()
            .map_or(defaults::THANKS.to_string(), |t| t.value.clone()),
        exclude: raw
            .exclude
            .iter()
            .map(|h| h.value.trim().trim_start_matches('@').to_lowercase())
            .collect(),
        search: raw.search.as_ref().is_none_or(|s| s.value),
    })
}

fn text_or(item: &Toggle<At<String>>, default: &str) -> Option<String> {
    match item {
        Toggle::Off => None,
        Toggle::Default => Some(default.to_string()),
        Toggle::On(at) => Some(at.value.clone()),
    }
}

/// Every template the file spells out, with the placeholders it may use.
fn check_templates(r: &mut Reader<'_>, chat: &RawChat) {
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        templates::COMMON.iter().chain(extra).copied().collect()
    };
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
    for (at, item, allowed) in items {
        for p in templates::check(&at.value, &item, &allowed) {
            let (line, column) = templates::locate(r.src, at.loc, &at.value, p.offset);
            r.diags
                .push(Diagnostic::new(r.path, line, column, p.message).help(p.help));
        }
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
    }
}
