//! Fakes shared by the integration tests (each test crate uses a part).
//!
//! `fake_x::FakeX::start().await` serves a fake X API on 127.0.0.1:0;
//! `oauth1_settings(name)` / `oauth2_settings(name)` give an
//! `AccountSettings` pointing at it, `push_fault(s)` scripts refusals and
//! outages, `tweets()` lists what was accepted, `seed_search` adds other
//! people's posts for hashtag search.
//!
//! `fake_mastodon::FakeMastodon::start(Kind::Mastodon | Kind::GoToSocial)`
//! serves a fake Mastodon API the same way (`settings(name)`, `posts()`,
//! `seed`, `push_fault`).
//! `pds::Pds::get()` is the real Bluesky PDS (started once per test binary).
//! `postgres::Postgres::get()` is a real PostgreSQL (a private cluster per
//! test binary, or `TWEETCHAT_TEST_POSTGRES`); `.database()` a fresh database.
//! `skip::skip(why)` records a test that cannot run here, for `tests/run`'s
//! summary.
#![allow(dead_code)]

pub mod fake_mastodon;
pub mod fake_mastodon_spec;
pub mod fake_x;
pub mod fake_x_auth;
pub mod fake_x_data;
pub mod pds;
pub mod pds_proxy;
pub mod postgres;
pub mod skip;
