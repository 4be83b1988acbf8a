//! The OAuth 2.0 authorization-code + PKCE start for `tweetchat auth x`.
//!
//! Pure pieces only: a random verifier, its S256 challenge (RFC 7636), and
//! the URL the operator opens. The command that prints it, takes the code and
//! exchanges it (`POST /2/oauth2/token`, `grant_type=authorization_code`,
//! `code_verifier`) is built on top; the tokens it gets go to the
//! [`super::TokenStore`] like every refreshed pair.

use base64::Engine;
use sha2::{Digest, Sha256};

use super::oauth1::encode;

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
