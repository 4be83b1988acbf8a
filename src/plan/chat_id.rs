//! Chat ids that work in addresses.
//!
//! A chat's id is its file name, and it ends up in every address a
//! participant sees: `/chats/ID`, `/chats/ID.ics`, `{calendar}`, `{page}`.
//! A name with a space, `?`, `#` or `%` would need escaping there (and a
//! `#` or `?` cuts the address short where it is pasted unescaped), so such
//! a name is refused with the clean name to use instead. Letters and digits
//! of ASCII, `-`, `_` and `.` are what every file name that worked before
//! was made of, so those ids stay exactly as they were.

use unicode_normalization::UnicodeNormalization;

/// Why `id` cannot be a chat id, and the file name to use instead.
pub fn problem(id: &str) -> Option<(String, String)> {
    if !id.is_empty() && id.chars().all(allowed) && !id.starts_with('.') {
        return None;
    }
    let bad: Vec<String> =
        id.chars()
            .filter(|c| !allowed(*c))
            .map(describe)
            .fold(Vec::new(), |mut seen, c| {
                if !seen.contains(&c) {
                    seen.push(c);
                }
                seen
            });
    let message = if bad.is_empty() {
        format!(
            "the chat id `{}` cannot be a web address",
            id.escape_debug()
        )
    } else {
        format!(
            "the file name `{}` holds {} that cannot stand in a web address, where the chat id goes (`/chats/ID`)",
            id.escape_debug(),
            bad.join(", ")
        )
    };
    Some((
        message,
        format!(
            "rename the file to `{}.yaml`: letters, digits, `-`, `_` and `.`",
            suggest(id)
        ),
    ))
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn describe(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        c if c.is_control() => format!("the control character U+{:04X}", c as u32),
        c if c.is_ascii() => format!("`{c}`"),
        c => format!("`{c}` (U+{:04X})", c as u32),
    }
}

/// A clean id: accents dropped (`é` → `e`), every other run of characters
/// that may not stand in an address turned into one `-`.
pub fn suggest(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for c in id.nfd() {
        if allowed(c) {
            out.push(c.to_ascii_lowercase());
        } else if unicode_normalization::char::is_combining_mark(c) {
            continue;
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches(['-', '.']).to_string();
    if out.is_empty() {
        "chat".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn todays_names_stay_valid() {
        for id in ["hcsmbm", "rarediseaseday", "my-edu_chat.2027", "A1", "x"] {
            assert_eq!(problem(id), None, "{id}");
        }
    }

    #[test]
    fn names_that_need_escaping_are_refused_with_a_clean_one() {
        let (message, help) = problem("my edu chat").unwrap();
        assert!(message.contains("a space"), "{message}");
        assert_eq!(
            help,
            "rename the file to `my-edu-chat.yaml`: letters, digits, `-`, `_` and `.`"
        );
        for (id, fixed) in [
            ("café chat", "cafe-chat"),
            ("q&a?", "q-a"),
            ("#edchat", "edchat"),
            ("100%", "100"),
            ("tab\there", "tab-here"),
            ("日本", "chat"),
        ] {
            let (_, help) = problem(id).unwrap_or_else(|| panic!("{id} passed"));
            assert!(help.contains(&format!("`{fixed}.yaml`")), "{id}: {help}");
        }
        let (message, _) = problem("bell\u{7}").unwrap();
        assert!(message.contains("U+0007"), "{message}");
    }
}
