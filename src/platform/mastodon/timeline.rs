//! Reading timelines: the hashtag's (thanks, transcripts) and the account's
//! own (reconciling a post left in doubt).
//!
//! Both are lists of statuses, newest first, 40 at most per page, with the
//! next (older) page named in the `Link` header (`<…max_id=…>; rel="next"`).
//! Reading stops at the first status older than the range asked for, so a
//! busy hashtag costs one request per 40 posts of the chat, not of its
//! history.

use jiff::Timestamp;
use reqwest::header::HeaderMap;
use serde::Deserialize;

use super::client::{Answer, Api, Call};
use crate::platform::{FoundPost, PostError};

/// Statuses per page: Mastodon's maximum.
pub const PAGE: usize = 40;

/// The most pages read for one range (40 × 250 = 10,000 posts), so a server
/// whose `Link` loops cannot keep us reading forever.
const MAX_PAGES: usize = 250;

/// The fields of a Status we read.
#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    pub id: String,
    pub created_at: Timestamp,
    pub in_reply_to_id: Option<String>,
    /// HTML.
    pub content: String,
    pub url: Option<String>,
    pub uri: Option<String>,
    pub account: Account,
    /// A boost: the boosted status.
    pub reblog: Option<Box<serde_json::Value>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    pub id: String,
    /// `user` for local accounts, `user@domain` for remote ones: what a
    /// mention must say.
    pub acct: String,
    pub display_name: Option<String>,
}

/// Every status of `path` created in `[since, until)`, oldest first.
/// `domain` is the instance's own host name, where its next-page links may
/// point ([`Api::follow`]).
pub async fn read_range(
    api: &Api,
    path: &str,
    since: Timestamp,
    until: Timestamp,
    domain: Option<&str>,
) -> Result<Vec<Status>, PostError> {
    let mut found = Vec::new();
    let mut answer = api
        .send(&Call::get(path, vec![("limit", PAGE.to_string())]))
        .await?;
    for _ in 0..MAX_PAGES {
        let page: Vec<Status> = serde_json::from_slice(&answer.body).map_err(|e| {
            PostError::Transient(format!("a page of {path} was not understood: {e}"))
        })?;
        let reached_start = page.iter().any(|s| s.created_at < since);
        found.extend(
            page.into_iter()
                .filter(|s| s.created_at >= since && s.created_at < until),
        );
        match next_link(&answer) {
            Some(next) if !reached_start => answer = api.follow(&next, domain).await?,
            _ => break,
        }
    }
    found.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    found.dedup_by(|a, b| a.id == b.id);
    Ok(found)
}

/// The `rel="next"` URL of a `Link` header.
fn next_link(answer: &Answer) -> Option<String> {
    link(&answer.headers, "next")
}

pub fn link(headers: &HeaderMap, rel: &str) -> Option<String> {
    let value = headers.get("link")?.to_str().ok()?;
    value.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let wanted = params
            .split(';')
            .any(|p| p.trim().trim_start_matches("rel=").trim_matches('"') == rel);
        wanted.then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

impl Status {
    /// As the thanks and transcript code read posts.
    pub fn into_found(self) -> FoundPost {
        let text = html_to_text(&self.content);
        FoundPost {
            url: self.url.or(self.uri),
            is_repost: self.reblog.is_some(),
            id: self.id,
            author_id: self.account.id,
            author_username: self.account.acct,
            author_name: self.account.display_name.filter(|n| !n.is_empty()),
            text,
            created_at: self.created_at,
            in_reply_to: self.in_reply_to_id,
        }
    }
}

/// A status's HTML as the plain text its author typed: paragraphs and
/// `<br>` become line breaks, tags go, entities are decoded. (Mastodon
/// wraps links and mentions in spans; their text stays.)
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..open]));
        let Some(close) = rest[open..].find('>') else {
            rest = "";
            break;
        };
        let tag = rest[open + 1..open + close].trim().to_ascii_lowercase();
        if tag.starts_with("br") {
            out.push('\n');
        } else if tag == "/p" {
            out.push_str("\n\n");
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(&decode_entities(rest));
    out.trim_end().to_string()
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let end = after.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| entity(&after[1..e]));
        match (end, decoded) {
            (Some(e), Some(c)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => {
            let code = name.strip_prefix('#')?;
            let n = match code.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => code.parse().ok()?,
            };
            char::from_u32(n)
        }
    }
}

/// What two texts have in common once the server has rendered one of them:
/// whitespace runs folded, and remote mentions `@user@domain` shown as
/// `@user` (Mastodon's HTML shows only the username).
pub fn comparable(text: &str) -> String {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|word| match word.strip_prefix('@') {
            Some(handle) => match handle.split_once('@') {
                Some((user, _)) => format!("@{user}"),
                None => word.to_string(),
            },
            None => word.to_string(),
        })
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mastodon_html_reads_back_as_the_typed_text() {
        let html = r#"<p>Q1. What helps? <a href="https://m.example/tags/hcsmbm" class="mention hashtag" rel="tag">#<span>hcsmbm</span></a></p><p>Thanks <span class="h-card"><a href="https://other.example/@bob" class="u-url mention">@<span>bob</span></a></span> &amp; you &lt;3<br />see <a href="https://example.com/a"><span class="invisible">https://</span><span class="">example.com/a</span></a></p>"#;
        assert_eq!(
            html_to_text(html),
            "Q1. What helps? #hcsmbm\n\nThanks @bob & you <3\nsee https://example.com/a"
        );
        assert_eq!(
            html_to_text("<p>caf&#233; &#x1F600; &bogus; a&b</p>"),
            "café 😀 &bogus; a&b"
        );
        assert_eq!(
            comparable("Thanks @bob@other.example  & you\n<3"),
            comparable("Thanks @bob & you <3")
        );
    }

    #[test]
    fn link_headers_name_the_next_page() {
        let mut h = HeaderMap::new();
        h.insert(
            "link",
            r#"<https://m.example/api/v1/timelines/tag/t?max_id=7>; rel="next", <https://m.example/api/v1/timelines/tag/t?min_id=9>; rel="prev""#
                .parse()
                .unwrap(),
        );
        assert_eq!(
            link(&h, "next").as_deref(),
            Some("https://m.example/api/v1/timelines/tag/t?max_id=7")
        );
        assert_eq!(
            link(&h, "prev").as_deref(),
            Some("https://m.example/api/v1/timelines/tag/t?min_id=9")
        );
        assert_eq!(link(&HeaderMap::new(), "next"), None);
    }
}
