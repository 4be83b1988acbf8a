//! The OAuth 2.0 authorization-code + PKCE start for `tweetchat auth x`.
//!
//! A random verifier, its S256 challenge (RFC 7636), the URL the operator
//! opens, and [`exchange`], which trades the code that comes back for the
//! first token pair (`POST /2/oauth2/token`, `grant_type=authorization_code`
//! with the `code_verifier`). The command that prints the URL and collects
//! the code is `tweetchat auth x`; the tokens go to the
//! [`super::TokenStore`] like every refreshed pair.

use base64::Engine;
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use super::oauth1::encode;
use super::oauth2::{ClientCredentials, StoredTokens, TokenFailure, token_request};
use crate::settings::Secret;

/// Where X asks the account owner to approve the app.
pub const AUTHORIZE_URL: &str = "https://x.com/i/oauth2/authorize";

/// Posting, reading the account and its timeline, search, and a refresh
/// token (`offline.access`).
pub const SCOPES: &str = "tweet.read tweet.write users.read offline.access";

/// One authorization attempt: keep `verifier` and `state` until the code
/// comes back.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// Open this in a browser signed in as the account.
    pub url: String,
    /// Sent with the code exchange; never shown in the URL.
    pub verifier: String,
    /// Must come back unchanged with the code (CSRF check).
    pub state: String,
}

/// The S256 challenge of `verifier`: unpadded base64url of its SHA-256.
pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A verifier of 64 characters from RFC 7636's unreserved set.
pub fn verifier() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    (0..64)
        .map(|_| char::from(CHARS[fastrand::usize(..CHARS.len())]))
        .collect()
}

/// A fresh authorization for `client_id` returning to `redirect_uri`.
pub fn authorization(client_id: &str, redirect_uri: &str) -> Authorization {
    let verifier = verifier();
    let state: String = std::iter::repeat_with(fastrand::alphanumeric)
        .take(24)
        .collect();
    let params = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", SCOPES),
        ("state", state.as_str()),
        ("code_challenge", &challenge(&verifier)),
        ("code_challenge_method", "S256"),
    ];
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    Authorization {
        url: format!("{AUTHORIZE_URL}?{}", query.join("&")),
        verifier,
        state,
    }
}

/// Trades an authorization `code` for the account's first tokens. X sends a
/// refresh token only when `offline.access` was granted; without one the
/// daemon could not post for more than two hours, so that is an error.
pub async fn exchange(
    http: &reqwest::Client,
    client: &ClientCredentials,
    code: &str,
    verifier: &str,
    redirect_uri: &str,
    now: Timestamp,
) -> anyhow::Result<StoredTokens> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ];
    let issued = token_request(http, client, &form)
        .await
        .map_err(|failure| match failure {
            TokenFailure::Refused(why) => anyhow::anyhow!(
                "X refused the authorization code ({why}); codes are single-use and expire \
                 after 30 seconds, so run `tweetchat auth x` again and paste the new address \
                 promptly; check that the redirect URI matches the app's callback in X's \
                 developer portal"
            ),
            TokenFailure::Temporary(why) => {
                anyhow::anyhow!("exchanging the authorization code: {why}; try again")
            }
        })?;
    let refresh = issued.refresh_token.ok_or_else(|| {
        anyhow::anyhow!(
            "X granted no refresh token, so the daemon could post for two hours only; \
             authorize again and approve offline access (scope `offline.access`)"
        )
    })?;
    Ok(StoredTokens {
        access_token: Secret::new(issued.access_token),
        refresh_token: Secret::new(refresh),
        expires_at: now + SignedDuration::from_secs(issued.expires_in.unwrap_or(7200)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_challenge() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn the_url_carries_the_challenge_not_the_verifier() {
        let auth = authorization("my-client", "http://127.0.0.1:8765/callback");
        assert!((43..=128).contains(&auth.verifier.len()));
        assert!(auth.url.starts_with("https://x.com/i/oauth2/authorize?response_type=code&client_id=my-client&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback&scope=tweet.read%20tweet.write%20users.read%20offline.access&state="));
        assert!(auth.url.contains(&format!(
            "code_challenge={}&code_challenge_method=S256",
            challenge(&auth.verifier)
        )));
        assert!(!auth.url.contains(&auth.verifier));
        assert_ne!(auth.verifier, authorization("my-client", "x").verifier);
    }
}
