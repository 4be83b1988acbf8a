//! One authenticated request to a Mastodon-API server, and nothing else.
//!
//! Adds the Bearer token (and an `Idempotency-Key` when asked), sends with
//! the account's timeout, remembers `X-RateLimit-*`, and turns every failure
//! into a [`PostError`]. Mastodon answers errors as `{"error": "…"}`; that
//! text is the instance's own explanation (a 422's "Validation failed: Text
//! character limit of 500 exceeded"), so it is kept word for word.
//!
//! | answer | variant |
//! |---|---|
//! | 401 | `Unauthorized` (the token is wrong or revoked) |
//! | 403 | `Rejected` (a missing scope, a suspended account) |
//! | 429 | `RateLimited` at `X-RateLimit-Reset` |
//! | 409, 5xx, timeouts, resets | `Transient` |
//! | 422, other 4xx | `Rejected` with the instance's text |

use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;
use reqwest::header::HeaderMap;
use reqwest::{Method, Url};

use crate::platform::x::error_chain;
use crate::platform::{BodyError, PostError, Quota};
use crate::settings::Secret;

/// A request to make: method, path below `api_base`, query pairs, a JSON
/// body and an idempotency key.
pub struct Call<'a> {
    pub method: Method,
    pub path: &'a str,
    pub query: Vec<(&'static str, String)>,
    pub json: Option<serde_json::Value>,
    pub idempotency_key: Option<String>,
}

impl<'a> Call<'a> {
    pub fn get(path: &'a str, query: Vec<(&'static str, String)>) -> Self {
        Self {
            method: Method::GET,
            path,
            query,
            json: None,
            idempotency_key: None,
        }
    }
}

/// A 2xx answer: body and headers (for `Link`).
pub struct Answer {
    pub body: Vec<u8>,
    pub headers: HeaderMap,
}

/// The HTTP side of one Mastodon account.
pub struct Api {
    pub http: reqwest::Client,
    /// `api_base` without a trailing slash.
    pub base: String,
    pub token: Secret,
    pub timeout: Duration,
    pub quota: Mutex<Option<Quota>>,
}

impl Api {
    /// Sends `call` (to `api_base` + path, or to a full `Link` URL).
    pub async fn send(&self, call: &Call<'_>) -> Result<Answer, PostError> {
        let url = self.url(call)?;
        self.send_to(url, call).await
    }

    /// Follows a `Link: <…>; rel="next"` URL. It must name the instance:
    /// the host of `api_base`, or the instance's own host name `domain`
    /// (servers build these links from their own name, which need not be
    /// the one `api_base` uses), in which case it is sent to `api_base`.
    /// Any other host is refused, so the token never leaves the instance.
    pub async fn follow(&self, next: &str, domain: Option<&str>) -> Result<Answer, PostError> {
        let url = self.onto_base(next, domain)?;
        self.send_to(url, &Call::get("", Vec::new())).await
    }

    /// `next` rewritten onto `api_base`, or why it is not followed.
    pub fn onto_base(&self, next: &str, domain: Option<&str>) -> Result<Url, PostError> {
        let unusable =
            |e: String| PostError::Transient(format!("unusable next-page link {next}: {e}"));
        let link = Url::parse(next).map_err(|e| unusable(e.to_string()))?;
        let base = Url::parse(&self.base).map_err(|e| {
            PostError::Rejected(format!(
                "`{}` is not a usable instance URL ({e}); set api_base to e.g. https://mastodon.social",
                self.base
            ))
        })?;
        let host = link.host_str().unwrap_or_default().to_ascii_lowercase();
        let on_base = link.origin() == base.origin();
        let on_domain = domain.is_some_and(|d| {
            let d = d.to_ascii_lowercase();
            // `domain` may carry a port (`localhost:8080`).
            d == host || link.port().is_some_and(|p| d == format!("{host}:{p}"))
        });
        if !on_base && !on_domain {
            return Err(PostError::Rejected(format!(
                "the instance sent a next-page link to `{host}`, which is neither api_base ({}) \
                 nor the instance's own name ({}); not following it",
                self.base,
                domain.unwrap_or("not known")
            )));
        }
        // The path and query below api_base (which may itself have a path).
        let mut text = self.base.clone();
        let below = link.path();
        let base_path = base.path().trim_end_matches('/');
        text.push_str(if on_base {
            below.strip_prefix(base_path).unwrap_or(below)
        } else {
            below
        });
        if let Some(query) = link.query() {
            text.push('?');
            text.push_str(query);
        }
        Url::parse(&text).map_err(|e| unusable(e.to_string()))
    }

    async fn send_to(&self, url: Url, call: &Call<'_>) -> Result<Answer, PostError> {
        let mut request = self
            .http
            .request(call.method.clone(), url)
            .bearer_auth(self.token.expose());
        if let Some(key) = &call.idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(json) = &call.json {
            request = request.json(json);
        }
        let response = request.send().await.map_err(|e| self.transport(&e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        self.remember_quota(&headers);
        let body = match crate::platform::read_body(response, crate::platform::MAX_BODY).await {
            Ok(body) => body,
            Err(BodyError::Read(e)) => return Err(self.transport(&e)),
            Err(BodyError::TooLarge(max)) => {
                return Err(PostError::Transient(BodyError::too_large(max)));
            }
        };
        if (200..300).contains(&status) {
            return Ok(Answer { body, headers });
        }
        Err(classify(status, &headers, &body))
    }

    fn url(&self, call: &Call<'_>) -> Result<Url, PostError> {
        let text = format!("{}{}", self.base, call.path);
        let mut url = Url::parse(&text).map_err(|e| {
            PostError::Rejected(format!(
                "`{}` is not a usable instance URL ({e}); set api_base to e.g. https://mastodon.social",
                self.base
            ))
        })?;
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(call.query.iter());
        }
        Ok(url)
    }

    /// The last rate-limit headers seen.
    pub fn quota(&self) -> Option<Quota> {
        self.quota.lock().ok().and_then(|q| *q)
    }

    fn remember_quota(&self, headers: &HeaderMap) {
        let (Some(limit), Some(remaining)) = (
            header_u64(headers, "x-ratelimit-limit"),
            header_u64(headers, "x-ratelimit-remaining"),
        ) else {
            return;
        };
        if let Ok(mut slot) = self.quota.lock() {
            *slot = Some(Quota {
                limit,
                remaining,
                reset: reset(headers),
            });
        }
    }

    fn transport(&self, e: &reqwest::Error) -> PostError {
        // Before the timeout test: a connection that timed out while
        // connecting sent nothing either.
        if e.is_connect() {
            return PostError::Unreachable(crate::platform::unreachable(
                &self.base,
                &error_chain(e),
            ));
        }
        let what = if e.is_timeout() {
            format!("no answer from the instance within {:?}", self.timeout)
        } else {
            "the connection to the instance broke".to_string()
        };
        PostError::Transient(format!("{what}: {}", error_chain(e)))
    }
}

/// `X-RateLimit-Reset`: Mastodon sends an ISO 8601 instant
/// (`2026-12-02T18:05:00.000Z`); some servers send epoch seconds.
pub fn reset(headers: &HeaderMap) -> Option<Timestamp> {
    let text = headers.get("x-ratelimit-reset")?.to_str().ok()?.trim();
    text.parse::<Timestamp>().ok().or_else(|| {
        text.parse::<i64>()
            .ok()
            .and_then(|s| Timestamp::from_second(s).ok())
    })
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// The instance's `{"error": "…"}` text, or the body itself, shortened.
pub fn error_text(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Error {
        error: String,
    }
    let text = serde_json::from_slice::<Error>(body)
        .map(|e| e.error)
        .unwrap_or_else(|_| String::from_utf8_lossy(body).trim().to_string());
    let mut short: String = text.chars().take(300).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// Maps a non-2xx answer onto what the daemon should do (module table).
pub fn classify(status: u16, headers: &HeaderMap, body: &[u8]) -> PostError {
    let said = error_text(body);
    let said = if said.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {said}")
    };
    match status {
        401 => PostError::Unauthorized(format!(
            "the instance refused the access token ({said}); make a new token with the scopes \
             `read` and `write:statuses` and set access_token"
        )),
        403 => PostError::Rejected(format!(
            "{said}; check that the token has the scopes `read` and `write:statuses` and that the \
             account may post"
        )),
        429 => PostError::RateLimited {
            reset: reset(headers),
        },
        409 | 500..=599 => PostError::Transient(said),
        _ => PostError::Rejected(said),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_instance_error_text_is_kept() {
        let body = br#"{"error":"Validation failed: Text character limit of 500 exceeded"}"#;
        let err = classify(422, &HeaderMap::new(), body);
        assert_eq!(
            err,
            PostError::Rejected(
                "HTTP 422: Validation failed: Text character limit of 500 exceeded".into()
            )
        );
        assert!(matches!(
            classify(401, &HeaderMap::new(), br#"{"error":"The access token is invalid"}"#),
            PostError::Unauthorized(m) if m.contains("The access token is invalid") && m.contains("write:statuses")
        ));
        assert!(
            matches!(classify(503, &HeaderMap::new(), b"<html>busy</html>"), PostError::Transient(m) if m.contains("busy"))
        );
    }

    fn api(base: &str) -> Api {
        Api {
            http: crate::tls::client(Duration::from_secs(1)).unwrap(),
            base: base.into(),
            token: Secret::new("t"),
            timeout: Duration::from_secs(1),
            quota: Mutex::new(None),
        }
    }

    #[test]
    fn next_links_on_either_name_of_the_instance_go_to_api_base() {
        let api = api("http://127.0.0.1:8080");
        let on =
            |next: &str, domain: Option<&str>| api.onto_base(next, domain).map(|u| u.to_string());
        let want = "http://127.0.0.1:8080/api/v1/timelines/tag/t?limit=40&max_id=7";
        assert_eq!(on(want, None).as_deref(), Ok(want));
        assert_eq!(
            on(
                "https://gts.example/api/v1/timelines/tag/t?limit=40&max_id=7",
                Some("gts.example")
            )
            .as_deref(),
            Ok(want)
        );
        assert_eq!(
            on(
                "http://localhost:8080/api/v1/timelines/tag/t?limit=40&max_id=7",
                Some("localhost:8080")
            )
            .as_deref(),
            Ok(want)
        );
        // Another host, or the same host on another port, is refused.
        for off in [
            "https://evil.example/api/v1/timelines/tag/t?max_id=7",
            "http://127.0.0.1:9999/api/v1/timelines/tag/t?max_id=7",
            "http://127.0.0.1.evil.example:8080/api/v1/timelines/tag/t",
        ] {
            assert!(
                matches!(on(off, Some("gts.example")), Err(PostError::Rejected(m)) if m.contains("neither api_base")),
                "{off}"
            );
        }
    }

    #[test]
    fn rate_limit_reset_is_an_iso_instant() {
        let h = headers(&[("x-ratelimit-reset", "2026-12-02T18:05:00.000Z")]);
        assert_eq!(
            classify(429, &h, b"{}"),
            PostError::RateLimited {
                reset: Some("2026-12-02T18:05:00Z".parse().unwrap())
            }
        );
        let h = headers(&[("x-ratelimit-reset", "1764216000")]);
        assert_eq!(reset(&h), Some("2025-11-27T04:00:00Z".parse().unwrap()));
        assert_eq!(reset(&headers(&[("x-ratelimit-reset", "soon")])), None);
    }
}
