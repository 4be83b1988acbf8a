//! Durations as organizers and operators write them: `90s`, `5m`, `1h30m`,
//! `1d`. The one duration grammar: chat files (`duration`, `before`, `at`,
//! `after`) and the settings (`rescan_interval`, `[grace]`) both read it,
//! so it sits below both layers.
//!
//! A duration is one or more `<number><unit>` parts with units `d`, `h`,
//! `m`, `s`, largest first, each unit at most once (`1h30m`, `2m30s`). Plain
//! numbers are refused because `5` could mean seconds or minutes.

use jiff::SignedDuration;

/// Parses a duration such as `1h30m`. The error says what to write instead;
/// for one spelled out (`45 minutes`, `1 hour 30 min`) it gives the compact
/// form.
pub fn parse(text: &str) -> Result<SignedDuration, String> {
    parse_compact(text).map_err(|err| match spelled_out(text) {
        Some(compact) => format!(
            "write `{compact}` for `{}`: units are one letter (d, h, m, s) right after the number",
            text.trim()
        ),
        None => err,
    })
}

/// The compact form of a duration written out in words (`45 minutes` →
/// `45m`, `1 hour 30 mins` → `1h30m`, `2 h` → `2h`), when that is a
/// duration [`parse`] takes.
fn spelled_out(text: &str) -> Option<String> {
    let mut compact = String::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return None;
        }
        compact.push_str(&rest[..digits]);
        rest = rest[digits..].trim_start();
        let word_len = rest.len() - rest.trim_start_matches(|c: char| c.is_alphabetic()).len();
        let unit = match rest[..word_len].to_lowercase().as_str() {
            "d" | "day" | "days" => 'd',
            "h" | "hr" | "hrs" | "hour" | "hours" => 'h',
            "m" | "min" | "mins" | "minute" | "minutes" => 'm',
            "s" | "sec" | "secs" | "second" | "seconds" => 's',
            _ => return None,
        };
        compact.push(unit);
        rest = rest[word_len..].trim_start_matches([' ', ',']);
        if let Some(after) = rest.strip_prefix("and ") {
            rest = after.trim_start();
        }
    }
    (compact != text.trim() && parse_compact(&compact).is_ok()).then_some(compact)
}

fn parse_compact(text: &str) -> Result<SignedDuration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut last_rank = usize::MAX;
    for ch in body.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        let (rank, seconds) = match ch {
            'd' => (3, 86_400),
            'h' => (2, 3_600),
            'm' => (1, 60),
            's' => (0, 1),
            _ => return Err(format!("`{ch}` is not a duration unit in `{text}`")),
        };
        if digits.is_empty() {
            return Err(format!("a number must come before `{ch}` in `{text}`"));
        }
        if rank >= last_rank {
            return Err(format!(
                "units must go from largest to smallest, each once, in `{text}`"
            ));
        }
        last_rank = rank;
        let n: i64 = digits
            .parse()
            .map_err(|_| format!("`{digits}` is too large in `{text}`"))?;
        total = n
            .checked_mul(seconds)
            .and_then(|part| total.checked_add(part))
            .filter(|t| *t <= 366 * 86_400)
            .ok_or_else(|| format!("`{text}` is longer than a year"))?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!(
            "`{text}` needs a unit after {digits}: s, m, h or d"
        ));
    }
    let total = if negative { -total } else { total };
    Ok(SignedDuration::from_secs(total))
}

/// Formats a duration the way [`parse`] reads it (`1h30m`, `0s`).
pub fn format(duration: SignedDuration) -> String {
    let mut secs = duration.as_secs();
    let mut out = String::new();
    if secs < 0 {
        out.push('-');
        secs = -secs;
    }
    for (unit, size) in [('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    if out.is_empty() || out == "-" {
        return "0s".into();
    }
    out
}

/// A duration [`parse`] accepts, without the sign (no key takes a negative
/// one), as a regular expression for the JSON Schema.
pub const PATTERN: &str = r"^\s*([0-9]+d([0-9]+h)?([0-9]+m)?([0-9]+s)?|[0-9]+h([0-9]+m)?([0-9]+s)?|[0-9]+m([0-9]+s)?|[0-9]+s)\s*$";

/// The help line for a malformed duration.
pub const HELP: &str = "write a number and a unit, largest first: `90s`, `5m`, `1h30m`, `1d`";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_unit_and_combination() {
        assert_eq!(parse("90s"), Ok(SignedDuration::from_secs(90)));
        assert_eq!(parse("5m"), Ok(SignedDuration::from_mins(5)));
        assert_eq!(parse("1h"), Ok(SignedDuration::from_hours(1)));
        assert_eq!(parse("1d"), Ok(SignedDuration::from_hours(24)));
        assert_eq!(parse("1h30m"), Ok(SignedDuration::from_mins(90)));
        assert_eq!(parse("1d2h3m4s"), Ok(SignedDuration::from_secs(93_784)));
        assert_eq!(parse(" 0s "), Ok(SignedDuration::ZERO));
        assert_eq!(parse("-5m"), Ok(SignedDuration::from_mins(-5)));
    }

    #[test]
    fn a_duration_in_words_is_answered_with_its_compact_form() {
        let err = parse("45 minutes").unwrap_err();
        assert!(err.starts_with("write `45m` for `45 minutes`"), "{err}");
        for (words, compact) in [
            ("1 hour 30 minutes", "1h30m"),
            ("1 hour, 30 mins", "1h30m"),
            ("1 hour and 30 min", "1h30m"),
            ("2 Hours", "2h"),
            ("90 sec", "90s"),
            ("1h 30m", "1h30m"),
            ("3 days", "3d"),
        ] {
            let err = parse(words).unwrap_err();
            assert!(
                err.contains(&format!("write `{compact}`")),
                "{words}: {err}"
            );
        }
        // Words that make no duration keep the plain error.
        for text in ["45 fortnights", "thirty minutes", "30 minutes 1 hour", "5x"] {
            let err = parse(text).unwrap_err();
            assert!(!err.starts_with("write `"), "{text}: {err}");
        }
    }

    #[test]
    fn rejects_what_is_ambiguous_or_malformed() {
        assert!(parse("").unwrap_err().contains("empty"));
        assert!(parse("5").unwrap_err().contains("needs a unit"));
        assert!(
            parse("5x")
                .unwrap_err()
                .contains("`x` is not a duration unit")
        );
        assert!(
            parse("m")
                .unwrap_err()
                .contains("a number must come before")
        );
        assert!(parse("30m1h").unwrap_err().contains("largest to smallest"));
        assert!(parse("1m1m").unwrap_err().contains("largest to smallest"));
        assert!(parse("1.5h").unwrap_err().contains("`.`"));
        assert!(parse("400d").unwrap_err().contains("longer than a year"));
        assert!(parse("99999999999999999999s").is_err());
    }

    #[test]
    fn format_round_trips() {
        for text in ["90s", "5m", "1h30m", "1d", "1d1s", "0s", "-5m"] {
            let d = parse(text).unwrap();
            assert_eq!(parse(&format(d)), Ok(d), "{text}");
        }
        assert_eq!(format(SignedDuration::from_secs(90)), "1m30s");
    }
}
