//! `{placeholder}` templates and the one-hashtag rule.
//!
//! Organizers write posts as templates: `Tomorrow: {title} at {times} {hashtag}`.
//! The syntax is deliberately tiny so a typo is an error with a position, not
//! a silently odd post: `{name}` is a placeholder, `{{` and `}}` are literal
//! braces, a lone `}` is kept as it is. Errors carry byte offsets into the
//! template; the plan loader maps them to line and column in the file.
//!
//! | placeholder  | value                                             | where           |
//! |--------------|---------------------------------------------------|-----------------|
//! | `{title}`    | the chat's title                                  | everywhere      |
//! | `{hashtag}`  | the hashtag with its `#`                          | everywhere      |
//! | `{time}`     | start in the chat zone, `12:00 CST`               | everywhere      |
//! | `{times}`    | start in the chat zone and every shown zone       | everywhere      |
//! | `{date}`     | start date in the chat zone, `Wed 2 Dec 2026`     | everywhere      |
//! | `{n}`        | question number                                   | question format |
//! | `{text}`     | question text                                     | question format |
//! | `{mentions}` | the participants, filled in after the chat        | thanks          |
//! | `{calendar}` | the chat's public calendar (`…/chats/ID.ics`)     | everywhere      |
//!
//! [`ensure_hashtag`] then makes every post carry the hashtag: a chat lives
//! by its hashtag, and a post without it is invisible to the participants.
//! It only ever appends; a text that names the tag twice is the organizer's
//! choice, which `check` points out rather than rewrites.

/// Every placeholder name a template may use.
pub const PLACEHOLDERS: [&str; 9] = [
    "title", "hashtag", "time", "times", "date", "n", "text", "mentions", "calendar",
];

/// Values for placeholders. `None` means the placeholder is not available in
/// this kind of post (e.g. `{mentions}` outside thanks) and is an error.
#[derive(Debug, Clone, Default)]
pub struct Vars<'a> {
    pub title: &'a str,
    pub hashtag: &'a str,
    /// Local time in the chat zone, e.g. `12:00 CST`.
    pub time: &'a str,
    /// `{times}`: the chat zone then every `show_times_in` zone.
    pub times: &'a str,
    /// Local date in the chat zone, e.g. `Wed 2 Dec 2026`.
    pub date: &'a str,
    pub n: Option<u32>,
    pub text: Option<&'a str>,
    pub mentions: Option<&'a str>,
    /// `{calendar}`: the public address of the chat's `.ics` file.
    pub calendar: Option<&'a str>,
}

/// A template problem, with the byte offset into the template.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown placeholder `{{{name}}}`")]
    Unknown { name: String, offset: usize },
    #[error("placeholder `{{{name}}}` is not available here")]
    Unavailable { name: String, offset: usize },
    #[error("unclosed `{{`")]
    Unclosed { offset: usize },
}

impl TemplateError {
    /// Byte offset of the offending `{` in the template.
    pub fn offset(&self) -> usize {
        match self {
            TemplateError::Unknown { offset, .. }
            | TemplateError::Unavailable { offset, .. }
            | TemplateError::Unclosed { offset } => *offset,
        }
    }
}

/// One placeholder as written in a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlaceholderUse<'t> {
    /// The name between the braces, as written (may be unknown).
    pub name: &'t str,
    /// Byte offset of its `{`.
    pub offset: usize,
}

/// A template cut into literal text and placeholders.
enum Piece<'t> {
    Literal(&'t str),
    Placeholder(PlaceholderUse<'t>),
}

/// Cuts `template` into pieces; the only syntax error is an unclosed `{`.
fn parse(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let bytes = template.as_bytes();
    let (mut literal_start, mut i) = (0, 0);
    while i < bytes.len() {
        let escaped = matches!(
            (bytes[i], bytes.get(i + 1)),
            (b'{', Some(b'{')) | (b'}', Some(b'}'))
        );
        if escaped {
            // Keep one brace of the pair: end the literal after the first.
            pieces.push(Piece::Literal(&template[literal_start..=i]));
            i += 2;
            literal_start = i;
        } else if bytes[i] == b'{' {
            pieces.push(Piece::Literal(&template[literal_start..i]));
            let close = template[i..]
                .find('}')
                .ok_or(TemplateError::Unclosed { offset: i })?;
            let name = &template[i + 1..i + close];
            pieces.push(Piece::Placeholder(PlaceholderUse { name, offset: i }));
            i += close + 1;
            literal_start = i;
        } else {
            i += 1;
        }
    }
    pieces.push(Piece::Literal(&template[literal_start..]));
    Ok(pieces)
}

/// Every placeholder `template` uses, in order, known or not; for checks
/// that want to report all of them rather than the first.
pub fn placeholders(template: &str) -> Result<Vec<PlaceholderUse<'_>>, TemplateError> {
    Ok(parse(template)?
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Placeholder(used) => Some(used),
            Piece::Literal(_) => None,
        })
        .collect())
}

/// Fills `template`. `{{` and `}}` are literal braces.
pub fn render(template: &str, vars: &Vars<'_>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 64);
    for piece in parse(template)? {
        match piece {
            Piece::Literal(text) => out.push_str(text),
            Piece::Placeholder(used) => push_value(&mut out, used, vars)?,
        }
    }
    Ok(out)
}

/// Appends the value of one placeholder.
fn push_value(
    out: &mut String,
    used: PlaceholderUse<'_>,
    vars: &Vars<'_>,
) -> Result<(), TemplateError> {
    let unavailable = || TemplateError::Unavailable {
        name: used.name.to_string(),
        offset: used.offset,
    };
    match used.name {
        "title" => out.push_str(vars.title),
        "hashtag" => out.push_str(vars.hashtag),
        "time" => out.push_str(vars.time),
        "times" => out.push_str(vars.times),
        "date" => out.push_str(vars.date),
        "n" => out.push_str(&vars.n.ok_or_else(unavailable)?.to_string()),
        "text" => out.push_str(vars.text.ok_or_else(unavailable)?),
        "mentions" => out.push_str(vars.mentions.ok_or_else(unavailable)?),
        "calendar" => out.push_str(vars.calendar.ok_or_else(unavailable)?),
        name => {
            return Err(TemplateError::Unknown {
                name: name.to_string(),
                offset: used.offset,
            });
        }
    }
    Ok(())
}

/// Replaces the literal `{mentions}` that a rendered thank-you still holds.
pub fn fill_mentions(text: &str, mentions: &str) -> String {
    text.replace("{mentions}", mentions)
}

/// Appends the hashtag unless the text already carries it (case-insensitive,
/// as a whole tag). Nothing else is changed: these are the organizer's
/// words, so a text that names the tag twice is posted as written (`check`
/// warns about it, see [`count_hashtag`]).
///
/// `#hcsmbm2` is a different tag from `#hcsmbm`.
pub fn ensure_hashtag(text: &str, hashtag: &str) -> String {
    let body = hashtag.strip_prefix('#').unwrap_or(hashtag);
    if body.is_empty() || !find_tag(text, body).is_empty() {
        return text.to_string();
    }
    let trimmed = text.trim_end();
    if trimmed.is_empty() {
        format!("#{body}")
    } else {
        format!("{trimmed} #{body}")
    }
}

/// How many times `text` carries `hashtag` as a whole tag, in any case.
pub fn count_hashtag(text: &str, hashtag: &str) -> usize {
    let body = hashtag.strip_prefix('#').unwrap_or(hashtag);
    if body.is_empty() {
        return 0;
    }
    find_tag(text, body).len()
}

/// A character that continues a hashtag.
fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Byte ranges of every whole `#body` tag in `text`, case-insensitive.
fn find_tag(text: &str, body: &str) -> Vec<std::ops::Range<usize>> {
    let wanted = body.to_lowercase();
    let mut found = Vec::new();
    let mut previous: Option<char> = None;
    for (start, c) in text.char_indices() {
        let starts_tag = c == '#' && !previous.is_some_and(|p| is_tag_char(p) || p == '&');
        previous = Some(c);
        if !starts_tag {
            continue;
        }
        let rest = &text[start + 1..];
        let len = rest.find(|c: char| !is_tag_char(c)).unwrap_or(rest.len());
        if rest[..len].to_lowercase() == wanted {
            found.push(start..start + 1 + len);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars<'static> {
        Vars {
            title: "Buddy Mentoring",
            hashtag: "#hcsmbm",
            time: "12:00 CST",
            times: "12:00 CST Wed 2 Dec — 18:00 GMT",
            date: "Wed 2 Dec 2026",
            n: None,
            text: None,
            mentions: None,
            calendar: None,
        }
    }

    #[test]
    fn fills_every_placeholder() {
        let vars = Vars {
            n: Some(3),
            text: Some("Why?"),
            mentions: Some("@a @b"),
            calendar: Some("https://chats.example/chats/hcsmbm.ics"),
            ..vars()
        };
        let out = render(
            "{title}|{hashtag}|{time}|{times}|{date}|{n}|{text}|{mentions}|{calendar}",
            &vars,
        )
        .unwrap();
        assert_eq!(
            out,
            "Buddy Mentoring|#hcsmbm|12:00 CST|12:00 CST Wed 2 Dec — 18:00 GMT|Wed 2 Dec 2026|3|Why?|@a @b|https://chats.example/chats/hcsmbm.ics"
        );
    }

    #[test]
    fn doubled_braces_are_literal() {
        assert_eq!(render("{{title}} }} {{", &vars()).unwrap(), "{title} } {");
        assert_eq!(render("a } b", &vars()).unwrap(), "a } b");
        assert_eq!(render("{{{title}}}", &vars()).unwrap(), "{Buddy Mentoring}");
    }

    #[test]
    fn keeps_non_ascii_text_around_placeholders() {
        assert_eq!(
            render("¡Hola {title}! 🎉", &vars()).unwrap(),
            "¡Hola Buddy Mentoring! 🎉"
        );
    }

    #[test]
    fn unknown_placeholder_has_its_offset() {
        let err = render("Hi é {titel} there", &vars()).unwrap_err();
        assert_eq!(
            err,
            TemplateError::Unknown {
                name: "titel".into(),
                offset: 6
            }
        );
        assert_eq!(err.to_string(), "unknown placeholder `{titel}`");
    }

    #[test]
    fn unavailable_placeholder_has_its_offset() {
        let err = render("Thanks {mentions}", &vars()).unwrap_err();
        assert_eq!(
            err,
            TemplateError::Unavailable {
                name: "mentions".into(),
                offset: 7
            }
        );
        assert!(matches!(
            render("{n}", &vars()),
            Err(TemplateError::Unavailable { offset: 0, .. })
        ));
        assert!(matches!(
            render("x {text}", &vars()),
            Err(TemplateError::Unavailable { offset: 2, .. })
        ));
    }

    #[test]
    fn unclosed_brace_has_its_offset() {
        assert_eq!(
            render("ok {title} then {oops", &vars()),
            Err(TemplateError::Unclosed { offset: 16 })
        );
        assert_eq!(TemplateError::Unclosed { offset: 4 }.offset(), 4);
    }

    #[test]
    fn lists_placeholders_in_order() {
        let used = placeholders("Q{n}. {{x}} {text} {bogus}").unwrap();
        let names: Vec<_> = used.iter().map(|u| (u.name, u.offset)).collect();
        assert_eq!(names, [("n", 1), ("text", 12), ("bogus", 19)]);
        assert!(placeholders("{").is_err());
    }

    #[test]
    fn appends_a_missing_hashtag() {
        assert_eq!(ensure_hashtag("Welcome!", "#hcsmbm"), "Welcome! #hcsmbm");
        assert_eq!(ensure_hashtag("Welcome!  ", "#hcsmbm"), "Welcome! #hcsmbm");
        assert_eq!(ensure_hashtag("", "#hcsmbm"), "#hcsmbm");
    }

    #[test]
    fn keeps_a_present_hashtag_in_any_case() {
        assert_eq!(
            ensure_hashtag("Join #HCSMBM now", "#hcsmbm"),
            "Join #HCSMBM now"
        );
        assert_eq!(ensure_hashtag("#hcsmbm: go", "#hcsmbm"), "#hcsmbm: go");
    }

    #[test]
    fn a_longer_tag_is_not_the_hashtag() {
        assert_eq!(
            ensure_hashtag("See #hcsmbm2 too", "#hcsmbm"),
            "See #hcsmbm2 too #hcsmbm"
        );
        assert_eq!(ensure_hashtag("a#hcsmbm", "#hcsmbm"), "a#hcsmbm #hcsmbm");
        assert_eq!(
            ensure_hashtag("#hcsmbm_old", "#hcsmbm"),
            "#hcsmbm_old #hcsmbm"
        );
    }

    #[test]
    fn never_removes_the_organizers_words() {
        let welcome = "#edchat is here! Join #EdChat and #edchat now #edchat";
        assert_eq!(ensure_hashtag(welcome, "#edchat"), welcome);
        assert_eq!(
            ensure_hashtag("Q1. What about #hcsmbm? #hcsmbm", "#hcsmbm"),
            "Q1. What about #hcsmbm? #hcsmbm"
        );
        assert_eq!(
            ensure_hashtag("#hcsmbm,#hcsmbm", "#hcsmbm"),
            "#hcsmbm,#hcsmbm"
        );
        assert_eq!(count_hashtag(welcome, "#edchat"), 4);
        assert_eq!(count_hashtag("See #edchat2 and #EDCHAT", "#edchat"), 1);
        assert_eq!(count_hashtag("nothing", "#edchat"), 0);
    }

    #[test]
    fn hashtag_without_hash_is_accepted() {
        assert_eq!(ensure_hashtag("Hi", "hcsmbm"), "Hi #hcsmbm");
        assert_eq!(ensure_hashtag("Hi", ""), "Hi");
    }

    #[test]
    fn fills_mentions_later() {
        let thanks = render(
            "Thanks {hashtag}: {mentions}",
            &Vars {
                mentions: Some("{mentions}"),
                ..vars()
            },
        )
        .unwrap();
        assert_eq!(fill_mentions(&thanks, "@a @b"), "Thanks #hcsmbm: @a @b");
    }

    proptest::proptest! {
        /// What the plan validator accepts always renders: the two readings
        /// of the syntax agree, so validated plans never post a raw template.
        #[test]
        fn templates_the_validator_accepts_render(
            template in "([a-z #]|\\{|\\}|\\{(title|n|text|mentions|bogus)\\}){0,12}",
        ) {
            let allowed = ["title", "hashtag", "time", "times", "date", "n", "text"];
            let accepted = crate::plan::templates::check(&template, "a test", &allowed).is_empty();
            let vars = Vars { n: Some(1), text: Some("q"), ..vars() };
            proptest::prop_assert_eq!(accepted, render(&template, &vars).is_ok(), "{}", template);
        }
    }
}
