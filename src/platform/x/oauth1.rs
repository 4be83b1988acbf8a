//! OAuth 1.0a user-context signatures (RFC 5849, HMAC-SHA1).
//!
//! X still accepts the consumer key/secret + access token/secret pair that
//! most operators already have. Every request is signed: the signature covers
//! the method, the base URL (scheme, host, port only if not the default,
//! path), the query parameters, the `oauth_*` protocol parameters and, for
//! `application/x-www-form-urlencoded` bodies only, the body parameters. A JSON
//! body (`POST /2/tweets`) is NOT signed; getting that wrong is the classic
//! "401 on post, 200 on read" bug.
//!
//! The functions here are pure (nonce and timestamp are arguments) so the
//! RFC's worked example is a unit test and the fake X server can recompute
//! the same signature from what it receives.

use base64::Engine;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use sha1::Sha1;

use crate::settings::Secret;

/// Everything except RFC 3986 "unreserved" (`ALPHA / DIGIT / - . _ ~`) is
/// percent-encoded (RFC 5849 section 3.6).
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes `s` as RFC 5849 section 3.6 requires (UTF-8, uppercase hex).
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// The four credentials of an OAuth 1.0a user context (all four print as
/// `***`: the keys are not secret alone, but nobody needs them in a log).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub consumer_key: Secret,
    pub consumer_secret: Secret,
    pub token: Secret,
    pub token_secret: Secret,
}

/// The per-request values the signature depends on besides the request.
#[derive(Debug, Clone)]
pub struct Stamp {
    pub nonce: String,
    /// Seconds since the Unix epoch.
    pub timestamp: i64,
}

impl Stamp {
    /// A fresh random nonce (32 alphanumerics) at `timestamp`.
    pub fn fresh(timestamp: i64) -> Self {
        let nonce = std::iter::repeat_with(fastrand::alphanumeric)
            .take(32)
            .collect();
        Self { nonce, timestamp }
    }
}

/// The signature base string of RFC 5849 section 3.4.1: `METHOD&url&params`,
/// each part percent-encoded, the parameters sorted by encoded name then value.
/// `params` holds the query (and form body) parameters plus every `oauth_*`
/// parameter except `oauth_signature` and `realm`, all decoded.
pub fn base_string(method: &str, base_url: &str, params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> =
        params.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    encoded.sort();
    let joined = encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(base_url),
        encode(&joined)
    )
}

/// HMAC-SHA1 of `base` keyed with `consumer_secret&token_secret`, base64.
pub fn sign(base: &str, consumer_secret: &str, token_secret: &str) -> String {
    let key = format!("{}&{}", encode(consumer_secret), encode(token_secret));
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("hmac takes keys of any length"));
    mac.update(base.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The protocol parameters (without the signature) for one request.
pub fn protocol_params(creds: &Credentials, stamp: &Stamp) -> Vec<(String, String)> {
    vec![
        (
            "oauth_consumer_key".into(),
            creds.consumer_key.expose().to_string(),
        ),
        ("oauth_nonce".into(), stamp.nonce.clone()),
        ("oauth_signature_method".into(), "HMAC-SHA1".into()),
        ("oauth_timestamp".into(), stamp.timestamp.to_string()),
        ("oauth_token".into(), creds.token.expose().to_string()),
        ("oauth_version".into(), "1.0".into()),
    ]
}

/// The `Authorization: OAuth …` header value for a request.
///
/// `base_url` is the URL without query or fragment; `query` the decoded query
/// (and form body) parameters.
pub fn authorization(
    creds: &Credentials,
    stamp: &Stamp,
    method: &str,
    base_url: &str,
    query: &[(String, String)],
) -> String {
    let oauth = protocol_params(creds, stamp);
    let mut all = query.to_vec();
    all.extend(oauth.iter().cloned());
    let signature = sign(
        &base_string(method, base_url, &all),
        creds.consumer_secret.expose(),
        creds.token_secret.expose(),
    );
    let mut parts: Vec<String> = oauth
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", encode(k), encode(v)))
        .collect();
    parts.push(format!("oauth_signature=\"{}\"", encode(&signature)));
    format!("OAuth {}", parts.join(", "))
}

/// Splits an `Authorization: OAuth k="v", …` header into decoded pairs
/// (`realm` included; callers skip it). `None` when it is not OAuth.
pub fn parse_header(value: &str) -> Option<Vec<(String, String)>> {
    let rest = value.trim().strip_prefix("OAuth ")?;
    let mut out = Vec::new();
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        let v = v.trim().strip_prefix('"')?.strip_suffix('"')?;
        let decoded = percent_encoding::percent_decode_str(v)
            .decode_utf8()
            .ok()?
            .into_owned();
        out.push((k.trim().to_string(), decoded));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// RFC 5849 section 1.2: the client requests Jane's photo
    /// (`GET http://photos.example.net/photos?file=vacation.jpg&size=original`,
    /// realm "Photos", no `oauth_version`).
    #[test]
    fn rfc5849_section_1_2_example() {
        let params = pairs(&[
            ("file", "vacation.jpg"),
            ("size", "original"),
            ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            ("oauth_token", "nnch734d00sl2jdk"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131202"),
            ("oauth_nonce", "chapoH"),
        ]);
        let base = base_string("GET", "http://photos.example.net/photos", &params);
        assert_eq!(
            base,
            "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26\
             oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH%26\
             oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26\
             oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal"
        );
        assert_eq!(
            sign(&base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00"),
            "MdpQcU8iPSUjWoN/UDMsK2sui9I="
        );
    }

    /// The same request as the OAuth Core 1.0 appendix A.5 signs it (nonce
    /// `kllo9940pd9333jh`, timestamp 1191242096, `oauth_version=1.0`): a
    /// different, equally published value.
    #[test]
    fn oauth_core_1_0_appendix_example() {
        let creds = Credentials {
            consumer_key: Secret::new("dpf43f3p2l4k3l03"),
            consumer_secret: Secret::new("kd94hf93k423kf44"),
            token: Secret::new("nnch734d00sl2jdk"),
            token_secret: Secret::new("pfkkdhi9sl3r4s00"),
        };
        let stamp = Stamp {
            nonce: "kllo9940pd9333jh".into(),
            timestamp: 1191242096,
        };
        let query = pairs(&[("file", "vacation.jpg"), ("size", "original")]);
        let header = authorization(
            &creds,
            &stamp,
            "GET",
            "http://photos.example.net/photos",
            &query,
        );
        assert!(
            header.contains("oauth_signature=\"tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D\""),
            "{header}"
        );
        let parsed = parse_header(&header).unwrap();
        assert!(parsed.contains(&(
            "oauth_signature".into(),
            "tR3+Ty81lMeYAr/Fid0kMTYa/WM=".into()
        )));
    }

    #[test]
    fn encoding_keeps_only_unreserved_characters() {
        assert_eq!(encode("a b+c*~-._/#é"), "a%20b%2Bc%2A~-._%2F%23%C3%A9");
    }

    #[test]
    fn non_oauth_headers_are_not_parsed() {
        assert_eq!(parse_header("Bearer abc"), None);
        assert_eq!(parse_header("OAuth broken"), None);
    }

    #[test]
    fn fresh_nonces_differ() {
        let a = Stamp::fresh(1);
        let b = Stamp::fresh(1);
        assert_eq!(a.nonce.len(), 32);
        assert_ne!(a.nonce, b.nonce);
    }
}
