//! One authenticated request to the X API, and nothing else.
//!
//! Builds the URL (query encoded per RFC 3986 by hand, so the bytes on the
//! wire are exactly the bytes that were signed), adds OAuth 1.0a or Bearer
//! auth, sends with the account's timeout, remembers the rate-limit headers,
//! retries once after a 401 when OAuth 2.0 can refresh, and turns every other
//! failure into a [`PostError`] via [`super::errors::classify`].

use std::error::Error as _;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::{Method, Url};

use super::errors;
use super::oauth1::{self, Stamp};
use super::oauth2::Session;
use super::quota::{self, Quota};
use crate::clock::Clock;
use crate::platform::{BodyError, PostError};
use crate::settings::Secret;

/// How this account proves who it is.
pub enum Auth {
    OAuth1(oauth1::Credentials),
    OAuth2(Session),
}

/// A request to make: method, path below `api_base`, decoded query pairs and
/// an optional JSON body (never signed, as X requires).
pub struct Call<'a> {
    pub method: Method,
    pub path: &'a str,
    pub query: Vec<(String, String)>,
    pub json: Option<serde_json::Value>,
}

impl<'a> Call<'a> {
    pub fn get(path: &'a str, query: Vec<(String, String)>) -> Self {
        Self {
            method: Method::GET,
            path,
            query,
            json: None,
        }
    }

    pub fn post_json(path: &'a str, body: serde_json::Value) -> Self {
        Self {
            method: Method::POST,
            path,
            query: Vec::new(),
            json: Some(body),
        }
    }
}

/// A request ready to send, and the bearer token it carries (to tell X's
/// 401 for that token from a refresh that already happened).
pub struct Built {
    pub request: reqwest::Request,
    pub bearer: Option<Secret>,
}

/// The HTTP side of one X account.
pub struct Api {
    pub http: reqwest::Client,
    /// `api_base` without a trailing slash.
    pub base: String,
    pub auth: Auth,
    pub clock: Clock,
    pub timeout: Duration,
    pub quota: Mutex<Option<Quota>>,
    /// `x-access-level` of the last answer that carried it (OAuth 1.0a
    /// answers do: `read`, `read-write`, `read-write-directmessages`).
    pub access_level: Mutex<Option<String>>,
}

impl Api {
    /// Opens a connection to `api_base` and leaves it in the client's pool:
    /// an unauthenticated `HEAD /`, whose answer (any status) is ignored.
    pub async fn warm(&self) {
        let timeout = self.timeout.min(Duration::from_secs(5));
        let request = self.http.head(format!("{}/", self.base)).timeout(timeout);
        if let Err(err) = request.send().await {
            tracing::debug!("warming the connection to X failed: {err}");
        }
    }

    /// Sends `call`; the body of a 2xx answer, or what went wrong.
    pub async fn send(&self, call: &Call<'_>) -> Result<Vec<u8>, PostError> {
        self.send_from(call, None).await
    }

    /// Sends `call`, starting with `first` when it was built ahead
    /// ([`Api::build`]); a refresh after a 401 builds it anew.
    pub async fn send_from(
        &self,
        call: &Call<'_>,
        mut first: Option<Built>,
    ) -> Result<Vec<u8>, PostError> {
        let mut refreshed = false;
        loop {
            let Built { request, bearer } = match first.take() {
                Some(built) => built,
                None => self.build(call).await?,
            };
            let response = self
                .http
                .execute(request)
                .await
                .map_err(|e| self.transport(&e))?;
            let status = response.status();
            let headers = response.headers().clone();
            self.remember_quota(&headers);
            self.remember_access_level(&headers);
            let body = match crate::platform::read_body(response, crate::platform::MAX_BODY).await {
                Ok(body) => body,
                Err(BodyError::Read(e)) => return Err(self.transport(&e)),
                Err(BodyError::TooLarge(max)) => {
                    return Err(PostError::Transient(BodyError::too_large(max)));
                }
            };
            if status.is_success() {
                return Ok(body);
            }
            if status.as_u16() == 401 && !refreshed {
                if let (Auth::OAuth2(session), Some(used)) = (&self.auth, &bearer) {
                    tracing::info!(
                        path = call.path,
                        "X answered 401, refreshing the token once"
                    );
                    session
                        .after_unauthorized(used, &self.http, &self.clock)
                        .await?;
                    refreshed = true;
                    continue;
                }
            }
            return Err(errors::classify(status.as_u16(), &headers, &body));
        }
    }

    /// The last rate-limit headers seen.
    pub fn quota(&self) -> Option<Quota> {
        self.quota.lock().ok().and_then(|q| *q)
    }

    /// The app's permission as the last OAuth 1.0a answer stated it.
    pub fn access_level(&self) -> Option<String> {
        self.access_level
            .lock()
            .ok()
            .and_then(|level| level.clone())
    }

    fn remember_access_level(&self, headers: &reqwest::header::HeaderMap) {
        let Some(level) = headers.get("x-access-level").and_then(|v| v.to_str().ok()) else {
            return;
        };
        if let Ok(mut slot) = self.access_level.lock() {
            *slot = Some(level.trim().to_ascii_lowercase());
        }
    }

    fn remember_quota(&self, headers: &reqwest::header::HeaderMap) {
        if let Some(q) = quota::from_headers(headers) {
            if let Ok(mut slot) = self.quota.lock() {
                *slot = Some(q);
            }
        }
    }

    /// `call` as a request ready to send: URL, auth (signed now, or the
    /// current bearer token, refreshed first when it is due) and body.
    pub async fn build(&self, call: &Call<'_>) -> Result<Built, PostError> {
        let base_url = format!("{}{}", self.base, call.path);
        let url = with_query(&base_url, &call.query)?;
        let mut request = self.http.request(call.method.clone(), url.clone());
        let mut bearer = None;
        match &self.auth {
            Auth::OAuth1(creds) => {
                let stamp = Stamp::fresh(self.clock.now().as_second());
                let header = oauth1::authorization(
                    creds,
                    &stamp,
                    call.method.as_str(),
                    &signature_base_url(&url),
                    &call.query,
                );
                request = request.header(reqwest::header::AUTHORIZATION, header);
            }
            Auth::OAuth2(session) => {
                let token = session.bearer(&self.http, &self.clock).await?;
                request = request.bearer_auth(token.expose());
                bearer = Some(token);
            }
        }
        if let Some(json) = &call.json {
            request = request.json(json);
        }
        let request = request.build().map_err(|e| {
            PostError::Rejected(format!(
                "could not build the request to X ({})",
                error_chain(&e)
            ))
        })?;
        Ok(Built { request, bearer })
    }

    fn transport(&self, e: &reqwest::Error) -> PostError {
        // Before the timeout test: a connection that timed out while
        // connecting sent nothing either.
        if e.is_connect() {
            return PostError::Unreachable(super::super::unreachable(&self.base, &error_chain(e)));
        }
        if e.is_timeout() {
            PostError::Transient(format!(
                "no answer from X within {:?} ({})",
                self.timeout,
                error_chain(e)
            ))
        } else {
            PostError::Transient(format!("the connection to X broke: {}", error_chain(e)))
        }
    }
}

/// `base?k=v&…` with RFC 3986 encoding (no `+` for spaces).
fn with_query(base: &str, query: &[(String, String)]) -> Result<Url, PostError> {
    let mut text = base.to_string();
    for (i, (k, v)) in query.iter().enumerate() {
        text.push(if i == 0 { '?' } else { '&' });
        text.push_str(&oauth1::encode(k));
        text.push('=');
        text.push_str(&oauth1::encode(v));
    }
    Url::parse(&text).map_err(|e| {
        PostError::Rejected(format!(
            "`{base}` is not a usable X API URL ({e}); set api_base to e.g. https://api.x.com"
        ))
    })
}

/// The URL as RFC 5849 section 3.4.1.2 signs it: scheme and host lowercase,
/// the port only when it is not the scheme's default, no query.
pub fn signature_base_url(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!("{}://{host}{port}{}", url.scheme(), url.path())
}

/// An error and its causes, `: `-joined (reqwest's own message alone says
/// little more than "error sending request").
pub fn error_chain(e: &reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_encoded_as_signed() {
        let url = with_query(
            "http://127.0.0.1:8080/2/tweets/search/recent",
            &[("query".into(), "#tag -is:retweet".into())],
        )
        .unwrap();
        assert_eq!(url.query(), Some("query=%23tag%20-is%3Aretweet"));
        assert_eq!(
            signature_base_url(&url),
            "http://127.0.0.1:8080/2/tweets/search/recent"
        );
    }

    #[test]
    fn default_ports_are_left_out_of_the_signature() {
        let url = Url::parse("HTTPS://API.X.com:443/2/tweets").unwrap();
        assert_eq!(signature_base_url(&url), "https://api.x.com/2/tweets");
    }

    #[test]
    fn a_bad_base_says_what_to_write() {
        let err = with_query("not a url/2/tweets", &[]).unwrap_err();
        assert!(matches!(err, PostError::Rejected(ref m) if m.contains("api_base")));
    }
}
