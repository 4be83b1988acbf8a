//! Fakes shared by the integration tests (each test crate uses a part).
#![allow(dead_code)]

pub mod fake_x;
pub mod fake_x_auth;
pub mod fake_x_data;
