//! Values in a calendar file, safe by construction.
//!
//! A content line ends at CRLF, so a title with a line break in it could
//! end its property and start others (`END:VEVENT`, `BEGIN:VEVENT`…): an
//! extra event in every subscriber's calendar. `icalendar` escapes `\`,
//! `,`, `;` and `\n` in the properties it knows as TEXT (`SUMMARY`,
//! `DESCRIPTION`, `UID`), but not `\r`, and nothing at all in `X-`
//! properties (`X-WR-CALNAME`), parameters or URIs. So every value from a
//! plan goes through one of these first:
//!
//! - [`text`] for a TEXT property `icalendar` escapes: CRLF and a lone CR
//!   become `\n` (escaped by it as `\n`, a line break *inside* the value),
//!   and any other control character becomes U+FFFD;
//! - [`own_text`] for the properties it writes raw: [`text`], then the
//!   RFC 5545 TEXT escapes;
//! - [`param`] for a parameter value: no control character, no `"`;
//! - [`uri`] for a URI: control characters, spaces and `"` percent-encoded.
//!
//! Chat files may not contain such characters at all (the loader refuses
//! them), but plans built in code, and whatever a later loader lets
//! through, still cannot break the file.

/// A control character other than tab and line feed (C0, DEL, C1).
fn is_unsafe_control(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\n'
}

/// For TEXT properties `icalendar` escapes: line breaks as `\n`, other
/// control characters as U+FFFD.
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            c if is_unsafe_control(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// For properties written as given (`X-WR-CALNAME`): [`text`], then `\`,
/// `;`, `,` and line breaks escaped as RFC 5545 says for TEXT.
pub fn own_text(value: &str) -> String {
    let clean = text(value);
    let mut out = String::with_capacity(clean.len());
    for c in clean.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// For a parameter value (`TZID=…`): no control characters and no `"`,
/// which a parameter cannot carry even quoted.
pub fn param(value: &str) -> String {
    value
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .collect()
}

/// For a URI property (`URL`): control characters, spaces, `"` and
/// non-ASCII percent-encoded (UTF-8), the rest as given.
pub fn uri(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut buf = [0u8; 4];
    for c in value.chars() {
        if c.is_ascii_graphic() && c != '"' {
            out.push(c);
        } else {
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_stay_inside_the_value() {
        assert_eq!(text("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert_eq!(text("tab\tok"), "tab\tok");
        assert_eq!(
            text("nul\0esc\u{1b}del\u{7f}c1\u{85}"),
            "nul\u{FFFD}esc\u{FFFD}del\u{FFFD}c1\u{FFFD}"
        );
        assert_eq!(
            own_text("#x T\r\nEND:VEVENT;a,b\\"),
            "#x T\\nEND:VEVENT\\;a\\,b\\\\"
        );
        assert!(!own_text("\r\n\r\u{b}\u{c}").chars().any(char::is_control));
    }

    #[test]
    fn parameters_and_uris_carry_no_breaks_or_quotes() {
        assert_eq!(param("America/\"Chi\r\ncago"), "America/Chicago");
        assert_eq!(
            uri("https://x.example/chats/a b\r\n\"é"),
            "https://x.example/chats/a%20b%0D%0A%22%C3%A9"
        );
    }
}
