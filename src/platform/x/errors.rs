//! Every way X says no, mapped onto [`PostError`].
//!
//! X answers errors as RFC 7807 problems (`type`, `title`, `detail`, `status`,
//! sometimes `errors: [...]`), and a few older paths still answer
//! `{"errors":[{"code","message"}]}`. The variant decides what the daemon does
//! next, so the mapping is one pure function with a test per case:
//!
//! | answer | variant |
//! |---|---|
//! | `usage-capped` problem (any status, usually 429) | `Rejected`, says to raise the cap |
//! | `client-not-enrolled` (403 `client-forbidden`) | `Rejected`, says to attach the app to a project |
//! | `oauth1-permissions` (403) | `Rejected`, says to allow writing and regenerate the token |
//! | 401 | `Unauthorized` (OAuth 2.0 refreshes once before this) |
//! | 403 "duplicate content" | `Duplicate` (reconcile before deciding) |
//! | 403 "Reply to this conversation is not allowed …" | `ReplyRefused` (post standalone) |
//! | 403 about @mentions | `MentionsRefused` (post without mentions) |
//! | other 403 / 4xx | `Rejected` with X's own title and detail |
//! | 429 | `RateLimited` at `x-rate-limit-reset` |
//! | 5xx | `Transient` |

use reqwest::header::HeaderMap;
use serde::Deserialize;

use super::quota;
use crate::platform::PostError;

/// The parts of an X error body worth reading.
#[derive(Debug, Default, Deserialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub title: Option<String>,
    pub detail: Option<String>,
    pub reason: Option<String>,
    pub period: Option<String>,
    pub scope: Option<String>,
    #[serde(default)]
    pub errors: Vec<ProblemItem>,
}

/// One entry of `errors` (v2 problems or the older `{code, message}`).
#[derive(Debug, Default, Deserialize)]
pub struct ProblemItem {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub detail: Option<String>,
    pub message: Option<String>,
}

impl Problem {
    /// Parses a body; anything that is not JSON becomes a detail (shortened).
    pub fn parse(body: &[u8]) -> Problem {
        serde_json::from_slice(body).unwrap_or_else(|_| {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            Problem {
                detail: (!text.is_empty()).then(|| shorten(text, 300)),
                ..Problem::default()
            }
        })
    }

    /// Whether the problem type (top level or in `errors`) ends with `name`;
    /// X has used both `api.twitter.com` and `api.x.com` in type URLs.
    fn is(&self, name: &str) -> bool {
        let suffix = format!("/problems/{name}");
        self.kind.iter().any(|k| k.ends_with(&suffix))
            || self
                .errors
                .iter()
                .filter_map(|e| e.kind.as_deref())
                .any(|k| k.ends_with(&suffix))
    }

    /// Every human-readable text in the body, for matching.
    fn texts(&self) -> impl Iterator<Item = &str> {
        self.detail.as_deref().into_iter().chain(
            self.errors
                .iter()
                .flat_map(|e| [e.detail.as_deref(), e.message.as_deref()])
                .flatten(),
        )
    }

    fn mentions(&self, needle: &str) -> bool {
        self.texts().any(|t| t.to_lowercase().contains(needle))
    }

    /// `title: detail` (plus the first entry of `errors` when it says more).
    pub fn summary(&self) -> String {
        let mut out = String::new();
        if let Some(title) = &self.title {
            out.push_str(title);
        }
        let detail = self.detail.as_deref().or_else(|| {
            self.errors
                .iter()
                .find_map(|e| e.message.as_deref().or(e.detail.as_deref()))
        });
        if let Some(detail) = detail {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(detail);
        }
        if out.is_empty() {
            out.push_str("no details in the answer");
        }
        out
    }
}

/// Maps a non-success answer of the X API onto what the caller should do.
pub fn classify(status: u16, headers: &HeaderMap, body: &[u8]) -> PostError {
    let problem = Problem::parse(body);
    if problem.is("usage-capped") {
        let period = problem
            .period
            .as_deref()
            .unwrap_or("current")
            .to_lowercase();
        let scope = problem.scope.as_deref().unwrap_or("product").to_lowercase();
        return PostError::Rejected(format!(
            "X usage cap reached ({period} {scope} cap, `usage-capped`): raise the spend \
             limit or buy credits for this app in the X developer console, or wait until \
             the {period} cap resets"
        ));
    }
    if problem.is("client-not-enrolled") || problem.reason.as_deref() == Some("client-not-enrolled")
    {
        return PostError::Rejected(format!(
            "X says this app may not use this endpoint (`client-not-enrolled`): in the X \
             developer console attach the app to a project with access to it and use that \
             app's keys ({})",
            problem.summary()
        ));
    }
    if problem.is("oauth1-permissions") {
        return PostError::Rejected(format!(
            "X says the app may only read (`oauth1-permissions`): set the app's permissions to \
             \"Read and write\" in the X developer console, then regenerate the access token \
             and secret (old tokens keep the old permissions) ({})",
            problem.summary()
        ));
    }
    match status {
        401 => PostError::Unauthorized(format!(
            "X rejected the credentials (401 {}); check the account's keys and tokens",
            problem.summary()
        )),
        403 => classify_forbidden(&problem),
        429 => PostError::RateLimited {
            reset: quota::reset(headers),
        },
        500..=599 => PostError::Transient(format!("X answered {status} ({})", problem.summary())),
        _ => PostError::Rejected(format!("X answered {status} ({})", problem.summary())),
    }
}

fn classify_forbidden(problem: &Problem) -> PostError {
    let summary = problem.summary();
    if problem.mentions("duplicate content") {
        PostError::Duplicate(summary)
    } else if problem.mentions("reply to this conversation is not allowed")
        || problem.mentions("otherwise engaged by the author")
    {
        PostError::ReplyRefused(summary)
    } else if problem.mentions("mention") {
        PostError::MentionsRefused(summary)
    } else {
        PostError::Rejected(format!("X refused the request (403 {summary})"))
    }
}

fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_json(status: u16, body: serde_json::Value) -> PostError {
        classify(status, &HeaderMap::new(), body.to_string().as_bytes())
    }

    #[test]
    fn duplicate_content_is_duplicate() {
        let e = classify_json(
            403,
            serde_json::json!({"detail": "You are not allowed to create a Tweet with duplicate content.",
                "type": "about:blank", "title": "Forbidden", "status": 403}),
        );
        assert!(matches!(e, PostError::Duplicate(ref m) if m.contains("duplicate content")));
    }

    #[test]
    fn reply_restriction_is_reply_refused() {
        let e = classify_json(
            403,
            serde_json::json!({"detail": "Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to.",
                "type": "about:blank", "title": "Forbidden", "status": 403}),
        );
        assert!(matches!(e, PostError::ReplyRefused(_)), "{e:?}");
    }

    #[test]
    fn mention_restriction_is_mentions_refused() {
        let e = classify_json(
            403,
            serde_json::json!({"detail": "You are not permitted to @mention these users.",
                "type": "about:blank", "title": "Forbidden", "status": 403}),
        );
        assert!(matches!(e, PostError::MentionsRefused(_)), "{e:?}");
    }

    #[test]
    fn other_forbidden_keeps_xs_words() {
        let e = classify_json(
            403,
            serde_json::json!({"detail": "You are not permitted to perform this action.",
                "type": "about:blank", "title": "Forbidden", "status": 403}),
        );
        assert_eq!(
            e,
            PostError::Rejected(
                "X refused the request (403 Forbidden: You are not permitted to perform this action.)"
                    .into()
            )
        );
    }

    #[test]
    fn usage_capped_says_what_to_do() {
        let e = classify_json(
            429,
            serde_json::json!({"title": "UsageCapExceeded", "period": "Monthly", "scope": "Product",
                "detail": "Usage cap exceeded: Monthly product cap",
                "type": "https://api.twitter.com/2/problems/usage-capped"}),
        );
        let PostError::Rejected(msg) = e else {
            panic!("{e:?}")
        };
        assert!(msg.contains("monthly product cap"), "{msg}");
        assert!(msg.contains("spend limit"), "{msg}");
    }

    #[test]
    fn client_not_enrolled_says_what_to_do() {
        let e = classify_json(
            403,
            serde_json::json!({"title": "Client Forbidden", "reason": "client-not-enrolled",
                "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project.",
                "type": "https://api.twitter.com/2/problems/client-forbidden"}),
        );
        let PostError::Rejected(msg) = e else {
            panic!("{e:?}")
        };
        assert!(msg.contains("attach the app to a project"), "{msg}");
    }

    #[test]
    fn read_only_apps_are_told_to_regenerate_tokens() {
        let e = classify_json(
            403,
            serde_json::json!({"title": "Forbidden", "status": 403,
                "type": "https://api.twitter.com/2/problems/oauth1-permissions",
                "detail": "Your client app is not configured with the appropriate oauth1 app permissions for this endpoint."}),
        );
        assert!(
            matches!(e, PostError::Rejected(ref m) if m.contains("regenerate the access token")),
            "{e:?}"
        );
    }

    #[test]
    fn rate_limit_reads_reset() {
        let mut h = HeaderMap::new();
        h.insert("x-rate-limit-reset", "1764216000".parse().unwrap());
        let e = classify(429, &h, b"{\"title\":\"Too Many Requests\"}");
        assert_eq!(
            e,
            PostError::RateLimited {
                reset: Some("2025-11-27T04:00:00Z".parse().unwrap())
            }
        );
    }

    #[test]
    fn server_errors_are_transient_and_401_unauthorized() {
        assert!(matches!(
            classify(503, &HeaderMap::new(), b"<html>busy</html>"),
            PostError::Transient(ref m) if m.contains("503") && m.contains("busy")
        ));
        assert!(matches!(
            classify_json(
                401,
                serde_json::json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
            ),
            PostError::Unauthorized(_)
        ));
    }

    #[test]
    fn invalid_request_reports_the_parameter_message() {
        let e = classify_json(
            400,
            serde_json::json!({"errors": [{"parameters": {"start_time": ["x"]}, "message": "Invalid 'start_time'"}],
                "title": "Invalid Request", "type": "https://api.twitter.com/2/problems/invalid-request"}),
        );
        assert_eq!(
            e,
            PostError::Rejected("X answered 400 (Invalid Request: Invalid 'start_time')".into())
        );
    }
}
