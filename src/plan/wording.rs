//! Our words for other libraries' errors.
//!
//! An organizer who mistypes a chat file should read what went wrong in the
//! file's terms (a key written twice, text that needs quotes, an hour that
//! does not exist), never a library's internals (`set DuplicateKeyPolicy in
//! Options`, `CronPattern contains illegal character`). The YAML parser's
//! sentences are mapped here; cron lines are checked field by field before
//! the cron parser sees them, so its messages are never shown either.

/// Quoting advice shared by every YAML trap.
pub const QUOTE_HELP: &str = "put the whole text in double quotes: `text: \"Hi: it is #edchat time!\"` (inside, write \\\" for a quote)";

/// The message and help for a YAML syntax error, from the parser's sentence.
pub fn yaml_error(parser: &str) -> (String, String) {
    // The loader's own limits, checked while parsing (node::events::refused).
    if parser.starts_with("the file holds more than") {
        return (parser.into(), "split the chat into several files".into());
    }
    if parser.starts_with("lists and mappings nested") {
        return (
            parser.into(),
            "a chat file needs a few levels at most: check the brackets and the indentation".into(),
        );
    }
    let lower = parser.to_lowercase();
    if let Some(rest) = lower.strip_prefix("duplicate mapping key") {
        let key = rest
            .trim_start_matches([':', ' '])
            .split(',')
            .next()
            .unwrap_or("")
            .trim();
        let message = if key.is_empty() {
            "a key is written twice in the same mapping".to_string()
        } else {
            format!("`{key}` is written twice in the same mapping")
        };
        return (
            message,
            "keep one of them: a key may appear only once".into(),
        );
    }
    if lower.contains("mapping values are not allowed")
        || lower.contains("illegal placement of ':'")
    {
        return (
            "a `: ` inside unquoted text reads as a new key".into(),
            QUOTE_HELP.into(),
        );
    }
    if lower.contains("unclosed quote") {
        return (
            "a quote is opened and never closed".into(),
            "close the quote at the end of the text, or write \\\" for a quote inside double quotes"
                .into(),
        );
    }
    if let Some(c) = unexpected_control(parser) {
        return (
            format!(
                "the control character {} cannot stand in a chat file",
                super::bounds::code_point(c)
            ),
            "remove it: a chat file may hold line breaks but no other control characters (they come with text pasted from a terminal or a word processor)".into(),
        );
    }
    if lower.contains("tab") {
        return (
            "a tab is used for indentation".into(),
            "indent with spaces only (two per level)".into(),
        );
    }
    if lower.contains("indentation") || lower.contains("did not find expected") {
        return (
            "the indentation does not line up here".into(),
            "indent every key of the same mapping by the same number of spaces, and list items with `- `; quote text that contains `: ` or starts with `#`".into(),
        );
    }
    (
        format!("invalid YAML: {}", strip_internals(parser)),
        "fix the YAML syntax here (indentation, quotes, `key: value`); quote text that contains `: ` or starts with `#`".into(),
    )
}

/// The control character the parser stopped at (`unexpected character:
/// `\u{7}'`, a char printed as Rust debug text), if that is what it was.
fn unexpected_control(parser: &str) -> Option<char> {
    let rest = parser.split("unexpected character").nth(1)?;
    if let Some(c) = rest.chars().find(|c| c.is_control()) {
        return Some(c);
    }
    let escape = rest.split('\\').nth(1)?;
    let c = match escape.chars().next()? {
        '0' => '\0',
        'r' => '\r',
        't' => '\t',
        'u' => {
            let hex = escape.strip_prefix("u{")?.split('}').next()?;
            char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
        }
        _ => return None,
    };
    c.is_control().then_some(c)
}

/// Drops parser jargon in angle brackets (`<document start>`).
fn strip_internals(message: &str) -> String {
    message
        .replace("<stream-start>", "the start of the file")
        .replace("<document start>", "the start of the file")
}

/// One cron field's name and range.
struct Field {
    name: &'static str,
    /// The name with its article, for "is not an hour".
    what: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: [Field; 5] = [
    Field {
        name: "minute",
        what: "a minute",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hour",
        what: "an hour",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day of the month",
        what: "a day of the month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        what: "a month",
        min: 1,
        max: 12,
        names: MONTHS,
    },
    Field {
        name: "day of the week",
        what: "a day of the week",
        min: 0,
        max: 7,
        names: DAYS,
    },
];

/// The first field of a 5-field cron line that is not valid, in our words:
/// `the hour field `7PM` is not an hour: write 0 to 23 (19 is 7 pm)`.
pub fn cron_field_problem(line: &str) -> Option<String> {
    if line.starts_with('@') {
        return None;
    }
    for (field, text) in FIELDS.iter().zip(line.split_whitespace()) {
        if let Err(why) = check_field(field, text) {
            return Some(format!("the {} field `{text}` {why}", field.name));
        }
    }
    None
}

fn check_field(field: &Field, text: &str) -> Result<(), String> {
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => (range, Some(step)),
            None => (part, None),
        };
        if let Some(step) = step
            && !step.parse::<u32>().is_ok_and(|s| s > 0)
        {
            return Err(format!(
                "has the step `/{step}`: write a whole number after `/`, like `*/15`"
            ));
        }
        if range == "*" || (range == "?" && field.min != 0) {
            continue;
        }
        let (lo, hi) = match range.split_once('-') {
            Some((lo, hi)) => (lo, Some(hi)),
            None => (range, None),
        };
        let lo = value(field, lo)?;
        if let Some(hi) = hi {
            let hi = value(field, hi)?;
            if hi < lo {
                return Err(format!(
                    "is a range that runs backwards: write `{}` smallest first",
                    range.split('-').rev().collect::<Vec<_>>().join("-")
                ));
            }
        }
    }
    Ok(())
}

fn value(field: &Field, text: &str) -> Result<u32, String> {
    // `WED#2`, `FRIL`, `L`: the cron parser's own extensions, judged there.
    if text.contains('#') || text.ends_with(['L', 'l']) || text.eq_ignore_ascii_case("W") {
        return Ok(field.min);
    }
    if let Ok(n) = text.parse::<u32>() {
        if (field.min..=field.max).contains(&n) {
            return Ok(n);
        }
        return Err(format!(
            "is out of range: {}s go from {} to {}",
            field.name, field.min, field.max
        ));
    }
    let upper = text.to_ascii_uppercase();
    if let Some(i) = field.names.iter().position(|n| *n == upper) {
        return Ok(u32::try_from(i).unwrap_or(0) + field.min);
    }
    let mut why = format!(
        "is not {}: write a number from {} to {}",
        field.what, field.min, field.max
    );
    if !field.names.is_empty() {
        why.push_str(&format!(" or a name like `{}`", field.names[2]));
    }
    if field.name == "hour" {
        let pm = upper.strip_suffix("PM").and_then(|h| h.parse::<u32>().ok());
        let am = upper.strip_suffix("AM").and_then(|h| h.parse::<u32>().ok());
        match (am, pm) {
            (_, Some(h)) if (1..=12).contains(&h) => {
                why.push_str(&format!(" ({} is {h} pm)", (h % 12) + 12));
            }
            (Some(h), _) if (1..=12).contains(&h) => {
                why.push_str(&format!(" ({} is {h} am)", h % 12));
            }
            _ => {}
        }
    }
    Err(why)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_control_character_the_parser_stops_at_is_named() {
        let (message, help) = super::yaml_error("unexpected character: `\\u{7}'");
        assert_eq!(
            message,
            "the control character U+0007 cannot stand in a chat file"
        );
        assert!(help.starts_with("remove it"), "{help}");
        let (message, _) = super::yaml_error("unexpected character: `\\u{1b}'");
        assert!(message.contains("U+001B (escape)"), "{message}");
        let (message, _) = super::yaml_error("unexpected character: `@'");
        assert!(message.starts_with("invalid YAML"), "{message}");
    }

    use super::*;

    #[test]
    fn parser_sentences_become_ours() {
        let (message, help) = yaml_error(
            "duplicate mapping key: title, set DuplicateKeyPolicy in Options if acceptable",
        );
        assert_eq!(message, "`title` is written twice in the same mapping");
        assert!(help.contains("only once"));
        let (message, help) = yaml_error("mapping values are not allowed in this context");
        assert!(message.contains("`: `"), "{message}");
        assert!(help.contains("double quotes"), "{help}");
        for sentence in [
            "duplicate mapping key, set DuplicateKeyPolicy in Options if acceptable",
            "while parsing a block mapping, did not find expected key",
            "did not find expected <document start>",
        ] {
            let (message, help) = yaml_error(sentence);
            for internal in ["DuplicateKeyPolicy", "Options", "<"] {
                assert!(!message.contains(internal), "{message}");
                assert!(!help.contains(internal), "{help}");
            }
        }
    }

    #[test]
    fn cron_fields_are_judged_in_our_words() {
        assert_eq!(cron_field_problem("0 12 * * WED"), None);
        assert_eq!(cron_field_problem("*/15 9-17 1,15 JAN-MAR MON-FRI"), None);
        assert_eq!(cron_field_problem("0 12 * * 7"), None);
        assert_eq!(
            cron_field_problem("0 7PM * * *").as_deref(),
            Some("the hour field `7PM` is not an hour: write a number from 0 to 23 (19 is 7 pm)")
        );
        let problem = cron_field_problem("0 25 * * *").unwrap();
        assert_eq!(
            problem,
            "the hour field `25` is out of range: hours go from 0 to 23"
        );
        let problem = cron_field_problem("0 12 * * WEDS").unwrap();
        assert!(problem.contains("`WEDS`"), "{problem}");
        assert!(problem.contains("`TUE`"), "{problem}");
        let problem = cron_field_problem("0 12 * * FRI-MON").unwrap();
        assert!(problem.contains("backwards"), "{problem}");
        assert!(cron_field_problem("*/0 * * * *").unwrap().contains("step"));
    }
}
