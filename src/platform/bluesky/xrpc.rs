//! One XRPC call to the account's PDS, and what its answer means.
//!
//! XRPC is plain HTTP: a query is `GET /xrpc/NSID?params`, a procedure is
//! `POST /xrpc/NSID` with a JSON body; errors are `{"error", "message"}`
//! with an HTTP status. This module sends one call with the account's
//! timeout and sorts failures into [`Failure`] so the session can refresh
//! on an expired token and everything else becomes a [`PostError`]:
//!
//! | answer | becomes |
//! |---|---|
//! | 400 `ExpiredToken`, 401 `InvalidToken` | [`Failure::TokenExpired`] (refresh, then retry once) |
//! | other 401 (`AuthenticationRequired`, …) | `Unauthorized` |
//! | 429 | `RateLimited` at `ratelimit-reset` |
//! | 5xx, timeout, broken connection | `Transient` |
//! | other 4xx | `Rejected` with the server's own error and message |

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::Deserialize;

use crate::platform::{BodyError, PostError};
use crate::settings::Secret;

/// The HTTP side of one Bluesky account.
pub struct Xrpc {
    pub http: reqwest::Client,
    /// `api_base` without a trailing slash.
    pub base: String,
    pub timeout: Duration,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The access token is no longer accepted: refresh the session.
    TokenExpired(String),
    /// Anything else, as the daemon sees it.
    Post(PostError),
}

impl From<PostError> for Failure {
    fn from(e: PostError) -> Self {
        Failure::Post(e)
    }
}

impl Failure {
    pub fn into_post_error(self) -> PostError {
        match self {
            Failure::TokenExpired(why) => PostError::Unauthorized(why),
            Failure::Post(e) => e,
        }
    }
}

/// An XRPC error body.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    pub error: Option<String>,
    pub message: Option<String>,
}

impl Xrpc {
    /// `GET /xrpc/{nsid}`; repeated keys for arrays.
    pub async fn query(
        &self,
        nsid: &str,
        params: &[(&str, String)],
        token: Option<&Secret>,
    ) -> Result<serde_json::Value, Failure> {
        let url = format!("{}/xrpc/{nsid}", self.base);
        let mut request = self.http.get(url).query(params);
        if let Some(token) = token {
            request = request.bearer_auth(token.expose());
        }
        self.send(nsid, request).await
    }

    /// `POST /xrpc/{nsid}` with a JSON body (`None`: no body at all, for
    /// procedures without input such as `refreshSession`).
    pub async fn procedure(
        &self,
        nsid: &str,
        body: Option<&serde_json::Value>,
        token: Option<&Secret>,
    ) -> Result<serde_json::Value, Failure> {
        let url = format!("{}/xrpc/{nsid}", self.base);
        let mut request = self.http.post(url);
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token.expose());
        }
        self.send(nsid, request).await
    }

    async fn send(
        &self,
        nsid: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<serde_json::Value, Failure> {
        let response = request.send().await.map_err(|e| self.transport(nsid, &e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match crate::platform::read_body(response, crate::platform::MAX_BODY).await {
            Ok(body) => body,
            Err(BodyError::Read(e)) => return Err(self.transport(nsid, &e)),
            Err(BodyError::TooLarge(max)) => {
                return Err(Failure::Post(PostError::Transient(format!(
                    "{nsid}: {}",
                    BodyError::too_large(max)
                ))));
            }
        };
        if (200..300).contains(&status) {
            if body.is_empty() {
                return Ok(serde_json::Value::Null);
            }
            return serde_json::from_slice(&body).map_err(|e| {
                Failure::Post(PostError::Transient(format!(
                    "the PDS's answer to {nsid} was not understood: {e}"
                )))
            });
        }
        Err(classify(nsid, status, &headers, &body))
    }

    fn transport(&self, nsid: &str, e: &reqwest::Error) -> Failure {
        // Before the timeout test: a connection that timed out while
        // connecting sent nothing either.
        if e.is_connect() {
            let why = crate::platform::unreachable(self.base.as_str(), &error_chain(e));
            return Failure::Post(PostError::Unreachable(format!("{nsid}: {why}")));
        }
        let what = if e.is_timeout() {
            format!("no answer from the PDS within {:?}", self.timeout)
        } else {
            "the connection to the PDS broke".to_string()
        };
        Failure::Post(PostError::Transient(format!(
            "{nsid}: {what} ({})",
            error_chain(e)
        )))
    }
}

/// An error and its causes, `: `-joined (reqwest's own message alone says
/// little more than "error sending request").
fn error_chain(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// Sorts a non-2xx answer (see the module docs).
pub fn classify(nsid: &str, status: u16, headers: &HeaderMap, body: &[u8]) -> Failure {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let error = parsed
        .error
        .clone()
        .unwrap_or_else(|| format!("HTTP {status}"));
    let said = match &parsed.message {
        Some(message) => format!("{nsid}: {error}: {message}"),
        None => format!("{nsid}: {error}"),
    };
    match (status, error.as_str()) {
        (400 | 401, "ExpiredToken") | (401, "InvalidToken") => Failure::TokenExpired(said),
        (401, _) => Failure::Post(PostError::Unauthorized(said)),
        (429, _) => Failure::Post(PostError::RateLimited {
            reset: reset_header(headers),
        }),
        (500.., _) => Failure::Post(PostError::Transient(said)),
        _ => Failure::Post(PostError::Rejected(said)),
    }
}

/// `ratelimit-reset`: Unix seconds when the window resets.
fn reset_header(headers: &HeaderMap) -> Option<jiff::Timestamp> {
    let seconds: i64 = headers
        .get("ratelimit-reset")?
        .to_str()
        .ok()?
        .parse()
        .ok()?;
    jiff::Timestamp::from_second(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sort(status: u16, body: &str) -> Failure {
        classify(
            "com.atproto.repo.createRecord",
            status,
            &HeaderMap::new(),
            body.as_bytes(),
        )
    }

    #[test]
    fn expired_tokens_ask_for_a_refresh() {
        let f = sort(
            400,
            r#"{"error":"ExpiredToken","message":"Token has expired"}"#,
        );
        assert!(matches!(f, Failure::TokenExpired(ref m) if m.contains("Token has expired")));
        assert!(matches!(
            sort(401, r#"{"error":"InvalidToken"}"#),
            Failure::TokenExpired(_)
        ));
    }

    #[test]
    fn other_answers_map_onto_post_errors() {
        assert!(matches!(
            sort(401, r#"{"error":"AuthenticationRequired","message":"Invalid identifier or password"}"#),
            Failure::Post(PostError::Unauthorized(ref m)) if m.contains("Invalid identifier or password")
        ));
        assert!(matches!(
            sort(500, r#"{"error":"InternalServerError"}"#),
            Failure::Post(PostError::Transient(_))
        ));
        assert!(matches!(
            sort(503, "<html>busy</html>"),
            Failure::Post(PostError::Transient(ref m)) if m.contains("HTTP 503")
        ));
        assert!(matches!(
            sort(400, r#"{"error":"InvalidRequest","message":"Record/text must not be longer than 300 graphemes"}"#),
            Failure::Post(PostError::Rejected(ref m)) if m.contains("300 graphemes")
        ));
        let mut headers = HeaderMap::new();
        headers.insert("ratelimit-reset", "1796227200".parse().unwrap());
        assert_eq!(
            classify("x", 429, &headers, b"{}"),
            Failure::Post(PostError::RateLimited {
                reset: Some(jiff::Timestamp::from_second(1_796_227_200).unwrap())
            })
        );
    }
}
