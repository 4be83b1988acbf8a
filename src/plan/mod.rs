//! Chat plans: the organizer's file format.
//!
//! A plan file `chats/NAME.yaml` is read into a [`ChatPlan`] whose fields are
//! already checked and resolved (zones looked up, cron parsed, question minutes
//! spread, defaults filled in), so nothing downstream re-validates. Loading is
//! split in two steps that report *all* problems of a file at once:
//!
//! 1. [`load`] parses YAML into raw, span-carrying types (syntax, unknown keys,
//!    wrong types) and then
//! 2. [`validate`] checks meaning (zones, DST, cron, question times, hashtag,
//!    placeholders, lengths) and builds the [`ChatPlan`].
//!
//! Each problem is a [`Diagnostic`] naming file, line and column and saying what
//! to write instead.
//!
//! Step 1 reads the YAML into a span-carrying [`node::Node`] tree and then
//! [`raw`] checks every key by hand, because a derived serde struct stops at
//! the first error and organizers want all of them. The keys it accepts are
//! listed once, in [`keys`]; [`schema`] builds the JSON Schema for editors
//! from the same tables.
//!
//! # Defaults (see [`defaults`])
//!
//! - `duration`: 1h. `thread`: false. `accounts`: the settings' `default_accounts`.
//! - `announce` omitted: a day before ("Tomorrow: {title} at {times}. Join us!
//!   {hashtag}") and an hour before ("In one hour: {title} at {times}. See you
//!   there! {hashtag}"); an entry with only `before` gets "Coming up: {title}
//!   at {times}. Join us and bring your answers! {hashtag}".
//! - `welcome`: "Welcome to {title}! Introduce yourself, then answer each
//!   question with A1, A2 … {hashtag}".
//! - `question_format`: "Q{n}. {text}" (the hashtag is appended when the
//!   question lacks it).
//! - `wrapup`: "That's a wrap! Thank you for joining {title}. {hashtag}".
//! - `thanks`: 10m after the end, "Thank you so much to everyone who joined
//!   {hashtag} today: {mentions}", nobody excluded, `search: true`.
//! - `false` turns `announce`, `welcome`, `wrapup` or `thanks` off; `true`
//!   means the default.
//! - Questions without `at` are spread evenly: a run of k of them between the
//!   previous explicit `at` (or the start) and the next one (or the end) lands
//!   at equal steps of the gap / (k + 1), in whole seconds. Four questions in
//!   an hour land at 12m, 24m, 36m and 48m.

pub mod accounts;
pub mod audience;
pub mod bounds;
pub mod chat_id;
pub mod cron;
pub mod defaults;
mod diagnostic;
mod hashtags;
/// The duration grammar, shared with the settings.
pub use crate::duration;
pub mod keys;
pub mod load;
pub mod node;
mod numbering;
mod offsets;
mod questions;
pub mod raw;
pub mod schema;
pub mod season;
pub mod templates;
pub mod texts;
mod traps;
pub mod validate;
mod when;
mod wording;
pub mod zones;

use std::borrow::Borrow;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

use jiff::SignedDuration;
use jiff::civil;
use jiff::tz::TimeZone;

pub use audience::Visibility;
pub use diagnostic::Diagnostic;
pub use load::{
    ChatFile, LoadReport, Stamp, discover, load_dir, load_file, load_file_spanned, load_paths,
};
pub use node::Loc;
pub use raw::Item;
pub use season::{Season, Session, Status, Variant};
pub use texts::{Span, Text, Texts, TextsBuilder};

/// A chat id (the file name without `.yaml`/`.yml`), shared: every slot and
/// table that names the chat holds the same allocation.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ChatId(Arc<str>);

impl ChatId {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The shared string itself, for slots.
    pub fn arc(&self) -> Arc<str> {
        Arc::clone(&self.0)
    }
}

impl std::ops::Deref for ChatId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for ChatId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for ChatId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ChatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for ChatId {
    fn from(id: &str) -> Self {
        ChatId(Arc::from(id))
    }
}

impl From<String> for ChatId {
    fn from(id: String) -> Self {
        ChatId(Arc::from(id))
    }
}

impl PartialEq<str> for ChatId {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for ChatId {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<String> for ChatId {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl serde::Serialize for ChatId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A validated chat plan. Built only by [`validate`]. It holds what the
/// daemon needs to post, nothing more; where each text sits in the file
/// ([`PlanSpans`]) comes beside it only for `check`
/// ([`load::load_file_spanned`]).
///
/// The file's own texts live in one buffer, [`ChatPlan::texts`]; the fields
/// below hold [`Span`]s and [`Text`]s into it, read through the accessors
/// ([`ChatPlan::title()`], [`ChatPlan::text`], [`ChatPlan::question_text`] …).
/// Lists nothing appends to after loading are boxed slices (16 bytes, not
/// a `Vec`'s 24).
#[derive(Debug, Clone)]
pub struct ChatPlan {
    /// The file name without `.yaml`/`.yml`.
    pub id: ChatId,
    /// Where it was read from (for messages). Shared: the daemon's folder
    /// keys its files by the same allocation.
    pub source: Arc<Path>,
    /// Every text below that the file wrote, back to back.
    pub texts: Texts,
    /// Read with [`ChatPlan::title()`].
    pub title: Span,
    /// With its leading `#`, as the organizer wrote it (`#hcsmbm`); read
    /// with [`ChatPlan::hashtag()`].
    pub hashtag: Span,
    /// The chat's zone; [`ChatPlan::zone_name`] is its IANA name.
    pub tz: TimeZone,
    pub when: When,
    pub duration: SignedDuration,
    /// Zones `{times}` spells out after the chat's own, in the order given.
    pub show_times_in: Box<[TimeZone]>,
    /// Account names from the settings; `None` means the settings' default.
    pub accounts: Option<Box<[String]>>,
    /// Post welcome, questions and wrap-up as a thread under the welcome.
    pub thread: bool,
    /// Mastodon's `visibility` for every post of the chat.
    pub visibility: Visibility,
    /// The language of the chat's posts (`en`, `pt-BR`), when the file
    /// says; read with [`ChatPlan::language()`].
    pub language: Option<Span>,
    /// Posted `before` the start, latest first or not: ordered by instant later.
    pub announce: Box<[Announcement]>,
    /// Template posted at the start; `None` when turned off with `false`.
    pub welcome: Option<Text>,
    /// Resolved offsets from the start, numbered 1..=n in file order.
    pub questions: Box<[Question]>,
    /// Template for a question post (`Q{n}. {text}` by default).
    pub question_format: Text,
    /// Template posted at the end; `None` when turned off.
    pub wrapup: Option<Text>,
    pub thanks: Option<Thanks>,
    /// The public address `{calendar}` links under (the settings', shared by
    /// every plan): [`ChatPlan::calendar_url`] makes this chat's address
    /// from it when a post is rendered rather than each plan keeping its
    /// own copy. The file does not know the settings, so whoever does fills
    /// it in with [`set_calendar_base`]; `None` until then.
    pub calendar_base: Option<Arc<str>>,
    /// Sessions, `count`, `number_from` and per-network texts, when the
    /// file has any ([`season`]).
    pub season: Option<Box<Season>>,
}

impl ChatPlan {
    /// The IANA name of the chat's zone (`America/Chicago`), as the time
    /// zone database spells it: looked up from the zone rather than kept
    /// beside it, since 10,000 chats would otherwise hold 10,000 copies of
    /// a few dozen names. Only a zone built in code without a name (a fixed
    /// offset, in tests) has none; that reads as `UTC`.
    pub fn zone_name(&self) -> &str {
        self.tz.iana_name().unwrap_or("UTC")
    }

    pub fn title(&self) -> &str {
        self.texts.get(self.title)
    }

    /// With its leading `#` (`#hcsmbm`).
    pub fn hashtag(&self) -> &str {
        self.texts.get(self.hashtag)
    }

    /// The language of the chat's posts (`pt-BR`), when the file says.
    pub fn language(&self) -> Option<&str> {
        self.language.map(|l| self.texts.get(l))
    }

    /// The text of one of this plan's templates.
    pub fn text(&self, text: Text) -> &str {
        self.texts.text(text)
    }

    /// The welcome template, unless turned off.
    pub fn welcome(&self) -> Option<&str> {
        self.welcome.map(|t| self.text(t))
    }

    /// The wrap-up template, unless turned off.
    pub fn wrapup(&self) -> Option<&str> {
        self.wrapup.map(|t| self.text(t))
    }

    /// The template of a question post.
    pub fn question_format(&self) -> &str {
        self.text(self.question_format)
    }

    /// A question's own text, as written.
    pub fn question_text(&self, question: &Question) -> &str {
        self.texts.get(question.text)
    }

    /// The thank-you template, when there is a thank-you.
    pub fn thanks_text(&self) -> Option<&str> {
        self.thanks.as_ref().map(|t| self.text(t.text))
    }

    /// A recurrence's cron line as written (`0 12 * * WED`).
    pub fn repeat_line(&self, recurrence: &Recurrence) -> &str {
        self.texts.get(recurrence.line)
    }

    /// Handles never thanked (`thanks.exclude`), without `@`, lowercase.
    pub fn excluded(&self) -> impl Iterator<Item = &str> {
        self.thanks
            .iter()
            .flat_map(|t| t.exclude.iter())
            .map(|&h| self.texts.get(h))
    }

    /// Adds `text` to the plan's texts (copying them): for plans built or
    /// changed by hand.
    pub fn own(&mut self, text: &str) -> Span {
        self.texts.push(text)
    }

    /// `text` as a template of the plan's own: for plans built or changed
    /// by hand.
    pub fn own_text(&mut self, text: &str) -> Text {
        Text::Own(self.own(text))
    }

    /// The recurrence, for a `repeat` chat.
    pub fn recurrence(&self) -> Option<&Recurrence> {
        match &self.when {
            When::Repeat(recurrence) => Some(recurrence),
            When::Once(_) => None,
        }
    }

    /// The prepared session of the occurrence keyed `key`.
    pub fn session(&self, key: civil::DateTime) -> Option<&Session> {
        self.season.as_deref()?.session(key)
    }

    /// Whether the occurrence keyed `key` (the rule's local start) is
    /// held, and why not. A one-off chat is always held.
    pub fn status(&self, key: civil::DateTime) -> Status<'_> {
        match self.when {
            When::Once(_) => Status::Held(None),
            When::Repeat(_) => {
                season::status(self.season.as_deref(), !self.questions.is_empty(), key)
            }
        }
    }

    /// `{number}` of the occurrence keyed `key`: its running number among
    /// held sessions from `from` on (`number_from` for the first).
    pub fn number(&self, key: civil::DateTime) -> Option<u32> {
        match &self.when {
            When::Once(_) => Some(self.season.as_deref().map_or(1, |s| s.number_from)),
            When::Repeat(recurrence) => season::number(
                recurrence,
                self.season.as_deref(),
                !self.questions.is_empty(),
                key,
            ),
        }
    }

    /// The version of `item` for `platform`: the session's own, else the
    /// chat's (only where the session does not replace that text).
    pub fn variant(
        &self,
        session: Option<&Session>,
        item: Item,
        platform: crate::text::PlatformKind,
    ) -> Option<&str> {
        let in_session = |s: &Session| match item {
            Item::Welcome => s.welcome.is_some(),
            Item::Wrapup => s.wrapup.is_some(),
            Item::Thanks => s.thanks.is_some(),
            Item::Announce(_) => s.announce.is_some(),
            Item::Question(_) => s.questions.is_some(),
        };
        let span = match session {
            Some(s) if in_session(s) => season::variant(&s.variants, item, platform),
            _ => self
                .season
                .as_deref()
                .and_then(|season| season::variant(&season.variants, item, platform)),
        };
        span.map(|span| self.texts.get(span))
    }

    /// The public address of the page of the occurrence keyed `key`
    /// (`BASE/chats/ID/2026-12-09`), once [`set_calendar_base`] was called.
    pub fn page_url(&self, key: civil::DateTime) -> Option<String> {
        let base = self.calendar_base.as_deref()?.trim_end_matches('/');
        Some(format!(
            "{base}/chats/{}/{}",
            self.id.as_str(),
            season::page_id(self.recurrence(), key)
        ))
    }

    /// What `{calendar}` becomes: the public address of this chat's `.ics`
    /// file (`BASE/chats/ID.ics`), once [`set_calendar_base`] was called.
    pub fn calendar_url(&self) -> Option<String> {
        let base = self.calendar_base.as_deref()?.trim_end_matches('/');
        Some(format!("{base}/chats/{}.ics", self.id.as_str()))
    }
}

/// Points `{calendar}` at `base` (the settings' public address, a trailing
/// `/` or not): `BASE/chats/ID.ics`. Pass an `Arc` to share one copy of
/// the address among all plans.
pub fn set_calendar_base(plan: &mut ChatPlan, base: impl Into<Arc<str>>) {
    plan.calendar_base = Some(base.into());
}

/// Whether any template of `plan` (its sessions' and per-network versions
/// included) uses `{calendar}` or `{page}`: both link to the public pages.
pub fn uses_calendar(plan: &ChatPlan) -> bool {
    let chat = plan
        .announce
        .iter()
        .map(|a| plan.text(a.text))
        .chain(plan.questions.iter().map(|q| plan.question_text(q)))
        .chain([plan.question_format()])
        .chain(plan.welcome())
        .chain(plan.wrapup())
        .chain(plan.thanks_text());
    let season = plan.season.iter().flat_map(|season| {
        let variants = season.variants.iter().map(|v| plan.texts.get(v.text));
        let sessions = season.sessions.iter().flat_map(|s| {
            [s.welcome, s.wrapup, s.thanks]
                .into_iter()
                .flatten()
                .flatten()
                .map(|t| plan.text(t))
                .chain(s.announce.iter().flatten().map(|a| plan.text(a.text)))
                .chain(s.questions.iter().flatten().map(|q| plan.question_text(q)))
                .chain(s.variants.iter().map(|v| plan.texts.get(v.text)))
        });
        variants.chain(sessions)
    });
    chat.chain(season).any(|t| {
        crate::text::template::placeholders(t).is_ok_and(|uses| {
            uses.iter()
                .any(|u| u.name == "calendar" || u.name == "page")
        })
    })
}

/// Locations of a plan's texts in its file, so later checks (post length
/// against an account's limit) can point at the line; `None`/empty where
/// the text is a default. Line 0 means unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanSpans {
    pub title: Option<Loc>,
    pub welcome: Option<Loc>,
    pub wrapup: Option<Loc>,
    pub question_format: Option<Loc>,
    pub thanks: Option<Loc>,
    /// One per announcement in file order (the entry or its `text`).
    pub announce: Vec<Loc>,
    /// One per question, at its text.
    pub questions: Vec<Loc>,
    /// One per name in `accounts`.
    pub accounts: Vec<Loc>,
    /// Where each session is written (its file, and its date's place), by key.
    pub sessions: std::collections::HashMap<civil::DateTime, (std::path::PathBuf, Loc)>,
}

/// When a chat happens.
#[derive(Debug, Clone)]
pub enum When {
    /// A one-off chat at this local time in the chat's zone.
    Once(civil::DateTime),
    /// A recurring chat.
    Repeat(Box<Recurrence>),
}

/// A standard 5-field cron line evaluated in the chat's zone.
#[derive(Debug, Clone)]
pub struct Recurrence {
    /// The line as written (`0 12 * * WED`), in the plan's texts; read
    /// with [`ChatPlan::repeat_line`].
    pub line: Span,
    pub cron: cron::Cron,
    /// First local date on which an occurrence may start (inclusive).
    pub from: Option<civil::Date>,
    /// Last local date on which an occurrence may start (inclusive).
    pub until: Option<civil::Date>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// How long before the start; positive.
    pub before: SignedDuration,
    pub text: Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// 1-based, in file order.
    pub n: u32,
    /// Offset from the start of the chat.
    pub at: SignedDuration,
    /// Read with [`ChatPlan::question_text`].
    pub text: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thanks {
    /// How long after the end of the chat.
    pub after: SignedDuration,
    /// Template; `{mentions}` is filled in after the chat.
    pub text: Text,
    /// Handles never thanked (co-hosts, bots), without `@`, lowercase;
    /// read with [`ChatPlan::excluded`].
    pub exclude: Box<[Span]>,
    /// Search the hashtag for participants; `false` posts a generic thank-you.
    pub search: bool,
}
