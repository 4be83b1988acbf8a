//! Who may see the operator pages, and which queries the pages accept.
//!
//! The public pages (chats, their slots, calendars, transcripts) show what
//! the chats will post anyway. The operator pages show results, platform
//! reasons and account names, which say how the operator's setup works, so
//! they answer only:
//!
//! - a request with the settings' `operator_token`, as
//!   `Authorization: Bearer TOKEN` or as the password of HTTP Basic (so a
//!   browser can ask for it); or
//! - a direct request from this machine: a loopback peer *without* any
//!   forwarding header. A reverse proxy on the same host connects from
//!   loopback too, but it adds `X-Forwarded-For` (or `Forwarded`,
//!   `X-Real-IP`), so whatever it relays counts as remote.

use std::net::SocketAddr;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;

use crate::settings::Secret;

/// Headers a proxy adds when it relays a request.
const FORWARDING: [&str; 3] = ["forwarded", "x-forwarded-for", "x-real-ip"];

/// Longest query string any page accepts.
pub const MAX_QUERY: usize = 256;

/// Whether this request may see the operator pages.
pub fn is_operator(peer: Option<SocketAddr>, headers: &HeaderMap, token: Option<&Secret>) -> bool {
    if let Some(token) = token
        && presented_token(headers)
            .is_some_and(|given| same(given.as_bytes(), token.expose().as_bytes()))
    {
        return true;
    }
    let direct = FORWARDING.iter().all(|name| !headers.contains_key(*name));
    direct && peer.is_some_and(|peer| peer.ip().is_loopback())
}

/// The token of `Authorization: Bearer T` or the password of
/// `Authorization: Basic base64(user:T)`.
fn presented_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    if let Some(token) = value.strip_prefix("Bearer ") {
        return Some(token.trim().to_string());
    }
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':')
        .map(|(_, password)| password.to_string())
}

/// Compares without stopping at the first difference, so the time taken
/// says nothing about how much of a guess was right.
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// A query the pages refuse, with what to send instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadQuery(pub String);

/// Reads `?name=N` where `name` is the only key a page knows and `N` lies
/// in `range`; no query gives `default`. Anything else is refused: unknown
/// keys, repeated keys, non-numbers, out-of-range values, an oversized query.
pub fn number_param(
    query: Option<&str>,
    name: &str,
    range: std::ops::RangeInclusive<u32>,
    default: u32,
) -> Result<u32, BadQuery> {
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return Ok(default);
    };
    if query.len() > MAX_QUERY {
        return Err(BadQuery(format!(
            "the query is {} bytes long; this page takes at most {MAX_QUERY}",
            query.len()
        )));
    }
    let expected = || {
        format!(
            "this page takes only `?{name}=N` with N from {} to {}",
            range.start(),
            range.end()
        )
    };
    let mut found = None;
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key != name || found.is_some() {
            return Err(BadQuery(expected()));
        }
        let n: u32 = value.parse().map_err(|_| BadQuery(expected()))?;
        if !range.contains(&n) {
            return Err(BadQuery(expected()));
        }
        found = Some(n);
    }
    found.ok_or_else(|| BadQuery(expected()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn loopback_without_forwarding_or_the_token_opens_the_operator_pages() {
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let remote: SocketAddr = "203.0.113.9:5000".parse().unwrap();
        let token = Secret::new("s3cret-token");
        assert!(is_operator(Some(local), &headers(&[]), None));
        assert!(is_operator(
            Some("[::1]:1".parse().unwrap()),
            &headers(&[]),
            None
        ));
        assert!(!is_operator(Some(remote), &headers(&[]), None));
        let proxied = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert!(
            !is_operator(Some(local), &proxied, None),
            "a proxy on this host"
        );
        assert!(!is_operator(
            Some(local),
            &headers(&[("forwarded", "for=1.2.3.4")]),
            Some(&token)
        ));
        let bearer = headers(&[("authorization", "Bearer s3cret-token")]);
        assert!(is_operator(Some(remote), &bearer, Some(&token)));
        assert!(
            !is_operator(Some(remote), &bearer, None),
            "no token configured"
        );
        let wrong = headers(&[("authorization", "Bearer s3cret-tokem")]);
        assert!(!is_operator(Some(remote), &wrong, Some(&token)));
        // Basic with any user name and the token as password: `op:s3cret-token`.
        let basic = headers(&[("authorization", "Basic b3A6czNjcmV0LXRva2Vu")]);
        assert!(is_operator(Some(remote), &basic, Some(&token)));
    }

    #[test]
    fn queries_are_one_known_number_in_range_or_refused() {
        let n = |q: Option<&str>| number_param(q, "days", 1..=90, 14);
        assert_eq!(n(None), Ok(14));
        assert_eq!(n(Some("")), Ok(14));
        assert_eq!(n(Some("days=30")), Ok(30));
        for bad in [
            "days=0",
            "days=91",
            "days=x",
            "days",
            "day=3",
            "days=3&days=4",
            "days=3&x=1",
        ] {
            assert!(n(Some(bad)).is_err(), "{bad}");
        }
        let huge = format!("days={}", "9".repeat(400));
        assert!(n(Some(&huge)).unwrap_err().0.contains("at most 256"));
    }
}
