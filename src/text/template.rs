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
//! | `{topic}`    | the session's topic (empty without one)           | everywhere      |
//! | `{host}`     | the session's guest host(s): `@a and @b`          | everywhere      |
//! | `{number}`   | the session's running number among held ones      | everywhere      |
//! | `{page}`     | the session's public page (`…/chats/ID/DATE`)     | everywhere      |
//!
//! [`ensure_hashtag`] then makes every post carry the hashtag: a chat lives
//! by its hashtag, and a post without it is invisible to the participants.
//! It only ever appends; a text that names the tag twice is the organizer's
//! choice, which `check` points out rather than rewrites.

/// The longest post rendered: twice the longest post a network takes by
/// default (Mastodon's 500 characters). Rendering stops past it, so a
/// template that repeats `{title}` thousands of times costs a few
/// kilobytes, not gigabytes; the plan loader reports such a template where
/// it was written.
pub const MAX_RENDERED_CHARS: usize = 1_000;

/// Every placeholder name a template may use.
pub const PLACEHOLDERS: [&str; 13] = [
    "title", "hashtag", "time", "times", "date", "n", "text", "mentions", "calendar", "topic",
    "host", "number", "page",
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
    /// `{topic}`: the session's topic; empty without one (`check` warns).
    pub topic: Option<&'a str>,
    /// `{host}`: the session's host(s), joined; empty without one.
    pub host: Option<&'a str>,
    /// `{number}`: the session's running number.
    pub number: Option<u32>,
    /// `{page}`: the public address of the session's page.
    pub page: Option<&'a str>,
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
    /// The post passed [`MAX_RENDERED_CHARS`] at the placeholder at
    /// `offset` and was not built further.
    #[error("the post passes {limit} characters once its placeholders are filled in")]
    TooLong { limit: usize, offset: usize },
}

impl TemplateError {
    /// Byte offset of the offending `{` in the template.
    pub fn offset(&self) -> usize {
        match self {
            TemplateError::Unknown { offset, .. }
            | TemplateError::Unavailable { offset, .. }
            | TemplateError::Unclosed { offset }
            | TemplateError::TooLong { offset, .. } => *offset,
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

/// Cuts `template` into pieces, in order; the only syntax error is an
/// unclosed `{`, which ends the pieces. An iterator rather than a list:
/// `check` reads about fifty templates a file, and each list was two or
/// three allocations for a few pieces read once.
fn pieces(template: &str) -> Pieces<'_> {
    Pieces {
        template,
        at: 0,
        literal_start: 0,
        placeholder: None,
        done: false,
    }
}

struct Pieces<'t> {
    template: &'t str,
    /// Where to look for the next brace.
    at: usize,
    /// Where the literal being gathered starts.
    literal_start: usize,
    /// Found with the literal before it, handed out next.
    placeholder: Option<PlaceholderUse<'t>>,
    done: bool,
}

impl<'t> Iterator for Pieces<'t> {
    type Item = Result<Piece<'t>, TemplateError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(used) = self.placeholder.take() {
            return Some(Ok(Piece::Placeholder(used)));
        }
        if self.done {
            return None;
        }
        let template = self.template;
        let bytes = template.as_bytes();
        loop {
            let Some(found) = memchr::memchr2(b'{', b'}', &bytes[self.at..]) else {
                self.done = true;
                return Some(Ok(Piece::Literal(&template[self.literal_start..])));
            };
            let i = self.at + found;
            if bytes.get(i + 1) == Some(&bytes[i]) {
                // `{{` or `}}`: keep one brace of the pair, ending the
                // literal after the first.
                let literal = &template[self.literal_start..=i];
                self.at = i + 2;
                self.literal_start = self.at;
                return Some(Ok(Piece::Literal(literal)));
            }
            if bytes[i] == b'}' {
                // A lone `}` is kept as it is.
                self.at = i + 1;
                continue;
            }
            let literal = &template[self.literal_start..i];
            let Some(close) = template[i..].find('}') else {
                self.done = true;
                return Some(Err(TemplateError::Unclosed { offset: i }));
            };
            self.placeholder = Some(PlaceholderUse {
                name: &template[i + 1..i + close],
                offset: i,
            });
            self.at = i + close + 1;
            self.literal_start = self.at;
            return Some(Ok(Piece::Literal(literal)));
        }
    }
}

/// Every placeholder `template` uses, in order, known or not; for checks
/// that want to report all of them rather than the first.
pub fn placeholders(template: &str) -> Result<Vec<PlaceholderUse<'_>>, TemplateError> {
    pieces(template)
        .filter_map(|piece| match piece {
            Ok(Piece::Placeholder(used)) => Some(Ok(used)),
            Ok(Piece::Literal(_)) => None,
            Err(err) => Some(Err(err)),
        })
        .collect()
}

/// Fills `template`. `{{` and `}}` are literal braces. An unclosed `{`
/// anywhere is the error reported, before any placeholder problem; a post
/// that passes [`MAX_RENDERED_CHARS`] stops there
/// ([`TemplateError::TooLong`]).
pub fn render(template: &str, vars: &Vars<'_>) -> Result<String, TemplateError> {
    let (out, problem) = render_capped(template, vars);
    problem.map_or(Ok(out), Err)
}

/// [`render`], keeping the text on [`TemplateError::TooLong`]: then it is
/// cut one character past [`MAX_RENDERED_CHARS`], so whoever posts it can
/// still tell it passed the cap (the daemon records such a post as failed
/// rather than sending it), and it never grows further.
pub fn render_capped(template: &str, vars: &Vars<'_>) -> (String, Option<TemplateError>) {
    let mut out = String::with_capacity(template.len().min(4 * MAX_RENDERED_CHARS) + 64);
    let mut problem = None;
    // Characters in `out`, counted as it grows (each piece once).
    let mut chars = 0;
    for piece in pieces(template) {
        let piece = match piece {
            Ok(piece) => piece,
            Err(err) => return (out, Some(err)),
        };
        if problem.is_some() {
            // Read on only for an unclosed `{`, which is reported first.
            continue;
        }
        let before = out.len();
        let offset = match piece {
            Piece::Literal(text) => {
                out.push_str(text);
                // A literal is a slice of the template: its offset.
                (text.as_ptr() as usize).saturating_sub(template.as_ptr() as usize)
            }
            Piece::Placeholder(used) => {
                if let Err(err) = push_value(&mut out, used, vars) {
                    problem = Some(err);
                }
                used.offset
            }
        };
        let added = out[before..].chars().count();
        if chars + added > MAX_RENDERED_CHARS && problem.is_none() {
            // Keep one character past the cap, and nothing after it.
            let keep = MAX_RENDERED_CHARS + 1 - chars;
            let cut = out[before..]
                .char_indices()
                .nth(keep)
                .map_or(out.len(), |(i, _)| before + i);
            out.truncate(cut);
            problem = Some(TemplateError::TooLong {
                limit: MAX_RENDERED_CHARS,
                offset,
            });
        }
        chars += added;
    }
    (out, problem)
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
        "topic" => out.push_str(vars.topic.unwrap_or("")),
        "host" => out.push_str(vars.host.unwrap_or("")),
        "number" => {
            let number = vars.number.ok_or_else(unavailable)?;
            out.push_str(&number.to_string());
        }
        "page" => out.push_str(vars.page.ok_or_else(unavailable)?),
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
    let mut lowercase_body = None;
    let mut found = Vec::new();
    // `#` is one byte that never occurs inside another character, so its
    // byte positions are the candidates.
    for start in memchr::memchr_iter(b'#', text.as_bytes()) {
        let previous = text[..start].chars().next_back();
        if previous.is_some_and(|p| is_tag_char(p) || p == '&') {
            continue;
        }
        let rest = &text[start + 1..];
        let tag = &rest[..rest.find(|c: char| !is_tag_char(c)).unwrap_or(rest.len())];
        // Nearly every hashtag is ASCII: compared without new strings.
        let same = if tag.is_ascii() && body.is_ascii() {
            tag.eq_ignore_ascii_case(body)
        } else {
            tag.to_lowercase() == *lowercase_body.get_or_insert_with(|| body.to_lowercase())
        };
        if same {
            found.push(start..start + 1 + tag.len());
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
            topic: None,
            host: None,
            number: None,
            page: None,
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
    fn an_unclosed_brace_is_reported_before_an_earlier_bad_placeholder() {
        let unclosed = TemplateError::Unclosed { offset: 13 };
        assert_eq!(
            render("Hi {titel} } {title", &vars()),
            Err(unclosed.clone())
        );
        assert_eq!(
            render("{mentions} } {title", &vars()),
            Err(TemplateError::Unclosed { offset: 13 })
        );
        assert_eq!(placeholders("Hi {titel} } {title"), Err(unclosed));
    }

    #[test]
    fn pieces_keep_every_brace_rule_together() {
        let uses = placeholders("}} {{x}} {a{b} } {{{n}}} {}").unwrap();
        let names: Vec<_> = uses.iter().map(|u| (u.name, u.offset)).collect();
        assert_eq!(names, [("a{b", 9), ("n", 19), ("", 25)]);
        let vars = Vars {
            n: Some(7),
            ..vars()
        };
        assert_eq!(
            render("}} {{x}} {n} } {{{n}}}", &vars).unwrap(),
            "} {x} 7 } {7}"
        );
        assert_eq!(render("", &vars).unwrap(), "");
        assert_eq!(render("{{", &vars).unwrap(), "{");
        assert_eq!(
            render("{", &vars),
            Err(TemplateError::Unclosed { offset: 0 })
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
        // Beyond ASCII the comparison is Unicode lowercase, as before.
        assert_eq!(count_hashtag("#ÉCOLE et #école, #écoles", "#École"), 2);
        assert_eq!(count_hashtag("#İstanbul #istanbul", "#istanbul"), 1);
        assert_eq!(count_hashtag("café#edchat &#edchat ##edchat", "#edchat"), 1);
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

    #[test]
    fn a_post_that_would_pass_the_limit_stops_there() {
        let title = "T".repeat(1 << 20);
        let template = "{title} ".repeat(3_000);
        let huge = Vars {
            title: &title,
            ..vars()
        };
        let err = render(&template, &huge).unwrap_err();
        assert_eq!(
            err,
            TemplateError::TooLong {
                limit: MAX_RENDERED_CHARS,
                offset: 0
            }
        );
        // Kept for the daemon, the text stops one character past the cap.
        let (kept, problem) = render_capped(&template, &huge);
        assert!(matches!(problem, Some(TemplateError::TooLong { .. })));
        assert_eq!(kept.chars().count(), MAX_RENDERED_CHARS + 1);
        // The boundary: exactly the limit renders, one more does not.
        let exact = "é".repeat(MAX_RENDERED_CHARS - 15) + "{title}";
        assert_eq!(
            render(&exact, &vars()).unwrap().chars().count(),
            MAX_RENDERED_CHARS
        );
        let over = format!("x{exact}");
        assert!(matches!(
            render(&over, &vars()),
            Err(TemplateError::TooLong { offset: 1971, .. })
        ));
        // An unclosed brace further on is still the error reported.
        let unclosed = format!("{template} {{oops");
        assert!(matches!(
            render(&unclosed, &huge),
            Err(TemplateError::Unclosed { .. })
        ));
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
