//! A plan's own texts in one allocation.
//!
//! Every text the organizer wrote (title, hashtag, language, templates,
//! questions, excluded handles, the cron line) sits back to back in one
//! [`Texts`] buffer, and the plan keeps a [`Span`] for each: 8 bytes and no
//! allocation, where a `String` costs 24 bytes of struct plus a heap block
//! (with its header and rounding). 10,000 chats load 10,000 buffers, not
//! 100,000 strings. A template the file leaves out is a [`Text::Default`], naming
//! one of [`super::defaults`], so it costs nothing per chat at all.
//!
//! The buffer is built once, at its exact size, by [`TextsBuilder`] when the
//! plan is validated; nothing appends to it while the daemon runs.
//! [`Texts::push`] (which copies the buffer) is for plans built or changed
//! by hand, in tests and previews.

use std::borrow::Cow;
use std::fmt;

use super::defaults::Stock;

/// Where one text sits in a plan's [`Texts`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    start: u32,
    len: u32,
}

/// A template: one of [`super::defaults`], or the file's own text in the
/// plan's buffer. Read it with [`super::ChatPlan::text`]. 12 bytes, and an
/// `Option<Text>` too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Text {
    Default(Stock),
    Own(Span),
}

/// The texts of one plan, back to back.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Texts(Box<str>);

impl Texts {
    /// The text at `span`.
    pub fn get(&self, span: Span) -> &str {
        let start = span.start as usize;
        &self.0[start..start + span.len as usize]
    }

    /// The text of a template.
    pub fn text(&self, text: Text) -> &str {
        match text {
            Text::Default(stock) => stock.text(),
            Text::Own(span) => self.get(span),
        }
    }

    /// Appends `text`, copying the buffer: for plans built or changed by
    /// hand, never per post.
    pub fn push(&mut self, text: &str) -> Span {
        let mut all = String::with_capacity(self.0.len() + text.len());
        all.push_str(&self.0);
        let span = span(all.len(), text.len());
        all.push_str(text);
        self.0 = all.into_boxed_str();
        span
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Texts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

fn span(start: usize, len: usize) -> Span {
    // A chat file is read whole into memory first; 4 GiB of it would have
    // failed long before.
    let start = u32::try_from(start).expect("a chat's texts fit in 4 GiB");
    let len = u32::try_from(len).expect("a chat's texts fit in 4 GiB");
    Span { start, len }
}

/// Collects texts, then copies them into a [`Texts`] of exactly their size
/// (one allocation).
#[derive(Default)]
pub struct TextsBuilder<'a> {
    parts: Vec<Cow<'a, str>>,
    len: usize,
}

impl<'a> TextsBuilder<'a> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Where `text` will sit.
    pub fn add(&mut self, text: impl Into<Cow<'a, str>>) -> Span {
        let text = text.into();
        let span = span(self.len, text.len());
        self.len += text.len();
        self.parts.push(text);
        span
    }

    /// `text` as a template of the file's own.
    pub fn own(&mut self, text: impl Into<Cow<'a, str>>) -> Text {
        Text::Own(self.add(text))
    }

    pub fn finish(self) -> Texts {
        let mut all = String::with_capacity(self.len);
        for part in &self.parts {
            all.push_str(part);
        }
        Texts(all.into_boxed_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_back_what_was_added() {
        let mut b = TextsBuilder::new();
        let a = b.add("Title");
        let e = b.add("");
        let h = b.add(String::from("#tag"));
        let mut texts = b.finish();
        assert_eq!(texts.len(), 9);
        assert_eq!(
            (texts.get(a), texts.get(e), texts.get(h)),
            ("Title", "", "#tag")
        );
        let later = texts.push("more");
        assert_eq!(texts.get(later), "more");
        assert_eq!(texts.get(h), "#tag");
        assert_eq!(
            texts.text(Text::Default(Stock::Welcome)),
            super::super::defaults::WELCOME
        );
        assert_eq!(std::mem::size_of::<Option<Text>>(), 12);
    }
}
