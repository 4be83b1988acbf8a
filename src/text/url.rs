//! Finding URLs the way the platforms do before they weigh a post.
//!
//! X and Mastodon count every URL as 23 characters whatever its length, so a
//! long link costs nothing extra and a short one costs more than it shows.
//! To count like them we must find the same URLs they find. twitter-text's
//! grammar is large (every IANA TLD, punycode, IDN and script-mixing rules);
//! this module keeps the part that matters for a tweet chat, following the
//! rules of twitter-text's own `extractUrlsWithIndices` (the JavaScript and
//! Java libraries X publishes):
//!
//! - `http://` and `https://` URLs whose host ends in a known TLD or an IDN
//!   (non-ASCII) TLD, with port, path, query and fragment;
//! - URLs without a scheme (`example.com/path`, `www.example.org`) whose last
//!   label is a generic TLD or a country-code TLD from [`super::tlds`]; as in
//!   twitter-text, a bare `name.cc` with a country code and no path is not a
//!   link (`example.de` is not, `example.de/x`, `www.example.de`, `example.co`
//!   and `example.tv` are);
//! - a URL does not start right after an ASCII letter or digit, `@`, `#` or
//!   `$` (nor, without a scheme, after `-`, `_`, `.` or `/`);
//! - the path/query/fragment character sets and trailing-punctuation rules of
//!   twitter-text (balanced parentheses kept, a final `.` or `,` dropped).
//!
//! Known differences from twitter-text: our TLD list is shorter (a rare gTLD
//! written without a scheme is counted letter by letter: over-counting, never
//! under-counting), IDN hosts without a scheme are not links, and t.co slugs
//! are not length-checked.

use std::ops::Range;

use super::tlds::is_known_tld;

/// Whether scheme-less domains (`example.com`) count as URLs: X links them,
/// Mastodon only links URLs with a scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schemes {
    Required,
    Optional,
}

/// Byte ranges of the URLs in `text`, in order, not overlapping.
pub fn find_urls(text: &str, schemes: Schemes) -> Vec<Range<usize>> {
    let mut urls = Vec::new();
    let mut prev: Option<char> = None;
    let mut pos = 0;
    while pos < text.len() {
        let rest = &text[pos..];
        if let Some(len) = url_at(rest, schemes, prev) {
            urls.push(pos..pos + len);
            prev = text[..pos + len].chars().next_back();
            pos += len;
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        prev = Some(c);
        pos += c.len_utf8();
    }
    urls
}

/// twitter-text's `validUrlPrecedingChars`: not after an ASCII letter or
/// digit or a mention, hashtag or cashtag sigil (`#example.com` is a hashtag).
fn may_precede_url(prev: Option<char>) -> bool {
    !prev.is_some_and(|c| {
        c.is_ascii_alphanumeric()
            || matches!(c, '@' | '#' | '$' | '＠' | '＃' | '\u{202a}'..='\u{202e}')
    })
}

/// twitter-text's `invalidUrlWithoutProtocolPrecedingChars`.
fn may_precede_bare_url(prev: Option<char>) -> bool {
    may_precede_url(prev) && !prev.is_some_and(|c| matches!(c, '-' | '_' | '.' | '/'))
}

/// The byte length of the URL starting at the beginning of `s`, if any.
fn url_at(s: &str, schemes: Schemes, prev: Option<char>) -> Option<usize> {
    if !may_precede_url(prev) {
        return None;
    }
    if let Some(scheme_len) = scheme_len(s) {
        let (host_len, _) = host_len(&s[scheme_len..], true)?;
        let end = scheme_len + host_len;
        return Some(end + tail_len(&s[end..]));
    }
    if schemes == Schemes::Required || !may_precede_bare_url(prev) {
        return None;
    }
    let (host_len, short_cc) = host_len(s, false)?;
    let tail = tail_len(&s[host_len..]);
    if short_cc && !s[host_len..].starts_with('/') {
        return None;
    }
    Some(host_len + tail)
}

fn scheme_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    if bytes.len() >= 8 && bytes[..8].eq_ignore_ascii_case(b"https://") {
        Some(8)
    } else if bytes.len() >= 7 && bytes[..7].eq_ignore_ascii_case(b"http://") {
        Some(7)
    } else {
        None
    }
}

/// The length of a host (with port): labels separated by dots, the last one
/// a TLD we know (or, after a scheme, an IDN TLD); and whether it is a short
/// country-code domain (`name.de`), which is a link without a scheme only
/// with a path.
fn host_len(s: &str, after_scheme: bool) -> Option<(usize, bool)> {
    let mut labels: Vec<&str> = Vec::new();
    let mut end = 0;
    loop {
        let label_len = s[end..]
            .char_indices()
            .find(|&(_, c)| !is_label_char(c, after_scheme))
            .map_or(s.len() - end, |(i, _)| i);
        if label_len == 0 {
            break;
        }
        labels.push(&s[end..end + label_len]);
        end += label_len;
        let after = &s[end..];
        if after.starts_with('.')
            && after[1..]
                .chars()
                .next()
                .is_some_and(|c| is_label_char(c, after_scheme))
        {
            end += 1;
        } else {
            break;
        }
    }
    if labels.len() < 2
        || labels
            .iter()
            .any(|l| l.starts_with('-') || l.ends_with('-'))
    {
        return None;
    }
    // `example.com@` is an e-mail-like thing, `example.comx` is not a TLD.
    if s[end..].starts_with(['@', '＠', '-', '_']) {
        return None;
    }
    let tld = labels[labels.len() - 1];
    let valid = is_known_tld(tld) || (after_scheme && !tld.is_ascii());
    if !valid || (!after_scheme && labels.iter().any(|l| !l.is_ascii())) {
        return None;
    }
    let short_cc = labels.len() == 2
        && tld.len() == 2
        && !tld.eq_ignore_ascii_case("co")
        && !tld.eq_ignore_ascii_case("tv");
    Some((end + port_len(&s[end..]), short_cc))
}

fn is_label_char(c: char, after_scheme: bool) -> bool {
    c.is_ascii_alphanumeric()
        || c == '-'
        || (after_scheme && c == '_')
        || (c as u32 >= 0x80 && (c.is_alphanumeric() || is_latin_accent(c)))
}

fn is_latin_accent(c: char) -> bool {
    matches!(c, '\u{00c0}'..='\u{00d6}' | '\u{00d8}'..='\u{00f6}' | '\u{00f8}'..='\u{024f}' | '\u{1e00}'..='\u{1eff}')
}

fn port_len(s: &str) -> usize {
    let Some(digits) = s.strip_prefix(':') else {
        return 0;
    };
    let n = digits.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 { 0 } else { 1 + n }
}

/// Path, query and fragment after the host.
fn tail_len(s: &str) -> usize {
    let mut end = 0;
    if s.starts_with('/') {
        end += path_len(s);
    }
    if s[end..].starts_with('?') {
        end += query_len(&s[end..]);
    }
    if s[end..].starts_with('#') {
        end += s[end + 1..]
            .bytes()
            .take_while(|&b| is_fragment_byte(b))
            .count()
            + 1;
    }
    end
}

fn is_path_punctuation(c: char) -> bool {
    "!*';:,.$%[]~|&@\u{2013}".contains(c)
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "=_-+/".contains(c)
        || is_path_punctuation(c)
        || matches!(c, '\u{0400}'..='\u{04ff}')
        || is_latin_accent(c)
}

/// A path starting with `/`: balanced parentheses are part of it, trailing
/// punctuation is not (`see example.com/a.` ends before the period).
fn path_len(s: &str) -> usize {
    let mut depth = 0usize;
    let mut end = 1;
    let mut balanced_end = 1;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            c if is_path_char(c) => {}
            _ => break,
        }
        end = i + c.len_utf8();
        if depth == 0 {
            balanced_end = end;
        }
    }
    let end = if depth > 0 { balanced_end } else { end };
    s[..end]
        .trim_end_matches(|c: char| is_path_punctuation(c))
        .len()
}

fn query_len(s: &str) -> usize {
    let mut last_end = 0;
    for (i, c) in s.char_indices().skip(1) {
        if c.is_ascii_alphanumeric() || "-_&=/+".contains(c) {
            last_end = i + 1;
        } else if !"!?*'();:$%[].~|@,".contains(c) {
            break;
        }
    }
    if last_end == 0 { 1 } else { last_end }
}

fn is_fragment_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_&=/+#!?*'();:$%[].~|@,".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(text: &str, schemes: Schemes) -> Vec<&str> {
        find_urls(text, schemes)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn finds_urls_with_and_without_scheme() {
        let text = "see https://example.com/a(b)c?x=1#top www.example.org and foo.io/bar.";
        assert_eq!(
            urls(text, Schemes::Optional),
            [
                "https://example.com/a(b)c?x=1#top",
                "www.example.org",
                "foo.io/bar"
            ]
        );
        assert_eq!(
            urls(text, Schemes::Required),
            ["https://example.com/a(b)c?x=1#top"]
        );
    }

    #[test]
    fn skips_hashtags_mentions_emails_and_unknown_tlds() {
        let text = "#example.com @example.com me@example.com file.txt v1.2 a.notatld";
        assert!(
            urls(text, Schemes::Optional).is_empty(),
            "{:?}",
            urls(text, Schemes::Optional)
        );
    }

    #[test]
    fn accepts_ports_and_tco_but_not_bare_short_country_domains() {
        let text = "http://example.com:8080/x and t.co/abc and HTTPS://EXAMPLE.COM and example.de";
        assert_eq!(
            urls(text, Schemes::Optional),
            [
                "http://example.com:8080/x",
                "t.co/abc",
                "HTTPS://EXAMPLE.COM"
            ]
        );
    }
}
