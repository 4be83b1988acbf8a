//! The rate-limit headers X sends with every answer.
//!
//! `x-rate-limit-limit`, `x-rate-limit-remaining` and `x-rate-limit-reset`
//! (epoch seconds) describe the window of the endpoint just called. The
//! adapter keeps the last values so the daemon can export them as metrics and
//! so a 429 knows when to come back.

use jiff::Timestamp;
use reqwest::header::HeaderMap;

pub use crate::platform::Quota;

/// Reads the three headers; `None` when limit or remaining is missing.
pub fn from_headers(headers: &HeaderMap) -> Option<Quota> {
    Some(Quota {
        limit: header_u64(headers, "x-rate-limit-limit")?,
        remaining: header_u64(headers, "x-rate-limit-remaining")?,
        reset: reset(headers),
    })
}

/// `x-rate-limit-reset` as an instant.
pub fn reset(headers: &HeaderMap) -> Option<Timestamp> {
    let secs = i64::try_from(header_u64(headers, "x-rate-limit-reset")?).ok()?;
    Timestamp::from_second(secs).ok()
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_all_three_headers() {
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-limit", "100".parse().unwrap());
        h.insert("x-rate-limit-remaining", "7".parse().unwrap());
        h.insert("x-rate-limit-reset", "1764216000".parse().unwrap());
        let q = from_headers(&h).unwrap();
        assert_eq!(q.limit, 100);
        assert_eq!(q.remaining, 7);
        assert_eq!(q.reset, Some("2025-11-27T04:00:00Z".parse().unwrap()));
    }

    #[test]
    fn missing_or_garbled_headers_give_none() {
        let mut h = HeaderMap::new();
        assert_eq!(from_headers(&h), None);
        h.insert("x-rate-limit-limit", "lots".parse().unwrap());
        h.insert("x-rate-limit-remaining", "1".parse().unwrap());
        assert_eq!(from_headers(&h), None);
    }
}
