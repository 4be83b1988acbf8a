//! Post length as each platform counts it.

use super::PlatformKind;

/// The length of `text` as `platform` counts it.
pub fn count(platform: PlatformKind, text: &str) -> usize {
    let _ = (platform, text);
    todo!("text::length::count")
}
