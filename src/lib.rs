//! tweetchat hosts scheduled tweet chats from YAML plans.
//!
//! A tour, in the order data flows (one direction, no back and forth):
//!
//! - [`plan`] reads `chats/NAME.yaml` (and a season's session files,
//!   `chats/NAME/DATE.yaml`, see [`plan::season`]) into a validated
//!   [`plan::ChatPlan`]. Every
//!   mistake becomes a [`plan::Diagnostic`] that names file, line and column and
//!   says what to write instead; a bad file never hides the others.
//! - [`schedule`] turns a plan into a timeline of [`schedule::Slot`]s at absolute
//!   instants: one-off or cron recurrence in the chat's time zone, DST handled,
//!   `{times}` spelled out in every zone the organizer listed.
//! - [`text`] renders templates and measures a post the way each platform counts
//!   it (twitter-text weights, Mastodon characters, Bluesky graphemes).
//! - [`platform`] is the one trait every account kind implements (console, X,
//!   Mastodon, Bluesky); adapters live in its submodules.
//! - [`store`] is the SQLite state: intent before the side effect, result after,
//!   so a restart never posts a key twice.
//! - [`thanks`] decides who took part in an occurrence (from the hashtag
//!   search) and which questions they answered; [`transcript`] builds and
//!   writes the JSON, Markdown and HTML transcript from the same search.
//! - [`calendar`] writes a chat as an RFC 5545 `.ics` file for participants.
//! - [`daemon`] is the long-running loop: sleep until the next slot, claim it,
//!   post it, record it; reload plans; stop gracefully.
//! - [`settings`], [`telemetry`], [`http`] are the operator's side: layered
//!   configuration with redacted secrets, logs, `/healthz` and `/metrics`.
//! - [`notify`] sends what needs a person (an account failing before its
//!   chat, a post failed or skipped) to one webhook, off the post path.
//! - [`tls`] installs the crypto provider the HTTPS client needs, once.
//! - [`clock`] is the single source of "now", so tests run a week in paused time.
//! - [`duration`] is the one duration grammar (`90s`, `1h30m`, `1d`), read by
//!   chat files and settings alike; [`parallel`] spreads work on many files
//!   over the cores; [`memory`] gives memory freed after a load back.
//! - [`cli`] maps the command line onto all of the above; `main.rs` only calls it.

pub mod calendar;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod daemon;
pub mod duration;
pub mod http;
pub mod memory;
pub mod notify;
pub mod parallel;
pub mod plan;
pub mod platform;
pub mod schedule;
pub mod settings;
pub mod store;
pub mod telemetry;
pub mod text;
pub mod thanks;
pub mod tls;
pub mod transcript;
