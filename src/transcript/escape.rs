//! Making user text harmless in HTML and Markdown.
//!
//! Everything a participant controls (text, handle, display name, even the
//! post URL the platform hands back) passes through here before it reaches
//! a page. HTML escapes the five significant characters; Markdown escapes
//! what would turn text into markup (emphasis, links, code, tables, raw
//! HTML, headings and lists at the start of a line) and keeps the rest as
//! typed so the file stays readable.

use std::fmt::Write;

/// Text safe inside HTML element content and quoted attribute values.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One line of text safe as Markdown inline content: it renders as typed.
pub fn markdown(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let body = line.trim_start();
    out.push_str(&line[..line.len() - body.len()]);
    let body = escape_line_start(body, &mut out);
    for (i, c) in body.char_indices() {
        match c {
            '&' if starts_entity(&body[i + 1..]) => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether the text after a `&` would read as an entity (`&amp;`, `&#39;`).
fn starts_entity(rest: &str) -> bool {
    let name = rest.len()
        - rest
            .trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '#')
            .len();
    name > 0 && rest[name..].starts_with(';')
}

/// Escapes a block marker at the start of a line (`# `, `- `, `+ `, `===`,
/// `1. `, `1) `: the marker followed by a space or the end of the line) and
/// returns the rest of the line.
fn escape_line_start<'a>(body: &'a str, out: &mut String) -> &'a str {
    if let Some(marker) = body.chars().next().filter(|c| "#-+=".contains(*c)) {
        let after = body.trim_start_matches(marker);
        if after.is_empty() || after.starts_with([' ', '\t']) {
            out.push('\\');
            out.push(marker);
            return &body[1..];
        }
        return body;
    }
    let digits = body.len() - body.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 && body[digits..].starts_with(['.', ')']) {
        out.push_str(&body[..digits]);
        out.push('\\');
        return &body[digits..];
    }
    body
}

/// `url` if it is a plain `http(s)` link, with the characters that could end
/// a Markdown link or an HTML attribute percent-encoded; `None` for any other
/// scheme (`javascript:`), so a hostile server cannot plant a script link.
pub fn safe_url(url: &str) -> Option<String> {
    let lower = url.get(..8).map(str::to_ascii_lowercase)?;
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return None;
    }
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            ' ' | '"' | '\'' | '<' | '>' | '(' | ')' | '`' | '\\' | '[' | ']' => {
                let _ = write!(out, "%{:02X}", c as u32);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(
            html(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(html("Zoë 🌸"), "Zoë 🌸");
    }

    #[test]
    fn markdown_escapes_inline_markup_and_html() {
        assert_eq!(
            markdown("*bold* _it_ `code` [x](y) <b>&amp; a|b ~s~ \\"),
            "\\*bold\\* \\_it\\_ \\`code\\` \\[x\\](y) &lt;b&gt;&amp;amp; a\\|b \\~s\\~ \\\\"
        );
        assert_eq!(markdown("Q&A & more &#39; &x"), "Q&A & more &amp;#39; &x");
    }

    #[test]
    fn markdown_escapes_block_markers_only_at_line_start() {
        assert_eq!(markdown("# not a heading #tag"), "\\# not a heading #tag");
        assert_eq!(markdown("- not a list - really"), "\\- not a list - really");
        assert_eq!(markdown("  1. first"), "  1\\. first");
        assert_eq!(markdown("2) second"), "2\\) second");
        assert_eq!(markdown("A2: 1. fine #tag"), "A2: 1. fine #tag");
        assert_eq!(markdown("#hcsmbm rocks"), "#hcsmbm rocks");
        assert_eq!(markdown("## two"), "\\## two");
        assert_eq!(markdown("---"), "\\---");
        assert_eq!(markdown("-5 degrees"), "-5 degrees");
        assert_eq!(markdown("#"), "\\#");
    }

    #[test]
    fn only_http_links_survive_and_stay_inside_their_quotes() {
        assert_eq!(safe_url("javascript:alert(1)"), None);
        assert_eq!(safe_url("JAVASCRIPT:alert(1)//https://"), None);
        assert_eq!(safe_url("data:text/html,hi"), None);
        assert_eq!(safe_url("http"), None);
        assert_eq!(
            safe_url("https://x.com/a/status/1\"><script>(x)"),
            Some("https://x.com/a/status/1%22%3E%3Cscript%3E%28x%29".into())
        );
        assert_eq!(safe_url("HTTPS://x.com/a"), Some("HTTPS://x.com/a".into()));
    }
}
