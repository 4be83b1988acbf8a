//! Who sees a chat's posts and in which language: `visibility` (Mastodon)
//! and `language` (Mastodon's `language`, Bluesky's `langs`).
//!
//! Both are per chat, not per account, because they describe the chat: a
//! Spanish-language chat is Spanish on every network. They live in their own
//! file so the networks that use them find them in one place.

use std::fmt;

use super::raw::{At, RawChat, Reader};

/// Mastodon's `visibility` of a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Visibility {
    /// On public timelines and the hashtag's timeline (the default: a chat
    /// lives from being found under its hashtag).
    #[default]
    Public,
    /// Not on public timelines, nor, on most servers, in hashtag timelines.
    Unlisted,
    /// Followers only.
    Private,
}

impl Visibility {
    pub const NAMES: [&'static str; 3] = ["public", "unlisted", "private"];

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "public" => Some(Visibility::Public),
            "unlisted" => Some(Visibility::Unlisted),
            "private" => Some(Visibility::Private),
            _ => None,
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `visibility`'s shape for the schema: exactly the accepted names.
pub const VISIBILITY_PATTERN: &str = r"^\s*(public|unlisted|private)\s*$";
/// `language`: a BCP 47 tag's usual form (`en`, `es`, `pt-BR`), which is
/// what Bluesky's `langs` takes; Mastodon gets the primary subtag.
pub const LANGUAGE_PATTERN: &str = r"^\s*[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*\s*$";

/// The chat's `visibility`, default public.
pub fn visibility(r: &mut Reader<'_>, chat: &RawChat) -> Visibility {
    let Some(at) = &chat.visibility else {
        return Visibility::default();
    };
    let text = at.value.trim();
    Visibility::parse(text).unwrap_or_else(|| {
        let help = if text == "direct" {
            "a chat is public by nature: `direct` would only reach mentioned people; \
             write `visibility: unlisted` or `private`, or remove the key"
                .to_string()
        } else {
            format!(
                "write one of {} (`visibility: public` is the default)",
                Visibility::NAMES.join(", ")
            )
        };
        r.error(at.loc, format!("unknown visibility `{text}`"), help);
        Visibility::default()
    })
}

/// The chat's `language` as written (`pt-BR`), when it is a language tag.
pub fn language(r: &mut Reader<'_>, chat: &RawChat) -> Option<String> {
    let at: &At<String> = chat.language.as_ref()?;
    let tag = at.value.trim();
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    let valid = (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts
            .all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if valid {
        return Some(tag.to_string());
    }
    r.error(
        at.loc,
        format!("`{tag}` is not a language code"),
        "write an ISO 639 code such as `language: en` or `language: es` (a region may follow: `pt-BR`)",
    );
    None
}

/// The ISO 639 part Mastodon's `language` takes: `pt-BR` → `pt`.
pub fn primary_language(tag: &str) -> String {
    tag.split('-').next().unwrap_or(tag).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::plan::load::load_str;
    use crate::plan::validate::tests::BASE;

    #[test]
    fn defaults_are_public_and_no_language() {
        let plan = load_str(Path::new("t.yaml"), BASE).unwrap();
        assert_eq!(plan.visibility, Visibility::Public);
        assert_eq!(plan.language, None);
    }

    #[test]
    fn both_keys_are_read() {
        let src = format!("{BASE}visibility: unlisted\nlanguage: pt-BR\n");
        let plan = load_str(Path::new("t.yaml"), &src).unwrap();
        assert_eq!(plan.visibility, Visibility::Unlisted);
        assert_eq!(plan.language(), Some("pt-BR"));
        assert_eq!(primary_language("pt-BR"), "pt");
    }

    #[test]
    fn bad_values_say_what_to_write() {
        let src = format!("{BASE}visibility: direct\nlanguage: english\n");
        let diags = load_str(Path::new("t.yaml"), &src).unwrap_err();
        assert_eq!(diags.len(), 2, "{diags:#?}");
        assert!(diags[0].message.contains("unknown visibility `direct`"));
        assert!(diags[0].help.as_deref().unwrap().contains("unlisted"));
        assert!(
            diags[1]
                .message
                .contains("`english` is not a language code")
        );
    }
}
