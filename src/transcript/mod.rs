//! Transcripts: what was said in one occurrence of a chat, kept and shared.
//!
//! Hosts used to copy a chat into a blog post by hand. After an occurrence
//! the daemon saves what the hashtag search found as a [`Capture`], builds a
//! [`Transcript`] from it (the host's questions with the answers grouped
//! under each, the rest of the conversation, a summary) and writes it three
//! ways under `state_dir/transcripts/CHAT/`:
//!
//! - `DATE.json`: the [`Transcript`] itself, for other tools;
//! - `DATE.md`: readable Markdown for blogs and wikis;
//! - `DATE.html`: one self-contained page with a chart of posts per minute.
//!
//! With several replicas on PostgreSQL the same things are a row of the
//! shared database instead ([`database`]), so any replica serves them.
//!
//! Participation rules (who counts, which question a post answers) live in
//! [`crate::thanks`], so the thank-you posts and the transcript agree.

pub mod capture;
pub mod chart;
pub mod database;
pub mod escape;
pub mod files;
pub mod html;
mod local;
pub mod markdown;
pub mod model;

pub use capture::{
    Capture, EARLY_BIRDS, PostedQuestion, UnreadThread, read_threads, search_into, search_window,
};
pub use files::{
    Written, capture_path, captures_json, chat_dir, check_chat_id, page_dates, publish, write,
    write_capture,
};
pub use model::{
    Author, Entry, NetworkLink, QuestionSection, Summary, Transcript, UnreadNote, network_name,
};
