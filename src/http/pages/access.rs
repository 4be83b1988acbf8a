//! Who may see the operator pages and `/metrics`, and which queries the
//! pages accept.
//!
//! The public pages (chats, their slots, calendars, transcripts) show what
//! the chats will post anyway. The operator pages and `/metrics` show
//! results, platform reasons and account names, which say how the
//! operator's setup works, so they answer only:
//!
//! - a request with the settings' `operator_token`, as
//!   `Authorization: Bearer TOKEN` (the scheme in any case) or as the
//!   password of HTTP Basic (so a browser can ask for it); or
//! - when `[http] trust_loopback` is on, a direct request from this
//!   machine: a loopback peer *without* any forwarding header. A reverse
//!   proxy on the same host connects from loopback too, but it adds one of
//!   [`FORWARDING`] (or an `X-Forwarded-Host` naming another host), so
//!   whatever it relays counts as remote. A layer-4 relay (`ssh -R`, socat,
//!   a mesh sidecar) adds nothing and cannot be told apart from the
//!   operator; that is why the trust is a setting, off once the pages have
//!   a `public_url`.
//!
//! The token is compared as SHA-256 digests in constant time, so neither
//! the time taken nor an early length check says anything about it.

use std::net::SocketAddr;

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, HOST};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::settings::Secret;

/// Headers a proxy adds when it relays a request: any of them makes a
/// loopback peer remote.
pub const FORWARDING: [&str; 7] = [
    "forwarded",
    "x-forwarded-for",
    "x-real-ip",
    "x-client-ip",
    "true-client-ip",
    "cf-connecting-ip",
    "fastly-client-ip",
];

/// Longest query string any page accepts.
pub const MAX_QUERY: usize = 256;

/// Who may see the operator's pages, as the settings say.
#[derive(Debug, Clone, Default)]
pub struct OperatorAccess {
    /// `[http] operator_token`.
    pub token: Option<Secret>,
    /// `[http] trust_loopback`, resolved.
    pub trust_loopback: bool,
}

impl OperatorAccess {
    pub fn new(settings: &crate::settings::HttpSettings) -> Self {
        Self {
            token: settings.operator_token.clone(),
            trust_loopback: settings.trust_loopback,
        }
    }

    /// Whether this request may see the operator pages and `/metrics`.
    pub fn allows(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> bool {
        if let Some(token) = &self.token
            && presented_token(headers).is_some_and(|given| same(&given, token.expose()))
        {
            return true;
        }
        self.trust_loopback
            && peer.is_some_and(|peer| peer.ip().is_loopback())
            && !forwarded(headers)
    }
}

/// Whether a proxy says it relayed this request: a forwarding header, or an
/// `X-Forwarded-Host` that is not the request's own `Host`.
fn forwarded(headers: &HeaderMap) -> bool {
    if FORWARDING.iter().any(|name| headers.contains_key(*name)) {
        return true;
    }
    let host = headers.get(HOST).map(|h| h.as_bytes());
    headers
        .get_all("x-forwarded-host")
        .iter()
        .any(|given| Some(given.as_bytes()) != host)
}

/// The token of `Authorization: Bearer T` or the password of
/// `Authorization: Basic base64(user:T)`; the scheme in any case.
fn presented_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.to_string());
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(rest)
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':')
        .map(|(_, password)| password.to_string())
}

/// Compares the SHA-256 digests of both in constant time: the digests have
/// one length whatever was sent, and every byte is looked at, so the time
/// taken says nothing about the token's length or how much of a guess was
/// right.
fn same(given: &str, token: &str) -> bool {
    let a = Sha256::digest(given.as_bytes());
    let b = Sha256::digest(token.as_bytes());
    let diff = a
        .iter()
        .zip(b.iter())
        .fold(0u8, |diff, (x, y)| diff | (x ^ y));
    std::hint::black_box(diff) == 0
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

    fn access(token: Option<&str>, trust_loopback: bool) -> OperatorAccess {
        OperatorAccess {
            token: token.map(Secret::new),
            trust_loopback,
        }
    }

    #[test]
    fn loopback_without_forwarding_or_the_token_opens_the_operator_pages() {
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let remote: SocketAddr = "203.0.113.9:5000".parse().unwrap();
        let trusting = access(None, true);
        let with_token = access(Some("s3cret-token"), true);
        assert!(trusting.allows(Some(local), &headers(&[])));
        assert!(trusting.allows(Some("[::1]:1".parse().unwrap()), &headers(&[])));
        assert!(!trusting.allows(Some(remote), &headers(&[])));
        let proxied = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert!(
            !trusting.allows(Some(local), &proxied),
            "a proxy on this host"
        );
        assert!(!with_token.allows(Some(local), &headers(&[("forwarded", "for=1.2.3.4")])));
        let bearer = headers(&[("authorization", "Bearer s3cret-token")]);
        assert!(with_token.allows(Some(remote), &bearer));
        assert!(
            !trusting.allows(Some(remote), &bearer),
            "no token configured"
        );
        let wrong = headers(&[("authorization", "Bearer s3cret-tokem")]);
        assert!(!with_token.allows(Some(remote), &wrong));
        // Basic with any user name and the token as password: `op:s3cret-token`.
        let basic = headers(&[("authorization", "Basic b3A6czNjcmV0LXRva2Vu")]);
        assert!(with_token.allows(Some(remote), &basic));
    }

    #[test]
    fn loopback_is_not_trusted_when_the_setting_says_so() {
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let closed = access(None, false);
        assert!(!closed.allows(Some(local), &headers(&[])));
        let with_token = access(Some("s3cret-token"), false);
        assert!(!with_token.allows(Some(local), &headers(&[])));
        let bearer = headers(&[("authorization", "Bearer s3cret-token")]);
        assert!(
            with_token.allows(Some(local), &bearer),
            "the token still opens them"
        );
    }

    #[test]
    fn every_common_forwarding_header_makes_loopback_remote() {
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let trusting = access(None, true);
        for name in FORWARDING {
            let relayed = headers(&[(name, "198.51.100.7")]);
            assert!(!trusting.allows(Some(local), &relayed), "{name}");
        }
        let other_host = headers(&[
            ("host", "127.0.0.1:9090"),
            ("x-forwarded-host", "chats.example.org"),
        ]);
        assert!(!trusting.allows(Some(local), &other_host));
        let same_host = headers(&[
            ("host", "127.0.0.1:9090"),
            ("x-forwarded-host", "127.0.0.1:9090"),
        ]);
        assert!(trusting.allows(Some(local), &same_host));
    }

    #[test]
    fn the_scheme_is_case_insensitive_and_only_the_whole_token_opens() {
        let remote: SocketAddr = "203.0.113.9:5000".parse().unwrap();
        let with_token = access(Some("s3cret-token"), false);
        for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
            let given = headers(&[("authorization", &format!("{scheme} s3cret-token"))]);
            assert!(with_token.allows(Some(remote), &given), "{scheme}");
        }
        let basic = headers(&[("authorization", "basic b3A6czNjcmV0LXRva2Vu")]);
        assert!(with_token.allows(Some(remote), &basic));
        for wrong in [
            "",
            "s3cret",
            "s3cret-token-and-more",
            "S3CRET-TOKEN",
            "Bearer s3cret-token",
        ] {
            let given = headers(&[("authorization", &format!("Bearer {wrong}"))]);
            assert!(!with_token.allows(Some(remote), &given), "{wrong:?}");
        }
        let no_scheme = headers(&[("authorization", "s3cret-token")]);
        assert!(!with_token.allows(Some(remote), &no_scheme));
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
