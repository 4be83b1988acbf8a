//! What the fake X checks before it answers: OAuth 1.0a signatures
//! recomputed from the request as received, Bearer tokens that expire, and
//! the OAuth 2.0 token endpoint with single-use rotating refresh tokens.

use std::collections::{HashMap, HashSet};

use axum::http::HeaderMap;
use base64::Engine;
use jiff::{SignedDuration, Timestamp};
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};
use sha2::Digest;
use tweetchat::platform::x::oauth1;

use super::fake_x::Received;

/// OAuth 1.0a keys the fake accepts.
#[derive(Debug, Clone)]
pub struct OAuth1Keys {
    pub consumer_key: String,
    pub consumer_secret: String,
    pub token: String,
    pub token_secret: String,
}

/// The OAuth 2.0 client the fake knows.
#[derive(Debug, Clone)]
pub struct OAuth2Client {
    pub client_id: String,
    /// `Some`: a confidential client, refreshes need HTTP Basic auth.
    pub client_secret: Option<String>,
    /// The refresh token handed to the operator at authorization time.
    pub initial_refresh_token: String,
    pub access_ttl: SignedDuration,
}

/// Tokens the fake has issued.
#[derive(Debug, Default)]
pub struct Tokens {
    /// access token -> expiry.
    pub access: HashMap<String, Timestamp>,
    /// Refresh tokens not yet used.
    pub refresh: HashSet<String>,
    /// Refresh tokens already used once (a second use is refused).
    pub spent: HashSet<String>,
    /// OAuth 1.0a nonces seen (X refuses a replayed nonce).
    pub nonces: HashSet<String>,
    /// The `oauth_timestamp` of every OAuth 1.0a request accepted, in order.
    pub signed_at: Vec<i64>,
    /// Successful refreshes.
    pub refreshes: usize,
    /// Refused refreshes.
    pub refused_refreshes: usize,
    /// Authorization codes handed out by [`approve`] and not yet exchanged.
    pub codes: HashMap<String, PendingCode>,
    /// Codes exchanged for tokens.
    pub exchanges: usize,
}

/// What X remembers about an authorization code until it is exchanged.
#[derive(Debug, Clone)]
pub struct PendingCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: String,
}

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    OAuth1,
    Bearer(String),
}

/// X's answer to a request it cannot authenticate.
pub fn unauthorized() -> (u16, Value) {
    (
        401,
        json!({"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}),
    )
}

/// Decodes `application/x-www-form-urlencoded` (also used for queries).
pub fn form_pairs(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Checks the Authorization header of an API request.
pub fn authenticate(
    keys: Option<&OAuth1Keys>,
    tokens: &mut Tokens,
    req: &Received<'_>,
) -> Result<Caller, String> {
    let header = req
        .headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .ok_or("no Authorization header")?;
    if let Some(token) = header.strip_prefix("Bearer ") {
        return match tokens.access.get(token) {
            Some(expiry) if req.now < *expiry => Ok(Caller::Bearer(token.to_string())),
            Some(_) => Err("expired access token".into()),
            None => Err("unknown access token".into()),
        };
    }
    let keys = keys.ok_or("OAuth 1.0a is not configured")?;
    verify_oauth1(keys, tokens, req, header)?;
    Ok(Caller::OAuth1)
}

fn verify_oauth1(
    keys: &OAuth1Keys,
    tokens: &mut Tokens,
    req: &Received<'_>,
    header: &str,
) -> Result<(), String> {
    let params = oauth1::parse_header(header).ok_or("malformed OAuth header")?;
    let get = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .ok_or(format!("missing {name}"))
    };
    if get("oauth_consumer_key")? != keys.consumer_key || get("oauth_token")? != keys.token {
        return Err("unknown consumer key or token".into());
    }
    if get("oauth_signature_method")? != "HMAC-SHA1" {
        return Err("unsupported signature method".into());
    }
    let timestamp: i64 = get("oauth_timestamp")?
        .parse()
        .map_err(|_| "bad timestamp")?;
    if (req.now.as_second() - timestamp).abs() > 300 {
        return Err(format!("stale timestamp {timestamp}"));
    }
    let host = req
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .ok_or("no Host header")?;
    let base_url = format!("http://{}{}", host.to_ascii_lowercase(), req.uri.path());
    let expected = oauth1::sign(
        &oauth1::base_string(req.method.as_str(), &base_url, &signed_params(&params, req)),
        &keys.consumer_secret,
        &keys.token_secret,
    );
    if expected != get("oauth_signature")? {
        return Err("signature mismatch".into());
    }
    if !tokens.nonces.insert(get("oauth_nonce")?) {
        return Err("replayed nonce".into());
    }
    tokens.signed_at.push(timestamp);
    Ok(())
}

/// The protocol parameters, the query and a form body (never JSON).
fn signed_params(oauth: &[(String, String)], req: &Received<'_>) -> Vec<(String, String)> {
    let mut signed: Vec<(String, String)> = oauth
        .iter()
        .filter(|(k, _)| k != "oauth_signature" && k != "realm")
        .cloned()
        .collect();
    signed.extend(form_pairs(req.uri.query().unwrap_or("")));
    let is_form = req
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        signed.extend(form_pairs(&String::from_utf8_lossy(req.body)));
    }
    signed
}

/// The account owner opens `authorize_url` and approves: checks what X's
/// consent page checks and returns the address X sends the browser to.
pub fn approve(
    client: Option<&OAuth2Client>,
    tokens: &mut Tokens,
    authorize_url: &str,
) -> Result<String, String> {
    let client = client.ok_or("OAuth 2.0 is not configured on this fake")?;
    let (base, query) = authorize_url.split_once('?').ok_or("no query")?;
    if base != "https://x.com/i/oauth2/authorize" {
        return Err(format!("not X's authorization page: {base}"));
    }
    let query: HashMap<String, String> = form_pairs(query).into_iter().collect();
    let get = |k: &str| query.get(k).cloned().ok_or(format!("missing {k}"));
    if get("response_type")? != "code" || get("client_id")? != client.client_id {
        return Err("wrong response_type or client_id".into());
    }
    if get("code_challenge_method")? != "S256" {
        return Err("only S256 challenges are accepted".into());
    }
    let scopes = get("scope")?;
    for needed in ["tweet.read", "tweet.write", "users.read", "offline.access"] {
        if !scopes.split(' ').any(|s| s == needed) {
            return Err(format!("scope {needed} not requested"));
        }
    }
    let code = format!("code-{}", fastrand_token());
    let redirect_uri = get("redirect_uri")?;
    tokens.codes.insert(
        code.clone(),
        PendingCode {
            client_id: client.client_id.clone(),
            redirect_uri: redirect_uri.clone(),
            challenge: get("code_challenge")?,
        },
    );
    Ok(format!(
        "{redirect_uri}?state={}&code={code}",
        get("state")?
    ))
}

/// `POST /2/oauth2/token`: `refresh_token` or `authorization_code` grants.
pub fn token(
    client: Option<&OAuth2Client>,
    tokens: &mut Tokens,
    req: &Received<'_>,
) -> (u16, Value) {
    let invalid = |desc: &str| {
        (
            400,
            json!({"error": "invalid_request", "error_description": desc}),
        )
    };
    let Some(client) = client else {
        return invalid("OAuth 2.0 is not configured on this fake");
    };
    let form: HashMap<String, String> = form_pairs(&String::from_utf8_lossy(req.body))
        .into_iter()
        .collect();
    if !client_authenticated(client, req.headers) {
        return (
            401,
            json!({"error": "unauthorized_client", "error_description": "Missing valid authorization header"}),
        );
    }
    if form.get("client_id") != Some(&client.client_id) {
        return invalid("Missing required parameter [client_id].");
    }
    match form.get("grant_type").map(String::as_str) {
        Some("refresh_token") => {
            let Some(old) = form.get("refresh_token") else {
                return invalid("Missing required parameter [refresh_token].");
            };
            if !tokens.refresh.remove(old) {
                tokens.refused_refreshes += 1;
                return invalid("Value passed for the token was invalid.");
            }
            tokens.spent.insert(old.clone());
            tokens.refreshes += 1;
        }
        Some("authorization_code") => {
            if let Err(why) = redeem_code(tokens, &form) {
                return invalid(&why);
            }
            tokens.exchanges += 1;
        }
        _ => return invalid("Missing required parameter [grant_type]."),
    }
    issue(client, tokens, req.now)
}

/// A code is single-use, bound to its redirect URI, and only redeemed with
/// the verifier whose S256 digest is its challenge (RFC 7636 4.6).
fn redeem_code(tokens: &mut Tokens, form: &HashMap<String, String>) -> Result<(), String> {
    let code = form
        .get("code")
        .ok_or("Missing required parameter [code].")?;
    let pending = tokens
        .codes
        .remove(code)
        .ok_or("Value passed for the authorization code was invalid.")?;
    if form.get("redirect_uri") != Some(&pending.redirect_uri) {
        return Err(
            "Value passed for the redirect uri did not match the uri of the authorization code."
                .into(),
        );
    }
    let verifier = form
        .get("code_verifier")
        .ok_or("Missing required parameter [code_verifier].")?;
    let digest = sha2::Sha256::digest(verifier.as_bytes());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
    if challenge != pending.challenge || pending.client_id != form["client_id"] {
        return Err("Value passed for the code verifier did not match the code challenge.".into());
    }
    Ok(())
}

fn issue(client: &OAuth2Client, tokens: &mut Tokens, now: Timestamp) -> (u16, Value) {
    let access = format!("at-{}", fastrand_token());
    let new_refresh = format!("rt-{}", fastrand_token());
    tokens
        .access
        .insert(access.clone(), now + client.access_ttl);
    tokens.refresh.insert(new_refresh.clone());
    (
        200,
        json!({
            "token_type": "bearer",
            "expires_in": client.access_ttl.as_secs(),
            "access_token": access,
            "scope": "tweet.read tweet.write users.read offline.access",
            "refresh_token": new_refresh,
        }),
    )
}

/// A confidential client must send HTTP Basic `client_id:client_secret`.
fn client_authenticated(client: &OAuth2Client, headers: &HeaderMap) -> bool {
    let Some(secret) = &client.client_secret else {
        return true;
    };
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{secret}", client.client_id))
    );
    headers.get("authorization").and_then(|h| h.to_str().ok()) == Some(expected.as_str())
}

fn fastrand_token() -> String {
    std::iter::repeat_with(fastrand::alphanumeric)
        .take(24)
        .collect()
}
