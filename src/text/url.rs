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
//! - `http://` and `https://` URLs whose host ends in a known TLD (after a
//!   scheme also an internationalised one such as `рф`), with port, path,
//!   query and fragment; a host whose last label is no TLD is cut back to the
//!   rightmost one that is (`https://example.co.uka` links `…example.co`);
//!   `https://t.co/` takes only a slug of up to 40 letters and digits;
//! - URLs without a scheme (`example.com/path`, `www.example.org`) whose last
//!   label is a generic TLD or a country-code TLD from [`super::tlds`]
//!   (`example.de` and `foo.io` are links to twitter-text 3.1.0 too);
//! - a URL does not start right after an ASCII letter or digit, `@`, `#` or
//!   `$` (nor, without a scheme, after `-`, `_`, `.` or `/`), and a label is
//!   Latin or not, never both (`example.com日本` links `example.com`);
//! - the path/query/fragment character sets and trailing-punctuation rules of
//!   twitter-text (balanced parentheses kept, a final `.` or `,` dropped).
//!
//! `tests/count.rs` compares the result with the twitter-text crate on
//! random URLs. Known differences: our TLD list is shorter (a rare gTLD
//! written without a scheme is counted letter by letter: over-counting, never
//! under-counting), IDN hosts without a scheme are not links, and oddities
//! glued straight onto a TLD (`example.co.uk-a`, `example.com.д-`) may be
//! cut differently.

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
/// The regex also names the directional embeddings U+202A–U+202E, but npm
/// twitter-text 3.1.0 links a URL right after them (its conformance case
/// "Tweet text containing directional characters should be considered
/// valid" says so too), so they do not stop a link here either.
fn may_precede_url(prev: Option<char>) -> bool {
    !prev.is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '@' | '#' | '$' | '＠' | '＃'))
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
        if let Some(len) = tco_len(&s[scheme_len..]) {
            return Some(scheme_len + len);
        }
        let host = host(&s[scheme_len..], true)?;
        let end = scheme_len + host.len;
        let tail = if host.takes_tail {
            tail_len(&s[end..])
        } else {
            0
        };
        return Some(end + tail);
    }
    if schemes == Schemes::Required || !may_precede_bare_url(prev) {
        return None;
    }
    let host = host(s, false)?;
    let tail = if host.takes_tail {
        tail_len(&s[host.len..])
    } else {
        0
    };
    Some(host.len + tail)
}

/// X's own short links: `t.co/` and a slug of at most 40 letters and
/// digits, then an optional query (and fragment); nothing else of a path.
fn tco_len(s: &str) -> Option<usize> {
    let rest = s.strip_prefix("t.co")?;
    if rest
        .chars()
        .next()
        .is_some_and(|c| is_label_char(c, true) || c == '.')
    {
        return None;
    }
    let mut end = 4;
    if let Some(path) = rest.strip_prefix('/') {
        let slug = path.bytes().take_while(u8::is_ascii_alphanumeric).count();
        if slug > 40 {
            return None;
        }
        end += 1 + slug;
    }
    if s[end..].starts_with('?') {
        end += query_len(&s[end..]);
        if s[end..].starts_with('#') {
            end += fragment_len(&s[end..]);
        }
    }
    Some(end)
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

/// A host found at the start of a text.
struct Host {
    /// Bytes up to the end of the host (and port, when the whole host is valid).
    len: usize,
    /// Whether a path, query or fragment may follow: not when the host was
    /// cut back to its last valid TLD (`example.co.uka` links `example.co`).
    takes_tail: bool,
}

/// Whether `label` is 1 to 63 bytes long in its ASCII (punycode) form.
fn label_fits_dns(label: &str) -> bool {
    if label.is_ascii() {
        return (1..=63).contains(&label.len());
    }
    // The URL parser applies IDNA to the host; its first label is ours.
    reqwest::Url::parse(&format!("http://{label}.example/"))
        .ok()
        .and_then(|url| {
            url.host_str()
                .map(|h| h.split('.').next().unwrap_or_default().len())
        })
        .is_some_and(|n| (1..=63).contains(&n))
}

/// The host at the start of `s`: dot-separated labels ending in a TLD we
/// know (after a scheme also one in its own script, such as `рф`). When the last label is no TLD the
/// host is cut back to the rightmost one that is, as twitter-text does.
fn host(s: &str, after_scheme: bool) -> Option<Host> {
    let labels = labels(s, after_scheme);
    if labels
        .iter()
        .any(|l| s[l.clone()].starts_with('-') || s[l.clone()].ends_with('-'))
    {
        return None;
    }
    if !after_scheme && labels.iter().any(|l| !s[l.clone()].is_ascii()) {
        return None;
    }
    // A DNS label is at most 63 bytes once IDNA-encoded: a longer one makes
    // no link at all, so twitter-text counts its characters.
    if labels.iter().any(|l| !label_fits_dns(&s[l.clone()])) {
        return None;
    }
    let is_tld = |tld: &str| is_known_tld(tld) && (after_scheme || tld.is_ascii());
    let last = (1..labels.len())
        .rev()
        .find(|&i| is_tld(&s[labels[i].clone()]))?;
    let end = labels[last].end;
    if last + 1 < labels.len() {
        return Some(Host {
            len: end,
            takes_tail: false,
        });
    }
    // `example.com@` is an e-mail-like thing, `example.comx` is not a TLD.
    let after = s[end..].strip_prefix('.').unwrap_or(&s[end..]);
    if s[end..].starts_with('-') || after.starts_with(['@', '＠']) {
        return None;
    }
    let end = end + port_len(&s[end..]);
    // `user:password@host` is userinfo, not a host with a port.
    if s[end..].starts_with(['@', '＠']) {
        return None;
    }
    Some(Host {
        len: end,
        takes_tail: true,
    })
}

/// The byte ranges of the dot-separated labels at the start of `s`.
fn labels(s: &str, after_scheme: bool) -> Vec<Range<usize>> {
    let mut labels = Vec::new();
    let mut end = 0;
    loop {
        let label_len = label_len(&s[end..], after_scheme);
        if label_len == 0 {
            break;
        }
        labels.push(end..end + label_len);
        end += label_len;
        let after = &s[end..];
        let more = after.starts_with('.')
            && after[1..]
                .chars()
                .next()
                .is_some_and(|c| c != '-' && is_label_char(c, after_scheme));
        if !more {
            break;
        }
        end += 1;
    }
    // `https://example.com_`: the underscore is not part of the TLD.
    if let Some(last) = labels.last_mut() {
        last.end = last.start + s[last.clone()].trim_end_matches('_').len();
    }
    labels
}

/// A label is Latin (ASCII and accented letters) or not, never both: in
/// `example.com日本` the host ends after `com`, as in twitter-text.
fn label_len(s: &str, after_scheme: bool) -> usize {
    let mut chars = s.char_indices();
    let Some((_, first)) = chars
        .next()
        .filter(|&(_, c)| is_label_char(c, after_scheme))
    else {
        return 0;
    };
    let latin = is_latin(first);
    chars
        .find(|&(_, c)| !is_label_char(c, after_scheme) || is_latin(c) != latin)
        .map_or(s.len(), |(i, _)| i)
}

fn is_latin(c: char) -> bool {
    c.is_ascii() || is_latin_accent(c)
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
    // twitter-text has no fragment of its own: `#` is a path or query
    // character, so `example.org#tag` is a link and a hashtag.
    if end > 0 && s[end..].starts_with('#') {
        end += fragment_len(&s[end..]);
    }
    end
}

fn fragment_len(s: &str) -> usize {
    1 + s[1..].bytes().take_while(|&b| is_fragment_byte(b)).count()
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
    if s[1..].starts_with('#') { 1 } else { last_end }
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
    fn labels_longer_than_dns_allows_make_no_link() {
        let long = format!("https://{}.com/x", "a".repeat(64));
        assert!(urls(&long, Schemes::Optional).is_empty());
        let fits = format!("https://{}.com/x", "a".repeat(63));
        assert_eq!(urls(&fits, Schemes::Optional), [fits.as_str()]);
        // 20 kana are 4 + 40-odd bytes of punycode: a link; 40 are not.
        let kana = |n: usize| format!("http://{}.jp", "あ".repeat(n));
        assert_eq!(urls(&kana(10), Schemes::Optional).len(), 1);
        assert!(urls(&kana(60), Schemes::Optional).is_empty());
    }

    #[test]
    fn directional_marks_before_a_url_do_not_stop_it() {
        let text = "\u{2066}\u{202a}http://foobar.پاکستان/\u{202c}\u{2069} \u{202e}example.com";
        assert_eq!(
            urls(text, Schemes::Optional),
            ["http://foobar.پاکستان/", "example.com"]
        );
    }

    #[test]
    fn accepts_ports_tco_and_bare_country_domains() {
        let text = "http://example.com:8080/x and t.co/abc and HTTPS://EXAMPLE.COM and example.de";
        assert_eq!(
            urls(text, Schemes::Optional),
            [
                "http://example.com:8080/x",
                "t.co/abc",
                "HTTPS://EXAMPLE.COM",
                "example.de"
            ]
        );
    }
}
