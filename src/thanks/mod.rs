//! Thanking the people who took part in a chat.
//!
//! After an occurrence ends the daemon searches the hashtag, and this module
//! turns what it found into [`Participant`]s: who took part, in the order they
//! joined, how much they posted and which questions they answered. It is pure
//! (no platform, no clock), so the thank-you posts, the transcript and tests
//! all agree on who counts.
//!
//! - [`answers`]: which question a post answers (`A2: …`, a reply to Q2, or
//!   a reply to an answer of Q2).
//! - [`participants`]: distinct authors without reposts, the host and the
//!   plan's `thanks.exclude` handles.
//! - [`message`]: the mentions in order, and the mention-free thank-you.

pub mod answers;
pub mod message;
pub mod participants;

pub use answers::{AnswerIndex, QuestionPost, answer_prefix, answered_question};
pub use message::{generic_thanks, mentions};
pub use participants::{Exclusions, Participant, normalize_handle, original_posts, participants};
