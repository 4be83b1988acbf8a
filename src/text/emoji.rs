//! Emoji sequences as twitter-text v3 sees them.
//!
//! With `emojiParsingEnabled` (config v3, what X uses) a whole emoji sequence
//! — a base with skin-tone modifier, a ZWJ family, a flag, a keycap —
//! weighs as much as one default-weight code point (2), whatever its length.
//! twitter-text finds candidate sequences with a permissive matcher and keeps
//! those that are real (RGI) emoji; a candidate that is not an emoji is
//! counted code point by code point. We do the same, with the `emojis` crate
//! as the list of real emoji (the same data the reference implementation
//! uses), except that a regional indicator only continues a candidate to
//! complete a flag (see `tests/count.rs`: the reference crate fuses
//! `🇺🇸🇬🇧` into one invalid candidate and counts it as 8, X counts 4).

/// Could `c` begin an emoji sequence?
fn is_emoji_start(c: char) -> bool {
    matches!(c, '\u{00a9}' | '\u{00ae}' | '\u{203c}'..='\u{3299}' | '\u{1f000}'..='\u{1faff}')
}

fn is_regional_indicator(c: char) -> bool {
    matches!(c, '\u{1f1e6}'..='\u{1f1ff}')
}

/// Characters that extend an emoji without a joiner.
fn is_modifier(c: char) -> bool {
    matches!(c,
        '\u{1f3fb}'..='\u{1f3ff}' | '\u{fe0e}' | '\u{fe0f}' | '\u{20e3}' | '\u{e0000}'..='\u{e007f}')
}

/// An emoji candidate at the start of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Candidate {
    /// A real emoji sequence of this many bytes: weighs 2 in all.
    Emoji(usize),
    /// Looked like one but is not: these bytes are weighed code point by
    /// code point, and no emoji starts inside them (as in twitter-text).
    Text(usize),
}

/// The emoji candidate at the start of `s`, if any.
pub fn emoji_at(s: &str) -> Option<Candidate> {
    let len = candidate_len(s)?;
    if matches!(&s[..len], "\u{a9}" | "\u{ae}") {
        // A bare © or ® is text to twitter-text (its emoji list has them
        // only with U+FE0F), weighing 1 like any Latin-1 character.
        return None;
    }
    Some(if emojis::get(&s[..len]).is_some() {
        Candidate::Emoji(len)
    } else {
        Candidate::Text(len)
    })
}

/// The permissive candidate: keycaps (`1️⃣`), flags (two regional
/// indicators), or a base followed by modifiers and ZWJ-joined emoji.
fn candidate_len(s: &str) -> Option<usize> {
    let mut chars = s.chars();
    let first = chars.next()?;
    if matches!(first, '#' | '*' | '0'..='9') {
        let rest = &s[1..];
        let after_vs = rest.strip_prefix('\u{fe0f}').unwrap_or(rest);
        return after_vs
            .starts_with('\u{20e3}')
            .then(|| s.len() - after_vs.len() + '\u{20e3}'.len_utf8());
    }
    if !is_emoji_start(first) {
        return None;
    }
    let mut len = first.len_utf8();
    if is_regional_indicator(first)
        && let Some(second) = s[len..]
            .chars()
            .next()
            .filter(|&c| is_regional_indicator(c))
    {
        len += second.len_utf8();
    }
    loop {
        let mut rest = s[len..].chars();
        match rest.next() {
            Some(c) if is_modifier(c) => len += c.len_utf8(),
            Some('\u{200d}') => match rest.next() {
                // As in twitter-text, a keycap base may follow a joiner too.
                Some(next) if is_emoji_start(next) || matches!(next, '#' | '*' | '0'..='9') => {
                    len += '\u{200d}'.len_utf8() + next.len_utf8()
                }
                _ => break,
            },
            _ => break,
        }
    }
    Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_sequences_are_one_emoji() {
        for emoji in ["😀", "👋🏽", "👨‍👩‍👧‍👦", "🇺🇸", "1️⃣", "#\u{20e3}", "🏳️‍🌈", "🏴󠁧󠁢󠁳󠁣󠁴󠁿"]
        {
            assert_eq!(
                emoji_at(emoji),
                Some(Candidate::Emoji(emoji.len())),
                "{emoji}"
            );
        }
        assert_eq!(emoji_at("🇺🇸🇬🇧"), Some(Candidate::Emoji("🇺🇸".len())));
    }

    #[test]
    fn text_is_not_an_emoji() {
        for text in ["a", "1", "#tag", "é"] {
            assert_eq!(emoji_at(text), None, "{text}");
        }
        assert_eq!(emoji_at("→\u{fe0f}"), Some(Candidate::Text(6)));
        assert_eq!(emoji_at("© 2026"), None, "a bare © is text");
        assert_eq!(emoji_at("©\u{fe0f}"), Some(Candidate::Emoji(5)));
    }
}
