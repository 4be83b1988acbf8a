//! Post text: templates, hashtags, and length as each platform counts it.
//!
//! Every platform counts differently (X weighs code points after NFC and
//! counts URLs as 23; Mastodon counts characters, URLs as 23 and a mention as
//! its username; Bluesky counts graphemes), and an organizer finds out about a
//! too-long question only when it fails live. So `check`, `plan`, `count` and
//! the adapters all call the same functions here.

mod emoji;
pub mod length;
pub mod split;
pub mod template;
mod tlds;
pub mod url;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use length::{count, count_with_url_length, fits};
pub use template::{Vars, ensure_hashtag, render};

/// The kinds of account a post can go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlatformKind {
    Console,
    X,
    Mastodon,
    Bluesky,
}

impl PlatformKind {
    /// The default limit for a post (an account may know better: a Mastodon
    /// instance announces its own).
    pub fn default_limit(self) -> usize {
        match self {
            PlatformKind::X => 280,
            PlatformKind::Mastodon => 500,
            PlatformKind::Bluesky => 300,
            PlatformKind::Console => usize::MAX,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PlatformKind::Console => "console",
            PlatformKind::X => "x",
            PlatformKind::Mastodon => "mastodon",
            PlatformKind::Bluesky => "bluesky",
        }
    }
}

impl fmt::Display for PlatformKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PlatformKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "console" => Ok(PlatformKind::Console),
            "x" | "twitter" => Ok(PlatformKind::X),
            "mastodon" => Ok(PlatformKind::Mastodon),
            "bluesky" => Ok(PlatformKind::Bluesky),
            other => Err(format!(
                "unknown platform `{other}`, expected one of console, x, mastodon, bluesky"
            )),
        }
    }
}
